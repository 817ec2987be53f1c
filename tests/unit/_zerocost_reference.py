"""Slow float64 numpy references for the zero-cost proxy tests, written from the definitions
(NAS-DEFINITIONS section 6 and the papers), sharing nothing with fastnas.zerocost but the network's
weights: forward pass in numpy, gradients by central finite differences, explicit loops; and, at the end,
``REFERENCE``: a float64 torch twin of every proxy written from the structure of the official code."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


def conv2d(x, w, b, pad, groups=1):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    out = np.zeros((n, o, ho, wo))
    cg, og = c // groups, o // groups  # input / output channels per group
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, g * cg:(g + 1) * cg, i:i + ho, j:j + wo]  # (n, cg, ho, wo)
                out[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch, w[g * og:(g + 1) * og, :, i, j])
    if b is not None:
        out += b[None, :, None, None]
    return out


class NumpyNet:
    """float64 numpy twin of a torch ``nn.Sequential`` of Conv2d(stride 1)/BatchNorm2d(train)/ReLU/
    AdaptiveAvgPool2d(1)/Flatten/Linear, with its weights as editable arrays."""

    def __init__(self, seq: nn.Sequential, batchnorm: bool = True):
        self.layers = []
        for m in seq:
            if isinstance(m, nn.Conv2d):
                self.layers.append(["conv", m.weight.detach().double().numpy().copy(),
                                    None if m.bias is None else m.bias.detach().double().numpy().copy(),
                                    m.padding[0], m.groups])
            elif isinstance(m, nn.Linear):
                self.layers.append(["linear", m.weight.detach().double().numpy().copy(),
                                    m.bias.detach().double().numpy().copy()])
            elif isinstance(m, nn.BatchNorm2d):
                if batchnorm:
                    self.layers.append(["bn", m.weight.detach().double().numpy().copy(),
                                        m.bias.detach().double().numpy().copy(), m.eps])
            elif isinstance(m, nn.ReLU):
                self.layers.append(["relu"])
            elif isinstance(m, nn.AdaptiveAvgPool2d):
                self.layers.append(["gap"])
            elif isinstance(m, nn.Flatten):
                self.layers.append(["flatten"])
            else:  # pragma: no cover
                raise TypeError(type(m))

    def weights(self):
        """(layer index, weight array) of the Conv2d/Linear layers."""
        return [(i, l[1]) for i, l in enumerate(self.layers) if l[0] in ("conv", "linear")]

    def forward(self, x, *, scale=None, trace=None):
        """``scale``: {(layer, sample, channel): factor} applied to that layer's output;
        ``trace``: dict receiving 'relu_in' (list), 'pre_gap', 'bn_var' (list)."""
        x = np.asarray(x, dtype=np.float64)
        for li, layer in enumerate(self.layers):
            kind = layer[0]
            if kind == "conv":
                x = conv2d(x, layer[1], layer[2], layer[3], layer[4])
            elif kind == "linear":
                x = x @ layer[1].T + layer[2]
            elif kind == "bn":
                if trace is not None:  # per-channel unbiased batch variance (what running_var tracks)
                    trace.setdefault("bn_var", []).append(x.var(axis=(0, 2, 3), ddof=1))
                mu = x.mean(axis=(0, 2, 3), keepdims=True)
                var = x.var(axis=(0, 2, 3), keepdims=True)
                x = (x - mu) / np.sqrt(var + layer[3]) * layer[1][None, :, None, None] + layer[2][None, :, None, None]
            elif kind == "relu":
                if trace is not None:
                    trace.setdefault("relu_in", []).append(x.copy())
                x = np.maximum(x, 0.0)
            elif kind == "gap":
                if trace is not None:
                    trace["pre_gap"] = x.copy()
                x = x.mean(axis=(2, 3), keepdims=True)
            elif kind == "flatten":
                x = x.reshape(x.shape[0], -1)
            if scale:
                for (l, n, c), f in scale.items():
                    if l == li:
                        x = x.copy()
                        x[n, c] *= f
        return x


def cross_entropy(logits, y):
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


def numeric_grads(f, arrays, h=1e-6):
    """d f / d a for every element of every array in ``arrays`` (edited in place), one element at a time."""
    out = []
    for a in arrays:
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + h
            fp = f()
            a[idx] = old - h
            fm = f()
            a[idx] = old
            g[idx] = (fp - fm) / (2 * h)
        out.append(g)
    return out


def input_jacobian(net: NumpyNet, x, h=1e-6):
    """Row n: d(sum of all outputs of the batch)/d x_n by finite differences (with batch norm in
    training mode the samples are coupled, and the definition differentiates the batch sum)."""
    x = np.array(x, dtype=np.float64)
    n = x.shape[0]
    jac = np.zeros((n, x[0].size))
    for s in range(n):
        flat = x[s].reshape(-1)
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + h
            fp = net.forward(x).sum()
            flat[k] = old - h
            fm = net.forward(x).sum()
            flat[k] = old
            jac[s, k] = (fp - fm) / (2 * h)
    return jac


def torch_double(seq: nn.Module) -> nn.Module:
    import copy

    return copy.deepcopy(seq).double()


def to_t(a):
    return torch.from_numpy(np.asarray(a))


# ---------------------------------------------------------------------------------------------------------
# Reference-code twin: each proxy re-written, in float64 torch, from the structure of the official code
# (zero-cost-nas ``foresight/pruners/measures/*.py``, copied by NASLib as
# ``naslib/predictors/utils/pruners/measures/*.py``; nwot from nas-without-training v2; epe_nas from
# VascoLopes/EPE-NAS ``search.py``). Own code, no fastnas import: per-weight metric arrays built layer by
# layer (``get_layer_metric_array``), then summed (``sum_arr``), exactly as the reference scores a network.
# Each function takes a float64 network it may modify, x (N, C, H, W) float64 and y (N,) int64.
# ---------------------------------------------------------------------------------------------------------
import types  # noqa: E402

import torch.nn.functional as F  # noqa: E402


def _layers(net):
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def _out(o):
    return o[-1] if isinstance(o, (tuple, list)) else o


def _sum_arr(arr):
    return float(sum(torch.sum(a.detach().double()) for a in arr))


def _bn_off(net):
    """copynet(bn=False): every batch norm's forward becomes the identity."""
    import copy

    net = copy.deepcopy(net)
    for m in net.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.forward = types.MethodType(lambda self, x: x, m)
    return net


def ref_synflow(net, x, y=None):
    net = _bn_off(net).double()
    with torch.no_grad():
        for p in net.state_dict().values():
            p.abs_()
    net.zero_grad()
    out = _out(net(torch.ones([1] + list(x[0].shape), dtype=torch.float64)))
    torch.sum(out).backward()
    return _sum_arr([torch.abs(m.weight * m.weight.grad) if m.weight.grad is not None
                     else torch.zeros_like(m.weight) for m in _layers(net)])


def ref_snip(net, x, y):
    net.train()
    for m in _layers(net):
        m.weight_mask = nn.Parameter(torch.ones_like(m.weight))
        m.weight.requires_grad = False
        if isinstance(m, nn.Conv2d):
            m.forward = types.MethodType(lambda self, t: F.conv2d(t, self.weight * self.weight_mask, self.bias,
                                                                  self.stride, self.padding, self.dilation,
                                                                  self.groups), m)
        else:
            m.forward = types.MethodType(lambda self, t: F.linear(t, self.weight * self.weight_mask, self.bias), m)
    net.zero_grad()
    F.cross_entropy(_out(net(x)), y).backward()
    return _sum_arr([torch.abs(m.weight_mask.grad) if m.weight_mask.grad is not None
                     else torch.zeros_like(m.weight) for m in _layers(net)])


def _loss_backward(net, x, y):
    net.train()
    net.zero_grad()
    F.cross_entropy(_out(net(x)), y).backward()


def ref_plain(net, x, y):
    _loss_backward(net, x, y)
    return _sum_arr([m.weight.grad * m.weight if m.weight.grad is not None else torch.zeros_like(m.weight)
                     for m in _layers(net)])


def ref_grad_norm(net, x, y):
    _loss_backward(net, x, y)
    return _sum_arr([m.weight.grad.norm() if m.weight.grad is not None else torch.zeros_like(m.weight)
                     for m in _layers(net)])


def ref_grasp(net, x, y):
    net.train()
    weights = [m.weight for m in _layers(net)]
    net.zero_grad()
    grad_w = list(torch.autograd.grad(F.cross_entropy(_out(net(x)), y), weights, allow_unused=True))
    grad_f = torch.autograd.grad(F.cross_entropy(_out(net(x)), y), weights, create_graph=True, allow_unused=True)
    z = 0
    for gw, gf in zip(grad_w, grad_f):
        if gw is not None:
            z += (gw.data * gf).sum()
    z.backward()
    return _sum_arr([-m.weight.data * m.weight.grad if m.weight.grad is not None else torch.zeros_like(m.weight)
                     for m in _layers(net)])


def ref_fisher(net, x, y):
    """Activations kept by a forward hook, their gradients by a tensor hook on the layer's output; per
    channel 0.5 * mean_n (sum_positions act * grad)^2, broadcast over ``weight.shape[1:]``, summed."""
    net.train()
    for m in _layers(net):
        m.fisher = None

        def fwd(mod, _inp, out):
            act = out.detach()

            def on_grad(grad, mod=mod, act=act):
                g_nk = torch.sum(act * grad, list(range(2, act.ndim))) if act.ndim > 2 else act * grad
                del_k = g_nk.pow(2).mean(0).mul(0.5)
                mod.fisher = del_k if mod.fisher is None else mod.fisher + del_k

            if out.requires_grad:
                out.register_hook(on_grad)

        m.register_forward_hook(fwd)
    net.zero_grad()
    F.cross_entropy(_out(net(x)), y).backward()
    per_weight = []
    for m in _layers(net):
        ch = torch.abs(m.fisher.detach()) if m.fisher is not None else torch.zeros(m.weight.shape[0],
                                                                                 dtype=torch.float64)
        per_weight.append(torch.stack([torch.full(m.weight.shape[1:], float(v), dtype=torch.float64) for v in ch]))
    return _sum_arr(per_weight)


def _batch_jacobian(net, x):
    net.train()
    net.zero_grad()
    x = x.detach().clone().requires_grad_(True)
    out = _out(net(x))
    out.backward(torch.ones_like(out))
    return x.grad.detach().reshape(x.shape[0], -1).numpy()


def ref_jacob_cov(net, x, y=None):
    corrs = np.corrcoef(_batch_jacobian(net, x))
    v, _ = np.linalg.eig(corrs)
    k = 1e-5
    return float(np.real(-np.sum(np.log(v + k) + 1.0 / (v + k))))


def ref_epe_nas(net, x, y, num_classes=10):
    jacob = _batch_jacobian(net, x)
    labels = y.numpy()
    per_class = {}
    for i, label in enumerate(labels):
        per_class[label] = np.vstack((per_class[label], jacob[i])) if label in per_class else jacob[i]
    scores = {}
    for c, rows in per_class.items():
        s = np.sum(np.log(abs(np.array(np.corrcoef(rows))) + 1e-5))
        if num_classes > 100:
            s /= len(np.atleast_1d(np.corrcoef(rows)))
        scores[c] = s
    if num_classes <= 100:
        return float(sum(np.absolute(s) for s in scores.values()))
    total = sum(np.absolute(a - b) for a in scores.values() for b in scores.values())
    return float(total / len(scores))


def ref_nwot(net, x, y=None):
    n = x.shape[0]
    K = np.zeros((n, n))

    def hook(_m, inp, _o):
        nonlocal K
        c = (inp[0].detach().reshape(n, -1) > 0).double()
        K = K + (c @ c.t()).numpy() + ((1.0 - c) @ (1.0 - c.t())).numpy()

    net.train()
    for m in net.modules():
        # the reference hooks modules whose type name contains "ReLU" except the library's own composite
        # blocks (it skips types from its own package, e.g. naslib's ReLUConvBN): the ReLU activations
        if type(m).__name__ == "ReLU":
            m.register_forward_hook(hook)
    with torch.no_grad():
        net(x.clone())
    return float(np.linalg.slogdet(K)[1])


def ref_l2_norm(net, x=None, y=None):
    return _sum_arr([m.weight.norm() for m in _layers(net)])


def ref_params(net, x=None, y=None):
    return float(sum(p.numel() for p in net.parameters() if p.requires_grad))


def ref_flops(net, x, y=None):
    """Multiply-accumulates of Conv2d/Linear for one sample, counted from each layer's output size."""
    total = 0

    def hook(m, _i, out):
        nonlocal total
        if isinstance(m, nn.Conv2d):
            total += out[0].numel() * m.weight[0].numel()
        else:
            total += out[0].numel() * m.in_features

    for m in _layers(net):
        m.register_forward_hook(hook)
    net.eval()
    with torch.no_grad():
        net(x[:1])
    return float(total)


REFERENCE = {
    "synflow": ref_synflow, "snip": ref_snip, "plain": ref_plain, "grad_norm": ref_grad_norm, "grasp": ref_grasp,
    "fisher": ref_fisher, "jacob_cov": ref_jacob_cov, "epe_nas": ref_epe_nas, "nwot": ref_nwot,
    "l2_norm": ref_l2_norm, "params": ref_params, "flops": ref_flops,
}

"""Slow float64 numpy references for the zero-cost proxy tests, written from the definitions
(NAS-DEFINITIONS section 6 and the papers), sharing nothing with fastnas.zerocost but the network's
weights: forward pass in numpy, gradients by central finite differences, explicit loops."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


def conv2d(x, w, b, pad):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    out = np.zeros((n, o, ho, wo))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + ho, j:j + wo]  # (n, c, ho, wo)
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
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
                                    m.padding[0]])
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
                x = conv2d(x, layer[1], layer[2], layer[3])
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

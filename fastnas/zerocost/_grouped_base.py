"""Shared machinery of the grouped zero-cost passes over stacked networks (``_grouped_darts``,
``_grouped_nb101``): module positions of several networks run as one grouped op, and the proxies read off
per-network weight blocks and channel slices.

A grouped network stacks the B networks' channels (network b owns its own channel block of every stacked
feature map). A module position shared by k member networks (``_Op``) runs once: its convolutions as one
grouped convolution (``groups = k * the module's groups``) over the members' concatenated weights, its batch
norms as one batch norm over the members' channels (batch statistics are per channel, hence per network), its
ReLUs and pools channel-wise. Networks never mix, so the sum over networks of their losses (or outputs)
differentiates to each network's own gradient. The proxy definitions are those of ``_gradient`` and
``_activation`` (which name the papers and official code); each grouped module's tests compare every value
with the one-network-at-a-time path.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._grouped_nb201 import GROUPED_PROXIES as _NB201_GROUPED
from ._grouped_nb201 import jacobian_readout, network_losses_sum

#: the proxies computed by grouped passes on DARTS and NB101 networks (those of ``_grouped_nb201`` plus synflow)
GROUPED_PROXIES = ("synflow",) + _NB201_GROUPED


class _Ctx:
    """What one pass records: conv/linear outputs (fisher) and the nwot ReLU kernels (B, n, n)."""

    def __init__(self, B: int, n: int, *, acts: bool, relu: bool, device):
        self.n = n
        self.acts: list | None = [] if acts else None
        self.kmat = torch.zeros((B, n, n), dtype=torch.float64, device=device) if relu else None

    def relu(self, h: torch.Tensor, members: torch.Tensor) -> torch.Tensor:
        if self.kmat is not None:  # each member network's nn.ReLU sees its own channel slice
            c = (h.detach().reshape(self.n, len(members), -1) > 0).double().transpose(0, 1)  # (k, n, D)
            k = c @ c.transpose(1, 2) + (1.0 - c) @ (1.0 - c).transpose(1, 2)
            self.kmat.index_add_(0, members, k)
        return F.relu(h)


def _signature(m: nn.Module) -> tuple:
    """What must agree between networks for one grouped module: types, shapes and hyper-parameters."""
    out = []
    for s in m.modules():
        t = type(s).__name__
        if isinstance(s, nn.Conv2d):
            out.append((t, tuple(s.weight.shape), s.stride, s.padding, s.dilation, s.groups, s.bias is None,
                        s.padding_mode, s.weight.dtype))
        elif isinstance(s, nn.BatchNorm2d):
            out.append((t, s.num_features, s.eps, s.affine))
        elif isinstance(s, (nn.MaxPool2d, nn.AvgPool2d)):
            out.append((t, repr(s)))
        else:
            out.append((t,))
    return tuple(out)


class _Op:
    """One module position across k member networks (identical structure), run as one grouped op."""

    def __init__(self, mods: list[nn.Module], members: list[int], g: "GroupedBase"):
        sig = _signature(mods[0])
        if any(_signature(m) != sig for m in mods[1:]):
            raise TypeError("networks differ in the structure of a module they share")
        self.k, self.g = len(mods), g
        self.members = torch.tensor(members, dtype=torch.long, device=g.device)
        self.steps = self._compile(mods)

    def _compile(self, mods):
        m0, g = mods[0], self.g
        kind = type(m0)  # exact types: a subclass may compute something else in its own forward
        if isinstance(m0, nn.Sequential) and kind.forward is nn.Sequential.forward:
            return [s for i in range(len(m0)) for s in self._compile([m[i] for m in mods])]
        if kind is nn.ReLU:
            return [("relu",)]
        if kind is nn.Identity:
            return []
        if kind is nn.Conv2d:
            return [("conv", g.conv(mods, self.members))]
        if kind is nn.BatchNorm2d:
            return [] if g.synflow else [("bn", g.bn(mods))]
        if kind is nn.MaxPool2d:
            return [("pool", lambda h, m=m0: F.max_pool2d(h, m.kernel_size, m.stride, m.padding, m.dilation,
                                                          m.ceil_mode))]
        if kind is nn.AvgPool2d:
            return [("pool", lambda h, m=m0: F.avg_pool2d(h, m.kernel_size, m.stride, m.padding, m.ceil_mode,
                                                          m.count_include_pad, m.divisor_override))]
        from ..models.darts import FactorizedReduce

        if kind is FactorizedReduce:  # the DARTS op (models/darts.py), whose forward is mirrored here
            bn = [] if g.synflow else [("bn", g.bn([m.bn for m in mods]))]
            return [("relu",), ("fr", g.conv([m.conv_1 for m in mods], self.members),
                                g.conv([m.conv_2 for m in mods], self.members))] + bn
        raise TypeError(f"no grouped form for {type(m0).__name__}")

    def __call__(self, h: torch.Tensor, ctx: _Ctx) -> torch.Tensor:
        for step in self.steps:
            kind = step[0]
            if kind == "relu":
                h = ctx.relu(h, self.members) if not self.g.synflow else F.relu(h)
            elif kind == "conv":
                h = step[1](h, ctx)
            elif kind == "bn":
                w, b, eps = step[1]
                h = F.batch_norm(h, None, None, w, b, training=True, eps=eps)
            elif kind == "pool":
                h = step[1](h)
            else:  # factorized reduce: two stride-2 1x1 convs on offset grids, concatenated per network
                n = h.shape[0]
                a = step[1](h, ctx)
                b = step[2](F.pad(h, (0, 1, 0, 1))[:, :, 1:, 1:], ctx)
                h = torch.cat([a.reshape(n, self.k, -1, *a.shape[2:]), b.reshape(n, self.k, -1, *b.shape[2:])],
                              dim=2).reshape(n, -1, *a.shape[2:])
        return h


class _Conv:
    """Stacked weights of one Conv2d position of k member networks (float, requires grad)."""

    def __init__(self, convs: list[nn.Conv2d], members: torch.Tensor, g: "GroupedBase"):
        c0 = convs[0]
        if c0.bias is not None or c0.padding_mode != "zeros":
            raise TypeError("grouped convolutions have no bias and zero padding")
        w = torch.cat([c.weight.detach() for c in convs]).to(g.device, g.dtype)
        self.weight = (w.abs() if g.synflow else w).requires_grad_(True)
        self.members, self.k, self.out = members, len(convs), c0.out_channels
        self.stride, self.padding, self.dilation, self.groups = c0.stride, c0.padding, c0.dilation, c0.groups
        self.fan_in = c0.weight[0].numel()
        g.convs.append(self)

    def __call__(self, h: torch.Tensor, ctx: _Ctx) -> torch.Tensor:
        a = F.conv2d(h, self.weight, None, self.stride, self.padding, self.dilation, self.groups * self.k)
        if ctx.acts is not None:
            if a.requires_grad:
                a.retain_grad()
            ctx.acts.append((self, a))
        return a


def _pick(state: torch.Tensor, B: int, members: list[int], device) -> torch.Tensor:
    """The channels of networks ``members`` of a stacked state (N, B*c, H, W)."""
    if members == list(range(B)):
        return state
    n, _, hh, ww = state.shape
    idx = torch.tensor(members, dtype=torch.long, device=device)
    return state.reshape(n, B, -1, hh, ww).index_select(1, idx).reshape(n, -1, hh, ww)


class GroupedBase:
    """A stacked network of B networks; subclasses build their ``_Op`` positions and define ``forward``
    (x (N, B*C_in, H, W) -> logits (N, B, K), through ``_head``). ``synflow=True``: synflow's network (batch
    norms removed, |weights| and |biases|, float64)."""

    def __init__(self, nets: list, device, *, synflow: bool = False):
        dtypes = {p.dtype for n in nets for p in n.parameters()}
        if len(dtypes) != 1:
            raise TypeError("networks differ in dtype")
        if not all(p.requires_grad for n in nets for p in n.parameters()):
            raise TypeError("frozen parameters (requires_grad=False) get no gradient one at a time: not grouped")
        self.B, self.device, self.synflow = len(nets), device, synflow
        self.dtype = torch.float64 if synflow else dtypes.pop()
        self.convs: list[_Conv] = []

    def _classifier(self, lin: list[nn.Linear]) -> None:
        if len({(m.in_features, m.out_features, m.bias is None) for m in lin}) != 1 or lin[0].bias is None:
            raise TypeError("networks differ in their classifier")
        lw = torch.stack([m.weight.detach() for m in lin]).to(self.device, self.dtype)
        lb = torch.stack([m.bias.detach() for m in lin]).to(self.device, self.dtype)
        self.lin_w = (lw.abs() if self.synflow else lw).requires_grad_(True)
        self.lin_b = lb.abs() if self.synflow else lb
        self.in_features = lin[0].in_features

    def bn(self, mods: list[nn.BatchNorm2d]):
        """(weight, bias, eps) of a stacked batch norm (identity affine where a network's BN has none)."""
        w = torch.cat([m.weight.detach() if m.affine else torch.ones(m.num_features) for m in mods])
        b = torch.cat([m.bias.detach() if m.affine else torch.zeros(m.num_features) for m in mods])
        return w.to(self.device, self.dtype), b.to(self.device, self.dtype), mods[0].eps

    def conv(self, convs, members) -> _Conv:
        return _Conv(convs, members, self)

    def weights(self) -> list[torch.Tensor]:
        return [c.weight for c in self.convs] + [self.lin_w]

    def _head(self, feat: torch.Tensor, ctx: _Ctx) -> torch.Tensor:
        """(N, B, C) pooled features -> (N, B, K) logits of each network's own classifier."""
        logits = torch.einsum("nbc,bkc->nbk", feat, self.lin_w) + self.lin_b
        if ctx.acts is not None:
            if logits.requires_grad:
                logits.retain_grad()
            ctx.acts.append(("linear", logits))
        return logits

    # ------------------------------------------------------------------ proxies
    def _per_network(self, f) -> torch.Tensor:
        """sum over layers of f(weight block, grad block) -> (B,) float64 (f returns a scalar tensor)."""
        tot = torch.zeros(self.B, dtype=torch.float64, device=self.device)
        for c in self.convs:
            w, g = c.weight.detach(), c.weight.grad
            vals = torch.stack([f(wb, gb) for wb, gb in zip(w.chunk(c.k), g.chunk(c.k))]).double()
            tot.index_add_(0, c.members, vals)
        return tot + torch.stack([f(w, g) for w, g in zip(self.lin_w.detach(), self.lin_w.grad)]).double()

    def synflow_values(self, input_shape) -> np.ndarray:
        ones = torch.ones((1, self.B * input_shape[0], *input_shape[1:]), dtype=torch.float64, device=self.device)
        self.forward(ones, _Ctx(self.B, 1, acts=False, relu=False, device=self.device)).sum().backward()
        self._fill_missing_grads()
        return self._per_network(lambda w, g: (w * g).abs().sum()).cpu().numpy()

    def _fill_missing_grads(self):
        for w in self.weights():
            if w.grad is None:
                w.grad = torch.zeros_like(w)

    def _rep(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != self.in_channels:
            raise ValueError(f"the networks take {self.in_channels} input channels, the minibatch has {x.shape[1]}")
        return x.to(self.device, self.dtype).repeat(1, self.B, 1, 1)

    def _loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return network_losses_sum(logits, y)

    def loss_family(self, x, y, names) -> dict[str, np.ndarray]:
        ctx = _Ctx(self.B, x.shape[0], acts="fisher" in names, relu=False, device=self.device)
        self._loss(self.forward(self._rep(x), ctx), y).backward()
        self._fill_missing_grads()
        out = {}
        if "snip" in names:
            out["snip"] = self._per_network(lambda w, g: (w * g).abs().sum()).cpu().numpy()
        if "plain" in names:
            out["plain"] = self._per_network(lambda w, g: (w * g).sum()).cpu().numpy()
        if "grad_norm" in names:
            out["grad_norm"] = self._per_network(lambda w, g: g.norm()).cpu().numpy()
        if "fisher" in names:
            tot = torch.zeros(self.B, dtype=torch.float64, device=self.device)
            for s, a in ctx.acts:
                if a.grad is None:
                    continue
                prod = (a.detach() * a.grad).double()
                if s == "linear":  # (N, B, K)
                    tot = tot + self.in_features * (0.5 * prod.pow(2).mean(dim=0)).sum(dim=1)
                    continue
                per = prod.reshape(prod.shape[0], s.k, s.out, -1).sum(dim=3)  # (N, k, out)
                tot.index_add_(0, s.members, s.fan_in * (0.5 * per.pow(2).mean(dim=0)).sum(dim=1))
            out["fisher"] = tot.cpu().numpy()
        return out

    def jacobian_family(self, x, y, names, num_classes) -> dict[str, np.ndarray]:
        ctx = _Ctx(self.B, x.shape[0], acts=False, relu="nwot" in names, device=self.device)
        xr = self._rep(x).detach().requires_grad_(True)
        out = self.forward(xr, ctx)
        out.backward(torch.ones_like(out))
        return jacobian_readout(xr.grad, ctx.kmat, self.B, x.shape[0], y, names, num_classes)

    def grasp(self, x, y) -> np.ndarray:
        ws, xr = self.weights(), self._rep(x)
        ctx = _Ctx(self.B, x.shape[0], acts=False, relu=False, device=self.device)
        g = torch.autograd.grad(self._loss(self.forward(xr, ctx), y), ws, allow_unused=True)
        g = [torch.zeros_like(w) if gi is None else gi.detach() for w, gi in zip(ws, g)]
        g_graph = torch.autograd.grad(self._loss(self.forward(xr, ctx), y), ws, create_graph=True, allow_unused=True)
        z = sum((gd * gg).sum() for gd, gg in zip(g, g_graph) if gg is not None)
        hg = torch.autograd.grad(z, ws, allow_unused=True)
        hg = [torch.zeros_like(w) if h is None else h for w, h in zip(ws, hg)]
        tot = torch.zeros(self.B, dtype=torch.float64, device=self.device)
        for c, h in zip(self.convs, hg):
            vals = (-c.weight.detach() * h).reshape(c.k, -1).double().sum(dim=1)
            tot.index_add_(0, c.members, vals)
        return (tot + (-self.lin_w.detach() * hg[-1]).reshape(self.B, -1).double().sum(dim=1)).cpu().numpy()


def run_proxies(build, nets, x, y, names, num_classes, dev) -> dict[str, np.ndarray]:
    """The proxies ``names`` of a grouped network ``build(nets, dev, synflow=...)``."""
    out: dict[str, np.ndarray] = {}
    if "synflow" in names:
        out["synflow"] = build(nets, dev, synflow=True).synflow_values(tuple(x.shape[1:]))
    rest = [p for p in names if p != "synflow"]
    if not rest:
        return out
    g = build(nets, dev)
    y = y.to(dev)
    loss = [p for p in rest if p in ("snip", "plain", "grad_norm", "fisher")]
    jac = [p for p in rest if p in ("jacob_cov", "epe_nas", "nwot")]
    if loss:
        out.update(g.loss_family(x, y, loss))
    if jac:
        out.update(g.jacobian_family(x, y, jac, num_classes))
    if "grasp" in rest:
        out["grasp"] = g.grasp(x, y)
    return out


def check_request(names, y) -> list[str]:
    names = list(names)
    bad = set(names) - set(GROUPED_PROXIES)
    if bad:
        raise ValueError(f"no grouped form for {sorted(bad)}; grouped: {', '.join(GROUPED_PROXIES)}")
    if any(p != "synflow" for p in names) and y is None:
        raise ValueError(f"{', '.join(p for p in names if p != 'synflow')} need labels y")
    return names


def split_on_oom(run, nets: list, dev) -> dict[str, np.ndarray]:
    """``run(nets)``; when it runs out of device memory, ``run`` on each half (recursively) and concatenate
    (a network's values do not depend on its group). One network that does not fit: the error."""
    try:
        return run(nets)
    except torch.OutOfMemoryError:
        if len(nets) < 2:
            raise
    if dev.type == "cuda":
        torch.cuda.empty_cache()
    half = len(nets) // 2
    a, b = (split_on_oom(run, part, dev) for part in (nets[:half], nets[half:]))
    return {p: np.concatenate([a[p], b[p]]) for p in a}


def grouped_proxies(build, nets: list, x: torch.Tensor, y, names, num_classes: int, device) -> dict[str, np.ndarray]:
    """The public grouped entry points' body: check the request, then ``run_proxies`` with ``build`` on the
    device, splitting the group in halves when it runs out of device memory."""
    names = check_request(names, y)
    dev = x.device if device is None else torch.device(device)
    return split_on_oom(lambda part: run_proxies(build, part, x, y, names, num_classes, dev), list(nets), dev)

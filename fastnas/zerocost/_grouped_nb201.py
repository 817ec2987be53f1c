"""Data-dependent proxies of many NAS-Bench-201 networks in ONE forward/backward pass.

The B networks share the NB201 skeleton and differ only in the op on each cell edge. Their channels are
stacked (network b owns channels ``b*c .. (b+1)*c - 1`` of every feature map), so every convolution becomes
one grouped convolution (``groups=B``), every batch norm one batch norm over B*c channels (batch statistics
are per channel, hence per network), and the classifier one batched matrix product. An edge computes each
op kind present on it in any of the B networks and keeps, per network, its own op through a 0/1 mask;
weights of ops a network does not have are zero. Groups never mix, so the sum over networks of their
losses (or outputs) differentiates to each network's own gradient, and the per-network quantities are
read off channel slices:

* loss family (snip, plain, grad_norm, fisher): one loss backward, loss = sum_b CE_b (each the batch mean);
* Jacobian family (jacob_cov, epe_nas, nwot): input replicated per network (x_b its own copy), one backward
  of the sum of all outputs; ReLU codes read per network at every ReLU the network has;
* grasp: the same two gradients and one Hessian-vector product (H is block diagonal over networks).

The definitions are those of ``_gradient`` and ``_activation`` (which name the papers and official code);
``tests/unit/test_zerocost_grouped_nb201.py`` checks the values against the one-network-at-a-time path in
float64 on networks that cover every op on every edge. Networks of another structure raise ``TypeError``.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._activation import _epe_nas_of, _jacob_cov_of, _nwot_of

GROUPED_PROXIES = ("snip", "plain", "grad_norm", "fisher", "jacob_cov", "epe_nas", "nwot", "grasp")
_EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))


def _expand(mask: torch.Tensor, channels: int) -> torch.Tensor:
    return mask.repeat_interleave(channels).reshape(1, -1, 1, 1)


class _Ctx:
    """What one pass records: conv outputs (fisher) and ReLU kernels (nwot)."""

    def __init__(self, B: int, n: int, *, acts: bool, relu: bool, device):
        self.B, self.n = B, n
        self.acts: list[tuple[object, torch.Tensor]] | None = [] if acts else None
        self.kmat = torch.zeros((B, n, n), dtype=torch.float64, device=device) if relu else None

    def relu(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.kmat is not None:  # every nn.ReLU of network b sees its slice of h
            codes = (h.detach().reshape(self.n, self.B, -1) > 0).double().transpose(0, 1)  # (B, n, D)
            k = codes @ codes.transpose(1, 2) + (1.0 - codes) @ (1.0 - codes).transpose(1, 2)
            self.kmat = self.kmat + mask.reshape(-1, 1, 1) * k
        return F.relu(h)


def network_losses_sum(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Sum over the B networks of each network's batch-mean cross-entropy; ``logits`` (N, B, classes). Its
    gradient is each network's own loss gradient (groups never mix)."""
    n, B, k = logits.shape
    per = F.cross_entropy(logits.reshape(n * B, k), y.repeat_interleave(B), reduction="none").reshape(n, B)
    return per.mean(dim=0).sum()


def jacobian_readout(grad: torch.Tensor, kmat, B: int, n: int, y, names, num_classes) -> dict[str, np.ndarray]:
    """Per-network jacob_cov / epe_nas / nwot of a grouped pass: ``grad`` is d(sum of outputs)/d(replicated
    input) (N, B * C, H, W), network b's Jacobian its channel block b; ``kmat`` the per-network ReLU code
    kernels. Shared by every grouped space (NB201 here, DARTS and NB101 in ``_grouped_base``)."""
    jac = grad.detach().reshape(n, B, -1).double().cpu().numpy()  # (N, B, D)
    res = {p: np.empty(B) for p in names}
    for b in range(B):
        if "jacob_cov" in names:
            res["jacob_cov"][b] = _jacob_cov_of(jac[:, b])
        if "epe_nas" in names:
            res["epe_nas"][b] = _epe_nas_of(jac[:, b], y, num_classes)
        if "nwot" in names:
            res["nwot"][b] = _nwot_of(kmat[b])
    return res


class _ConvStack:
    """One conv position across the B networks (optionally ReLU before, BN after); absent = zero weights."""

    def __init__(self, seqs: list, device, dtype, *, relu: bool, bn: bool):
        convs = [None if s is None else (s if isinstance(s, nn.Conv2d) else
                                         next(m for m in s.modules() if isinstance(m, nn.Conv2d))) for s in seqs]
        ref = next(c for c in convs if c is not None)
        B = len(convs)
        w = torch.zeros((B, *ref.weight.shape), dtype=dtype, device=device)
        bw = torch.ones((B, ref.out_channels), dtype=dtype, device=device)
        bb = torch.zeros((B, ref.out_channels), dtype=dtype, device=device)
        self.eps = 1e-5
        for b, (s, c) in enumerate(zip(seqs, convs)):
            if c is None:
                continue
            if (c.weight.shape != ref.weight.shape or c.stride != ref.stride or c.padding != ref.padding
                    or c.dilation != ref.dilation or c.groups != 1 or c.bias is not None):
                raise TypeError("networks differ in a convolution's shape")
            w[b] = c.weight.detach().to(device=device, dtype=dtype)
            if bn:
                bns = [m for m in s.modules() if isinstance(m, nn.BatchNorm2d)]
                if len(bns) != 1:
                    raise TypeError("expected one BatchNorm2d after the convolution")
                if bns[0].affine:
                    bw[b] = bns[0].weight.detach().to(device=device, dtype=dtype)
                    bb[b] = bns[0].bias.detach().to(device=device, dtype=dtype)
                self.eps = bns[0].eps
        self.B, self.out = B, ref.out_channels
        self.stride, self.padding, self.dilation = ref.stride, ref.padding, ref.dilation
        self.fan_in = ref.weight[0].numel()
        self.mask = torch.tensor([c is not None for c in convs], dtype=torch.float64, device=device)
        self.weight = w.reshape(-1, *ref.weight.shape[1:]).requires_grad_(True)
        self.relu, self.bn = relu, bn
        self.bn_w, self.bn_b = bw.reshape(-1), bb.reshape(-1)

    def __call__(self, h: torch.Tensor, ctx: _Ctx) -> torch.Tensor:
        if self.relu:
            h = ctx.relu(h, self.mask)
        a = F.conv2d(h, self.weight, None, self.stride, self.padding, self.dilation, groups=self.B)
        if ctx.acts is not None:
            if a.requires_grad:
                a.retain_grad()
            ctx.acts.append((self, a))
        if self.bn:
            a = F.batch_norm(a, None, None, self.bn_w, self.bn_b, training=True, eps=self.eps)
        return a

    def per_network(self, t: torch.Tensor) -> torch.Tensor:
        """(B, -1) view of a weight-shaped tensor, float64."""
        return t.reshape(self.B, -1).double()


class GroupedNB201:
    """B ``NB201Network`` instances as one stacked network (see the module docstring)."""

    def __init__(self, nets: list, device, dtype=None):
        from ..models._layers import ResidualReduction
        from ..models.nb201 import NB201Cell, NB201Network

        if not nets or not all(type(n) is NB201Network for n in nets):
            raise TypeError("grouped proxies need NB201Network instances")
        layers = [list(n.cells) for n in nets]
        if len({len(ls) for ls in layers}) != 1:
            raise TypeError("networks differ in depth")
        dtype = dtype or nets[0].classifier.weight.dtype
        self.B, self.device, self.dtype = len(nets), device, dtype
        self.stacks: list[_ConvStack] = []

        def stack(seqs, relu, bn=True):
            s = _ConvStack(seqs, device, dtype, relu=relu, bn=bn)
            self.stacks.append(s)
            return s

        self.in_channels = nets[0].stem[0].in_channels
        self.stem = stack([n.stem for n in nets], relu=False)
        self.plan = []
        for pos in range(len(layers[0])):
            mods = [ls[pos] for ls in layers]
            if all(isinstance(m, ResidualReduction) for m in mods):
                if not all(isinstance(m.downsample, nn.Sequential) for m in mods):
                    raise TypeError("only stride-2 residual reductions are supported")
                self.plan.append(("reduce", stack([m.conv_a for m in mods], True),
                                  stack([m.conv_b for m in mods], True),
                                  stack([m.downsample[1] for m in mods], False, bn=False)))
            elif all(isinstance(m, NB201Cell) for m in mods):
                codes = np.array([m.codes for m in mods])  # (B, 6)
                edges = []
                for e in range(6):
                    ops = {code: stack([m.edges[e] if c == code else None for m, c in zip(mods, codes[:, e])], True)
                           for code in (2, 3) if (codes[:, e] == code).any()}
                    masks = {code: torch.tensor(codes[:, e] == code, dtype=dtype, device=device) for code in (1, 4)}
                    edges.append((ops, masks))
                self.plan.append(("cell", edges))
            else:
                raise TypeError("networks differ in their layer sequence")
        last = [n.lastact[0] for n in nets]
        self.last_w = torch.stack([m.weight.detach() for m in last]).to(device, dtype).reshape(-1)
        self.last_b = torch.stack([m.bias.detach() for m in last]).to(device, dtype).reshape(-1)
        self.last_eps = last[0].eps
        lin = [n.classifier for n in nets]
        self.lin_w = torch.stack([m.weight.detach() for m in lin]).to(device, dtype).requires_grad_(True)
        self.lin_b = torch.stack([m.bias.detach() for m in lin]).to(device, dtype)
        self.in_features = lin[0].in_features

    def weights(self) -> list[torch.Tensor]:
        return [s.weight for s in self.stacks] + [self.lin_w]

    def forward(self, x: torch.Tensor, ctx: _Ctx) -> torch.Tensor:
        """x (N, B*C_in, H, W) -> logits (N, B, K)."""
        B = self.B
        x = self.stem(x, ctx)
        for step in self.plan:
            if step[0] == "reduce":
                _, a, b_, down = step
                x = down(F.avg_pool2d(x, 2, 2), ctx) + b_(a(x, ctx), ctx)
                continue
            c = x.shape[1] // B
            nodes = [x]
            for j in range(1, 4):
                acc = torch.zeros_like(x)
                for e, (i, jj) in enumerate(_EDGES):
                    if jj != j:
                        continue
                    ops, masks = step[1][e]
                    h = nodes[i]
                    if masks[1].any():
                        acc = acc + _expand(masks[1], c) * h
                    if masks[4].any():
                        acc = acc + _expand(masks[4], c) * F.avg_pool2d(h, 3, 1, 1, count_include_pad=False)
                    for st in ops.values():
                        acc = acc + _expand(st.mask.to(x.dtype), c) * st(h, ctx)
                nodes.append(acc)
            x = nodes[3]
        x = F.batch_norm(x, None, None, self.last_w, self.last_b, training=True, eps=self.last_eps)
        x = ctx.relu(x, torch.ones(B, dtype=torch.float64, device=x.device))
        feat = x.mean(dim=(2, 3)).reshape(x.shape[0], B, -1)  # (N, B, C)
        logits = torch.einsum("nbc,bkc->nbk", feat, self.lin_w) + self.lin_b
        if ctx.acts is not None:
            if logits.requires_grad:
                logits.retain_grad()
            ctx.acts.append(("linear", logits))
        return logits

    def _rep(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(self.device, self.dtype).repeat(1, self.B, 1, 1)

    def _loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return network_losses_sum(logits, y)

    def loss_family(self, x, y, names) -> dict[str, np.ndarray]:
        ctx = _Ctx(self.B, x.shape[0], acts="fisher" in names, relu=False, device=self.device)
        for w in self.weights():
            w.grad = None
        self._loss(self.forward(self._rep(x), ctx), y).backward()
        for w in self.weights():  # a stack outside the loss's graph (all its inputs dead): saliency 0
            if w.grad is None:
                w.grad = torch.zeros_like(w)
        out = {}
        pairs = [(s, s.weight) for s in self.stacks]
        lin = self.lin_w
        if "snip" in names:
            out["snip"] = self._sum(pairs, lin, lambda w, g: (w * g).abs())
        if "plain" in names:
            out["plain"] = self._sum(pairs, lin, lambda w, g: w * g)
        if "grad_norm" in names:
            tot = sum(s.per_network(s.weight.grad).norm(dim=1) * s.mask for s, _ in pairs)
            out["grad_norm"] = (tot + lin.grad.reshape(self.B, -1).double().norm(dim=1)).cpu().numpy()
        if "fisher" in names:
            tot = torch.zeros(self.B, dtype=torch.float64, device=self.device)
            for s, a in ctx.acts:
                if a.grad is None:
                    continue
                prod = (a.detach() * a.grad).double()
                if s == "linear":  # (N, B, K)
                    tot = tot + self.in_features * (0.5 * prod.pow(2).mean(dim=0)).sum(dim=1)
                    continue
                n = prod.shape[0]
                per = prod.reshape(n, self.B, s.out, -1).sum(dim=3)  # (N, B, out)
                tot = tot + s.mask * s.fan_in * (0.5 * per.pow(2).mean(dim=0)).sum(dim=1)
            out["fisher"] = tot.cpu().numpy()
        return out

    def _sum(self, pairs, lin, f) -> np.ndarray:
        tot = sum((s.per_network(f(w.detach(), w.grad)).sum(dim=1) for s, w in pairs))
        return (tot + f(lin.detach(), lin.grad).reshape(self.B, -1).double().sum(dim=1)).cpu().numpy()

    def jacobian_family(self, x, y, names, num_classes) -> dict[str, np.ndarray]:
        ctx = _Ctx(self.B, x.shape[0], acts=False, relu="nwot" in names, device=self.device)
        xr = self._rep(x).detach().requires_grad_(True)
        out = self.forward(xr, ctx)
        if out.requires_grad:
            out.backward(torch.ones_like(out))
        grad = torch.zeros_like(xr) if xr.grad is None else xr.grad  # no input-output path in any network
        return jacobian_readout(grad, ctx.kmat, self.B, x.shape[0], y, names, num_classes)

    def grasp(self, x, y) -> np.ndarray:
        ws = self.weights()
        xr = self._rep(x)
        ctx = _Ctx(self.B, x.shape[0], acts=False, relu=False, device=self.device)
        g = torch.autograd.grad(self._loss(self.forward(xr, ctx), y), ws, allow_unused=True)
        g = [torch.zeros_like(w) if gi is None else gi.detach() for w, gi in zip(ws, g)]
        g_graph = torch.autograd.grad(self._loss(self.forward(xr, ctx), y), ws, create_graph=True, allow_unused=True)
        z = sum((gd * gg).sum() for gd, gg in zip(g, g_graph) if gg is not None)
        tot = torch.zeros(self.B, dtype=torch.float64, device=self.device)
        if not isinstance(z, torch.Tensor) or not z.requires_grad:
            return tot.cpu().numpy()  # no weight reaches the loss with curvature: 0, as one at a time
        hg = torch.autograd.grad(z, ws, allow_unused=True)
        for w, h in zip(ws, hg):
            if h is not None:
                tot = tot + (-w.detach() * h).reshape(self.B, -1).double().sum(dim=1)
        return tot.cpu().numpy()


def grouped_nb201_proxies(nets: list, x: torch.Tensor, y: torch.Tensor, names, *, num_classes: int = 10,
                          device=None) -> dict[str, np.ndarray]:
    """Proxies ``names`` (a subset of ``GROUPED_PROXIES``) of every network in ``nets`` from shared grouped
    passes. Returns {name: (len(nets),) float64}. ``TypeError`` if ``nets`` are not all NB201 networks."""
    bad = set(names) - set(GROUPED_PROXIES)
    if bad:
        raise ValueError(f"no grouped form for {sorted(bad)}; grouped: {', '.join(GROUPED_PROXIES)}")
    dev = x.device if device is None else torch.device(device)
    g = GroupedNB201(nets, dev)
    y = y.to(dev)
    out: dict[str, np.ndarray] = {}
    loss = [p for p in names if p in ("snip", "plain", "grad_norm", "fisher")]
    jac = [p for p in names if p in ("jacob_cov", "epe_nas", "nwot")]
    if loss:
        out.update(g.loss_family(x, y, loss))
    if jac:
        out.update(g.jacobian_family(x, y, jac, num_classes))
    if "grasp" in names:
        out["grasp"] = g.grasp(x, y)
    return out

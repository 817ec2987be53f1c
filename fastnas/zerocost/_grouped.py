"""synflow of many NAS-Bench-201 networks in ONE forward/backward pass (grouped convolutions).

B networks share the NB201 macro skeleton and differ only in the op on each cell edge. Stacking their
channels (B groups) turns every convolution into one grouped convolution (``groups=B``); an edge
computes each op kind present on that edge in any of the B networks and keeps, per network, only its
own op through a 0/1 mask. Weights of ops a network does not have are zero and masked out, so each
network's output, and its gradient, is exactly its own: networks never mix because groups are
independent and R = sum of all outputs differentiates to each network's own dR_b/dtheta_b.

The synflow definition is the one of ``_gradient.synflow`` (BN off, |theta|, float64, all-ones input,
sum over Conv2d/Linear weights of |theta * dR/dtheta|); ``tests/unit/test_zerocost_grouped.py`` checks
equality with the one-network-at-a-time path. Networks of another structure raise ``TypeError`` (the
caller then scores them one at a time).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def _conv_of(m: nn.Module) -> nn.Conv2d:
    """The Conv2d of a ReLU-Conv-BN op (or the Conv2d itself)."""
    if isinstance(m, nn.Conv2d):
        return m
    convs = [c for c in m.modules() if isinstance(c, nn.Conv2d)]
    if len(convs) != 1:
        raise TypeError(f"expected one Conv2d in {type(m).__name__}, found {len(convs)}")
    return convs[0]


class _Stack:
    """Stacked |weights| (float64) of one conv position across the B networks, with the networks' masks."""

    def __init__(self, convs: list[nn.Conv2d | None], device):
        ref = next(c for c in convs if c is not None)
        self.stride, self.padding = ref.stride, ref.padding
        w = torch.zeros((len(convs), *ref.weight.shape), dtype=torch.float64, device=device)
        for b, c in enumerate(convs):
            if c is not None:
                if c.weight.shape != ref.weight.shape or c.stride != ref.stride or c.padding != ref.padding:
                    raise TypeError("networks differ in a convolution's shape")
                w[b] = c.weight.detach().abs().double()
        self.mask = torch.tensor([c is not None for c in convs], dtype=torch.float64, device=device)
        self.weight = w.reshape(-1, *ref.weight.shape[1:]).requires_grad_(True)
        self.groups = len(convs)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, None, self.stride, self.padding, groups=self.groups)

    def per_network(self) -> torch.Tensor:
        g = self.weight.grad
        if g is None:
            return torch.zeros(self.groups, dtype=torch.float64, device=self.weight.device)
        return (self.weight.detach() * g).abs().reshape(self.groups, -1).sum(dim=1)


def _expand(mask: torch.Tensor, channels: int) -> torch.Tensor:
    return mask.repeat_interleave(channels).reshape(1, -1, 1, 1)


def synflow_nb201_grouped(nets: list[nn.Module], input_shape: tuple[int, ...], device) -> np.ndarray:
    """synflow of each ``NB201Network`` in ``nets``, computed in one grouped pass. ``(len(nets),)`` float64."""
    from ..models.nb201 import NB201Cell, NB201Network
    from ..models._layers import ResidualReduction

    if not nets or not all(type(n) is NB201Network for n in nets):
        raise TypeError("grouped synflow needs NB201Network instances")
    B = len(nets)
    stacks: list[_Stack] = []

    def stack(convs):
        s = _Stack(convs, device)
        stacks.append(s)
        return s

    layers = [list(n.cells) for n in nets]
    if len({len(ls) for ls in layers}) != 1:
        raise TypeError("networks differ in depth")
    stem = stack([_conv_of(n.stem[0]) for n in nets])
    plan = []
    for pos in range(len(layers[0])):
        mods = [ls[pos] for ls in layers]
        if all(isinstance(m, ResidualReduction) for m in mods):
            if not all(isinstance(m.downsample, nn.Sequential) for m in mods):
                raise TypeError("only stride-2 residual reductions are supported")
            plan.append(("reduce", stack([_conv_of(m.conv_a) for m in mods]), stack([_conv_of(m.conv_b) for m in mods]),
                         stack([_conv_of(m.downsample[1]) for m in mods])))
        elif all(isinstance(m, NB201Cell) for m in mods):
            codes = np.array([m.codes for m in mods])  # (B, 6)
            edges = []
            for e in range(6):
                ops = {}
                for code in (2, 3):
                    if (codes[:, e] == code).any():
                        ops[code] = stack([_conv_of(m.edges[e]) if c == code else None
                                           for m, c in zip(mods, codes[:, e])])
                masks = {code: torch.tensor(codes[:, e] == code, dtype=torch.float64, device=device)
                         for code in (1, 4)}
                edges.append((ops, masks))
            plan.append(("cell", edges))
        else:
            raise TypeError("networks differ in their layer sequence")
    lin = [n.classifier for n in nets]
    wl = torch.stack([m.weight.detach().abs().double() for m in lin]).to(device).requires_grad_(True)
    bl = torch.stack([m.bias.detach().abs().double() for m in lin]).to(device)

    edge_io = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
    x = torch.ones((1, B * input_shape[0], *input_shape[1:]), dtype=torch.float64, device=device)
    x = stem(x)  # stem BN is off
    for step in plan:
        if step[0] == "reduce":
            _, a, b_, down = step
            x = down(F.avg_pool2d(x, 2, 2)) + b_(F.relu(a(F.relu(x))))
            continue
        c = x.shape[1] // B
        nodes = [x]
        for j in range(1, 4):
            acc = torch.zeros_like(x)
            for e, (i, jj) in enumerate(edge_io):
                if jj != j:
                    continue
                ops, masks = step[1][e]
                h = nodes[i]
                if masks[1].any():
                    acc = acc + _expand(masks[1], c) * h
                if masks[4].any():
                    pooled = F.avg_pool2d(h, 3, 1, 1, count_include_pad=False)
                    acc = acc + _expand(masks[4], c) * pooled
                for st in ops.values():
                    acc = acc + _expand(st.mask, c) * st(F.relu(h))
            nodes.append(acc)
        x = nodes[3]
    x = F.relu(x)  # last BN off, then ReLU
    feat = x.mean(dim=(2, 3)).reshape(B, -1)
    out = torch.einsum("bc,bkc->bk", feat, wl) + bl
    out.sum().backward()
    total = sum(s.per_network() for s in stacks) + (wl.detach() * wl.grad).abs().reshape(B, -1).sum(dim=1)
    return total.detach().cpu().numpy().astype(np.float64)

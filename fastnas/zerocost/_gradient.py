"""Gradient-based (pruning-at-initialisation) proxies: synflow, snip, grasp, fisher, grad_norm, plain.

Definitions: the project's NAS definitions notes (NAS-DEFINITIONS, section 6) and Abdelfattah et al. 2021,
"Zero-Cost Proxies for Lightweight NAS" (ICLR), which adapts SNIP (Lee et al. 2019), GraSP (Wang et al.
2020), SynFlow (Tanaka et al. 2020) and Fisher (Theis et al. 2018; Turner et al. 2020) to whole-network
scores by summing the per-parameter saliencies over the weights of every Conv2d and Linear layer.

Each function takes a freshly initialised network that it may modify (the caller passes a copy), one
minibatch ``x`` (N, C, H, W) and integer labels ``y`` (N,), and returns a Python float.
"""
from __future__ import annotations

import torch
from torch import nn

from ._layers import cross_entropy, logits_of, measured_layers, without_batchnorm


def _grad_or_zero(w: torch.Tensor) -> torch.Tensor:
    # a layer outside the loss's graph (e.g. behind a `none` edge) has no gradient: its saliency is 0
    return torch.zeros_like(w) if w.grad is None else w.grad


def synflow(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None) -> float:
    """SynFlow: sum over Conv2d/Linear weights of ``|theta * dR/dtheta|``.

    Data-free: batch norm removed, every parameter and buffer replaced by its absolute value, float64,
    one all-ones input of the shape of a sample of ``x``; R is the sum of the network's outputs.
    """
    net = without_batchnorm(model).double()
    with torch.no_grad():
        for p in net.state_dict().values():
            if p.is_floating_point():
                p.abs_()
    net.zero_grad(set_to_none=True)
    ones = torch.ones((1, *x.shape[1:]), dtype=torch.float64, device=x.device)
    logits_of(net(ones)).sum().backward()
    total = torch.zeros((), dtype=torch.float64, device=x.device)
    for layer in measured_layers(net):
        total = total + (layer.weight.detach() * _grad_or_zero(layer.weight)).abs().sum()
    return float(total)


def snip(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """SNIP: sum over Conv2d/Linear weights of ``|theta * dL/dtheta|``, L the minibatch cross-entropy."""
    return loss_gradient_proxies(model, x, y, ("snip",))["snip"]


def plain(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """plain: sum over Conv2d/Linear weights of ``theta * dL/dtheta`` (no absolute value)."""
    return loss_gradient_proxies(model, x, y, ("plain",))["plain"]


def grad_norm(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """grad_norm: sum over Conv2d/Linear layers of the Frobenius norm of ``dL/dW``."""
    return loss_gradient_proxies(model, x, y, ("grad_norm",))["grad_norm"]


def grasp(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """GraSP: sum over Conv2d/Linear weights of ``-theta * (H g)``.

    ``g`` is the loss gradient with respect to those weights, ``H`` the Hessian of the loss; ``H g`` is
    the gradient of ``g_detached . g`` (a Hessian-vector product, never forming H).
    """
    model.train()
    model.zero_grad(set_to_none=True)
    weights = [m.weight for m in measured_layers(model)]
    loss = cross_entropy(logits_of(model(x)), y)
    g = torch.autograd.grad(loss, weights, allow_unused=True)
    g = [torch.zeros_like(w) if gi is None else gi.detach() for w, gi in zip(weights, g)]
    loss = cross_entropy(logits_of(model(x)), y)
    g_graph = torch.autograd.grad(loss, weights, create_graph=True, allow_unused=True)
    z = sum((gd * gg).sum() for gd, gg in zip(g, g_graph) if gg is not None)
    if not isinstance(z, torch.Tensor) or not z.requires_grad:
        return 0.0
    hg = torch.autograd.grad(z, weights, allow_unused=True)
    return float(sum((-w.detach() * h).sum().double() for w, h in zip(weights, hg) if h is not None))


def fisher(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fisher (Theis et al. 2018; Turner et al. 2020), as Abdelfattah et al. 2021 compute it.

    For every Conv2d/Linear layer with output activation ``a`` (the layer's own output, bias included,
    shape (N, K, ...)) and its loss gradient ``g = dL/da``, per output channel k::

        F_k = 0.5 * mean_n (sum over positions of a[n, k] * g[n, k])^2

    The reference code (zero-cost-nas ``foresight/pruners/measures/fisher.py``, copied by NASLib's
    ``naslib/predictors/utils/pruners/measures/fisher.py`` and used for NAS-Bench-Suite-Zero) broadcasts
    ``F_k`` to every weight of channel k and then sums over weights, so a layer contributes
    ``sum_k F_k * fan_in`` with ``fan_in = weight[k].numel()`` = ``C_in / groups * k_h * k_w`` for
    Conv2d (a depthwise conv counts ``k_h * k_w``) and ``in_features`` for Linear. The score is the sum
    over layers. A layer outside the loss's graph (no gradient) contributes 0, as in the reference.
    Before 2026-11-30 fastnas left out the factor ``fan_in`` (another ranking; see docs/zerocost.md).
    """
    return loss_gradient_proxies(model, x, y, ("fisher",))["fisher"]


LOSS_FAMILY = ("snip", "plain", "grad_norm", "fisher")


def loss_gradient_proxies(model: nn.Module, x: torch.Tensor, y: torch.Tensor, names=LOSS_FAMILY) -> dict:
    """snip, plain, grad_norm and fisher (any subset ``names``) from ONE forward/backward of the minibatch
    cross-entropy: they all read the same gradients, so sharing the pass gives each the value of its own
    function (these functions are thin wrappers around this one). Returns {name: float}.
    """
    bad = set(names) - set(LOSS_FAMILY)
    if bad:
        raise ValueError(f"not a loss-gradient proxy: {sorted(bad)}; valid: {', '.join(LOSS_FAMILY)}")
    model.train()
    model.zero_grad(set_to_none=True)
    layers = measured_layers(model)
    acts: list[tuple[int, torch.Tensor]] = []

    def hook_for(fan_in: int):
        def keep(_module, _inp, out):
            if out.requires_grad:
                out.retain_grad()
            acts.append((fan_in, out))
        return keep

    handles = [m.register_forward_hook(hook_for(m.weight[0].numel())) for m in layers] if "fisher" in names else []
    try:
        loss = cross_entropy(logits_of(model(x)), y)
        loss.backward()
    finally:
        for h in handles:
            h.remove()
    out = {}
    if "snip" in names:
        out["snip"] = float(sum((m.weight.detach() * _grad_or_zero(m.weight)).abs().sum().double() for m in layers))
    if "plain" in names:
        out["plain"] = float(sum((m.weight.detach() * _grad_or_zero(m.weight)).sum().double() for m in layers))
    if "grad_norm" in names:
        out["grad_norm"] = float(sum(_grad_or_zero(m.weight).norm().double() for m in layers))
    if "fisher" in names:
        total = torch.zeros((), dtype=torch.float64, device=x.device)
        for fan_in, a in acts:
            if a.grad is None:
                continue
            prod = (a.detach() * a.grad).double()
            per_sample = prod.sum(dim=tuple(range(2, prod.ndim))) if prod.ndim > 2 else prod
            total = total + fan_in * (0.5 * per_sample.pow(2).mean(dim=0)).sum()
        out["fisher"] = float(total)
    return out

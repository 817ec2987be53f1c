"""Jacobian- and activation-based proxies: jacob_cov, nwot, epe_nas, zen.

Sources: jacob_cov -- Mellor et al. 2020, "Neural Architecture Search without Training" (arXiv v1),
as used by Abdelfattah et al. 2021; nwot -- Mellor et al. 2021 (ICML), the log-determinant of the
binary-code kernel over ReLUs; epe_nas -- Lopes et al. 2021, "EPE-NAS" (ICANN), per-class Jacobian
correlations; zen -- Lin et al. 2021, "Zen-NAS" (ICCV), Zen-score.
"""
from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn

from ._layers import logits_of

_K = 1e-5


def input_jacobian(model: nn.Module, x: torch.Tensor, relu_kernel: bool = False):
    """J (N, D): row n is d(sum of all outputs)/d(x_n), flattened, float64 (batch norm in training
    mode couples the samples; the definition differentiates the batch sum, as Mellor et al. do).

    With ``relu_kernel=True`` also returns nwot's kernel K (N, N) from the same forward pass."""
    model.train()
    model.zero_grad(set_to_none=True)
    xg = x.detach().clone().requires_grad_(True)
    kmat, handles = _relu_kernel_hooks(model, x.shape[0]) if relu_kernel else (None, [])
    try:
        out = logits_of(model(xg))
    finally:
        for h in handles:
            h.remove()
    if out.requires_grad:
        out.backward(torch.ones_like(out))
    if xg.grad is None:  # the output does not depend on the input (e.g. an all-`none` cell)
        jac = np.zeros((x.shape[0], int(np.prod(x.shape[1:]))))
    else:
        jac = xg.grad.detach().reshape(x.shape[0], -1).double().cpu().numpy()
    return (jac, kmat[0]) if relu_kernel else jac


def _relu_kernel_hooks(model: nn.Module, n: int):
    """Forward hooks on every ``nn.ReLU`` adding ``c c^T + (1-c)(1-c)^T`` of the binary codes of its
    input (pre-activation > 0) to K; returns ([K] updated in place, handles)."""
    box = [torch.zeros((n, n), dtype=torch.float64)]

    def add(_module, inp, _out):
        c = (inp[0].detach().reshape(n, -1) > 0).double()
        box[0] = box[0].to(c.device) + c @ c.T + (1.0 - c) @ (1.0 - c).T

    return box, [m.register_forward_hook(add) for m in model.modules() if isinstance(m, nn.ReLU)]


def _corrcoef(rows: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.atleast_2d(np.corrcoef(rows))


def jacob_cov(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None) -> float:
    """jacob_cov: ``-sum(log(l + 1e-5) + 1/(l + 1e-5))`` over the eigenvalues ``l`` of the correlation
    matrix of the per-sample input Jacobians (symmetric eigen-solver ``numpy.linalg.eigvalsh``)."""
    return _jacob_cov_of(input_jacobian(model, x))


def _jacob_cov_of(jac: np.ndarray) -> float:
    c = _corrcoef(jac)
    if not np.all(np.isfinite(c)):
        return float("nan")  # a constant Jacobian row has no correlation: reported, not patched
    lam = np.linalg.eigvalsh(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(-np.sum(np.log(lam + _K) + 1.0 / (lam + _K)))


def epe_nas(model: nn.Module, x: torch.Tensor, y: torch.Tensor, num_classes: int = 10) -> float:
    """EPE-NAS: for each class c present in the batch, ``s_c = sum(log(|corr(J_c)| + 1e-5))`` over the
    correlation matrix of that class's Jacobian rows; score ``sum_c |s_c|`` when ``num_classes <= 100``,
    else ``sum_{c, c'} |s_c - s_c'| / (number of classes seen)`` (Lopes et al. 2021, eq. 3-4)."""
    return _epe_nas_of(input_jacobian(model, x), y, num_classes)


def _epe_nas_of(jac: np.ndarray, y: torch.Tensor, num_classes: int) -> float:
    labels = y.detach().cpu().numpy()
    s = {}
    for c in np.unique(labels):
        corr = _corrcoef(jac[labels == c])
        with np.errstate(invalid="ignore", divide="ignore"):
            v = float(np.sum(np.log(np.abs(corr) + _K)))
        if num_classes > 100:
            v /= corr.shape[0]
        s[int(c)] = v
    vals = np.array(list(s.values()), dtype=np.float64)
    if num_classes <= 100:
        return float(np.sum(np.abs(vals)))
    return float(np.sum(np.abs(vals[:, None] - vals[None, :])) / max(len(vals), 1))


def nwot(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None) -> float:
    """NASWOT: ``log|det K|`` with ``K = sum over ReLUs of (c c^T + (1-c)(1-c)^T)``, ``c`` the binary
    activation code (pre-activation > 0) of each sample at that ReLU (Mellor et al. 2021, eq. 2).

    Only ``nn.ReLU`` modules are seen (a functional ``F.relu`` has no hook point)."""
    box, handles = _relu_kernel_hooks(model, x.shape[0])
    model.train()
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return _nwot_of(box[0])


def _nwot_of(kmat: torch.Tensor) -> float:
    sign, logdet = torch.linalg.slogdet(kmat)
    return float(logdet) if float(sign) != 0.0 else float("-inf")


JACOBIAN_FAMILY = ("jacob_cov", "epe_nas", "nwot")


def jacobian_proxies(model: nn.Module, x: torch.Tensor, y: torch.Tensor, names=JACOBIAN_FAMILY,
                     num_classes: int = 10) -> dict:
    """jacob_cov, epe_nas and nwot (any subset ``names``) from ONE forward/backward: the input Jacobian
    of the batch and the ReLU codes of the same training-mode forward pass. Each value equals its own
    function's (those run the same computation). Returns {name: float}."""
    bad = set(names) - set(JACOBIAN_FAMILY)
    if bad:
        raise ValueError(f"not a Jacobian/activation proxy: {sorted(bad)}; valid: {', '.join(JACOBIAN_FAMILY)}")
    if set(names) == {"nwot"}:
        return {"nwot": nwot(model, x, y)}
    jac, kmat = input_jacobian(model, x, relu_kernel=True)
    out = {}
    if "jacob_cov" in names:
        out["jacob_cov"] = _jacob_cov_of(jac)
    if "epe_nas" in names:
        out["epe_nas"] = _epe_nas_of(jac, y, num_classes)
    if "nwot" in names:
        out["nwot"] = _nwot_of(kmat)
    return out


def _pre_gap_output(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The feature map entering the last global pooling layer (the Zen-score's f(x)); the network's
    output when it has no ``AdaptiveAvgPool2d``."""
    pools = [m for m in model.modules() if isinstance(m, nn.AdaptiveAvgPool2d)]
    if not pools:
        return logits_of(model(x))
    seen: list[torch.Tensor] = []
    h = pools[-1].register_forward_hook(lambda _m, inp, _o: seen.append(inp[0]))
    try:
        model(x)
    finally:
        h.remove()
    return seen[-1]


def zen(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, seed: int = 0,
        mixup_gamma: float = 1e-2) -> float:
    """Zen-score (Lin et al. 2021, eq. 6): ``log E|f(x) - f(x + gamma eps)| + sum_BN log(sigma_bar)``.

    Weights of Conv2d/Linear re-drawn from N(0, 1) (biases 0), BN affine reset to identity; ``x, eps ~
    N(0, 1)`` of the shape of the minibatch (data-free); ``f`` the feature map entering the last global
    pooling layer; ``E|.|`` the batch mean of the per-sample L1 norm. ``sigma_bar = sqrt(mean of the BN's
    running_var)`` after the two training-mode passes from reset running statistics, as the authors' code
    (and NAS-Bench-Suite-Zero) compute it; the paper's batch standard deviation would be log(0) = -inf
    for every BN behind a dead (``none``-fed) branch. BNs without running statistics use the last
    pass's batch variance. Draw order: layer weights in module order, then x, then eps.
    """
    net = copy.deepcopy(model)
    gen = torch.Generator(device=x.device).manual_seed(int(seed) & 0x7FFFFFFFFFFFFFFF)
    bns = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    last_var: dict[int, torch.Tensor] = {}

    def keep_var(m, inp, _o):
        a = inp[0].double()
        dims = [d for d in range(a.ndim) if d != 1]
        last_var[id(m)] = a.var(dim=dims, unbiased=False)

    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen, device=x.device, dtype=m.weight.dtype))
                if m.bias is not None:
                    m.bias.zero_()
        for m in bns:
            if m.affine:
                m.weight.fill_(1.0)
                m.bias.zero_()
            if m.track_running_stats:
                m.reset_running_stats()
        xin = torch.randn(x.shape, generator=gen, device=x.device, dtype=x.dtype)
        eps = torch.randn(x.shape, generator=gen, device=x.device, dtype=x.dtype)
        net.train()
        handles = [m.register_forward_hook(keep_var) for m in bns]
        try:
            f0 = _pre_gap_output(net, xin)
            f1 = _pre_gap_output(net, xin + mixup_gamma * eps)
        finally:
            for h in handles:
                h.remove()
        delta = (f0 - f1).double().abs()
        dims = tuple(range(1, delta.ndim))
        nas = float(delta.sum(dim=dims).mean() if dims else delta.mean())
        log_bn = 0.0
        for m in bns:
            var = m.running_var if m.track_running_stats else last_var.get(id(m))
            if var is None:
                continue  # a BN the passes never reached
            v = float(var.double().mean())
            log_bn += 0.5 * math.log(v) if v > 0 else float("-inf")
        return (math.log(nas) if nas > 0 else float("-inf")) + log_bn

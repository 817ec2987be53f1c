"""Static proxies (no gradient): params, flops, l2_norm.

``params``: number of trainable parameters. ``flops``: multiply-accumulate operations of the Conv2d and
Linear layers for ONE input sample (the convention of NAS-Bench-201's FLOPs column, counted with
forward hooks on the real output shapes). ``l2_norm``: sum over Conv2d/Linear layers of the Frobenius
norm of the weight at initialisation (NAS-Bench-Suite-Zero, Krishnakumar et al. 2022).
"""
from __future__ import annotations

import torch
from torch import nn

from ._layers import measured_layers


def params(model: nn.Module, x: torch.Tensor | None = None, y: torch.Tensor | None = None) -> float:
    """Trainable parameter count."""
    return float(sum(p.numel() for p in model.parameters() if p.requires_grad))


def l2_norm(model: nn.Module, x: torch.Tensor | None = None, y: torch.Tensor | None = None) -> float:
    """Sum over Conv2d/Linear layers of ``||W||_F``."""
    return float(sum(m.weight.detach().double().norm() for m in measured_layers(model)))


def flops(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None) -> float:
    """Multiply-accumulates of Conv2d and Linear layers for one sample of the shape of ``x[0]``.

    Conv2d: ``out_elements * (in_channels / groups) * kh * kw``; Linear: ``in_features * out_features``.
    """
    total = 0

    def count(m, _inp, out):
        nonlocal total
        if isinstance(m, nn.Conv2d):
            kh, kw = m.kernel_size
            total += out[0].numel() * (m.in_channels // m.groups) * kh * kw
        else:
            total += m.in_features * m.out_features

    handles = [m.register_forward_hook(count) for m in measured_layers(model)]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(x[:1])
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return float(total)

"""Which modules the proxies measure, and small helpers shared by the proxy families.

Every per-layer proxy sums over the weights of ``Conv2d`` and ``Linear`` modules only (not biases,
not batch-norm affine parameters), as in Abdelfattah et al. 2021, "Zero-Cost Proxies for Lightweight
NAS" (ICLR), section 3 and their reference code's ``get_layer_metric_array``.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

MEASURED = (nn.Conv2d, nn.Linear)


def measured_layers(model: nn.Module) -> list[nn.Module]:
    """The Conv2d and Linear modules of ``model`` in registration order."""
    return [m for m in model.modules() if isinstance(m, MEASURED)]


def without_batchnorm(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` with every batch-norm layer replaced by the identity.

    synflow is defined with batch normalisation off (Tanaka et al. 2020; Abdelfattah et al. 2021 build
    the network with ``bn=False``): with BN on, the all-ones input gives zero-variance channels and the
    signal would be normalised away.
    """
    clone = copy.deepcopy(model)
    _strip_bn(clone)
    return clone


def _strip_bn(module: nn.Module) -> None:
    for name, child in list(module.named_children()):
        if isinstance(child, nn.modules.batchnorm._BatchNorm):
            setattr(module, name, nn.Identity())
        else:
            _strip_bn(child)


def cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of a minibatch (the loss of every loss-based proxy)."""
    if logits.ndim != 2:
        raise ValueError(f"the network must return (batch, classes) logits, got shape {tuple(logits.shape)}")
    return nn.functional.cross_entropy(logits, y)


def logits_of(out) -> torch.Tensor:
    """A network that returns a tuple (NATS-Bench networks return ``(features, logits)``) gives its
    last element; a tensor is returned as is."""
    if isinstance(out, (tuple, list)):
        out = out[-1]
    return out

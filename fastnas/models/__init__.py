"""Torch networks for every search space.

``build(space, cell)`` returns the network of a single cell (a batch of one); the per-space classes
(``NB201Network``, ``NB101Network``, ``DARTSNetwork``, ``GNNNetwork``) take the cell's arrays directly.
torch is imported only when a network class is first used.
"""
from __future__ import annotations

from ._build import build

__all__ = ["build", "NB201Network", "nb201_param_counts", "NB101Network", "DARTSNetwork", "GNNNetwork",
           "nbgraph_param_counts", "NBGRAPH_SETTINGS", "nb101_param_counts", "darts_param_counts"]

_LAZY = {
    "NB201Network": "fastnas.models.nb201",
    "nb201_param_counts": "fastnas.models.nb201",
    "NB101Network": "fastnas.models.nb101",
    "nb101_param_counts": "fastnas.models.nb101",
    "DARTSNetwork": "fastnas.models.darts",
    "darts_param_counts": "fastnas.models.darts",
    "GNNNetwork": "fastnas.models.nbgraph",
    "nbgraph_param_counts": "fastnas.models.nbgraph",
    "NBGRAPH_SETTINGS": "fastnas.models.nbgraph",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        from .._extras import require

        require("torch", f"fastnas.models.{name}")  # else: MissingExtraError saying pip install "fastnas[torch]"
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'fastnas.models' has no attribute {name!r}")

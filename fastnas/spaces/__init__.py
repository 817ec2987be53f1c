"""Cell search spaces behind one protocol (``SearchSpace``)."""
from __future__ import annotations

from ._cells import Cells
from ._protocol import SearchSpace, check_cells

__all__ = ["Cells", "SearchSpace", "check_cells", "NB101", "NB201", "DARTS", "NBGraph", "get_space", "SPACES"]

# name -> "module:Class", imported lazily (no import-time registry of instances)
SPACES = {
    "nb101": "fastnas.spaces.nb101:NB101",
    "nb201": "fastnas.spaces.nb201:NB201",
    "darts": "fastnas.spaces.darts:DARTS",
    "nbgraph": "fastnas.spaces.nbgraph:NBGraph",
}


def get_space(name: str, **params) -> SearchSpace:
    """A space instance by name (for the CLI and config files).

    >>> get_space("nb201")  # doctest: +SKIP
    NB201()
    """
    import importlib

    key = str(name).lower()
    if key not in SPACES:
        raise ValueError(f"unknown space {name!r}; valid: {', '.join(sorted(SPACES))}")
    mod, _, cls = SPACES[key].partition(":")
    return getattr(importlib.import_module(mod), cls)(**params)


def __getattr__(name):
    for key, spec in SPACES.items():
        mod, _, cls = spec.partition(":")
        if name == cls:
            import importlib

            return getattr(importlib.import_module(mod), cls)
    raise AttributeError(f"module 'fastnas.spaces' has no attribute {name!r}")

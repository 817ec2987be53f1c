"""fastnas: neural architecture search at compiled speed.

Search spaces (NB101, NB201, DARTS, NBGraph) as batches of integer arrays, tabular benchmarks,
performance predictors, NAS algorithms behind one ask/tell interface, and search simulations.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "show_config", "NB101", "NB201", "DARTS", "NBGraph"]


def show_config(file=None) -> dict:
    """Print (and return) which backends loaded and which one each hot operation uses.

    >>> cfg = show_config()  # doctest: +SKIP
    """
    import sys

    import numpy

    from . import _backend

    cfg = _backend.config()
    cfg["fastnas"] = __version__
    cfg["numpy"] = numpy.__version__
    try:
        import numba

        cfg["numba"] = numba.__version__
    except Exception:  # pragma: no cover
        cfg["numba"] = "not installed"
    try:
        from . import _core

        cfg["compiler"] = getattr(_core, "__compiler__", "?")
    except Exception:
        cfg["compiler"] = "extension not built"
    out = file or sys.stdout
    print(f"fastnas {cfg['fastnas']}  numpy {cfg['numpy']}  numba {cfg['numba']}", file=out)
    print(f"compiled core: {cfg['compiler']}", file=out)
    print(f"requested backend: {cfg['requested']}", file=out)
    for b, status in cfg["backends"].items():
        print(f"  backend {b:7s} {status}", file=out)
    for op, b in cfg["ops"].items():
        print(f"  {op:32s} {b}", file=out)
    return cfg


def __getattr__(name):  # lazy re-exports: importing fastnas loads nothing heavy
    if name in ("NB101", "NB201", "DARTS", "NBGraph"):
        from . import spaces

        return getattr(spaces, name)
    raise AttributeError(f"module 'fastnas' has no attribute {name!r}")

"""fastnas: neural architecture search at compiled speed.

Search spaces (NB101, NB201, DARTS, NBGraph) as batches of integer arrays, tabular benchmarks,
performance predictors, NAS algorithms behind one ask/tell interface, and search simulations.
Subpackages load on first use:

>>> import fastnas
>>> round(fastnas.nasbench.load("nb201", "cifar10-valid").best()[1], 2)
91.61
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
    import importlib.util

    from ._extras import EXTRAS, install_hint

    cfg["extras"] = {}
    for mod in ("torch", "xgboost", "lightgbm", "ray"):
        try:
            found = importlib.util.find_spec(mod) is not None
        except (ImportError, ValueError):
            found = False
        cfg["extras"][mod] = "installed" if found else f"missing ({install_hint(mod)})"
        print(f"  extra {EXTRAS[mod]:6s} {mod:10s} {cfg['extras'][mod]}", file=out)
    return cfg


#: subpackages loaded on first attribute access (PEP 562), as numpy and scipy do: ``import fastnas`` then
#: ``fastnas.nasbench.load(...)`` works, and importing fastnas itself loads nothing heavy. Those that need an
#: optional extra (``models`` networks, ``train``, ``zerocost``, ``automl``: torch) raise an ImportError naming
#: ``pip install "fastnas[torch]"`` when it is missing.
SUBMODULES = ("spaces", "nasbench", "search", "sim", "predictors", "models", "train", "zerocost", "automl",
              "testing")


def __getattr__(name):  # lazy re-exports: importing fastnas loads nothing heavy
    if name in ("NB101", "NB201", "DARTS", "NBGraph"):
        from . import spaces

        return getattr(spaces, name)
    if name in SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'fastnas' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__) | set(SUBMODULES))

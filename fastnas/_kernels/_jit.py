"""The one place that imports numba for the kernels.

``njit`` compiles with ``cache=True``; when numba is missing, kernels stay plain Python functions and
the backend table reports the numba backend as unavailable (it never silently substitutes them).
"""
from __future__ import annotations

try:  # numba is a hard dependency, but keep the package importable without it
    import numba as _numba

    HAVE_NUMBA = True
    NUMBA_ERROR = ""
except Exception as exc:  # pragma: no cover - exercised only without numba
    _numba = None
    HAVE_NUMBA = False
    NUMBA_ERROR = f"{type(exc).__name__}: {exc}"


def njit(*args, **kwargs):
    """``numba.njit(cache=True, ...)``; a no-op decorator when numba is unavailable."""
    kwargs.setdefault("cache", True)
    if not HAVE_NUMBA:
        if args and callable(args[0]):
            return args[0]
        return lambda f: f
    return _numba.njit(*args, **kwargs)


def prange(*args):
    if HAVE_NUMBA:
        return _numba.prange(*args)
    return range(*args)

"""Seeded weight initialisation that leaves torch's global RNG as it was.

Every network class takes ``seed=`` (keyword-only, default 0): its constructor runs inside
``torch.random.fork_rng(devices=[])`` with the CPU generator seeded from ``seed``, so the initial weights depend on
``seed`` alone and the caller's global torch RNG state is the same afterwards (networks are built on the CPU; CUDA
generators are never seeded or advanced). ``build(..., seed=s)`` gives the weights of
``torch.manual_seed(s); build(...)`` without that call's side effect.
"""
from __future__ import annotations

import contextlib
import functools
import inspect

__all__ = ["init_rng", "seeded_init"]


@contextlib.contextmanager
def init_rng(seed):
    """Run a block with the CPU torch generator seeded from ``seed`` (int >= 0, numpy Generator, or None for
    fresh OS entropy); the global generator's state is restored on exit, even on error.

    >>> import torch
    >>> before = torch.get_rng_state()
    >>> with init_rng(3):
    ...     a = torch.rand(2)
    >>> with init_rng(3):
    ...     b = torch.rand(2)
    >>> bool((a == b).all()), bool((torch.get_rng_state() == before).all())
    (True, True)
    """
    import torch

    from .._rng import base_seed

    s = int(base_seed(seed))  # validates: TypeError / ValueError for bool, negative, float, ...
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(s)  # CPU only: torch.manual_seed would also reseed CUDA for good
        yield


def seeded_init(cls):
    """Class decorator: ``cls(..., seed=0)`` initialises its weights under :func:`init_rng` (``seed`` is added to
    the constructor's signature as a keyword-only argument)."""
    orig = cls.__init__

    @functools.wraps(orig)
    def __init__(self, *args, seed=0, **kwargs):
        with init_rng(seed):
            orig(self, *args, **kwargs)

    sig = inspect.signature(orig)
    params = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    params.append(inspect.Parameter("seed", inspect.Parameter.KEYWORD_ONLY, default=0))
    params += [p for p in sig.parameters.values() if p.kind is inspect.Parameter.VAR_KEYWORD]
    __init__.__signature__ = sig.replace(parameters=params)
    del __init__.__wrapped__  # let inspect.signature report the new signature
    cls.__init__ = __init__
    return cls

"""Seeds: every random function takes ``seed`` (an int, a ``numpy.random.Generator`` or None) and turns
it into one 64-bit base seed for the kernels here. Nothing touches numpy's global RNG."""
from __future__ import annotations

import numpy as np

SeedLike = "int | np.random.Generator | None"


def base_seed(seed) -> np.uint64:
    """A uint64 base seed for a kernel call.

    An int is used as is (so ``seed=3`` means the same stream everywhere); a Generator yields one draw
    (and advances); None draws fresh OS entropy (non-reproducible, as numpy does).

    >>> int(base_seed(3))
    3
    """
    if seed is None:
        return np.uint64(np.random.default_rng().integers(0, 2**64, dtype=np.uint64))
    if isinstance(seed, np.random.Generator):
        return np.uint64(seed.integers(0, 2**64, dtype=np.uint64))
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError("seed must be an int, a numpy.random.Generator or None, not bool")
    if isinstance(seed, (int, np.integer)):
        s = int(seed)
        if s < 0 or s >= 2**64:
            raise ValueError(f"seed must be in [0, 2**64), got {s}")
        return np.uint64(s)
    raise TypeError(f"seed must be an int, a numpy.random.Generator or None, got {type(seed).__name__}")


def as_generator(seed) -> np.random.Generator:
    """A numpy Generator from a seed-like (a Generator is returned as is, so draws are shared)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng(int(base_seed(seed)))

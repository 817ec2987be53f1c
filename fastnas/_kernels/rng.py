"""splitmix64, bit-identical to ``src/rng.hpp``.

``mix64``/``stream_init``/``next_u64``/``below``/``uniform`` compile with numba for use inside kernels;
``PyRng`` is the plain-Python twin used by the reference implementations.
"""
from __future__ import annotations

import numpy as np

from ._jit import njit

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0


@njit(inline="always")
def mix64(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(inline="always")
def stream_init(base, row):
    """Initial state of stream ``row`` under base seed ``base`` (both uint64)."""
    return mix64(base ^ mix64(row + GOLDEN))


@njit
def next_u64(state):
    """Advance: returns (new_state, output). Kernels keep the state in a 1-element uint64 array
    or a local variable and call this."""
    state = state + GOLDEN
    return state, mix64(state)


@njit
def rng_stream(seed, row, n):
    out = np.empty(n, dtype=np.uint64)
    s = stream_init(np.uint64(seed), np.uint64(row))
    for i in range(n):
        s, out[i] = next_u64(s)
    return out


# ---------------------------------------------------------------- plain Python twin
_MASK = (1 << 64) - 1
_G = 0x9E3779B97F4A7C15


def py_mix64(z: int) -> int:
    z &= _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class PyRng:
    """Readable twin of ``fastnas::Rng`` (src/rng.hpp)."""

    __slots__ = ("state",)

    def __init__(self, base: int, row: int | None = None):
        base = int(base) & _MASK
        self.state = base if row is None else py_mix64(base ^ py_mix64((int(row) + _G) & _MASK))

    def next(self) -> int:
        self.state = (self.state + _G) & _MASK
        return py_mix64(self.state)

    def below(self, n: int) -> int:
        """Integer in [0, n)."""
        return self.next() % n

    def uniform(self) -> float:
        """Float in [0, 1) with 53 random bits."""
        return (self.next() >> 11) * _INV53


def py_rng_stream(seed: int, row: int, n: int) -> np.ndarray:
    r = PyRng(seed, row)
    return np.array([r.next() for _ in range(n)], dtype=np.uint64)

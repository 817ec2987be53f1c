"""NAS-Bench-201 conversions between the official ops representation and the formats in circulation.

Every converter is batched and exact; each ``from_*`` inverts its ``to_*`` (tested over all 15,625 cells).
Conventions (see ``docs/nb201.md``):

* ops: (N, 6) int8, edges in arch-string order (0,1),(0,2),(1,2),(0,3),(1,3),(2,3), official op codes
  0 none, 1 skip_connect, 2 nor_conv_1x1, 3 nor_conv_3x3, 4 avg_pool_3x3 (NAS-Bench-201, Dong & Yang 2020).
* code: base-5 integer in [0, 15625), ``ops[0]`` MOST significant: code = sum_e ops[e] * 5**(5 - e), so codes
  sort like the op rows lexicographically.
* index: the official NAS-Bench-201 / NATS-Bench (tss) benchmark index (vendored order,
  ``fastnas/data/nb201_index.npy``).
* NASLib: edge order (0,1),(0,2),(0,3),(1,2),(1,3),(2,3), ops 0 skip, 1 none, 2 conv3x3, 3 conv1x1, 4 avg_pool.
* naszilla: arch-string edge order, ops alphabetical: 0 avg_pool_3x3, 1 nor_conv_1x1, 2 nor_conv_3x3,
  3 none, 4 skip_connect (naszilla ``cell_201.py`` ``OPS``).
* matrix: (N, 4, 4) int8, ``m[i, j]`` = official op code of edge i -> j for i < j (0 = none = no edge),
  zero on and below the diagonal.
"""
from __future__ import annotations

import functools
import re
from importlib import resources

import numpy as np

from .. import _backend
from .._kernels.nb201_ref import N_CELLS, NASLIB_EDGE, NASLIB_OP, NASZILLA_OP, format_string, parse_string  # noqa: F401

_IDENTITY = np.arange(6, dtype=np.int64)
_NASLIB_PERM = np.array(NASLIB_EDGE, dtype=np.int64)  # self-inverse (swaps positions 2 and 3)
_NASLIB_LUT = np.array(NASLIB_OP, dtype=np.int8)  # self-inverse
_NASZILLA_LUT = np.array(NASZILLA_OP, dtype=np.int8)
_NASZILLA_INV = np.argsort(_NASZILLA_LUT).astype(np.int8)
NASZILLA_OPS = ("avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3", "none", "skip_connect")
NASLIB_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")


def as_int_array(x, what: str, ndim: int | None = None, dtype=np.int64) -> np.ndarray:
    """An integer array of ``dtype``; ValueError for non-integers or values ``dtype`` cannot hold."""
    try:
        a = np.asarray(x)
    except Exception as exc:
        raise ValueError(f"{what}: cannot make an array ({exc})") from None
    if a.dtype.kind in "iub" and np.can_cast(a.dtype, dtype):  # every value fits: no range scan (~3 us)
        if ndim is not None and a.ndim != ndim:
            raise ValueError(f"{what} must be {ndim}-dimensional, got shape {a.shape}")
        return np.array(a, dtype=dtype, order="C")  # a copy, as below
    if a.dtype == object or a.dtype.kind not in "iub":
        if a.dtype.kind == "f" and a.size and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
            pass  # integral floats are accepted
        elif a.size == 0 and a.dtype.kind == "f":
            pass
        else:
            raise ValueError(f"{what} must hold integers, got dtype {a.dtype}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{what} must be {ndim}-dimensional, got shape {a.shape}")
    info = np.iinfo(dtype)
    if a.size and (a.min() < info.min or a.max() > info.max):
        flat = int(np.flatnonzero((a < info.min) | (a > info.max))[0])
        where = f"row {np.unravel_index(flat, a.shape)[0]}" if a.ndim else "the value"
        raise ValueError(f"{what}: {where} is outside [{info.min}, {info.max}]")
    return np.ascontiguousarray(a.astype(dtype))


def ops_array(x, what: str = "ops") -> np.ndarray:
    """(N, 6) int8 ops from an array-like; a single row of 6 is promoted to a batch of one."""
    a = as_int_array(x, what, dtype=np.int8) if not isinstance(x, np.ndarray) or x.dtype != np.int8 else x
    if a.ndim == 1 and a.shape[0] == 6:
        a = a[None, :]
    if a.ndim != 2 or a.shape[1] != 6:
        raise ValueError(f"{what} must have shape (N, 6), got {a.shape}")
    return np.ascontiguousarray(a)


# ---------------------------------------------------------------- code and index
def to_code(ops: np.ndarray) -> np.ndarray:
    return _backend.get("nb201_to_code")(ops)


def from_code(codes) -> np.ndarray:
    c = as_int_array(codes, "codes")
    if c.ndim == 0:
        c = c[None]
    if c.ndim != 1:
        raise ValueError(f"codes must be 1-dimensional, got shape {c.shape}")
    return _backend.get("nb201_from_code")(c)


@functools.cache
def index_to_code() -> np.ndarray:
    """Official index -> code (vendored from NATS-Bench, see fastnas/data/NOTICE-nb201-index.txt)."""
    with resources.files("fastnas").joinpath("data", "nb201_index.npy").open("rb") as f:
        tab = np.load(f, allow_pickle=False).astype(np.int64)
    if tab.shape != (N_CELLS,) or not np.array_equal(np.sort(tab), np.arange(N_CELLS)):
        raise RuntimeError("fastnas/data/nb201_index.npy is corrupt: not a permutation of the 15,625 codes")
    tab.flags.writeable = False
    return tab


@functools.cache
def ops_by_code() -> np.ndarray:
    """(15625, 6) int8 op rows in code order (read-only): row c is ``from_code(c)`` (one-code fast path)."""
    ops = _backend.get("nb201_from_code")(np.arange(N_CELLS, dtype=np.int64))
    ops.flags.writeable = False
    return ops


@functools.cache
def code_to_index() -> np.ndarray:
    inv = np.empty(N_CELLS, dtype=np.int64)
    inv[index_to_code()] = np.arange(N_CELLS)
    inv.flags.writeable = False
    return inv


def from_index(index) -> np.ndarray:
    i = as_int_array(index, "index")
    if i.ndim == 0:
        i = i[None]
    if i.ndim != 1:
        raise ValueError(f"index must be 1-dimensional, got shape {i.shape}")
    bad = np.flatnonzero((i < 0) | (i >= N_CELLS))
    if bad.size:
        raise ValueError(f"row {int(bad[0])}: index {int(i[bad[0]])} out of range [0, 15625)")
    return from_code(index_to_code()[i])


def to_index(ops: np.ndarray) -> np.ndarray:
    return code_to_index()[to_code(ops)]


# ---------------------------------------------------------------- arch strings
@functools.cache
def _string_table() -> np.ndarray:
    """code -> arch string (an object array built once: to_strings is then one gather)."""
    rows = _backend.get("nb201_from_code")(np.arange(N_CELLS, dtype=np.int64)).tolist()
    return np.array([format_string(r) for r in rows], dtype=object)


_INDEX_OF_STRING: dict[str, int] | None = None
#: official arch string -> its index as a (1,) int64 read-only view (the result of ``strings_to_index(s)``,
#: made once per string: a one-string call is then one dict lookup). Filled in place by ``_index_of_string``
#: (callers may hold a reference to it); about 2 MB for the 15,625 views.
ONE_INDEX: dict[str, np.ndarray] = {}
#: official arch string -> its (1, 6) int8 op row as a read-only view (``from_strings(s)``'s array), likewise
ONE_OPS: dict[str, np.ndarray] = {}


def _index_of_string() -> dict[str, int]:
    """Official arch string -> benchmark index, for the 15,625 cells (built on first use, about 10 ms)."""
    global _INDEX_OF_STRING
    if _INDEX_OF_STRING is None:
        strings = _string_table()[index_to_code()].tolist()
        index = {s: i for i, s in enumerate(strings)}
        ar, ops = _arange(), ops_by_index()
        ONE_INDEX.update((s, ar[i:i + 1]) for i, s in enumerate(strings))
        ONE_OPS.update((s, ops[i:i + 1]) for i, s in enumerate(strings))
        _INDEX_OF_STRING = index
    return _INDEX_OF_STRING


@functools.cache
def string_index():
    """Read-only mapping official arch string -> benchmark index (a view of the cached dict)."""
    import types

    return types.MappingProxyType(_index_of_string())


@functools.cache
def ops_by_index() -> np.ndarray:
    """(15625, 6) int8 op rows in official index order (read-only): row i is ``from_index(i)``."""
    ops = _backend.get("nb201_from_code")(np.ascontiguousarray(index_to_code()))
    ops.flags.writeable = False
    return ops


_ARANGE: np.ndarray | None = None


def _arange() -> np.ndarray:
    global _ARANGE
    if _ARANGE is None:
        a = np.arange(N_CELLS, dtype=np.int64)
        a.flags.writeable = False
        _ARANGE = a
    return _ARANGE


def one_string_ops(s: str) -> np.ndarray | None:
    """(1, 6) read-only op row of one official arch string (a cached dict lookup), None if not exact."""
    return (ONE_OPS if _INDEX_OF_STRING is not None else (_index_of_string(), ONE_OPS)[1]).get(s)


def strings_to_index(strings) -> np.ndarray:
    """Benchmark index (int64) per arch string; one string costs a dict lookup."""
    if isinstance(strings, str):
        one = (ONE_INDEX if _INDEX_OF_STRING is not None else (_index_of_string(), ONE_INDEX)[1]).get(strings)
        if one is not None:
            return one
        return to_index(from_strings(strings))  # raises naming what is wrong with the string
    table = _index_of_string()
    if not isinstance(strings, (list, tuple)):
        strings = list(strings)
    idx = [table.get(s) if isinstance(s, str) else None for s in strings]
    if None in idx:
        return to_index(from_strings(strings))  # non-canonical spellings are parsed, bad ones raise
    return np.array(idx, dtype=np.int64)


def from_strings(strings) -> np.ndarray:
    if isinstance(strings, str):
        strings = [strings]
    if not isinstance(strings, (list, tuple)):
        strings = list(strings)
    return _backend.get("nb201_parse_strings")(strings)


def to_strings(ops: np.ndarray) -> list[str]:
    return _string_table()[to_code(ops)].tolist()


# ---------------------------------------------------------------- NASLib and naszilla
_TUPLE = re.compile(r"^\s*[\(\[]\s*(\d+)\s*(?:,\s*(\d+)\s*){5}[\)\]]\s*$")


def _parse_naslib_string(s: str, row: int) -> list[int]:
    if not _TUPLE.match(s):
        raise ValueError(f"row {row}: malformed NASLib key {s!r}: expected 6 integers like '(4, 3, 3, 3, 2, 3)'")
    return [int(v) for v in re.findall(r"\d+", s)]


def _rows_from_any(x, what: str) -> np.ndarray:
    if isinstance(x, str):
        x = [x]
    if isinstance(x, np.ndarray):
        return ops_array(x, what)
    x = list(x)
    if x and all(isinstance(v, str) for v in x):
        return np.array([_parse_naslib_string(v, i) for i, v in enumerate(x)], dtype=np.int8).reshape(-1, 6)
    if x and len(x) == 6 and all(isinstance(v, (int, np.integer)) for v in x):
        x = [x]
    return ops_array(np.array(x) if x else np.zeros((0, 6), dtype=np.int8), what)


def from_naslib(x) -> np.ndarray:
    a = _rows_from_any(x, "naslib op indices")
    return _backend.get("nb201_remap")(a, _NASLIB_PERM, _NASLIB_LUT)


def to_naslib(ops: np.ndarray) -> np.ndarray:
    return _backend.get("nb201_remap")(ops, _NASLIB_PERM, _NASLIB_LUT)


def naslib_strings(naslib: np.ndarray) -> list[str]:
    """NASLib / NAS-Bench-Suite-Zero key strings, e.g. ``'(4, 3, 3, 3, 2, 3)'``."""
    return [str(tuple(r)) for r in naslib.tolist()]


def from_naszilla(x) -> np.ndarray:
    if isinstance(x, np.ndarray) or not _is_name_lists(x):
        a = ops_array(x, "naszilla op indices")
    else:
        rows = []
        for i, r in enumerate(x):
            r = list(r)
            if len(r) != 6:
                raise ValueError(f"row {i}: a naszilla op list has 6 names, got {len(r)}")
            for name in r:
                if name not in NASZILLA_OPS:
                    raise ValueError(f"row {i}: unknown op {name!r}; valid: {', '.join(NASZILLA_OPS)}")
            rows.append([NASZILLA_OPS.index(name) for name in r])
        a = np.array(rows, dtype=np.int8).reshape(-1, 6)
    return _backend.get("nb201_remap")(a, _IDENTITY, _NASZILLA_INV)


def _is_name_lists(x) -> bool:
    try:
        first = next(iter(x))
        return not isinstance(first, str) and len(first) > 0 and isinstance(next(iter(first)), str)
    except (TypeError, StopIteration):
        return False


def to_naszilla(ops: np.ndarray) -> np.ndarray:
    return _backend.get("nb201_remap")(ops, _IDENTITY, _NASZILLA_LUT)


# ---------------------------------------------------------------- matrices
def to_matrix(ops: np.ndarray) -> np.ndarray:
    return _backend.get("nb201_to_matrix")(ops)


def from_matrix(m) -> np.ndarray:
    a = as_int_array(m, "matrices", dtype=np.int8)
    if a.ndim == 2:
        a = a[None]
    return _backend.get("nb201_from_matrix")(a)

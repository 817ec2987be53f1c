"""Lookup keys: how a benchmark's cells become the uint64 keys its store rows are sorted by.

Key kinds (the manifest's ``key`` field):

``nb201-ops-code``
    NAS-Bench-201: ``code = sum_e ops[e] * 5 ** (5 - e)`` over the 6 edges in arch-string order with official op
    codes (the same code as ``NB201.to_code``). Every one of the 15,625 cells was trained separately in the
    benchmark, so rows are keyed by the *exact* cell, never merged up to isomorphism; keys are ``0..15624``
    (a dense store: the key is the row).
``nb101-iso-key``
    NAS-Bench-101: ``NB101().key(cells)``, the space's exact canonical isomorphism key (the benchmark itself
    stores one entry per isomorphism class, identified by its 32-character hash).
``nbgraph-arch-id``
    NAS-Bench-Graph: ``NBGraph().key(cells)``.
"""
from __future__ import annotations

import numpy as np

from .. import _backend

_PW5 = 5 ** np.arange(5, -1, -1, dtype=np.int64)
_U64 = np.dtype(np.uint64)  # a dtype object: .view(np.uint64) converts the type on every call


def nb201_codes(ops: np.ndarray) -> np.ndarray:
    """uint64 codes of official op rows (N, 6); raises ValueError naming a row with a code outside 0..4.

    >>> nb201_codes(np.array([[0, 0, 0, 0, 1, 2]], dtype=np.int8)).tolist()
    [7]
    """
    ops = np.asarray(ops)
    if ops.ndim != 2 or ops.shape[1] != 6:
        raise ValueError(f"NB201 ops must have shape (N, 6), got {ops.shape}")
    if ops.dtype.kind not in "iu":
        raise TypeError(f"NB201 ops must be integers, got {ops.dtype}")
    if ops.size:
        bad = np.flatnonzero(((ops < 0) | (ops > 4)).any(axis=1))
        if bad.size:
            raise ValueError(f"row {int(bad[0])}: NB201 op codes must be in 0..4, got {ops[bad[0]].tolist()}")
    # int16 arithmetic is enough (max 15624) and keeps the product cheap
    return (ops.astype(np.int32) @ _PW5.astype(np.int32)).astype(np.uint64)


def nb201_ops_from_codes(codes: np.ndarray) -> np.ndarray:
    """Inverse of ``nb201_codes``: (N, 6) int8 official op rows."""
    c = np.asarray(codes, dtype=np.int64)
    return ((c[:, None] // _PW5[None, :]) % 5).astype(np.int8)


_CODES_U64: np.ndarray | None = None
_CV = None  # fastnas.spaces.nb201_convert, imported on first use (an import statement per call costs ~0.5 us)


def _convert():
    global _CV
    if _CV is None:
        from ..spaces import nb201_convert

        _CV = nb201_convert
    return _CV


def _codes_u64() -> np.ndarray:
    """Official index -> ops code as a read-only uint64 view (built once: a one-string key is then one slice)."""
    global _CODES_U64
    if _CODES_U64 is None:
        _CODES_U64 = _convert().index_to_code().view(_U64)
    return _CODES_U64


def _space(name: str):
    from ..spaces import get_space

    return get_space(name)


def cells_to_keys(kind: str, space, cells) -> np.ndarray:
    """uint64 lookup keys of ``cells`` under key kind ``kind`` (see the module docstring)."""
    if kind == "nb201-ops-code":
        if type(cells) is space.cells_type:  # validated, read-only batch: one kernel call, viewed as uint64
            return _backend.get("nb201_to_code")(cells._arrays["ops"]).view(_U64)
        if isinstance(cells, str):  # one official arch string: a cached dict lookup
            i = (_CV or _convert())._index_of_string().get(cells)
            if i is not None:
                return (_CODES_U64 if _CODES_U64 is not None else _codes_u64())[i:i + 1]
        if isinstance(cells, (str, list, tuple)) and (isinstance(cells, str) or
                                                      (len(cells) and isinstance(cells[0], str))):
            cells = space.from_strings(cells)
        ops = getattr(cells, "ops", None)
        if ops is None:
            raise TypeError(f"NB201 benchmarks take NB201Cells (or arch strings), got {type(cells).__name__}")
        return nb201_codes(ops)
    if kind in ("nb101-iso-key", "nbgraph-arch-id"):
        if getattr(cells, "SPACE", None) != space.name:
            raise TypeError(f"this benchmark takes {space.cells_type.__name__}, got {type(cells).__name__}")
        return np.ascontiguousarray(space.key(cells), dtype=np.uint64)
    raise ValueError(f"unknown key kind {kind!r}")

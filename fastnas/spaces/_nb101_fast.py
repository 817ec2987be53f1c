"""Python twins of the compiled one-call paths of ``NB101.hash`` and ``NB101.from_arrays`` (issue 12).

Each function here is the specification of the compiled kernel of the same name (``csrc/bind_nb101.cpp``:
``nb101_hash_text``, ``nb101_hash_lookup``; ``csrc/bind_nb101_arrays.cpp``: ``nb101_from_arrays``), which
must return the same values and raise the same exception types (``tests/unit/test_nb101_onecell_fast.py``).
They are built from the definitions in ``nb101_ref`` (the nasbench fingerprint ``graph_util.hash_module``,
the canonical key, the row check) and add no definition of their own: the compiled versions exist only to
do the same work in one call, without the per-call numpy steps that dominated a one-cell call.

>>> from fastnas.spaces.nb101 import NB101
>>> c = NB101.from_specs([[0, 1], [0, 0]], ["input", "output"])
>>> nb101_hash_text(c.matrix, c.ops, c.n_vertices).tolist()
['043721b9c7fe8c5fad811d47d83132ec']
>>> [a.flags.writeable for a in nb101_from_arrays(c.matrix, c.ops, c.n_vertices)]
[False, False, False]
>>> nb101_from_arrays(c.matrix.tolist(), c.ops, c.n_vertices) is None  # not the common case
True
"""
from __future__ import annotations

import numpy as np

from . import nb101_ref as _ref

_U32 = np.dtype("<U32")
BROKEN_TABLE = "the fingerprint table is inconsistent (its order does not map the key back to itself)"


def _as_str32(hex32: np.ndarray) -> np.ndarray:
    """(N, 32) ASCII bytes (zero bytes for no fingerprint) -> the (N,) ``<U32`` array (``""`` for zeros)."""
    return hex32.astype(np.uint32).view(_U32).reshape(-1)


def nb101_hash_text(matrix, ops, nv, threads: int = 0, raise_invalid: bool = False) -> np.ndarray:
    """``nb101_hash`` as ``NB101.hash`` returns it: an (N,) ``<U32`` array of NAS-Bench-101 fingerprints,
    ``""`` for rows outside the space (``ValueError`` for the first such row if ``raise_invalid``; for the
    first malformed row always). ``threads`` is accepted for signature parity and ignored."""
    return _as_str32(_ref.nb101_hash(matrix, ops, nv, threads, raise_invalid))


def _table_parts(table):
    if not isinstance(table, tuple) or len(table) != 4:
        raise TypeError("table: expected a tuple (sorted keys, order, keys, hex digits)")
    srt = _ref._need(table[0], "table sorted keys", np.uint64, ())
    order = _ref._need(table[1], "table order", np.int64, ())
    keys = _ref._need(table[2], "table keys", np.uint64, ())
    hexd = _ref._need(table[3], "table hex digits", np.uint8, (32,))
    if not len(srt) == len(order) == len(keys) == len(hexd):
        raise ValueError("table: sorted keys, order, keys and hex digits must have the same length")
    return srt, order, keys, hexd


def nb101_hash_lookup(matrix, ops, nv, table, raise_invalid: bool = False) -> np.ndarray:
    """Fingerprints looked up by canonical key in a key -> fingerprint table, as an (N,) ``<U32`` array.

    ``table`` is ``(sorted_keys, order, keys, hex)``: the table's uint64 keys sorted ascending, the int64
    enumeration index of each sorted key, the uint64 keys in enumeration order and the (M, 32) uint8 hex
    digits per enumeration index (``nb101_table.HashTable.parts``). Each row's key (``nb101_key``) is
    bisected in the sorted keys (leftmost match); a match ``p`` gives ``hex[order[p]]``, after checking that
    ``keys[order[p]]`` is that key (``ValueError`` naming the row otherwise: an inconsistent table never
    answers with another cell's fingerprint). No match gives ``""``, as does a row outside the space unless
    ``raise_invalid`` (then ``ValueError`` for the first such row, as ``nb101_key``).
    """
    _ref._rows(matrix, ops, nv, check_rows=False)  # the arrays' own errors come before the table's
    srt, order, keys, hexd = _table_parts(table)
    k = _ref.nb101_key(matrix, ops, nv, raise_invalid)
    out = np.zeros((len(k), 32), np.uint8)
    broken = None
    for i, key in enumerate(k.tolist()):
        p = int(np.searchsorted(srt, np.uint64(key), side="left"))
        if p < len(srt) and int(srt[p]) == key:
            j = int(order[p])
            if 0 <= j < len(keys) and int(keys[j]) == key:
                out[i] = hexd[j]
            elif broken is None:
                broken = i
    if broken is not None:
        raise ValueError(f"row {broken}: {BROKEN_TABLE}")
    return _as_str32(out)


def _source(a, tail: tuple) -> bool:
    """``a`` is an array the fast path takes: an exact ndarray, C-contiguous and aligned, of a native-order
    integer dtype, shaped (N, *tail)."""
    return (type(a) is np.ndarray and a.ndim == 1 + len(tail) and a.shape[1:] == tail
            and a.flags.c_contiguous and a.flags.aligned and a.dtype.kind in "iu" and a.dtype.isnative)


def _narrow(a: np.ndarray, dtype) -> np.ndarray | None:
    """A fresh copy of ``a`` as ``dtype``; None when a value does not fit."""
    info = np.iinfo(dtype)
    if a.size and (a.min() < info.min or a.max() > info.max):
        return None
    return a.astype(dtype)


def _frozen(a: np.ndarray) -> np.ndarray:
    """A read-only view of a fresh array that is read-only itself (as ``csrc/arrays.hpp`` ``frozen``)."""
    a.setflags(write=False)
    return a.view()


def nb101_from_arrays(matrix, ops, n_vertices=None):
    """The common case of ``NB101.from_arrays`` in one call: ``(matrix, ops, n_vertices)`` as fresh
    read-only uint8 (N, 7, 7), int8 (N, 7) and uint8 (N,) arrays, or None.

    Taken: arrays as ``_source`` describes, of equal lengths, every value within its field's dtype, and
    every row well formed (``nb101_ref.check_row``); ``n_vertices`` None gives each row's size as the
    position of its first output code (-2) plus one. Anything else gives None, and ``from_arrays`` runs
    its general path, which produces the same batch or raises the error naming the problem.
    """
    if not (_source(matrix, (7, 7)) and _source(ops, (7,)) and len(ops) == len(matrix)):
        return None
    if n_vertices is not None and not (_source(n_vertices, ()) and len(n_vertices) == len(matrix)):
        return None
    m, o = _narrow(matrix, np.uint8), _narrow(ops, np.int8)
    if m is None or o is None:
        return None
    if n_vertices is None:
        is_out = o == -2
        if not is_out.any(axis=1).all():
            return None
        v = (np.argmax(is_out, axis=1) + 1).astype(np.uint8)
    else:
        v = _narrow(n_vertices, np.uint8)
        if v is None:
            return None
    if any(_ref.check_row(m[i], o[i], v[i]) != _ref.OK for i in range(len(v))):
        return None
    return _frozen(m), _frozen(o), _frozen(v)

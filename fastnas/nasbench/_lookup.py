"""Key -> row lookup and value gather: the readable pure-Python twin of ``src/lookup.cpp``.

Definition (both implementations, registered as op ``nasbench_query`` in ``fastnas/_backend.py``):

* ``row(q)`` is the index ``i`` with ``keys[i] == q`` in the strictly increasing ``keys``, or ``-1``: direct
  indexing when ``dense`` (``keys == arange(n)``); else, when a hash ``table`` is given (op ``nasbench_table``:
  ``m = smallest power of two >= 2n`` slots, slot ``mix64(key) & (m - 1)``, linear probing, rows inserted in
  order, ``-1`` empty), probing it; else binary search. All three give the same rows;
* ``out[j]`` is NaN when the row is missing; else ``values[row, seed]`` for ``seed >= 0`` (NaN when the row
  recorded fewer seeds); for ``seed == -1`` ("sample") ``values[row, PyRng(base, j).below(n_seeds[row])]``:
  query ``j`` draws from its own splitmix64 stream, so results do not depend on batching or backend.

Errors (same types on every backend): wrong dtype -> TypeError, wrong shape -> ValueError, an ``n_seeds`` entry
outside ``1..values.shape[1]`` on a queried row or a corrupt table entry on a probe path -> ValueError.
"""
from __future__ import annotations

import bisect

import numpy as np

from .._kernels.rng import PyRng, py_mix64


def _need(a, name: str, dtype, ndim: int) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name}: expected a numpy array")
    if a.dtype != np.dtype(dtype):
        raise TypeError(f"{name}: expected dtype {np.dtype(dtype)}, got {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got {a.ndim}")
    return a


def table_size(n: int) -> int:
    m = 2
    while m < 2 * n:
        m *= 2
    return m


def py_table(keys):
    """Reference twin of ``fastnas._core.lookup_table``: the open-addressing hash table (int64, -1 empty)."""
    keys = _need(keys, "keys", np.uint64, 1)
    m = table_size(len(keys))
    table = np.full(m, -1, np.int64)
    for r, k in enumerate(int(x) for x in keys):
        slot = py_mix64(k) & (m - 1)
        while table[slot] >= 0:
            slot = (slot + 1) & (m - 1)
        table[slot] = r
    return table


def _probe(key_list, table, q):
    m = len(table)
    slot = py_mix64(q) & (m - 1)
    for _ in range(m):
        r = int(table[slot])
        if r == -1:
            return -1
        if r < -1 or r >= len(key_list):
            return -2
        if key_list[r] == q:
            return r
        slot = (slot + 1) & (m - 1)
    return -2


def py_query(keys, dense, table, values, n_seeds, queries, seed, base):
    """Reference twin of ``fastnas._core.lookup_query``: returns ``(values (M,) float64, rows (M,) int64)``."""
    keys = _need(keys, "keys", np.uint64, 1)
    table = _need(table, "table", np.int64, 1)
    values = _need(values, "values", np.float64, 2)
    n_seeds = _need(n_seeds, "n_seeds", np.int8, 1)
    queries = _need(queries, "queries", np.uint64, 1)
    n, s = values.shape
    if keys.shape[0] != n or n_seeds.shape[0] != n:
        raise ValueError("keys, values and n_seeds must have the same number of rows")
    if s < 1:
        raise ValueError("values must have at least one column")
    seed = int(seed)
    if seed < -1:
        raise ValueError("seed must be -1 (sample) or a column index >= 0")
    if len(table) not in (0, table_size(n)):
        raise ValueError(f"table has {len(table)} slots, expected 0 or {table_size(n)} (build it with lookup_table)")
    key_list = [int(k) for k in keys]
    out = np.empty(len(queries), dtype=np.float64)
    rows = np.empty(len(queries), dtype=np.int64)
    for j, q in enumerate(int(x) for x in queries):
        if dense:
            r = q if q < n else -1
        elif len(table):
            r = _probe(key_list, table, q)
            if r == -2:
                raise ValueError(f"query {j}: corrupt hash table (an entry is not a row, or no empty slot)")
        else:
            i = bisect.bisect_left(key_list, q)
            r = i if i < n and key_list[i] == q else -1
        rows[j] = r
        if r < 0:
            out[j] = np.nan
            continue
        ns = int(n_seeds[r])
        if ns < 1 or ns > s:
            raise ValueError(f"query {j}: the store's n_seeds entry for row {r} is outside 1..{s}")
        if seed >= 0:
            out[j] = values[r, seed] if seed < ns else np.nan
        else:
            out[j] = values[r, PyRng(int(base), j).below(ns)]
    return out, rows

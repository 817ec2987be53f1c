"""Hypothesis: the lookup kernel equals a dict-based definition for any sorted key set and queries."""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from fastnas import _backend
from fastnas._kernels.rng import PyRng


@given(keys=st.sets(st.integers(0, 2**64 - 1), max_size=60),
       extra=st.lists(st.integers(0, 2**64 - 1), max_size=30),
       pick=st.lists(st.integers(0, 10**6), max_size=60),
       s=st.integers(1, 4), seed=st.integers(-1, 3), base=st.integers(0, 2**64 - 1))
def test_matches_definition(keys, extra, pick, s, seed, base):
    keys = np.array(sorted(keys), dtype=np.uint64)
    n = len(keys)
    rng = np.random.default_rng(len(pick))
    values = rng.normal(size=(n, s))
    ns = rng.integers(1, s + 1, n).astype(np.int8)
    q = [int(keys[p % n]) for p in pick] if n else []
    q = np.array(q + extra, dtype=np.uint64)
    dense = bool(n and int(keys[-1]) == n - 1)
    got = []
    for table in (np.zeros(0, np.int64), _backend.get("nasbench_table")(keys)):
        got.append(_backend.get("nasbench_query")(keys, dense, table, values, ns, q, seed, base))
    np.testing.assert_array_equal(got[0][0], got[1][0])
    np.testing.assert_array_equal(got[0][1], got[1][1])
    out, rows = got[0]
    pos = {int(k): i for i, k in enumerate(keys)}
    for j, k in enumerate(q.tolist()):
        r = pos.get(k, -1)
        assert rows[j] == r
        if r < 0:
            assert np.isnan(out[j])
        elif seed >= 0:
            assert (np.isnan(out[j]) if seed >= ns[r] else out[j] == values[r, seed])
        else:
            assert out[j] == values[r, PyRng(base, j).below(int(ns[r]))]

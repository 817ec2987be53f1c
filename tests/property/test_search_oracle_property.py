"""Oracle invariants on random query sequences (hypothesis)."""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from fastnas.nasbench.oracle import BudgetExhausted, Oracle
from fastnas.sim.synthetic import SyntheticBenchmark, ToySpace

BENCH = SyntheticBenchmark(ToySpace(3, 3), seed=0)


@given(st.lists(st.lists(st.integers(0, 26), min_size=1, max_size=6), min_size=1, max_size=8),
       st.integers(0, 12))
def test_counts_distinct_classes_within_budget(batches, budget):
    o = Oracle(BENCH, budget=budget)
    seen = set()
    for b in batches:
        codes = np.array(b)
        ops = (codes[:, None] // 3 ** np.arange(3)) % 3
        ops[~ops.any(axis=1), 0] = 1
        cells = BENCH.space._cells(ops)
        keys = BENCH.space.key(cells).tolist()
        try:
            v = o(cells)
        except BudgetExhausted as exc:
            k = exc.n_answered
            np.testing.assert_array_equal(exc.values, BENCH.query(cells[:k]))
            seen.update(keys[:k])
            new_after = [x for x in keys[k:] if x not in seen]
            assert new_after  # refused only because a new class did not fit
            break
        np.testing.assert_array_equal(v, BENCH.query(cells))
        seen.update(keys)
    assert o.n_queries == len(seen) <= budget
    np.testing.assert_array_equal(np.sort(o.history()["key"]), np.sort(np.array(sorted(seen), dtype=np.uint64)))

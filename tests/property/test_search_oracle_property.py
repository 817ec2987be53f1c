"""Oracle invariants on random query sequences (hypothesis)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
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


def _nb201():
    from fastnas.nasbench import load

    return load("nb201", dataset="cifar10-valid")


NB201 = None


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 15624), min_size=1, max_size=40), st.randoms(use_true_random=False))
def test_nb201_answers_do_not_depend_on_order(indices, rnd):
    """Whatever the order (and however isomorphic cells are interleaved), each cell gets its own record."""
    global NB201
    if NB201 is None:
        NB201 = _nb201()
    space = NB201.space
    # mix in isomorphic partners of the drawn cells so cache collisions by class are exercised
    cells = space.from_index(np.array(indices))
    keys = space.key(space.from_index(np.arange(15625)))
    partners = [int(np.flatnonzero(keys == keys[i])[-1]) for i in indices]
    idx = np.array(indices + partners)
    perm = list(range(len(idx)))
    rnd.shuffle(perm)
    own = NB201.query(space.from_index(idx))
    o = Oracle(NB201, budget=None, time_budget=None)
    got = o(space.from_index(idx[perm]))
    np.testing.assert_array_equal(got, own[perm])
    assert o.n_queries == len(set(idx.tolist()))
    assert len(cells) == len(indices)


CURVES = None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(1, 12)), min_size=1, max_size=25))
def test_partial_training_charges_each_record_up_to_its_highest_epoch(queries):
    """Whatever the order of (cell, epoch) queries, the time charged for a cell is its training time to
    the highest epoch asked, each answer is the value at the asked epoch, and repeats are free."""
    global CURVES
    from fastnas.sim.synthetic_curves import SyntheticCurveBenchmark

    if CURVES is None:
        CURVES = SyntheticCurveBenchmark(ToySpace(4, 3), seed=0, max_epoch=12)
    pool = CURVES.space.from_strings(["1-0-0-0", "1-2-0-0", "2-2-1-0", "0-1-1-2", "2-2-2-2", "1-1-1-1"])
    o = Oracle(CURVES, budget=None)
    top: dict = {}
    for i, e in queries:
        c = pool[i:i + 1]
        v = o(c, epoch=e)
        assert v[0] == CURVES.query(c, epoch=e)[0]
        k = int(CURVES.space.key(c)[0])
        top[k] = max(top.get(k, 0), e)
    expect = sum(float(CURVES.query(pool[[int(np.flatnonzero(CURVES.space.key(pool) == k)[0])]], epoch=e,
                                    return_cost=True)[1][0]) for k, e in top.items())
    assert o.time_used == pytest.approx(expect)
    assert o.n_queries == len(top)

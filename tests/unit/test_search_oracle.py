"""Oracle: budget counting, the dedup rule, partial answers, time budget, reporting never counts."""
from __future__ import annotations

import numpy as np
import pytest

from fastnas.nasbench.oracle import BudgetExhausted, Oracle
from fastnas.sim.synthetic import SyntheticBenchmark, ToySpace


@pytest.fixture(scope="module")
def bench():
    return SyntheticBenchmark(ToySpace(4, 3), seed=0)


def test_counts_and_matches_benchmark(bench):
    cells = bench.space.sample(5, seed=1, unique=True)
    o = Oracle(bench, budget=10)
    v = o(cells)
    np.testing.assert_array_equal(v, bench.query(cells))
    assert o.n_queries == 5 and o.remaining == 5
    _, cost = bench.query(cells, return_cost=True)
    assert o.time_used == pytest.approx(cost.sum())


def test_repeat_and_isomorphic_queries_are_free(bench):
    o = Oracle(bench, budget=3)
    c = bench.space.from_strings(["1-2-0-0"])
    rev = bench.space.from_strings(["0-0-2-1"])  # the reversal: isomorphic
    v1 = o(c)
    v2 = o(rev)
    assert o.n_queries == 1
    assert v1[0] == v2[0]


def test_sampled_seed_repeat_returns_first_draw(bench):
    o = Oracle(bench, budget=5, seed="sample", rng=3)
    c = bench.space.from_strings(["1-2-0-1"])
    a = o(c)[0]
    assert o(c)[0] == a  # no second, luckier draw
    assert a != bench.query(c)[0]  # noise was drawn


def test_budget_exhausted_carries_answered_prefix(bench):
    o = Oracle(bench, budget=3)
    cells = bench.space.sample(6, seed=2, unique=True)
    with pytest.raises(BudgetExhausted) as exc:
        o(cells)
    assert exc.value.n_answered == 3
    np.testing.assert_array_equal(exc.value.values, bench.query(cells[:3]))
    assert o.n_queries == 3 and o.exhausted
    with pytest.raises(BudgetExhausted):
        o(bench.space.sample(1, seed=99))


def test_time_budget(bench):
    cells = bench.space.sample(6, seed=2, unique=True)
    _, cost = bench.query(cells, return_cost=True)
    o = Oracle(bench, time_budget=float(cost[:2].sum()) - 1.0)  # the 2nd cell starts before the limit
    with pytest.raises(BudgetExhausted) as exc:
        o(cells)
    assert exc.value.n_answered == 2


def test_report_never_counts(bench):
    o = Oracle(bench, budget=1)
    t = o.report(bench.space.sample(4, seed=0))
    assert t.shape == (4,) and o.n_queries == 0
    assert not np.allclose(t, bench.query(bench.space.sample(4, seed=0)))  # test split differs


def test_bad_arguments(bench):
    with pytest.raises(ValueError):
        Oracle(bench, budget=-1)
    with pytest.raises(ValueError):
        Oracle(bench, seed="best")


def test_history_in_order(bench):
    o = Oracle(bench, budget=10)
    cells = bench.space.sample(4, seed=5, unique=True)
    o(cells[:2])
    o(cells[2:])
    h = o.history()
    np.testing.assert_array_equal(h["key"], bench.space.key(cells))
    assert np.all(np.diff(h["sim_time"]) > 0)


# -- each cell's own record (issue 10 section 3) ---------------------------------------------------------------
@pytest.fixture(scope="module")
def nb201():
    from fastnas.nasbench import load

    return load("nb201", dataset="cifar10-valid")


def test_nb201_isomorphic_cell_gets_its_own_record(nb201):
    """Indices 1003 and 4480 are isomorphic (same space.key) but trained separately: 4480 answers its own
    record (45.926 on cifar10-valid in the store), not 1003's (67.392), and is charged its own time."""
    a, b = nb201.space.from_index([1003]), nb201.space.from_index([4480])
    assert nb201.space.key(a)[0] == nb201.space.key(b)[0]
    own_a, cost_a = nb201.query(a, return_cost=True)
    own_b, cost_b = nb201.query(b, return_cost=True)
    assert own_b[0] == pytest.approx(45.926) and own_a[0] == pytest.approx(67.392)
    o = Oracle(nb201, budget=10)
    assert o(a)[0] == own_a[0]
    vb, cb = o(b, return_cost=True)
    assert vb[0] == own_b[0] == o.report(b, split="valid")[0]
    assert o.n_queries == 2 and cb[0] == cost_b[0] and o.time_used == pytest.approx(cost_a[0] + cost_b[0])
    assert o(b)[0] == own_b[0] and o.n_queries == 2  # the same record again: cached, free


def test_nb201_every_cell_in_index_order_is_its_own_record(nb201):
    cells = nb201.space.from_index(np.arange(15625))
    own = nb201.query(cells)
    o = Oracle(nb201, budget=15625)
    got = np.concatenate([o(cells[i:i + 625]) for i in range(0, 15625, 625)])
    np.testing.assert_array_equal(got, own)
    assert o.n_queries == 15625
    o2 = Oracle(nb201, budget=15625)  # reverse order: the same answers
    rev = np.concatenate([o2(cells[i - 625:i]) for i in range(15625, 0, -625)][::-1])
    np.testing.assert_array_equal(rev, own)


def test_nb201_sampled_seed_is_per_record(nb201):
    a, b = nb201.space.from_index([1003]), nb201.space.from_index([4480])
    o = Oracle(nb201, budget=10, seed="sample", rng=0)
    va, vb = o(a)[0], o(b)[0]
    assert o(a)[0] == va and o(b)[0] == vb  # no second draw for either record
    seeds_of = lambda c: {float(nb201.query(c, seed=k, missing="nan")[0]) for k in range(3)}  # noqa: E731
    assert va in seeds_of(a) and vb in seeds_of(b)  # each drawn from its own record's seeds
    assert vb not in seeds_of(a)


def test_nb201_sampled_seed_ignores_order_and_batch_split(nb201):
    """The reported case: 4480 after 1003 in one batch, or reversed, or alone, gets the same seed; and an
    int rng gives what bench.query(seed="sample", rng=int) gives for the same cells."""
    idx = [1003, 4480]
    fwd = Oracle(nb201, seed="sample", rng=0)(nb201.space.from_index(idx))
    rev = Oracle(nb201, seed="sample", rng=0)(nb201.space.from_index(idx[::-1]))[::-1]
    o = Oracle(nb201, seed="sample", rng=0)
    alone = [o(nb201.space.from_index([i]))[0] for i in idx[::-1]][::-1]
    np.testing.assert_array_equal(fwd, rev)
    np.testing.assert_array_equal(fwd, alone)
    many = nb201.space.from_index(np.random.default_rng(1).permutation(15625)[:300])
    got = Oracle(nb201, seed="sample", rng=9)(many)
    np.testing.assert_array_equal(got, nb201.query(many, seed="sample", rng=9))
    perm = np.random.default_rng(2).permutation(300)
    np.testing.assert_array_equal(Oracle(nb201, seed="sample", rng=9)(many[perm]), got[perm])
    assert not np.array_equal(got, Oracle(nb201, seed="sample", rng=10)(many))


def test_sampled_seed_per_record_on_any_benchmark(bench):
    """A benchmark that is not a store (the synthetic one draws noise per batch) is still answered per
    record: order and batch split do not change the values; a Generator rng fixes one base seed."""
    cells = bench.space.sample(8, seed=4, unique=True)
    a = Oracle(bench, seed="sample", rng=1)(cells)
    b = Oracle(bench, seed="sample", rng=1)(cells[::-1])[::-1]
    o = Oracle(bench, seed="sample", rng=1)
    c = np.concatenate([o(cells[i:i + 1]) for i in range(8)])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, bench.query(cells))  # noise was drawn
    g1 = Oracle(bench, seed="sample", rng=np.random.default_rng(5))(cells)
    g2 = Oracle(bench, seed="sample", rng=np.random.default_rng(5))(cells[::-1])[::-1]
    np.testing.assert_array_equal(g1, g2)


def test_benchmark_without_keys_gets_exact_cell_records():
    """A benchmark with no record keys (a surrogate model) is answered per exact cell: a cell isomorphic
    to an earlier one is a new record with its own value (never the earlier cell's)."""
    space = ToySpace(4, 3)

    class OrderSensitive:  # a surrogate double whose predictions depend on the exact cell
        def __init__(self):
            self.space = space

        def query(self, cells, metric="accuracy", split="valid", return_cost=False):
            v = cells.ops.astype(np.float64) @ np.array([1.0, 2.0, 3.0, 4.0])
            return (v, np.ones(len(v))) if return_cost else v

    b = OrderSensitive()
    o = Oracle(b, budget=5)
    c, rev = space.from_strings(["1-2-0-0"]), space.from_strings(["0-0-2-1"])
    assert space.key(c)[0] == space.key(rev)[0]
    assert o(c)[0] == 5.0 and o(rev)[0] == 10.0 and o.n_queries == 2
    assert o(rev)[0] == 10.0 and o.n_queries == 2
    assert o.report(rev, split="valid")[0] == 10.0

"""Searches reach every isomorphism class of a finite space, and a run that stops with budget left says
why (issue 10 section 4)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from fastnas.search import Oracle, make, run
from fastnas.sim.synthetic import SyntheticBenchmark, ToySpace


class HashBenchmark:
    """A deterministic isomorphism-invariant objective on any space (for spaces without bundled data)."""

    def __init__(self, space):
        self.space = space
        self.name = f"hash-{space.name}"

    def query(self, cells, metric="accuracy", split="valid", seed="mean", rng=None, return_cost=False):
        k = self.space.key(cells)
        v = ((k * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)).astype(np.float64) % 10_000 / 100.0
        return (v, np.full(len(v), 10.0)) if return_cost else v


def _run_quiet(name, bench, budget, seed=0):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a run that spends its whole budget must not warn
        return run(make(name, bench.space, seed=seed), Oracle(bench, budget=budget))


@pytest.fixture(scope="module")
def nb201():
    from fastnas.nasbench import load

    return load("nb201", dataset="cifar10-valid")


NB201_CLASSES = 6466  # NAS-Bench-201: 15,625 cells, 6,466 isomorphism classes (disconnected ones included)


@pytest.mark.parametrize("name", ["random", pytest.param("evolution", marks=pytest.mark.slow),
                                  pytest.param("local_search", marks=pytest.mark.slow)])
def test_nb201_budget_of_every_class_reaches_every_class(nb201, name):
    keys_all = np.unique(nb201.space.key(nb201.space.from_index(np.arange(15625))))
    assert len(keys_all) == NB201_CLASSES
    opt = _run_quiet(name, nb201, NB201_CLASSES)
    keys = nb201.space.key(opt.cells_)
    assert opt.n_told == NB201_CLASSES and len(np.unique(keys)) == NB201_CLASSES
    np.testing.assert_array_equal(np.unique(keys), keys_all)
    assert opt.stop_reason_ == "budget spent" and opt.n_classes_left() == 0


@pytest.mark.parametrize("name", ["random", "evolution", "local_search"])
def test_nbgraph_proteins_space_reaches_all_2021_cells(name):
    from fastnas.spaces.nbgraph import NBGraph

    space = NBGraph(dataset="proteins")
    assert len(space.enumerate()) == 2021
    bench = HashBenchmark(space)
    opt = _run_quiet(name, bench, 2021, seed=1)
    assert len(np.unique(space.key(opt.cells_))) == 2021


@pytest.mark.parametrize("name", ["random", "evolution", "local_search"])
def test_budget_above_the_space_stops_with_a_clear_message(name):
    bench = SyntheticBenchmark(ToySpace(3, 3), seed=0)
    n_classes = len(bench.space.enumerate())  # 3**3 - 1 = 26 sequences, 17 up to reversal
    assert n_classes == 17
    oracle = Oracle(bench, budget=40)
    with pytest.warns(RuntimeWarning, match=r"space is exhausted: all 17 isomorphism classes .* 23 of the query"):
        opt = run(make(name, bench.space, seed=0), oracle)
    assert opt.n_told == 17 and oracle.n_queries == 17
    assert "exhausted" in opt.stop_reason_ and oracle.stop_reason == opt.stop_reason_


def test_time_budget_stop_is_recorded():
    bench = SyntheticBenchmark(ToySpace(4, 3), seed=0)
    opt = run(make("random", bench.space, seed=0), Oracle(bench, time_budget=500.0))
    assert opt.stop_reason_ == "budget spent" and 0 < opt.n_told < 20


def test_exhaustive_fill_is_deterministic_under_seed():
    bench = SyntheticBenchmark(ToySpace(4, 3), seed=0)
    n = len(bench.space.enumerate())
    a = _run_quiet("random", bench, n, seed=5)
    b = _run_quiet("random", bench, n, seed=5)
    assert bench.space.to_strings(a.cells_) == bench.space.to_strings(b.cells_)

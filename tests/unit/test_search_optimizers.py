"""Optimizers: finding a known optimum, ask/tell misuse, dedup, save/restore continuation."""
from __future__ import annotations

import numpy as np
import pytest

from fastnas.search import OPTIMIZERS, Oracle, load, make, run
from fastnas.sim.synthetic import SyntheticBenchmark, ToySpace

# small models keep the suite fast; the defaults are exercised by the benchmarks
FAST = {"bananas": {"epochs": 30}, "bonas": {"epochs": 20}, "npenas": {"epochs": 20},
        "neural_predictor": {"n_init": 40, "k": 40, "epochs": 20, "lr": 1e-3, "n_candidates": 300},
        "nasbot": {"acq_evals": 30, "hp_evals": 60}}
TORCH = {"bananas", "bonas", "npenas", "neural_predictor"}
MODEL = TORCH | {"gp_bo", "nasbot"}
# multi-fidelity optimizers need a benchmark with learning curves: tests/unit/test_search_multi_fidelity.py
MULTI_FIDELITY = {"successive_halving", "hyperband", "bohb", "evolution_lce", "bananas_lce"}
SINGLE = [n for n in OPTIMIZERS if n not in MULTI_FIDELITY]


def _needs(name):
    if name in TORCH:
        pytest.importorskip("torch")


@pytest.fixture(scope="module")
def bench():
    return SyntheticBenchmark(ToySpace(5, 4), seed=1, pair=0.0)


def test_make_lists_valid_names(bench):
    with pytest.raises(ValueError, match="bananas.*bonas"):
        make("banana", bench.space)
    with pytest.raises(TypeError, match="unknown parameters"):
        make("evolution", bench.space, populaton=3)
    with pytest.raises(ValueError):
        make("evolution", bench.space, population=5, tournament=10, replace=False)


@pytest.mark.parametrize("name", SINGLE)
def test_finds_known_optimum(bench, name):
    """Each algorithm reaches the exact optimum of the separable synthetic objective (543 isomorphism
    classes) within a fraction of the space (random search: only by exhausting it)."""
    _needs(name)
    budget = {"random": 543, "evolution": 200}.get(name, 120)
    opt = run(make(name, bench.space, seed=0, **FAST.get(name, {})), Oracle(bench, budget=budget))
    cell, value = opt.best()
    assert value == pytest.approx(bench.optimum)
    assert bench.space.key(cell)[0] == bench.space.key(bench.optimum_cell)[0]


@pytest.mark.parametrize("name", SINGLE)
def test_never_repeats_up_to_isomorphism(bench, name):
    _needs(name)
    opt = run(make(name, bench.space, seed=3, **FAST.get(name, {})), Oracle(bench, budget=40))
    keys = bench.space.key(opt.cells_)
    assert len(keys) == 40 and len(np.unique(keys)) == 40


def test_tell_misuse(bench):
    opt = make("evolution", bench.space, seed=0)
    cells = opt.ask(3)
    with pytest.raises(ValueError, match="3 cells but 2 values"):
        opt.tell(cells, [1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        opt.tell(cells, [1.0, np.nan, 2.0])
    other = bench.space.sample(50, seed=7)
    other = other[~np.isin(bench.space.key(other), bench.space.key(cells))][:1]
    with pytest.raises(ValueError, match="never asked"):
        opt.tell(other, [1.0])
    with pytest.raises(TypeError):
        opt.tell(np.zeros((3, 5)), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="costs"):
        opt.tell(cells, [1.0, 2.0, 3.0], costs=[1.0])
    opt.tell(cells, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="already told"):
        opt.tell(cells[:1], [1.0])
    with pytest.raises(ValueError):
        opt.ask(0)
    assert opt.best()[1] == 3.0


def test_tell_accepts_isomorphic_representation(bench):
    opt = make("random", bench.space, seed=0)
    c = opt.ask(1)
    rev = type(c)(c.ops[:, ::-1])
    opt.tell(rev, [1.0])
    assert opt.pending == 0


def test_best_before_tell_raises(bench):
    with pytest.raises(RuntimeError):
        make("random", bench.space).best()


def _continue(opt, oracle_bench, n_steps):
    out = []
    for _ in range(n_steps):
        c = opt.ask(getattr(opt, "batch_size", None) or 5)
        v = oracle_bench.query(c)
        opt.tell(c, v)
        out.append(bench_space_strings(oracle_bench, c))
    return out


def bench_space_strings(b, c):
    return b.space.to_strings(c)


@pytest.mark.parametrize("name", SINGLE)
def test_save_restore_continues_identically(bench, name, tmp_path):
    _needs(name)
    opt = make(name, bench.space, seed=11, **FAST.get(name, {}))
    _continue(opt, bench, 4 if name in MODEL else 25)
    pending = opt.ask(2)  # save with cells outstanding
    path = tmp_path / "opt.npz"
    opt.save(path)
    restored = load(path, bench.space)
    assert restored.get_params() == opt.get_params()
    for o in (opt, restored):
        o.tell(pending, bench.query(pending))
    a = _continue(opt, bench, 2 if name in MODEL else 20)
    b = _continue(restored, bench, 2 if name in MODEL else 20)
    assert a == b
    np.testing.assert_array_equal(opt.values_, restored.values_)


def test_state_file_has_no_pickle(bench, tmp_path):
    opt = make("local_search", bench.space, seed=0, n_init=3)
    _continue(opt, bench, 6)
    path = tmp_path / "s.npz"
    opt.save(path)
    with np.load(path, allow_pickle=False) as z:  # must load without pickle
        assert "__header__" in z.files


def test_evolution_population_and_tournament(bench):
    """Aging: once the population is full, every parent comes from the last P told cells."""
    opt = make("evolution", bench.space, seed=0, population=5, tournament=2, replace=False)
    run(opt, Oracle(bench, budget=30))
    assert opt.n_told == 30


def test_local_search_full_mode_and_restart():
    b = SyntheticBenchmark(ToySpace(3, 3), seed=0, pair=0.0)
    opt = run(make("local_search", b.space, seed=0, mode="full", n_init=2), Oracle(b, budget=15))
    assert opt.best()[1] == pytest.approx(b.optimum)


def test_random_search_exhausts_small_space_then_stops():
    b = SyntheticBenchmark(ToySpace(3, 2), seed=0)
    n_classes = len(b.space.enumerate())
    with pytest.warns(RuntimeWarning, match="exhausted"):
        opt = run(make("random", b.space, seed=0), Oracle(b, budget=50))
    assert opt.n_told == n_classes


@pytest.mark.parametrize("acq", ["ucb", "ei", "pi", "mean"])
def test_bananas_acquisition_options(bench, acq):
    pytest.importorskip("torch")
    opt = make("bananas", bench.space, seed=0, acquisition=acq, epochs=5, n_members=2)
    run(opt, Oracle(bench, budget=20))
    assert opt.n_told == 20

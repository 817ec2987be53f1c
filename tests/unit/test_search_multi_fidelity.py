"""Multi-fidelity search: the oracle charges partial training, Hyperband / successive halving follow
Li et al. 2018's schedule and promotions, BOHB's kernel density, the x11 LC-extrapolation rule, the
optimizer contract and save/restore."""
from __future__ import annotations

import math

import numpy as np
import pytest

from fastnas.search import Oracle, load, make, run
from fastnas.search.bohb import aitchison_aitken_pdf, normal_reference_bw
from fastnas.search.hyperband import bracket_schedule
from fastnas.sim.synthetic import SyntheticBenchmark, ToySpace
from fastnas.sim.synthetic_curves import SyntheticCurveBenchmark
from fastnas.testing import check_optimizer

MF = ["successive_halving", "hyperband", "bohb", "evolution_lce", "bananas_lce"]
SMALL = {
    "successive_halving": dict(max_epoch=9, min_epoch=3),
    "hyperband": dict(max_epoch=9, min_epoch=3),
    "bohb": dict(max_epoch=9, min_epoch=3),
    "evolution_lce": dict(max_epoch=10, fidelity=4, population=4, tournament=2, top_n_percent=0.5),
    "bananas_lce": dict(max_epoch=10, fidelity=4, n_init=3, epochs=3, n_members=2, n_candidates=10,
                        top_n_percent=0.5),
}


def _needs(name):
    if name == "bananas_lce":
        pytest.importorskip("torch")


# -- the oracle charges partial training --------------------------------------------------------------------
def test_oracle_charges_only_the_extra_epochs():
    """Cell 1-2-0-0 of ToySpace(4, 3): full training 100 + 20 * (1 + 2) = 160 s over 10 epochs, so 16 s
    per epoch (hand-checkable)."""
    bench = SyntheticCurveBenchmark(ToySpace(4, 3), max_epoch=10)
    c = bench.space.from_strings(["1-2-0-0"])
    curve = bench.curves(c)[0]  # epochs 1..10
    o = Oracle(bench, budget=5)
    v, cost = o(c, return_cost=True, epoch=3)
    assert v[0] == curve[2] and cost[0] == pytest.approx(48.0) and o.time_used == pytest.approx(48.0)
    v, cost = o(c, return_cost=True, epoch=7)  # continue: 4 more epochs
    assert v[0] == curve[6] and cost[0] == pytest.approx(64.0) and o.time_used == pytest.approx(112.0)
    v, cost = o(c, return_cost=True, epoch=5)  # observed on the way: free
    assert v[0] == curve[4] and cost[0] == 0.0 and o.time_used == pytest.approx(112.0)
    n_rows = o.n_evals
    assert o(c, epoch=3)[0] == curve[2] and o.n_evals == n_rows  # asked before: cached, not logged again
    v, cost = o(c, return_cost=True)  # epoch=None: the final epoch
    assert v[0] == curve[9] == bench.query(c)[0] and cost[0] == pytest.approx(48.0)
    assert o.time_used == pytest.approx(160.0) and o.n_queries == 1
    h = o.history()
    assert h["epoch"].tolist() == [3, 7, 5, 10] and h["cost"].tolist() == pytest.approx([48, 64, 0, 48])
    np.testing.assert_allclose(o.curves(c, 10)[0], curve)
    isomorphic = bench.space.from_strings(["0-0-2-1"])  # the reversal: the same record here
    assert o(isomorphic, return_cost=True)[1][0] == 0.0


def test_oracle_fidelity_errors():
    bench = SyntheticCurveBenchmark(ToySpace(4, 3), max_epoch=10)
    c = bench.space.from_strings(["1-2-0-0"])
    o = Oracle(bench, budget=5)
    with pytest.raises(ValueError, match="outside 1..10"):
        o(c, epoch=11)
    with pytest.raises(TypeError, match="epoch"):
        o(c, epoch=2.5)
    o(c, epoch=4)
    with pytest.raises(ValueError, match="trained to epoch 4 only, not 6"):
        o.curves(c, 6)
    with pytest.raises(ValueError, match="single-fidelity"):
        Oracle(bench, seed="sample", rng=0)(c, epoch=2)
    with pytest.raises(ValueError, match="no learning curves"):
        Oracle(SyntheticBenchmark(ToySpace(4, 3)), budget=3)(c, epoch=2)
    with pytest.raises(ValueError, match="needs a benchmark with learning curves"):
        run(make("hyperband", bench.space, seed=0), Oracle(SyntheticBenchmark(ToySpace(4, 3)), budget=3))


def test_oracle_time_budget_refuses_further_training():
    bench = SyntheticCurveBenchmark(ToySpace(4, 3), max_epoch=10)
    cells = bench.space.from_strings(["1-2-0-0", "1-1-0-0"])  # 16 s and 14 s per epoch
    o = Oracle(bench, time_budget=50.0)
    o(cells[:1], epoch=3)  # 48 s: below the limit
    o(cells[:1], epoch=2)  # free
    v, c = o(cells[1:], return_cost=True, epoch=1)  # starts before the limit: answered (14 s)
    from fastnas.search import BudgetExhausted

    with pytest.raises(BudgetExhausted):
        o(cells[:1], epoch=4)
    assert o.time_used == pytest.approx(62.0)


# -- Hyperband and successive halving ---------------------------------------------------------------------
def test_bracket_schedule_matches_the_paper_and_x11():
    # Li et al. 2018, Table 1 (R = 81, eta = 3): bracket s = 4 is 81/27/9/3/1 cells at 1/3/9/27/81
    assert bracket_schedule(81, 1, 3, 4, 4) == ([81, 27, 9, 3, 1], [1, 3, 9, 27, 81])
    assert bracket_schedule(81, 1, 3, 3, 4) == ([34, 11, 3, 1], [3, 9, 27, 81])
    assert bracket_schedule(81, 1, 3, 0, 4) == ([5], [81])
    # NAS-Bench-x11 HB on DARTS (max 98, min 4, eta 3)
    assert bracket_schedule(98, 4, 3, 2, 2) == ([9, 3, 1], [10, 32, 98])
    assert bracket_schedule(98, 4, 3, 1, 2) == ([5, 1], [32, 98])


def _reference_hyperband(hist_keys, hist_epochs, value_at, R: int, eta: int, only_s=None):
    """Hyperband (Li et al. 2018, Algorithm 1) written from the paper, slow: consumes the rung-0 cells
    from the observed history (the random draws) and returns the (key, epoch) sequence it would run."""
    s_max = int(math.floor(math.log(R, eta) + 1e-9))
    B = (s_max + 1) * R
    expected, pos, b = [], 0, 0
    while pos < len(hist_keys):
        s = s_max - b % (s_max + 1) if only_s is None else only_s
        n = int(math.ceil(B / R * eta ** s / (s + 1) - 1e-9))
        r = R * eta ** (-s)
        T = list(hist_keys[pos:pos + n])  # get_hyperparameter_configuration(n)
        for i in range(s + 1):
            r_i = R if i == s else int(math.floor(r * eta ** i + 1e-9))
            L = [value_at(t, r_i) for t in T]
            expected.extend((t, r_i) for t in T)
            k = int(math.floor(len(T) / eta + 1e-9))
            if i < s:
                order = sorted(range(len(T)), key=lambda j: (-L[j], j))
                T = [T[j] for j in order[:k]]
        pos = len(expected)
        b += 1
    return expected[:len(hist_keys)]


@pytest.mark.parametrize("name", ["hyperband", "successive_halving"])
def test_hyperband_follows_algorithm_1(name):
    bench = SyntheticCurveBenchmark(ToySpace(6, 5), seed=3, max_epoch=27)
    o = Oracle(bench, budget=10_000, time_budget=120 * 200.0)
    run(make(name, bench.space, seed=0, min_epoch=1, eta=3), o)
    h = o.history()
    keys, epochs = h["key"].tolist(), h["epoch"].tolist()
    assert len(keys) > 100
    cell_of = {k: h["cells"][i] for i, k in enumerate(keys)}

    def value_at(k, e):
        return float(bench.query(cell_of[k], epoch=e)[0])

    exp = _reference_hyperband(keys, epochs, value_at, 27, 3, only_s=3 if name == "successive_halving" else None)
    assert list(zip(keys, epochs)) == exp
    if name == "hyperband":
        assert {27, 9, 3, 1} <= set(epochs)
    # continued training is charged only for the extra epochs: a cell's charges sum to its cost at its
    # highest epoch
    for k in set(keys[:60]):
        rows = [i for i, x in enumerate(keys) if x == k]
        top = max(epochs[i] for i in rows)
        assert h["cost"][rows].sum() == pytest.approx(bench.query(cell_of[k], epoch=top, return_cost=True)[1][0])


# -- BOHB's density ------------------------------------------------------------------------------------------
def _slow_aa_pdf(data, bw, x):
    out = []
    for point in x:
        tot = 0.0
        for row in data:
            p = 1.0
            for j in range(len(point)):
                c = max(2, len(set(data[:, j].tolist())))
                p *= (1 - bw[j]) if point[j] == row[j] else bw[j] / (c - 1)
            tot += p
        out.append(tot / len(data))
    return np.array(out)


def test_bohb_kernel_density_against_a_slow_loop():
    rng = np.random.default_rng(0)
    data = rng.integers(0, 5, size=(12, 6))
    data[:, 3] = 2  # a constant column: c clipped to 2
    bw = normal_reference_bw(data, 1e-3)
    # statsmodels' normal_reference: 1.06 * std * n^(-1/(4+d)), clipped at min_bandwidth (hpbandster)
    np.testing.assert_allclose(bw, np.maximum(1.06 * data.std(axis=0) * 12 ** (-1 / 10), 1e-3))
    assert bw[3] == 1e-3
    x = rng.integers(0, 5, size=(7, 6))
    np.testing.assert_allclose(aitchison_aitken_pdf(data, bw, x), _slow_aa_pdf(data, bw, x), rtol=1e-12)
    # hand value: data {0, 1}, h = 0.1 -> at 0: (0.9 + 0.1) / 2
    assert aitchison_aitken_pdf(np.array([[0], [1]]), np.array([0.1]), np.array([[0]]))[0] == pytest.approx(0.5)
    assert normal_reference_bw(np.array([[0], [1]]), 1e-3)[0] == pytest.approx(1.06 * 0.5 * 2 ** -0.2)


def test_bohb_uses_its_model_on_the_largest_budget():
    """hpbandster's rules, re-derived from the history: the largest budget with at least d + 1 points whose
    good (best max(d + 1, 15% N)) and bad (next max(d + 1, 85% N)) parts both exceed d points."""
    bench = SyntheticCurveBenchmark(ToySpace(6, 5), seed=1, max_epoch=27)
    opt = make("bohb", bench.space, seed=0, min_epoch=1, random_fraction=0.0)
    run(opt, Oracle(bench, budget=10_000, time_budget=100 * 200.0))
    good, bad, bw_good, bw_bad = opt._model()
    ops = opt.cells_.ops.astype(np.int64)
    y, ep = opt.values_, opt.epochs_
    d = 6
    expect = None
    for b in sorted(set(ep.tolist())):
        rows = np.flatnonzero(ep == b)
        n = len(rows)
        if n < d + 1:
            continue
        n_good, n_bad = max(d + 1, 15 * n // 100), max(d + 1, 85 * n // 100)
        order = sorted(range(n), key=lambda j: -y[rows[j]])  # stable: ties keep telling order
        g = ops[rows[order[:n_good]]]
        bd = ops[rows[order[n_good:n_good + n_bad]]]
        if len(g) > d and len(bd) > d:
            expect = (b, g, bd)
    assert expect is not None
    np.testing.assert_array_equal(good, expect[1])
    np.testing.assert_array_equal(bad, expect[2])
    np.testing.assert_allclose(bw_good, np.maximum(1.06 * expect[1].std(axis=0) * len(expect[1]) ** -0.1, 1e-3))


# -- learning-curve extrapolation (NAS-Bench-x11) -----------------------------------------------------------
@pytest.mark.slow
def test_evolution_lce_decision_rule_is_x11s():
    from fastnas.predictors.lc import Curves
    from fastnas.predictors.lce import LCE

    bench = SyntheticCurveBenchmark(ToySpace(6, 5), seed=2, max_epoch=40)
    P, F, X, top = 6, 8, 20, 0.5
    o = Oracle(bench, budget=10_000, time_budget=18 * 200.0)
    run(make("evolution_lce", bench.space, seed=0, population=P, tournament=3, fidelity=F, top_n_percent=top,
             extrapolator="lce_fast", extrapolation=X), o)
    h = o.history()
    keys, epochs = h["key"].tolist(), h["epoch"].tolist()
    assert epochs[:P] == [40] * P and set(epochs) == {F, 40}
    info, n_decided = [], 0
    for i, (k, e) in enumerate(zip(keys, epochs)):
        cell = h["cells"][i]
        if e == 40:
            info.append(float(bench.curves(cell, [X + 1])[0, 0]))  # x11's full_lc[X]: epoch X + 1
            continue
        partial = bench.curves(cell, np.arange(1, F + 1))
        pred = float(LCE(final_epoch=X, scale=100.0).predict(Curves(val_acc=partial))[0])
        s = np.sort(np.array(info))
        bar = s[-int(len(s) * top):].min()
        promoted = i + 1 < len(keys) and keys[i + 1] == k and epochs[i + 1] == 40
        last = i + 1 == len(keys)
        if not last:
            assert promoted == (pred > bar), (i, pred, bar)
            n_decided += 1
    assert n_decided >= 5


@pytest.mark.parametrize("name", [n if "lce" not in n else pytest.param(n, marks=pytest.mark.slow) for n in MF])
def test_contract_on_toy_and_nb201(name):
    _needs(name)
    from fastnas.spaces import get_space

    spaces = (get_space("nb201"),) if name == "bananas_lce" else (ToySpace(6, 5), get_space("nb201"))
    for space in spaces:  # BANANAS-LCE refits its MLPs every ask: one space keeps the test short
        check_optimizer(name, space, rounds=8 if name == "bananas_lce" else 12, batch=4, **SMALL[name])


@pytest.mark.parametrize("name", MF)
def test_save_restore_continues_identically(name, tmp_path):
    _needs(name)
    bench = SyntheticCurveBenchmark(ToySpace(6, 5), seed=0, max_epoch=10)

    def step(opt, oracle, k):
        out = []
        for _ in range(k):
            c = opt.ask(3)
            if not len(c):
                break
            e = opt.epochs_of(c)
            v = oracle(c, epoch=e)
            kw = {"curves": [oracle.curves(c[i:i + 1], int(e[i]))[0] for i in range(len(c))]} \
                if opt.needs_curves else {}
            opt.tell(c, v, **kw)
            out.append((bench.space.to_strings(c), e.tolist()))
        return out

    opt = make(name, bench.space, seed=4, **SMALL[name])
    oracle = Oracle(bench, budget=10_000)
    step(opt, oracle, 6)
    pending = opt.ask(2)
    path = tmp_path / "mf.npz"
    opt.save(path)
    restored = load(path, bench.space)
    np.testing.assert_array_equal(restored.epochs_of(pending), opt.epochs_of(pending))
    e = opt.epochs_of(pending)
    v = oracle(pending, epoch=e)
    kw = {"curves": [oracle.curves(pending[i:i + 1], int(e[i]))[0] for i in range(len(pending))]} \
        if opt.needs_curves else {}
    for o in (opt, restored):
        o.tell(pending, v, **kw)
    o2 = Oracle(bench, budget=10_000)
    for cells_ in (opt.cells_,):  # a second oracle that already trained what the first did
        o2(cells_, epoch=np.maximum(opt.epochs_, 1))
    assert step(opt, oracle, 5) == step(restored, o2, 5)
    np.testing.assert_array_equal(opt.epochs_, restored.epochs_)


def test_tell_needs_curves_and_validates_them():
    bench = SyntheticCurveBenchmark(ToySpace(6, 5), seed=0, max_epoch=10)
    opt = make("evolution_lce", bench.space, seed=0, **SMALL["evolution_lce"])
    c = opt.ask(1)
    with pytest.raises(ValueError, match="needs curves"):
        opt.tell(c, [50.0])
    with pytest.raises(ValueError, match="curve has 3 epochs"):
        opt.tell(c, [50.0], curves=[np.ones(3)])
    with pytest.raises(ValueError, match="finite"):
        opt.tell(c, [np.nan], curves=[np.ones(10)])
    with pytest.raises(ValueError, match="not an asked cell"):
        opt.epochs_of(bench.space.from_strings(["4-4-4-4-4-3"]))
    with pytest.raises(ValueError, match="fidelity=10 must be below max_epoch=10"):
        make("evolution_lce", bench.space, max_epoch=10, fidelity=10)
    with pytest.raises(ValueError, match="eta"):
        make("hyperband", bench.space, eta=1)
    with pytest.raises(ValueError, match="needs max_epoch"):
        make("hyperband", bench.space).ask(1)


def test_nb201_store_with_official_curves_is_a_fidelity_benchmark(tmp_path):
    """A store converted from an official NB201/NATS file (tiny writer of the exact format from the
    converter's tests, 4 epochs) answers epochs and charges partial training; the bundled final-epoch-only
    store stays single-fidelity."""
    import bz2
    import importlib.util
    import pathlib
    import pickle

    from fastnas.nasbench import load
    from fastnas.nasbench.nb201_official import convert_nb201

    spec = importlib.util.spec_from_file_location(
        "nb201_official_writer", pathlib.Path(__file__).with_name("test_nasbench_nb201_official.py"))
    w = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(w)
    f = tmp_path / "NATS-tss-v1_0-3ffb9.pickle.pbz2"
    with bz2.open(f, "wb") as fh:
        pickle.dump(w._whole(("200",)), fh, protocol=4)
    convert_nb201(f, tmp_path / "out", progress=False)
    bench = load("nb201", dataset="cifar10-valid", root=tmp_path / "out")
    o = Oracle(bench, budget=10)
    assert o.max_epoch == w.E == 4
    cells = bench.space.from_strings(w.ARCHS[:1])
    v, c = o(cells, epoch=2, return_cost=True)
    assert v[0] == pytest.approx(bench.query(cells, epoch=2)[0])
    full = bench.query(cells, return_cost=True)[1][0]
    assert c[0] == pytest.approx(full * 2 / 4)
    v, c = o(cells, return_cost=True)  # continued to the final epoch: the other half
    assert c[0] == pytest.approx(full / 2) and o.time_used == pytest.approx(full)
    np.testing.assert_allclose(o.curves(cells, 4)[0], bench.curves(cells, [1, 2, 3, 4])[0])
    assert Oracle(load("nb201", dataset="cifar10-valid"), budget=1).max_epoch is None


def test_sampled_seed_stays_available_for_final_epoch_queries():
    bench = SyntheticCurveBenchmark(ToySpace(4, 3), max_epoch=10)
    c = bench.space.from_strings(["1-2-0-0"])

    class Noisy(SyntheticCurveBenchmark):  # a curve benchmark with training seeds at the final epoch
        def query(self, cells, metric="accuracy", split="valid", seed="mean", rng=None, epoch=None,
                  return_cost=False, **kw):
            out = super().query(cells, metric, split, "mean", None, epoch, return_cost=return_cost)
            if seed == "sample":
                v, cost = out
                return v + np.random.default_rng(rng).normal(size=len(v)), cost
            return out

    noisy = Noisy(ToySpace(4, 3), max_epoch=10)
    o = Oracle(noisy, budget=3, seed="sample", rng=0)
    a = o(c)[0]
    assert a != bench.query(c)[0] and o(c)[0] == a  # one draw, kept
    with pytest.raises(ValueError, match="single-fidelity"):
        o(c, epoch=3)


@pytest.mark.parametrize("space_name", ["nb101", "darts", "nbgraph"])
@pytest.mark.parametrize("name", ["hyperband", "bohb"])
def test_contract_on_the_other_spaces(space_name, name):
    from fastnas.spaces import get_space

    check_optimizer(name, get_space(space_name), rounds=10, batch=4, **SMALL[name])


def test_bohb_proposes_the_sample_minimising_g_over_l(monkeypatch):
    import fastnas.search.bohb as bohb_mod

    bench = SyntheticCurveBenchmark(ToySpace(6, 5), seed=1, max_epoch=27)
    opt = make("bohb", bench.space, seed=0, min_epoch=1, random_fraction=0.0)
    run(opt, Oracle(bench, budget=10_000, time_budget=100 * 200.0))
    calls = []
    real = bohb_mod.aitchison_aitken_pdf

    def record(data, bw, x):
        out = real(data, bw, x)
        calls.append((np.array(x), out))
        return out

    monkeypatch.setattr(bohb_mod, "aitchison_aitken_pdf", record)
    cell = opt._one_new(set())
    (x, lx), (_, gx) = calls
    assert len(x) == 64  # num_samples
    score = np.maximum(gx, 1e-32) / np.maximum(lx, 1e-32)
    keys = bench.space.key(bench.space._cells(x))
    fresh = np.array([int(k) not in opt._seen for k in keys.tolist()])
    best = int(np.flatnonzero(fresh)[np.argmin(score[fresh])])
    np.testing.assert_array_equal(cell.ops[0], x[best])

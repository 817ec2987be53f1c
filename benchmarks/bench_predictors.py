"""Predictor feature-building and evaluation kernels beside slow per-cell Python references of the same
definitions, so the speed-up is a ratio from one run.

    pytest benchmarks/bench_predictors.py --benchmark-only --benchmark-group-by=group
    python benchmarks/bench_predictors.py        # markdown table (benchmarks/README.md)

Ops (vectorised numpy in fastnas vs a per-cell loop written from the definition):
* ``kendall_tau``: tau-b of 200 test predictions (pair counting in blocks) vs a double loop over pairs.
* ``sotl_ema``: TSE-EMA (discounted sum of training losses) for every cell vs the recursion per cell.
* ``lcsvr_features``: curve statistics for all cells vs one cell at a time.
* ``forest_predict``: flat-array traversal of a 100-tree forest vs scikit-learn's tree-by-tree predict.
* ``lce_fit``: batched Levenberg-Marquardt for all curves (pow3 model) vs ``scipy.optimize.curve_fit``
  per curve.
* ``zc_lookup``: zero-cost table lookup by sorted row keys vs a Python dict of tuples.
* ``wl_kernel``: GP-WL's optimal-assignment WL kernel (h = 2) of 200 NB201 cells by count matrices vs a
  loop over pairs of label histograms (``min`` per shared label).
"""
from __future__ import annotations

import sys
import time

import numpy as np
import pytest

RNG = np.random.default_rng(0)


# ---------------------------------------------------------------- references (per-cell loops)
def ref_wl_oa(feats):
    n = len(feats)
    K = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            K[i, j] = sum(sum(min(a[k], b[k]) for k in a.keys() & b.keys()) for a, b in zip(feats[i], feats[j]))
    return K


def ref_kendall(a, b):
    a, b = a.tolist(), b.tolist()
    n = len(a)
    s = ta = tb = 0
    for i in range(n):
        for j in range(i + 1, n):
            da = (a[i] > a[j]) - (a[i] < a[j])
            db = (b[i] > b[j]) - (b[i] < b[j])
            s += da * db
            ta += da != 0
            tb += db != 0
    return s / np.sqrt(ta * tb)


def ref_sotl_ema(L, gamma=0.999):
    # TSE-EMA (Ru et al. 2021): sum_t gamma^(T-t) L_t, one cell and one epoch at a time
    out = np.empty(len(L))
    for i, row in enumerate(L):
        s = 0.0
        for v in row:
            s = gamma * s + v
        out[i] = -s
    return out


def ref_lcsvr_features(acc):
    rows = []
    for c in acc:
        d1, d2 = np.diff(c), np.diff(c, 2)
        rows.append([c.mean(), c.std(), d1.mean(), d1.std(), d2.mean(), d2.std()])
    return np.array(rows)


def ref_lce_fit(acc):
    from scipy.optimize import curve_fit

    x = np.arange(1, acc.shape[1] + 1.0)
    out = []
    for y in acc:
        try:
            p, _ = curve_fit(lambda x, c, a, al: c - a * x ** (-al), x, y, p0=(y[-1] + 0.05, 0.5, 0.5), maxfev=2000)
        except RuntimeError:
            p = (np.nan,) * 3
        out.append(p)
    return np.array(out)


# ---------------------------------------------------------------- cases
def _cases():
    from sklearn.ensemble import RandomForestRegressor

    from fastnas.predictors._trees import pack_trees, predict_trees
    from fastnas.predictors.lc import Curves, SoTLEMA
    from fastnas.predictors.lce import _init, _pow3, fit_curves
    from fastnas.predictors.lcsvr import curve_features
    from fastnas.predictors.metrics import kendall_tau
    from fastnas.predictors.zerocost import ZeroCostTable
    from fastnas.spaces import NB201

    a, b = RNG.random(200), RNG.random(200)
    L = RNG.random((5000, 50))
    C = Curves(train_loss=L)
    acc = RNG.random((5000, 50))
    CA = Curves(val_acc=acc)
    X = (RNG.random((1000, 30)) < 0.3).astype(float)
    rf = RandomForestRegressor(n_estimators=100, random_state=0, n_jobs=1).fit(X[:500], X[:500] @ RNG.random(30))
    packed = pack_trees(rf.estimators_)
    n_lce = 200
    xx = np.arange(1, 21.0)
    fin = RNG.uniform(0.6, 0.95, n_lce)
    lc = fin[:, None] - 0.5 * xx[None] ** -RNG.uniform(0.3, 1.0, n_lce)[:, None] + RNG.normal(0, 0.005, (n_lce, 20))
    space = NB201()
    cells = space.enumerate()
    scores = RNG.random(len(cells))
    z = ZeroCostTable(proxy="p", cells=cells, scores={"p": scores})
    z.predict(cells[:2])
    table = {tuple(r): s for r, s in zip(cells.ops.tolist(), scores)}
    ops = cells.ops.tolist()
    from fastnas.predictors.gp_wl import nb201_graph, wl_features, wl_kernel

    wl_feats = wl_features([nb201_graph(o) for o in space.sample(200, seed=0).ops], 2)
    return {
        "wl_kernel": ((200, lambda: wl_kernel(wl_feats, wl_feats, True)), (200, lambda: ref_wl_oa(wl_feats))),
        "kendall_tau": ((200, lambda: kendall_tau(a, b)), (200, lambda: ref_kendall(a, b))),
        "sotl_ema": ((5000, lambda: SoTLEMA().predict(C)), (5000, lambda: ref_sotl_ema(L))),
        "lcsvr_features": ((5000, lambda: curve_features(CA)), (5000, lambda: ref_lcsvr_features(acc))),
        "forest_predict": ((1000, lambda: predict_trees(packed, X).mean(0)), (1000, lambda: rf.predict(X))),
        "lce_fit": ((n_lce, lambda: fit_curves(_pow3, xx[None], lc, _init(lc)["pow3"])),
                    (n_lce, lambda: ref_lce_fit(lc))),
        "zc_lookup": ((len(cells), lambda: z.predict(cells)), (len(cells), lambda: [table[tuple(r)] for r in ops])),
    }


CASES = None


def _get():
    global CASES
    if CASES is None:
        CASES = _cases()
    return CASES


@pytest.mark.parametrize("op", ["kendall_tau", "sotl_ema", "lcsvr_features", "forest_predict", "lce_fit", "zc_lookup",
                                "wl_kernel"])
@pytest.mark.parametrize("impl", ["fastnas", "reference"])
def test_bench(benchmark, op, impl):
    (n, f), (m, g) = _get()[op]
    fn, cells = (f, n) if impl == "fastnas" else (g, m)
    benchmark.group = op
    benchmark.extra_info["cells"] = cells
    benchmark(fn)


def _best(fn, reps=3):
    best = np.inf
    for _ in range(reps):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return max(best, 1e-9)


def main():  # pragma: no cover - table for the README
    cases = _get()
    print("| op | fastnas cells/s | reference cells/s | speed-up |")
    print("|---|---:|---:|---:|")
    for op, ((n, f), (m, g)) in cases.items():
        a = n / _best(f)
        b = m / _best(g, reps=1)
        print(f"| {op} | {a:,.0f} | {b:,.0f} | {a / b:,.1f}x |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

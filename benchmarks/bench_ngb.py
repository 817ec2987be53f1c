"""NGBoost fits: fastnas's ``NGBoost`` (ngboost with ``LeanNormal`` / ``LeanTree``, ``fastnas/predictors/
_ngb_lean.py``) beside stock ngboost (``NGBRegressor`` with ngboost's ``Normal`` and scikit-learn's
``DecisionTreeRegressor``), same settings and seed: the fits are bitwise equal (tests/unit/test_ngb_lean.py),
so the ratio is pure Python overhead removed.

    pytest benchmarks/bench_ngb.py --benchmark-only
    python benchmarks/bench_ngb.py        # CPU seconds per fit and the ratio, for benchmarks/README.md

Sizes: one OMNI cross-validation fit (NAS-sized: 28 rows x 58 features, 300 estimators, depth 10) and the
white2021 ``ngb`` preset's fit at 347 training cells (505 estimators, depth 6). BLAS at one thread.
"""
from __future__ import annotations

import time

import numpy as np
import pytest

CASES = {"omni-cv-fit": dict(n=28, d=58, n_estimators=300, learning_rate=0.01, minibatch_frac=0.5, max_depth=10,
                             max_features=0.5, min_samples_leaf=3),
         "ngb-347": dict(n=347, d=58, n_estimators=505, learning_rate=0.0813, minibatch_frac=0.508, max_depth=6,
                         max_features=0.792, min_samples_leaf=15)}


def _xy(case):
    rng = np.random.default_rng(0)
    X = (rng.random((case["n"], case["d"])) < 0.3).astype(np.float64)
    return X, X[:, :5].sum(axis=1) + 0.1 * rng.standard_normal(case["n"])


def _stock(case, X, y):
    from ngboost import NGBRegressor
    from ngboost.distns import Normal
    from sklearn.tree import DecisionTreeRegressor

    base = DecisionTreeRegressor(max_depth=case["max_depth"], max_features=case["max_features"],
                                 min_samples_leaf=case["min_samples_leaf"], random_state=0)
    return NGBRegressor(Dist=Normal, Base=base, n_estimators=case["n_estimators"],
                        learning_rate=case["learning_rate"], minibatch_frac=case["minibatch_frac"], verbose=False,
                        random_state=0).fit(X, y)


def _fastnas(case, X, y):
    from fastnas.predictors.trees import NGBoost

    kw = {k: v for k, v in case.items() if k not in ("n", "d")}
    return NGBoost(**kw, seed=0).fit(X, y)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("impl", ["stock", "fastnas"])
def test_ngb_fit(benchmark, case, impl):
    from threadpoolctl import threadpool_limits

    c = CASES[case]
    X, y = _xy(c)
    benchmark.group = f"ngb-fit-{case}"
    with threadpool_limits(1):
        benchmark.pedantic(_stock if impl == "stock" else _fastnas, args=(c, X, y), rounds=3, iterations=1)


def main() -> None:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        for name, c in CASES.items():
            X, y = _xy(c)
            _fastnas(c, X, y)  # imports and numba/first-call costs outside the timing
            t = {}
            for impl, fn in (("stock", _stock), ("fastnas", _fastnas)):
                best = np.inf
                for _ in range(3):
                    t0 = time.process_time()
                    fn(c, X, y)
                    best = min(best, time.process_time() - t0)
                t[impl] = best
            print(f"{name}: stock ngboost {t['stock']:.3f} s, fastnas {t['fastnas']:.3f} s, "
                  f"{t['stock'] / t['fastnas']:.1f}x (CPU s, best of 3)")


if __name__ == "__main__":
    main()

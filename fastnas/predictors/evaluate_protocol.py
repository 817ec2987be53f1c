"""The evaluation protocol of White et al. 2021 ("How Powerful are Performance Predictors in Neural
Architecture Search?", section 3; definitions file section 5).

For each seed: a random test set of ``test_size`` cells (200; 100 for DARTS in the paper) and, from the
remaining cells, nested training sets of each size in ``train_sizes`` (log-spaced 5..1000 by default).
Each predictor is fitted on the training cells and queried on the test cells, at each fidelity
(epochs of learning curve shown) its family uses:

* model-based: training sizes, no fidelity;
* learning-curve, training-free (SoTL, SoTL-E, SoTL-EMA, early stopping, LCE): fidelities, no training;
  LcSVR: training sizes x fidelities;
* zero-cost (training-free): one row per seed;
* hybrid (OMNI, Stack): training sizes x fidelities (fidelity 0 = no curves).

Metrics: MAE, RMSE, Pearson, Spearman, Kendall tau-b, precision@10/20 (MAE and RMSE are NaN for an
uncalibrated training-free score). Costs: ``init_time_s`` = simulated full training time of the training
cells (the benchmark's cost) + fit wall time; ``query_time_s`` per test cell = predict wall time /
n_test + partial training of the cell up to the fidelity (``cost * fidelity / total_epochs``) +
zero-cost compute time of the proxies the predictor reads. Deterministic under ``seed``: the splits and
every predictor's ``seed`` derives from it (timings aside).
"""
from __future__ import annotations

import time
from typing import Iterable

import numpy as np

from .._rng import as_generator
from ._registry import PREDICTORS, family, make
from .evaluate_data import EvalData
from .metrics import all_metrics

_FAMILY_BY_CLASS = {cls: fam for _, cls, fam in PREDICTORS.values()}


def default_train_sizes(n_pool: int, lo: int = 5, hi: int = 1000, num: int = 11) -> list[int]:
    """Log-spaced training sizes from ``lo`` to ``min(hi, n_pool)``, deduplicated.

    >>> default_train_sizes(10_000)
    [5, 8, 14, 25, 42, 71, 120, 204, 347, 589, 1000]
    """
    hi = min(hi, n_pool)
    if hi < lo:
        raise ValueError(f"the training pool has {n_pool} cells, fewer than the smallest size {lo}")
    return sorted({int(round(v)) for v in np.geomspace(lo, hi, num)})


def _family_of(name: str, pred) -> str:
    if name.lower() in PREDICTORS:
        return family(name)
    return _FAMILY_BY_CLASS.get(type(pred).__name__, "model-based")


def _prepare(predictors) -> dict:
    if isinstance(predictors, str):
        predictors = [predictors]
    if isinstance(predictors, dict):
        items = list(predictors.items())
    else:
        items = [(p, p) if isinstance(p, str) else (type(p).__name__, p) for p in predictors]
    out = {}
    for name, p in items:
        out[str(name)] = make(p) if isinstance(p, str) else p
    if not out:
        raise ValueError("no predictors to evaluate")
    return out


def _instance(pred, data: EvalData, seed: int):
    """A fresh copy with the evaluation's space and a derived seed."""
    from sklearn.base import clone

    p = clone(pred)
    params = p.get_params(deep=False)
    upd = {}
    if "space" in params and params["space"] is None and data.space is not None and data.cells is not None:
        upd["space"] = data.space
    if "seed" in params:
        upd["seed"] = int(seed)
    if upd:
        p.set_params(**upd)
    return p


def _input(pred, batch):
    from ._batch import route
    from .omni import OMNI
    from .omni_seminas import OMNISemiNAS
    from .stack import Stack
    from .zerocost import ZeroCostTable

    if isinstance(pred, (OMNI, OMNISemiNAS, Stack, ZeroCostTable)):
        return batch
    return route(pred, batch)


def _wants_pool(pred) -> bool:
    """Semi-supervised predictors that need unlabelled cells carrying the evaluation's data (zero-cost
    scores): they receive pool cells outside the training and test sets."""
    from .omni_seminas import OMNISemiNAS

    return isinstance(pred, OMNISemiNAS)


def _reads_zc(pred, fam: str) -> list[str]:
    from .omni import OMNI
    from .omni_seminas import OMNISemiNAS
    from .zerocost import ZeroCostTable

    if isinstance(pred, ZeroCostTable):
        return [pred.proxy]
    if isinstance(pred, (OMNI, OMNISemiNAS)) and isinstance(pred.zc, str):
        return [pred.zc]
    return []


def evaluate(predictors, data: EvalData, *, train_sizes: Iterable[int] | None = None, test_size: int = 200,
             fidelities: Iterable[int] | None = None, seeds: Iterable[int] | int = 3, ks=(10, 20),
             progress: bool = True, seed: int = 0):
    """Run the protocol and return a pandas DataFrame, one row per (predictor, seed, size, fidelity).

    Parameters
    ----------
    predictors : names (``make``), instances, or a dict label -> name/instance.
    data : the ``EvalData`` pool.
    train_sizes : default ``default_train_sizes`` of the pool left after the test set.
    test_size : test cells per seed.
    fidelities : epochs of curve shown to learning-curve and hybrid predictors (default: a quarter and a
        half of the curves' epochs; hybrids are also run without curves).
    seeds : number of trials or explicit trial ids.
    seed : base seed of the splits.

    Examples
    --------
    >>> from fastnas.predictors import EvalData, evaluate
    >>> df = evaluate(["sotle"], EvalData.synthetic(300), seeds=1, progress=False)
    >>> sorted(df.fidelity.unique().tolist())
    [5, 10]
    """
    import pandas as pd
    from tqdm.auto import tqdm

    from ._scored import ScorePredictor
    from .lc import CurvePredictor

    preds = _prepare(predictors)
    n = len(data)
    test_size = int(test_size)
    if not 2 <= test_size < n:
        raise ValueError(f"test_size must be in [2, {n - 1}] for {n} cells, got {test_size}")
    pool_n = n - test_size
    sizes = default_train_sizes(pool_n) if train_sizes is None else sorted({int(s) for s in train_sizes})
    if sizes and (sizes[0] < 1 or sizes[-1] > pool_n):
        raise ValueError(f"training sizes must be in [1, {pool_n}] (pool after the test set), got {sizes}")
    T = data.total_epochs
    if fidelities is None:
        fids = sorted({max(1, T // 4), max(1, T // 2)}) if T else []
    else:
        fids = sorted({int(f) for f in fidelities if int(f) > 0})
        if fids and (T == 0 or fids[-1] > T):
            raise ValueError(f"fidelities must be in [1, {T}] (epochs of the curves), got {fids}")
    trials = list(range(int(seeds))) if isinstance(seeds, (int, np.integer)) else [int(s) for s in seeds]
    root = int(as_generator(seed).integers(2**63))
    # per trial: the split and the predictors' seed, both from (seed, trial) only
    perms = {t: np.random.default_rng([root, t]).permutation(n) for t in trials}
    pseeds = {t: int(np.random.default_rng([root, t, 1]).integers(2**31 - 1)) for t in trials}

    # the work list: (trial, name, train size, fidelity)
    jobs = []
    for name, pred in preds.items():
        fam = _family_of(name, pred)
        free = isinstance(pred, ScorePredictor) and pred.training_free
        if isinstance(pred, CurvePredictor):
            combos = [(0 if free else s, f) for s in ([0] if free else sizes) for f in fids]
        elif fam == "zero-cost" or free:
            combos = [(0, 0)]
        elif fam == "hybrid" and getattr(pred, "uses_curves", True):
            combos = [(s, f) for s in sizes for f in [0, *fids]]
        elif fam == "hybrid":
            combos = [(s, 0) for s in sizes]
        else:
            combos = [(s, 0) for s in sizes]
        for t in trials:
            jobs += [(t, name, fam, s, f) for s, f in combos]

    rows = []
    for t, name, fam, s, f in tqdm(jobs, disable=not progress, desc="predictors", unit="fit"):
        perm = perms[t]
        test = perm[:test_size]
        train = perm[test_size:test_size + s]
        pred = _instance(preds[name], data, seed=pseeds[t])
        b_te = data.batch(test, f)
        row = {"predictor": name, "family": fam, "seed": t, "train_size": s, "fidelity": f}
        try:
            t0 = time.perf_counter()
            if s > 0 and _wants_pool(pred):
                # unlabelled architectures for semi-supervised predictors: pool cells outside train and test
                n_u = int(getattr(pred, "synthetic_factor", 1)) * s
                unl = perm[test_size + s:test_size + s + n_u]
                pred.fit(_input(pred, data.batch(train, f)), data.y[train], X_unlabeled=_input(pred, data.batch(unl, f)))
            elif s > 0:
                pred.fit(_input(pred, data.batch(train, f)), data.y[train])
            fit_t = time.perf_counter() - t0
            t0 = time.perf_counter()
            p = np.asarray(pred.predict(_input(pred, b_te)), dtype=np.float64)
            q_t = (time.perf_counter() - t0) / len(test)
        except ValueError as exc:  # e.g. too few training points for this model: recorded, not fatal
            row.update({"error": str(exc)})
            rows.append(row)
            continue
        m = all_metrics(data.y[test], p, ks=ks)
        if s == 0 and not getattr(pred, "is_fitted_", False):
            m["mae"] = m["rmse"] = float("nan")  # a raw score is not on the target's scale
        sim_train = float(data.cost[train].sum())
        partial = float((data.cost[test] * (f / T)).mean()) if (f and T) else 0.0
        zc_t = sum(float(data.zc_time[z][test].mean()) for z in _reads_zc(pred, fam) if z in data.zc_time)
        row.update(m)
        row.update({
            "fit_time_s": fit_t, "predict_time_per_cell_s": q_t, "sim_train_time_s": sim_train,
            "init_time_s": sim_train + fit_t,
            "query_time_s": q_t + partial + zc_t,
        })
        rows.append(row)
    df = pd.DataFrame(rows)
    if "error" not in df:
        df["error"] = ""
    df["error"] = df["error"].fillna("")
    return df


def summarize(df, metric: str = "kendall_tau"):
    """Mean and standard deviation of ``metric`` (and timings) over seeds, per predictor/size/fidelity."""
    ok = df[df["error"] == ""]
    g = ok.groupby(["predictor", "family", "train_size", "fidelity"], sort=True)
    out = g.agg(**{metric: (metric, "mean"), f"{metric}_std": (metric, "std"), "n_seeds": ("seed", "nunique"),
                   "init_time_s": ("init_time_s", "mean"), "fit_time_s": ("fit_time_s", "mean"),
                   "query_time_s": ("query_time_s", "mean")})
    return out.reset_index()

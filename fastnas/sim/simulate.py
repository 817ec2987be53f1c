"""``simulate``: many seeded search trials (algorithms x benchmarks x trials) with checkpointed results."""
from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

from ._backends import execute
from ._store import ResultStore
from ._trial import TrialSpec, benchmark_label, resolve_benchmark, trial_seed
from . import summary as _summary


def _algorithms(algorithms) -> list[tuple[str, str, dict]]:
    """Normalise to (label, registry name, params)."""
    from ..search._registry import optimizer_class

    if isinstance(algorithms, (str, tuple, dict)):
        algorithms = [algorithms]
    out = []
    for a in algorithms:
        if isinstance(a, str):
            label, name, params = a, a, {}
        elif isinstance(a, tuple) and len(a) == 2:
            name, params = a
            label = name
        elif isinstance(a, dict):
            name = a["name"]
            params = dict(a.get("params", {}))
            label = a.get("label", name)
        else:
            raise TypeError(f"an algorithm is a name, a (name, params) tuple or a dict, got {a!r}")
        optimizer_class(name)  # ValueError listing valid names
        out.append((str(label), str(name), dict(params)))
    labels = [x[0] for x in out]
    if len(set(labels)) != len(labels):
        raise ValueError(f"algorithm labels must be unique, got {labels}")
    return out


def _optimum(bench) -> float:
    """Best validation accuracy of a benchmark (for regret): ``best()`` when offered, else the maximum over
    an enumerable space, else NaN (regret is then undefined; tables show NaN)."""
    if hasattr(bench, "best"):
        return float(bench.best("accuracy", "valid")[1])
    if getattr(bench.space, "finite", False):
        return float(np.max(bench.query(bench.space.enumerate())))
    return float("nan")


def _kind(bench) -> str | None:
    """"surrogate predictions" for a benchmark whose values come from a model (NB301), else None."""
    info = getattr(bench, "info", None)
    try:
        return "surrogate predictions" if callable(info) and info().get("kind") == "surrogate" else None
    except Exception:  # noqa: BLE001 - no usable info(): a table or a synthetic benchmark
        return None


class SimulationResult:
    """Results of ``simulate``: per-query rows (``df``), optima, and summary helpers.

    Regret is ``optimum - best value found``. A benchmark without a known optimum (a surrogate such as
    NB301) is measured against the best value any trial of this simulation reached; ``optimum_source``
    says which benchmark that is, and plot titles repeat it.
    """

    def __init__(self, df: pd.DataFrame, optima: dict, budget: int | None, out: str | None,
                 kinds: dict | None = None, multi_fidelity: bool = False):
        self.df = df
        self.optima = dict(optima)
        #: benchmark -> "surrogate predictions" for a surrogate (NB301), else absent
        self.kinds = {k: v for k, v in (kinds or {}).items() if v}
        self.multi_fidelity = bool(multi_fidelity)
        self.optimum_source = {k: "known optimum" for k in self.optima}
        for k, v in self.optima.items():
            if not np.isfinite(v) and len(df):
                vals = df.loc[df["benchmark"].astype(str) == k, "value"]
                if len(vals):
                    self.optima[k] = float(vals.max())
                    self.optimum_source[k] = "best value reached in this simulation"
        self.budget = budget
        self.out = out

    def curves(self, x: str = "query") -> pd.DataFrame:
        """Regret curves against ``x="query"`` (cells evaluated) or ``"time"`` (simulated training time)."""
        if x == "query":
            return _summary.curves(self.df, self.optima, self.budget)
        if x == "time":
            return _summary.curves_time(self.df, self.optima)
        raise ValueError(f"x must be 'query' or 'time', got {x!r}")

    def table(self) -> pd.DataFrame:
        """``final_table`` plus ``regret_vs`` (the reference point of each benchmark's regret: "known optimum"
        or "best value reached in this simulation") and ``values`` ("surrogate predictions" for NB301,
        "benchmark values" otherwise)."""
        t = _summary.final_table(self.df, self.optima)
        if len(t):
            t["regret_vs"] = t["benchmark"].astype(str).map(self.optimum_source).fillna("known optimum")
            t["values"] = t["benchmark"].astype(str).map(self.kinds).fillna("benchmark values")
        return t

    def header(self) -> str:
        """One line per benchmark saying what the regret is measured against and whether the values are
        surrogate predictions (printed above the table by the CLI, the first lines of ``table.csv``)."""
        lines = []
        for b in self.optima:
            kind = self.kinds.get(b)
            lines.append(f"# {b}: regret (percentage points) vs {self.optimum_source.get(b, 'known optimum')}"
                         + (f"; values are {kind}" if kind else ""))
        return "\n".join(lines)

    def plot(self, path: str | None = None, stat: str = "mean", x: str = "query") -> str:
        """PNG of the regret curves against queries (``x="query"``) or simulated GPU hours (``"time"``)."""
        if path is None:
            if self.out is None:
                raise ValueError("give a path (the simulation has no out folder)")
            path = os.path.join(self.out, f"regret_{stat}{'_time' if x == 'time' else ''}.png")
        notes = {}
        for k in self.optima:
            parts = [self.kinds[k]] if k in self.kinds else []
            if self.optimum_source.get(k, "known optimum") != "known optimum":
                parts.append(f"regret vs {self.optimum_source[k]}")
            if parts:
                notes[k] = "; ".join(parts)
        return _summary.plot(self.curves(x), path, stat=stat, x="sim_hours" if x == "time" else "query",
                             notes=notes, multi_fidelity=self.multi_fidelity)

    def __repr__(self) -> str:
        return f"SimulationResult({self.df['trial_id'].nunique() if len(self.df) else 0} trials, out={self.out!r})"


def simulate(algorithms, benchmarks="nb201/cifar10-valid", trials=10, budget: int | None = 150, *, seed: int = 0,
             backend: str = "serial", n_workers: int | None = None, out: str | None = None,
             progress: bool = True, time_budget: float | None = None, batch_size: int | None = None,
             oracle_seed: str = "mean", chunk_size: int | None = None, address: str | None = None,
             callback=None) -> SimulationResult:
    """Run ``trials`` seeded search trials of every algorithm on every benchmark.

    Parameters
    ----------
    algorithms : names (``"bananas"``), ``(name, params)`` tuples or dicts ``{"name", "label", "params"}``
    benchmarks : benchmark specs (``"nb201/cifar10-valid"``, loaded in each worker) or benchmark objects
    trials : number of trials (indices 0..trials-1) or an explicit list of trial indices
    budget, time_budget : queries (distinct cells) and/or simulated training seconds per trial; multi-fidelity
        algorithms (``hyperband``, ``bohb``, ...) are usually limited by ``time_budget`` (``budget=None``)
    seed : base seed; trial t of algorithm a runs with ``trial_seed(seed, a, t)`` on every backend
    backend : "serial", "processes" or "ray" (``address`` for a Ray cluster); ``n_workers`` processes/CPUs
    out : results folder (``trials/*.parquet`` + ``manifest.json``); a rerun with the same folder and
        configuration resumes, running only the trials not finished yet
    progress : tqdm bar across trials
    callback : called with each trial id after its results are saved (e.g. to stop early)

    Examples
    --------
    >>> from fastnas.sim import simulate
    >>> from fastnas.sim.synthetic import SyntheticBenchmark
    >>> res = simulate(["random", "evolution"], [SyntheticBenchmark()], trials=3, budget=30, progress=False)
    >>> sorted(res.table()["algorithm"])
    ['evolution', 'random']
    """
    from ..search._registry import optimizer_class

    algos = _algorithms(algorithms)
    if isinstance(benchmarks, (str,)) or not isinstance(benchmarks, (list, tuple)):
        benchmarks = [benchmarks]
    trial_ids = list(range(int(trials))) if isinstance(trials, (int,)) else [int(t) for t in trials]
    if budget is None:
        if time_budget is None:
            raise ValueError("give a query budget, a time_budget (simulated seconds) or both")
    elif isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or int(budget) < 1:
        raise ValueError(f"budget must be an int >= 1 (or None with a time_budget), got {budget!r}")
    specs = [
        TrialSpec(algorithm=label, optimizer=name, params=params, benchmark=b, trial=t,
                  seed=trial_seed(seed, label, t), budget=None if budget is None else int(budget),
                  time_budget=time_budget,
                  batch_size=batch_size, oracle_seed=oracle_seed)
        for label, name, params in algos for b in benchmarks for t in trial_ids
    ]
    optima = {benchmark_label(b): _optimum(resolve_benchmark(b)) for b in benchmarks}
    kinds = {benchmark_label(b): _kind(resolve_benchmark(b)) for b in benchmarks}
    from ..search import make

    for label, name, params in algos:  # bad parameters fail here, before out/ is created or a trial runs
        for b in benchmarks:
            make(name, resolve_benchmark(b).space, seed=0, **params)
    store = None
    if out is not None:
        config = {"algorithms": [[l, n, p] for l, n, p in algos], "benchmarks": [benchmark_label(b) for b in benchmarks],
                  "budget": None if budget is None else int(budget), "time_budget": time_budget, "seed": int(seed),
                  "batch_size": batch_size,
                  "oracle_seed": oracle_seed}
        store = ResultStore(out, config)
        todo = [s for s in specs if not store.is_done(s.trial_id)]
    else:
        todo = specs
    results: dict[str, pd.DataFrame] = {}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(specs), initial=len(specs) - len(todo), desc="trials")
    last_flush = time.perf_counter()
    try:
        for trial_id, cols in execute(todo, backend=backend, n_workers=n_workers, chunk_size=chunk_size,
                                      address=address):
            if store is not None:
                now = time.perf_counter()
                store.write(trial_id, cols, manifest=now - last_flush > 0.5)
                if now - last_flush > 0.5:
                    last_flush = now
            else:
                results[trial_id] = pd.DataFrame(cols)
            if bar is not None:
                bar.update(1)
            if callback is not None:
                callback(trial_id)
    finally:
        if store is not None:
            store.flush()
        if bar is not None:
            bar.close()
    order = [s.trial_id for s in specs]
    if store is not None:
        df = store.read(order)
    else:
        df = pd.concat([results[t] for t in order], ignore_index=True) if results else pd.DataFrame()
    mf = any(getattr(optimizer_class(n), "multi_fidelity", False) for _, n, _ in algos)
    return SimulationResult(df, optima, None if budget is None else int(budget), out, kinds=kinds,
                            multi_fidelity=mf)

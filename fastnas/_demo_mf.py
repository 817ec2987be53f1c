"""The multi-fidelity part of ``make demo``: searches on the NAS-Bench-301 surrogate against simulated GPU time.

Random search and regularized evolution (every cell trained for the full 98 epochs), successive halving,
Hyperband and BOHB (cells trained partially, training continued only for the promising ones) share one
simulated-GPU-time budget per trial on the bundled NAS-Bench-301 surrogate
(YAHPO Gym's model of the NB301 training logs: predictions, never measurements). Writes
``mf_regret_time.png`` (mean regret against simulated GPU hours, 95% intervals of the mean) and
``mf_table.csv`` / ``mf_table.md`` to ``out``. Regret is measured against the best surrogate accuracy
any trial of the run reached (NB301 has no known optimum), so it compares the algorithms, not absolute
distance to the optimum. Under a minute on 2 cores.
"""
from __future__ import annotations

import os
import time

#: evolution's population is 10 (tournament 5) here instead of 30 (10): with a budget of a few dozen full
#: trainings, a population of 30 would never leave its random start. x11's LC-extrapolation variants
#: (``evolution_lce``, ``bananas_lce``) fit x11's 11-family learning-curve ensemble per candidate (about
#: 0.2-0.7 s each on a busy 2-core machine, ~100 s per 48 h trial), too slow for a one-minute demo:
#: ``benchmarks/mf_results.py`` runs them.
ALGORITHMS = ["random", ("evolution", {"population": 10, "tournament": 5}), "successive_halving", "hyperband",
              "bohb"]


def run(out: str = "demo-out", progress: bool = True, trials: int = 3, gpu_hours: float = 48.0,
        backend: str = "processes") -> dict:
    """Run the multi-fidelity demo; returns the paths written and the wall time.

    >>> run("demo-out", progress=False)  # doctest: +SKIP
    """
    from .nasbench import load
    from .sim import simulate
    from .sim import summary

    load("nb301")  # fail early, with the loader's message, if the surrogate is unavailable
    os.makedirs(out, exist_ok=True)
    t0 = time.perf_counter()
    res = simulate(ALGORITHMS, "nb301", trials=trials, budget=None, time_budget=gpu_hours * 3600.0, seed=0,
                   backend=backend, n_workers=2, out=os.path.join(out, "mf-sim"), progress=progress)
    wall = time.perf_counter() - t0
    table = summary.final_table(res.df, res.optima)  # NB301: regret vs the best value any trial reached
    evals = res.df.groupby("algorithm").agg(evaluations=("query", "size"),
                                            full=("epoch", lambda e: int((e == 98).sum())))
    table = table.merge(evals, left_on="algorithm", right_index=True)
    cols = ["algorithm", "trials", "evaluations", "full", "regret_mean", "regret_sem", "best_mean",
            "sim_hours_per_trial", "wall_s_per_trial"]
    csv = os.path.join(out, "mf_table.csv")
    md = os.path.join(out, "mf_table.md")
    table[cols].to_csv(csv, index=False)
    with open(md, "w") as f:
        f.write(f"NB301 surrogate (cifar10), {trials} trials x {gpu_hours:g} simulated GPU hours; regret in "
                "percentage points of validation accuracy against the best value reached in this run; "
                "evaluations = (cell, epoch) queries, full = trained to epoch 98\n\n")
        f.write(table[cols].to_string(index=False))
        f.write("\n")
    png = res.plot(os.path.join(out, "mf_regret_time.png"), x="time")
    print(table[cols].to_string(index=False))
    print(f"multi-fidelity demo: {len(res.df)} evaluations in {wall:.1f} s; plot {png}, table {csv}")
    return {"plot": png, "table": csv, "markdown": md, "wall_s": wall}

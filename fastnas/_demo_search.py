"""The search part of ``make demo``: a small simulation on the bundled NAS-Bench-201 data.

Runs random search, regularized evolution, local search and BANANAS (10 trials x 100 queries each) on
NB201 ``cifar10-valid`` with two local processes, then writes ``search_regret.png`` (mean regret with
95% intervals of the mean, symlog axis so zero regret shows), ``search_table.csv`` and ``search_table.md`` to ``out``. About a minute on 2 cores.
"""
from __future__ import annotations

import os
import time


def run(out: str = "demo-out", progress: bool = True, trials: int = 10, budget: int = 100) -> dict:
    """Run the demo simulation; returns the paths written and the wall time.

    >>> run("demo-out", progress=False)  # doctest: +SKIP
    """
    from .sim import simulate

    os.makedirs(out, exist_ok=True)
    t0 = time.perf_counter()
    res = simulate(["random", "evolution", "local_search", "bananas"], "nb201/cifar10-valid", trials=trials,
                   budget=budget, seed=0, backend="processes", n_workers=2, out=os.path.join(out, "search-sim"),
                   progress=progress)
    wall = time.perf_counter() - t0
    table = res.table()
    csv = os.path.join(out, "search_table.csv")
    md = os.path.join(out, "search_table.md")
    table.to_csv(csv, index=False)
    cols = ["algorithm", "trials", "queries", "regret_mean", "regret_sem", "regret_median", "wall_s_per_trial"]
    with open(md, "w") as f:
        f.write(f"NB201 cifar10-valid, {trials} trials x {budget} queries, validation regret in percentage points "
                "of accuracy\n\n")
        f.write(table[cols].to_markdown(index=False, floatfmt=".3f") if _has_tabulate() else table[cols].to_string())
        f.write("\n")
    png = res.plot(os.path.join(out, "search_regret.png"))
    print(table[cols].to_string(index=False))
    print(f"search demo: {len(res.df)} queries in {wall:.1f} s; plot {png}, table {csv}")
    return {"plot": png, "table": csv, "markdown": md, "wall_s": wall}


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True

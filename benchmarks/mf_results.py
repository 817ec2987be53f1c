"""Multi-fidelity search on the NAS-Bench-301 surrogate: the figures in benchmarks/README.md.

Every algorithm gets the same simulated GPU time per trial (``GPU_HOURS``) on ``load("nb301")`` (YAHPO Gym's
surrogate of the NB301 training logs: predictions, not measurements). Single-fidelity algorithms train every
cell for 98 epochs; successive halving, Hyperband and BOHB train on a schedule of 10/32/98 epochs
(``min_epoch=4, eta=3``, NAS-Bench-x11's DARTS setting); evolution-LCE and BANANAS-LCE train cells for 20 epochs
and continue only those whose extrapolated epoch-48 accuracy (x11's extrapolator: NASLib's 11-family ensemble,
``fastnas.predictors.lce_x11``) beats the smallest of the top 20% of the fully trained cells' epoch-49 accuracies
(x11's DARTS setting and indexing). ``continued`` counts the partially trained cells whose training was
continued to epoch 98, ``stopped`` those left at epoch 20. Regret is
against the best surrogate accuracy any trial reached (NB301 has no known optimum). Writes
``benchmarks/mf_regret_nb301.png`` and prints the table.

    python benchmarks/mf_results.py [trials] [lce_trials]
"""
from __future__ import annotations

import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GPU_HOURS = 48.0
CHEAP = ["random", ("evolution", {"population": 10, "tournament": 5}), "successive_halving", "hyperband", "bohb"]
LCE = [("evolution_lce", {"population": 10, "tournament": 5}), "bananas_lce"]
FULL_INIT = {"evolution_lce": 10, "bananas_lce": 10}  # population / n_init: trained fully from the start


def main(trials: int = 10, lce_trials: int = 4, out: str | None = None) -> None:
    out = out or os.path.join(tempfile.gettempdir(), "mf-results-out")
    import pandas as pd

    from fastnas.sim import simulate, summary

    t = time.perf_counter()
    a = simulate(CHEAP, "nb301", trials=trials, budget=None, time_budget=GPU_HOURS * 3600, seed=0,
                 backend="processes", n_workers=2, out=os.path.join(out, "cheap"), progress=False)
    b = simulate(LCE, "nb301", trials=lce_trials, budget=None, time_budget=GPU_HOURS * 3600, seed=0,
                 backend="processes", n_workers=2, out=os.path.join(out, "lce"), progress=False)
    print(f"wall {time.perf_counter() - t:.0f} s")
    df = pd.concat([a.df, b.df], ignore_index=True)
    best = float(df["value"].max())
    optima = {"nb301": best}
    table = summary.final_table(df, optima)
    n = df.groupby("algorithm").agg(evaluations=("query", "size"), full=("epoch", lambda e: int((e == 98).sum())),
                                    partial=("epoch", lambda e: int((e == 20).sum())))
    table = table.merge(n, left_on="algorithm", right_index=True)
    ntr = table["trials"]
    cont = table["full"] - table["algorithm"].map(FULL_INIT) * ntr  # full trainings beyond the initial cells
    table = table.assign(continued=cont.where(table["algorithm"].isin(list(FULL_INIT))),
                         stopped=(table["partial"] - cont).where(table["algorithm"].isin(list(FULL_INIT))))
    c = summary.curves_time(df, optima)
    at = {}
    for h in (6, 12, 24, 48):
        at[h] = c[c.sim_hours <= h].groupby("algorithm").tail(1).set_index("algorithm")["mean"]
    table = table.assign(**{f"regret@{h}h": table["algorithm"].map(v) for h, v in at.items()})
    cols = ["algorithm", "trials", "evaluations", "full", "continued", "stopped", "regret@6h", "regret@12h",
            "regret@24h", "regret@48h", "regret_sem", "wall_s_per_trial"]
    print(f"best surrogate accuracy reached: {best:.3f}")
    print(table[cols].round(3).to_string(index=False))
    print(summary.plot(c, os.path.join(HERE, "mf_regret_nb301.png"), x="sim_hours",
                       notes={"nb301": "surrogate; regret vs best value reached in these runs"}))


if __name__ == "__main__":
    main(*(int(x) for x in sys.argv[1:3]))

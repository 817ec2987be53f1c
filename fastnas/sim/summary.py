"""Summaries of simulation results: best-so-far regret curves, the final table, the plot."""
from __future__ import annotations

import numpy as np
import pandas as pd


def best_so_far(df: pd.DataFrame) -> pd.DataFrame:
    """Adds ``best`` (running maximum of ``value`` within each trial, in query order)."""
    df = df.sort_values(["trial_id", "query"], kind="stable").copy()
    df["best"] = df.groupby("trial_id", sort=False)["value"].cummax()
    return df


def curves(df: pd.DataFrame, optima: dict[str, float], budget: int | None = None) -> pd.DataFrame:
    """Regret (optimum - best so far) after each query, per benchmark and algorithm: mean, its 95%
    confidence band (mean +- 1.96 standard errors), median and its inter-quartile band.

    Trials that stopped early keep their last value. Columns: benchmark, algorithm, query (1-based),
    n_trials, mean, lo, hi, median, q25, q75.
    """
    df = best_so_far(df)
    out = []
    for (bench, algo), g in df.groupby(["benchmark", "algorithm"], sort=True):
        opt = float(optima[bench])
        L = int(budget or g["query"].max() + 1)
        trials = g["trial_id"].unique()
        M = np.full((len(trials), L), np.nan)
        idx = {t: i for i, t in enumerate(trials)}
        rows = g["trial_id"].map(idx).to_numpy()
        q = g["query"].to_numpy()
        keep = q < L
        M[rows[keep], q[keep]] = opt - g["best"].to_numpy()[keep]
        M = pd.DataFrame(M).ffill(axis=1).to_numpy()
        n = np.sum(np.isfinite(M), axis=0)
        mean = np.nanmean(M, axis=0)
        sem = np.nanstd(M, axis=0, ddof=1) / np.sqrt(np.maximum(n, 1)) if len(trials) > 1 else np.zeros(L)
        out.append(pd.DataFrame({
            "benchmark": bench, "algorithm": algo, "query": np.arange(1, L + 1), "n_trials": n,
            "mean": mean, "lo": mean - 1.96 * sem, "hi": mean + 1.96 * sem,
            "median": np.nanmedian(M, axis=0), "q25": np.nanquantile(M, 0.25, axis=0),
            "q75": np.nanquantile(M, 0.75, axis=0),
        }))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def final_table(df: pd.DataFrame, optima: dict[str, float]) -> pd.DataFrame:
    """One row per benchmark and algorithm: trials, queries per trial, final regret (mean, standard error,
    median), mean best value, mean wall seconds and simulated hours per trial; sorted by mean regret."""
    rows = []
    for (bench, algo), g in df.groupby(["benchmark", "algorithm"], sort=True):
        per = g.groupby("trial_id").agg(best=("value", "max"), n=("query", "size"), wall=("trial_wall_time", "first"),
                                        sim=("sim_time", "max"))
        reg = float(optima[bench]) - per["best"].to_numpy()
        rows.append({
            "benchmark": bench, "algorithm": algo, "trials": len(per), "queries": int(per["n"].median()),
            "regret_mean": reg.mean(), "regret_sem": reg.std(ddof=1) / np.sqrt(len(reg)) if len(reg) > 1 else 0.0,
            "regret_median": float(np.median(reg)), "best_mean": per["best"].mean(),
            "wall_s_per_trial": per["wall"].mean(), "sim_hours_per_trial": per["sim"].mean() / 3600.0,
        })
    t = pd.DataFrame(rows)
    return t.sort_values(["benchmark", "regret_mean"], kind="stable").reset_index(drop=True) if len(t) else t


def plot(curve_df: pd.DataFrame, path: str, stat: str = "mean", log: bool = True) -> str:
    """Regret curves with bands (``stat="mean"``: 95% CI; ``"median"``: inter-quartile), one panel per
    benchmark, written as a PNG (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    benches = list(dict.fromkeys(curve_df["benchmark"]))
    fig, axes = plt.subplots(1, len(benches), figsize=(6 * len(benches), 4.2), squeeze=False)
    lo, hi = ("lo", "hi") if stat == "mean" else ("q25", "q75")
    for ax, bench in zip(axes[0], benches):
        for algo, g in curve_df[curve_df["benchmark"] == bench].groupby("algorithm", sort=True):
            x = g["query"].to_numpy()
            y = g[stat].to_numpy()
            line, = ax.plot(x, y, label=f"{algo} ({int(g['n_trials'].max())})")
            ax.fill_between(x, np.maximum(g[lo].to_numpy(), 1e-3 if log else -np.inf), g[hi].to_numpy(),
                            color=line.get_color(), alpha=0.2)
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("queries")
        ax.set_ylabel(f"{stat} validation regret (%)")
        ax.set_title(bench)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

"""Summaries of simulation results: best-so-far regret curves, the final table, the plot."""
from __future__ import annotations

import numpy as np
import pandas as pd


def t_factor(n) -> np.ndarray:
    """The two-sided 95% Student-t factor ``t.ppf(0.975, n - 1)`` for means of ``n`` trials (12.71 for 2
    trials, 2.26 for 10, -> 1.96); 0 where ``n < 2`` (no interval)."""
    from scipy.stats import t

    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(n >= 2, t.ppf(0.975, np.maximum(n - 1, 1)), 0.0)


def best_so_far(df: pd.DataFrame) -> pd.DataFrame:
    """Adds ``best`` (running maximum of ``value`` within each trial, in query order)."""
    df = df.sort_values(["trial_id", "query"], kind="stable").copy()
    df["best"] = df.groupby("trial_id", sort=False, observed=True)["value"].cummax()
    return df


def curves(df: pd.DataFrame, optima: dict[str, float], budget: int | None = None) -> pd.DataFrame:
    """Regret (optimum - best so far) after each query, per benchmark and algorithm: mean, its 95%
    confidence band (mean +- t standard errors, ``t = t.ppf(0.975, n - 1)`` for ``n`` trials), median and
    its inter-quartile band.

    Trials that stopped early keep their last value (curves end at ``budget`` or at the longest trial).
    Regret is in percentage points of validation accuracy. Columns: benchmark, algorithm, query (1-based),
    n_trials, mean, lo, hi, median, q25, q75.
    """
    df = best_so_far(df)
    out = []
    for (bench, algo), g in df.groupby(["benchmark", "algorithm"], sort=True, observed=True):
        opt = float(optima[bench])
        L = int(g["query"].max() + 1) if not budget else int(min(budget, g["query"].max() + 1))
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
            "mean": mean, "lo": mean - t_factor(n) * sem, "hi": mean + t_factor(n) * sem,
            "median": np.nanmedian(M, axis=0), "q25": np.nanquantile(M, 0.25, axis=0),
            "q75": np.nanquantile(M, 0.75, axis=0),
        }))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def final_table(df: pd.DataFrame, optima: dict[str, float]) -> pd.DataFrame:
    """One row per benchmark and algorithm: trials, queries per trial, final regret (mean, standard error,
    median), mean best value, mean wall seconds and simulated hours per trial; sorted by mean regret."""
    rows = []
    for (bench, algo), g in df.groupby(["benchmark", "algorithm"], sort=True, observed=True):
        per = g.groupby("trial_id", observed=True).agg(best=("value", "max"), n=("query", "size"),
                                                       wall=("trial_wall_time", "first"),
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


def curves_time(df: pd.DataFrame, optima: dict[str, float], n_points: int = 120) -> pd.DataFrame:
    """Regret against *simulated training time*: per benchmark and algorithm, on a log-spaced grid of
    ``n_points`` simulated seconds (from the time every trial has its first answer to the latest last
    answer), the regret of the best value each trial had found by then (multi-fidelity rows count at their
    epoch's value, as in NAS-Bench-x11). A trial that stopped keeps its last value. Columns: benchmark,
    algorithm, sim_time (s), sim_hours, n_trials, mean, lo, hi
    (95% interval of the mean, Student-t factor as in ``curves``), median, q25, q75.
    """
    df = best_so_far(df)
    out = []
    for (bench, algo), g in df.groupby(["benchmark", "algorithm"], sort=True, observed=True):
        opt = float(optima[bench])
        t = g["sim_time"].to_numpy(dtype=np.float64)
        # from the time every trial has an answer (so each grid point averages the same trials) to the end
        start = float(g.groupby("trial_id", observed=True)["sim_time"].min().max())
        start = start if start > 0 else float(t[t > 0].min()) if (t > 0).any() else 0.0
        if start <= 0:
            continue
        grid = np.geomspace(start, t.max(), n_points) if t.max() > start else np.array([t.max()])
        rows = []
        for _, tr in g.groupby("trial_id", sort=True, observed=True):
            tt = tr["sim_time"].to_numpy(dtype=np.float64)
            bb = tr["best"].to_numpy(dtype=np.float64)
            k = np.searchsorted(tt, grid, side="right") - 1
            rows.append(np.where(k >= 0, opt - bb[np.maximum(k, 0)], np.nan))
        M = np.vstack(rows)
        n = np.sum(np.isfinite(M), axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # grid points before any trial answered
                mean = np.nanmean(M, axis=0)
                sd = np.nanstd(M, axis=0, ddof=1) if len(M) > 1 else np.zeros(len(grid))
                sem = np.where(n > 1, sd / np.sqrt(np.maximum(n, 1)), 0.0)
                med = np.nanmedian(M, axis=0)
                q25, q75 = np.nanquantile(M, 0.25, axis=0), np.nanquantile(M, 0.75, axis=0)
        out.append(pd.DataFrame({
            "benchmark": bench, "algorithm": algo, "sim_time": grid, "sim_hours": grid / 3600.0, "n_trials": n,
            "mean": mean, "lo": mean - t_factor(n) * sem, "hi": mean + t_factor(n) * sem, "median": med, "q25": q25, "q75": q75,
        }))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


#: regret below this many percentage points is drawn on a linear scale (symlog), so zero regret stays visible
LINTHRESH = 0.1


def plot(curve_df: pd.DataFrame, path: str, stat: str = "mean", log: bool = True, x: str | None = None,
         notes: dict | None = None, multi_fidelity: bool = False) -> str:
    """Regret curves with bands, one panel per benchmark, written as a PNG (matplotlib, Agg).

    ``stat="mean"``: the band is the 95% interval of the mean (mean +- t standard errors, Student-t factor
    for the number of trials); curves and bands are drawn as steps (best-so-far changes at a query);
    ``"median"``: the inter-quartile range; the legend says which. ``x``: ``"query"`` (the default for
    ``curves``) or ``"sim_hours"`` (simulated GPU hours, for ``curves_time``). ``log=True`` draws the regret
    on a symmetric-log axis, linear below ``LINTHRESH`` percentage points, so a regret of exactly zero
    (the optimum found) is drawn instead of dropped; the axis label says so. Regret is in percentage points
    of validation accuracy. ``notes`` (benchmark -> text) are appended to panel titles. ``multi_fidelity``:
    the query axis counts evaluations, promotions (a cell trained further) included, and says so.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    if stat not in ("mean", "median"):
        raise ValueError(f"stat must be 'mean' or 'median', got {stat!r}")
    if x is None:
        x = "sim_hours" if "sim_hours" in curve_df.columns else "query"
    if x not in curve_df.columns:
        raise ValueError(f"x={x!r} is not a column of the curves ({', '.join(curve_df.columns)})")
    benches = list(dict.fromkeys(curve_df["benchmark"]))
    fig, axes = plt.subplots(1, len(benches), figsize=(6 * len(benches), 4.4), squeeze=False)
    lo, hi = ("lo", "hi") if stat == "mean" else ("q25", "q75")
    band = "95% interval of the mean" if stat == "mean" else "inter-quartile range"
    for ax, bench in zip(axes[0], benches):
        for algo, g in curve_df[curve_df["benchmark"] == bench].groupby("algorithm", sort=True):
            g = g[np.isfinite(g[stat].to_numpy())]
            if not len(g):
                continue
            xs = g[x].to_numpy()
            line, = ax.plot(xs, g[stat].to_numpy(), drawstyle="steps-post",
                            label=f"{algo} ({int(g['n_trials'].max())} trials)")
            ax.fill_between(xs, np.maximum(g[lo].to_numpy(), 0.0), g[hi].to_numpy(), color=line.get_color(),
                            alpha=0.2, linewidth=0, step="post")
        handles, labels = ax.get_legend_handles_labels()
        handles.append(Patch(facecolor="grey", alpha=0.3, label=f"shaded: {band}"))
        if log:
            ax.set_yscale("symlog", linthresh=LINTHRESH)
            ax.set_ylim(bottom=0.0)
        if x == "sim_hours":
            ax.set_xscale("log")
            ax.set_xlabel("simulated training time (GPU hours, log scale)")
        else:
            ax.set_xlabel("evaluations (incl. promotions)" if multi_fidelity else "queries (cells evaluated)")
        scale = f"; symlog, linear below {LINTHRESH:g}" if log else ""
        ax.set_ylabel(f"{stat} validation regret\n(percentage points{scale})")
        ax.set_title(f"{bench} ({notes[bench]})" if notes and bench in notes else bench)
        ax.grid(alpha=0.3)
        ax.legend(handles=handles, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

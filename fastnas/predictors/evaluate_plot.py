"""The paper's plot (White et al. 2021, figure 3 style): Kendall tau against initialization time, one
panel per predictor family, one line per predictor (mean over seeds), log time axis. Matplotlib Agg."""
from __future__ import annotations

import numpy as np


def plot_results(df, path, *, metric: str = "kendall_tau", title: str | None = None) -> str:
    """Write the PNG and return its path.

    ``df`` is the table from ``evaluate``. The x value is the initialization time plus the query time of one
    cell, so training-free methods (no initialization) sit at the cost of their own query.

    >>> from fastnas.predictors import EvalData, evaluate
    >>> df = evaluate(["sotle"], EvalData.synthetic(300), seeds=1, progress=False)
    >>> import tempfile, os
    >>> plot_results(df, os.path.join(tempfile.mkdtemp(), "p.png")).endswith("p.png")
    True
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    ok = df[(df["error"] == "") & np.isfinite(df[metric])] if "error" in df else df
    if ok.empty:
        raise ValueError("no successful evaluations to plot")
    agg = ok.groupby(["family", "predictor", "train_size", "fidelity"], sort=True).agg(
        x=("init_time_s", "mean"), y=(metric, "mean"), q=("query_time_s", "mean")).reset_index()
    # a new cell's prediction costs the initialization plus its own query (partial training for LC
    # methods, proxy computation for zero-cost ones): training-free methods sit at their query cost
    agg["x"] = agg["x"] + agg["q"]
    pos = agg["x"][agg["x"] > 0]
    floor = float(pos.min()) / 2 if len(pos) else 1.0
    agg["x"] = agg["x"].clip(lower=floor)
    fams = list(dict.fromkeys(agg["family"]))
    fig, axes = plt.subplots(1, len(fams), figsize=(4.5 * len(fams), 3.8), squeeze=False, sharey=True)
    for ax, fam in zip(axes[0], fams):
        sub = agg[agg["family"] == fam]
        cmap = plt.get_cmap("tab20")
        for i, ((name, fid), g) in enumerate(sub.groupby(["predictor", "fidelity"], sort=True)):
            g = g.sort_values("x")
            label = name if fid == 0 else f"{name} @{fid}ep"
            ax.plot(g["x"], g["y"], marker="os^D"[i // 10 % 4], ms=3, color=cmap(i % 20),
                    linestyle="-" if i < 10 else "--", label=label)
        ax.set_xscale("log")
        ax.set_title(fam)
        ax.set_xlabel("initialization + query time per cell (s, simulated)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, loc="lower right")
    axes[0][0].set_ylabel(metric.replace("_", " "))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)

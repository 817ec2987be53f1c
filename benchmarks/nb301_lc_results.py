"""Learning-curve predictors and OMNI on NAS-Bench-301 *surrogate* curves (issue 13), through the evaluation
harness of White et al. 2021 (``fastnas.predictors.evaluate``).

    .venv/bin/python benchmarks/nb301_lc_results.py --out /tmp/nb301-lc [--seeds 3] [--lce-mcmc 10,25]
    .venv/bin/python benchmarks/nb301_lc_results.py --out /tmp/nb301-lc --add --lce-naslib 10,25,50

Pool: the 725 DARTS cells of the vendored NAS-Bench-Suite-Zero table (they carry the zero-cost scores OMNI
reads). Their learning curves (validation accuracy and cross-entropy, epochs 1..98), targets (accuracy at
epoch 98) and costs (runtime to epoch 98) all come from YAHPO Gym's NB301 surrogate -- surrogate predictions,
not measurements. The surrogate predicts no training loss, so SoTL, SoTL-E, SoTL-EMA (and OMNI's SoTL-E
feature) cannot run here: they appear in the table as "needs training loss". ``lce`` (Domhan et al.'s MCMC)
is too slow for a short run (more than 15 s per cell); ``lce_fast`` stands in. Test set 100 cells (the paper's
DARTS setting), fidelities 3/10/25/50 of 98 epochs, training size 100 for the predictors that train.

Writes ``results.parquet``, ``summary.csv``, ``summary.md`` (the table of benchmarks/README.md and
docs/nb301.md) and ``tau_vs_query_time.png`` (Kendall tau against query time per cell, log scale).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

FIDELITIES = (3, 10, 25, 50)
LABELS = {"sotl": "SoTL", "sotle": "SoTL-E", "sotl_ema": "SoTL-EMA", "early_stop_acc": "early stop (val acc)",
          "early_stop_loss": "early stop (val loss)", "lce": "LCE-fast",
          "lce_m": "LCE (MCMC, NASLib setting; 1 seed)", "lcsvr": "LcSVR", "omni": "OMNI (jacov + enc)",
          "jacov": "jacov (zero-cost)", "lce_naslib": "LCE (NASLib's LCEPredictor, x11's; 1 seed)"}


def build_data():
    from fastnas.nasbench import load, load_zc
    from fastnas.predictors import EvalData
    from fastnas.predictors.lc import Curves

    bench = load("nb301")
    table = load_zc("nb301", "cifar10")
    cells = table.cells
    acc, runtime = bench.curves(cells, return_cost=True)  # (725, 98) surrogate curves, percent / seconds
    loss = bench.curves(cells, metric="loss")
    zc = {p: table.scores(p) for p in table.proxies}
    zt = {p: np.nan_to_num(table.times(p), nan=0.0) for p in table.proxies}
    return EvalData(y=acc[:, -1], cost=runtime[:, -1], cells=cells, space=bench.space, zc=zc, zc_time=zt,
                    curves=Curves(val_acc=acc, val_loss=loss), name="nb301 surrogate (Suite-Zero cells)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="nb301-lc-results")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--lce-mcmc", default="",
                    help="comma-separated fidelities at which to also run 'lce_m' (Domhan et al.'s MCMC in NASLib's "
                         "setting, ~5 s per test cell), one seed")
    ap.add_argument("--lce-naslib", default="",
                    help="comma-separated fidelities at which to run 'lce_naslib' (NASLib's LCEPredictor ensemble, "
                         "x11's extrapolator), one seed")
    ap.add_argument("--add", action="store_true",
                    help="only run the --lce-mcmc / --lce-naslib parts and merge them into <out>/results.parquet")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    import pandas as pd
    from threadpoolctl import threadpool_limits

    from fastnas.predictors import EvalData, evaluate, make

    t0 = time.time()
    data = build_data()
    T = data.total_epochs
    space = data.space
    preds = {k: make(k) for k in ("sotl", "sotle", "sotl_ema", "early_stop_acc", "early_stop_loss")}
    preds["lce"] = make("lce_fast", final_epoch=T, scale=100.0)
    preds["lcsvr"] = make("lcsvr", n_iter=10)
    # OMNI reads no curve without training losses (its SoTL-E feature), so it runs once, without curves
    # (charging partial training it does not use would misstate its query time)
    nocurves = EvalData(y=data.y, cost=data.cost, cells=data.cells, space=space, zc=data.zc, zc_time=data.zc_time,
                        name=data.name)
    other = {"omni": make("omni", zc="jacov", space=space, encoding="adjacency", n_iter=3),
             "jacov": make("zc_table", proxy="jacov")}
    with threadpool_limits(1):
        parts, new = [], set()
        if args.add:
            parts.append(pd.read_parquet(out / "results.parquet"))
        else:
            df = evaluate(preds, data, train_sizes=[100], test_size=100, fidelities=FIDELITIES, seeds=args.seeds,
                          progress=True)
            df2 = evaluate(other, nocurves, train_sizes=[100], test_size=100, seeds=args.seeds, progress=True)
            parts += [df, df2]
        if args.lce_mcmc:
            fids = [int(f) for f in args.lce_mcmc.split(",")]
            new.add("lce_m")
            parts.append(evaluate({"lce_m": make("lce_m", final_epoch=T, scale=100.0)}, data, test_size=100,
                                  fidelities=fids, seeds=1, progress=True))
        if args.lce_naslib:
            fids = [int(f) for f in args.lce_naslib.split(",")]
            new.add("lce_naslib")
            parts.append(evaluate({"lce_naslib": make("lce_naslib", final_epoch=T, scale=100.0, seed=0)}, data,
                                  test_size=100, fidelities=fids, seeds=1, progress=True))
        if args.add and new:  # the new rows replace earlier rows of the same predictors
            parts[0] = parts[0][~parts[0]["predictor"].isin(new)]
    df = pd.concat(parts, ignore_index=True)
    df.to_parquet(out / "results.parquet", index=False)
    table = summary(df)
    table.to_csv(out / "summary.csv", index=False)
    (out / "summary.md").write_text(markdown(table))
    plot(df, out / "tau_vs_query_time.png")
    print(markdown(table))
    print(f"done in {time.time() - t0:.0f} s")


def summary(df):
    import pandas as pd

    rows = []
    for name, g in df.groupby("predictor", sort=False):
        bad = g[g["error"] != ""]
        if len(bad) == len(g):
            msg = "needs training loss (not predicted by the surrogate)" if "train_loss" in bad["error"].iloc[0] \
                else bad["error"].iloc[0]
            rows.append({"predictor": LABELS.get(name, name), "fidelity": "-", "train_size": "-",
                         "kendall_tau": np.nan, "tau_std": np.nan, "spearman": np.nan, "init_time_s": np.nan,
                         "query_time_s": np.nan, "note": msg})
            continue
        ok = g[g["error"] == ""]
        for (f, s), h in ok.groupby(["fidelity", "train_size"]):
            rows.append({"predictor": LABELS.get(name, name), "fidelity": int(f), "train_size": int(s),
                         "kendall_tau": h["kendall_tau"].mean(), "tau_std": h["kendall_tau"].std(),
                         "spearman": h["spearman"].mean(), "init_time_s": h["init_time_s"].mean(),
                         "query_time_s": h["query_time_s"].mean(), "note": ""})
    return pd.DataFrame(rows)


def markdown(table) -> str:
    lines = ["| predictor | epochs seen (of 98) | train cells | Kendall tau | Spearman | init time (s) | "
             "query time / cell (s) |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in table.itertuples():
        if r.note:
            lines.append(f"| {r.predictor} | - | - | {r.note} | | | |")
            continue
        lines.append(f"| {r.predictor} | {r.fidelity} | {r.train_size} | {r.kendall_tau:.3f} ± {r.tau_std:.3f} | "
                     f"{r.spearman:.3f} | {r.init_time_s:,.0f} | {r.query_time_s:,.1f} |")
    return "\n".join(lines) + "\n"


def plot(df, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = df[df["error"] == ""]
    fig, ax = plt.subplots(figsize=(8.2, 4.2))
    for name, g in ok.groupby("predictor", sort=False):
        m = g.groupby("fidelity")[["query_time_s", "kendall_tau"]].mean().sort_index()
        ax.plot(m["query_time_s"].clip(lower=1e-4), m["kendall_tau"], marker="o", label=LABELS.get(name, name))
    ax.set_xscale("log")
    ax.set_xlabel("query time per cell (s, simulated partial training + compute; log)")
    ax.set_ylabel("Kendall tau vs surrogate accuracy at epoch 98")
    ax.set_title("NB301 surrogate curves (YAHPO Gym), 725 Suite-Zero cells, 100 test cells\n"
                 "(no training loss: SoTL family not applicable)", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()

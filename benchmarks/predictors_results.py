"""Produce the predictor figures of benchmarks/README.md on the bundled NB201 data.

    .venv/bin/python benchmarks/predictors_results.py --out /tmp/pred-results [--seeds 3]

Parts: (1) model-based predictors at training sizes 20, 100, 500 on all 15,625 NB201 cifar10-valid cells
(test 200 cells per seed); (2) every zero-cost proxy of the vendored NAS-Bench-Suite-Zero table (724 cells)
over the whole table and under the protocol; (3) OMNI vs its single components on that table;
(4) learning-curve predictors on the bundled real digits curves when present. Writes parquet/csv/png.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

MODEL_BASED = ["gp", "sparse_gp", "blr", "dngo", "rf", "xgb", "lgb", "ngb", "mlp", "bananas", "gcn", "bonas",
               "seminas"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="predictor-results")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--parts", default="model,zc,omni,lc")
    ap.add_argument("--models", default=",".join(MODEL_BASED))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    parts = set(args.parts.split(","))

    from fastnas.nasbench import load, load_zc
    from fastnas.predictors import EvalData, evaluate, make, plot_results, summarize
    from fastnas.predictors.metrics import kendall_tau, spearman

    bench = load("nb201", dataset="cifar10-valid")
    if "model" in parts:
        data = EvalData.from_benchmark(bench, name="nb201/cifar10-valid")
        preds = {}
        for name in args.models.split(","):
            kw = {"space": bench.space}
            preds[name] = make(name, **kw)
        t0 = time.time()
        df = evaluate(preds, data, train_sizes=[20, 100, 500], test_size=200, seeds=args.seeds, progress=True)
        df.to_parquet(out / "model_based.parquet", index=False)
        summarize(df).to_csv(out / "model_based_summary.csv", index=False)
        plot_results(df, out / "model_based_tau.png", title="NB201 cifar10-valid, model-based")
        print("model-based done in", round(time.time() - t0), "s")

    table = load_zc("nb201", "cifar10")
    if "zc" in parts:
        rows = []
        for p in table.proxies:
            z = make("zc_table", proxy=p, cells=table.cells, scores={p: table.scores(p)})
            s = z.predict(table.cells)
            rows.append({"proxy": p, "kendall_tau_all": kendall_tau(table.val_accuracy, s),
                         "spearman_all": spearman(table.val_accuracy, s),
                         "time_per_cell_s": float(np.nanmean(table.times(p)))})
        zdata = EvalData.from_zc_table(table, bench)
        zp = {p: make("zc_table", proxy=p) for p in table.proxies}
        zdf = evaluate(zp, zdata, test_size=200, seeds=10, progress=False)
        prot = zdf.groupby("predictor")["kendall_tau"].agg(["mean", "std"])
        for r in rows:
            r["kendall_tau_protocol"] = float(prot.loc[r["proxy"], "mean"])
            r["kendall_tau_protocol_std"] = float(prot.loc[r["proxy"], "std"])
        (out / "zero_cost.json").write_text(json.dumps(rows, indent=1))
        print(json.dumps(rows, indent=1))

    if "omni" in parts:
        zdata = EvalData.from_zc_table(table, bench)
        preds = {"omni": make("omni", zc="jacov", space=bench.space, encoding="adjacency"),
                 "ngb (encoding only)": make("ngb", space=bench.space, encoding="adjacency"),
                 "jacov (zero-cost)": make("zc_table", proxy="jacov"),
                 "nwot (zero-cost)": make("zc_table", proxy="nwot")}
        t0 = time.time()
        odf = evaluate(preds, zdata, train_sizes=[20, 100, 500], test_size=200, seeds=args.seeds, progress=True)
        odf.to_parquet(out / "omni.parquet", index=False)
        summarize(odf).to_csv(out / "omni_summary.csv", index=False)
        print(summarize(odf).to_string())
        print("omni done in", round(time.time() - t0), "s")

    lc = Path(__file__).resolve().parents[1] / "fastnas" / "data" / "lc_digits.npz"
    if "lc" in parts and lc.exists():
        ldata = EvalData.from_lc_file(lc)
        n = len(ldata)
        preds = {k: make(k) for k in ("sotl", "sotle", "sotl_ema", "early_stop_acc", "early_stop_loss")}
        preds["lce_fast"] = make("lce_fast", final_epoch=ldata.total_epochs, scale=100.0)
        T = ldata.total_epochs
        ldf = evaluate(preds, ldata, test_size=max(2, n // 2), fidelities=sorted({1, max(1, T // 4), max(1, T // 2)}),
                       seeds=10, progress=False)
        ldf.to_parquet(out / "lc.parquet", index=False)
        summarize(ldf).to_csv(out / "lc_summary.csv", index=False)
        print(summarize(ldf).to_string())


if __name__ == "__main__":
    main()

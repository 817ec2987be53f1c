"""Kendall tau against training-set size for every model-based and hybrid predictor under the
``white2021`` preset (NASLib's settings, White et al. 2021, Fig. 2 / Fig. 5 style) on the bundled NB201
cifar10-valid data; the figures of benchmarks/README.md.

    .venv/bin/python benchmarks/predictors_white2021.py run --out /tmp/w21 --names gp,rf --seeds 10
    .venv/bin/python benchmarks/predictors_white2021.py plot --out /tmp/w21

``run`` writes one parquet per predictor (``<out>/<name>.parquet``) so a partial run keeps what finished; with
``--per-seed`` one per (predictor, seed) (``<out>/<name>/seed<k>.parquet``), seeds round-robin over the
predictors, resumable, ``--deadline HH:MM`` (UTC) starts nothing new after that time:

    .venv/bin/python benchmarks/predictors_white2021.py run --out /tmp/w21b --names bonas,gcn --seeds 10 --per-seed
    .venv/bin/python benchmarks/predictors_white2021.py plot --out /tmp/w21b --also /tmp/w21

Protocol: 200 random test cells per seed, nested training sets from the rest at log-spaced sizes 5..1000
(``evaluate``'s defaults); OMNI and OMNI-SemiNAS need the jacov score, so they run on the 724-cell
NAS-Bench-Suite-Zero subset (sizes up to the 524 cells left after the test set).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

MODEL_BASED = ["gp", "sparse_gp", "var_sparse_gp", "gp_wl", "blr", "dngo", "bohamiann", "rf", "xgb", "lgb", "ngb",
               "mlp", "bananas", "gcn", "bonas", "nao", "seminas"]
HYBRID = ["omni", "omni_seminas"]
FAMILY_STYLE = {"gp": "GP", "sparse_gp": "GP", "var_sparse_gp": "GP", "gp_wl": "GP", "blr": "BNN/BLR", "dngo": "BNN/BLR",
                "bohamiann": "BNN/BLR", "rf": "trees", "xgb": "trees", "lgb": "trees", "ngb": "trees", "mlp": "NN",
                "bananas": "NN", "gcn": "NN", "bonas": "NN", "nao": "NN", "seminas": "NN", "omni": "hybrid",
                "omni_seminas": "hybrid"}


def _data(name, bench, cache):
    from fastnas.nasbench import load_zc
    from fastnas.predictors import EvalData

    if name in HYBRID:
        if "zc" not in cache:
            cache["zc"] = EvalData.from_zc_table(load_zc("nb201", "cifar10"), bench, name="nb201/cifar10-valid zc")
        return cache["zc"]
    if "full" not in cache:
        cache["full"] = EvalData.from_benchmark(bench, name="nb201/cifar10-valid")
    return cache["full"]


def run(names, out: Path, seeds: int, sizes, per_seed: bool = False, deadline: float | None = None):
    """One parquet per predictor (``<out>/<name>.parquet``), or with ``per_seed`` one per (predictor, seed)
    (``<out>/<name>/seed<k>.parquet``, seeds taken round-robin over the predictors and skipped when their file
    exists, so an interrupted run resumes and a deadline leaves balanced seed counts)."""
    from fastnas.nasbench import load
    from fastnas.predictors import evaluate, make

    bench = load("nb201", dataset="cifar10-valid")
    cache: dict = {}

    def one(name, trial_ids, path):
        data = _data(name, bench, cache)
        pool = len(data) - 200
        sz = None if sizes is None else [s for s in sizes if s <= pool]
        t0 = time.time()
        df = evaluate({name: make(name, preset="white2021", space=bench.space)}, data, train_sizes=sz, test_size=200,
                      seeds=trial_ids, progress=True)
        df["wall_s"] = time.time() - t0
        path.parent.mkdir(parents=True, exist_ok=True)
        df.to_parquet(path, index=False)
        errs = df[df["error"] != ""]
        print(f"{path}: {time.time() - t0:.0f} s, {len(df)} rows, {len(errs)} errors", flush=True)

    if not per_seed:
        for name in names:
            one(name, seeds, out / f"{name}.parquet")
        return
    for k in range(seeds):
        for name in names:
            path = out / name / f"seed{k}.parquet"
            if path.exists():
                continue
            if deadline is not None and time.time() > deadline:
                print(f"deadline reached; stopped before {name} seed {k}", flush=True)
                return
            one(name, [k], path)


def _frames(outs):
    """The result rows of the ``--out`` folders, oldest first: a predictor's flat file (a whole run) replaces
    what older folders hold for it; per-seed files add to it, and a (predictor, seed, training size) measured
    twice keeps the later row."""
    import pandas as pd

    by_name: dict[str, list] = {}
    for out in outs:
        for p in sorted(out.glob("*.parquet")):
            by_name[p.stem] = [pd.read_parquet(p)]
        for d in sorted(x for x in out.iterdir() if x.is_dir()):
            files = sorted(d.glob("seed*.parquet"))
            if files:
                by_name.setdefault(d.name, []).extend(pd.read_parquet(f) for f in files)
    df = pd.concat([f for fs in by_name.values() for f in fs], ignore_index=True)
    return [df.drop_duplicates(["predictor", "seed", "train_size", "fidelity"], keep="last")]


def plot(out: Path, more=()):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    df = pd.concat(_frames([Path(m) for m in more] + [out]), ignore_index=True)
    ok = df[df["error"] == ""]
    g = ok.groupby(["predictor", "train_size"])["kendall_tau"].agg(["mean", "std", "count"]).reset_index()
    g.to_csv(out / "white2021_tau.csv", index=False)
    fams = sorted(set(FAMILY_STYLE.values()))
    fig, axes = plt.subplots(1, len(fams), figsize=(4.2 * len(fams), 3.8), sharey=True)
    for ax, fam in zip(axes, fams):
        for name in [n for n in MODEL_BASED + HYBRID if FAMILY_STYLE[n] == fam]:
            s = g[g["predictor"] == name]
            if s.empty:
                continue
            sem = s["std"] / s["count"] ** 0.5
            ax.plot(s["train_size"], s["mean"], marker="o", ms=3, label=f"{name} ({int(s['count'].max())} seeds)")
            ax.fill_between(s["train_size"], s["mean"] - sem, s["mean"] + sem, alpha=0.2)
        ax.set_xscale("log")
        ax.set_xlabel("training set size (architectures)")
        ax.set_title(fam + (" (724-cell zero-cost subset)" if fam == "hybrid" else ""))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    axes[0].set_ylabel("Kendall tau (200 test cells)")
    fig.suptitle("NB201 cifar10-valid, white2021 preset: Kendall tau mean over seeds (band: 1 standard error); "
                 "a constant prediction (tau undefined) is left out", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "white2021_tau.png", dpi=120)
    piv = g.pivot(index="predictor", columns="train_size", values="mean").round(3)
    print(piv.to_string())
    return piv


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["run", "plot"])
    ap.add_argument("--out", default="white2021-results")
    ap.add_argument("--names", default=",".join(MODEL_BASED + HYBRID))
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--sizes", default=None, help="comma-separated (default: log-spaced 5..1000)")
    ap.add_argument("--per-seed", action="store_true", help="one resumable parquet per (predictor, seed)")
    ap.add_argument("--deadline", default=None, help="HH:MM UTC: start no new (predictor, seed) after it")
    ap.add_argument("--also", default="", help="plot: comma-separated older --out folders, oldest first (a flat "
                                               "run replaces older ones; per-seed files add seeds)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.what == "run":
        sizes = None if args.sizes is None else [int(s) for s in args.sizes.split(",")]
        end = None
        if args.deadline:
            import datetime as dt

            h, m = (int(x) for x in args.deadline.split(":"))
            now = dt.datetime.now(dt.timezone.utc)
            end = now.replace(hour=h, minute=m, second=0, microsecond=0).timestamp()
        run([n for n in args.names.split(",") if n], out, args.seeds, sizes, per_seed=args.per_seed, deadline=end)
    else:
        plot(out, [a for a in args.also.split(",") if a])


if __name__ == "__main__":
    main()

"""Issue 11 evidence: regret at 150 queries on the bundled NB201 data for every single-fidelity optimizer.

Every optimizer registered in ``fastnas.search`` that works on final accuracies (multi-fidelity ones, which
need learning curves, are skipped: ``multi_fidelity = True``) runs seeded trials of 150 queries on NB201
cifar10-valid, cifar100 and ImageNet16-120 with its paper defaults. Regret = best mean validation accuracy
of the 15,625 cells minus the best validation accuracy found, in percentage points.

Results live in one resumable ``fastnas.sim`` store per (optimizer, dataset) under ``--out``: a rerun (or a
larger ``--plan``) runs only the trials not finished yet, so an interrupted run keeps every finished trial,
and an optimizer registered later (e.g. NPENAS-BO) only adds its own folders.

    # one trial per optimizer on cifar10-valid first (per-trial wall time, for planning)
    nice -n 19 python benchmarks/search_results_issue11.py run --plan all=1 --datasets cifar10-valid
    # then trials per optimizer, filled in rounds so a deadline leaves balanced counts
    nice -n 19 python benchmarks/search_results_issue11.py run --plan random=50,bonas=10 --deadline 03:35
    # table (benchmarks/search_results_nb201.csv) and plot (benchmarks/search_results_nb201.png)
    python benchmarks/search_results_issue11.py report

Trials run on the ``processes`` backend with at most 2 workers (the shared 2-core machine); trial t of an
optimizer runs with ``trial_seed(0, name, t)`` on every dataset and backend.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import functools
import glob
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATASETS = ["cifar10-valid", "cifar100", "ImageNet16-120"]
BUDGET = 150
SEED = 0
CSV = os.path.join(HERE, "search_results_nb201.csv")
PNG = os.path.join(HERE, "search_results_nb201.png")
DEFAULT_OUT = os.path.join(tempfile.gettempdir(), "fastnas-search-results-issue11")


#: published variants that a registered optimizer runs through a parameter: label -> (registry name, params)
VARIANTS = {"npenas_bo": ("npenas", {"variant": "bo"})}


@functools.lru_cache(maxsize=None)
def single_fidelity() -> dict[str, tuple[str, dict]]:
    """Registered optimizers that search on final accuracies (the registry order), plus the published
    variants in ``VARIANTS`` that the installed optimizer offers: label -> (registry name, params)."""
    from fastnas.search import OPTIMIZERS, optimizer_class

    out = {n: (n, {}) for n in OPTIMIZERS if not getattr(optimizer_class(n), "multi_fidelity", False)}
    for label, (name, params) in VARIANTS.items():
        if name in out:
            cls = optimizer_class(name)
            try:
                # a parameter the class does not know raises at construction; probe on the NB201 space
                from fastnas.spaces import NB201

                cls(NB201(), seed=0, **params)
            except (TypeError, ValueError):
                continue
            out[label] = (name, dict(params))
    return out


def store_dir(out: str, name: str, dataset: str) -> str:
    return os.path.join(out, f"{name}__{dataset}")


def done_trials(out: str, name: str, dataset: str) -> int:
    return len(glob.glob(os.path.join(store_dir(out, name, dataset), "trials", "*.parquet")))


def wall_per_trial(out: str, name: str) -> float | None:
    """Mean wall seconds of one finished trial of ``name`` over every dataset (None before the first)."""
    import pandas as pd

    files = glob.glob(os.path.join(out, f"{name}__*", "trials", "*.parquet"))
    if not files:
        return None
    return float(sum(pd.read_parquet(f, columns=["trial_wall_time"])["trial_wall_time"].iloc[0]
                     for f in files) / len(files))


def simulate_one(out: str, name: str, dataset: str, trials, workers: int, progress: bool = True):
    from fastnas.sim import simulate

    reg, params = single_fidelity().get(name, (name, {}))
    algo = name if (reg, params) == (name, {}) else {"name": reg, "label": name, "params": params}
    return simulate([algo], f"nb201/{dataset}", trials=trials, budget=BUDGET, seed=SEED,
                    backend="processes" if workers > 1 else "serial", n_workers=workers,
                    out=store_dir(out, name, dataset), progress=progress)


def parse_plan(text: str, names) -> dict[str, int]:
    plan: dict[str, int] = {}
    for item in filter(None, text.split(",")):
        key, _, n = item.partition("=")
        keys = names if key == "all" else [key]
        for k in keys:
            if k not in names:
                raise SystemExit(f"unknown or multi-fidelity optimizer {k!r}; valid: {', '.join(names)}")
            plan[k] = int(n)
    return plan


def deadline_ts(hhmm: str | None) -> float | None:
    if not hhmm:
        return None
    now = _dt.datetime.now(_dt.timezone.utc)
    h, m = (int(x) for x in hhmm.split(":"))
    t = now.replace(hour=h, minute=m, second=0, microsecond=0)
    if t < now - _dt.timedelta(hours=12):
        t += _dt.timedelta(days=1)
    return t.timestamp()


def cmd_run(args) -> None:
    names = single_fidelity()
    plan = parse_plan(args.plan, names)
    end = deadline_ts(args.deadline)
    datasets = args.datasets.split(",") if args.datasets else DATASETS
    steps = sorted({s for s in (1, 3, 5, 10, 20, 30, 50, 75, 100) if s < max(plan.values(), default=0)}
                   | set(plan.values()))
    # rounds of growing trial counts, every optimizer and dataset per round: a deadline leaves balanced counts
    for step in steps:
        for name, target in plan.items():
            n = min(step, target)
            for ds in datasets:
                missing = n - done_trials(args.out, name, ds)
                if missing <= 0:
                    continue
                per = wall_per_trial(args.out, name)
                need = 15.0 + (per or 0.0) * -(-missing // args.workers)  # + worker start-up
                if end is not None and time.time() + need > end:
                    print(f"skip {name} {ds} {n} trials: ~{need:.0f} s needed, deadline {args.deadline} UTC",
                          flush=True)
                    continue
                t = time.perf_counter()
                print(f"{name} {ds}: trials -> {n} ({missing} to run, ~{per or float('nan'):.1f} s wall each)",
                      flush=True)
                simulate_one(args.out, name, ds, n, args.workers)
                print(f"  {time.perf_counter() - t:.0f} s", flush=True)


def load_all(out: str):
    """Every finished trial of every store, read back through ``simulate`` (nothing left to run)."""
    import pandas as pd

    frames, optima = [], {}
    for d in sorted(glob.glob(os.path.join(out, "*__*"))):
        name, _, ds = os.path.basename(d).partition("__")
        n = done_trials(out, name, ds)
        if not n:
            continue
        # the trials on disk (not 0..n-1: parallel workers finish out of order), so nothing is left to run
        idx = sorted(int(os.path.basename(f)[: -len(".parquet")].rsplit("__", 1)[1])
                     for f in glob.glob(os.path.join(d, "trials", "*.parquet")))
        res = simulate_one(out, name, ds, idx, workers=1, progress=False)
        frames.append(res.df)
        optima.update(res.optima)
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), optima


def markdown(table) -> str:
    """The README table: one row per dataset and optimizer."""
    lines = ["| dataset | optimizer | trials | mean regret @150 | s.e. | median | found the optimum | "
             "mean queries to it (when found) | wall s / trial |", "|---|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples(index=False):
        q = "-" if r.mean_queries_to_optimum != r.mean_queries_to_optimum else f"{r.mean_queries_to_optimum:.0f}"
        se = "-" if r.trials < 2 else f"{r.regret_sem:.3f}"
        lines.append(f"| {r.dataset} | `{r.algorithm}` | {r.trials} | **{r.regret_mean:.3f}** | {se} | "
                     f"{r.regret_median:.3f} | {r.frac_found_optimum:.0%} | {q} | {r.wall_s_per_trial:.1f} |")
    return "\n".join(lines)


def plot(curves, path: str) -> str:
    """``fastnas.sim.summary.plot``'s figure (mean regret, band = 95% interval of the mean, symlog axis linear
    below ``LINTHRESH`` so zero regret is drawn) with one colour per optimizer across the three panels
    (the helper colours lines in plotting order, which differs between panels when an optimizer is missing)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Patch

    from fastnas.sim.summary import LINTHRESH

    algos = [a for a in single_fidelity() if a in set(curves["algorithm"])]
    colour = {a: plt.get_cmap("tab10")(i % 10) for i, a in enumerate(algos)}
    benches = list(dict.fromkeys(curves["benchmark"]))
    fig, axes = plt.subplots(1, len(benches), figsize=(6.2 * len(benches), 5.2), squeeze=False)
    for ax, bench in zip(axes[0], benches):
        for algo in algos:
            g = curves[(curves["benchmark"] == bench) & (curves["algorithm"] == algo)]
            if not len(g):
                continue
            x = g["query"].to_numpy()
            ax.plot(x, g["mean"].to_numpy(), color=colour[algo], label=f"{algo} ({int(g['n_trials'].max())} trials)")
            ax.fill_between(x, np.maximum(g["lo"].to_numpy(), 0.0), g["hi"].to_numpy(), color=colour[algo],
                            alpha=0.15, linewidth=0)
        handles, _ = ax.get_legend_handles_labels()
        handles.append(Patch(facecolor="grey", alpha=0.3, label="shaded: 95% interval of the mean"))
        ax.set_yscale("symlog", linthresh=LINTHRESH)
        ax.set_ylim(bottom=0.0)
        ax.set_xlabel("queries (distinct cells evaluated)")
        ax.set_ylabel(f"mean validation regret\n(percentage points; symlog, linear below {LINTHRESH:g})")
        ax.set_title(bench)
        ax.grid(alpha=0.3)
        ax.legend(handles=handles, fontsize=7.5, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def cmd_report(args) -> None:
    import numpy as np

    from fastnas.sim import summary

    df, optima = load_all(args.out)
    if not len(df):
        raise SystemExit(f"no finished trials under {args.out}")
    table = summary.final_table(df, optima)
    table["dataset"] = table["benchmark"].str.partition("/")[2]
    table["optimum_valid_acc"] = table["benchmark"].map(optima)
    table["ci95_lo"] = table["regret_mean"] - 1.96 * table["regret_sem"]
    table["ci95_hi"] = table["regret_mean"] + 1.96 * table["regret_sem"]
    per = df.groupby(["benchmark", "algorithm", "trial_id"], observed=True)["value"].max().reset_index()
    per["found"] = np.isclose(per["benchmark"].map(optima) - per["value"], 0.0, atol=1e-9)
    found = per.groupby(["benchmark", "algorithm"], observed=True)["found"].mean().rename("frac_found_optimum")
    table = table.merge(found.reset_index(), on=["benchmark", "algorithm"])
    # queries until the optimum was first evaluated (1-based), among the trials that found it
    hit = df[np.isclose(df["benchmark"].map(optima) - df["value"], 0.0, atol=1e-9)]
    first = hit.groupby(["benchmark", "algorithm", "trial_id"], observed=True)["query"].min() + 1
    first = first.groupby(["benchmark", "algorithm"], observed=True).mean().rename("mean_queries_to_optimum")
    table = table.merge(first.reset_index(), on=["benchmark", "algorithm"], how="left")
    cols = ["dataset", "algorithm", "trials", "queries", "regret_mean", "regret_sem", "ci95_lo", "ci95_hi",
            "regret_median", "frac_found_optimum", "mean_queries_to_optimum", "best_mean", "optimum_valid_acc", "wall_s_per_trial"]
    order = {d: i for i, d in enumerate(DATASETS)}
    table = table[cols].sort_values(["dataset", "regret_mean"], key=lambda s: s.map(order) if s.name == "dataset"
                                    else s, kind="stable").reset_index(drop=True)
    table.to_csv(CSV, index=False, float_format="%.4f")
    curves = summary.curves(df, optima, BUDGET)
    bench_order = [f"nb201/{d}" for d in DATASETS if f"nb201/{d}" in set(curves["benchmark"])]
    curves = curves.set_index("benchmark").loc[bench_order].reset_index()
    plot(curves, PNG)
    print(table.round(4).to_string(index=False))
    print(markdown(table))
    print(CSV)
    print(PNG)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run (or resume) trials")
    r.add_argument("--plan", required=True, help="name=trials,... ('all=N' for every single-fidelity optimizer)")
    r.add_argument("--datasets", default=None, help=f"comma-separated (default {','.join(DATASETS)})")
    r.add_argument("--deadline", default=None, help="HH:MM UTC: do not start a round that would end later")
    r.add_argument("--workers", type=int, default=2, choices=(1, 2))
    r.add_argument("--out", default=DEFAULT_OUT)
    s = sub.add_parser("report", help="write the table and the plot from the finished trials")
    s.add_argument("--out", default=DEFAULT_OUT)
    s.add_argument("--list", action="store_true", help="only list the single-fidelity optimizers")
    args = p.parse_args(argv)
    # one BLAS/OpenMP/numba thread per worker process (spawned workers inherit the environment)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if args.cmd == "run":
        cmd_run(args)
    elif args.list:
        for label, (name, params) in single_fidelity().items():
            print(label, name, params or "")
    else:
        cmd_report(args)


if __name__ == "__main__":
    main(sys.argv[1:])

"""One call from a data name to result files: what ``fastnas predictors evaluate`` runs.

Writes ``results.parquet`` (every row of ``evaluate``), ``summary.csv`` (mean/std over seeds) and
``kendall_tau.png`` (the paper's plot) into ``out``.
"""
from __future__ import annotations

import os
from pathlib import Path

from .evaluate_data import EvalData

DATA = ("nb201", "nb201-zc", "lc-digits", "synthetic")

_ZC_DATASET = {"cifar10-valid": "cifar10", "cifar10": "cifar10", "cifar100": "cifar100",
               "ImageNet16-120": "ImageNet16-120"}


def load_data(name: str, dataset: str = "cifar10-valid") -> EvalData:
    """An ``EvalData`` by name: ``nb201`` (all 15,625 cells of the bundled benchmark), ``nb201-zc`` (the
    NAS-Bench-Suite-Zero subset with all its proxies, targets from the benchmark), ``lc-digits`` (real
    learning curves in ``fastnas/data/lc_digits.npz``), ``synthetic``."""
    if name == "synthetic":
        return EvalData.synthetic(1200, seed=0)
    if name == "lc-digits":
        path = Path(__file__).resolve().parents[1] / "data" / "lc_digits.npz"
        if not path.exists():
            raise ValueError(f"{path} is not bundled in this installation")
        return EvalData.from_lc_file(path, name="nb201/digits lc")
    from ..nasbench import load, load_zc

    bench = load("nb201", dataset=dataset)
    if name == "nb201":
        return EvalData.from_benchmark(bench, name=f"nb201/{dataset}")
    if name == "nb201-zc":
        if dataset not in _ZC_DATASET:
            raise ValueError(f"no zero-cost table for dataset {dataset!r}; valid: {', '.join(_ZC_DATASET)}")
        return EvalData.from_zc_table(load_zc("nb201", _ZC_DATASET[dataset]), bench, name=f"nb201/{dataset} zc")
    raise ValueError(f"unknown evaluation data {name!r}; valid: {', '.join(DATA)}")


def run(predictors, data: str | EvalData = "nb201", *, dataset: str = "cifar10-valid", out: str | os.PathLike = "predictors-out",
        train_sizes=None, test_size: int = 200, fidelities=None, seeds=3, seed: int = 0, progress: bool = True,
        preset: str | None = None):
    """Evaluate and write the result files; returns (results DataFrame, summary DataFrame).

    ``preset`` (e.g. ``"white2021"``) builds every predictor named by a string with
    ``make(name, preset=preset)``; the protocol itself (200 test cells, log-spaced training sizes
    5..1000) is the paper's by default.

    >>> df, summ = run(["sotle"], "synthetic", out=__import__("tempfile").mkdtemp(), seeds=1,
    ...                progress=False)  # doctest: +SKIP
    """
    from .evaluate_plot import plot_results
    from .evaluate_protocol import evaluate, summarize

    ed = data if isinstance(data, EvalData) else load_data(data, dataset)
    if preset is not None:
        from ._registry import make

        if isinstance(predictors, str):
            predictors = [predictors]
        if not isinstance(predictors, dict):
            predictors = {(p if isinstance(p, str) else type(p).__name__): p for p in predictors}
        predictors = {k: make(v, preset=preset) if isinstance(v, str) else v for k, v in predictors.items()}
    df = evaluate(predictors, ed, train_sizes=train_sizes, test_size=test_size, fidelities=fidelities,
                  seeds=seeds, seed=seed, progress=progress)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    df.to_parquet(out / "results.parquet", index=False)
    summ = summarize(df)
    summ.to_csv(out / "summary.csv", index=False)
    if (df["error"] == "").any():
        plot_results(df, out / "kendall_tau.png", title=ed.name)
    return df, summ

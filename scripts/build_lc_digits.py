"""Build fastnas/data/lc_digits.npz: real per-epoch learning curves of NAS-Bench-201 networks trained
on scikit-learn's digits (8x8 grey images, 1,797 samples, ships with scikit-learn: no download).

Made by ``fastnas.automl.run`` (the AutoML demo pipeline) with random search, no zero-cost rejection
(``keep_fraction=1``) and no early stopping, so every curve has all epochs:

    .venv/bin/python scripts/build_lc_digits.py [--candidates 32] [--epochs 12]

Arrays (N candidates, E epochs): ``ops`` (N, 6) int8 official NB201 op codes; ``arch`` (N,) NB201
strings; ``train_loss``, ``val_loss`` (N, E) mean cross-entropy; ``train_acc``, ``val_acc`` (N, E)
fractions in [0, 1]; ``synflow`` (N,) the pre-screening proxy; ``train_seconds`` (N,); ``meta`` a JSON
string with the settings, machine and date. Load with ``numpy.load(path, allow_pickle=False)``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import platform
import tempfile
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "fastnas" / "data" / "lc_digits.npz"))
    ap.add_argument("--workdir", default=None, help="automl out_dir (kept; default: a temporary folder)")
    args = ap.parse_args()

    from sklearn.datasets import load_digits

    from fastnas import automl
    from fastnas.search.random_search import RandomSearch
    from fastnas.spaces import NB201

    digits = load_digits()
    space = NB201()
    settings = dict(space=space, budget="3h", epochs=args.epochs, width=8, cells_per_stage=1, proxy="synflow",
                    n_prescreen=100, keep_fraction=1.0, n_initial=4, max_candidates=args.candidates,
                    early_stop=False, val_fraction=0.2, batch_size=64, optimizer="sgd", lr=0.05, seed=0,
                    threads=1, progress=True)
    work = args.workdir or tempfile.mkdtemp(prefix="lc_digits_")
    res = automl.run(digits.images / 16.0, digits.target, algorithm=RandomSearch(space, seed=0), out_dir=work,
                     **settings)
    curves = res.curves.sort_values(["candidate", "epoch"])
    table = res.table.sort_values("candidate")
    n, e = len(table), args.epochs
    if not (table["epochs_trained"] == e).all():
        raise SystemExit("some candidate did not train all epochs; rerun with a larger budget")

    def grid(col):
        return curves[col].to_numpy(np.float32).reshape(n, e)

    arch = table["arch"].tolist()
    meta = {k: (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in settings.items()}
    meta.update(dataset="sklearn.datasets.load_digits (8x8, 1797 samples, pixels / 16)", algorithm="random",
                made=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                machine=f"{platform.machine()} {platform.processor() or ''} torch CPU, 1 thread, shared 2-core host",
                script="scripts/build_lc_digits.py")
    np.savez_compressed(
        args.out, ops=space.from_strings(arch).ops.astype(np.int8), arch=np.array(arch),
        train_loss=grid("train_loss"), train_acc=grid("train_acc"), val_loss=grid("val_loss"),
        val_acc=grid("val_acc"), synflow=table["proxy_score"].to_numpy(np.float64),
        train_seconds=table["train_seconds"].to_numpy(np.float64), meta=np.array(json.dumps(meta)))
    print(f"wrote {args.out}: {n} networks x {e} epochs; best val acc {res.best_val_acc:.4f} ({res.best_arch})")


if __name__ == "__main__":
    main()

"""Vendor the NAS-Bench-Suite-Zero zero-cost tables into ``fastnas/data/zc/*.npz`` (compact, pickle-free).

Source: ``../shared/data/naslib-zc/zc_nasbench{201,101,301}.json`` from automl/NASLib (Apache-2.0),
``naslib/data/zc_*.json`` at commits 1bdbd96 (NB201), 22280f7 (NB101), 6639fd1 (NB301).

Output, one ``numpy.savez_compressed`` file per (space, dataset) holding only plain arrays:

* ``arch``: the cells in NASLib's own key encoding --
  NB201 (N, 6) int8 NASLib op indices (edge order e12,e13,e14,e23,e24,e34; 0 skip, 1 none, 2 conv3x3, 3 conv1x1,
  4 avg_pool); NB101 (N, 56) int8: the 7x7 adjacency row-major then 7 op codes (input 0, output 1, maxpool3x3 2,
  conv1x1 3, conv3x3 4); NB301 (N, 2, 8, 2) int8: normal/reduction cell, 8 (input node, op) pairs.
* ``proxies`` (P,) str; ``scores`` (N, P) float64; ``times`` (N, P) float64 seconds (NaN where the source has
  none: the NB101 file records no times); ``val_accuracy`` (N,) float64; ``idx`` (N,) int64 (NASLib ``idx``, -1
  if absent).

Run from the repository root: ``.venv/bin/python scripts/build_zc_tables.py [naslib-zc dir]``.
"""
from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "fastnas/data/zc"


def _table(entries: dict, parse) -> dict[str, np.ndarray]:
    keys = sorted(entries)
    proxies = sorted({p for k in keys for p, v in entries[k].items() if p not in ("idx", "arch", "val_accuracy")})
    n, p = len(keys), len(proxies)
    scores = np.full((n, p), np.nan)
    times = np.full((n, p), np.nan)
    acc = np.empty(n)
    idx = np.full(n, -1, np.int64)
    arch = []
    for i, k in enumerate(keys):
        e = entries[k]
        arch.append(parse(k))
        acc[i] = e["val_accuracy"]
        if "idx" in e:
            idx[i] = int(e["idx"])
        for j, name in enumerate(proxies):
            v = e.get(name)
            if isinstance(v, dict):
                scores[i, j] = v["score"]
                times[i, j] = v.get("time", np.nan)
            elif v is not None:
                scores[i, j] = v
    return {"arch": np.array(arch, dtype=np.int8), "proxies": np.array(proxies), "scores": scores,
            "times": times, "val_accuracy": acc, "idx": idx}


def _nb301(k: str):
    a = ast.literal_eval(k)
    return [[list(pair) for pair in cell] for cell in a]


def main(argv: list[str]) -> None:
    src = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared/data/naslib-zc"
    OUT.mkdir(parents=True, exist_ok=True)
    jobs = []
    d = json.loads((src / "zc_nasbench201.json").read_text())
    for ds in ("cifar10", "cifar100", "ImageNet16-120"):
        jobs.append((f"nb201-{ds}", d[ds], lambda k: list(ast.literal_eval(k))))
    d = json.loads((src / "zc_nasbench101.json").read_text())
    jobs.append(("nb101-cifar10", d["nasbench101"]["cifar10"], lambda k: list(ast.literal_eval(k))))
    d = json.loads((src / "zc_nasbench301.json").read_text())
    jobs.append(("nb301-cifar10", d["cifar10"], _nb301))
    for name, entries, parse in jobs:
        t = _table(entries, parse)
        np.savez_compressed(OUT / f"{name}.npz", **t)
        print(f"{name}: {t['arch'].shape[0]} cells, {len(t['proxies'])} proxies, "
              f"{(OUT / f'{name}.npz').stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv)

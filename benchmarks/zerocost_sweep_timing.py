"""Per-cell time of all zero-cost proxies on NB201 networks: fastnas vs the reference code's protocol.

Reference: per cell and per proxy, a fresh copy of the network and that proxy alone, as zero-cost-nas /
NASLib compute a measure (``find_measures``: ``get_prunable_copy`` then the measure), with the float64 twin
of their code in ``tests/unit/_zerocost_reference.py`` (12 proxies; zen has no twin there, so the
comparison covers the other 12 and zen is timed on the fastnas side only). fastnas: ``score_table`` with
every proxy (shared loss / Jacobian passes), one network at a time (``group_size=1``) and grouped
(``group_size=B``). Networks: full size (C=16, N=5), CIFAR shape, batch 64, one torch thread, CPU; the
networks are built once per cell outside the timed region on both sides. Data: ``data="synthetic"``.

``python benchmarks/zerocost_sweep_timing.py [n_cells] [group]`` (defaults 6 and 6) prints seconds per
cell and the extrapolation of the full 15,625-cell sweep on 2 cores (two one-thread processes).
"""
from __future__ import annotations

import copy
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "unit"))


def main(n: int = 6, group: int = 6) -> None:
    import warnings

    from _zerocost_reference import REFERENCE

    import fastnas.zerocost as zc
    from fastnas import models
    from fastnas.spaces import NB201

    torch.set_num_threads(1)
    warnings.simplefilter("ignore", RuntimeWarning)
    cells = NB201().sample(n, seed=0)
    x, y = zc._data.minibatch("synthetic", batch_size=64, input_shape=(3, 32, 32), num_classes=10, seed=0,
                              device="cpu")
    keys = zc.cell_keys(cells)
    nets = [models.build("nb201", cells[i], seed=zc.row_seed(0, int(keys[i]))) for i in range(n)]

    ref_t = {p: 0.0 for p in REFERENCE}
    for net in nets:
        for p, fn in REFERENCE.items():
            t0 = time.perf_counter()
            fn(copy.deepcopy(net), x, y, **({"num_classes": 10} if p == "epe_nas" else {}))
            ref_t[p] += time.perf_counter() - t0
    ref_cell = sum(ref_t.values()) / n

    names = list(REFERENCE)
    rows = {}
    for g in (1, group):
        t0 = time.perf_counter()
        tab = zc.score_table("nb201", cells, names + ["zen"], data="synthetic", group_size=g)
        wall = time.perf_counter() - t0
        rows[g] = (tab, wall / n)
    print(f"{n} NB201 cells (C=16, N=5), batch 64 synthetic CIFAR-shaped, CPU, 1 torch thread")
    print(f"reference protocol, 12 proxies: {ref_cell:.2f} s/cell  "
          + "  ".join(f"{p} {ref_t[p] / n:.2f}" for p in names))
    for g, (tab, per_cell) in rows.items():
        compute = sum(tab[f"time_{p}"].mean() for p in names)
        print(f"fastnas score_table group_size={g}: 12 proxies {compute:.2f} s/cell compute "
              f"({ref_cell / compute:.2f}x the reference), zen {tab['time_zen'].mean():.2f} s/cell, "
              f"wall incl. build and zen {per_cell:.2f} s/cell")
        print("   per proxy s/cell: " + "  ".join(f"{p} {tab[f'time_{p}'].mean():.2f}" for p in names))
    best = min(per_cell for _, per_cell in rows.values())
    print(f"extrapolation (NOT measured): 15,625 cells x {best:.2f} s / 2 processes = "
          f"{15625 * best / 2 / 3600:.1f} h on 2 cores for all 13 proxies")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))

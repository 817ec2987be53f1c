"""``make demo``: the main job on bundled real data, then a tour of the compiled kernels.

1. A search simulation on the bundled NAS-Bench-201 ``cifar10-valid`` data (random search, regularized
   evolution, local search, BANANAS), writing a regret plot and a result table (``fastnas._demo_search``).
1b. Multi-fidelity search (successive halving, Hyperband, BOHB beside random search and evolution) on the
   bundled NAS-Bench-301 surrogate, regret against simulated GPU hours (``fastnas._demo_mf``).
2. Bulk benchmark queries on the bundled data.
3. The NAS-Bench-101 kernels on real work: full enumeration with fingerprints, sampling, mutation,
   encodings, neighbours, with timings (``fastnas._demo_nb101``).
"""
from __future__ import annotations

import os
import time


def _benchmark_tour(out: str) -> None:
    import numpy as np

    from fastnas import nasbench

    bench = nasbench.load("nb201", dataset="cifar10-valid")
    space = bench.space
    cells = space.sample(1_000_000, seed=0)
    t = time.perf_counter()
    acc, cost = bench.query(cells, metric="accuracy", split="valid", seed="mean", return_cost=True)
    dt = time.perf_counter() - t
    best_cell, best_val = bench.best("accuracy", "valid")
    print(f"\nNB201 cifar10-valid: 1,000,000 queries in {dt * 1e3:.0f} ms ({1e6 / dt / 1e6:.1f} M/s); "
          f"mean accuracy {np.nanmean(acc):.2f}%, simulated training time {cost.sum() / 3600 / 24 / 365:.1f} years")
    print(f"best cell {space.to_strings(best_cell)[0]}  {best_val:.2f}%")


def run(out: str = "demo-out", progress: bool = True) -> None:
    os.makedirs(out, exist_ok=True)
    from fastnas import _demo_nb101, _demo_search

    print("== 1. search simulation on bundled NAS-Bench-201 data ==")
    res = _demo_search.run(out, progress=progress)
    print("\n== 1b. multi-fidelity search on the NAS-Bench-301 surrogate, against simulated GPU hours ==")
    from fastnas import _demo_mf

    _demo_mf.run(out, progress=progress)  # prints its own table and plot path
    print("\n== 2. bulk benchmark queries ==")
    _benchmark_tour(out)
    print("\n== 3. NAS-Bench-101 kernels ==")
    _demo_nb101.tour(out, progress=progress)
    print(f"\nwrote {res['plot']}, {res['table']} and {os.path.join(out, 'nb101_timings.csv')}")

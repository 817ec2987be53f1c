"""The NB101 part of ``make demo``: the kernels on real work, with timings."""
from __future__ import annotations

import os
import time


def tour(out: str = "demo-out", progress: bool = True) -> None:
    """Enumerate the whole NAS-Bench-101 space with fingerprints, then sample, mutate, encode and take
    neighbours of a million cells; print a timing table and write it to ``out/nb101_timings.csv``.

    >>> tour("demo-out", progress=False)  # doctest: +SKIP
    """
    import numpy as np
    import pandas as pd

    from fastnas.spaces.nb101 import NB101

    os.makedirs(out, exist_ok=True)
    space = NB101()
    rows = []

    def timed(what: str, n: int, fn):
        t = time.perf_counter()
        res = fn()
        dt = time.perf_counter() - t
        rows.append({"operation": what, "cells": n, "seconds": round(dt, 3), "cells_per_s": int(n / dt) if dt else 0})
        return res

    every = timed("enumerate 423,624 cells + fingerprints", 423_624, lambda: space.enumerate(progress=progress))
    counts = dict(zip(*np.unique(every.n_vertices, return_counts=True)))
    keys_all = timed("key (whole space)", len(every), lambda: space.key(every))
    n = 1_000_000
    pop = timed("sample (reference sampler)", n, lambda: space.sample(n, seed=0))
    kids = timed("mutate (BANANAS, rate 1)", n, lambda: space.mutate(pop, rate=1.0, seed=1))
    timed("key", n, lambda: space.key(kids))
    timed("is_valid", n, lambda: space.is_valid(kids))
    hashes = timed("hash (cached table)", n, lambda: space.hash(kids))
    timed("hash (computed, MD5)", 100_000, lambda: space.hash(kids[:100_000], table=False))
    timed("encode path (364)", 250_000, lambda: space.encode(kids[:250_000], "path"))
    timed("encode path_trunc (40)", n, lambda: space.encode(kids, "path_trunc"))
    timed("encode adjacency (36)", 250_000, lambda: space.encode(kids[:250_000], "adjacency"))
    nbrs, parent = timed("neighbors_batch", 100_000, lambda: space.neighbors_batch(pop[:100_000]))

    table = pd.DataFrame(rows)
    table.to_csv(os.path.join(out, "nb101_timings.csv"), index=False)
    print("\nNAS-Bench-101 space")
    print(f"  unique cells by vertices: {', '.join(f'{int(k)}: {int(v):,}' for k, v in counts.items())} "
          f"(total {len(every):,}; distinct keys {len(np.unique(keys_all)):,})")
    print(f"  distinct cells among 1,000,000 mutants: {len(np.unique(space.key(kids))):,}; "
          f"mean neighbours per cell: {len(nbrs) / 100_000:.1f}")
    print(f"  example: {space.to_strings(kids[:1])[0]}  ->  {hashes[0]}")
    print(table.to_string(index=False))

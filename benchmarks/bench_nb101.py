"""NB101 kernel throughput: each operation through the public API on the compiled backend, beside the
same call on the pure-Python reference twins (same definition), so the speed-up is a ratio from one run.

    pytest benchmarks/bench_nb101.py --benchmark-only --benchmark-group-by=group
    python benchmarks/bench_nb101.py          # markdown table of cells/s (benchmarks/README.md)

Compiled rows run on BIG random cells (the reference sampler's), reference rows on SMALL cells;
``extra_info["cells"]`` records the batch so cells/s = cells / time. Kernels are single-threaded except
``hash`` (``threads=0``: all cores; ``hash_1thread`` pins one). The table uses CPU time (best of 3).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time

from _timing import best_cpu_time

import numpy as np
import pytest

from fastnas import _backend
from fastnas.spaces import nb101 as nb101_mod
from fastnas.spaces.nb101 import NB101

BIG = 1_000_000
SMALL = 1_000
SPACE = NB101()


def _cases(n: int, backend: str):
    with _backend.use("cpp"):
        c = SPACE.sample(n, seed=0)
        m, o, v = c.matrix, c.ops, c.n_vertices
    small_hash = min(n, 200_000)
    cases = {
        "key": (n, lambda: SPACE.key(c)),
        "is_valid": (n, lambda: SPACE.is_valid(c)),
        "prune": (n, lambda: SPACE.prune(c)),
        "encode_path": (n // 4, lambda: SPACE.encode(c[: n // 4], "path")),
        "encode_path_trunc": (n, lambda: SPACE.encode(c, "path_trunc")),
        "encode_adjacency": (n // 4, lambda: SPACE.encode(c[: n // 4], "adjacency")),
        "sample": (n, lambda: SPACE.sample(n, seed=2)),
        "mutate": (n, lambda: SPACE.mutate(c, 1.0, seed=1)),
        "arrays_to_key": (n, lambda: SPACE.key(NB101.from_arrays(m, o, v))),
        "neighbors_batch": (n // 10, lambda: SPACE.neighbors_batch(c[: n // 10])),
        "hash_direct": (small_hash // 5, lambda: SPACE.hash(c[: small_hash // 5], table=False)),
        "hash_direct_1thread": (small_hash // 5, lambda: SPACE.hash(c[: small_hash // 5], table=False, threads=1)),
    }
    if backend == "cpp":
        cases["hash_table"] = (n, lambda: SPACE.hash(c, table=True))
    return cases


@pytest.fixture(scope="module", autouse=True)
def _table_in_temp_cache():
    old = os.environ.get("FASTNAS_CACHE")
    with tempfile.TemporaryDirectory() as d:
        os.environ["FASTNAS_CACHE"] = d
        nb101_mod._memory_table = None
        yield
        nb101_mod._memory_table = None
    if old is None:
        os.environ.pop("FASTNAS_CACHE", None)
    else:
        os.environ["FASTNAS_CACHE"] = old


_CPP = _cases(BIG // 5, "cpp")  # pytest-benchmark repeats calls: a smaller batch keeps the suite short
_PY = _cases(SMALL, "python")


@pytest.mark.parametrize("name", sorted(_CPP))
def test_fastnas(benchmark, name):
    cells, fn = _CPP[name]
    benchmark.group = name
    benchmark.extra_info["cells"] = cells
    with _backend.use("cpp"):
        SPACE.hash_table(progress=False) if name == "hash_table" else None
        benchmark.pedantic(fn, rounds=3, iterations=1)


@pytest.mark.parametrize("name", sorted(_PY))
def test_reference(benchmark, name):
    cells, fn = _PY[name]
    benchmark.group = name
    benchmark.extra_info["cells"] = cells
    with _backend.use("python"):
        benchmark.pedantic(fn, rounds=1, iterations=1)


def test_enumerate_with_hashes(benchmark):
    """The whole space (423,624 cells) with every fingerprint, no cache (the first-run cost)."""
    benchmark.group = "enumerate"
    benchmark.extra_info["cells"] = 423_624

    def run():
        nb101_mod._memory_table = None
        with _backend.use("cpp"):
            SPACE.enumerate(progress=False, cache=False)

    benchmark.pedantic(run, rounds=1, iterations=1)


_best = best_cpu_time


def main() -> None:  # pragma: no cover - a report, run by hand
    with tempfile.TemporaryDirectory() as d:
        os.environ["FASTNAS_CACHE"] = d
        nb101_mod._memory_table = None
        t0, w0 = time.process_time(), time.perf_counter()
        with _backend.use("cpp"):
            SPACE.enumerate(progress=False, cache=False)
        enum = (time.process_time() - t0, time.perf_counter() - w0)
        fast, ref = _cases(BIG, "cpp"), _cases(SMALL, "python")
        rows = []
        for name in fast:
            n, fn = fast[name]
            with _backend.use("cpp"):
                dt = _best(fn, 3)
            line = [name, n / dt]
            if name in ref:
                rn, rfn = ref[name]
                with _backend.use("python"):
                    rdt = _best(rfn, 1)
                line += [rn / rdt]
            rows.append(line)
    print("| op | fastnas cells/s | reference cells/s | speed-up |")
    print("|---|---:|---:|---:|")
    for r in rows:
        if len(r) == 3:
            print(f"| {r[0]} | {r[1]:,.0f} | {r[2]:,.0f} | {r[1] / r[2]:,.0f}x |")
        else:
            print(f"| {r[0]} | {r[1]:,.0f} | - | - |")
    print(f"\nenumerate() with all 423,624 fingerprints, no cache: {enum[0]:.2f} s CPU, {enum[1]:.2f} s wall")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

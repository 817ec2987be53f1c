"""DARTS kernel throughput through the public API on the compiled backend, beside the same call on the
pure-Python reference twins (same definition), so the speed-up is a ratio from one run.

    pytest benchmarks/bench_darts.py --benchmark-only --benchmark-group-by=group
    python benchmarks/bench_darts.py          # markdown table of cells/s (benchmarks/README.md)

Compiled rows run on BIG cells (FULL for the 11,204-wide path encoding), reference rows on SMALL cells;
``extra_info["cells"]`` records the batch. One core (single-threaded kernels); the table uses CPU time
(best of 3). ``from_genotype`` walks Genotype objects in compiled code (``darts_parse_genotypes``) with the
Python ``ast`` parser as its reference twin; ``to_genotype`` builds Python namedtuples (one implementation).
"""
from __future__ import annotations

import sys
import time

from _timing import best_cpu_time

import pytest

from fastnas import _backend
from fastnas.spaces.darts import DARTS

BIG = 100_000
FULL = 2_000
SMALL = 1_000
SPACE = DARTS()
STRING_OPS = ("to_genotype",)


def _cases(n: int):
    with _backend.use("cpp"):
        c = SPACE.sample(n, seed=0)
        keys = DARTS.to_zc_keys(c)
        genos = DARTS.to_genotype(c[:SMALL])
    small = c[: min(n, FULL)]
    parents = small if n > SMALL else c[:100]  # the reference needs ~7 ms per parent
    return {
        "key": (n, lambda: SPACE.key(c)),
        "is_valid": (n, lambda: SPACE.is_valid(c)),
        "encode_adjacency": (n, lambda: SPACE.encode(c, "adjacency")),
        "encode_path_trunc": (n, lambda: SPACE.encode(c, "path_trunc")),
        "encode_path (11,204)": (len(small), lambda: SPACE.encode(small, "path")),
        "encode_gcn": (n, lambda: SPACE.encode(c, "gcn")),
        "mutate": (n, lambda: SPACE.mutate(c, 1.0, seed=1)),
        "sample": (n, lambda: SPACE.sample(n, seed=2)),
        "neighbors_batch (parents)": (len(parents), lambda: SPACE.neighbors_batch(parents)),
        "to_zc_keys": (n, lambda: DARTS.to_zc_keys(c)),
        "from_zc_keys": (n, lambda: DARTS.from_zc_keys(keys)),
        "to_genotype": (len(genos), lambda: DARTS.to_genotype(c[:SMALL])),
        "from_genotype": (len(genos), lambda: DARTS.from_genotype(genos)),
    }


OPS = list(_cases(10))
_CACHE: dict[int, dict] = {}


def _get(n: int):
    if n not in _CACHE:
        _CACHE[n] = _cases(n)
    return _CACHE[n]


@pytest.mark.parametrize("backend", ["cpp", "python"])
@pytest.mark.parametrize("op", OPS)
def test_bench_darts(benchmark, op, backend):
    if backend == "python" and op in STRING_OPS:
        pytest.skip("string converters have one implementation")
    cells, fn = _get(BIG if backend == "cpp" else SMALL)[op]
    benchmark.group = f"darts {op}"
    benchmark.extra_info["cells"] = cells
    with _backend.use(backend):
        benchmark.pedantic(fn, rounds=3, iterations=1)


_best = best_cpu_time


def main() -> None:
    fast, slow = _cases(BIG), _cases(SMALL)
    print("| op | fastnas cells/s | reference cells/s | speed-up |")
    print("|---|---:|---:|---:|")
    for op in OPS:
        nf, f = fast[op]
        with _backend.use("cpp"):
            tf = _best(f) / nf
        if op in STRING_OPS:
            print(f"| {op} | {1 / tf:,.0f} | (same code) | - |", flush=True)
            continue
        ns, s = slow[op]
        with _backend.use("python"):
            tr = _best(s, rounds=1) / ns
        print(f"| {op} | {1 / tf:,.0f} | {1 / tr:,.0f} | {tr / tf:,.0f}x |", flush=True)


if __name__ == "__main__":
    main()
    sys.exit(0)

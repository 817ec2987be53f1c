"""NAS-Bench-Graph kernel throughput through the public API on the compiled backend, beside the same
call on the pure-Python reference twins (same definition), so the speed-up is a ratio from one run.

    pytest benchmarks/bench_nbgraph.py --benchmark-only --benchmark-group-by=group
    python benchmarks/bench_nbgraph.py        # markdown table of cells/s (benchmarks/README.md)

Compiled rows run on BIG cells, reference rows on SMALL cells; one core; CPU time, best of 3.
``from_arch``/``to_arch`` take op names (strings at the edge): one implementation.
"""
from __future__ import annotations

import sys
import time

from _timing import best_cpu_time

import pytest

from fastnas import _backend
from fastnas.spaces.nbgraph import NBGraph

BIG = 200_000
SMALL = 2_000
SPACE = NBGraph()
STRING_OPS = ("to_arch", "from_arch")


def _cases(n: int):
    with _backend.use("cpp"):
        c = SPACE.sample(n, seed=0)
        keys = NBGraph.to_hash(c)
        links, names = NBGraph.to_arch(c[:SMALL])
    return {
        "key (benchmark hash)": (n, lambda: SPACE.key(c)),
        "canonical": (n, lambda: SPACE.canonical(c)),
        "from_hash": (n, lambda: NBGraph.from_hash(keys)),
        "is_valid": (n, lambda: SPACE.is_valid(c)),
        "encode_onehot": (n, lambda: SPACE.encode(c, "onehot")),
        "encode_gcn": (n, lambda: SPACE.encode(c, "gcn")),
        "mutate": (n, lambda: SPACE.mutate(c, 1.0, seed=1)),
        "sample": (n, lambda: SPACE.sample(n, seed=2)),
        "neighbors_batch (parents)": (n, lambda: SPACE.neighbors_batch(c)),
        "enumerate (26,206)": (26206, lambda: SPACE.enumerate()),
        "to_arch": (SMALL, lambda: NBGraph.to_arch(c[:SMALL])),
        "from_arch": (SMALL, lambda: NBGraph.from_arch(links, names)),
    }


OPS = list(_cases(10))
_CACHE: dict[int, dict] = {}


def _get(n: int):
    if n not in _CACHE:
        _CACHE[n] = _cases(n)
    return _CACHE[n]


@pytest.mark.parametrize("backend", ["cpp", "python"])
@pytest.mark.parametrize("op", OPS)
def test_bench_nbgraph(benchmark, op, backend):
    if backend == "python" and op in STRING_OPS:
        pytest.skip("string converters have one implementation")
    cells, fn = _get(BIG if backend == "cpp" else SMALL)[op]
    benchmark.group = f"nbgraph {op}"
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

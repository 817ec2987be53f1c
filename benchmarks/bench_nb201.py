"""NB201 kernel throughput: every operation through the public API on the compiled backend, beside the same
call on the pure-Python reference twins (same definition), so the speed-up is a ratio from one run.

    pytest benchmarks/bench_nb201.py --benchmark-only --benchmark-group-by=group
    python benchmarks/bench_nb201.py          # markdown table of cells/s (benchmarks/README.md)

Compiled rows run on BIG cells, reference rows on SMALL cells; ``extra_info["cells"]`` records the batch so
cells/s = cells / time. One core (the kernels are single-threaded); the table uses CPU time (best of 3).
"""
from __future__ import annotations

import sys
import time

from _timing import best_cpu_time

import numpy as np
import pytest

from fastnas import _backend
from fastnas.spaces import nb201_convert as cv
from fastnas.spaces.nb201 import NB201, NB201Cells

BIG = 200_000
SMALL = 2_000
SPACE = NB201()


def _cases(n: int):
    with _backend.use("cpp"):
        c = SPACE.sample(n, seed=0)
        strings = NB201.to_strings(c)
        idx = NB201.to_index(c)
        codes = NB201.to_code(c)
        naslib = NB201.to_naslib(c)
        naszilla = NB201.to_naszilla(c)
        mats = NB201.to_matrix(c)
    return {
        "to_strings": lambda: NB201.to_strings(c),
        "from_strings": lambda: NB201.from_strings(strings),
        "to_index": lambda: NB201.to_index(c),
        "from_index": lambda: NB201.from_index(idx),
        "to_code": lambda: NB201.to_code(c),
        "from_code": lambda: NB201.from_code(codes),
        "to_naslib": lambda: NB201.to_naslib(c),
        "from_naslib": lambda: NB201.from_naslib(naslib),
        "to_naszilla": lambda: NB201.to_naszilla(c),
        "from_naszilla": lambda: NB201.from_naszilla(naszilla),
        "to_matrix": lambda: NB201.to_matrix(c),
        "from_matrix": lambda: NB201.from_matrix(mats),
        "is_valid": lambda: SPACE.is_valid(c),
        "key": lambda: SPACE.key(c),
        "key_none_as_op": lambda: SPACE.key(c, treat_none_as_op=True),
        "key_dag": lambda: SPACE.key(c, kind="dag"),
        "encode_adjacency": lambda: SPACE.encode(c, "adjacency"),
        "encode_path": lambda: SPACE.encode(c, "path"),
        "encode_path_trunc": lambda: SPACE.encode(c, "path_trunc"),
        "encode_path_naslib": lambda: SPACE.encode(c, "path_naslib"),
        "encode_gcn": lambda: SPACE.encode(c, "gcn"),
        "mutate": lambda: SPACE.mutate(c, 1.0, seed=1),
        "mutate_one_edge": lambda: SPACE.mutate(c, seed=1, one_edge=True),
        "sample": lambda: SPACE.sample(n, seed=2),
        "neighbors_batch (parents)": lambda: SPACE.neighbors_batch(c),
    }


def _reference_from_strings(strings):
    """The reference parser (definition of the grammar), no lookup table."""
    return NB201Cells(ops=np.array([cv.parse_string(s, i) for i, s in enumerate(strings)], dtype=np.int8))


OPS = list(_cases(10))
_CACHE: dict[tuple[str, int], dict] = {}


def _get(backend: str, n: int):
    if (backend, n) not in _CACHE:
        _CACHE[(backend, n)] = _cases(n)
    return _CACHE[(backend, n)]


@pytest.mark.parametrize("backend", ["cpp", "python"])
@pytest.mark.parametrize("op", OPS)
def test_bench_nb201(benchmark, op, backend):
    n = BIG if backend == "cpp" else SMALL
    fn = _get(backend, n)[op]
    benchmark.group = f"nb201 {op}"
    benchmark.extra_info["cells"] = n
    with _backend.use(backend):
        if op == "from_strings" and backend == "python":
            strings = NB201.to_strings(SPACE.sample(n, seed=0))
            benchmark.pedantic(_reference_from_strings, args=(strings,), rounds=3, iterations=1)
        else:
            benchmark.pedantic(fn, rounds=3, iterations=1)


_best = best_cpu_time


def main() -> None:
    fast, slow = _cases(BIG), _cases(SMALL)
    small_strings = NB201.to_strings(SPACE.sample(SMALL, seed=0))
    print("| op | fastnas cells/s | reference cells/s | speed-up |")
    print("|---|---:|---:|---:|")
    for op in OPS:
        with _backend.use("cpp"):
            tf = _best(fast[op]) / BIG
        with _backend.use("python"):
            if op == "from_strings":
                tr = _best(lambda: _reference_from_strings(small_strings)) / SMALL
            else:
                slow[op]()  # warm the reference's lazily built tables
                tr = _best(slow[op], rounds=2) / SMALL
        print(f"| {op} | {1 / tf:,.0f} | {1 / tr:,.0f} | {tr / tf:,.0f}x |", flush=True)


if __name__ == "__main__":
    main()
    sys.exit(0)

"""One cell per call (issue 12): each public per-cell operation beside the reference code it replaces.

A user porting nasbench / naszilla / NATS-Bench code calls these in a Python loop over single cells, so
the per-call overhead of the thin API decides their speed. Every row pairs ``fastnas`` with its reference
twin (``_reference.py``) on the same cell; ``extra_info`` carries ``pair`` and ``role`` so that
``benchmarks/compare.py`` judges each row by the ratio reference time / fastnas time (ratios survive a
loaded machine; absolute times do not). A third role, ``kernel``, is the bare compiled kernel on the same
arrays: fastnas minus kernel is the API's overhead (goal: at most about 1 us).

    pytest benchmarks/bench_onecell.py --benchmark-only --benchmark-group-by=group
    python benchmarks/bench_onecell.py        # markdown table (benchmarks/README.md)
"""
from __future__ import annotations

import timeit

import _reference as ref
import numpy as np
import pytest

from fastnas import _backend
from fastnas.nasbench import load
from fastnas.spaces.nb101 import NB101
from fastnas.spaces.nb201 import NB201


def _rows():
    core = __import__("fastnas._core", fromlist=["_core"])
    s101, s201 = NB101(), NB201()
    c101 = s101.sample(1, seed=3, distribution="full")  # a 7-vertex cell: the reference's typical work
    m101, o101 = (x[0] for x in NB101.to_specs(c101))
    m_np = np.array(m101)
    m7, o7, v7 = c101.matrix, c101.ops, c101.n_vertices
    all201 = NB201.to_strings(NB201.from_index(np.arange(15625)))
    s_arch = all201[1003]
    c201 = NB201.from_strings(s_arch)
    nats = ref.NatsIndex(all201)
    struct = ref.CellStructure.str2structure(s_arch)
    plain = {s: i for i, s in enumerate(all201)}
    index_of = NB201.string_index()
    bench = load("nb201", dataset="cifar10-valid")
    key201 = bench.keys(c201)
    kcol, dense, table, values, _, _, ones = bench._plan("accuracy", "valid", "mean", None)
    lookup, to_code, ops201 = core.lookup_query, core.nb201_to_code, c201.ops
    spec_m, spec_o = [m101], [o101]
    code201 = NB201.to_code(c201)
    m_w, o_w, v_w = m7.copy(), o7.copy(), v7.copy()  # writeable arrays, as a user holds them
    rows = {
        "nb201 arch string -> index (string_index mapping)": {
            "fastnas": lambda: index_of[s_arch],
            "reference": lambda: nats.query_index_by_arch(s_arch),
            "dict": lambda: plain[s_arch],
        },
        "nb201 arch string -> index array (strings_to_index)": {
            "fastnas": lambda: NB201.strings_to_index(s_arch),
            "reference": lambda: nats.query_index_by_arch(s_arch),
        },
        "nb201 arch string -> cells": {
            "fastnas": lambda: NB201.from_strings(s_arch),
            "reference": lambda: ref.CellStructure.str2structure(s_arch),
        },
        "nb201 isomorphism key": {
            "fastnas": lambda: s201.key(c201),
            "reference": lambda: struct.to_unique_str(consider_zero=True),
            "kernel": lambda: core.nb201_key(c201.ops, False, "nats"),
        },
        "nb101 path encoding": {
            "fastnas": lambda: s101.encode(c101, "path"),
            "reference": lambda: ref.naszilla_encode_paths(m101, o101),
            "kernel": lambda: core.nb101_path(m7, o7, v7, 364),
        },
        "nb101 fingerprint": {
            "fastnas": lambda: s101.hash(c101, table=False),
            "reference": lambda: ref.nasbench_fingerprint(m_np, list(o101)),
            "kernel": lambda: core.nb101_hash(m7, o7, v7, 1),
        },
        "nb101 `from_arrays(matrix, ops, n_vertices)`, one cell": {
            "fastnas": lambda: NB101.from_arrays(m_w, o_w, v_w),
            "kernel": lambda: core.nb101_check(m_w, o_w, v_w),
        },
        "nb101 key": {
            "fastnas": lambda: s101.key(c101),
            "reference": lambda: ref.nasbench_fingerprint(m_np, list(o101)),
            "kernel": lambda: core.nb101_key(m7, o7, v7),
        },
        "nb101 prune + validity from lists": {
            "fastnas": lambda: s101.is_valid(NB101.from_specs(m101, o101)),
            "reference": lambda: ref.nasbench_prune_valid(m101, list(o101)),
        },
        "nb101 from_specs (one spec)": {
            "fastnas": lambda: NB101.from_specs(m101, o101),
            "reference": lambda: ref.ModelSpec(m101, list(o101)),
            "kernel": lambda: core.nb101_parse_specs(spec_m, spec_o),
        },
        "nb101 prune": {
            "fastnas": lambda: s101.prune(c101),
            "reference": lambda: ref.ModelSpec(m_np, list(o101)),
            "kernel": lambda: core.nb101_prune(m7, o7, v7),
        },
        "nb101 is_valid": {
            "fastnas": lambda: s101.is_valid(c101),
            "reference": lambda: ref.nasbench_prune_valid(m_np, list(o101)),
            "kernel": lambda: core.nb101_is_valid(m7, o7, v7),
        },
        "nb201 `NB201.from_index(i)`, one int": {
            "fastnas": lambda: NB201.from_index(1003),
        },
        "nb201 `NB201.from_code(codes)`, one int64 code in an array": {
            "fastnas": lambda: NB201.from_code(code201),
            "kernel": lambda: core.nb201_from_code(code201),
        },
        "nb201 `NB201.to_index(cells)`, one cell": {
            "fastnas": lambda: NB201.to_index(c201),
            "kernel": lambda: to_code(ops201),
        },
        # no reference twin (NATS-Bench's get_more_info walks its per-seed result objects; not transcribed):
        # these rows measure the API's overhead over the kernels it calls (nb201_to_code + lookup_query)
        "nb201 `bench.query(cells)`, one cell (cifar10-valid, seed mean)": {
            "fastnas": lambda: bench.query(c201),
            "kernel": lambda: lookup(kcol, dense, table, values, ones, to_code(ops201).view(np.uint64), 0, 0),
        },
        "nb201 `bench.query(cells, return_cost=True)`, one cell": {
            "fastnas": lambda: bench.query(c201, return_cost=True),
            "kernel": lambda: lookup(kcol, dense, table, values, ones, to_code(ops201).view(np.uint64), 0, 0),
        },
        "nb201 `bench.query_keys(keys)`, one key": {
            "fastnas": lambda: bench.query_keys(key201),
            "kernel": lambda: lookup(kcol, dense, table, values, ones, key201, 0, 0),
        },
        "nb201 `bench.query(arch_string)`, one string": {
            "fastnas": lambda: bench.query(s_arch),
            "kernel": lambda: lookup(kcol, dense, table, values, ones, key201, 0, 0),
        },
    }
    if s101.hash_table(progress=False, build=False) is not None:  # only where the table is cached already
        rows["nb101 fingerprint from the cached table, `hash(cells)`"] = {
            "fastnas": lambda: s101.hash(c101),
            "reference": lambda: ref.nasbench_fingerprint(m_np, list(o101)),
            "kernel": lambda: core.nb101_key(m7, o7, v7),
        }
    return rows


ROWS = _rows()
CASES = [(row, role) for row, roles in ROWS.items() for role in roles]


@pytest.mark.parametrize("row,role", CASES, ids=[f"{r}|{k}" for r, k in CASES])
def test_onecell(benchmark, row, role):
    benchmark.group = f"onecell {row}"
    benchmark.extra_info.update(pair=f"onecell {row}", role=role, cells=1)
    with _backend.use("cpp"):
        benchmark(ROWS[row][role])


def per_call_us(fns: dict, number: int = 300, repeat: int = 25) -> dict[str, float]:
    """Per role, the best of ``repeat`` runs of ``number`` calls in microseconds per call; the roles of a row
    take turns within each repeat, so a burst of load on a shared machine hits them alike."""
    best = {k: float("inf") for k in fns}
    for _ in range(repeat):
        for k, f in fns.items():
            best[k] = min(best[k], timeit.timeit(f, number=number) / number * 1e6)
    return best


def main() -> None:  # pragma: no cover - a report, run by hand
    print("| one cell per call | reference (us) | fastnas (us) | kernel alone (us) | overhead (us) | speed-up |")
    print("|---|---:|---:|---:|---:|---:|")
    with _backend.use("cpp"):
        for row, roles in ROWS.items():
            t = per_call_us(roles, number=200, repeat=60)  # more, shorter samples: robust to a loaded machine
            kern = f"{t['kernel']:.2f}" if "kernel" in t else "-"
            over = f"{t['fastnas'] - t['kernel']:.2f}" if "kernel" in t else "-"
            extra = f" (plain dict {t['dict']:.2f} us)" if "dict" in t else ""
            refr = f"{t['reference']:.2f}" if "reference" in t else "-"
            speed = f"{t['reference'] / t['fastnas']:.1f}x" if "reference" in t else "-"
            print(f"| {row}{extra} | {refr} | {t['fastnas']:.2f} | {kern} | {over} | {speed} |")


if __name__ == "__main__":
    main()

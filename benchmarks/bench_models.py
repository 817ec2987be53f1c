"""Network builders and trainer throughput.

* ``nb201_params`` / ``darts_params`` / ``nb101_params``: the analytic parameter counts (vectorised for NB201 and
  DARTS, a Python loop for NB101) beside the reference (build each network at the benchmark's width and count
  its parameters) on a sample; cells/s = cells / time.
* ``build_<space>``: building one network at the benchmark's width (NB201 C=16 N=5, NB101 stem 128, DARTS C=32
  8 layers, NAS-Bench-Graph on Cora settings).
* ``fit_epoch``: one training epoch of a small NB201 network (C=8, N=1) on 512 8x8 images, batch 64.

    pytest benchmarks/bench_models.py --benchmark-only --benchmark-group-by=group
    python benchmarks/bench_models.py        # markdown table (benchmarks/README.md)
"""
from __future__ import annotations

import sys
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fastnas.models import build  # noqa: E402
from fastnas.models.darts import DARTSNetwork, darts_param_counts  # noqa: E402
from fastnas.models.nb101 import NB101Network, nb101_param_counts  # noqa: E402
from fastnas.models.nb201 import nb201_param_counts  # noqa: E402
from fastnas.models.nbgraph import GNNNetwork  # noqa: E402

ALL_OPS = np.stack(np.meshgrid(*[np.arange(5)] * 6, indexing="ij"), -1).reshape(-1, 6).astype(np.int8)
SAMPLE = ALL_OPS[np.random.default_rng(0).choice(len(ALL_OPS), 20, replace=False)]
README_M = np.array([[0, 1, 0, 0, 1, 1, 0], [0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 1], [0, 0, 0, 0, 0, 1, 0],
                     [0, 0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]], np.uint8)
DARTS_V2 = np.array([[[0, 3], [1, 3], [0, 3], [1, 3], [1, 3], [0, 2], [0, 2], [2, 5]],
                     [[0, 0], [1, 0], [2, 2], [1, 0], [0, 0], [2, 2], [2, 2], [1, 0]]])


def _count_built(ops: np.ndarray) -> np.ndarray:
    return np.array([sum(p.numel() for p in build("nb201", o).parameters()) for o in ops])


def _fit_epoch():
    from fastnas.train import fit

    rng = np.random.default_rng(0)
    X = rng.normal(size=(512, 3, 8, 8)).astype(np.float32)
    y = rng.integers(0, 10, 512)
    net = build("nb201", np.array([3, 3, 3, 1, 3, 2], np.int8), width=8, N=1)
    return lambda: fit(net, (X, y), epochs=1, batch_size=64, seed=0, progress=False)


RNG = np.random.default_rng(1)
GENOS = np.stack([np.stack([np.stack([RNG.integers(0, e // 2 + 2, 2000) for e in range(8)], -1),
                            RNG.integers(0, 7, (2000, 8))], -1) for _ in range(2)], 1)  # (2000, 2, 8, 2)
NB101_M = np.repeat(README_M[None], 2000, 0)
NB101_O = np.repeat(np.array([[-1, 0, 2, 0, 0, 1, -2]], np.int8), 2000, 0)


def _n(net) -> int:
    return sum(p.numel() for p in net.parameters())


CASES = {
    "nb201_params": (lambda: nb201_param_counts(ALL_OPS), len(ALL_OPS), lambda: _count_built(SAMPLE), len(SAMPLE)),
    "darts_params": (lambda: darts_param_counts(GENOS), len(GENOS),
                     lambda: [_n(DARTSNetwork(g[0], g[1])) for g in GENOS[:10]], 10),
    "nb101_params": (lambda: nb101_param_counts(NB101_M, NB101_O), len(NB101_M),
                     lambda: [_n(NB101Network(m, o)) for m, o in zip(NB101_M[:5], NB101_O[:5])], 5),
    "build_nb201": (lambda: build("nb201", SAMPLE[0]), 1, None, 0),
    "build_nb101": (lambda: NB101Network(README_M, [-1, 0, 2, 0, 0, 1, -2]), 1, None, 0),
    "build_darts": (lambda: build("darts", DARTS_V2), 1, None, 0),
    "build_nbgraph": (lambda: GNNNetwork.from_cell(((0, 1, 2, 3), (8, 1, 4, 0)), dataset="cora"), 1, None, 0),
}


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast(benchmark, name):
    fn, n, _, _ = CASES[name]
    benchmark.group = name
    benchmark.extra_info["cells"] = n
    benchmark(fn)


@pytest.mark.parametrize("name", [k for k, v in CASES.items() if v[2] is not None])
def test_reference(benchmark, name):
    _, _, ref, n = CASES[name]
    benchmark.group = name
    benchmark.extra_info["cells"] = n
    benchmark.pedantic(ref, rounds=1, iterations=1)


def test_fit_epoch(benchmark):
    benchmark.group = "fit_epoch"
    benchmark.extra_info["samples"] = 512
    benchmark.pedantic(_fit_epoch(), rounds=3, iterations=1)


def _best(fn, repeat=3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    torch.set_num_threads(1)
    print("| op | fastnas | reference | speed-up | note |")
    print("|---|---|---|---|---|")
    for name in ("nb201_params", "darts_params", "nb101_params"):
        fn, n, ref, m = CASES[name]
        a, b = _best(fn), _best(ref, 1)
        print(f"| {name} | {n / a:,.0f} cells/s | {m / b:,.1f} cells/s | {(n / a) / (m / b):,.0f}x | "
              "analytic count vs build + count |")
    for name in ("build_nb201", "build_nb101", "build_darts", "build_nbgraph"):
        t = _best(CASES[name][0])
        print(f"| {name} | {1 / t:,.1f} networks/s | | | benchmark width |")
    t = _best(_fit_epoch())
    print(f"| fit_epoch | {512 / t:,.0f} samples/s | | | NB201 C=8 N=1, 8x8, batch 64 |")
    print(f"\nOne torch thread; {sys.platform}, torch {torch.__version__}.")


if __name__ == "__main__":
    main()

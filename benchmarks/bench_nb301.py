"""NAS-Bench-301 surrogate throughput: fastnas's numpy evaluator beside onnxruntime on the same model.

Ops (cell-epochs per second, one thread each):

* ``query``: ``bench.query(cells, epoch=e)`` with one random epoch per cell (encoding included) vs
  ``onnxruntime.InferenceSession.run`` on the prepared ``x_cat`` (encoding excluded: the reference's best case);
* ``curves``: ``bench.curves(cells)`` (every cell at all 98 epochs; the categorical part of the first layer
  once per cell) vs onnxruntime on the repeated rows.

Each cell-epoch is one pass through the network (~1.3 MFLOP), so both are bounded by single-precision matrix
products; the issue's 10^6 cell-epochs/s would need ~1.3 TFLOP/s on one core.

Run ``.venv/bin/python benchmarks/bench_nb301.py`` for the markdown table of benchmarks/README.md, or
``pytest benchmarks/bench_nb301.py`` for pytest-benchmark.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest

from _timing import best_cpu_time

N_QUERY = 4000
N_CURVES = 40


def _cases():
    from fastnas.nasbench import load
    from fastnas.nasbench.nb301_encoding import cells_to_x_cat

    ort = pytest.importorskip("onnxruntime")
    bench = load("nb301")
    rng = np.random.default_rng(0)
    cells = bench.space.sample(N_QUERY, seed=rng)
    epochs = rng.integers(1, 99, N_QUERY)
    x = cells_to_x_cat(cells)
    so = ort.SessionOptions()
    so.intra_op_num_threads = so.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(bench.onnx_path()), so, providers=["CPUExecutionProvider"])
    cc = cells[:N_CURVES]
    xc = np.repeat(x[:N_CURVES], 98, axis=0)
    ec = np.tile(np.arange(1, 99, dtype=np.float32), N_CURVES)[:, None]
    bench.query(cells[:2])  # load + prepare the weights outside the timings
    return {
        "query": ((N_QUERY, lambda: bench.query(cells, epoch=epochs)),
                  (N_QUERY, lambda: sess.run(None, {"x_cat": x, "x_cont": epochs[:, None].astype(np.float32)}))),
        "curves": ((N_CURVES * 98, lambda: bench.curves(cc)),
                   (N_CURVES * 98, lambda: sess.run(None, {"x_cat": xc, "x_cont": ec}))),
    }


CASES = None


def _get():
    global CASES
    if CASES is None:
        CASES = _cases()
    return CASES


@pytest.mark.parametrize("op", ["query", "curves"])
@pytest.mark.parametrize("impl", ["fastnas", "onnxruntime"])
def test_bench(benchmark, op, impl):
    (n, f), (m, g) = _get()[op]
    fn, cells = (f, n) if impl == "fastnas" else (g, m)
    benchmark.group = f"nb301 {op}"
    benchmark.extra_info["cell_epochs"] = cells
    benchmark(fn)


def main():  # pragma: no cover - table for the README
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # one BLAS thread, like the single-threaded onnxruntime session
        _table()


def _table():  # pragma: no cover
    cases = _get()
    print("| op | fastnas cell-epochs/s | onnxruntime cell-epochs/s | ratio |")
    print("|---|---:|---:|---:|")
    for op, ((n, f), (m, g)) in cases.items():
        a = n / best_cpu_time(f)
        b = m / best_cpu_time(g)
        print(f"| {op} | {a:,.0f} | {b:,.0f} | {a / b:.2f}x |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

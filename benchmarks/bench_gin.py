"""NPENAS's GIN predictors: the compiled kernel (``engine="numba"``) against torch autograd (``engine="torch"``,
the reference), and one NPENAS-NP / NPENAS-BO trial.

    pytest benchmarks/bench_gin.py --benchmark-only     # one fit per engine (pytest-benchmark, 100 epochs)
    python benchmarks/bench_gin.py speed                # figures for benchmarks/README.md

* one fit at NPENAS's sizes (NB201 ``gcn`` graphs, hidden 32, batch 10, 1,000 epochs) with both engines in
  one process, CPU seconds and their ratio (the torch engine at 80 cells only: about 30 s per fit);
* one NPENAS-NP and one NPENAS-BO trial of 150 queries on NB201 cifar10-valid (paper settings, numba engine),
  CPU seconds.
Torch runs with one thread (as the predictors do by default).
"""
from __future__ import annotations

import sys
import time

import pytest

BENCH = "nb201/cifar10-valid"


def _data(n, seed=0):
    from fastnas.sim._trial import resolve_benchmark

    b = resolve_benchmark(BENCH)
    cells = b.space.sample(n, seed=seed)
    return b, cells, b.query(cells)


def _fit(cls, engine, n, epochs=1000, seed=0):
    b, cells, y = _data(n)
    m = cls(space=b.space, epochs=epochs, batch_size=10, seed=seed, engine=engine)
    t = time.process_time()
    m.fit(cells, y)
    return time.process_time() - t


# ---- pytest-benchmark ------------------------------------------------------------------------------------
@pytest.mark.benchmark(group="npenas-gin-fit")
@pytest.mark.parametrize("engine", ["numba", "torch"])
@pytest.mark.parametrize("variant", ["np", "bo"])
def test_gin_fit(benchmark, engine, variant):
    from fastnas.predictors.gcn import GaussianGINPredictor, GINPredictor

    cls = GaussianGINPredictor if variant == "bo" else GINPredictor
    b, cells, y = _data(80)
    cls(space=b.space, epochs=1, seed=0, engine=engine).fit(cells[:12], y[:12])  # compile / warm up
    benchmark.pedantic(lambda: cls(space=b.space, epochs=100, batch_size=10, seed=0, engine=engine).fit(cells, y),
                       rounds=1 if engine == "torch" else 3, iterations=1)


def speed() -> None:
    import torch

    from fastnas.predictors.gcn import GaussianGINPredictor, GINPredictor
    from fastnas.search import Oracle, make, run

    torch.set_num_threads(1)
    b, _, _ = _data(10)
    for cls in (GINPredictor, GaussianGINPredictor):
        _fit(cls, "numba", 12, epochs=1)  # compile (cached after the first run)
        t_numba = {n: _fit(cls, "numba", n) for n in (10, 80, 150)}
        t_torch = _fit(cls, "torch", 80)
        print(f"{cls.__name__}: one fit, 1,000 epochs, batch 10, CPU s: numba "
              + ", ".join(f"{n} cells {t:.2f}" for n, t in t_numba.items())
              + f"; torch 80 cells {t_torch:.1f}; ratio at 80 cells {t_torch / t_numba[80]:.1f}x")
    for variant in ("np", "bo"):
        t = time.process_time()
        run(make("npenas", b.space, seed=0, variant=variant), Oracle(b, budget=150))
        print(f"npenas ({variant}): one trial of 150 queries: {time.process_time() - t:.1f} s CPU (numba engine)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "speed":
        speed()
    else:
        print(__doc__)

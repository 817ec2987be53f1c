"""Search and simulation overhead, and the BANANAS predictor against its per-member reference.

    pytest benchmarks/bench_search.py --benchmark-only      # timings (pytest-benchmark)
    python benchmarks/bench_search.py speed                  # figures for benchmarks/README.md
    python benchmarks/bench_search.py quality [trials]       # NB201 regret table + plot (100 trials: ~10 min)

* random search / regularized evolution: 1,000 trials x 150 queries through ``simulate`` on 2 processes
  (per-trial Parquet files included);
* one BANANAS trial of 150 queries (paper defaults), with the compiled ensemble (``NumbaMLPEnsemble``) and,
  in the same run, with the torch-batched ``MLPEnsemble`` it replaced (same algorithm): the ratio is the
  speed-up; one trial of BONAS, NPENAS-NP and the neural predictor (CPU seconds);
* the BANANAS ensemble fit: the numba kernel, the torch-batched model and the reference (the same
  definition written the usual way, five ``torch.nn.Sequential`` models each with its own Adam, trained one
  after the other) -- with predictor quality (Kendall tau, MAE on held-out NB201 cells) for each;
* per-trial overhead of the Ray backend against local processes (same trials).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time

import numpy as np
import pytest

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

BENCH = "nb201/cifar10-valid"


def _bench():
    from fastnas.sim._trial import resolve_benchmark

    return resolve_benchmark(BENCH)


def _sim(algo, trials, backend="processes", n_workers=2, out=None):
    from fastnas.sim import simulate

    with tempfile.TemporaryDirectory() as d:
        return simulate([algo], BENCH, trials=trials, budget=150, seed=0, backend=backend, n_workers=n_workers,
                        out=out or os.path.join(d, "o"), progress=False)


# ---- reference ensemble: same definition, one model and one optimizer at a time --------------------------
def reference_ensemble_fit_predict(F, y, Fq, n_members=5, n_layers=10, width=20, epochs=150, batch=32, seed=0):
    import torch

    preds = []
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        g = torch.Generator().manual_seed(seed)
        X = torch.as_tensor(F, dtype=torch.float32)
        Y = torch.as_tensor(y, dtype=torch.float32)
        for _ in range(n_members):
            layers, d = [], F.shape[1]
            for _ in range(n_layers):
                lin = torch.nn.Linear(d, width)
                torch.nn.init.xavier_uniform_(lin.weight, generator=g)
                torch.nn.init.zeros_(lin.bias)
                layers += [lin, torch.nn.ReLU()]
                d = width
            out = torch.nn.Linear(d, 1)
            torch.nn.init.xavier_uniform_(out.weight, generator=g)
            torch.nn.init.zeros_(out.bias)
            net = torch.nn.Sequential(*layers, out)
            opt = torch.optim.Adam(net.parameters(), lr=0.01, betas=(0.9, 0.99))
            for _ in range(epochs):
                perm = torch.randperm(len(F), generator=g)
                for s in range(0, len(F), batch):
                    idx = perm[s:s + batch]
                    loss = (net(X[idx])[:, 0] - Y[idx]).abs().mean()
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
            with torch.no_grad():
                preds.append(net(torch.as_tensor(Fq, dtype=torch.float32))[:, 0].numpy())
    finally:
        torch.set_num_threads(old)
    P = np.array(preds, dtype=np.float64)
    return P.mean(axis=0), P.std(axis=0)


def _predictor_data(n_train=150, n_test=500, seed=0):
    b = _bench()
    cells = b.space.sample(n_train + n_test, seed=seed, unique=True)
    F = b.space.encode(cells, "path_trunc")
    y = 100.0 - b.query(cells)
    return F[:n_train], y[:n_train], F[n_train:], y[n_train:]


def predictor_quality(seeds=(0, 1, 2)):
    """Kendall tau and MAE of the batched ensemble and of the reference, mean over seeds."""
    from scipy.stats import kendalltau

    from fastnas.predictors.mlp import MLPEnsemble

    from fastnas.predictors.mlp_ensemble_batched import NumbaMLPEnsemble

    rows = {"numba": [], "batched": [], "reference": []}
    times = {"numba": [], "batched": [], "reference": []}
    for s in seeds:
        F, y, Fq, yq = _predictor_data(seed=s)
        t = time.process_time()
        nb = NumbaMLPEnsemble(seed=s).fit(F, y).predict(Fq)
        times["numba"].append(time.process_time() - t)
        rows["numba"].append((kendalltau(nb, yq)[0], np.abs(nb - yq).mean()))
        t = time.process_time()
        m = MLPEnsemble(seed=s).fit(F, y).predict(Fq)
        times["batched"].append(time.process_time() - t)
        t = time.process_time()
        r = reference_ensemble_fit_predict(F, y, Fq, seed=s)[0]
        times["reference"].append(time.process_time() - t)
        rows["batched"].append((kendalltau(m, yq)[0], np.abs(m - yq).mean()))
        rows["reference"].append((kendalltau(r, yq)[0], np.abs(r - yq).mean()))
    return {k: (np.mean([a for a, _ in v]), np.mean([b for _, b in v]), np.median(times[k])) for k, v in rows.items()}


# ---- pytest-benchmark ------------------------------------------------------------------------------------
@pytest.mark.benchmark(group="search-sim")
def test_random_1000_trials(benchmark):
    _bench()
    res = benchmark.pedantic(_sim, args=("random", 1000), rounds=1, iterations=1)
    benchmark.extra_info["queries"] = len(res.df)


@pytest.mark.benchmark(group="search-sim")
def test_evolution_1000_trials(benchmark):
    _bench()
    res = benchmark.pedantic(_sim, args=("evolution", 1000), rounds=1, iterations=1)
    benchmark.extra_info["queries"] = len(res.df)


@pytest.mark.benchmark(group="bananas")
def test_bananas_one_trial(benchmark):
    pytest.importorskip("torch")
    from fastnas.search import Oracle, make, run

    b = _bench()
    benchmark.pedantic(lambda: run(make("bananas", b.space, seed=0), Oracle(b, budget=150)), rounds=1,
                       iterations=1, warmup_rounds=1)


@pytest.mark.benchmark(group="bananas-ensemble-fit")
def test_ensemble_fit_numba(benchmark):
    from fastnas.predictors.mlp_ensemble_batched import NumbaMLPEnsemble

    F, y, Fq, _ = _predictor_data()
    NumbaMLPEnsemble(seed=0, epochs=1).fit(F, y)  # compile (cached on disk after the first run)
    benchmark.pedantic(lambda: NumbaMLPEnsemble(seed=0).fit(F, y).predict(Fq), rounds=3, iterations=1)


@pytest.mark.benchmark(group="bananas-ensemble-fit")
def test_ensemble_fit_batched(benchmark):
    pytest.importorskip("torch")
    from fastnas.predictors.mlp import MLPEnsemble

    F, y, Fq, _ = _predictor_data()
    benchmark.pedantic(lambda: MLPEnsemble(seed=0).fit(F, y).predict(Fq), rounds=3, iterations=1)


@pytest.mark.benchmark(group="bananas-ensemble-fit")
def test_ensemble_fit_reference(benchmark):
    pytest.importorskip("torch")
    F, y, Fq, _ = _predictor_data()
    benchmark.pedantic(lambda: reference_ensemble_fit_predict(F, y, Fq), rounds=1, iterations=1)


# ---- figures for the README ----------------------------------------------------------------------------------
class _torch_ensemble_in_bananas:
    """Context: BANANAS trains the torch-batched ``MLPEnsemble`` (the implementation before the numba kernel)."""

    def __init__(self, on: bool):
        self.on = on

    def __enter__(self):
        import fastnas.search.bananas as mod
        from fastnas.predictors.mlp import MLPEnsemble

        self.mod, self.old = mod, mod.NumbaMLPEnsemble
        if self.on:
            mod.NumbaMLPEnsemble = lambda **kw: MLPEnsemble(n_threads=1, **kw)
        return self

    def __exit__(self, *exc):
        self.mod.NumbaMLPEnsemble = self.old


def speed() -> None:
    from fastnas.search import Oracle, make, run

    _bench()
    for algo in ("random", "evolution"):
        t = time.perf_counter()
        res = _sim(algo, 1000)
        print(f"{algo}: 1000 trials x 150 queries, processes x2: {time.perf_counter() - t:.1f} s "
              f"({len(res.df)} rows)")
    b = _bench()
    run(make("bananas", b.space, seed=99), Oracle(b, budget=30))  # warm torch and numba up
    cpu = {"numba": [], "torch-batched": []}
    for s in range(3):
        for kind in cpu:
            with _torch_ensemble_in_bananas(kind == "torch-batched"):
                t = time.process_time()
                run(make("bananas", b.space, seed=s), Oracle(b, budget=150))
                cpu[kind].append(time.process_time() - t)
    for kind, ts in cpu.items():
        print(f"bananas ({kind} ensemble): one trial of 150 queries: median {np.median(ts):.2f} s CPU "
              f"(of {[round(x, 2) for x in ts]})")
    print(f"bananas speed-up (median CPU, same run): {np.median(cpu['torch-batched']) / np.median(cpu['numba']):.1f}x")
    q = predictor_quality()
    for k, (tau, mae, sec) in q.items():
        print(f"ensemble {k}: fit+predict {sec:.2f} s CPU, Kendall tau {tau:.3f}, MAE {mae:.3f} (150 train, 500 test)")
    for algo in ("bonas", "npenas", "neural_predictor"):
        t = time.process_time()
        run(make(algo, b.space, seed=0), Oracle(b, budget=150))
        print(f"{algo}: one trial of 150 queries: {time.process_time() - t:.1f} s CPU")
    n = 200
    for backend in ("serial", "processes", "ray"):
        t = time.perf_counter()
        _sim("random", n, backend=backend)
        print(f"{backend}: {n} random-search trials in {time.perf_counter() - t:.2f} s "
              f"({(time.perf_counter() - t) / n * 1e3:.2f} ms per trial, start-up included)")


def quality(trials: int = 100, out: str = "bench-search-out") -> None:
    from fastnas.sim import simulate

    t = time.perf_counter()
    res = simulate(["random", "evolution", "bananas"], BENCH, trials=trials, budget=150, seed=0,
                   backend="processes", n_workers=2, out=out, progress=True)
    print(f"wall {time.perf_counter() - t:.0f} s")
    print(res.table().to_string(index=False))
    print(res.plot(os.path.join(out, "regret_mean.png")))
    print(res.plot(os.path.join(out, "regret_median.png"), stat="median"))


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "speed"
    if what == "quality":
        quality(int(sys.argv[2]) if len(sys.argv) > 2 else 100)
    else:
        speed()

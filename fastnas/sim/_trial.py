"""One simulation trial: what it runs (``TrialSpec``), its seed, and running it into per-query columns."""
from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field

import numpy as np

_BENCH_CACHE: dict[str, object] = {}


def trial_seed(base_seed: int, algorithm: str, trial: int) -> int:
    """The seed of trial ``trial`` of ``algorithm`` under ``base_seed``: a stable 63-bit hash, so every
    backend and worker count runs each trial with the same seed.

    >>> trial_seed(0, "bananas", 3) == trial_seed(0, "bananas", 3) != trial_seed(0, "bananas", 4)
    True
    """
    h = hashlib.blake2b(f"{int(base_seed)}|{algorithm}|{int(trial)}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "little") & (2**63 - 1)


def benchmark_label(bench) -> str:
    if isinstance(bench, str):
        return bench
    name = getattr(bench, "name", type(bench).__name__)
    ds = getattr(bench, "dataset", None)
    return f"{name}/{ds}" if ds else str(name)


def resolve_benchmark(bench):
    """A benchmark object from a spec: an object is returned as is; ``"nb201/cifar10-valid"`` (name/dataset)
    is loaded with ``fastnas.nasbench.load`` once per process."""
    if not isinstance(bench, str):
        return bench
    if bench not in _BENCH_CACHE:
        from ..nasbench import load

        name, _, dataset = bench.partition("/")
        _BENCH_CACHE[bench] = load(name, dataset=dataset or None, progress=False)
    return _BENCH_CACHE[bench]


@dataclass(frozen=True)
class TrialSpec:
    """Everything one trial needs (picklable, small)."""

    algorithm: str  # label (unique per configuration)
    optimizer: str  # registry name
    params: dict = field(default_factory=dict)
    benchmark: object = "nb201/cifar10-valid"
    trial: int = 0
    seed: int = 0
    budget: int = 150
    time_budget: float | None = None
    batch_size: int | None = None
    oracle_seed: str = "mean"

    @property
    def trial_id(self) -> str:
        raw = f"{self.algorithm}__{benchmark_label(self.benchmark)}__{self.trial:05d}"
        return re.sub(r"[^A-Za-z0-9_.-]+", "-", raw)


def run_trial(spec: TrialSpec) -> dict:
    """Run one trial; returns its per-query columns (numpy arrays / lists), in query order."""
    from ..nasbench.oracle import Oracle
    from ..search import make, run

    bench = resolve_benchmark(spec.benchmark)
    t0 = time.perf_counter()
    opt = make(spec.optimizer, bench.space, seed=spec.seed, **spec.params)
    oracle = Oracle(bench, budget=spec.budget, time_budget=spec.time_budget, seed=spec.oracle_seed,
                    rng=spec.seed)
    run(opt, oracle, batch_size=spec.batch_size)
    h = oracle.history()
    n = len(h["key"])
    return {
        "trial_id": [spec.trial_id] * n,
        "algorithm": [spec.algorithm] * n,
        "benchmark": [benchmark_label(spec.benchmark)] * n,
        "trial": np.full(n, spec.trial, dtype=np.int64),
        "seed": np.full(n, spec.seed, dtype=np.int64),
        "query": np.arange(n, dtype=np.int64),
        "key": h["key"],
        "cell": bench.space.to_strings(h["cells"]) if n else [],
        "value": h["value"],
        "epoch": h["epoch"],
        "cost": h["cost"],
        "sim_time": h["sim_time"],
        "wall_time": h["wall_time"],
        "trial_wall_time": np.full(n, time.perf_counter() - t0),
    }


def run_chunk(specs: list[TrialSpec]) -> list[tuple[str, dict]]:
    """Run several trials in one task (amortises per-task overhead of process pools and Ray)."""
    return [(s.trial_id, run_trial(s)) for s in specs]

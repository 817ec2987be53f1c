"""Timing shared by the benchmark scripts' markdown tables."""
from __future__ import annotations

import time


def best_cpu_time(fn, rounds: int = 3) -> float:
    """Best CPU time (``process_time``) of ``rounds`` calls: robust on a shared, loaded machine."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best

"""``run(opt, oracle)``: the ask -> oracle -> tell loop until the oracle's budget is spent."""
from __future__ import annotations

import numpy as np

from ..nasbench.oracle import BudgetExhausted
from ._base import Optimizer


def run(opt: Optimizer, oracle, batch_size: int | None = None, progress: bool = False,
        max_idle: int = 100) -> Optimizer:
    """Ask ``batch_size`` cells (default: the optimizer's own, e.g. 10 for BANANAS, 1 for evolution, the
    whole remaining budget for random search), query them through ``oracle``, tell the values; stop when
    the oracle's budget is spent (or when the optimizer has nothing new to propose). Returns ``opt``.

    >>> from fastnas.search import make, Oracle
    >>> from fastnas.sim.synthetic import SyntheticBenchmark
    >>> bench = SyntheticBenchmark()
    >>> opt = run(make("evolution", bench.space, seed=0), Oracle(bench, budget=50))
    >>> opt.n_told
    50
    """
    if oracle.budget is None and oracle.time_budget is None:
        raise ValueError("run needs an oracle with a budget or a time_budget")
    if batch_size is not None and (int(batch_size) < 1):
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    bs = batch_size or getattr(opt, "batch_size", None)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=oracle.budget, desc=opt.name, leave=False)
    idle = 0
    try:
        while not oracle.exhausted:
            rem = oracle.remaining
            n = bs or rem or 1
            if rem is not None:
                n = min(n, rem)
            cells = opt.ask(int(n))
            if not len(cells):
                idle += 1
                if idle >= max_idle or opt.pending == 0:
                    break  # nothing new left in the space
                continue
            idle = 0
            try:
                values, costs = oracle(cells, return_cost=True)
            except BudgetExhausted as exc:
                k = exc.n_answered
                if k:
                    opt.tell(cells[np.arange(k)], exc.values, exc.costs)
                break
            opt.tell(cells, values, costs)
            if bar is not None:
                bar.update(len(cells))
    finally:
        if bar is not None:
            bar.close()
    return opt

"""``run(opt, oracle)``: the ask -> oracle -> tell loop until the oracle's budget is spent."""
from __future__ import annotations

import warnings

import numpy as np

from ..nasbench.oracle import BudgetExhausted
from ._base import Optimizer


def run(opt: Optimizer, oracle, batch_size: int | None = None, progress: bool = False,
        max_idle: int = 100) -> Optimizer:
    """Ask ``batch_size`` cells (default: the optimizer's own, e.g. 10 for BANANAS, 1 for evolution, the
    whole remaining budget for random search), query them through ``oracle``, tell the values; stop when
    the oracle's budget is spent (or when the optimizer has nothing new to propose). Returns ``opt``.

    Why the run stopped is recorded in ``opt.stop_reason_`` and ``oracle.stop_reason``. Stopping with query
    budget left happens only when the optimizer proposes nothing new: on a finite space that means every
    isomorphism class was asked (the message says so); otherwise it is the optimizer's own limit. Either
    way a ``RuntimeWarning`` says why, so a short run is never silent.

    Multi-fidelity optimizers (``multi_fidelity = True``) are asked for the epoch of each proposed cell
    (``opt.epochs_of(cells)``) and told the value at that epoch; those that declare ``needs_curves`` are
    also told the observed learning curves (free: seen while training).

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
    mf = bool(getattr(opt, "multi_fidelity", False))
    if mf:
        if getattr(oracle, "max_epoch", None) is None:
            raise ValueError(f"{opt.name} is a multi-fidelity optimizer: it needs a benchmark with learning "
                             "curves (max_epoch, query(epoch=...))")
        opt.set_max_epoch(oracle.max_epoch)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=oracle.budget, desc=opt.name, leave=False)
    idle = 0
    reason = None
    try:
        while True:
            if oracle.exhausted:
                reason = "budget spent"
                break
            rem = oracle.remaining
            n = bs or rem or 1
            if rem is not None:
                n = min(n, rem)
            cells = opt.ask(int(n))
            if not len(cells):
                idle += 1
                if idle >= max_idle or opt.pending == 0:
                    reason = _empty_reason(opt, oracle)
                    warnings.warn(f"run({opt.name}) stopped with budget left: {reason}", RuntimeWarning,
                                  stacklevel=2)
                    break
                continue
            idle = 0
            epoch = opt.epochs_of(cells) if mf else None
            try:
                values, costs = oracle(cells, return_cost=True, epoch=epoch)
            except BudgetExhausted as exc:
                k = exc.n_answered
                if k:
                    part = cells[np.arange(k)]
                    opt.tell(part, exc.values, exc.costs, **_curves(opt, oracle, part, epoch, k))
                reason = "budget spent"
                break
            opt.tell(cells, values, costs, **_curves(opt, oracle, cells, epoch, len(cells)))
            if bar is not None:
                bar.update(oracle.n_queries - bar.n)  # distinct cells (multi-fidelity re-asks do not count)
    finally:
        if bar is not None:
            bar.close()
    opt.stop_reason_ = oracle.stop_reason = reason
    why = getattr(opt, "run_warning", None)
    why = why() if callable(why) else None
    if why:  # e.g. an LCE search that never continued a candidate: the run ended but did not search
        warnings.warn(why, RuntimeWarning, stacklevel=2)
    return opt


def _curves(opt, oracle, cells, epoch, k) -> dict:
    if not getattr(opt, "needs_curves", False):
        return {}
    ep = np.asarray(epoch)[:k] if epoch is not None else None
    out = []
    for i in range(k):  # curves of different lengths: one row each (LC batches are small)
        e = int(ep[i]) if ep is not None else int(oracle.max_epoch)
        out.append(oracle.curves(cells[i:i + 1], e)[0])
    return {"curves": out}


def _empty_reason(opt, oracle) -> str:
    left = opt.n_classes_left() if hasattr(opt, "n_classes_left") else None
    asked = len(getattr(opt, "_seen", ()))
    if left == 0:
        return (f"the space is exhausted: all {asked} isomorphism classes of {opt.space.name} were asked "
                f"({oracle.n_queries} queries, {oracle.remaining} of the query budget left)")
    extra = "" if left is None else f" although {left} classes are left"
    return f"{opt.name} proposed no new cell{extra} ({oracle.n_queries} queries made)"

"""The ``Oracle``: the only path from a benchmark's truth to a search algorithm.

Optimizers never hold the benchmark (NASLib's BANANAS reads accuracies outside its budget; here that is
impossible by construction): the search loop hands the optimizer's cells to an ``Oracle``, which
queries the benchmark for the *search metric only* (validation accuracy by default), counts queries and
simulated training time, and raises ``BudgetExhausted`` when the budget is spent. Test accuracy and other
metrics are available through ``Oracle.report``, which is never part of the search loop.

Deduplication rule (documented contract)
----------------------------------------
A cell isomorphic (equal ``space.key``) to one already queried is answered from the oracle's cache with
the *same* value and costs neither a query nor simulated time; so with ``seed="sample"`` a repeated
query cannot draw a second, luckier training seed. Only new cells count against ``budget`` and
``time_budget``.
"""
from __future__ import annotations

import time
from itertools import repeat

import numpy as np

from .._rng import as_generator


class BudgetExhausted(RuntimeError):
    """The oracle's query or time budget is spent.

    ``values`` holds the values of the leading cells of the refused batch that were still answered
    (``n_answered`` of them), so no query that was paid for is lost.
    """

    def __init__(self, message: str, values: np.ndarray | None = None, costs: np.ndarray | None = None):
        super().__init__(message)
        self.values = np.zeros(0) if values is None else values
        self.costs = np.zeros(0) if costs is None else costs

    @property
    def n_answered(self) -> int:
        return int(len(self.values))


class Oracle:
    """Counts queries and simulated training time of a benchmark and enforces a budget.

    Parameters
    ----------
    benchmark : object with ``space`` and ``query(cells, metric, split, seed, rng, return_cost)``
    metric, split : the search metric (default validation accuracy; larger is better)
    budget : int or None, maximum number of distinct queried cells
    time_budget : float or None, maximum simulated training seconds; a cell is answered while the time
        spent *before* it is below the budget (the last cell may overrun it, as a real training would)
    seed : "mean" (mean over training seeds) or "sample" (one seed drawn per new cell from ``rng``)
    rng : int, Generator or None, for ``seed="sample"``

    Examples
    --------
    >>> from fastnas.sim.synthetic import SyntheticBenchmark
    >>> bench = SyntheticBenchmark()
    >>> oracle = Oracle(bench, budget=3)
    >>> vals = oracle(bench.space.sample(3, seed=0, unique=True))
    >>> oracle.n_queries, oracle.remaining
    (3, 0)
    """

    def __init__(self, benchmark, metric: str = "accuracy", split: str = "valid", budget: int | None = None,
                 time_budget: float | None = None, seed="mean", rng=None):
        if budget is not None and (not isinstance(budget, (int, np.integer)) or budget < 0):
            raise ValueError(f"budget must be a non-negative int or None, got {budget!r}")
        if time_budget is not None and not (float(time_budget) >= 0):
            raise ValueError(f"time_budget must be >= 0 or None, got {time_budget!r}")
        if seed not in ("mean", "sample"):
            raise ValueError(f"seed must be 'mean' or 'sample', got {seed!r}")
        self._benchmark = benchmark
        self.space = benchmark.space
        self.metric = metric
        self.split = split
        self.budget = None if budget is None else int(budget)
        self.time_budget = None if time_budget is None else float(time_budget)
        self.seed = seed
        self._rng = as_generator(rng) if seed == "sample" else None
        self._index: dict[int, int] = {}  # key -> position in the query log
        self.n_queries = 0
        self.n_calls = 0
        self.time_used = 0.0
        self._t0 = time.perf_counter()
        # the query log, in order (capacity-doubling arrays): key, value, cost, cumulative simulated time,
        # wall seconds since creation
        self._lk = np.zeros(0, dtype=np.uint64)
        self._lv = np.zeros(0)
        self._lc = np.zeros(0)
        self._lt = np.zeros(0)
        self._lw = np.zeros(0)
        self._log_cells: list = []

    # -- budget -------------------------------------------------------------------------------
    @property
    def remaining(self) -> int | None:
        """Queries left (None without a query budget)."""
        return None if self.budget is None else self.budget - self.n_queries

    @property
    def exhausted(self) -> bool:
        if self.budget is not None and self.n_queries >= self.budget:
            return True
        return self.time_budget is not None and self.time_used >= self.time_budget

    # -- queries ------------------------------------------------------------------------------
    def __call__(self, cells, return_cost: bool = False):
        """Search-metric values of ``cells`` (a ``Cells`` batch), charging the budget for new cells.

        Raises ``BudgetExhausted`` (carrying the answered prefix) if the batch does not fit.
        """
        self.n_calls += 1
        keys = np.asarray(self.space.key(cells), dtype=np.uint64)
        hit, _ = self._lookup(keys)
        # new classes, each at its first appearance, in batch order (vectorised: no per-cell loop)
        miss = np.flatnonzero(~hit)
        _, first = np.unique(keys[miss], return_index=True)
        new_idx = miss[np.sort(first)]
        if new_idx.size:
            kwargs = dict(metric=self.metric, split=self.split, seed=self.seed, return_cost=True)
            if self.seed == "sample":
                kwargs["rng"] = self._rng
            sub = cells if new_idx.size == len(keys) else cells[new_idx]
            v, c = self._benchmark.query(sub, **kwargs)
            v = np.asarray(v, dtype=np.float64)
            c = np.asarray(c, dtype=np.float64)
            # admit new cells in order until a budget is hit
            n_ok = new_idx.size
            if self.budget is not None:
                n_ok = min(n_ok, max(0, self.budget - self.n_queries))
            if self.time_budget is not None:
                before = self.time_used + np.concatenate([[0.0], np.cumsum(c)[:-1]])
                n_ok = min(n_ok, int(np.searchsorted(before >= self.time_budget, True)))
            self._admit(sub if n_ok == len(sub) else sub[:n_ok], keys[new_idx[:n_ok]], v[:n_ok], c[:n_ok])
            if n_ok < new_idx.size:
                # answer the rows up to the first refused new cell
                stop = int(new_idx[n_ok])
                _, pos = self._lookup(keys[:stop])
                raise BudgetExhausted(
                    f"budget exhausted after {self.n_queries} queries and {self.time_used:.0f} simulated s "
                    f"(budget={self.budget}, time_budget={self.time_budget})",
                    self._lv[pos], self._lc[pos],
                )
            hit, pos = self._lookup(keys)
        else:
            pos = self._lookup(keys)[1]
        vals, costs = self._lv[pos], self._lc[pos]
        return (vals, costs) if return_cost else vals

    def _lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(answered already?, position in the query log) per key; ``map`` over ``dict.get`` runs in C."""
        pos = np.fromiter(map(self._index.get, keys.tolist(), repeat(-1)), dtype=np.intp, count=len(keys))
        return pos >= 0, np.maximum(pos, 0)

    def _grow(self, m: int) -> None:
        n = self.n_queries
        if n + m > len(self._lv):
            cap = max(64, 2 * (n + m))
            for name in ("_lk", "_lv", "_lc", "_lt", "_lw"):
                old = getattr(self, name)
                new = np.empty(cap, dtype=old.dtype)
                new[:n] = old[:n]
                setattr(self, name, new)

    def _admit(self, cells, keys, v, c) -> None:
        m = len(keys)
        if not m:
            return
        n = self.n_queries
        self._grow(m)
        cum = self.time_used + np.cumsum(c)
        self._lk[n:n + m] = keys
        self._lv[n:n + m] = v
        self._lc[n:n + m] = c
        self._lt[n:n + m] = cum
        self._lw[n:n + m] = time.perf_counter() - self._t0
        self._index.update(zip(keys.tolist(), range(n, n + m)))
        self._log_cells.append(cells)
        self.time_used = float(cum[-1])
        self.n_queries = n + m

    def report(self, cells, metric: str | None = None, split: str = "test", seed="mean"):
        """Other metrics (default: test accuracy) for reporting; never counts, never feeds an optimizer.

        >>> from fastnas.sim.synthetic import SyntheticBenchmark
        >>> oracle = Oracle(SyntheticBenchmark(), budget=1)
        >>> oracle.report(oracle.space.sample(2, seed=0)).shape
        (2,)
        """
        return np.asarray(self._benchmark.query(cells, metric=metric or self.metric, split=split, seed=seed),
                          dtype=np.float64)

    # -- records --------------------------------------------------------------------------------
    def history(self) -> dict:
        """The queries so far, in order: ``cells`` (a batch), ``key``, ``value``, ``sim_time``
        (cumulative simulated seconds) and ``wall_time`` (seconds since the oracle was created)."""

        n = self.n_queries
        return {
            "cells": self.space.concat(self._log_cells) if self._log_cells else self.space.cells_type.empty(0),
            "key": self._lk[:n].copy(),
            "value": self._lv[:n].copy(),
            "sim_time": self._lt[:n].copy(),
            "wall_time": self._lw[:n].copy(),
        }

    def __repr__(self) -> str:
        return (f"Oracle({getattr(self._benchmark, 'name', type(self._benchmark).__name__)}, metric={self.metric!r}, "
                f"split={self.split!r}, queries={self.n_queries}/{self.budget}, time={self.time_used:.0f}/"
                f"{self.time_budget})")

"""The ``Oracle``: the only path from a benchmark's truth to a search algorithm.

Optimizers never hold the benchmark (NASLib's BANANAS reads accuracies outside its budget; here that is
impossible by construction): the search loop hands the optimizer's cells to an ``Oracle``, which
queries the benchmark for the *search metric only* (validation accuracy by default), counts queries and
simulated training time, and raises ``BudgetExhausted`` when the budget is spent. Test accuracy and other
metrics are available through ``Oracle.report``, which is never part of the search loop.

Each cell's own record (documented contract)
---------------------------------------------
The oracle answers and charges every cell by the benchmark's *record*: the row the benchmark stores for
it (``benchmark.keys(cells)``; for a benchmark without ``keys``, such as the NB301 surrogate, the exact
cell, unless it declares ``records_per_class = True`` as the synthetic benchmarks do). NAS-Bench-201
trained each of its 15,625 cells separately, so two isomorphic NB201 cells are two records with their own
values and costs; NAS-Bench-101 stores one record per isomorphism class, so there the class is the record.
The answer never depends on query order. A record asked again is answered from the oracle's cache with
the *same* value and costs nothing (with ``seed="sample"`` a repeated query cannot draw a second, luckier
training seed; and the seed drawn for a record depends on ``rng`` and the record key only, not on the
record's position in a batch or on what was asked before). Deduplication up to isomorphism is the
optimizers' job (``Optimizer.ask`` never proposes a cell isomorphic to one asked before).

Fidelities (partial training)
-----------------------------
On a benchmark with learning curves (``max_epoch`` attribute, ``query(..., epoch=e)``,
``curves(cells, epochs)``), ``oracle(cells, epoch=e)`` answers the value at epoch ``e`` and charges the
simulated training time up to ``e``; continuing a record later to ``e2 > e`` costs only the extra time
``cost(e2) - cost(e)``, where ``cost(e)`` is the largest runtime at any epoch ``<= e`` (``charge_time``: a
surrogate's runtime curve may dip, and the total charge must not depend on the path), and looking at an epoch at or below the one already trained is free: the model of
NAS-Bench-x11 (Yan et al. 2021), where a run is trained once and observed along the way. ``epoch=None``
means the final epoch. ``budget`` counts records trained at all (at any fidelity); ``time_budget`` counts
the charged seconds.
"""
from __future__ import annotations

import hashlib
import time
from itertools import repeat

import numpy as np

from .._rng import base_seed


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


def exact_keys(cells) -> np.ndarray:
    """uint64 identity of each exact cell (not up to isomorphism): an 8-byte BLAKE2b digest of the row's
    arrays, stable across processes."""
    arrays = [np.ascontiguousarray(a).reshape(len(cells), -1).astype(np.int64) for a in cells.arrays().values()]
    rows = np.ascontiguousarray(np.concatenate(arrays, axis=1)) if arrays else np.zeros((len(cells), 0), np.int64)
    out = np.empty(len(rows), dtype=np.uint64)
    for i, r in enumerate(rows):
        out[i] = int.from_bytes(hashlib.blake2b(r.tobytes(), digest_size=8).digest(), "little")
    return out


def max_epoch(benchmark, metric: str = "accuracy", split: str = "valid") -> int | None:
    """The final epoch of a benchmark with learning curves, else None (single fidelity): its ``max_epoch``
    attribute, the NB301 surrogate's epoch range, or the last recorded epoch of a store whose ``metric``
    on ``split`` has per-epoch curves (NB201/NATS converted from an official file: 1..200; NB101 from a full
    tfrecord: 4/12/36/108, where only those epochs can be asked)."""
    e = getattr(benchmark, "max_epoch", None)
    if e is None and type(benchmark).__name__ == "NB301Surrogate":
        from .nb301 import EPOCHS

        e = EPOCHS[1]
    if e is None and callable(getattr(benchmark, "info", None)) and callable(getattr(benchmark, "curves", None)):
        try:
            m = benchmark.info().get("metrics", {}).get(f"{metric}/{split}", {})
        except Exception:  # noqa: BLE001 - a benchmark whose info() fails is treated as single-fidelity
            m = {}
        epochs = m.get("epochs") or []
        if m.get("curve") and len(epochs) > 1:
            e = max(int(x) for x in epochs)
    return None if e is None else int(e)


class Oracle:
    """Counts queries and simulated training time of a benchmark and enforces a budget.

    Parameters
    ----------
    benchmark : object with ``space`` and ``query(cells, metric, split, seed, rng, return_cost)``;
        optionally ``keys(cells)`` (record keys; default ``space.key``) and, for fidelity queries,
        ``max_epoch``, ``query(..., epoch=e)`` and ``curves(cells, epochs)``.
    metric, split : the search metric (default validation accuracy; larger is better)
    budget : int or None, maximum number of distinct records queried (at any fidelity)
    time_budget : float or None, maximum simulated training seconds; a cell is answered while the time
        spent *before* it is below the budget (the last cell may overrun it, as a real training would)
    seed : "mean" (mean over training seeds) or "sample" (one seed drawn per new record from ``rng``;
        single-fidelity queries only, since a continued training must follow one seed)
    rng : int, Generator or None, for ``seed="sample"``. One base seed is fixed at construction (the int
        itself; one draw from a Generator; fresh entropy for None), and each record's training seed is a
        function of (base seed, record key) only, so the answers do not depend on query order or batch
        split. With an int ``rng`` on a tabular ``Benchmark`` the oracle answers what
        ``benchmark.query(cells, seed="sample", rng=rng)`` answers for the same cells.

    Raises
    ------
    ValueError
        for a negative budget, an unknown ``seed`` mode, or an epoch the benchmark does not hold.

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
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, np.integer))
                                   or budget < 0):
            raise ValueError(f"budget must be a non-negative int or None, got {budget!r}")
        if time_budget is not None and not (float(time_budget) >= 0):
            raise ValueError(f"time_budget must be >= 0 or None, got {time_budget!r}")
        if not isinstance(seed, str) or seed not in ("mean", "sample"):
            raise ValueError(f"seed must be 'mean' or 'sample', got {seed!r}")
        if not hasattr(benchmark, "space") or not callable(getattr(benchmark, "query", None)):
            raise TypeError(f"benchmark must have .space and .query(), got {type(benchmark).__name__}")
        self._benchmark = benchmark
        self.space = benchmark.space
        self.metric = metric
        self.split = split
        self.budget = None if budget is None else int(budget)
        self.time_budget = None if time_budget is None else float(time_budget)
        self.seed = seed
        self.max_epoch = max_epoch(benchmark, metric, split)
        # seed="sample": one base seed, fixed here; each record's draw is a function of (base, record key)
        self._sample_base = int(base_seed(rng)) if seed == "sample" else None
        keys = getattr(benchmark, "keys", None)
        if callable(keys):
            self._record_key = keys
        elif getattr(benchmark, "records_per_class", False):
            self._record_key = self.space.key
        else:  # e.g. a surrogate model: every exact cell has its own prediction
            self._record_key = exact_keys
        self._index: dict = {}  # (record, epoch) -> position in the query log (fidelity queries)
        self._final: dict[int, int] = {}  # record -> position in the query log (final-epoch queries)
        self._trained: dict[int, tuple[int, float]] = {}  # record -> (epoch trained to, cost spent on it)
        self.n_queries = 0  # distinct records
        self.n_evals = 0  # rows of the query log
        self.n_calls = 0
        self.time_used = 0.0
        self.stop_reason: str | None = None
        self._t0 = time.perf_counter()
        # the query log, in order (capacity-doubling arrays): class key, record key, epoch, value, charged
        # cost, cumulative simulated time, wall seconds since creation
        self._lk = np.zeros(0, dtype=np.uint64)
        self._lr = np.zeros(0, dtype=np.uint64)
        self._le = np.zeros(0, dtype=np.int64)
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

    def _refuse(self, values: np.ndarray, costs: np.ndarray):
        raise BudgetExhausted(
            f"budget exhausted after {self.n_queries} queries and {self.time_used:.0f} simulated s "
            f"(budget={self.budget}, time_budget={self.time_budget})", values, costs)

    # -- queries ------------------------------------------------------------------------------
    def __call__(self, cells, return_cost: bool = False, epoch=None):
        """Search-metric values of ``cells`` (a ``Cells`` batch), charging the budget for new records.

        Parameters
        ----------
        cells : a batch of the benchmark space's cells
        return_cost : also return the simulated seconds charged per row (0 for answers from the cache)
        epoch : None (final epoch), an int, or an int array (one per row) on benchmarks with learning curves

        Raises ``BudgetExhausted`` (carrying the answered prefix) if the batch does not fit.
        """
        self.n_calls += 1
        if epoch is not None or (self.max_epoch is not None and self.seed != "sample"):
            return self._call_fidelity(cells, return_cost, epoch)
        return self._call_final(cells, return_cost)

    def _call_final(self, cells, return_cost):
        """Final-epoch queries, vectorised (single-fidelity benchmarks, or ``seed="sample"``)."""
        rec = np.asarray(self._record_key(cells), dtype=np.uint64)
        hit, _ = self._lookup(rec)
        # new records, each at its first appearance, in batch order (vectorised: no per-cell loop)
        miss = np.flatnonzero(~hit)
        _, first = np.unique(rec[miss], return_index=True)
        new_idx = miss[np.sort(first)]
        charged = np.zeros(len(rec))
        if new_idx.size:
            kwargs = dict(metric=self.metric, split=self.split, return_cost=True)
            sub = cells if new_idx.size == len(rec) else cells[new_idx]
            if self.seed != "sample":  # benchmarks without training seeds (surrogates) take no seed argument
                v, c = self._benchmark.query(sub, **kwargs)
            else:
                v, c = self._sample(sub, rec[new_idx], kwargs)
            v = np.asarray(v, dtype=np.float64)
            c = np.asarray(c, dtype=np.float64)
            # admit new records in order until a budget is hit
            n_ok = new_idx.size
            if self.budget is not None:
                n_ok = min(n_ok, max(0, self.budget - self.n_queries))
            if self.time_budget is not None:
                before = self.time_used + np.concatenate([[0.0], np.cumsum(c)[:-1]])
                n_ok = min(n_ok, int(np.searchsorted(before >= self.time_budget, True)))
            ok_sub = sub if n_ok == len(sub) else sub[:n_ok]
            self._admit(ok_sub, np.asarray(self.space.key(ok_sub), dtype=np.uint64), rec[new_idx[:n_ok]],
                        np.full(n_ok, -1), v[:n_ok], c[:n_ok])
            self.n_queries += n_ok
            charged[new_idx[:n_ok]] = c[:n_ok]
            if n_ok < new_idx.size:
                stop = int(new_idx[n_ok])  # answer the rows up to the first refused new record
                _, pos = self._lookup(rec[:stop])
                self._refuse(self._lv[pos], charged[:stop])
        pos = self._lookup(rec)[1]
        vals = self._lv[pos]
        return (vals, charged) if return_cost else vals

    def _sample(self, sub, rec, kwargs):
        """``seed="sample"`` answers of new records ``sub`` (record keys ``rec``): each record's training seed is
        a function of (base seed, record key) only, never of its batch position or of query order."""
        from ._benchmark import Benchmark, key_draws

        kwargs = dict(kwargs, seed="sample")
        if isinstance(self._benchmark, Benchmark):  # an int rng draws per lookup key (= the record key)
            return self._benchmark.query(sub, rng=self._sample_base, **kwargs)
        # any other benchmark: one query per record, with that record's own seed
        seeds = key_draws(self._sample_base, rec)
        out = [self._benchmark.query(sub[i:i + 1], rng=int(seeds[i]), **kwargs) for i in range(len(rec))]
        return (np.concatenate([np.asarray(o[0], dtype=np.float64).reshape(-1) for o in out]),
                np.concatenate([np.asarray(o[1], dtype=np.float64).reshape(-1) for o in out]))

    def _call_fidelity(self, cells, return_cost, epoch):
        """Fidelity queries: one row at a time (batches of multi-fidelity searches are small)."""
        E = self.max_epoch
        if E is None:
            raise ValueError(f"{getattr(self._benchmark, 'name', 'this benchmark')} has no learning curves "
                             "(no max_epoch): query it without epoch=")
        if self.seed == "sample":
            raise ValueError("seed='sample' is single-fidelity only: a continued training must follow one seed")
        n = len(cells)
        if epoch is None:
            ep = np.full(n, E, dtype=np.int64)
        else:
            raw = np.asarray(epoch)
            if raw.dtype.kind not in "iu" or raw.ndim > 1:
                raise TypeError(f"epoch must be an int or a 1-d int array, got {epoch!r}")
            ep = np.broadcast_to(raw.astype(np.int64), (n,)).copy()
            bad = np.flatnonzero((ep < 1) | (ep > E))
            if bad.size:
                raise ValueError(f"row {int(bad[0])}: epoch {int(ep[bad[0]])} is outside 1..{E}")
        rec = np.asarray(self._record_key(cells), dtype=np.uint64).tolist()
        cls = np.asarray(self.space.key(cells), dtype=np.uint64)
        vals = np.empty(n)
        charged = np.zeros(n)
        for i in range(n):
            r, e = rec[i], int(ep[i])
            p = self._index.get((r, e))
            if p is not None:
                vals[i] = self._lv[p]
                continue
            done_e, done_c = self._trained.get(r, (0, 0.0))
            new_record = r not in self._trained
            if new_record and self.budget is not None and self.n_queries >= self.budget:
                self._refuse(vals[:i].copy(), charged[:i].copy())
            if e > done_e and self.time_budget is not None and self.time_used >= self.time_budget:
                self._refuse(vals[:i].copy(), charged[:i].copy())
            v, c = self._benchmark.query(cells[i:i + 1], metric=self.metric, split=self.split, epoch=e,
                                         return_cost=True)
            v, c = float(np.asarray(v)[0]), float(np.asarray(c)[0])
            cost = 0.0
            if e > done_e:
                # charged time to e = the largest runtime at any epoch <= e (a surrogate's runtime curve is
                # not monotone), so a cell's total charge does not depend on the path that reached e
                c = max(self.charge_time(cells[i:i + 1], e), done_c)
                cost = c - done_c  # continuing: only the extra epochs
                self._trained[r] = (e, c)
            elif new_record:  # pragma: no cover - e >= 1 > 0 always trains
                self._trained[r] = (e, c)
            if new_record:
                self.n_queries += 1
            self._admit(cells[i:i + 1], cls[i:i + 1], np.array([r], dtype=np.uint64), np.array([e]),
                        np.array([v]), np.array([cost]))
            vals[i], charged[i] = v, cost
        return (vals, charged) if return_cost else vals

    def charge_time(self, cells, epoch: int) -> float:
        """Simulated seconds to train the single cell ``cells`` (a batch of one) to ``epoch``: the largest
        runtime the benchmark reports at any of its epochs ``<= epoch`` (a cumulative maximum). The NB301
        surrogate's predicted runtime is not monotone in the epoch (most cells dip somewhere), so charging
        ``runtime(e2) - runtime(e1)`` would make the total depend on the path of continuations; with the
        cumulative maximum, training a cell to ``e`` costs the same however it got there. Benchmarks whose
        runtime is monotone (tables, synthetic curves) are charged their runtime unchanged."""
        e = int(epoch)
        eps = self._charge_epochs(e)
        if eps is not None:
            try:
                _, rt = self._benchmark.curves(cells, eps, metric=self.metric, split=self.split, return_cost=True)
            except TypeError:  # a curves() without return_cost: the query's own cost below
                pass
            else:
                return float(np.max(np.asarray(rt, dtype=np.float64)))
        _, c = self._benchmark.query(cells, metric=self.metric, split=self.split, epoch=e, return_cost=True)
        return float(np.asarray(c, dtype=np.float64)[0])

    def _charge_epochs(self, e: int):
        """The benchmark's own epochs up to ``e`` (for the cumulative maximum), or None if unknown."""
        if type(self._benchmark).__name__ == "NB301Surrogate":
            return np.arange(1, e + 1)
        info = getattr(self._benchmark, "info", None)
        if callable(info) and callable(getattr(self._benchmark, "curves", None)):
            try:
                m = info().get("metrics", {}).get(f"{self.metric}/{self.split}", {})
            except Exception:  # noqa: BLE001 - as in max_epoch(): no per-epoch data known
                return None
            eps = [int(x) for x in (m.get("epochs") or []) if int(x) <= e]
            return np.array(eps, dtype=np.int64) if eps else None
        return None

    def trained_epoch(self, cells) -> np.ndarray:
        """The epoch each cell's record has been trained to so far (0: never; ``max_epoch`` or -1 for a
        single-fidelity record answered at its final value)."""
        rec = np.asarray(self._record_key(cells), dtype=np.uint64).tolist()
        out = np.zeros(len(rec), dtype=np.int64)
        for i, r in enumerate(rec):
            if r in self._trained:
                out[i] = self._trained[r][0]
            elif r in self._final:
                out[i] = -1
        return out

    def curves(self, cells, epochs: int) -> np.ndarray:
        """The observed validation curve (search metric at epochs 1..``epochs``), (N, epochs) float64.

        Free, because it was observed while training; every cell must have been trained (through this
        oracle) to at least ``epochs`` -- asking for more raises ``ValueError``, never a substitute.
        """
        if self.max_epoch is None or not callable(getattr(self._benchmark, "curves", None)):
            raise ValueError("this benchmark has no learning curves")
        if isinstance(epochs, (bool, np.bool_)) or not isinstance(epochs, (int, np.integer)):
            raise TypeError(f"epochs is the last epoch of the curve (one int: the curve covers 1..epochs), "
                            f"got {epochs!r}")
        if not 1 <= int(epochs) <= self.max_epoch:
            raise ValueError(f"epochs must be in 1..{self.max_epoch} (the curve covers epochs 1..epochs), "
                             f"got {epochs}")
        epochs = int(epochs)
        got = self.trained_epoch(cells)
        short = np.flatnonzero(got < epochs)
        if short.size:
            raise ValueError(f"row {int(short[0])} was trained to epoch {int(got[short[0]])} only, not {epochs}: "
                             "query it at that epoch first")
        return np.asarray(self._benchmark.curves(cells, np.arange(1, epochs + 1), metric=self.metric,
                                                 split=self.split), dtype=np.float64)

    def _lookup(self, rec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(answered already?, position in the query log) per single-fidelity record; ``map`` over
        ``dict.get`` runs in C."""
        pos = np.fromiter(map(self._final.get, rec.tolist(), repeat(-1)), dtype=np.intp, count=len(rec))
        return pos >= 0, np.maximum(pos, 0)

    def _grow(self, m: int) -> None:
        n = self.n_evals
        if n + m > len(self._lv):
            cap = max(64, 2 * (n + m))
            for name in ("_lk", "_lr", "_le", "_lv", "_lc", "_lt", "_lw"):
                old = getattr(self, name)
                new = np.empty(cap, dtype=old.dtype)
                new[:n] = old[:n]
                setattr(self, name, new)

    def _admit(self, cells, keys, rec, ep, v, c) -> None:
        m = len(keys)
        if not m:
            return
        n = self.n_evals
        self._grow(m)
        cum = self.time_used + np.cumsum(c)
        self._lk[n:n + m] = keys
        self._lr[n:n + m] = rec
        self._le[n:n + m] = ep
        self._lv[n:n + m] = v
        self._lc[n:n + m] = c
        self._lt[n:n + m] = cum
        self._lw[n:n + m] = time.perf_counter() - self._t0
        ep = np.asarray(ep)
        if (ep < 0).all():
            self._final.update(zip(rec.tolist(), range(n, n + m)))
        else:
            self._index.update(zip(zip(rec.tolist(), ep.tolist()), range(n, n + m)))
        self._log_cells.append(cells)
        self.time_used = float(cum[-1])
        self.n_evals = n + m

    def report(self, cells, metric: str | None = None, split: str = "test", seed="mean"):
        """Other metrics (default: test accuracy) for reporting; never counts, never feeds an optimizer.

        >>> from fastnas.sim.synthetic import SyntheticBenchmark
        >>> oracle = Oracle(SyntheticBenchmark(), budget=1)
        >>> oracle.report(oracle.space.sample(2, seed=0)).shape
        (2,)
        """
        kwargs = {} if isinstance(seed, str) and seed == "mean" else {"seed": seed}
        return np.asarray(self._benchmark.query(cells, metric=metric or self.metric, split=split, **kwargs),
                          dtype=np.float64)

    # -- records --------------------------------------------------------------------------------
    def history(self) -> dict:
        """The queries so far, in order: ``cells`` (a batch), ``key`` (the space's isomorphism key),
        ``record`` (the benchmark's record key), ``epoch`` (-1: single-fidelity final value), ``value``,
        ``cost`` (simulated seconds charged), ``sim_time`` (cumulative simulated seconds) and
        ``wall_time`` (seconds since the oracle was created)."""
        n = self.n_evals
        return {
            "cells": self.space.concat(self._log_cells) if self._log_cells else self.space.cells_type.empty(0),
            "key": self._lk[:n].copy(),
            "record": self._lr[:n].copy(),
            "epoch": self._le[:n].copy(),
            "value": self._lv[:n].copy(),
            "cost": self._lc[:n].copy(),
            "sim_time": self._lt[:n].copy(),
            "wall_time": self._lw[:n].copy(),
        }

    def __repr__(self) -> str:
        return (f"Oracle({getattr(self._benchmark, 'name', type(self._benchmark).__name__)}, metric={self.metric!r}, "
                f"split={self.split!r}, queries={self.n_queries}/{self.budget}, time={self.time_used:.0f}/"
                f"{self.time_budget})")

"""``Benchmark``: typed, vectorised queries of one (benchmark, dataset) store."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import _backend
from .._rng import base_seed
from . import _keys
from ._store import Store

_MISSING = ("raise", "nan")
_U64 = np.dtype(np.uint64)


def _query_error(kind, position: int, key: int, reason: str, hint: str):
    """A query error naming the batch position and key; ``position`` and ``reason`` are kept as attributes so
    a caller that knows what the user typed for that position (the CLI) can name that instead."""
    exc = kind(f"position {position}: key {key} {reason}{'' if hint.startswith(';') else ' '}{hint}")
    exc.position, exc.reason = position, reason
    return exc


def key_draws(base, keys) -> np.ndarray:
    """One uint64 draw per key, a function of ``(base, key)`` only: the first output of the splitmix64 stream
    ``(base, key)`` (``PyRng(base, key).next()`` of ``fastnas/_kernels/rng.py``), vectorised.

    >>> from fastnas._kernels.rng import PyRng
    >>> int(key_draws(7, [1003])[0]) == PyRng(7, 1003).next()
    True
    """
    k = np.asarray(keys, dtype=np.uint64)
    b = np.uint64(int(base) & 0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        state = _mix64(b ^ _mix64(k + _GOLDEN))
        return _mix64(state + _GOLDEN)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix64(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


class Benchmark:
    """One benchmark on one dataset, backed by a memory-mapped store (see ``_store.py``).

    Obtain one with :func:`fastnas.nasbench.load`. Queries are batched: pass a batch of cells (``Cells`` of the
    benchmark's space) or the uint64 lookup keys of ``keys(cells)``.

    Examples
    --------
    >>> from fastnas.nasbench import load
    >>> bench = load("nb201", dataset="cifar10-valid")
    >>> cells = bench.space.from_strings("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    ...                                  "+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|")
    >>> round(float(bench.query(cells)[0]), 2)
    91.61
    """

    def __init__(self, store: Store):
        self._store = store
        m = store.manifest
        self.name: str = m["benchmark"]
        self.dataset: str = m["dataset"]
        self._key_kind: str = m["key"]
        self._dense = bool(m.get("dense_keys", False))
        self._space = None
        self._cache: dict[Any, np.ndarray] = {}
        self._last_plan: tuple | None = None  # (metric, split, seed, epoch, plan) of the last query spec
        self._code_cells: type | None = None  # NB201Cells once known, for an "nb201-ops-code" store

    # ------------------------------------------------------------------ description
    @property
    def space(self):
        """The search space instance of this benchmark's cells."""
        if self._space is None:
            from ..spaces import get_space

            self._space = get_space(self._store.manifest["space"], **self._store.manifest.get("space_params", {}))
        return self._space

    @property
    def store(self) -> Store:
        return self._store

    def __len__(self) -> int:
        return self._store.n_rows

    def __repr__(self) -> str:
        return f"Benchmark({self.name!r}, dataset={self.dataset!r}, {len(self)} cells)"

    def metrics(self) -> dict[str, list[str | None]]:
        """What the data holds: metric -> its splits (``[None]`` for static costs without a split).

        >>> from fastnas.nasbench import load
        >>> load("nb201", dataset="cifar100").metrics()["accuracy"]
        ['valid']
        """
        m = self._store.manifest
        out: dict[str, list[str | None]] = {k: sorted(v) for k, v in m["metrics"].items()}
        for k in m["static"]:
            out[k] = [None]
        return out

    def info(self) -> dict:
        """A JSON-able summary: name, dataset, rows, key kind, metrics with their epochs, units, source, notes."""
        m = self._store.manifest
        metrics = {}
        for metric, splits in m["metrics"].items():
            for split, e in splits.items():
                metrics[f"{metric}/{split}"] = {"epochs": e.get("epochs"), "per_seed": bool(e.get("seeds")),
                                                "curve": bool(e.get("curve"))}
        for k in m["static"]:
            metrics[k] = {"static": True}
        ns = self._store.column(m["n_seeds"]) if m.get("n_seeds") else None
        return {"benchmark": self.name, "dataset": self.dataset, "space": m["space"], "n_rows": len(self),
                "key": self._key_kind, "metrics": metrics, "units": m.get("units", {}),
                "seeds_per_cell": sorted(set(np.unique(ns).tolist())) if ns is not None else [],
                "source": m.get("source", ""), "notes": m.get("notes", ""), "path": str(self._store.path)}

    # ------------------------------------------------------------------ keys and cells
    def keys(self, cells) -> np.ndarray:
        """uint64 lookup keys of a batch of cells (see ``fastnas/nasbench/_keys.py`` for each key kind)."""
        return _keys.cells_to_keys(self._key_kind, self.space, cells)

    def cells(self, rows=None):
        """The cells of store rows (all rows by default), as the space's ``Cells`` batch."""
        rows = np.arange(len(self)) if rows is None else np.asarray(rows, dtype=np.int64)
        if self._key_kind == "nb201-ops-code":
            codes = self._store.column("key")[rows]
            return self.space.cells_type(ops=_keys.nb201_ops_from_codes(codes))
        fields = {f: np.asarray(self._store.column(f"cell.{f}")[rows]) for f, _, _ in self.space.cells_type.FIELDS}
        return self.space.cells_type(**fields)

    # ------------------------------------------------------------------ queries
    def _n_seeds(self) -> np.ndarray:
        a = self._cache.get("n_seeds")
        if a is None:
            m = self._store.manifest
            if m.get("n_seeds"):
                a = np.ascontiguousarray(self._store.column(m["n_seeds"]), dtype=np.int8)
            else:
                a = np.ones(len(self), np.int8)
            self._cache["n_seeds"] = a
        return a

    def _table(self) -> np.ndarray:
        """The key hash table of a sparse store (built on first query, ~ms); empty for dense stores."""
        t = self._cache.get("table")
        if t is None:
            if self._dense:
                t = np.zeros(0, np.int64)
            else:
                keys = np.ascontiguousarray(self._store.column("key"))
                t = _backend.get("nasbench_table")(keys)
            self._cache["table"] = t
        return t

    def _f64(self, name: str) -> np.ndarray:
        a = self._store.column(name)
        if a.dtype != np.float64:
            a = self._cache.setdefault(("f64", name), np.ascontiguousarray(a, dtype=np.float64))
        return a

    def _values(self, metric: str, split, seed, epoch) -> tuple[np.ndarray, int, np.ndarray | None]:
        """(values (N, S) float64, kernel seed argument, final-epoch fraction or None) for a query spec."""
        m = self._store.manifest
        n = len(self)
        if metric in m["static"]:
            # one recorded value per cell: a split other than the default, a seed position or an epoch would be
            # a question the data does not answer, so it is refused rather than ignored
            if split not in (None, "valid"):
                raise ValueError(f"{metric!r} of {self.name}/{self.dataset} is a static cost (one value per cell, "
                                 f"no split); pass split=None, not {split!r}")
            if not (isinstance(seed, str) and seed in ("mean", "sample")):
                raise ValueError(f"{metric!r} of {self.name}/{self.dataset} is a static cost (one value per cell, "
                                 f"no seeds); seed={seed!r} does not apply (use the default 'mean')")
            if epoch is not None:
                raise ValueError(f"{metric!r} of {self.name}/{self.dataset} is a static cost (one value per cell, "
                                 f"no epochs); epoch={epoch!r} does not apply")
            v = self._f64(m["static"][metric]).reshape(n, 1)
            return v, 0, None
        if metric not in m["metrics"]:
            raise ValueError(f"{self.name}/{self.dataset} has no metric {metric!r}; it holds "
                             f"{sorted(m['metrics']) + sorted(m['static'])}")
        splits = m["metrics"][metric]
        if split not in splits:
            raise ValueError(f"{self.name}/{self.dataset} holds metric {metric!r} on split(s) {sorted(splits)}, "
                             f"not {split!r}")
        e = splits[split]
        epochs = list(e.get("epochs") or [])
        final = epochs[-1] if epochs else None
        frac = None
        if epoch is None or (final is not None and epoch == final):
            seeds_col, mean_col, ep = e.get("seeds"), e.get("mean"), None
        else:
            if not e.get("curve"):
                what = (f"final-epoch ({final}) data only" if len(epochs) == 1 else f"only epochs {epochs}")
                hint = (" (the bundled NB201 stores have no learning curves: convert an official NAS-Bench-201/"
                        "NATS-Bench file with `fastnas data convert` for per-epoch values)"
                        if self.name == "nb201" else "")
                raise ValueError(f"{self.name}/{self.dataset} holds {metric}/{split} {what}, not epoch {epoch!r}"
                                 f"{hint}")
            if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or int(epoch) not in epochs:
                raise ValueError(f"epoch must be one of the recorded epochs {epochs[0]}..{epochs[-1]}, got {epoch!r}")
            ep = epochs.index(int(epoch))
            seeds_col, mean_col = e["curve"], None
            if m.get("train_time_curve"):  # separate training runs per budget (NB101): their recorded time
                frac = ("curve", ep)
            else:  # one run observed at epoch e: the time spent so far
                frac = int(epoch) / final
        if isinstance(seed, str):
            if seed not in ("mean", "sample"):
                raise ValueError(f"seed must be 'mean', 'sample' or a seed position (int), got {seed!r}")
        elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or int(seed) < 0:
            raise ValueError(f"seed must be 'mean', 'sample' or a seed position >= 0, got {seed!r}")
        ck = (metric, split, ep, "mean" if seed == "mean" else "seeds")
        v = self._cache.get(ck)
        if v is None:
            if seed == "mean":
                if ep is None and mean_col:
                    v = self._f64(mean_col).reshape(n, 1)
                else:
                    src = self._store.column(seeds_col)
                    src = src[:, :, ep] if ep is not None else src
                    v = np.nanmean(np.asarray(src, dtype=np.float64), axis=1).reshape(n, 1)
            else:
                if not seeds_col:
                    raise ValueError(f"{self.name}/{self.dataset} holds only the seed mean of {metric}/{split}")
                src = self._store.column(seeds_col)
                v = np.ascontiguousarray(src[:, :, ep] if ep is not None else src, dtype=np.float64)
            self._cache[ck] = v
        if seed == "mean":
            return v, 0, frac
        if seed == "sample":
            return v, -1, frac
        if int(seed) >= v.shape[1]:
            raise ValueError(f"{self.name}/{self.dataset} records at most {v.shape[1]} seeds per cell "
                             f"(positions 0..{v.shape[1] - 1}), not seed {int(seed)}")
        return v, int(seed), frac

    def query_keys(self, keys, metric: str = "accuracy", split: str | None = "valid", seed="mean",
                   epoch: int | None = None, missing: str = "raise", rng=None, return_cost: bool = False):
        """Values for uint64 lookup keys (the output of ``keys(cells)``); arguments as in :meth:`query`.

        >>> from fastnas.nasbench import load
        >>> bench = load("nb201", dataset="cifar10-valid")
        >>> bench.query_keys([11667]).round(2).tolist()
        [91.61]
        """
        if missing not in _MISSING:
            raise ValueError(f"missing must be one of {_MISSING}, got {missing!r}")
        if type(keys) is np.ndarray and keys.dtype is _U64 and keys.ndim == 1:
            q = keys  # already what the kernel takes (the output of keys(cells)): no conversion calls
        else:
            q = self._query_array(keys)
        last = self._last_plan  # a loop of one-cell queries repeats the same argument objects: identity tests
        if last is not None and last[0] is metric and last[1] is split and last[2] is seed and last[3] is epoch:
            key_col, dense, table, values, seed_arg, frac, ns = last[4]
        else:
            plan = self._plan(metric, split, seed, epoch)
            self._last_plan = (metric, split, seed, epoch, plan)
            key_col, dense, table, values, seed_arg, frac, ns = plan
        base = 0 if seed_arg != -1 else int(base_seed(rng))  # a Python int: np.uint64(0) alone costs ~0.4 us
        # an int rng draws per key (a function of (rng, key) only: batch split and order do not matter); a
        # Generator or None draws per batch position (the kernel's stream (base, j))
        per_key = seed_arg == -1 and isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_))
        out, rows = _backend.get("nasbench_query")(key_col, dense, table, values, ns, q,
                                                   0 if per_key else seed_arg, base)
        if per_key and values.shape[1] > 1:
            ok = rows >= 0
            r = np.where(ok, rows, 0)
            col = (key_draws(base, q) % ns[r].astype(np.uint64)).astype(np.intp)
            out = np.where(ok, values[r, col], np.nan)
        n = len(rows)
        if missing == "raise" and (rows.item(0) < 0 if n == 1 else n and rows.min() < 0):  # item: no numpy scalar
            j = int(np.flatnonzero(rows < 0)[0])
            raise _query_error(KeyError, j, int(q[j]), f"is not in {self.name}/{self.dataset}",
                               f"({int((rows < 0).sum())} of {len(q)} queries missing; pass missing='nan' for NaN)")
        if seed_arg > 0 and missing == "raise":
            self._check_seed_counts(rows, q, seed_arg)
        if not return_cost:
            return out
        return out, self._cost(rows, frac, missing == "raise")

    def _query_array(self, keys) -> np.ndarray:
        """Validated 1-d uint64 query keys from what ``query_keys`` accepts."""
        if isinstance(keys, (list, tuple)) and all(isinstance(k, (int, np.integer)) and not isinstance(k, bool)
                                                   for k in keys):
            bad = [j for j, k in enumerate(keys) if not 0 <= int(k) < 2**64]
            if bad:
                raise ValueError(f"keys must be >= 0 and < 2**64; position {bad[0]} holds {keys[bad[0]]}")
            keys = np.array([int(k) for k in keys], dtype=np.uint64)
        q = np.asarray(keys)
        if q.ndim == 0:
            q = q.reshape(1)
        if q.ndim != 1:
            raise ValueError(f"keys must be 1-d, got shape {q.shape}")
        if q.dtype != np.uint64:
            if q.size == 0:
                q = q.astype(np.uint64)
            elif q.dtype.kind not in "iu":
                raise TypeError(f"keys must be integers (uint64), got {q.dtype}")
            elif q.dtype.kind == "i" and q.min() < 0:
                raise ValueError(f"keys must be >= 0; position {int(np.argmin(q))} holds {int(q.min())}")
            else:
                q = q.astype(np.uint64)
        return np.ascontiguousarray(q)

    def _plan(self, metric, split, seed, epoch) -> tuple:
        """``(key column, dense, hash table, values, kernel seed argument, final-epoch fraction, n_seeds)`` of a
        query spec: ``_values`` and the arrays the kernel takes, remembered per spec (they depend on the spec
        and the immutable store only), so a one-cell query pays one dict lookup for them. The types of
        ``seed`` and ``epoch`` are part of the cache key (``True == 1`` but ``seed=True`` is an error)."""
        ck = ("plan", metric, split, seed, type(seed), epoch, type(epoch))
        try:
            plan = self._cache.get(ck)
        except TypeError:  # an unhashable argument: no caching (``_values`` says what is wrong with it)
            plan, ck = None, None
        if plan is None:
            values, seed_arg, frac = self._values(metric, split, seed, epoch)
            if values.shape[1] == 1:  # a seed mean or a static cost: one value per row
                ns = self._cache.get("ones")
                if ns is None:
                    ns = self._cache.setdefault("ones", np.ones(len(self), np.int8))
            else:
                ns = self._n_seeds()
            plan = (self._store.column("key"), self._dense, self._table(), values, seed_arg, frac, ns)
            if ck is not None:
                self._cache[ck] = plan
        return plan

    def _check_seed_counts(self, rows, q, seed_arg) -> None:
        """``ValueError`` naming the first found row that recorded no seed at position ``seed_arg``."""
        ok = rows >= 0
        few = ok & (self._n_seeds()[np.where(ok, rows, 0)] <= seed_arg)
        if few.any():
            j = int(np.flatnonzero(few)[0])
            raise _query_error(ValueError, j, int(q[j]), f"recorded {int(self._n_seeds()[rows[j]])} seeds "
                               f"(positions 0..{int(self._n_seeds()[rows[j]]) - 1}), not seed {seed_arg}",
                               "; pass missing='nan' for NaN")

    def _cost(self, rows, frac, found: bool) -> np.ndarray:
        """Simulated training time per query row (NaN for missing rows), scaled to the queried epoch.
        ``found``: every row is >= 0 (the lookup raised otherwise), so plain gathers do."""
        tt = self._cache.get("train_time")
        if tt is None:
            m = self._store.manifest
            # e.g. NAS-Bench-Graph: no training time recorded -> NaN cost
            # a plain ndarray view of the column: gathers from a np.memmap cost ~1 us more (its wrapping)
            tt = np.asarray(self._f64(m["static"]["train_time"])) if "train_time" in m["static"] else False
            self._cache["train_time"] = tt
        if tt is False:
            return np.full(len(rows), np.nan)
        if isinstance(frac, tuple):
            curve = self._store.column(self._store.manifest["train_time_curve"])
            if found:
                return np.asarray(curve[rows, frac[1]], np.float64)
            return np.where(rows >= 0, np.asarray(curve[np.where(rows >= 0, rows, 0), frac[1]], np.float64), np.nan)
        cost = tt[rows] if found else np.where(rows >= 0, tt[np.where(rows >= 0, rows, 0)], np.nan)
        return cost if frac is None else cost * frac

    def query(self, cells, metric: str = "accuracy", split: str | None = "valid", seed="mean",
              epoch: int | None = None, missing: str = "raise", rng=None, return_cost: bool = False):
        """Look up one value per cell.

        Parameters
        ----------
        cells : a batch of the space's cells (NB201 also takes arch strings).
        metric : ``"accuracy"`` or a static cost (``"train_time"``, ``"latency"``, ``"params"``, ...); see
            :meth:`metrics`. Static costs have one value per cell: ``split`` must be None or the default
            ``"valid"``, ``seed`` ``"mean"`` (or ``"sample"``, which returns the same value) and ``epoch`` None;
            anything else raises ``ValueError``.
        split : the data split of ``metric``; a split the data does not hold raises ``ValueError``.
        seed : ``"mean"`` (over recorded seeds), an int (a seed position), or ``"sample"`` (one recorded seed per
            query drawn with ``rng``: simulated training noise, deterministic under a fixed ``rng``). With an
            int ``rng`` the draw for a cell is a function of ``(rng, key)`` only (:func:`key_draws`): the same
            cell gets the same seed in any batch, position or order, and the same seed as
            ``Oracle(bench, seed="sample", rng=rng)``. With a ``Generator`` (or None) query ``j`` of the batch
            draws from stream ``(base, j)`` (one base drawn from the Generator per call): the draws follow
            batch positions, so a cell may get another seed in another batch.
        epoch : None for the final epoch, else an epoch with recorded curves.
        missing : ``"raise"`` (``KeyError`` for cells outside the benchmark) or ``"nan"``.
        rng : seed-like for ``seed="sample"``.
        return_cost : also return the simulated training time (seconds) of each cell, scaled to ``epoch``
            (NaN for benchmarks that record no training time, such as NAS-Bench-Graph).

        Returns
        -------
        values : float64 ndarray (N,), or ``(values, train_time_seconds)`` with ``return_cost=True``.

        Examples
        --------
        >>> from fastnas.nasbench import load
        >>> bench = load("nb201", dataset="cifar10-valid")
        >>> cells = bench.space.from_index([0, 1])
        >>> v, cost = bench.query(cells, seed="sample", rng=0, return_cost=True)
        >>> v.shape, bool((cost > 0).all())
        ((2,), True)
        """
        if type(cells) is self._code_cells:  # a validated NB201 batch: its codes are the keys (one kernel call)
            return self.query_keys(_backend.get("nb201_to_code")(cells._arrays["ops"]).view(_U64), metric, split,
                                   seed, epoch, missing, rng, return_cost)
        if self._code_cells is None and self._key_kind == "nb201-ops-code":
            self._code_cells = self.space.cells_type
        return self.query_keys(_keys.cells_to_keys(self._key_kind, self._space or self.space, cells), metric,
                               split, seed, epoch, missing, rng, return_cost)

    def curves(self, cells, epochs=None, metric: str = "accuracy", split: str | None = "valid", seed="mean", *,
               missing: str = "raise", return_cost: bool = False):
        """Values of every cell at several recorded epochs: ``(N, E)`` float64 (the fidelity interface shared with
        the NB301 surrogate's ``curves``).

        Parameters
        ----------
        cells : a batch of the space's cells.
        epochs : recorded epochs of ``metric``/``split`` (see ``info()``); default all of them. Others raise
            ``ValueError``, as does a store that holds the final epoch only (the bundled NB201 stores).
        metric, split, seed, missing : as in :meth:`query` (``seed="sample"`` is not offered here).
        return_cost : also return the ``(N, E)`` simulated training seconds up to each epoch.

        Examples
        --------
        >>> from fastnas.nasbench import load
        >>> bench = load("nb201", dataset="cifar10-valid")
        >>> bench.curves(bench.space.from_index([0, 1]), [200]).shape
        (2, 1)
        """
        if isinstance(seed, str) and seed == "sample":
            raise ValueError("curves takes seed='mean' or a seed position, not 'sample'")
        m = self._store.manifest
        if metric in m["static"]:
            raise ValueError(f"{metric!r} of {self.name}/{self.dataset} is a static cost (one value per cell): it "
                             "has no learning curve; use query()")
        if metric not in m["metrics"] or split not in m["metrics"][metric]:
            self._values(metric, split, seed, None)  # raises the precise error
        recorded = list(m["metrics"][metric][split].get("epochs") or [])
        eps = recorded if epochs is None else list(np.atleast_1d(np.asarray(epochs)).tolist())
        keys = self.keys(cells)
        cols, costs = [], []
        for e in eps:
            r = self.query_keys(keys, metric, split, seed=seed, epoch=e, missing=missing, return_cost=return_cost)
            if return_cost:
                cols.append(r[0])
                costs.append(r[1])
            else:
                cols.append(r)
        vals = np.stack(cols, axis=1) if cols else np.zeros((len(keys), 0))
        if return_cost:
            return vals, (np.stack(costs, axis=1) if costs else np.zeros((len(keys), 0)))
        return vals

    # ------------------------------------------------------------------ whole-table views
    def table(self):
        """Everything as a pandas DataFrame, one row per cell (key, per-seed values, means, static costs).

        >>> from fastnas.nasbench import load
        >>> load("nb201", dataset="cifar10-valid").table().shape[0]
        15625
        """
        import pandas as pd

        m = self._store.manifest
        data: dict[str, Any] = {"key": np.asarray(self._store.column("key"))}
        if self._key_kind == "nb201-ops-code":
            data["arch"] = self.space.to_strings(self.cells())
        if self._store.has("index"):
            data["index"] = np.asarray(self._store.column("index"))
        if m.get("n_seeds"):
            data["n_seeds"] = np.asarray(self._store.column(m["n_seeds"]))
        for metric, splits in m["metrics"].items():
            for split, e in splits.items():
                if e.get("mean") or e.get("seeds"):
                    data[f"{metric}_{split}_mean"] = self.query_keys(data["key"], metric, split)
                if e.get("seeds"):
                    s = self._store.column(e["seeds"])
                    for k in range(s.shape[1]):
                        data[f"{metric}_{split}_seed{k}"] = np.asarray(s[:, k], dtype=np.float64)
        for k, col in m["static"].items():
            data[k] = np.asarray(self._store.column(col))
        return pd.DataFrame(data)

    def best(self, metric: str = "accuracy", split: str | None = "valid", *, maximize: bool = True):
        """The best cell by the seed mean of ``metric`` on ``split`` and its value: ``(cells (1 row), value)``.

        >>> from fastnas.nasbench import load
        >>> cell, value = load("nb201", dataset="cifar10-valid").best("accuracy", "valid")
        >>> round(value, 2)
        91.61
        """
        values, _, _ = self._values(metric, split, "mean", None)
        v = values[:, 0]
        r = int(np.nanargmax(v) if maximize else np.nanargmin(v))
        return self.cells([r]), float(v[r])

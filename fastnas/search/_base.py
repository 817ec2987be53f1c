"""``Optimizer``: the ask/tell base every NAS algorithm subclasses.

* ``ask(n)`` proposes up to ``n`` cells, new up to isomorphism (``space.key``) with respect to every
  cell asked before; ``tell(cells, values, costs=None)`` reports their values (larger is better).
* Telling cells that were never asked (or told already), wrong lengths and NaN/inf values raise
  ``ValueError``; cells of another space raise ``TypeError``.
* All randomness comes from one ``numpy.random.Generator`` seeded from ``seed``; space methods get
  integer seeds drawn from it, learned models are retrained from seeds drawn from it. So
  ``state_dict()`` (history, pending cells, generator state, algorithm state) restores a run that
  continues identically; ``save``/``load`` write it as one ``.npz`` (JSON header + arrays, no pickle).
"""
from __future__ import annotations

import json
import os
from typing import Any, ClassVar

import numpy as np

from .._rng import base_seed
from ..spaces._cells import Cells
from ..spaces._protocol import SearchSpace

_FORMAT = "fastnas-optimizer/1"


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _check_param_type(owner: str, name: str, value, default) -> None:
    """A parameter whose default is a number or a bool must be given as one (the CLI's ``-p population=abc``
    arrives as the string 'abc'); other defaults (None, names, objects) are each algorithm's to check."""
    if isinstance(default, (bool, np.bool_)):
        ok, what = isinstance(value, (bool, np.bool_)), "True or False"
    elif isinstance(default, (int, float, np.integer, np.floating)):  # ranges and integrality: the algorithm's
        ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
        what = "a number"
    else:
        return
    if not ok:
        raise ValueError(f"{owner} parameter {name!r} must be {what} (default {default!r}), got {value!r}")


class Optimizer:
    """Base class of the ask/tell optimizers (see the module docstring).

    Subclasses set ``name`` and ``_defaults`` (parameter -> default) and implement ``_propose(n)``;
    they may override ``_observe`` and ``_extra_state``/``_load_extra_state``.
    """

    name: ClassVar[str] = ""
    _defaults: ClassVar[dict[str, Any]] = {}
    #: cells per ask in ``run`` when the caller gives none (None: the whole remaining budget)
    batch_size: ClassVar[int | None] = None

    def __init__(self, space: SearchSpace, seed=None, **params):
        if not isinstance(space, SearchSpace):
            raise TypeError(f"space must be a SearchSpace instance, got {type(space).__name__}")
        unknown = sorted(set(params) - set(self._defaults))
        if unknown:
            valid = (f"valid: {', '.join(sorted(self._defaults))}" if self._defaults
                     else f"{type(self).__name__} takes no parameters")
            raise TypeError(f"{type(self).__name__} got unknown parameters {unknown}; {valid}")
        for k, v in params.items():
            _check_param_type(type(self).__name__, k, v, self._defaults[k])
        self.space = space
        self.seed = int(base_seed(seed))
        self.params = {**self._defaults, **params}
        self._validate_params()
        self._rng = np.random.default_rng(self.seed)
        self._buf: dict[str, np.ndarray] = {}  # told cells' arrays, capacity doubling (no per-tell concat)
        self._cells_cache: Cells | None = None
        self._n = 0  # told cells
        self._seen: set[int] = set()
        self._pending: dict[int, int] = {}  # key -> ask step
        self._n_asks = 0

    def _validate_params(self) -> None:
        """Subclasses check their parameters here (raise ValueError)."""

    def get_params(self) -> dict:
        return dict(self.params)

    def __repr__(self) -> str:
        params = getattr(self, "params", None)
        if params is None:  # construction failed before the parameters were stored
            return f"{type(self).__name__}(<not initialised>)"
        changed = {k: v for k, v in params.items() if self._defaults.get(k) != v}
        args = "".join(f", {k}={v!r}" for k, v in changed.items())
        return f"{type(self).__name__}({self.space!r}, seed={self.seed}{args})"

    # -- helpers for subclasses ------------------------------------------------------------------
    def _key(self, cells: Cells) -> np.ndarray:
        """``space.key`` memoised on the last batch object (batches are immutable), which saves the
        repeated key computations of one ask -> tell round trip."""
        memo = getattr(self, "_key_memo", None)
        if memo is not None and memo[0] is cells:
            return memo[1]
        keys = self.space.key(cells)
        self._key_memo = (cells, keys)
        return keys

    def _draw_seed(self) -> int:
        return int(self._rng.integers(0, 2**63))

    @property
    def cells_(self) -> Cells:
        """Every told cell, in order of telling."""
        if self._cells_cache is None:
            n = self._n
            if not self._buf:
                self._cells_cache = self.space.cells_type.empty(0)
            else:
                self._cells_cache = self.space.cells_type._trusted(
                    **{k: v[:n] for k, v in self._buf.items() if not k.startswith("__")})
        return self._cells_cache

    def _col(self, name: str, dtype) -> np.ndarray:
        buf = self._buf.get(name)
        return buf[: self._n] if buf is not None else np.zeros(0, dtype=dtype)

    @property
    def _y(self) -> np.ndarray:
        return self._col("__y", np.float64)

    @property
    def _costs(self) -> np.ndarray:
        return self._col("__c", np.float64)

    @property
    def _keys(self) -> np.ndarray:
        return self._col("__k", np.uint64)

    def _append(self, cells: Cells, values, costs, keys) -> None:
        """Append told rows to the history buffers (capacity doubling: no per-tell concatenation)."""
        n, m = self._n, len(cells)
        cols = {**cells.arrays(), "__y": values, "__c": costs, "__k": keys.astype(np.uint64, copy=False)}
        for k, a in cols.items():
            buf = self._buf.get(k)
            if buf is None or len(buf) < n + m:
                new = np.empty((max(64, 2 * (n + m)), *a.shape[1:]), dtype=a.dtype)
                if buf is not None:
                    new[:n] = buf[:n]
                self._buf[k] = buf = new
            buf[n:n + m] = a
        self._n = n + m
        self._cells_cache = None

    @property
    def values_(self) -> np.ndarray:
        return self._y

    @property
    def n_told(self) -> int:
        return self._n

    def _fresh(self, cells: Cells, limit: int | None = None) -> Cells:
        """Rows of ``cells`` that are valid, new up to isomorphism with respect to all asked cells and
        to earlier rows of the batch (first ``limit`` of them)."""
        if not len(cells):
            return cells
        keys = self._key(cells)
        if len(keys) <= 8:  # small batches (sequential algorithms): plain set lookups are cheaper
            out, ks = [], set()
            for i, k in enumerate(keys.tolist()):
                if k not in self._seen and k not in ks:
                    ks.add(k)
                    out.append(i)
            out = out[:limit] if limit is not None else out
            if len(out) == len(keys):
                return cells
            sub = cells[np.array(out, dtype=np.intp)]
            self._key_memo = (sub, keys[out])
            return sub
        _, first = np.unique(keys, return_index=True)
        mask = np.zeros(len(keys), dtype=bool)
        mask[first] = True
        if self._seen:
            mask &= ~np.isin(keys, np.fromiter(self._seen, dtype=np.uint64, count=len(self._seen)))
        idx = np.flatnonzero(mask)
        if limit is not None:
            idx = idx[:limit]
        return cells[idx]

    def _random_fresh(self, n: int, max_rounds: int = 50) -> Cells:
        """Up to ``n`` new random cells; fewer only when the space has fewer new classes left.

        Rejection sampling first; on a finite space, when a round finds less than a quarter of what it
        needs (the space is nearly exhausted), the rest is drawn uniformly from the enumerated classes
        not asked yet, so every class that is left stays reachable.
        """
        got: list[Cells] = []
        have = 0
        keys: set[int] = set()
        finite = bool(getattr(self.space, "finite", False))
        for _ in range(max_rounds):
            if have >= n:
                break
            need = n - have
            batch = self._fresh(self.space.sample(2 * need + 4, seed=self._draw_seed()))
            if keys:
                k = self.space.key(batch)
                batch = batch[~np.isin(k, np.fromiter(keys, dtype=np.uint64, count=len(keys)))]
            batch = batch[:need]
            keys.update(self.space.key(batch).tolist())
            got.append(batch)
            have += len(batch)
            if finite and have < n and 4 * len(batch) < need:
                break  # stalled: enumerate the rest
        if have < n and finite:
            rest = self._unasked_classes(keys)
            if len(rest):
                pick = np.sort(self._rng.permutation(len(rest))[: n - have])
                got.append(rest[pick])
        return self.space.concat(got) if got else self.space.cells_type.empty(0)

    def _unasked_classes(self, extra: set | None = None) -> Cells:
        """One representative per isomorphism class of a finite space not asked yet (nor in ``extra``),
        in enumeration order (the enumeration is computed once per optimizer)."""
        enum = getattr(self, "_enum_cache", None)
        if enum is None:
            cells = self.space.enumerate()
            if not getattr(self.space, "includes_invalid", False):
                cells = cells[self.space.is_valid(cells)]
            cells, _ = self.space.unique(cells)
            enum = self._enum_cache = (cells, np.asarray(self.space.key(cells), dtype=np.uint64))
        cells, ekeys = enum
        taken = self._seen if not extra else self._seen | extra
        if not taken:
            return cells
        mask = ~np.isin(ekeys, np.fromiter(taken, dtype=np.uint64, count=len(taken)))
        return cells[np.flatnonzero(mask)]

    def n_classes_left(self) -> int | None:
        """Isomorphism classes of a finite space not asked yet (None for a space that is not finite)."""
        if not getattr(self.space, "finite", False):
            return None
        return len(self._unasked_classes())

    # -- ask / tell ---------------------------------------------------------------------------------
    def ask(self, n: int = 1) -> Cells:
        """Propose up to ``n`` new cells (fewer only if the space has no more new cells)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"ask(n) needs a positive int, got {n!r}")
        cells = self._fresh(self._propose(int(n)), limit=int(n))  # the dedup guarantee, whatever _propose did
        klist = self._key(cells).tolist()
        self._n_asks += 1
        self._seen.update(klist)
        self._pending.update(dict.fromkeys(klist, self._n_asks))
        return cells

    def tell(self, cells: Cells, values, costs=None) -> None:
        """Report the values (larger is better) of asked cells; ``costs`` are optional simulated times."""
        if not isinstance(cells, self.space.cells_type):
            raise TypeError(f"tell expects {self.space.cells_type.__name__}, got {type(cells).__name__}")
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        if len(values) != len(cells):
            raise ValueError(f"tell got {len(cells)} cells but {len(values)} values")
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise ValueError(f"value of row {int(bad[0])} is {values[bad[0]]}: values must be finite")
        if costs is None:
            costs = np.full(len(values), np.nan)
        else:
            costs = np.asarray(costs, dtype=np.float64).reshape(-1)
            if len(costs) != len(cells):
                raise ValueError(f"tell got {len(cells)} cells but {len(costs)} costs")
        keys = self._key(cells)
        klist = keys.tolist()
        if len(set(klist)) != len(klist):
            raise ValueError("tell got the same cell (up to isomorphism) twice in one batch")
        unknown = set(klist).difference(self._pending)
        if unknown:
            i = next(i for i, k in enumerate(klist) if k in unknown)  # error path only
            what = "was already told" if klist[i] in self._seen else "was never asked"
            raise ValueError(f"row {i} of tell ({self.space.to_strings(cells[i])[0]}) {what}")
        list(map(self._pending.pop, klist))
        start = self._n
        self._append(cells, values, costs, keys)
        self._observe(np.arange(start, self._n))

    def best(self) -> tuple[Cells, float]:
        """(cell, value) of the best told cell (the first one among ties)."""
        if not len(self._y):
            raise RuntimeError("best() needs at least one told cell")
        i = int(np.argmax(self._y))
        return self.cells_[i], float(self._y[i])

    @property
    def pending(self) -> int:
        """Number of asked cells not told yet."""
        return len(self._pending)

    # -- to implement --------------------------------------------------------------------------------
    def _propose(self, n: int) -> Cells:  # pragma: no cover - abstract
        raise NotImplementedError

    def _observe(self, new: np.ndarray) -> None:
        """Called after ``tell`` with the history indices of the new rows."""

    def _extra_state(self) -> dict:
        return {}

    def _load_extra_state(self, state: dict) -> None:
        pass

    # -- state -------------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything needed to continue identically: JSON-able values and numpy arrays."""
        cells = self.cells_
        return {
            "format": _FORMAT,
            "algorithm": self.name,
            "space": self.space.name,
            "seed": self.seed,
            "params": _jsonable(self.params),
            "rng": _jsonable(self._rng.bit_generator.state),
            "n_asks": self._n_asks,
            "cells": {k: v.copy() for k, v in cells.arrays().items()},
            "values": self._y.copy(),
            "costs": self._costs.copy(),
            "seen": np.fromiter(self._seen, dtype=np.uint64, count=len(self._seen)),
            "pending_keys": np.array(list(self._pending), dtype=np.uint64),
            "pending_step": np.array(list(self._pending.values()), dtype=np.int64),
            "extra": self._extra_state(),
        }

    def load_state_dict(self, state: dict) -> "Optimizer":
        if state.get("format") != _FORMAT:
            raise ValueError(f"not an optimizer state ({state.get('format')!r})")
        if state["algorithm"] != self.name:
            raise ValueError(f"state of {state['algorithm']!r} cannot be loaded into {self.name!r}")
        self.seed = int(state["seed"])
        self.params = {**self._defaults, **state["params"]}
        for k, v in self._defaults.items():  # JSON turns tuples into lists
            if isinstance(v, tuple) and isinstance(self.params[k], list):
                self.params[k] = tuple(self.params[k])
        self._validate_params()
        rng = np.random.default_rng()
        st = dict(state["rng"])
        rng.bit_generator.state = st
        self._rng = rng
        self._n_asks = int(state["n_asks"])
        arrays = {k: np.asarray(v) for k, v in state["cells"].items()}
        cells = self.space.cells_type._trusted(**arrays) if arrays else self.space.cells_type.empty(0)
        self._buf, self._n = {}, 0
        if len(cells):
            self._append(cells, np.asarray(state["values"], dtype=np.float64),
                         np.asarray(state["costs"], dtype=np.float64), self.space.key(cells))
        self._cells_cache = None
        self._seen = set(np.asarray(state["seen"], dtype=np.uint64).tolist())
        self._pending = dict(zip(np.asarray(state["pending_keys"], dtype=np.uint64).tolist(),
                                 np.asarray(state["pending_step"], dtype=np.int64).tolist()))
        self._load_extra_state(state["extra"])
        return self

    def save(self, path) -> None:
        """Write ``state_dict()`` to one ``.npz`` file (a JSON header + numeric arrays; no pickle).

        >>> import tempfile, os
        >>> from fastnas.search import make
        >>> from fastnas.sim.synthetic import ToySpace
        >>> opt = make("random", ToySpace(), seed=0)
        >>> _ = opt.ask(3)
        >>> p = os.path.join(tempfile.mkdtemp(), "opt.npz")
        >>> opt.save(p)
        >>> load(p, ToySpace()).pending
        3
        """
        arrays: dict[str, np.ndarray] = {}

        def enc(v, key):
            if isinstance(v, np.ndarray):
                if v.dtype.hasobject:
                    raise TypeError(f"cannot save {key}: object array")
                arrays[key] = v
                return {"__array__": key}
            if isinstance(v, dict):
                return {"__dict__": {str(k): enc(x, f"{key}.{k}") for k, x in v.items()}}
            if isinstance(v, (list, tuple)):
                return [enc(x, f"{key}.{i}") for i, x in enumerate(v)]
            if isinstance(v, np.generic):
                return v.item()
            if isinstance(v, float) and not np.isfinite(v):
                return {"__float__": repr(v)}
            return v

        header = json.dumps(enc(self.state_dict(), "s"))
        arrays["__header__"] = np.frombuffer(header.encode(), dtype=np.uint8)
        tmp = f"{os.fspath(path)}.tmp"
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)


def read_state(path) -> dict:
    """Read a state written by ``Optimizer.save`` (arrays loaded with ``allow_pickle=False``)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except ValueError:  # numpy's message advises loading with allow_pickle=True: never pass that on
        raise ValueError(f"{path}: not an optimizer state written by Optimizer.save (fastnas reads only .npz "
                         "files of plain numeric arrays, never pickles)") from None
    if "__header__" not in arrays:
        raise ValueError(f"{path}: not an optimizer state written by Optimizer.save (no header)")
    header = json.loads(arrays.pop("__header__").tobytes().decode())

    def dec(v):
        if isinstance(v, list):
            return [dec(x) for x in v]
        if isinstance(v, dict):
            if "__array__" in v:
                return arrays[v["__array__"]]
            if "__float__" in v:
                return float(v["__float__"])
            if "__dict__" in v:
                return {k: dec(x) for k, x in v["__dict__"].items()}
        return v

    return dec(header)


def load(path, space: SearchSpace) -> Optimizer:
    """An optimizer restored from a file written by ``Optimizer.save`` (the space is given, not stored).

    See ``Optimizer.save`` for an example.
    """
    from ._registry import make

    state = read_state(path)
    if state.get("space") != space.name:
        raise ValueError(f"{path} holds a run on space {state.get('space')!r}, not {space.name!r}")
    opt = make(state["algorithm"], space, seed=int(state["seed"]))
    return opt.load_state_dict(state)

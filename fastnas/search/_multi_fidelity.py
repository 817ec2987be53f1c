"""``MultiFidelityOptimizer``: ask/tell with a training epoch per proposed cell.

A multi-fidelity optimizer proposes cells *and* the epoch to train each to (``epochs_of(cells)`` after
``ask``); it may propose a cell it was told before again at a *higher* epoch (continuing its training,
which the ``Oracle`` charges only for the extra epochs). Everything else is the ``Optimizer`` contract:
a cell never told is new up to isomorphism, ``tell`` validates its input, all randomness flows from
``seed``, and ``state_dict`` restores a run that continues identically.

The history holds one row per evaluation (a cell told at epoch e), ``epochs_`` gives each row's epoch;
``best()`` is the best value told at any epoch, the convention of NAS-Bench-x11's optimizers (whose
``get_final_architecture`` takes the best queried accuracy whatever its epoch); ``best_full()`` is the best
cell trained to ``max_epoch`` (None if none was), ``best_epoch()`` the epoch of ``best()``'s row.

``max_epoch`` (the benchmark's final epoch) is a parameter; ``fastnas.search.run`` fills it from the
oracle when it is left at None.
"""
from __future__ import annotations

import numpy as np

from ._base import Optimizer


class MultiFidelityOptimizer(Optimizer):
    """Base of the multi-fidelity optimizers: subclasses implement ``_propose_mf(n) -> (cells, epochs)``."""

    multi_fidelity = True
    #: whether ``tell`` needs the observed learning curves (``curves=``)
    needs_curves = False
    batch_size = None
    _mf_common = {"max_epoch": None}

    def __init__(self, space, seed=None, **params):
        super().__init__(space, seed=seed, **params)
        self._pending_epoch: dict[int, int] = {}
        self._told_epoch: dict[int, int] = {}
        self._hist_epochs = np.zeros(0, dtype=np.int64)
        self._next_epochs: np.ndarray | None = None
        self._next_curves = None
        self._curves: dict[int, np.ndarray] = {}

    def _validate_params(self) -> None:
        E = self.params.get("max_epoch")
        if E is not None and (isinstance(E, bool) or not isinstance(E, (int, np.integer)) or E < 1):
            raise ValueError(f"max_epoch must be a positive int or None, got {E!r}")

    @property
    def max_epoch(self) -> int:
        E = self.params.get("max_epoch")
        if E is None:
            raise ValueError(f"{self.name} needs max_epoch= (the benchmark's final epoch, e.g. 98 for NB301); "
                             "fastnas.search.run sets it from the oracle")
        return int(E)

    def set_max_epoch(self, E: int) -> None:
        """Fill ``max_epoch`` (from the oracle) if it was left at None; a different value is an error."""
        cur = self.params.get("max_epoch")
        if cur is None:
            self.params["max_epoch"] = int(E)
            self._validate_params()
        elif int(cur) > int(E):
            raise ValueError(f"{self.name} has max_epoch={cur} but the benchmark ends at epoch {E}")

    @property
    def epochs_(self) -> np.ndarray:
        """The epoch of every told row (aligned with ``cells_`` and ``values_``)."""
        return self._hist_epochs.copy()

    # -- ask / tell ---------------------------------------------------------------------------
    def ask(self, n: int = 1):
        """Propose up to ``n`` cells; ``epochs_of(cells)`` gives the epoch to train each one to."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"ask(n) needs a positive int, got {n!r}")
        cells, epochs = self._propose_mf(int(n))
        epochs = np.asarray(epochs, dtype=np.int64).reshape(-1)
        if len(epochs) != len(cells):
            raise RuntimeError(f"{self.name}: {len(cells)} cells but {len(epochs)} epochs proposed")
        keys = self._key(cells).tolist()
        keep, batch = [], set()
        for i, (k, e) in enumerate(zip(keys, epochs.tolist())):
            if len(keep) == n or k in batch or k in self._pending:
                continue
            if k in self._seen and not (k in self._told_epoch and e > self._told_epoch[k]):
                continue  # a cell asked before may come back only to train it further
            if not 1 <= e <= self.max_epoch:
                raise RuntimeError(f"{self.name} proposed epoch {e} outside 1..{self.max_epoch}")
            keep.append(i)
            batch.add(k)
        if len(keep) != len(keys):
            idx = np.array(keep, dtype=np.intp)
            cells, epochs, keys = cells[idx], epochs[idx], [keys[i] for i in keep]
        self._n_asks += 1
        self._seen.update(keys)
        self._pending.update(dict.fromkeys(keys, self._n_asks))
        self._pending_epoch.update(zip(keys, epochs.tolist()))
        return cells

    def best_full(self):
        """(cell, value) of the best cell told at the final epoch (``max_epoch``: fully trained), or None
        when no cell was trained that far. ``best()`` takes every row at its own epoch (x11's convention), so
        it may be a low-fidelity value; this is the number to report as "the accuracy of the best network".

        >>> from fastnas.search import make
        >>> from fastnas.sim.synthetic import ToySpace
        >>> opt = make("successive_halving", ToySpace(), seed=0, max_epoch=9, min_epoch=1)
        >>> opt.best_full() is None
        True
        """
        if not len(self._y):
            return None
        full = np.flatnonzero(self._hist_epochs == self.max_epoch)
        if not full.size:
            return None
        i = int(full[np.argmax(self._y[full])])
        return self.cells_[i], float(self._y[i])

    def best_epoch(self) -> int:
        """The epoch of the row ``best()`` returns (``RuntimeError`` before any tell)."""
        if not len(self._y):
            raise RuntimeError("best_epoch() needs at least one told cell")
        return int(self._hist_epochs[int(np.argmax(self._y))])

    def epochs_of(self, cells) -> np.ndarray:
        """The epoch each asked (pending) cell is to be trained to; ``ValueError`` for a cell not pending."""
        keys = self._key(cells).tolist()
        out = np.empty(len(keys), dtype=np.int64)
        for i, k in enumerate(keys):
            if k not in self._pending_epoch:
                raise ValueError(f"row {i} of epochs_of is not an asked cell waiting for its value")
            out[i] = self._pending_epoch[k]
        return out

    def tell(self, cells, values, costs=None, curves=None) -> None:
        """Report the values at the asked epochs; ``curves`` (a list of 1-d arrays, epochs 1..e of each
        row) is required by optimizers with ``needs_curves``."""
        if not isinstance(cells, self.space.cells_type):
            raise TypeError(f"tell expects {self.space.cells_type.__name__}, got {type(cells).__name__}")
        v = np.asarray(values, dtype=np.float64).reshape(-1)
        if len(v) != len(cells) or not np.isfinite(v).all():
            return super().tell(cells, values, costs)  # raises the base class's ValueError
        keys = self._key(cells).tolist()
        self._next_epochs = np.array([self._pending_epoch.get(k, -1) for k in keys], dtype=np.int64)
        if self.needs_curves and self._next_epochs.min(initial=0) >= 0 and all(k in self._pending for k in keys):
            if curves is None or len(curves) != len(keys):
                raise ValueError(f"{self.name}.tell needs curves= (one observed curve per row)")
            cv = []
            for i, (c, e) in enumerate(zip(curves, self._next_epochs.tolist())):
                c = np.asarray(c, dtype=np.float64).reshape(-1)
                if e > 0 and len(c) != e:
                    raise ValueError(f"row {i}: curve has {len(c)} epochs, the cell was asked at epoch {e}")
                if not np.isfinite(c).all():
                    raise ValueError(f"row {i}: curve contains NaN or inf")
                cv.append(c)
            self._next_curves = cv
        try:
            super().tell(cells, values, costs)
        finally:
            self._next_epochs = self._next_curves = None

    def _append(self, cells, values, costs, keys) -> None:
        ep = self._next_epochs
        if ep is None or len(ep) != len(cells):
            raise RuntimeError("internal: epochs of told rows unknown")
        super()._append(cells, values, costs, keys)
        self._hist_epochs = np.concatenate([self._hist_epochs, ep])
        for j, (k, e) in enumerate(zip(keys.tolist(), ep.tolist())):
            self._told_epoch[k] = max(e, self._told_epoch.get(k, 0))
            self._pending_epoch.pop(k, None)
            if self._next_curves is not None:
                self._curves[k] = self._next_curves[j]

    def _propose(self, n: int):  # pragma: no cover - multi-fidelity optimizers use _propose_mf
        raise NotImplementedError

    def _propose_mf(self, n: int):  # pragma: no cover - abstract
        raise NotImplementedError

    # -- state ------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        state = super().state_dict()
        keys = list(self._curves)
        state["extra"] = {
            "mf": {
                "epochs": self._hist_epochs.copy(),
                "pending_keys": np.array(list(self._pending_epoch), dtype=np.uint64),
                "pending_epochs": np.array(list(self._pending_epoch.values()), dtype=np.int64),
                "curve_keys": np.array(keys, dtype=np.uint64),
                "curves": [self._curves[k].copy() for k in keys],
            },
            "algo": self._extra_state(),
        }
        return state

    def load_state_dict(self, state: dict):
        mf = state["extra"]["mf"]
        self._next_epochs = np.asarray(mf["epochs"], dtype=np.int64)
        self._hist_epochs = np.zeros(0, dtype=np.int64)
        self._told_epoch, self._curves = {}, {}
        inner = dict(state)
        inner["extra"] = state["extra"]["algo"]
        try:
            super().load_state_dict(inner)
        finally:
            self._next_epochs = None
        self._pending_epoch = dict(zip(np.asarray(mf["pending_keys"], dtype=np.uint64).tolist(),
                                       np.asarray(mf["pending_epochs"], dtype=np.int64).tolist()))
        self._curves = {int(k): np.asarray(c, dtype=np.float64)
                        for k, c in zip(np.asarray(mf["curve_keys"], dtype=np.uint64).tolist(), mf["curves"])}
        return self

"""Successive halving and Hyperband over training epochs (Li, Jamieson, DeSalvo, Rostamizadeh & Talwalkar
2018, "Hyperband: a novel bandit-based approach to hyperparameter optimization", JMLR 18, Algorithm 1;
successive halving: Jamieson & Talwalkar 2016).

Budgets are training epochs. With ``R = max_epoch / min_epoch`` and ``s_max = floor(log_eta R)``, bracket
``s`` (``s_max .. 0``) starts ``n = ceil((s_max + 1) / (s + 1) * eta^s)`` new cells and runs ``s + 1``
rungs: rung ``i`` trains ``n_i = floor(n / eta^i)`` cells to ``floor(max_epoch * eta^(i - s))`` epochs
(the last rung to ``max_epoch``) and promotes the best ``floor(n_i / eta)`` to the next rung, which
*continues* their training (the ``Oracle`` charges only the extra epochs). The rung sizes and epochs are
those of Hyperband's official description and of NAS-Bench-x11's ``HB`` (naszilla/nas-bench-x11,
``naslib/optimizers/discrete/hb``; e.g. ``max_epoch=98, min_epoch=4, eta=3``: brackets of 9/3/1 cells at
10/32/98 epochs, 5/1 at 32/98 and 3 at 98).

``successive_halving`` runs the most exploratory bracket (``s = s_max``) over and over; ``hyperband``
cycles through the brackets ``s_max, ..., 0`` and starts again. New cells are random (deduplicated up to
isomorphism); ``bohb`` overrides that with its model. Ties in a rung are broken by asking order.
"""
from __future__ import annotations

import math

import numpy as np

from ._multi_fidelity import MultiFidelityOptimizer

_EPS = 1e-6


def bracket_schedule(max_epoch: int, min_epoch: int, eta: float, s: int, s_max: int, n0: int | None = None):
    """(rung sizes, rung epochs) of bracket ``s`` (Hyperband, Algorithm 1).

    >>> bracket_schedule(98, 4, 3, 2, 2)
    ([9, 3, 1], [10, 32, 98])
    >>> bracket_schedule(98, 4, 3, 0, 2)
    ([3], [98])
    """
    n = n0 if n0 is not None else math.ceil((s_max + 1) / (s + 1) * eta ** s - _EPS)
    r = max_epoch / eta ** s
    sizes = [max(1, math.floor(n / eta ** i + _EPS)) for i in range(s + 1)]
    epochs = [max(1, min(max_epoch, math.floor(r * eta ** i + _EPS))) for i in range(s + 1)]
    epochs[-1] = max_epoch
    return sizes, epochs


class Hyperband(MultiFidelityOptimizer):
    """Hyperband over training epochs; see the module docstring.

    Parameters
    ----------
    max_epoch : the benchmark's final epoch (None: set by ``run`` from the oracle)
    min_epoch : the smallest budget (sets ``s_max``); default 4 (NAS-Bench-x11's value for NB101 / DARTS)
    eta : the halving rate (default 3)

    Examples
    --------
    >>> from fastnas.search import make
    >>> from fastnas.sim.synthetic import ToySpace
    >>> opt = make("hyperband", ToySpace(), seed=0, max_epoch=27, min_epoch=1)
    >>> cells = opt.ask(100)
    >>> len(cells), opt.epochs_of(cells)[:3].tolist()
    (27, [1, 1, 1])
    """

    name = "hyperband"
    _defaults = {**MultiFidelityOptimizer._mf_common, "min_epoch": 4, "eta": 3}

    def __init__(self, space, seed=None, **params):
        super().__init__(space, seed=seed, **params)
        self._bracket_no = -1  # brackets started so far - 1
        self._s = -1
        self._rung = 0
        self._target = 0  # cells of the current rung
        self._members = None  # Cells of rung > 0 (the promoted ones), None for rung 0 (sampled lazily)
        self._rung_keys: list[int] = []  # asked at this rung, in order
        self._rung_vals: dict[int, float] = {}  # told at this rung

    def _validate_params(self) -> None:
        super()._validate_params()
        p = self.params
        if isinstance(p["eta"], bool) or not float(p["eta"]) > 1:
            raise ValueError(f"eta must be > 1, got {p['eta']!r}")
        if isinstance(p["min_epoch"], bool) or not isinstance(p["min_epoch"], (int, np.integer)) or p["min_epoch"] < 1:
            raise ValueError(f"min_epoch must be a positive int, got {p['min_epoch']!r}")
        if p["max_epoch"] is not None and p["min_epoch"] > p["max_epoch"]:
            raise ValueError(f"min_epoch={p['min_epoch']} is above max_epoch={p['max_epoch']}")

    @property
    def s_max(self) -> int:
        return int(math.floor(math.log(self.max_epoch / int(self.params["min_epoch"]), float(self.params["eta"]))
                              + _EPS))

    def _bracket_s(self, number: int) -> int:
        """Which bracket the ``number``-th one is (Hyperband: s_max, s_max - 1, ..., 0, s_max, ...)."""
        return self.s_max - number % (self.s_max + 1)

    def _schedule(self):
        return bracket_schedule(self.max_epoch, int(self.params["min_epoch"]), float(self.params["eta"]), self._s,
                                self.s_max)

    def _start_bracket(self) -> None:
        self._bracket_no += 1
        self._s = self._bracket_s(self._bracket_no)
        self._rung = 0
        self._target = self._schedule()[0][0]
        self._members = None
        self._rung_keys, self._rung_vals = [], {}

    def _new_cells(self, m: int):
        """``m`` new cells for rung 0 (random; BOHB overrides)."""
        return self._random_fresh(m)

    def _propose_mf(self, n: int):
        empty = self.space.cells_type.empty(0), np.zeros(0, dtype=np.int64)
        for _ in range(4 * (self.s_max + 2)):  # a few advances at most per ask
            if self._s < 0:
                self._start_bracket()
            sizes, epochs = self._schedule()
            e = epochs[self._rung]
            left = self._target - len(self._rung_keys)
            if left > 0:
                if self._members is None:
                    cells = self._new_cells(min(n, left))
                    if len(cells) < min(n, left):  # the space ran out of new cells
                        self._target = len(self._rung_keys) + len(cells)
                else:
                    cells = self._members[len(self._rung_keys):len(self._rung_keys) + n]
                self._rung_keys.extend(self._key(cells).tolist())
                if len(cells):
                    return cells, np.full(len(cells), e, dtype=np.int64)
            if len(self._rung_vals) < len(self._rung_keys):
                return empty  # waiting for the values of this rung
            if not self._rung_keys:
                return empty  # nothing left to start a bracket with
            self._advance()
        return empty

    def _advance(self) -> None:
        """The rung is complete: promote its best to the next rung, or start the next bracket."""
        k = int(math.floor(len(self._rung_keys) / float(self.params["eta"]) + _EPS))
        if self._rung >= self._s or k < 1:
            self._start_bracket()
            return
        vals = np.array([self._rung_vals[key] for key in self._rung_keys])
        top = np.argsort(-vals, kind="stable")[:k]
        rows = self._rows_of([self._rung_keys[i] for i in top])
        self._members = self.cells_[rows]
        self._rung += 1
        self._target = len(rows)
        self._rung_keys, self._rung_vals = [], {}

    def _rows_of(self, keys: list[int]) -> np.ndarray:
        """History rows of the latest evaluation of each key."""
        hk = self._keys.tolist()
        last = {k: i for i, k in enumerate(hk)}
        return np.array([last[k] for k in keys], dtype=np.intp)

    def _observe(self, new: np.ndarray) -> None:
        keys = self._keys[new].tolist()
        ys = self._y[new].tolist()
        mine = set(self._rung_keys)
        for k, y in zip(keys, ys):
            if k in mine:
                self._rung_vals[k] = y

    def _extra_state(self) -> dict:
        m = self._members
        return {
            "bracket_no": self._bracket_no, "s": self._s, "rung": self._rung, "target": self._target,
            "members": None if m is None else {k: v.copy() for k, v in m.arrays().items()},
            "rung_keys": np.array(self._rung_keys, dtype=np.uint64),
            "rung_val_keys": np.array(list(self._rung_vals), dtype=np.uint64),
            "rung_vals": np.array(list(self._rung_vals.values()), dtype=np.float64),
        }

    def _load_extra_state(self, state: dict) -> None:
        self._bracket_no = int(state["bracket_no"])
        self._s = int(state["s"])
        self._rung = int(state["rung"])
        self._target = int(state["target"])
        m = state["members"]
        self._members = None if m is None else self.space.cells_type._trusted(
            **{k: np.asarray(v) for k, v in m.items()})
        self._rung_keys = np.asarray(state["rung_keys"], dtype=np.uint64).tolist()
        self._rung_vals = dict(zip(np.asarray(state["rung_val_keys"], dtype=np.uint64).tolist(),
                                   np.asarray(state["rung_vals"], dtype=np.float64).tolist()))


class SuccessiveHalving(Hyperband):
    """Successive halving: Hyperband's most exploratory bracket (``s = s_max``), repeated.

    ``n`` overrides the number of cells a bracket starts (default ``eta ** s_max``).

    >>> from fastnas.search import make
    >>> from fastnas.sim.synthetic import ToySpace
    >>> opt = make("successive_halving", ToySpace(), seed=0, max_epoch=9, min_epoch=1)
    >>> len(opt.ask(100))
    9
    """

    name = "successive_halving"
    _defaults = {**Hyperband._defaults, "n": None}

    def _validate_params(self) -> None:
        super()._validate_params()
        n = self.params["n"]
        if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1):
            raise ValueError(f"n must be a positive int or None, got {n!r}")

    def _bracket_s(self, number: int) -> int:
        return self.s_max

    def _schedule(self):
        n = self.params["n"]
        return bracket_schedule(self.max_epoch, int(self.params["min_epoch"]), float(self.params["eta"]), self._s,
                                self.s_max, None if n is None else int(n))

"""Local search (White et al. 2021, "Local search is state of the art for NAS benchmarks").

Start at the best of ``n_init`` random cells; evaluate the neighbours of the current centre (every valid
single edit, ``space.neighbors``) in random order. ``mode="first"``: move to the first neighbour that
improves on the centre; ``mode="full"``: evaluate the whole neighbourhood, then move to its best cell if
it improves. At a local optimum, restart: query ``n_restart`` new random cells and make the best the
centre. Cells already asked are skipped (deduplication up to isomorphism).

References: naszilla's ``local_search`` moves by first improvement (``query_full_nbhd=False``, its
default) and restarts from the best of ``num_init`` = 10 new random cells: ``mode="first",
n_restart=10``. NASLib's ``LocalSearch`` (``optimizers/discrete/ls``) evaluates the whole neighbourhood
before moving and restarts from one random cell: ``mode="full", n_restart=1``. The defaults here
(``mode="first", n_restart=1``) mix the two: naszilla's moves, NASLib's one-cell restart.
"""
from __future__ import annotations

import numpy as np

from ._base import Optimizer


class LocalSearch(Optimizer):
    """Local search with first-improvement or full-neighbourhood moves and random restarts.

    >>> from fastnas.search import make
    >>> from fastnas.sim.synthetic import ToySpace
    >>> opt = make("local_search", ToySpace(), seed=0, n_init=5)
    >>> len(opt.ask(5))
    5
    """

    name = "local_search"
    batch_size = 1
    _defaults = {"n_init": 10, "mode": "first", "n_restart": 1}

    def __init__(self, space, seed=None, **params):
        super().__init__(space, seed=seed, **params)
        self._center = -1  # history index of the centre (-1: none yet)
        self._queue = None  # neighbours of the centre not asked yet (Cells)
        self._restart_at = -1  # history length at which a restart cell was asked (centre = it once told)
        self._phase_start = 0  # history index where the current centre's neighbourhood starts
        self._restarts = 0

    def _validate_params(self) -> None:
        if self.params["mode"] not in ("first", "full"):
            raise ValueError(f"mode must be 'first' or 'full', got {self.params['mode']!r}")
        if int(self.params["n_init"]) < 1:
            raise ValueError("n_init must be >= 1")
        if int(self.params["n_restart"]) < 1:
            raise ValueError("n_restart must be >= 1")

    def _set_center(self, idx: int) -> None:
        self._center = int(idx)
        nb = self.space.neighbors(self.cells_[idx])
        order = self._rng.permutation(len(nb))
        self._queue = self._fresh(nb[order])
        self._phase_start = self.n_told

    def _observe(self, new: np.ndarray) -> None:
        n_init = int(self.params["n_init"])
        if self._center < 0:
            if self.n_told >= n_init and self.pending == 0:
                self._set_center(int(np.argmax(self._y)))
            return
        if self._restart_at >= 0:
            if self.n_told >= self._restart_at + int(self.params["n_restart"]) and self.pending == 0:
                block = np.arange(self._restart_at, self.n_told)
                self._restart_at = -1
                self._set_center(int(block[np.argmax(self._y[block])]))
            return
        if self.params["mode"] == "first":
            better = new[self._y[new] > self._y[self._center]]
            if better.size:
                self._set_center(int(better[0]))

    def _advance(self) -> None:
        """Called when the queue is empty and nothing is pending: move (full mode) or restart."""
        if self.params["mode"] == "full":
            block = np.arange(self._phase_start, self.n_told)
            if block.size:
                j = int(block[np.argmax(self._y[block])])
                if self._y[j] > self._y[self._center]:
                    self._set_center(j)
                    return
        self._restarts += 1
        self._restart_at = self.n_told
        self._queue = None

    def _propose(self, n: int):
        if self._center < 0:  # initial random cells
            k = max(0, int(self.params["n_init"]) - self.n_told - self.pending)
            return self._random_fresh(k) if k else self.space.cells_type.empty(0)
        if self._restart_at >= 0:
            k = int(self.params["n_restart"]) - (self.n_told - self._restart_at) - self.pending
            return self._random_fresh(min(max(n, 1), k)) if k > 0 else self.space.cells_type.empty(0)
        self._queue = self._fresh(self._queue)
        if not len(self._queue):
            if self.pending:
                return self._queue  # wait for outstanding results before moving on
            self._advance()
            return self._propose(n)
        out, self._queue = self._queue[:n], self._queue[n:]
        return out

    def _extra_state(self) -> dict:
        q = self._queue
        return {
            "center": self._center,
            "restart_at": self._restart_at,
            "phase_start": self._phase_start,
            "restarts": self._restarts,
            "queue": None if q is None else {k: v.copy() for k, v in q.arrays().items()},
        }

    def _load_extra_state(self, state: dict) -> None:
        self._center = int(state["center"])
        self._restart_at = int(state["restart_at"])
        self._phase_start = int(state["phase_start"])
        self._restarts = int(state["restarts"])
        q = state["queue"]
        self._queue = None if q is None else self.space.cells_type._trusted(**{k: np.asarray(v) for k, v in q.items()})

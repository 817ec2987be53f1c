"""Single-fidelity searches with learning-curve extrapolation (Yan, White, Savani & Hutter 2021,
"NAS-Bench-x11 and the power of learning curves", NeurIPS; official code automl/nas-bench-x11,
``naslib/optimizers/discrete/rea_lce/optimizer.py`` and ``bananas_lce/optimizer.py``).

The wrapped algorithm (regularized evolution or BANANAS) proposes cells as usual. Its first
``n_full_init`` cells (evolution: its population; BANANAS: ``n_init``) are trained fully. After that each
proposed cell is trained to ``fidelity`` epochs only; x11's extrapolator, NASLib's parametric ensemble
(``fastnas.predictors.lce_x11.LCEParametricEnsemble``: 11 curve families fitted by maximum likelihood with
L-BFGS-B, equal weights, ``mcmc(N=10)``), extrapolates the observed validation curve (epochs 1..``fidelity``)
to ``x = extrapolation``, and the cell is trained to the end (its training *continued*, so only the extra epochs
are charged) only if the prediction beats the smallest of the top ``top_n_percent`` of the fully trained cells'
accuracies (x11's ``min(sorted(info)[-int(len(info) * top_n_percent):])``). The wrapped algorithm is told fully
trained cells only (x11: only those join the population / the predictor's training set); cells stopped early
stay in the history with their partial value. Cells are decided one at a time in the order the wrapped
search proposed them (BANANAS: best acquisition first), as x11's loop: a continued cell is trained to the end
and its value joins the bar before the next cell is decided. A non-finite prediction becomes ``0 + U[0, 1)`` (x11's
``default_guess`` plus a uniform draw from numpy's global RNG), drawn here from the optimizer's generator, which also drives the chain.

Epochs, exactly as x11 indexes them. x11's ``full_lc`` is the NB311 curve sliced ``[:epoch]`` (DARTS:
``query(epoch=max_epoch + 1 = 98)``, all 98 values, index 0 = epoch 1), so ``info`` holds ``full_lc[extrapolation]``,
the value at epoch ``extrapolation + 1``, while the ensemble predicts at ``x = extrapolation`` of its 1-based
``x`` (the observed epochs 1..``fidelity`` are ``x = 1..fidelity``). fastnas keeps that one-epoch offset: the
bar is made of epoch ``extrapolation + 1`` accuracies, the prediction is for epoch ``extrapolation``.
``extrapolation`` defaults to x11's ``config.search.fidelity // 2``: on DARTS ``fidelity=97`` (``run_nb311.sh``;
x11's DARTS ``max_epoch`` is 97 in its 0-based count) gives 48; elsewhere x11's ``fidelity`` is the final epoch
(NB201: 200 -> 100), i.e. ``max_epoch // 2``.

x11's defaults for NAS-Bench-311 (DARTS): ``fidelity=20`` (``single_fidelity``), ``top_n_percent=0.2``
(NB201: 0.5, pass it).

Corrected reference bug: NASLib's ``perturb_params`` updates the family parameters in place, so in x11 they
random-walk whether or not a Metropolis step is accepted (see ``fastnas.predictors.lce_x11``); the default
runs the intended chain, ``lce_chain="naslib"`` reproduces x11's. ``extrapolator="lce_fast"`` is a fastnas
variant, not x11's: ``fastnas.predictors.lce.LCEFast`` (5 families, least squares, likelihood weights), which
under-predicts on NB301 and continues almost no candidate. ``n_continued_``/``n_stopped_`` count the decisions
and ``run`` warns (``run_warning``) when none was continued.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from ._multi_fidelity import MultiFidelityOptimizer


class _LCEOptimizer(MultiFidelityOptimizer):
    needs_curves = True
    inner_name: ClassVar[str] = ""
    inner_cls: ClassVar[type] = object
    _lce_common = {**MultiFidelityOptimizer._mf_common, "fidelity": 20, "extrapolation": None,
                   "top_n_percent": 0.2, "n_full_init": None, "extrapolator": "naslib", "lce_steps": 10,
                   "lce_chain": "metropolis"}

    def __init__(self, space, seed=None, **params):
        super().__init__(space, seed=seed, **params)
        self._inner = self.inner_cls(space, seed=self._draw_seed(), **self._inner_params())
        self._queue = space.cells_type.empty(0)  # cells to finish (train to max_epoch)
        self._info: list[float] = []  # fully trained cells: value at the extrapolation epoch
        self._partial: set[int] = set()  # keys asked at `fidelity` and not told yet
        # told at `fidelity`, waiting for their decision (x11 decides one cell at a time, in the order the wrapped
        # search ranked them; a continued cell is trained to the end and joins the bar before the next decision)
        self._undecided: list[int] = []
        self._undecided_pred: list[float] = []
        self._undecided_cells = space.cells_type.empty(0)
        self._await: int | None = None  # key of the continued cell whose full training is outstanding
        self.n_continued_ = 0  # partially trained cells whose training LCE continued to max_epoch
        self.n_stopped_ = 0  # partially trained cells stopped at `fidelity`

    def _inner_params(self) -> dict:
        return {k: self.params[k] for k in self.inner_cls._defaults if k in self.params}

    def _validate_params(self) -> None:
        super()._validate_params()
        p = self.params
        f = p["fidelity"]
        if isinstance(f, bool) or not isinstance(f, (int, np.integer)) or f < 1:
            raise ValueError(f"fidelity must be a positive int, got {f!r}")
        if p["max_epoch"] is not None and f >= p["max_epoch"]:
            raise ValueError(f"fidelity={f} must be below max_epoch={p['max_epoch']}")
        if not 0 < float(p["top_n_percent"]) <= 1:
            raise ValueError(f"top_n_percent is a fraction in (0, 1], got {p['top_n_percent']!r}")
        x = p["extrapolation"]
        if x is not None and (isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 1):
            raise ValueError(f"extrapolation must be a positive int or None, got {x!r}")
        if p["extrapolator"] not in ("naslib", "lce_fast"):
            raise ValueError(f"extrapolator must be 'naslib' (x11's) or 'lce_fast', got {p['extrapolator']!r}")
        k = p["lce_steps"]
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"lce_steps must be a positive int, got {k!r}")
        if p["extrapolator"] == "naslib" and f < 3:
            raise ValueError(f"fidelity={f}: x11's extrapolator needs at least 3 observed epochs")
        if p["lce_chain"] not in ("metropolis", "naslib"):
            raise ValueError(f"lce_chain must be 'metropolis' or 'naslib', got {p['lce_chain']!r}")

    @property
    def extrapolation(self) -> int:
        """x11's ``extrapolation``: the ensemble predicts at this (1-based) epoch and the bar is made of the
        fully trained cells' accuracies at the next epoch (x11's 0-based ``full_lc[extrapolation]``)."""
        x = self.params["extrapolation"]
        if x is None:  # x11: config.search.fidelity // 2, with fidelity 97 on DARTS and the final epoch elsewhere
            x = (self.max_epoch - 1 if self.space.name == "darts" else self.max_epoch) // 2
        x = int(x)
        if x >= self.max_epoch:
            raise ValueError(f"extrapolation={x} must be below max_epoch={self.max_epoch} (the bar reads epoch "
                             f"extrapolation + 1, as x11's full_lc[extrapolation])")
        return x

    def _n_full_init(self) -> int:
        n = self.params["n_full_init"]
        return int(n) if n is not None else self._default_full_init()

    def _default_full_init(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _propose_mf(self, n: int):
        E = self.max_epoch
        if len(self._queue):
            out, self._queue = self._queue[:n], self._queue[n:]
            return out, np.full(len(out), E, dtype=np.int64)
        if self._undecided:  # decisions wait for the continued cell's full curve (only when asked ahead of tell)
            return self.space.cells_type.empty(0), np.zeros(0, dtype=np.int64)
        inner = self._inner
        init_left = self._n_full_init() - inner.n_told - inner.pending
        if init_left > 0:
            cells = inner.ask(min(n, init_left))
            return cells, np.full(len(cells), E, dtype=np.int64)
        cells = inner.ask(n)
        self._partial.update(self._key(cells).tolist())
        return cells, np.full(len(cells), int(self.params["fidelity"]), dtype=np.int64)

    def _observe(self, new: np.ndarray) -> None:
        E, X = self.max_epoch, self.extrapolation
        keys = self._keys[new].tolist()
        eps = self._hist_epochs[new].tolist()
        cells = self.cells_[new]
        full = [j for j, e in enumerate(eps) if e == E]
        if full:
            fk = [keys[j] for j in full]
            told = [j for j, k in zip(full, fk) if k in self._inner._pending]
            if told:
                t = np.array(told, dtype=np.intp)
                self._inner.tell(cells[t], self._y[new[t]], self._costs[new[t]])
            self._info.extend(float(self._curves[k][X]) for k in fk)  # x11: full_lc[extrapolation], epoch X + 1
            self._partial.difference_update(fk)
            if self._await in fk:
                self._await = None
        part = [j for j, (k, e) in enumerate(zip(keys, eps)) if e < E and k in self._partial]
        if part:
            self._undecided_pred.extend(self._extrapolate([self._curves[keys[j]] for j in part], X))
            self._undecided.extend(keys[j] for j in part)
            self._partial.difference_update(keys[j] for j in part)
            add = cells[np.array(part, dtype=np.intp)]
            self._undecided_cells = self.space.concat([self._undecided_cells, add]) if len(self._undecided_cells) \
                else add
        self._decide()

    def _extrapolate(self, curves: list, X: int) -> list[float]:
        """x11's prediction for epoch ``X`` of each partial curve (percent); non-finite -> ``0 + U[0, 1)``."""
        from ..predictors.lc import Curves

        c = Curves(val_acc=np.vstack(curves))
        if self.params["extrapolator"] == "naslib":
            from ..predictors.lce_x11 import LCEParametricEnsemble

            model = LCEParametricEnsemble(final_epoch=X, n_steps=int(self.params["lce_steps"]),
                                          chain=self.params["lce_chain"], default_guess=0.0, scale=100.0,
                                          seed=self._rng)
        else:
            from ..predictors.lce import LCEFast

            model = LCEFast(final_epoch=X, scale=100.0)
        pred = np.asarray(model.predict(c), dtype=np.float64)
        bad = ~np.isfinite(pred)
        if bad.any():  # x11: default_guess (0) + a global-RNG uniform draw; here the optimizer's generator
            pred[bad] = self._rng.random(int(bad.sum()))
        return pred.tolist()

    def _decide(self) -> None:
        """Decide waiting cells one at a time, as x11's loop: each against the bar of the fully trained cells
        so far; a continued cell is queued and the next decision waits until its full curve is told."""
        while self._await is None and self._undecided:
            key, v = self._undecided.pop(0), self._undecided_pred.pop(0)
            cell, self._undecided_cells = self._undecided_cells[:1], self._undecided_cells[1:]
            info = np.sort(np.array(self._info))
            topk = info[-int(len(info) * float(self.params["top_n_percent"])):]  # x11's slice, [-0:] = all
            bar = float(topk.min()) if len(topk) else -np.inf
            if v > bar:
                self.n_continued_ += 1
                self._queue = self.space.concat([self._queue, cell]) if len(self._queue) else cell
                self._await = key
            else:
                self.n_stopped_ += 1
                self._inner._pending.pop(key, None)  # stopped early: the wrapped search never sees it

    def _extra_state(self) -> dict:
        return {
            "inner": self._inner.state_dict(),
            "queue": {k: v.copy() for k, v in self._queue.arrays().items()},
            "info": np.array(self._info, dtype=np.float64),
            "partial": np.array(sorted(self._partial), dtype=np.uint64),
            "decisions": np.array([self.n_continued_, self.n_stopped_], dtype=np.int64),
            "undecided": np.array(self._undecided, dtype=np.uint64),
            "undecided_pred": np.array(self._undecided_pred, dtype=np.float64),
            "undecided_cells": {k: v.copy() for k, v in self._undecided_cells.arrays().items()},
            "await": np.array([] if self._await is None else [self._await], dtype=np.uint64),
        }

    def run_warning(self) -> str | None:
        """Why the run may not have searched (``run`` warns with it): every partially trained cell was
        stopped, so the wrapped algorithm learned from its first fully trained cells only."""
        if self.n_stopped_ and not self.n_continued_:
            return (f"{self.name}: LCE stopped all {self.n_stopped_} partially trained cells at epoch "
                    f"{self.params['fidelity']} and continued none, so the wrapped {self.inner_name} learned only "
                    f"from its first {self._n_full_init()} fully trained cells (the extrapolation never beat the "
                    f"top {float(self.params['top_n_percent']):g} of them; see docs/search.md)")
        return None

    def _load_extra_state(self, state: dict) -> None:
        self._inner = self.inner_cls(self.space, seed=0, **self._inner_params()).load_state_dict(state["inner"])
        q = state["queue"]
        self._queue = self.space.cells_type._trusted(**{k: np.asarray(v) for k, v in q.items()}) if q \
            else self.space.cells_type.empty(0)
        self._info = np.asarray(state["info"], dtype=np.float64).tolist()
        self._partial = set(np.asarray(state["partial"], dtype=np.uint64).tolist())
        d = np.asarray(state.get("decisions", np.zeros(2)), dtype=np.int64).tolist()
        self.n_continued_, self.n_stopped_ = int(d[0]), int(d[1])
        self._undecided = np.asarray(state.get("undecided", np.zeros(0)), dtype=np.uint64).tolist()
        self._undecided_pred = np.asarray(state.get("undecided_pred", np.zeros(0)), dtype=np.float64).tolist()
        u = state.get("undecided_cells") or {}
        self._undecided_cells = self.space.cells_type._trusted(**{k: np.asarray(v) for k, v in u.items()}) if u \
            else self.space.cells_type.empty(0)
        a = np.asarray(state.get("await", np.zeros(0)), dtype=np.uint64).tolist()
        self._await = int(a[0]) if a else None


def _evolution_cls():
    from .evolution import RegularizedEvolution

    return RegularizedEvolution


def _bananas_cls():
    from .bananas import BANANAS

    return BANANAS


class EvolutionLCE(_LCEOptimizer):
    """Regularized evolution with learning-curve extrapolation (x11's REA-LCE); see the module docstring.
    Evolution's parameters (``population``, ``tournament``, ``replace``, ``mutation_rate``) pass through;
    the first ``population`` cells are trained fully.

    >>> from fastnas.search import make
    >>> from fastnas.sim.synthetic import ToySpace
    >>> opt = make("evolution_lce", ToySpace(), seed=0, max_epoch=30, fidelity=5, population=4)
    >>> cells = opt.ask(2)
    >>> opt.epochs_of(cells).tolist()
    [30, 30]
    """

    name = "evolution_lce"
    inner_name = "evolution"
    inner_cls = _evolution_cls()
    _defaults = {**_LCEOptimizer._lce_common, **inner_cls._defaults}
    batch_size = 1

    def _default_full_init(self) -> int:
        return int(self.params["population"])


class BANANASLCE(_LCEOptimizer):
    """BANANAS with learning-curve extrapolation (x11's BANANAS-LCE); see the module docstring. BANANAS'
    parameters pass through (the module ``fastnas.search.bananas`` is imported, not copied); the first
    ``n_init`` cells are trained fully and the predictor learns from fully trained cells only.

    >>> from fastnas.search import make
    >>> from fastnas.sim.synthetic import ToySpace
    >>> opt = make("bananas_lce", ToySpace(), seed=0, max_epoch=30, fidelity=5, n_init=3)
    >>> len(opt.ask(10))
    3
    """

    name = "bananas_lce"
    inner_name = "bananas"
    inner_cls = _bananas_cls()
    _defaults = {**_LCEOptimizer._lce_common, **inner_cls._defaults}
    batch_size = 10

    def _default_full_init(self) -> int:
        return int(self.params["n_init"])

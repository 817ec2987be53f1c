"""BOHB (Falkner, Klein & Hutter 2018, "BOHB: Robust and efficient hyperparameter optimization at scale",
ICML): Hyperband whose new cells come from a TPE-style model, as in the official code (automl/HpBandSter,
``hpbandster/optimizers/config_generators/bohb.py``).

The model, per budget (training epoch): every evaluation told at that epoch is kept; once a budget has
at least ``min_points_in_model`` of them (default ``d + 1``), they are split by value into the best
``n_good = max(min_points, top_n_percent * N // 100)`` and the next ``n_bad = max(min_points,
(100 - top_n_percent) * N // 100)``, and a product-kernel density is fitted to each (``l`` good, ``g``
bad), provided each part has more than ``d`` points. Only the largest budget with a model is used, and
no model is fitted on a budget below one that has a model. A new cell is random with probability
``random_fraction`` (or while there is no model); otherwise ``num_samples`` candidates are drawn from
``l`` -- pick a good point at random, keep each variable with probability ``1 - bw`` else draw it
uniformly -- and the one minimising ``max(1e-32, g) / max(l, 1e-32)`` is proposed.

Variables: the cells' integer fields, flattened (NB201: the 6 edge ops; DARTS: the 2x8 inputs and ops of
the normal and reduce cells; NB101: the adjacency bits and ops), each an unordered categorical variable
whose levels are the values seen in ``space.sample`` draws (a fixed probe of 2,048 cells). Fields that
never vary are left out of the model. As in hpbandster (statsmodels ``KDEMultivariate`` with
``var_type="u"`` and ``bw="normal_reference"``), a variable's kernel is Aitchison-Aitken with bandwidth
``h = max(1e-3, 1.06 * std * N^(-1 / (4 + d)))``: ``1 - h`` for the same level, ``h / (c - 1)``
otherwise, ``c`` being the number of distinct levels in that KDE's data.

Deviations (documented; the method is otherwise the paper's):
* the density is written here in numpy (about 20 lines, tested against a slow per-point loop) rather
  than imported from statsmodels: hpbandster itself (last release 2019, a Pyro4 nameserver/worker
  design, not ask/tell) cannot drive an ask/tell loop, and statsmodels would be a heavy dependency for
  one kernel;
* a drawn vector that is not a valid cell of the space, or was asked before, is skipped (the best valid
  new candidate is proposed; random when none of the ``num_samples`` is), since the variables of a
  graph space are not independent as hyperparameters are;
* a variable with one level in a KDE's data would divide by zero in statsmodels (giving inf/NaN
  densities); here ``c`` is at least 2 so the kernel stays finite.
"""
from __future__ import annotations

import numpy as np

from .hyperband import Hyperband

_PROBE = 2048


def aitchison_aitken_pdf(data: np.ndarray, bw: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Product Aitchison-Aitken kernel density of ``data`` (N, d) ints at points ``x`` (M, d): (M,).

    ``c_j`` is the number of distinct levels of column j in ``data`` (at least 2), ``bw`` (d,) the
    bandwidths; ``pdf(x) = mean_i prod_j (1 - h_j if x_j == data_ij else h_j / (c_j - 1))``.

    >>> float(aitchison_aitken_pdf(np.array([[0], [1]]), np.array([0.1]), np.array([[0]]))[0])
    0.5
    """
    data = np.asarray(data)
    x = np.asarray(x)
    c = np.array([max(2, len(np.unique(data[:, j]))) for j in range(data.shape[1])], dtype=np.float64)
    same = x[:, None, :] == data[None, :, :]  # (M, N, d)
    k = np.where(same, 1.0 - bw, bw / (c - 1.0))
    return k.prod(axis=2).mean(axis=1)


def normal_reference_bw(data: np.ndarray, min_bandwidth: float) -> np.ndarray:
    """statsmodels' ``normal_reference`` rule, ``1.06 * std * N^(-1/(4+d))``, clipped below at
    ``min_bandwidth`` (hpbandster)."""
    n, d = data.shape
    return np.maximum(1.06 * data.std(axis=0) * n ** (-1.0 / (4 + d)), min_bandwidth)


class BOHB(Hyperband):
    """BOHB; see the module docstring. Parameters as ``hyperband`` plus hpbandster's defaults
    ``min_points_in_model=None`` (d + 1), ``top_n_percent=15``, ``num_samples=64``,
    ``random_fraction=1/3``, ``min_bandwidth=1e-3`` (``bandwidth_factor`` widens continuous variables
    only, which cells do not have).

    >>> from fastnas.search import make
    >>> from fastnas.sim.synthetic import ToySpace
    >>> opt = make("bohb", ToySpace(), seed=0, max_epoch=27, min_epoch=1)
    >>> len(opt.ask(5))
    5
    """

    name = "bohb"
    _defaults = {**Hyperband._defaults, "min_points_in_model": None, "top_n_percent": 15, "num_samples": 64,
                 "random_fraction": 1 / 3, "min_bandwidth": 1e-3}

    def __init__(self, space, seed=None, **params):
        super().__init__(space, seed=seed, **params)
        self._domain = None

    def _validate_params(self) -> None:
        super()._validate_params()
        p = self.params
        if not 0 < float(p["top_n_percent"]) < 100:
            raise ValueError("top_n_percent must be in (0, 100)")
        if int(p["num_samples"]) < 1:
            raise ValueError("num_samples must be >= 1")
        if not 0 <= float(p["random_fraction"]) <= 1:
            raise ValueError("random_fraction must be in [0, 1]")
        if not float(p["min_bandwidth"]) > 0:
            raise ValueError("min_bandwidth must be > 0")

    # -- variables ----------------------------------------------------------------------------
    def _vars(self):
        """(varying column indices, levels per varying column, a full row for the constant columns,
        field shapes) of the flattened cells, from a fixed probe of the space."""
        if self._domain is None:
            probe = self.space.sample(_PROBE, seed=0)  # a fixed probe: the domain, not a random choice
            flat = self._flatten(probe)
            cols = [j for j in range(flat.shape[1]) if len(np.unique(flat[:, j])) > 1]
            levels = [np.unique(flat[:, j]) for j in cols]
            shapes = [(name, dtype, probe.arrays()[name].shape[1:]) for name, dtype, _ in self.space.cells_type.FIELDS]
            self._domain = (np.array(cols, dtype=np.intp), levels, flat[0].copy(), shapes)
        return self._domain

    @staticmethod
    def _flatten(cells) -> np.ndarray:
        return np.concatenate([a.reshape(len(cells), -1).astype(np.int64) for a in cells.arrays().values()], axis=1)

    def _unflatten(self, flat: np.ndarray):
        arrays, j = {}, 0
        for name, dtype, shape in self._vars()[3]:
            size = int(np.prod(shape, dtype=np.int64))
            arrays[name] = np.ascontiguousarray(flat[:, j:j + size].reshape(len(flat), *shape).astype(dtype))
            j += size
        return self.space.cells_type._trusted(**arrays)

    # -- the model ------------------------------------------------------------------------------
    def _model(self):
        """(good data, bad data, good bw, bad bw) of the largest budget with a model, or None."""
        cols, levels = self._vars()[:2]
        d = len(cols)
        p = self.params
        min_pts = max(d + 1, int(p["min_points_in_model"] or 0))
        top = float(p["top_n_percent"])
        X = self._flatten(self.cells_)[:, cols] if self.n_told else np.zeros((0, d), dtype=np.int64)
        ep = self._hist_epochs
        best = None
        for b in sorted(set(ep.tolist())):
            rows = np.flatnonzero(ep == b)
            n = len(rows)
            if n < min_pts:  # hpbandster: len(configs[budget]) <= min_points_in_model - 1 -> no model
                continue
            n_good = max(min_pts, int(top * n // 100))
            n_bad = max(min_pts, int((100 - top) * n // 100))
            order = np.argsort(-self._y[rows], kind="stable")  # loss = -value
            good, bad = X[rows[order[:n_good]]], X[rows[order[n_good:n_good + n_bad]]]
            if len(good) <= d or len(bad) <= d:
                continue
            best = (good, bad, normal_reference_bw(good, float(p["min_bandwidth"])),
                    normal_reference_bw(bad, float(p["min_bandwidth"])))
        # hpbandster never fits below a budget that has a model, and samples from the largest one: the
        # largest budget with enough points is that model
        return best

    def _new_cells(self, m: int):
        out, have = [], set()
        for _ in range(m):
            c = self._one_new(have)
            if c is None:
                break
            have.add(int(self.space.key(c)[0]))
            out.append(c)
        return self.space.concat(out) if out else self.space.cells_type.empty(0)

    def _one_new(self, exclude: set):
        p = self.params
        model = self._model()
        if model is None or self._rng.random() < float(p["random_fraction"]):
            return self._random_excluding(exclude)
        good, bad, bw_good, bw_bad = model
        cols, levels, const = self._vars()[:3]
        S = int(p["num_samples"])
        pick = self._rng.integers(0, len(good), size=S)
        keep = self._rng.random((S, len(cols))) < (1.0 - bw_good)[None, :]
        uniform = np.stack([lv[self._rng.integers(0, len(lv), size=S)] for lv in levels], axis=1)
        vec = np.where(keep, good[pick], uniform)
        lx = aitchison_aitken_pdf(good, bw_good, vec)
        gx = aitchison_aitken_pdf(bad, bw_bad, vec)
        score = np.maximum(gx, 1e-32) / np.maximum(lx, 1e-32)
        flat = np.broadcast_to(const, (S, len(const))).copy()
        flat[:, cols] = vec
        cells = self._unflatten(flat)
        ok = self._valid_rows(cells)
        keys = self.space.key(cells[np.flatnonzero(ok)]) if ok.any() else np.zeros(0, dtype=np.uint64)
        idx = np.flatnonzero(ok)
        taken = self._seen | exclude
        fresh = np.array([int(k) not in taken for k in keys.tolist()], dtype=bool)
        idx = idx[fresh]
        if not idx.size:
            return self._random_excluding(exclude)
        best = idx[int(np.argmin(score[idx]))]  # first minimum
        return cells[int(best):int(best) + 1]

    def _valid_rows(self, cells) -> np.ndarray:
        if getattr(self.space, "includes_invalid", False):  # NB201: disconnected cells are benchmark cells
            return np.ones(len(cells), dtype=bool)
        try:
            ok = np.asarray(self.space.is_valid(cells), dtype=bool)
        except (ValueError, TypeError):
            ok = np.zeros(len(cells), dtype=bool)
            for i in range(len(cells)):
                try:
                    ok[i] = bool(self.space.is_valid(cells[i:i + 1])[0])
                except (ValueError, TypeError):
                    ok[i] = False
        return ok

    def _random_excluding(self, exclude: set):
        for _ in range(4):
            c = self._random_fresh(1 + len(exclude))
            if len(c):
                k = self.space.key(c).tolist()
                rows = [i for i, x in enumerate(k) if x not in exclude]
                if rows:
                    return c[rows[0]:rows[0] + 1]
        return None

    def _load_extra_state(self, state: dict) -> None:
        super()._load_extra_state(state)
        self._domain = None



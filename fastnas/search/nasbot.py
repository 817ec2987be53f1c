"""NASBOT (Kandasamy et al. 2018, "Neural architecture search with Bayesian optimisation and optimal
transport", NeurIPS; official code kirthevasank/nasbot): a GP whose kernel is built on the OTMANN distance,
expected improvement, and an evolutionary algorithm that optimises the acquisition.

* **distance**: OTMANN ``d`` and its normalised version ``d_bar`` (``fastnas.search.otmann``) on the cells'
  layer graphs (a layer per convolution/pooling, ``skip_connect`` an edge, ``none`` absent, dead layers
  removed; ``encoding="gcn"`` or a space without layer graphs: the ``gcn`` encoding's graph), ``nu_str`` = 1,
  ``nu_nas`` = 1;
* **kernel** (paper eq. 4): ``k(x, x') = alpha exp(-beta d) + alpha_bar exp(-beta_bar d_bar)``, with
  ``alpha = alpha_bar = var(y) / 2``, a noise variance ``1e-3 var(y)``, and ``beta, beta_bar`` chosen by the
  GP's log marginal likelihood on a grid (multiples of the inverse median distance). The Gram matrix is
  projected onto the positive semi-definite cone (OTMANN kernels need not be PSD; the paper does the same);
* **acquisition**: expected improvement over the best told value;
* **acquisition optimiser** (paper section 4.2): start from the told cells with their EI; for ``ea_steps``
  steps draw ``ea_children`` parents with probability proportional to their EI, mutate each (one call of the
  space's ``mutate`` at rate 1, which may change several edges/ops at once; NASBOT's own network modifiers
  are not used), compute the children's EI and add them to the pool; query the ``n`` new cells of largest EI.

Deviations (docs/methods.md): cells have no unit counts, so every operation node has mass 1 (input/output:
0.1 of the total, NASBOT's rule); unequal operation labels are never matched (NASBOT's label penalty
matrix gives finite costs between, e.g., convolutions of different sizes); hyper-parameters by a grid,
not NASBOT's marginal-likelihood optimiser; 10 cells per round by the EI ranking of the final pool (NASBOT
proposes one at a time, asynchronously); NASBOT's single ``nu_str`` per distance, 1 here, is not the
code's set of several values.
"""
from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from ._base import Optimizer
from ._model_based import default_encoding
from .otmann import cell_graphs, distance_matrix

_LAYER_SPACES = ("nb101", "nb201", "darts")  # spaces with NASBOT layer graphs (otmann.layer_graph)
_BETA_GRID = (0.25, 0.5, 1.0, 2.0, 4.0)


def _psd(K: np.ndarray) -> np.ndarray:
    w, V = np.linalg.eigh((K + K.T) / 2)
    return (V * np.maximum(w, 0.0)) @ V.T


def expected_improvement(mean, std, best):
    """EI of a maximised value: ``(m - best) Phi(z) + s phi(z)``, ``z = (m - best) / s``."""
    std = np.maximum(std, 1e-12)
    z = (mean - best) / std
    return (mean - best) * ndtr(z) + std * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


class NASBOT(Optimizer):
    """NASBOT; see the module docstring.

    >>> from fastnas.search import make
    >>> from fastnas.spaces import get_space
    >>> opt = make("nasbot", get_space("nb201"), seed=0)
    >>> len(opt.ask(10))
    10
    """

    name = "nasbot"
    _defaults = {"n_init": 10, "nu_str": 1.0, "nu_nas": 1.0, "ea_steps": 10, "ea_children": 20,
                 "noise": 1e-3, "encoding": None}
    batch_size = 10

    def __init__(self, space, seed=None, **params):
        super().__init__(space, seed=seed, **params)
        self._graphs = []
        self._D = self._Dbar = np.zeros((0, 0))

    def _validate_params(self) -> None:
        p = self.params
        for k in ("n_init", "ea_steps", "ea_children"):
            if int(p[k]) < 1:
                raise ValueError(f"{k} must be >= 1, got {p[k]!r}")
        if float(p["nu_str"]) < 0 or float(p["nu_nas"]) <= 0 or float(p["noise"]) <= 0:
            raise ValueError("need nu_str >= 0, nu_nas > 0 and noise > 0")
        enc = p["encoding"] or (None if self.space.name in _LAYER_SPACES else default_encoding(self.space, ("gcn",)))
        if enc is not None and enc not in self.space.encodings:
            raise ValueError(f"encoding {enc!r} not offered by {self.space.name}: {self.space.encodings}")

    def _cell_graphs(self, cells):
        enc = self.params["encoding"]
        if enc is None and self.space.name not in _LAYER_SPACES:
            enc = default_encoding(self.space, ("gcn",))
        return cell_graphs(self.space, cells, enc)

    def _dist(self, A, B, symmetric=False):
        p = self.params
        return distance_matrix(A, B, float(p["nu_str"]), float(p["nu_nas"]), symmetric=symmetric)

    def _update_train(self):
        """Extend the cached graphs and distance matrices to every told cell."""
        n_old, n = len(self._graphs), self.n_told
        if n_old == n:
            return
        new = self._cell_graphs(self.cells_[n_old:])
        G = self._graphs + new
        D, Db = np.zeros((n, n)), np.zeros((n, n))
        D[:n_old, :n_old], Db[:n_old, :n_old] = self._D, self._Dbar
        Dx, Dbx = self._dist(G, new)
        D[:, n_old:], Db[:, n_old:] = Dx, Dbx
        D[n_old:, :], Db[n_old:, :] = Dx.T, Dbx.T
        self._graphs, self._D, self._Dbar = G, D, Db

    def _fit_gp(self):
        y = self._y
        mu, var = float(y.mean()), float(y.var()) or 1.0
        med = float(np.median(self._D[self._D > 0])) if (self._D > 0).any() else 1.0
        medb = float(np.median(self._Dbar[self._Dbar > 0])) if (self._Dbar > 0).any() else 1.0
        best = None
        r = y - mu
        for b in _BETA_GRID:
            for bb in _BETA_GRID:
                beta, beta_bar = b / med, bb / medb
                K = _psd(var / 2 * (np.exp(-beta * self._D) + np.exp(-beta_bar * self._Dbar)))
                K[np.diag_indices_from(K)] += float(self.params["noise"]) * var
                try:
                    L = np.linalg.cholesky(K)
                except np.linalg.LinAlgError:  # pragma: no cover - the noise keeps K positive definite
                    continue
                a = np.linalg.solve(L.T, np.linalg.solve(L, r))
                lml = -0.5 * r @ a - np.log(np.diag(L)).sum()
                if best is None or lml > best[0]:
                    best = (lml, beta, beta_bar, L, a)
        _, self._beta, self._beta_bar, self._L, self._alpha = best
        self._mu, self._var = mu, var

    def _posterior(self, graphs):
        D, Db = self._dist(graphs, self._graphs)
        Ks = self._var / 2 * (np.exp(-self._beta * D) + np.exp(-self._beta_bar * Db))
        mean = self._mu + Ks @ self._alpha
        v = np.linalg.solve(self._L, Ks.T)
        var = np.maximum(self._var - (v * v).sum(axis=0), 1e-12 * self._var)
        return mean, np.sqrt(var)

    def _propose(self, n: int):
        p = self.params
        n_init = int(p["n_init"])
        if self.n_told + self.pending < n_init or self.n_told < 2:
            return self._random_fresh(max(1, min(n, n_init - self.n_told - self.pending)))
        self._update_train()
        self._fit_gp()
        best = float(self._y.max())
        m, s = self._posterior(self._graphs)
        pool_cells = [self.cells_]
        pool_ei = [expected_improvement(m, s, best)]
        new_cells, new_ei, keys = [], [], set()
        for _ in range(int(p["ea_steps"])):
            cells = self.space.concat(pool_cells)
            ei = np.concatenate(pool_ei)
            w = ei + 1e-12
            idx = self._rng.choice(len(w), size=int(p["ea_children"]), p=w / w.sum())
            kids = self._fresh(self.space.mutate(cells[idx], rate=1.0, seed=self._draw_seed()))
            if len(kids) == 0:
                continue
            k = self.space.key(kids)
            _, first = np.unique(k, return_index=True)
            first = np.sort(first)
            keep = first[~np.isin(k[first], np.fromiter(keys, dtype=np.uint64, count=len(keys)))] \
                if keys else first
            kids = kids[keep]
            if len(kids) == 0:
                continue
            keys.update(self.space.key(kids).tolist())
            km, ks = self._posterior(self._cell_graphs(kids))
            kei = expected_improvement(km, ks, best)
            pool_cells.append(kids)
            pool_ei.append(kei)
            new_cells.append(kids)
            new_ei.append(kei)
        if not new_cells:
            return self._random_fresh(n)
        cands = self.space.concat(new_cells)
        ei = np.concatenate(new_ei)
        if len(cands) < n:
            extra = self._random_fresh(n - len(cands) + 5)
            extra = extra[~np.isin(self.space.key(extra), self.space.key(cands))]
            return self.space.concat([cands, extra])[:n]
        return cands[np.argsort(-ei, kind="stable")[:n]]

    def _load_extra_state(self, state: dict) -> None:
        self._graphs, self._D, self._Dbar = [], np.zeros((0, 0)), np.zeros((0, 0))  # rebuilt from the cells

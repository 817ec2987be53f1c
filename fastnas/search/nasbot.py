"""NASBOT (Kandasamy et al. 2018, "Neural architecture search with Bayesian optimisation and optimal
transport", NeurIPS; official code kirthevasank/nasbot: ``opt/nasbot.py``, ``opt/gp_bandit.py``,
``nn/nn_gp.py``, ``gp/gp_core.py``, ``gp/kernel.py``): a GP whose kernel is built on OTMANN distances,
expected improvement, and an evolutionary algorithm that optimises the acquisition.

* **distances** (``fastnas.search.otmann``): for each structural coefficient of ``struct_coeffs`` (the
  code's 0.1, 0.2, 0.4, 0.8; mislabel coefficient 1, ``nu_nas`` = 1) the OTMANN distance ``d`` and its
  normalised ``d_bar``, on the cells' layer graphs with the code's masses and label penalties;
* **kernel** (the code's default ``lpemd_sum``, ``SumOfExpSumOfDistsKernel``): ``k = a1 exp(-sum_i b_i d_i)
  + a2 exp(-sum_i c_i d_bar_i^2)`` (powers 1 and 2 as the code's ``lp_power``/``emd_power``); the Gram
  matrix without noise is projected onto the positive semi-definite cone before the noise is added
  (``handle_non_psd_kernels='project_first'``); mean function: the median of the told values;
* **hyper-parameters**: ``log`` noise variance in ``[log 0.005 v, log 0.2 v]``, ``log a1, log a2`` in
  ``[log 0.01 v, log 100 v]`` (``v = var(y)``), ``log b_i`` in ``[log 1e-9, log 1e-3]``, ``log c_i`` in
  ``[log 0.1, log 100]`` (``NNGPFitter._child_set_up_ml_tune``), chosen by maximising the log marginal
  likelihood with DIRECT (scipy's ``direct``, the original, not locally biased DIRECT, ``eps=1e-5``, at most
  ``hp_evals`` = 550 evaluations: the code's ``min(1e4, max(500, 50 x 11))``), re-tuned every
  ``refit_every`` = 7 told results (``build_new_model_every``); between re-tunings the GP keeps its
  hyper-parameters and adds the new data, as the code's ``fitted_gp`` path does;
* **acquisition**: expected improvement over the best told value; the posterior variance of a candidate
  is floored at ``0.05`` noise variances (the code's projection of the test covariance, for one candidate);
* **acquisition optimiser** (paper section 4.2; the code's GA, ``opt/ga_optimiser.py``): the told cells with
  their EI are the initial pool; each epoch draws ``clip(3 sqrt(E), 5, 100)`` parents with replacement
  with probability ``exp((ei - mean) / (2 (std + 1e-4)))`` over everything evaluated so far, mutates each
  by 1-5 modification steps (probabilities 0.5, 0.25, 0.125, 0.075, 0.05, the code's
  ``ga_mutation_op_distro``; a step here is one call of the space's ``mutate`` at rate 1), and evaluates
  the new children's EI, until ``E = clip(25 sqrt(t), 50, 500)`` children are evaluated at step ``t``
  (``acq_evals`` overrides ``E``); the ``batch`` evaluated cells of largest EI are proposed.

One proposal per told result (``batch=1``, the default): the sequential form of NASBOT (the paper's
experiments ran it asynchronously on several GPU workers; with one worker the code's loop is this one).
``batch=10`` (opt-in) proposes the 10 best of one evolutionary pool per round, the former behaviour; it is
not the code's parallel mode, which hallucinates the pending evaluations (``handle_parallel='halluc'``).

Deviations (docs/methods.md): a GA modification step is the space's mutation (the code's modifiers
change layers of its own CNN class); the initial pool is the told cells (the code: a hand-written pool of
CNNs), and the initial cells are random; duplicate children are dropped, not evaluated; the code's default
hyper-parameter choice in ``gp_bandit`` is ``rand_exp_sampling`` (4400 random hyper-parameter vectors, one
drawn per step with probability ``exp(lml)``), 8x the cost of the DIRECT maximisation used here (the
code's ``gp_core`` default, also a marginal-likelihood choice); cell channels per ``fastnas.search.otmann``.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import direct
from scipy.special import ndtr

from ._base import Optimizer
from ._model_based import default_encoding
from .otmann import STRUCT_COEFFS, cell_graphs, distance_matrix

_LAYER_SPACES = ("nb101", "nb201", "darts")  # spaces with NASBOT layer graphs (otmann.layer_graph)
_MUTATION_STEPS = (0.5, 0.25, 0.125, 0.075, 0.05)  # the code's ga_mutation_op_distro: P(1..5 modification steps)


def _psd(K: np.ndarray) -> np.ndarray:
    w, V = np.linalg.eigh((K + K.T) / 2)
    return (V * np.maximum(w, 0.0)) @ V.T


def expected_improvement(mean, std, best):
    """EI of a maximised value: ``(m - best) Phi(z) + s phi(z)``, ``z = (m - best) / s``."""
    std = np.maximum(std, 1e-12)
    z = (mean - best) / std
    return (mean - best) * ndtr(z) + std * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


def hp_bounds(var: float, k: int) -> np.ndarray:
    """(3 + 2k, 2) log-bounds of the hyper-parameters in the code's order: noise variance, a1, a2, then
    the betas of the ``lp`` and ``emd`` distances interleaved (``b_1, c_1, b_2, c_2, ...``)."""
    b = [[np.log(0.005 * var), np.log(0.2 * var)], [np.log(0.01 * var), np.log(100 * var)],
         [np.log(0.01 * var), np.log(100 * var)]]
    for _ in range(k):
        b += [[np.log(1e-9), np.log(1e-3)], [np.log(1e-1), np.log(1e2)]]
    return np.array(b)


def kernel_from_dists(hp, D, Dbar2) -> np.ndarray:
    """``a1 exp(-sum_i b_i D_i) + a2 exp(-sum_i c_i Dbar2_i)`` for log hyper-parameters ``hp`` (code
    order, see ``hp_bounds``); ``D``, ``Dbar2``: (k, n1, n2) distances and squared normalised distances."""
    e = np.exp(np.asarray(hp, dtype=np.float64))
    b, c = e[3::2], e[4::2]
    return e[1] * np.exp(-np.tensordot(b, D, axes=1)) + e[2] * np.exp(-np.tensordot(c, Dbar2, axes=1))


def log_marginal_likelihood(hp, D, Dbar2, y) -> tuple[float, tuple]:
    """GP log marginal likelihood with the code's median mean and PSD projection of the noise-free Gram
    matrix (``gp_core.GP.compute_log_marginal_likelihood``), computed from one eigendecomposition:
    ``proj(K) + s2 I = V diag(max(w, 0) + s2) V^T``. Returns (lml, (V, 1 / (max(w, 0) + s2), alpha))."""
    y = np.asarray(y, dtype=np.float64)
    K = kernel_from_dists(hp, D, Dbar2)
    w, V = np.linalg.eigh((K + K.T) / 2)
    inv = 1.0 / (np.maximum(w, 0.0) + np.exp(hp[0]))
    r = y - np.median(y)
    Vr = V.T @ r
    alpha = V @ (inv * Vr)
    lml = -0.5 * float(Vr @ (inv * Vr)) + 0.5 * float(np.log(inv).sum()) - 0.5 * len(y) * np.log(2 * np.pi)
    return lml, (V, inv, alpha)


class NASBOT(Optimizer):
    """NASBOT; see the module docstring.

    >>> from fastnas.search import make
    >>> from fastnas.spaces import get_space
    >>> opt = make("nasbot", get_space("nb201"), seed=0)
    >>> len(opt.ask(1)), opt.batch_size
    (1, 1)
    """

    name = "nasbot"
    _defaults = {"n_init": 10, "struct_coeffs": STRUCT_COEFFS, "nu_nas": 1.0, "acq_evals": None, "hp_evals": 550,
                 "refit_every": 7, "batch": 1, "channels": None, "encoding": None}
    batch_size = 1

    def __init__(self, space, seed=None, **params):
        super().__init__(space, seed=seed, **params)
        self.batch_size = int(self.params["batch"])
        self._reset_cache()
        self._hp, self._fit_n = None, 0

    def _reset_cache(self):
        self._graphs = []
        self._D = np.zeros((len(self.params["struct_coeffs"]), 0, 0))
        self._Dbar = self._D.copy()
        self._cand = {}   # cell key -> (graph, D (k, m) to the first m told cells)

    def _validate_params(self) -> None:
        p = self.params
        for k in ("n_init", "hp_evals", "refit_every", "batch", "acq_evals"):
            if k == "acq_evals" and p[k] is None:
                continue
            if isinstance(p[k], bool) or not isinstance(p[k], (int, float, np.integer, np.floating)) \
                    or int(p[k]) != p[k] or int(p[k]) < 1:
                raise ValueError(f"{k} must be an integer >= 1, got {p[k]!r}")
        try:
            s = np.asarray(p["struct_coeffs"], dtype=np.float64)
        except (TypeError, ValueError):
            s = np.array([np.nan])
        if s.ndim != 1 or len(s) == 0 or not (np.isfinite(s).all() and (s >= 0).all()):
            raise ValueError(f"struct_coeffs must be a non-empty sequence of numbers >= 0, got {p['struct_coeffs']!r}")
        if not float(p["nu_nas"]) > 0:
            raise ValueError(f"nu_nas must be > 0, got {p['nu_nas']!r}")
        c = p["channels"]
        if c is not None and (isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 1):
            raise ValueError(f"channels must be None or a positive int, got {c!r}")
        enc = p["encoding"] or (None if self.space.name in _LAYER_SPACES else default_encoding(self.space, ("gcn",)))
        if enc is not None and enc not in self.space.encodings:
            raise ValueError(f"encoding {enc!r} not offered by {self.space.name}: {self.space.encodings}")
        if enc is not None and enc != "gcn":
            raise ValueError(f"encoding {enc!r}: NASBOT's OTMANN reads cell graphs, so encoding must be 'gcn' (the "
                             "op-on-node graph) or None (the cells' layer graphs on nb101/nb201/darts)")

    def _cell_graphs(self, cells):
        enc = self.params["encoding"]
        if enc is None and self.space.name not in _LAYER_SPACES:
            enc = default_encoding(self.space, ("gcn",))
        return cell_graphs(self.space, cells, enc, channels=self.params["channels"])

    def _dist(self, A, B, symmetric=False):
        return distance_matrix(A, B, tuple(self.params["struct_coeffs"]), float(self.params["nu_nas"]),
                               symmetric=symmetric)

    def _update_train(self):
        """Extend the cached graphs and distance matrices to every told cell (the code's
        ``block_augment_array`` of its list of distances)."""
        n_old, n = len(self._graphs), self.n_told
        if n_old == n:
            return
        told = self.cells_[n_old:]
        keys = self.space.key(told).tolist()
        missing = [i for i, q in enumerate(keys) if q not in self._cand]
        built = dict(zip(missing, self._cell_graphs(told[np.array(missing)]) if missing else []))
        new = [built[i] if i in built else self._cand[q][0] for i, q in enumerate(keys)]  # graphs of candidates
        G = self._graphs + new
        k = self._D.shape[0]
        D, Db = np.zeros((k, n, n)), np.zeros((k, n, n))
        D[:, :n_old, :n_old], Db[:, :n_old, :n_old] = self._D, self._Dbar
        Dx, Dbx = self._dist(G, new)
        D[:, :, n_old:], Db[:, :, n_old:] = Dx, Dbx
        D[:, n_old:, :], Db[:, n_old:, :] = Dx.transpose(0, 2, 1), Dbx.transpose(0, 2, 1)
        self._graphs, self._D, self._Dbar = G, D, Db

    def _fit_gp(self):
        y = self._y
        n = len(y)
        Db2 = self._Dbar ** 2
        if self._hp is None or n - self._fit_n >= int(self.params["refit_every"]):
            var = float(y.std() ** 2) or 1.0
            bounds = hp_bounds(var, self._D.shape[0])

            def neg(hp):
                try:
                    return -log_marginal_likelihood(hp, self._D, Db2, y)[0]
                except np.linalg.LinAlgError:  # pragma: no cover - eigh of a symmetric matrix converges
                    return 1e300

            res = direct(neg, [tuple(b) for b in bounds], eps=1e-5, maxfun=int(self.params["hp_evals"]),
                         locally_biased=False)
            self._hp, self._fit_n = np.asarray(res.x, dtype=np.float64), n
        _, (self._V, self._inv, self._alpha) = log_marginal_likelihood(self._hp, self._D, Db2, y)
        self._median = float(np.median(y))

    def _cand_dists(self, cells):
        """(D, D_bar), (k, len(cells), n_told): distances of candidate cells to the told cells, cached per
        cell key and extended as cells are told (a distance does not depend on the other graphs)."""
        keys = self.space.key(cells).tolist()
        n, k = self.n_told, self._D.shape[0]
        todo = {}
        for i, key in enumerate(keys):
            if key not in self._cand:
                todo.setdefault(0, []).append(i)
            elif self._cand[key][1].shape[1] < n:
                todo.setdefault(self._cand[key][1].shape[1], []).append(i)
        if 0 in todo:
            idx = [i for i in todo[0] if keys[i] not in self._cand]
            new = self._cell_graphs(cells[np.array(idx)]) if idx else []
            for i, g in zip(idx, new):
                self._cand.setdefault(keys[i], (g, np.zeros((k, 0))))
        for m, idx in todo.items():
            uniq = list(dict.fromkeys(keys[i] for i in idx))
            Dx, _ = self._dist([self._cand[q][0] for q in uniq], self._graphs[m:n])
            for r, q in enumerate(uniq):
                g, old = self._cand[q]
                self._cand[q] = (g, np.concatenate([old, Dx[:, r]], axis=1))
        D = np.stack([self._cand[q][1][:, :n] for q in keys], axis=1)
        tm = np.array([self._cand[q][0].total_mass for q in keys])
        tt = np.array([g.total_mass for g in self._graphs])
        return D, D / (tm[:, None] + tt[None, :])

    def _posterior(self, D, Db):
        Ks = kernel_from_dists(self._hp, D, Db ** 2)
        e = np.exp(self._hp)
        mean = self._median + Ks @ self._alpha
        KV = Ks @ self._V
        var = np.maximum(e[1] + e[2] - (KV * KV * self._inv).sum(axis=1), 0.05 * e[0])
        return mean, np.sqrt(var)

    def acq_budget(self, t: int) -> tuple[int, int]:
        """(EI evaluations, mutations per epoch) of the acquisition GA at step ``t``: the code's
        ``clip(25 sqrt(t), 50, 500)`` (``opt/nasbot.py``, NN domain dimension 5) unless ``acq_evals`` is
        set, and ``clip(3 sqrt(evals), 5, 100)`` (``opt/domains.py``)."""
        ev = self.params["acq_evals"]
        ev = int(np.clip(25 * np.sqrt(t), 50, 500)) if ev is None else int(ev)
        return ev, int(np.clip(3 * np.sqrt(ev), 5, 100))

    def _propose(self, n: int):
        from threadpoolctl import threadpool_limits

        # tiny eigendecompositions and LPs: a multi-threaded BLAS only spins (20-100x slower on a busy machine)
        with threadpool_limits(limits=1, user_api="blas"):
            return self._propose_1(n)

    def _propose_1(self, n: int):
        p = self.params
        n_init = int(p["n_init"])
        if self.n_told + self.pending < n_init or self.n_told < 2:
            return self._random_fresh(max(1, min(n, n_init - self.n_told - self.pending)))
        self._update_train()
        self._fit_gp()
        best = float(self._y.max())
        m, s = self._posterior(self._D, self._Dbar)
        # the code's GA (opt/ga_optimiser.py): the initial pool with its EI, then epochs of mutations of
        # parents drawn with replacement with probability exp((ei - mean) / (2 (std + 1e-4))), each child
        # EI-evaluated, until the evaluation budget is spent; the best evaluated new cells are proposed
        n_evals, per_epoch = self.acq_budget(self.n_told + self.pending + 1)
        pool_cells, pool_ei = [self.cells_], [expected_improvement(m, s, best)]
        new_cells, new_ei, keys, n_new = [], [], set(), 0
        for _ in range(4 * n_evals):  # epochs; the bound only matters on a nearly exhausted space
            if n_new >= n_evals:
                break
            cells, ei = self.space.concat(pool_cells), np.concatenate(pool_ei)
            z = (ei - ei.mean()) / (2 * (ei.std() + 1e-4))
            w = np.exp(z - z.max())
            parents = self._rng.choice(len(w), size=per_epoch, p=w / w.sum())
            steps = self._rng.choice(len(_MUTATION_STEPS), size=per_epoch, p=_MUTATION_STEPS) + 1
            kids = cells[parents]
            for k in range(1, int(steps.max()) + 1):   # k modification steps: k successive mutations
                rows = np.flatnonzero(steps >= k)
                if len(rows):
                    mutated = self.space.mutate(kids[rows], rate=1.0, seed=self._draw_seed())
                    kids = self.space.concat([kids[np.setdiff1d(np.arange(len(kids)), rows)], mutated])
                    steps = np.concatenate([steps[np.setdiff1d(np.arange(len(steps)), rows)], steps[rows]])
            kids = self._fresh(kids)
            if len(kids):
                kk = self.space.key(kids)
                kids = kids[~np.isin(kk, np.fromiter(keys, dtype=np.uint64, count=len(keys)))][:n_evals - n_new]
            if len(kids) == 0:
                continue
            keys.update(self.space.key(kids).tolist())
            kei = expected_improvement(*self._posterior(*self._cand_dists(kids)), best)
            pool_cells.append(kids)
            pool_ei.append(kei)
            new_cells.append(kids)
            new_ei.append(kei)
            n_new += len(kids)
        if not new_cells:
            return self._random_fresh(n)
        cands = self.space.concat(new_cells)
        ei = np.concatenate(new_ei)
        if len(cands) < n:
            extra = self._random_fresh(n - len(cands) + 5)
            extra = extra[~np.isin(self.space.key(extra), self.space.key(cands))]
            return self.space.concat([cands, extra])[:n]
        return cands[np.argsort(-ei, kind="stable")[:n]]

    def _extra_state(self) -> dict:
        return {"hp": None if self._hp is None else self._hp.tolist(), "fit_n": int(self._fit_n)}

    def _load_extra_state(self, state: dict) -> None:
        self._reset_cache()  # distances are rebuilt from the cells
        self.batch_size = int(self.params["batch"])
        hp = state.get("hp")
        self._hp = None if hp is None else np.asarray(hp, dtype=np.float64)
        self._fit_n = int(state.get("fit_n", 0))

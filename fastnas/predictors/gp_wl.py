"""GP-WL: a Gaussian process with the Weisfeiler-Lehman subtree graph kernel (Ru, Wan, Dong & Osborne
2021, "Interpretable Neural Architecture Search via Bayesian Optimisation with Weisfeiler-Lehman
Kernels", ICLR; official code github.com/xingchenwan/nasbowl, as adapted in NASLib's
``naslib/predictors/gp/gpwl.py`` with ``gpwl_utils/wl_kernel.py`` and ``convert.py``).

Definition (Shervashidze et al. 2011, JMLR 12, WL subtree kernel): every node starts with its operation
label; iteration ``i`` relabels node ``v`` by the pair (its label, the sorted multiset of its
successors' labels) -- NASLib/grakel read the neighbours from the edge dictionary of a directed graph,
i.e. the out-neighbours. The feature vector ``phi(G)`` counts every label of iterations ``0..h``;
``k(G, G') = sum_i <phi_i(G), phi_i(G')>`` (``optimal_assignment=True``: the histogram intersection
``sum_i sum_l min(phi_il(G), phi_il(G'))``, NASLib's ``wloa`` used in White et al. 2021), then normalised
``k(G, G') / sqrt(k(G, G) k(G', G'))``.

GP as NASLib: targets ``log(1 - acc / 100)`` (``target_transform="log_error"``), standardised
(``std`` with ddof 1); ``h`` chosen in ``0..max_h`` by the marginal likelihood with noise 1e-3; then the
noise variance maximises the (per-point) log marginal likelihood in ``[1e-7, max_noise]``. The mean
is mapped back to accuracy; the standard deviation by the delta method (NASLib returns no std).

NB201 cells become graphs as NASLib's ``convert_n201_arch_to_graph``: input, six operation nodes,
output; ``none`` nodes are removed, ``skip_connect`` nodes are removed and their inputs wired to their
outputs, then (one sweep) operation nodes left without inputs or outputs are removed. Other inputs:
a list of ``(adjacency (V, V) 0/1, labels (V,) hashable)`` pairs.

A cell whose conversion leaves an empty graph (no input-output path; NB201 has 341 such cells) is left
out of training and predicted as ``empty_value`` (0.0, NASLib's choice: such a cell trains to chance
accuracy, so it ranks last) with standard deviation 0.

Deviations: the noise is found by a bounded scalar search (scipy) instead of 200 Adam steps on the same
objective.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import minimize_scalar

from ._base import Predictor

# NB201 op codes (fastnas.spaces.nb201.OPS order) and NASLib's op-node DAG in arch-string edge order
_NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
_NB201_EDGES = ((0, 1), (0, 2), (0, 4), (1, 3), (1, 5), (2, 6), (3, 6), (4, 7), (5, 7), (6, 7))


def nb201_graph(ops) -> tuple[dict[int, set], dict[int, str]]:
    """NASLib's NB201 op-node graph of one cell (six op codes): (successors, labels).

    >>> succ, lab = nb201_graph([3, 0, 1, 3, 0, 2])
    >>> sorted(lab.items())
    [(0, 'input'), (1, 'nor_conv_3x3'), (4, 'nor_conv_3x3'), (6, 'nor_conv_1x1'), (7, 'output')]
    """
    ops = [int(o) for o in ops]
    if len(ops) != 6 or min(ops) < 0 or max(ops) > 4:
        raise ValueError(f"an NB201 cell has 6 op codes in 0..4, got {ops}")
    labels = {0: "input", 7: "output", **{i + 1: _NB201_OPS[o] for i, o in enumerate(ops)}}
    succ = {v: set() for v in range(8)}
    for a, b in _NB201_EDGES:
        succ[a].add(b)
    pred = {v: {a for a in succ if v in succ[a]} for v in succ}
    drop = [v for v in range(1, 7) if labels[v] in ("none", "skip_connect")]
    for v in drop:
        if labels[v] == "skip_connect":
            for a in pred[v]:
                succ[a] |= succ[v]
    for v in drop:
        succ.pop(v)
        labels.pop(v)
    for a in succ:
        succ[a] -= set(drop)
    pred = {v: {a for a in succ if v in succ[a]} for v in succ}
    gone = [v for v in succ if (v != 0 and not pred[v]) or (v != 7 and not succ[v])]
    for v in gone:
        succ.pop(v)
        labels.pop(v)
    for a in succ:
        succ[a] -= set(gone)
    return succ, labels


def _as_graph(adj, labels) -> tuple[dict[int, set], dict[int, object]]:
    A = np.asarray(adj)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] != len(labels):
        raise ValueError(f"a graph is (adjacency (V, V), labels (V,)); got shapes {A.shape} and {len(labels)}")
    return ({i: set(np.flatnonzero(A[i]).tolist()) for i in range(len(A))},
            {i: labels[i] for i in range(len(A))})


def wl_features(graphs, h: int) -> list[list[Counter]]:
    """Per graph, per iteration 0..h: a Counter of WL labels (labels are nested tuples, so two graphs'
    features are comparable without a shared dictionary)."""
    out = []
    for succ, lab in graphs:
        cur = {v: str(lab[v]) for v in lab}
        feats = [Counter(cur.values())]
        for _ in range(int(h)):
            cur = {v: (cur[v], tuple(sorted(cur[u] for u in succ[v]))) for v in cur}
            feats.append(Counter(cur.values()))
        out.append(feats)
    return out


def wl_kernel(fa, fb, optimal_assignment: bool = False) -> np.ndarray:
    """Unnormalised WL kernel matrix between two lists of ``wl_features``: per iteration, the count
    vectors over the union of labels; the dot product, or (optimal assignment) the histogram
    intersection ``sum_l min(a_l, b_l) = sum_{t >= 1} sum_l [a_l >= t][b_l >= t]``."""
    K = np.zeros((len(fa), len(fb)))
    n_it = min(len(fa[0]), len(fb[0])) if len(fa) and len(fb) else 0
    for it in range(n_it):
        vocab = {}
        for g in (*fa, *fb):
            for k in g[it]:
                vocab.setdefault(k, len(vocab))
        A = np.zeros((len(fa), len(vocab)))
        B = np.zeros((len(fb), len(vocab)))
        for M, gs in ((A, fa), (B, fb)):
            for i, g in enumerate(gs):
                for k, c in g[it].items():
                    M[i, vocab[k]] = c
        if optimal_assignment:
            for t in range(1, int(max(A.max(initial=0), B.max(initial=0))) + 1):
                K += (A >= t).astype(np.float64) @ (B >= t).astype(np.float64).T
        else:
            K += A @ B.T
    return K


def _self_k(f, optimal_assignment):
    return np.array([sum(sum(c.values()) if optimal_assignment else sum(v * v for v in c.values()) for c in g)
                     for g in f], dtype=np.float64)


def _lml(K, y, noise):
    """Per-point log marginal likelihood of a zero-mean GP (NASLib's ``normalize=True``)."""
    try:
        c = cho_factor(K + noise * np.eye(len(K)), lower=True)
    except np.linalg.LinAlgError:
        return -np.inf
    a = cho_solve(c, y)
    return float((-0.5 * y @ a - np.log(np.diag(c[0])).sum() - 0.5 * len(y) * np.log(2 * np.pi)) / len(y))


class GPWL(Predictor):
    """GP with a Weisfeiler-Lehman graph kernel on cell graphs (see the module docstring).

    Parameters
    ----------
    h : int >= 0 or "auto" (chosen in ``0..max_h`` by the marginal likelihood).
    max_h : largest ``h`` tried by "auto" (NASLib: 3).
    optimal_assignment : histogram-intersection base kernel (NASLib ``wloa``) instead of the dot product.
    noise : initial noise variance (standardised targets); ``optimize_noise`` then fits it in
        ``[1e-7, max_noise]``.
    noise_steps : kept for NASLib parity (its Adam steps); the bounded search ignores it.
    target_transform : "log_error" (accuracies in percent -> log(1 - acc/100)) or "none".
    empty_value : prediction for a cell whose graph is empty (left out of training).
    space : the cells' space (NB201) when ``fit``/``predict`` receive ``Cells``.
    normalize : True (default, the paper's kernel): ``k(a, b) / sqrt(k(a, a) k(b, b))``. False: the raw sum
        over the WL levels, as NASLib's ``GraphGP``, which calls ``WeisfeilerLehman.fit_transform`` (no
        normalisation) on the training graphs and on training + test graphs; the ``white2021`` preset sets
        it. The prior variance of a test cell is then its raw ``k(x, x)``.

    Examples
    --------
    >>> from fastnas.spaces import get_space
    >>> s = get_space("nb201"); cells = s.sample(30, seed=0)
    >>> y = 60 + 5.0 * (s._ops(cells) == 3).sum(1)   # more 3x3 convs, higher accuracy
    >>> m = GPWL(space=s).fit(cells, y)
    >>> bool(np.corrcoef(m.predict(cells), y)[0, 1] > 0.9)
    True
    """

    has_uncertainty = True
    min_train_size = 2

    def __init__(self, *, h="auto", max_h: int = 3, optimal_assignment: bool = True, noise: float = 1e-3,
                 optimize_noise: bool = True, max_noise: float = 0.1, noise_steps: int = 200,
                 target_transform: str = "log_error", empty_value: float = 0.0, space=None, normalize: bool = True):
        self.h = h
        self.max_h = max_h
        self.optimal_assignment = optimal_assignment
        self.noise = noise
        self.optimize_noise = optimize_noise
        self.max_noise = max_noise
        self.noise_steps = noise_steps
        self.target_transform = target_transform
        self.empty_value = empty_value
        self.space = space
        self.normalize = normalize

    # -- inputs ----------------------------------------------------------------------------------
    def _graphs(self, X) -> list:
        from ..spaces._cells import Cells

        if isinstance(X, Cells):
            name = getattr(self.space, "name", None)
            ops = getattr(X, "ops", None)
            if name != "nb201" or ops is None:
                raise ValueError("GPWL converts NB201 cells (space=nb201); for other spaces pass a list of "
                                 "(adjacency, labels) pairs")
            return [nb201_graph(o) for o in np.asarray(ops)]
        if isinstance(X, (list, tuple)) and all(isinstance(g, (list, tuple)) and len(g) == 2 for g in X):
            return [_as_graph(a, lab) for a, lab in X]
        raise TypeError("GPWL takes NB201 Cells or a list of (adjacency, labels) pairs, "
                        f"got {type(X).__name__}")

    def _t(self, y):
        if self.target_transform == "log_error":
            if np.any(y >= 100):
                raise ValueError("target_transform='log_error' needs accuracies in percent below 100")
            return np.log(1.0 - y / 100.0)
        if self.target_transform == "none":
            return y
        raise ValueError(f"target_transform must be 'log_error' or 'none', got {self.target_transform!r}")

    def _gram(self, fa, fb, sa, sb):
        K = wl_kernel(fa, fb, self.optimal_assignment)
        return K / np.sqrt(np.outer(sa, sb)) if self.normalize else K

    # -- fit / predict ---------------------------------------------------------------------------
    def fit(self, X, y):
        G = self._graphs(X)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if len(y) != len(G):
            raise ValueError(f"X has {len(G)} graphs but y has {len(y)} values")
        if not np.isfinite(y).all():
            raise ValueError("y contains NaN or inf")
        if len(y) < self.min_train_size:
            raise ValueError(f"GPWL needs at least {self.min_train_size} training points, got {len(y)}")
        keep = np.array([len(g[1]) > 0 for g in G])
        if keep.sum() < self.min_train_size:
            raise ValueError(f"GPWL needs at least {self.min_train_size} non-empty graphs, got {int(keep.sum())}")
        G = [g for g, k in zip(G, keep) if k]
        t = self._t(y[keep])
        self.y_mean_ = float(t.mean())
        self.y_std_ = float(t.std(ddof=1)) or 1.0
        tn = (t - self.y_mean_) / self.y_std_
        if self.h == "auto":
            hs = range(int(self.max_h) + 1)
        elif isinstance(self.h, (int, np.integer)) and self.h >= 0:
            hs = [int(self.h)]
        else:
            raise ValueError(f"h must be a non-negative int or 'auto', got {self.h!r}")
        best = None
        for h in hs:
            f = wl_features(G, h)
            s = _self_k(f, self.optimal_assignment)
            K = self._gram(f, f, s, s)
            lml = _lml(K, tn, float(self.noise))
            if best is None or lml > best[0]:
                best = (lml, h, f, s, K)
        _, self.h_, self.train_features_, self.train_self_k_, K = best
        noise = float(self.noise)
        if self.optimize_noise:
            r = minimize_scalar(lambda ln: -_lml(K, tn, np.exp(ln)), bounds=(np.log(1e-7), np.log(self.max_noise)),
                                method="bounded")
            noise = float(np.exp(r.x)) if -r.fun >= _lml(K, tn, noise) else noise
        self.noise_ = noise
        self.chol_ = cho_factor(K + noise * np.eye(len(K)), lower=True)
        self.alpha_ = cho_solve(self.chol_, tn)
        self.n_features_in_ = 1  # graphs, not a feature matrix
        return self

    def predict(self, X, return_std: bool = False):
        if not hasattr(self, "alpha_"):
            raise RuntimeError("GPWL is not fitted; call fit first")
        G = self._graphs(X)
        keep = np.array([len(g[1]) > 0 for g in G], dtype=bool)
        mean = np.full(len(G), float(self.empty_value))
        std = np.zeros(len(G))
        if keep.any():
            m, sd = self._predict_graphs([g for g, k in zip(G, keep) if k])
            mean[keep], std[keep] = m, sd
        return (mean, std) if return_std else mean

    def _predict_graphs(self, G):
        f = wl_features(G, self.h_)
        s = _self_k(f, self.optimal_assignment)
        Ks = self._gram(self.train_features_, f, self.train_self_k_, s)
        mu = Ks.T @ self.alpha_
        kss = 1.0 if self.normalize else s  # k(x, x): 1 for the normalised kernel
        var = np.maximum(kss + self.noise_ - np.sum(Ks * cho_solve(self.chol_, Ks), axis=0), self.noise_)
        mean_t = mu * self.y_std_ + self.y_mean_
        std_t = np.sqrt(var) * self.y_std_
        if self.target_transform == "log_error":
            mean, std = 100.0 * (1.0 - np.exp(mean_t)), 100.0 * np.exp(mean_t) * std_t
        else:
            mean, std = mean_t, std_t
        return mean, std

    def predict_dist(self, X):
        return self.predict(X, return_std=True)


__all__ = ["GPWL", "nb201_graph", "wl_features", "wl_kernel"]

"""Sparse Gaussian process regression (Titsias 2009 variational inducing points, "SGPR").

RBF kernel with one length-scale on the (standardised-target) feature matrix; ``num_inducing`` inducing
inputs chosen as a seeded random subset of the training rows; length-scale, signal variance and noise
variance maximise the collapsed variational lower bound
``log N(y | 0, Q + s2 I) - tr(K - Q) / (2 s2)`` with ``Q = K_nm K_mm^-1 K_mn`` (L-BFGS over log values).
Cost O(n m^2) per bound evaluation instead of the exact GP's O(n^3).
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular
from scipy.optimize import minimize

from .._rng import as_generator
from ._base import Predictor

_JITTER = 1e-6


def _sqdist(A, B):
    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    return np.maximum(d, 0.0)


def _bound(logp, Dmm, Dmn, y):
    ell, sf2, s2 = np.exp(logp)
    m, n = Dmn.shape
    Kmm = sf2 * np.exp(-0.5 * Dmm / ell**2) + _JITTER * sf2 * np.eye(m)
    Kmn = sf2 * np.exp(-0.5 * Dmn / ell**2)
    try:
        L = np.linalg.cholesky(Kmm)
        A = solve_triangular(L, Kmn, lower=True) / np.sqrt(s2)
        B = np.eye(m) + A @ A.T
        LB = np.linalg.cholesky(B)
    except np.linalg.LinAlgError:
        return 1e25
    c = solve_triangular(LB, A @ y, lower=True) / np.sqrt(s2)
    logdet = 2.0 * np.log(np.diag(LB)).sum() + n * np.log(s2)
    quad = y @ y / s2 - c @ c
    trace = (n * sf2) / s2 - (A * A).sum()
    val = -0.5 * (n * np.log(2 * np.pi) + logdet + quad) - 0.5 * trace
    return -val if np.isfinite(val) else 1e25


class SparseGP(Predictor):
    """Sparse variational GP (SGPR) with an RBF kernel.

    Parameters
    ----------
    num_inducing : number of inducing points (at most the training size).
    space, encoding : used when given ``Cells``.
    seed : selects the inducing rows.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((60, 2)); y = np.sin(3 * X[:, 0])
    >>> mean, std = SparseGP(num_inducing=20, seed=0).fit(X, y).predict_dist(X[:3])
    >>> bool(np.all(std > 0))
    True
    """

    has_uncertainty = True
    min_train_size = 3

    def __init__(self, *, num_inducing: int = 50, space=None, encoding: str = "adjacency", seed=0):
        self.num_inducing = num_inducing
        self.space = space
        self.encoding = encoding
        self.seed = seed

    def _fit(self, F, y):
        if int(self.num_inducing) < 1:
            raise ValueError(f"num_inducing must be >= 1, got {self.num_inducing}")
        self.y_mean_ = float(y.mean())
        self.y_std_ = float(y.std()) or 1.0
        yn = (y - self.y_mean_) / self.y_std_
        rng = as_generator(self.seed)
        m = min(int(self.num_inducing), len(F))
        self.inducing_ = F[np.sort(rng.choice(len(F), size=m, replace=False))].copy()
        med = np.sqrt(np.median(_sqdist(F, F)[np.triu_indices(len(F), 1)])) if len(F) > 1 else 1.0
        Z = self.inducing_
        args = (_sqdist(Z, Z), _sqdist(Z, F), yn)
        # a few starts (length-scale around the median distance, small and moderate noise): the bound
        # has a trivial "all noise" optimum that a single start can fall into
        res = None
        for ls_mult, noise in ((1.0, 0.01), (3.0, 0.01), (1.0, 0.2)):
            x0 = np.log([max(med * ls_mult, 1e-2), 1.0, noise])
            r = minimize(_bound, x0, args=args, method="L-BFGS-B",
                         bounds=[(-5, 5), (-5, 5), (np.log(1e-6), 2)], options={"maxiter": 60})
            if res is None or r.fun < res.fun:
                res = r
        self.log_hypers_ = np.asarray(res.x, dtype=np.float64)
        self._posterior(F, yn)

    def _posterior(self, F, yn):
        ell, sf2, s2 = np.exp(self.log_hypers_)
        Z = self.inducing_
        m = len(Z)
        Kmm = sf2 * np.exp(-0.5 * _sqdist(Z, Z) / ell**2) + _JITTER * sf2 * np.eye(m)
        Kmn = sf2 * np.exp(-0.5 * _sqdist(Z, F) / ell**2)
        L = np.linalg.cholesky(Kmm)
        A = solve_triangular(L, Kmn, lower=True) / np.sqrt(s2)
        LB = np.linalg.cholesky(np.eye(m) + A @ A.T)
        c = solve_triangular(LB, A @ yn, lower=True) / np.sqrt(s2)
        self.chol_mm_ = L
        self.chol_b_ = LB
        self.c_ = c

    def _predict_dist(self, F):
        ell, sf2, s2 = np.exp(self.log_hypers_)
        Ksm = sf2 * np.exp(-0.5 * _sqdist(self.inducing_, F) / ell**2)
        t1 = solve_triangular(self.chol_mm_, Ksm, lower=True)
        t2 = solve_triangular(self.chol_b_, t1, lower=True)
        mean = t2.T @ self.c_
        var = sf2 - (t1 * t1).sum(0) + (t2 * t2).sum(0) + s2
        return mean * self.y_std_ + self.y_mean_, np.sqrt(np.maximum(var, 1e-12)) * self.y_std_

    def _predict(self, F):
        return self._predict_dist(F)[0]


__all__ = ["SparseGP"]

"""Bayesian linear regression with evidence-maximised precisions (MacKay 1992; the DNGO / BONAS head).

Model: y = w . phi(x) + b + eps, w ~ N(0, alpha^-1 I), eps ~ N(0, beta^-1). ``alpha`` and ``beta`` are
fitted by MacKay's fixed-point updates of the log evidence (Bishop, PRML section 3.5.2) on standardised
targets; the posterior gives a predictive mean and standard deviation (noise included).
"""
from __future__ import annotations

import numpy as np

from ._base import Predictor


class BayesianLinearRegression(Predictor):
    """Bayesian linear regression (see the module docstring).

    Parameters
    ----------
    space, encoding : used when given ``Cells`` (default encoding ``path_trunc``)
    alpha, beta : initial prior and noise precisions
    max_iter, tol : evidence-maximisation iterations and relative tolerance
    fit_precisions : if False keep ``alpha`` and ``beta`` fixed

    Attributes (after ``fit``): ``coef_``, ``cov_`` (posterior mean and covariance of ``w`` on the centred
    features, standardised targets), ``alpha_``, ``beta_`` (fitted precisions), ``n_iter_`` (evidence
    updates run).

    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((30, 3)); y = X @ [1.0, 2.0, 3.0]
    >>> m = BayesianLinearRegression().fit(X, y)
    >>> bool(np.abs(m.predict(X) - y).max() < 0.05)
    True
    """

    has_uncertainty = True
    min_train_size = 2

    def __init__(self, *, space=None, encoding="path_trunc", alpha=1.0, beta=1.0, max_iter=100, tol=1e-6,
                 fit_precisions=True):
        self.space = space
        self.encoding = encoding
        self.alpha = alpha
        self.beta = beta
        self.max_iter = max_iter
        self.tol = tol
        self.fit_precisions = fit_precisions

    def _fit(self, F, y):
        self.x_mean_ = F.mean(axis=0)
        self.y_mean_ = float(y.mean())
        self.y_scale_ = float(y.std()) or 1.0
        P = F - self.x_mean_
        t = (y - self.y_mean_) / self.y_scale_
        n, d = P.shape
        alpha, beta = float(self.alpha), float(self.beta)
        evals = np.linalg.eigvalsh(P.T @ P)
        evals = np.clip(evals, 0.0, None)
        PtP, Pt_t = P.T @ P, P.T @ t
        self.n_iter_ = 0
        for _ in range(int(self.max_iter) if self.fit_precisions else 0):
            self.n_iter_ += 1
            A = alpha * np.eye(d) + beta * PtP
            m = beta * np.linalg.solve(A, Pt_t)
            lam = beta * evals
            gamma = float(np.sum(lam / (lam + alpha)))
            new_alpha = gamma / max(float(m @ m), 1e-12)
            resid = float(np.sum((t - P @ m) ** 2))
            new_beta = max(n - gamma, 1e-6) / max(resid, 1e-12)
            new_alpha = min(max(new_alpha, 1e-8), 1e8)
            new_beta = min(max(new_beta, 1e-8), 1e8)
            done = abs(new_alpha - alpha) <= self.tol * alpha and abs(new_beta - beta) <= self.tol * beta
            alpha, beta = new_alpha, new_beta
            if done:
                break
        A = alpha * np.eye(d) + beta * PtP
        self.cov_ = np.linalg.inv(A)
        self.coef_ = beta * self.cov_ @ Pt_t
        self.alpha_, self.beta_ = alpha, beta

    def _predict(self, F):
        return ((F - self.x_mean_) @ self.coef_) * self.y_scale_ + self.y_mean_

    def _predict_dist(self, F):
        P = F - self.x_mean_
        var = 1.0 / self.beta_ + np.einsum("ij,jk,ik->i", P, self.cov_, P)
        return (P @ self.coef_) * self.y_scale_ + self.y_mean_, np.sqrt(var) * self.y_scale_

"""DNGO: Deep Networks for Global Optimization (Snoek et al. 2015).

A tanh MLP is trained on (features, standardised y); Bayesian linear regression on its last hidden layer
(plus a bias feature) then gives a Gaussian predictive distribution. The prior precision ``alpha`` and
noise precision ``beta`` maximise the evidence of the linear model (closed form log marginal likelihood,
L-BFGS over their logs), as in the paper (which also places a horseshoe/lognormal prior we omit).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from .._rng import as_generator
from . import _torchnet as tn
from ._base import Predictor


def _neg_evidence(logab, Phi, y):
    alpha, beta = np.exp(logab)
    n, d = Phi.shape
    A = beta * Phi.T @ Phi + alpha * np.eye(d)
    try:
        L = np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        return 1e25
    m = beta * np.linalg.solve(A, Phi.T @ y)
    r = y - Phi @ m
    val = (0.5 * d * np.log(alpha) + 0.5 * n * np.log(beta) - 0.5 * beta * r @ r - 0.5 * alpha * m @ m
           - np.log(np.diag(L)).sum() - 0.5 * n * np.log(2 * np.pi))
    return -val if np.isfinite(val) else 1e25


class DNGO(Predictor):
    """Neural network features + Bayesian linear regression output layer.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((40, 3)); y = X[:, 0]
    >>> mean, std = DNGO(epochs=50, seed=0).fit(X, y).predict_dist(X[:2])  # doctest: +SKIP
    """

    has_uncertainty = True
    min_train_size = 3

    def __init__(self, *, hidden: tuple = (50, 50, 50), epochs: int = 200, batch_size: int = 32,
                 lr: float = 1e-2, weight_decay: float = 0.0, space=None, encoding: str = "adjacency", seed=0,
                 n_threads: int = 1):
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.space = space
        self.encoding = encoding
        self.seed = seed
        self.n_threads = n_threads

    def _phi(self, F):
        with tn.threads(self.n_threads):
            return self._phi_net(F)

    def _phi_net(self, F):
        import torch

        params = tn.to_torch(self.weights_)
        with torch.no_grad():
            h = tn.forward(params, torch.as_tensor(F), act="tanh", upto=len(self.hidden))
            h = torch.tanh(h)
        H = h.numpy()
        return np.hstack([H, np.ones((len(F), 1))])

    def _fit(self, F, y):
        with tn.threads(self.n_threads):
            self._fit_net(F, y)

    def _fit_net(self, F, y):
        import torch

        rng = as_generator(self.seed)
        self.y_mean_ = float(y.mean())
        self.y_std_ = float(y.std()) or 1.0
        yn = torch.as_tensor((y - self.y_mean_) / self.y_std_)
        X = torch.as_tensor(F)
        params = tn.to_torch(tn.init_mlp([F.shape[1], *self.hidden, 1], rng))

        def loss(idx):
            return ((tn.forward(params, X[idx], act="tanh")[:, 0] - yn[idx]) ** 2).mean()

        tn.train(params, loss, len(F), epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, rng=rng,
                 weight_decay=self.weight_decay)
        self.weights_ = tn.to_numpy(params)
        Phi = self._phi(F)
        ynp = yn.numpy()
        res = minimize(_neg_evidence, np.log([1.0, 100.0]), args=(Phi, ynp), method="L-BFGS-B",
                       bounds=[(-10, 10), (-5, 15)])
        alpha, beta = np.exp(res.x)
        A = beta * Phi.T @ Phi + alpha * np.eye(Phi.shape[1])
        self.alpha_, self.beta_ = float(alpha), float(beta)
        self.cov_ = np.linalg.inv(A)
        self.mean_weights_ = beta * self.cov_ @ Phi.T @ ynp

    def _predict_dist(self, F):
        Phi = self._phi(F)
        mean = Phi @ self.mean_weights_
        var = 1.0 / self.beta_ + np.einsum("ij,jk,ik->i", Phi, self.cov_, Phi)
        return mean * self.y_std_ + self.y_mean_, np.sqrt(var) * self.y_std_

    def _predict(self, F):
        return self._predict_dist(F)[0]

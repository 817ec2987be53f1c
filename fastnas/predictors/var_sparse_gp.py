"""Variational sparse GP with an explicit Gaussian q(u) ("SVGP": Titsias 2009's inducing-point
variational bound, uncollapsed as in Hensman, Fusi & Lawrence 2013 / Hensman, Matthews & Ghahramani
2015), the model of NASLib's ``naslib/predictors/gp/var_sparse_gp.py`` (pyro
``pyro.contrib.gp.models.VariationalSparseGP``, whitened, Gaussian likelihood) used as "Var. sparse GP"
in White et al. 2021.

Whitened parameterisation: ``u = L v`` with ``K_uu = L L^T`` and ``q(v) = N(m, S)``, ``S = R R^T``
(``R`` lower triangular). With ``A = L^-1 K_uf`` the marginals are ``q(f_i) = N(a_i^T m,
k_ii - a_i^T a_i + a_i^T S a_i)`` and the evidence lower bound (``elbo``) is

    ELBO = sum_i [ -1/2 log(2 pi s2) - ((y_i - mu_i)^2 + sigma_i^2) / (2 s2) ] - KL(N(m, S) || N(0, I)),
    KL = 1/2 (tr S + m^T m - M - log det S).

At the optimal ``q`` this equals Titsias's collapsed bound, which ``fastnas.predictors.sparse_gp``
maximises in closed form (that module is the collapsed SGPR of Titsias 2009, i.e. pyro's
``SparseGPRegression(approx="VFE")`` of NASLib's ``sparse_gp``); here ``m``, ``R``, the inducing inputs
``Z``, the RBF length-scale, signal and noise variances are all optimised jointly by Adam on the
negative ELBO, as pyro's ``VariationalSparseGP`` is. Targets are standardised.

``inducing_init="naslib"`` places the ``M`` inducing inputs as NASLib does (``Z_j = j/2`` in every
coordinate); ``"subset"`` (default) uses a seeded random subset of the training rows.
"""
from __future__ import annotations

import numpy as np

from .._rng import as_generator
from . import _torchnet as tn
from ._base import Predictor

_JITTER = 1e-6


def _rbf(A, B, ell, sf2):
    import torch

    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    return sf2 * torch.exp(-0.5 * d.clamp(min=0.0) / ell**2)


def elbo(X, y, Z, m, R, ell, sf2, s2):
    """The ELBO above (torch float64 tensors; ``R`` lower triangular with positive diagonal)."""
    import torch

    M = len(Z)
    Kuu = _rbf(Z, Z, ell, sf2) + _JITTER * sf2 * torch.eye(M, dtype=X.dtype)
    L = torch.linalg.cholesky(Kuu)
    A = torch.linalg.solve_triangular(L, _rbf(Z, X, ell, sf2), upper=False)
    mu = A.T @ m
    RA = R.T @ A
    var = sf2 - (A * A).sum(0) + (RA * RA).sum(0)
    ll = (-0.5 * torch.log(2 * np.pi * s2) - ((y - mu) ** 2 + var) / (2 * s2)).sum()
    kl = 0.5 * ((R * R).sum() + m @ m - M - 2.0 * torch.log(torch.diagonal(R)).sum())
    return ll - kl


class VarSparseGP(Predictor):
    """Variational sparse GP with an RBF kernel (see the module docstring).

    Parameters
    ----------
    num_inducing : number of inducing inputs M (at most the training size for ``"subset"``).
    steps, lr : Adam iterations and step size on the negative ELBO.
    inducing_init : "subset" or "naslib".
    space, encoding : used when given ``Cells``.
    seed : int or Generator (inducing subset).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((50, 2)); y = np.sin(3 * X[:, 0])
    >>> m = VarSparseGP(num_inducing=10, steps=300, seed=0).fit(X, y)
    >>> bool(np.corrcoef(m.predict(X), y)[0, 1] > 0.9)
    True
    """

    has_uncertainty = True
    min_train_size = 3

    def __init__(self, *, num_inducing: int = 50, steps: int = 500, lr: float = 0.01, inducing_init: str = "subset",
                 space=None, encoding: str = "adjacency", seed=0, n_threads: int = 1):
        self.num_inducing = num_inducing
        self.steps = steps
        self.lr = lr
        self.inducing_init = inducing_init
        self.space = space
        self.encoding = encoding
        self.seed = seed
        self.n_threads = n_threads

    def _fit(self, F, y):
        import torch

        M = int(self.num_inducing)
        if M < 1 or int(self.steps) < 1:
            raise ValueError(f"num_inducing and steps must be >= 1, got {self.num_inducing}, {self.steps}")
        rng = as_generator(self.seed)
        if self.inducing_init == "subset":
            M = min(M, len(F))
            Z0 = F[np.sort(rng.choice(len(F), size=M, replace=False))]
        elif self.inducing_init == "naslib":
            Z0 = np.repeat((np.arange(M, dtype=np.float64) / 2.0)[:, None], F.shape[1], axis=1)
        else:
            raise ValueError(f"inducing_init must be 'subset' or 'naslib', got {self.inducing_init!r}")
        self.y_mean_ = float(y.mean())
        self.y_std_ = float(y.std()) or 1.0
        X = torch.as_tensor(F)
        yt = torch.as_tensor((y - self.y_mean_) / self.y_std_)
        Z = torch.tensor(Z0, requires_grad=True)
        m = torch.zeros(M, dtype=torch.float64, requires_grad=True)
        R_off = torch.zeros(M, M, dtype=torch.float64, requires_grad=True)
        R_logd = torch.zeros(M, dtype=torch.float64, requires_grad=True)
        logh = torch.zeros(3, dtype=torch.float64, requires_grad=True)  # log ell, log sf2, log s2 (pyro: 1, 1, 1)
        params = [Z, m, R_off, R_logd, logh]
        with tn.threads(self.n_threads):
            opt = torch.optim.Adam(params, lr=float(self.lr))
            for _ in range(int(self.steps)):
                opt.zero_grad()
                R = torch.tril(R_off, -1) + torch.diag(torch.exp(R_logd))
                ell, sf2, s2 = torch.exp(logh)
                loss = -elbo(X, yt, Z, m, R, ell, sf2, s2 + 1e-6)
                loss.backward()
                opt.step()
            with torch.no_grad():
                R = torch.tril(R_off, -1) + torch.diag(torch.exp(R_logd))
                ell, sf2, s2 = torch.exp(logh)
                self.elbo_ = float(elbo(X, yt, Z, m, R, ell, sf2, s2 + 1e-6))
        self.inducing_ = Z.detach().numpy().copy()
        self.q_mean_ = m.detach().numpy().copy()
        self.q_chol_ = R.detach().numpy().copy()
        self.hypers_ = np.array([float(ell), float(sf2), float(s2) + 1e-6])

    def _predict_dist(self, F):
        import torch

        ell, sf2, s2 = (torch.tensor(v) for v in self.hypers_)
        Z = torch.as_tensor(self.inducing_)
        X = torch.as_tensor(F)
        with torch.no_grad():
            Kuu = _rbf(Z, Z, ell, sf2) + _JITTER * sf2 * torch.eye(len(Z), dtype=torch.float64)
            L = torch.linalg.cholesky(Kuu)
            A = torch.linalg.solve_triangular(L, _rbf(Z, X, ell, sf2), upper=False)
            mu = A.T @ torch.as_tensor(self.q_mean_)
            RA = torch.as_tensor(self.q_chol_).T @ A
            var = (sf2 - (A * A).sum(0) + (RA * RA).sum(0)).clamp(min=1e-12) + s2
        return mu.numpy() * self.y_std_ + self.y_mean_, np.sqrt(var.numpy()) * self.y_std_

    def _predict(self, F):
        return self._predict_dist(F)[0]


__all__ = ["VarSparseGP", "elbo"]

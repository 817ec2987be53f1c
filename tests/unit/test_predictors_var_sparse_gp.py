"""Variational sparse GP: the ELBO on 3 points by hand, and equal to Titsias's collapsed bound at the
optimal q(u)."""
import numpy as np
import pytest
import torch

from fastnas.predictors import make
from fastnas.predictors.sparse_gp import _bound, _sqdist
from fastnas.predictors.var_sparse_gp import VarSparseGP, elbo

t = torch.tensor


def test_elbo_three_points_by_hand():
    # X = 0, 1, 2; y = 1, 0, -1; one inducing input at 0; ell = sf2 = s2 = 1; q(v) = N(0.5, 1).
    # A = k(0, x) = (1, e^-1/2, e^-2); mu = A/2; var_f = 1 - A^2 + A^2 = 1
    # ELBO = -3/2 log 2pi - (0.25 + 0.303265^2 + 1.067668^2 + 3)/2 - 1/2 (1 + 0.25 - 1) = -5.1227577
    X = t([[0.0], [1.0], [2.0]], dtype=torch.float64)
    y = t([1.0, 0.0, -1.0], dtype=torch.float64)
    val = elbo(X, y, X[:1], t([0.5], dtype=torch.float64), t([[1.0]], dtype=torch.float64),
               t(1.0, dtype=torch.float64), t(1.0, dtype=torch.float64), t(1.0, dtype=torch.float64))
    assert float(val) == pytest.approx(-5.1227577, abs=1e-6)


def test_elbo_at_optimal_q_is_titsias_bound():
    rng = np.random.default_rng(0)
    X, y, Z = rng.random((3, 2)), rng.normal(size=3), rng.random((2, 2))
    ell, sf2, s2 = 0.7, 1.3, 0.2
    # optimal whitened q: S = (I + A A^T / s2)^-1, m = S A y / s2
    Kuu = sf2 * np.exp(-0.5 * _sqdist(Z, Z) / ell**2) + 1e-6 * sf2 * np.eye(2)
    L = np.linalg.cholesky(Kuu)
    A = np.linalg.solve(L, sf2 * np.exp(-0.5 * _sqdist(Z, X) / ell**2))
    S = np.linalg.inv(np.eye(2) + A @ A.T / s2)
    m = S @ A @ y / s2
    T = lambda a: t(np.asarray(a), dtype=torch.float64)  # noqa: E731
    val = elbo(T(X), T(y), T(Z), T(m), T(np.linalg.cholesky(S)), T(ell), T(sf2), T(s2))
    titsias = -_bound(np.log([ell, sf2, s2]), _sqdist(Z, Z), _sqdist(Z, X), y)
    assert float(val) == pytest.approx(titsias, rel=1e-9)


def test_fit_predict_and_preset():
    rng = np.random.default_rng(1)
    X = (rng.random((60, 6)) < 0.4).astype(float)
    y = X @ rng.normal(size=6)
    m = make("var_sparse_gp", preset="white2021", seed=0)
    assert (m.num_inducing, m.inducing_init) == (10, "naslib")
    m.fit(X[:40], y[:40])
    assert m.inducing_.shape == (10, 6)
    a = VarSparseGP(num_inducing=15, steps=300, seed=0).fit(X[:40], y[:40])
    mean, std = a.predict(X[40:], return_std=True)
    assert np.corrcoef(mean, y[40:])[0, 1] > 0.8 and np.all(std > 0)
    b = VarSparseGP(num_inducing=15, steps=300, seed=0).fit(X[:40], y[:40])
    np.testing.assert_array_equal(mean, b.predict(X[40:]))


def test_errors():
    X, y = np.random.default_rng(0).random((5, 2)), np.arange(5.0)
    with pytest.raises(ValueError, match="inducing_init"):
        VarSparseGP(inducing_init="x").fit(X, y)
    with pytest.raises(ValueError, match="num_inducing"):
        VarSparseGP(num_inducing=0).fit(X, y)


def test_public_contract():
    from fastnas.testing import check_predictor

    check_predictor(VarSparseGP(num_inducing=10, steps=150, seed=0))

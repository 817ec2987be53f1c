"""The predictors used inside the search algorithms: MLP ensemble, GCN, BLR, GP."""
from __future__ import annotations

import numpy as np
import pytest

from fastnas.predictors.blr import BayesianLinearRegression
from fastnas.predictors.gp import GaussianProcess
from fastnas.sim.synthetic import SyntheticBenchmark, ToySpace


def _linear(n=60, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = (rng.random((n, d)) < 0.4).astype(float)
    return X, X @ np.arange(1.0, d + 1) + 3.0


def test_blr_fixed_precisions_equals_closed_form():
    X, y = _linear()
    y = y + np.random.default_rng(1).normal(scale=0.1, size=len(y))
    m = BayesianLinearRegression(alpha=2.0, beta=5.0, fit_precisions=False).fit(X, y)
    P = X - X.mean(0)
    t = (y - y.mean()) / y.std()
    A = 2.0 * np.eye(X.shape[1]) + 5.0 * P.T @ P
    w = np.linalg.solve(A, 5.0 * P.T @ t)
    Xq = X[:5] + 0.5
    Pq = Xq - X.mean(0)
    np.testing.assert_allclose(m.predict(Xq), (Pq @ w) * y.std() + y.mean(), rtol=1e-10)
    var = 1 / 5.0 + np.einsum("ij,jk,ik->i", Pq, np.linalg.inv(A), Pq)
    np.testing.assert_allclose(m.predict_dist(Xq)[1], np.sqrt(var) * y.std(), rtol=1e-10)


def test_blr_evidence_fits_noise_level():
    X, y = _linear(n=400)
    y = y + np.random.default_rng(2).normal(scale=0.5, size=len(y))
    m = BayesianLinearRegression().fit(X, y)
    noise_sd = np.sqrt(1 / m.beta_) * m.y_scale_
    assert 0.4 < noise_sd < 0.6


@pytest.mark.parametrize("kernel", ["distance", "rbf"])
def test_gp_posterior_formula(kernel):
    X, y = _linear(n=25)
    m = GaussianProcess(kernel=kernel, length_scales=(1.0,), noises=(1e-2,)).fit(X, y)
    from scipy.spatial.distance import cdist

    D = cdist(X, X, "cityblock" if kernel == "distance" else "sqeuclidean")
    ls = m.length_scale_
    k = (lambda D: np.exp(-D / ls)) if kernel == "distance" else (lambda D: np.exp(-D / (2 * ls * ls)))
    t = (y - y.mean()) / y.std()
    Xq = np.random.default_rng(3).random((4, X.shape[1]))
    Dq = cdist(Xq, X, "cityblock" if kernel == "distance" else "sqeuclidean")
    K = k(D) + 1e-2 * np.eye(len(X))
    mean = k(Dq) @ np.linalg.solve(K, t) * y.std() + y.mean()
    var = 1 + 1e-2 - np.einsum("ij,ji->i", k(Dq), np.linalg.solve(K, k(Dq).T))
    got_m, got_s = m.predict_dist(Xq)
    np.testing.assert_allclose(got_m, mean, rtol=1e-8)
    np.testing.assert_allclose(got_s, np.sqrt(var) * y.std(), rtol=1e-6)


def test_gp_bad_kernel():
    with pytest.raises(ValueError, match="kernel"):
        GaussianProcess(kernel="cosine").fit(*_linear())


def test_mlp_ensemble_learns_and_is_seeded(tmp_path):
    pytest.importorskip("torch")
    from fastnas.predictors.mlp import MLP, MLPEnsemble

    X, y = _linear(n=64)
    a = MLPEnsemble(seed=0, epochs=60).fit(X, y)
    b = MLPEnsemble(seed=0, epochs=60).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert np.abs(a.predict(X) - y).mean() < 0.5
    mean, std = a.predict_dist(X[:10])
    assert (std > 0).all()  # members differ
    assert [w.shape for w in a.weights_][:2] == [(5, 6, 20), (5, 1, 20)] and len(a.weights_) == 22
    single = MLP(seed=0, epochs=10).fit(X, y)
    assert not single.has_uncertainty and single.predict(X).shape == (64,)
    with pytest.raises(ValueError, match="loss"):
        MLPEnsemble(loss="huber").fit(X, y)


def test_mlp_ensemble_restores_thread_count():
    torch = pytest.importorskip("torch")
    from fastnas.predictors.mlp import MLPEnsemble

    before = torch.get_num_threads()
    MLPEnsemble(epochs=2, n_threads=1).fit(*_linear())
    assert torch.get_num_threads() == before


def test_gcn_on_toy_space_and_nodes_inference():
    pytest.importorskip("torch")
    from fastnas.predictors.gcn import GCNPredictor, infer_nodes

    b = SyntheticBenchmark(ToySpace(4, 3), seed=0, pair=0.0)
    cells = b.space.enumerate()
    y = b.query(cells)
    F = b.space.encode(cells, "gcn")
    assert infer_nodes(F) == 6
    m = GCNPredictor(space=b.space, epochs=150, seed=0).fit(cells, y)
    from scipy.stats import kendalltau

    assert kendalltau(m.predict(cells), y)[0] > 0.6
    assert m.embed(cells).shape == (len(cells), 64)

"""BOHAMIANN (Springenberg et al. 2016): one adaptive SGHMC step by hand and against a slow loop."""
import math

import numpy as np
import pytest
import torch

from fastnas.predictors import make
from fastnas.predictors.bohamiann import BOHAMIANN, sghmc_step


def _slow_step(theta, mom, grad, tau, g, v, lr, mdecay, burn_in, z, eps=1e-10):
    """Eqs. 8-10 of the paper, scalar by scalar (as pybnn orders them)."""
    out = []
    for i in range(len(theta)):
        t, m, gr, ta, gg, vv = theta[i], mom[i], grad[i], tau[i], g[i], v[i]
        ti = 1.0 / (ta + 1.0)
        if burn_in:
            ta = ta - ta * gg * gg / (vv + eps) + 1.0
            gg = gg - gg * ti + ti * gr
            vv = vv - vv * ti + ti * gr * gr
        minv = 1.0 / (math.sqrt(vv) + eps)
        sd = math.sqrt(max(2 * lr * lr * mdecay * minv - lr**4, 1e-16))
        m = m - lr * lr * minv * gr - mdecay * m + sd * z[i]
        out.append((t + m, m, ta, gg, vv))
    return [np.array(c) for c in zip(*out)]


def test_one_step_hand_value():
    # theta 1, grad 0.5, fresh state (tau = g = v = 1, momentum 0), lr 0.1, mdecay 0.05, burn-in:
    # 1/(tau+1) = 0.5; tau -> 1; g -> 0.75; v -> 0.625; M^-1 = 1/sqrt(0.625) = 1.2649111;
    # momentum = -0.01 * 1.2649111 * 0.5 = -0.0063245553; theta = 0.99367544 (noise 0)
    th, mom = np.array([1.0, 1.0]), np.zeros(2)
    tau, g, v = np.ones(2), np.ones(2), np.ones(2)
    sghmc_step(th, mom, np.array([0.5, 0.5]), tau, g, v, lr=0.1, mdecay=0.05, burn_in=True, noise=np.array([0.0, 1.0]))
    assert tau[0] == pytest.approx(1.0) and g[0] == pytest.approx(0.75) and v[0] == pytest.approx(0.625)
    assert th[0] == pytest.approx(0.99367544, abs=1e-8)
    # noise sd = sqrt(2 * 0.01 * 0.05 * 1.2649111 - 1e-4) = 0.03413079
    assert th[1] == pytest.approx(0.99367544 + 0.03413079, abs=1e-7)


@pytest.mark.parametrize("burn_in", [True, False])
def test_step_matches_slow_loop(burn_in):
    rng = np.random.default_rng(0)
    th, mom, grad = rng.normal(size=7), rng.normal(size=7) * 0.01, rng.normal(size=7) * 5
    tau, g, v = rng.uniform(1, 3, 7), rng.normal(size=7), rng.uniform(0.5, 2, 7)
    z = rng.normal(size=7)
    ref = _slow_step(th, mom, grad, tau, g, v, 0.01, 0.05, burn_in, z)
    T = [torch.tensor(a) for a in (th, mom, grad, tau, g, v)]
    sghmc_step(T[0], T[1], T[2], T[3], T[4], T[5], lr=0.01, mdecay=0.05, burn_in=burn_in, noise=torch.tensor(z))
    for got, want in zip([T[0], T[1], T[3], T[4], T[5]], ref):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


def test_fit_predict_seeded_and_preset():
    rng = np.random.default_rng(1)
    X = rng.random((60, 4))
    y = X @ np.array([2.0, -1.0, 0.5, 0.0]) + rng.normal(0, 0.05, 60)
    m = make("bohamiann", preset="white2021", seed=3)
    assert (m.num_steps, m.num_burn_in_steps, m.keep_every) == (100, 10, 5)
    a = m.fit(X[:40], y[:40]).predict(X[40:])
    b = make("bohamiann", preset="white2021", seed=3).fit(X[:40], y[:40]).predict(X[40:])
    np.testing.assert_array_equal(a, b)
    assert len(m.samples_) == 17  # pybnn's 0-based steps 15, 20, ..., 95 (after updates 16, 21, ..., 96)
    good = BOHAMIANN(num_steps=1500, num_burn_in_steps=300, keep_every=50, seed=0).fit(X[:40], y[:40])
    mean, std = good.predict(X[40:], return_std=True)
    assert np.corrcoef(mean, y[40:])[0, 1] > 0.9 and np.all(std > 0)


def test_save_load_roundtrip(tmp_path):
    X = np.random.default_rng(2).random((20, 3))
    y = X.sum(1)
    m = BOHAMIANN(num_steps=50, num_burn_in_steps=10, keep_every=10, seed=0).fit(X, y)
    m.save(tmp_path / "b.npz")
    m2 = BOHAMIANN.load(tmp_path / "b.npz")
    np.testing.assert_array_equal(m.predict(X), m2.predict(X))


def test_errors():
    X, y = np.ones((5, 2)), np.arange(5.0)
    with pytest.raises(ValueError, match="num_burn_in_steps"):
        BOHAMIANN(num_steps=10, num_burn_in_steps=10).fit(X, y)
    with pytest.raises(ValueError, match="mdecay"):
        BOHAMIANN(num_steps=10, num_burn_in_steps=1, mdecay=2.0).fit(X, y)


def test_public_contract():
    from fastnas.testing import check_predictor

    check_predictor(BOHAMIANN(num_steps=300, num_burn_in_steps=50, keep_every=10, seed=0))

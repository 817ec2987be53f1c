"""LCE (Domhan et al. 2015, MCMC over the curve combination): families by hand, the log posterior
against a slow scalar implementation, constraints, seeding."""
import numpy as np
import pytest
from scipy.stats import norm

from fastnas.predictors import make
from fastnas.predictors.lc import Curves
from fastnas.predictors.lce_m import FAMILIES, LCEM, PAPER_FAMILIES, _Combination


def test_family_values_by_hand():
    x = np.array([[4.0]])
    P = lambda *v: np.array([v])  # noqa: E731
    f = lambda name, *v: float(FAMILIES[name][0](x, *[np.array([[a]]) for a in v])[0, 0])  # noqa: E731
    assert f("pow3", 0.8, 0.4, 0.5) == pytest.approx(0.8 - 0.4 * 4 ** -0.5)            # 0.6
    assert f("mmf", 0.9, 0.1, 0.25, 1.0) == pytest.approx(0.9 - 0.8 / 2.0)              # 0.5
    assert f("weibull", 0.9, 0.1, 0.25, 1.0) == pytest.approx(0.9 - 0.8 * np.exp(-1))  # 0.6057
    assert f("dr_hill_zero_background", 0.8, 1.0, 4.0) == pytest.approx(0.4)          # 0.8 * 4 / (4 + 4)
    assert f("log_power", 0.8, np.log(4.0), 1.0) == pytest.approx(0.4)                # 0.8 / (1 + 1)
    assert f("loglog_linear", 1.0, 1.0) == pytest.approx(np.log(np.log(4) + 1))
    assert f("ilog2", 0.8, 0.5) == pytest.approx(0.8 - 0.5 / np.log(5))
    assert len(PAPER_FAMILIES) == 11 and set(PAPER_FAMILIES) == set(FAMILIES)
    del P


def _slow_log_prob(theta, x, y, names, xlim):
    """From the paper: log prior (weights >= 0, each family increasing on linspace(2, xlim, 50) and in
    [0, 100] at xlim) + sum_t log N(y_t; sum_k w_k f_k(t) / sum w, sigma)."""
    K = len(names)
    w = theta[-K:]
    if np.any(w < 0):
        return -np.inf
    pos, comps = 0, []
    for name in names:
        f, p0 = FAMILIES[name]
        p = theta[pos:pos + len(p0)]
        pos += len(p0)
        grid = [f(t, *p) for t in np.linspace(2, xlim, 50)]
        if any(b < a for a, b in zip(grid, grid[1:])) or not (0 <= grid[-1] <= 100):
            return -np.inf
        comps.append([f(t, *p) for t in x])
    sigma = theta[pos]
    mean = [sum(w[k] * comps[k][t] for k in range(K)) / w.sum() for t in range(len(x))]
    return float(sum(norm.logpdf(y[t], loc=mean[t], scale=sigma) for t in range(len(x))))


def test_log_prob_matches_slow_reference():
    names = ("pow3", "mmf")
    comb = _Combination(names, xlim=201)
    x = np.arange(1, 11, dtype=float)
    y = 0.9 - 0.6 * x ** -0.7
    good = np.array([0.9, 0.6, 0.7, 0.9, 0.2, 0.3, 1.0, 0.05, 3.0, 1.0])
    thetas = np.array([good,
                       np.r_[good[:-1], -1.0],                      # a negative weight
                       np.r_[0.9, 0.6, -0.7, good[3:]],             # pow3 decreasing
                       np.r_[good[:7], 0.3, good[8:]]])             # another sigma
    got = comb.log_prob(thetas, x, y, [0, 1])
    want = [_slow_log_prob(t, x, y, names, 201) for t in thetas]
    np.testing.assert_allclose(got[[0, 3]], np.array(want)[[0, 3]], rtol=1e-10)
    assert got[1] == -np.inf and want[1] == -np.inf and got[2] == -np.inf and want[2] == -np.inf


def test_lce_extrapolates_and_is_seeded():
    x = np.arange(1, 31.0)
    rng = np.random.default_rng(0)
    acc = np.vstack([90 - 60 * x ** -0.7, 80 - 50 * x ** -0.5]) + rng.normal(0, 0.3, (2, 30))
    state = np.random.get_state()[1].copy()
    m = make("lce_m", seed=1, nwalkers=20, nsamples=120, burn_in=60)
    p = m.predict(Curves(val_acc=acc))
    assert np.array_equal(np.random.get_state()[1], state)  # global RNG untouched
    truth = np.array([90 - 60 * 200 ** -0.7, 80 - 50 * 200 ** -0.5])
    assert p[0] > p[1] and np.all(np.abs(p - truth) < 6.0) and m.n_fallback_ == 0
    q = make("lce_m", seed=1, nwalkers=20, nsamples=120, burn_in=60).predict(Curves(val_acc=acc))
    np.testing.assert_array_equal(p, q)


def test_registry_names_and_errors():
    assert type(make("lce")).__name__ == "LCEM" and make("lce").families == PAPER_FAMILIES
    assert (make("lce_m").nwalkers, make("lce_m").nsamples) == (50, 800)
    assert type(make("lce_fast")).__name__ == "LCEFast"
    c = Curves(val_acc=np.tile(np.linspace(50, 80, 10), (2, 1)))
    with pytest.raises(ValueError, match="burn_in"):
        LCEM(nsamples=10, burn_in=10).predict(c)
    with pytest.raises(ValueError, match="families"):
        LCEM(families=("nope",)).predict(c)
    with pytest.raises(ValueError, match="final_epoch"):
        LCEM(final_epoch=5).predict(c)


def test_nothing_fits_falls_back_to_last_value():
    acc = np.array([[90.0, 50.0, 10.0, 5.0, 1.0]])  # decreasing: every family violates monotonicity
    m = LCEM(families=("pow3",), nwalkers=8, nsamples=10, burn_in=5, seed=0)
    assert m.predict(Curves(val_acc=acc)).tolist() == [1.0] and m.n_fallback_ == 1

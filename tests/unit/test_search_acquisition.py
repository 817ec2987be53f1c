"""Acquisition functions against hand-worked values."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from fastnas.search.acquisition import acquire, top_k


def test_ei_pi_hand_values():
    mean, std, best = np.array([1.0, 0.0]), np.array([1.0, 2.0]), 0.5
    z = (mean - best) / std
    ei = (mean - best) * norm.cdf(z) + std * norm.pdf(z)
    np.testing.assert_allclose(acquire("ei", mean, std, best), ei)
    np.testing.assert_allclose(acquire("pi", mean, std, best), norm.cdf(z))


def test_zero_std_limits():
    assert acquire("ei", [2.0, 0.0], [0.0, 0.0], best=1.0).tolist() == [1.0, 0.0]
    assert acquire("pi", [2.0, 0.0], [0.0, 0.0], best=1.0).tolist() == [1.0, 0.0]


def test_thompson_is_seeded_and_centered():
    a = acquire("its", np.zeros(20000), np.ones(20000), 0.0, rng=np.random.default_rng(0))
    b = acquire("its", np.zeros(20000), np.ones(20000), 0.0, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)
    assert abs(a.mean()) < 0.03 and abs(a.std() - 1) < 0.03


def test_errors_and_top_k():
    with pytest.raises(ValueError, match="its, ucb"):
        acquire("gp-ucb", [1.0], [1.0], 0.0)
    with pytest.raises(ValueError):
        acquire("its", [1.0], [1.0], 0.0)
    assert top_k(np.array([1.0, 3.0, 3.0, 2.0]), 2).tolist() == [1, 2]

"""Metrics equal scipy's on random data (with ties), hand-worked precision@k, clear errors."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given
from hypothesis import strategies as S

from fastnas.predictors import metrics as M

floats = S.lists(S.integers(-5, 5).map(float) | S.floats(-1e3, 1e3, allow_nan=False), min_size=3, max_size=60)


@given(S.data())
def test_correlations_equal_scipy(data):
    a = np.array(data.draw(floats))
    b = np.array(data.draw(S.lists(S.floats(-1e3, 1e3, allow_nan=False) | S.integers(-3, 3).map(float),
                                   min_size=len(a), max_size=len(a))))
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        assert np.isnan(M.kendall_tau(a, b)) and np.isnan(M.pearson(a, b))
        return
    assert M.kendall_tau(a, b) == pytest.approx(st.kendalltau(a, b)[0], abs=1e-12)
    assert M.spearman(a, b) == pytest.approx(st.spearmanr(a, b)[0], abs=1e-9)
    assert M.pearson(a, b) == pytest.approx(st.pearsonr(a, b)[0], abs=1e-9)


def test_kendall_blocks_large_input():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 20, 1500).astype(float), rng.normal(size=1500)
    assert M.kendall_tau(a, b) == pytest.approx(st.kendalltau(a, b)[0], abs=1e-12)


def test_errors_and_hand_values():
    assert M.mae([1, 2, 3], [1, 2, 5]) == pytest.approx(2 / 3)
    assert M.rmse([0, 0], [3, 4]) == pytest.approx(np.sqrt(12.5))
    # true top-2 = rows 3, 2; predicted top-2 = rows 3, 0 -> 1 of 2
    assert M.precision_at_k([1, 2, 3, 4], [3, 0, 1, 5], k=2) == 0.5
    out = M.all_metrics(np.arange(30.0), np.arange(30.0))
    assert out["kendall_tau"] == 1.0 and out["precision@10"] == 1.0 and out["precision@20"] == 1.0
    assert "precision@10" not in M.all_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="3 values but y_pred has 2"):
        M.kendall_tau([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="y_pred contains NaN"):
        M.spearman([1, 2, 3], [1, np.nan, 2])
    with pytest.raises(ValueError, match="k must be in"):
        M.precision_at_k([1, 2], [1, 2], k=3)
    with pytest.raises(ValueError, match="at least 2"):
        M.mae([1.0], [1.0])

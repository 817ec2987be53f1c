"""Contract of a ``fastnas.predictors`` predictor (scikit-learn conventions)."""
from __future__ import annotations

import os
import tempfile

import numpy as np


def check_predictor(predictor, n_train: int = 60, n_test: int = 40, n_features: int = 8, seed: int = 0) -> None:
    """Raise ``AssertionError`` on the first broken promise of an (unfitted) predictor instance.

    Checks: the constructor stored its parameters (``get_params``/``set_params``); ``fit`` returns self and
    learns a linear function better than the mean; predictions are finite and of the right shape;
    ``predict_dist`` agrees with ``predict`` where the model has uncertainty; bad input (mismatched lengths,
    NaN targets, too few points, wrong feature count, predict before fit) raises clear errors; a saved
    model predicts the same after loading.
    """
    from ..predictors import Predictor

    name = type(predictor).__name__
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, size=(n_train + n_test, n_features)).astype(np.float64)
    w = np.linspace(1.0, 3.0, n_features)
    y = X @ w + 0.01 * rng.standard_normal(len(X))
    Xtr, ytr, Xte, yte = X[:n_train], y[:n_train], X[n_train:], y[n_train:]

    params = predictor.get_params()
    clone = type(predictor)(**params)
    assert clone.get_params().keys() == params.keys(), f"{name}: get_params does not round-trip"
    try:
        predictor.predict(Xte)
    except (RuntimeError, ValueError, AttributeError):
        pass
    else:
        raise AssertionError(f"{name}.predict worked before fit")

    assert predictor.fit(Xtr, ytr) is predictor, f"{name}.fit must return self"
    pred = predictor.predict(Xte)
    assert pred.shape == (n_test,) and np.isfinite(pred).all(), f"{name}.predict shape or values"
    mse, base = np.mean((pred - yte) ** 2), np.mean((ytr.mean() - yte) ** 2)
    assert mse < base, f"{name} does not beat the constant baseline on a linear function ({mse:.3f} vs {base:.3f})"
    if getattr(predictor, "has_uncertainty", False):
        mean, std = predictor.predict_dist(Xte)
        assert np.allclose(mean, pred) and (std >= 0).all() and std.shape == (n_test,), f"{name}.predict_dist"

    for bad_X, bad_y, what in ((Xtr, ytr[:-1], "mismatched lengths"),
                               (Xtr, np.where(np.arange(n_train) == 3, np.nan, ytr), "NaN targets"),
                               (Xtr[:1], ytr[:1], "one training point")):
        try:
            type(predictor)(**params).fit(bad_X, bad_y)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{name}.fit accepted {what}")
    try:
        predictor.predict(Xte[:, :-1])
    except ValueError:
        pass
    else:
        raise AssertionError(f"{name}.predict accepted the wrong number of features")

    if hasattr(predictor, "save"):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "model.npz")
            predictor.save(path)
            again = type(predictor).load(path)
            assert np.allclose(again.predict(Xte), pred), f"{name}: a loaded model predicts differently"
    assert isinstance(predictor, Predictor), f"{name} does not subclass fastnas.predictors.Predictor"

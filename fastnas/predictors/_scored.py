"""``ScorePredictor``: base of the training-free predictors (learning-curve scores, zero-cost proxies).

``score(X)`` gives one value per cell, higher = better. ``fit(X, y)`` is optional: it learns the least-
squares map ``y ~ a * score + b`` so that predictions are on the target's scale (MAE/RMSE meaningful);
``predict`` returns the raw score before any ``fit``. A negative fitted slope is replaced by a constant,
so calibration never reverses the ranking the score defines.
"""
from __future__ import annotations

import numpy as np

from ._base import Predictor


class ScorePredictor(Predictor):
    min_train_size = 2
    #: whether the score is usable without fit
    training_free = True

    def score(self, X) -> np.ndarray:
        return np.asarray(self._score(X), dtype=np.float64)

    def _score(self, X) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def fit(self, X, y):
        s = self.score(X)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if len(y) != len(s):
            raise ValueError(f"X has {len(s)} rows but y has {len(y)} values")
        if not np.isfinite(y).all():
            raise ValueError(f"y contains NaN or inf (row {int(np.flatnonzero(~np.isfinite(y))[0])})")
        if len(y) < self.min_train_size:
            raise ValueError(f"{type(self).__name__} needs at least {self.min_train_size} training points, got {len(y)}")
        ok = np.isfinite(s)
        if ok.sum() >= 2 and s[ok].std() > 0:
            A = np.column_stack([s[ok], np.ones(ok.sum())])
            coef, *_ = np.linalg.lstsq(A, y[ok], rcond=None)
            if coef[0] < 0:
                coef = np.array([0.0, y.mean()])
        else:
            coef = np.array([0.0, y.mean()])
        self.coef_ = np.asarray(coef, dtype=np.float64)
        self.is_fitted_ = True
        return self

    def predict(self, X, return_std: bool = False):
        if return_std:
            raise NotImplementedError(f"{type(self).__name__} has no predictive uncertainty")
        s = self.score(X)
        if getattr(self, "is_fitted_", False):
            return self.coef_[0] * s + self.coef_[1]
        return s

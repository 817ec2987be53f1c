"""LcSVR (Baker et al. 2018, "Accelerating neural architecture search using performance prediction").

Features of each partially observed curve: mean and standard deviation of the validation-accuracy curve
and of its first and second differences (plus, for a training-loss curve, the same statistics and its
sum), plus optional per-cell features (``Curves.features``), all built with whole-array numpy
operations. A nu-SVR with RBF kernel on standardised features; ``C``, ``nu`` and ``gamma`` are tuned by
random search (``n_iter`` draws, log-uniform) with 3-fold cross-validation, keeping the best mean score.
The fitted model is kept as plain arrays (support vectors, dual coefficients) and evaluated in numpy.
"""
from __future__ import annotations

import numpy as np

from .._rng import as_generator
from .lc import CurvePredictor, Curves


def _stats(a: np.ndarray) -> list[np.ndarray]:
    out = [a.mean(1), a.std(1)]
    for k in (1, 2):
        d = np.diff(a, n=k, axis=1) if a.shape[1] > k else np.zeros((len(a), 1))
        out += [d.mean(1), d.std(1)]
    return out


def curve_features(C: Curves) -> np.ndarray:
    """(N, d) LcSVR feature matrix of a batch of curves.

    >>> curve_features(Curves(val_acc=[[1.0, 2.0, 4.0]])).round(3).tolist()
    [[2.333, 1.247, 1.5, 0.5, 1.0, 0.0]]
    """
    cols = []
    if C.val_acc is not None:
        cols += _stats(C.val_acc)
    if C.train_loss is not None:
        cols += _stats(C.train_loss) + [C.train_loss.sum(1)]
    if not cols:
        raise ValueError("LcSVR needs Curves.val_acc or Curves.train_loss")
    F = np.column_stack(cols)
    if C.features is not None:
        F = np.hstack([F, C.features])
    return F


def _rbf(A, B, gamma):
    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2 * A @ B.T
    return np.exp(-gamma * np.maximum(d, 0.0))


class LcSVR(CurvePredictor):
    """nu-SVR on learning-curve statistics with random-search + 3-fold CV hyper-parameters.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0); fin = rng.uniform(50, 90, 30)
    >>> acc = fin[:, None] * (1 - np.exp(-np.arange(1, 11) / 3.0))[None]
    >>> p = LcSVR(n_iter=5, seed=0).fit(Curves(val_acc=acc), fin).predict(Curves(val_acc=acc))
    >>> p.shape
    (30,)
    """

    training_free = False
    min_train_size = 6

    def __init__(self, *, n_iter: int = 20, cv: int = 3, seed=0):
        self.n_iter = n_iter
        self.cv = cv
        self.seed = seed

    def _score(self, C):
        if not getattr(self, "is_fitted_", False):
            raise RuntimeError("LcSVR is not fitted; call fit first")
        F = (curve_features(C) - self.x_mean_) / self.x_scale_
        if F.shape[1] != self.support_.shape[1]:
            raise ValueError(f"expected {self.support_.shape[1]} curve features, got {F.shape[1]}")
        return _rbf(F, self.support_, self.gamma_) @ self.dual_ + self.intercept_

    def predict(self, X, return_std: bool = False):
        if return_std:
            raise NotImplementedError("LcSVR has no predictive uncertainty")
        return self.score(X)

    def fit(self, X, y):
        from sklearn.model_selection import KFold, cross_val_score
        from sklearn.svm import NuSVR

        if not isinstance(X, Curves):
            raise TypeError(f"LcSVR expects Curves, got {type(X).__name__}")
        F = curve_features(X)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if len(y) != len(F):
            raise ValueError(f"X has {len(F)} rows but y has {len(y)} values")
        if not np.isfinite(y).all():
            raise ValueError(f"y contains NaN or inf (row {int(np.flatnonzero(~np.isfinite(y))[0])})")
        if len(y) < max(self.min_train_size, 2 * int(self.cv)):
            raise ValueError(f"LcSVR needs at least {max(self.min_train_size, 2 * int(self.cv))} training points "
                             f"for {self.cv}-fold CV, got {len(y)}")
        mu, sd = F.mean(0), F.std(0)
        sd[sd == 0] = 1.0
        Fs = (F - mu) / sd
        rng = as_generator(self.seed)
        folds = KFold(int(self.cv), shuffle=True, random_state=int(rng.integers(2**31 - 1)))
        best, best_params = -np.inf, None
        for _ in range(int(self.n_iter)):
            params = {"C": float(np.exp(rng.uniform(np.log(1e-2), np.log(1e3)))),
                      "nu": float(rng.uniform(0.05, 1.0)),
                      "gamma": float(np.exp(rng.uniform(np.log(1e-3), np.log(1e1))))}
            sc = cross_val_score(NuSVR(kernel="rbf", **params), Fs, y, cv=folds,
                                 scoring="neg_mean_squared_error").mean()
            if sc > best:  # keep the BEST cross-validated score
                best, best_params = sc, params
        svr = NuSVR(kernel="rbf", **best_params).fit(Fs, y)
        self.x_mean_, self.x_scale_ = mu, sd
        self.support_ = np.asarray(svr.support_vectors_, dtype=np.float64)
        self.dual_ = np.asarray(svr.dual_coef_, dtype=np.float64).reshape(-1)
        self.intercept_ = float(np.asarray(svr.intercept_).reshape(-1)[0])
        self.gamma_ = float(best_params["gamma"])
        self.best_params_ = best_params
        self.cv_score_ = float(best)
        self.is_fitted_ = True
        return self

"""``Stack``: combine any predictors by stacking (Wolpert 1992).

Each member is fitted on the part of a ``Batch`` it reads (cells, curves or features; see
``_batch.route``). A ridge regression on the members' standardised out-of-fold predictions (``cv``-fold,
seeded split) learns the combination; the members are then refitted on all training rows.
Training-free members (zero-cost, SoTL, ...) contribute their scores directly.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import clone

from .._rng import as_generator
from ._base import Predictor
from ._batch import Batch, as_batch, route
from ._scored import ScorePredictor


def _check_y(y, n, who):
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if len(y) != n:
        raise ValueError(f"X has {n} rows but y has {len(y)} values")
    if not np.isfinite(y).all():
        raise ValueError(f"y contains NaN or inf (row {int(np.flatnonzero(~np.isfinite(y))[0])})")
    return y


def folds(n: int, k: int, seed) -> list[np.ndarray]:
    """``k`` disjoint test index sets covering ``range(n)``, from a seeded permutation."""
    perm = as_generator(seed).permutation(n)
    return [np.sort(f) for f in np.array_split(perm, k)]


def _fit_predict(member, batch_tr, y_tr, batch_te):
    if isinstance(member, ScorePredictor) and member.training_free:
        return member.score(route(member, batch_te))
    m = clone(member).fit(route(member, batch_tr), y_tr)
    return m.predict(route(member, batch_te))


class Stack(Predictor):
    """Stacked combination of predictors.

    Parameters
    ----------
    members : list of predictors (unfitted).
    cv : folds for the out-of-fold predictions.
    alpha : ridge penalty of the combiner (on standardised member predictions).
    seed : fold split.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnas.predictors.trees import RandomForest
    >>> from fastnas.predictors.sparse_gp import SparseGP
    >>> X = np.random.default_rng(0).random((40, 3)); y = X[:, 0] + X[:, 1]
    >>> s = Stack(members=[RandomForest(n_estimators=20), SparseGP(num_inducing=10)]).fit(X, y)
    >>> s.predict(X[:2]).shape
    (2,)
    """

    min_train_size = 6

    def __init__(self, *, members=(), cv: int = 3, alpha: float = 1e-2, seed=0):
        self.members = members
        self.cv = cv
        self.alpha = alpha
        self.seed = seed

    def fit(self, X, y):
        members = list(self.members)
        if not members:
            raise ValueError("Stack needs at least one member")
        batch = as_batch(X)
        n = len(batch)
        y = _check_y(y, n, "Stack")
        need = max([self.min_train_size, 2 * int(self.cv)] + [getattr(m, "min_train_size", 2) * 2 for m in members])
        if n < need:
            raise ValueError(f"Stack needs at least {need} training points, got {n}")
        oof = np.zeros((n, len(members)))
        for te in folds(n, int(self.cv), self.seed):
            tr = np.setdiff1d(np.arange(n), te)
            for j, m in enumerate(members):
                oof[te, j] = _fit_predict(m, batch[tr], y[tr], batch[te])
        mu, sd = oof.mean(0), oof.std(0)
        sd[sd == 0] = 1.0
        Z = (oof - mu) / sd
        ym = y.mean()
        w = np.linalg.solve(Z.T @ Z + float(self.alpha) * n * np.eye(len(members)), Z.T @ (y - ym))
        self.weights_, self.intercept_ = w, float(ym)
        self.pred_mean_, self.pred_std_ = mu, sd
        self.fitted_members_ = [m if (isinstance(m, ScorePredictor) and m.training_free) else
                                clone(m).fit(route(m, batch), y) for m in members]
        self.is_fitted_ = True
        return self

    def _member_predictions(self, batch: Batch) -> np.ndarray:
        cols = []
        for m in self.fitted_members_:
            if isinstance(m, ScorePredictor) and m.training_free:
                cols.append(m.score(route(m, batch)))
            else:
                cols.append(m.predict(route(m, batch)))
        return np.column_stack(cols)

    def predict(self, X, return_std: bool = False):
        if return_std:
            raise NotImplementedError("Stack has no predictive uncertainty")
        if not getattr(self, "is_fitted_", False):
            raise RuntimeError("Stack is not fitted; call fit first")
        P = self._member_predictions(as_batch(X))
        return ((P - self.pred_mean_) / self.pred_std_) @ self.weights_ + self.intercept_

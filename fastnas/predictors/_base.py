"""Base class of every performance predictor (scikit-learn conventions).

* The constructor only stores keyword arguments; work happens in ``fit``, which returns ``self``.
* Fitted state ends in ``_``.
* ``X`` is either a feature matrix (N, d) or a ``Cells`` batch; a batch is encoded with the predictor's
  ``space`` and ``encoding`` parameters (so ``fit(cells, y)`` works on any space).
* ``predict(X)`` gives means; models with uncertainty also give ``predict(X, return_std=True)`` and
  ``predict_dist(X) -> (mean, std)``.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from ..spaces._cells import Cells


def flatten_gcn(enc) -> tuple[np.ndarray, int | None]:
    """A space's ``gcn`` encoding as flat rows; dict encodings (NB101: ``operations`` (N, V, F),
    ``adjacency`` (N, V, V)) are flattened to the ``[features, adjacency]`` layout (padded vertices keep
    zero features). Returns (rows, V or None)."""
    if isinstance(enc, dict):
        ops = np.asarray(enc["operations"], dtype=np.float64)
        adj = np.asarray(enc["adjacency"], dtype=np.float64)
        n, V = ops.shape[0], ops.shape[1]
        return np.concatenate([ops.reshape(n, -1), adj.reshape(n, -1)], axis=1), V
    return np.asarray(enc, dtype=np.float64), None


class Predictor(BaseEstimator):
    """Base predictor. Subclasses implement ``_fit(F, y)`` and ``_predict(F) -> mean`` (and, with
    uncertainty, ``_predict_dist(F) -> (mean, std)``) on validated float64 feature matrices."""

    #: whether ``predict_dist`` is meaningful
    has_uncertainty: bool = False
    #: smallest training set the model accepts
    min_train_size: int = 2

    # -- features ---------------------------------------------------------------------------
    def _features(self, X) -> np.ndarray:
        if isinstance(X, Cells):
            space = getattr(self, "space", None)
            encoding = getattr(self, "encoding", None)
            if space is None or encoding is None:
                raise ValueError(
                    f"{type(self).__name__} was given Cells but has no space/encoding parameters; "
                    "pass features or construct it with space=..., encoding=..."
                )
            F = space.encode(X, encoding)
            if isinstance(F, dict):  # graph encodings given as arrays per part (NB101 ``gcn``)
                F, _ = flatten_gcn(F)
        else:
            F = X
        F = np.asarray(F, dtype=np.float64)
        if F.ndim == 1:
            F = F[:, None]
        if F.ndim != 2:
            raise ValueError(f"features must be 2-D (N, d), got shape {F.shape}")
        if not np.isfinite(F).all():
            raise ValueError("features contain NaN or inf")
        return F

    def _check_xy(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        F = self._features(X)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if len(y) != len(F):
            raise ValueError(f"X has {len(F)} rows but y has {len(y)} values")
        if not np.isfinite(y).all():
            raise ValueError("y contains NaN or inf")
        if len(y) < self.min_train_size:
            raise ValueError(f"{type(self).__name__} needs at least {self.min_train_size} training points, got {len(y)}")
        return F, y

    # -- public API -------------------------------------------------------------------------
    def fit(self, X, y):
        F, y = self._check_xy(X, y)
        self.n_features_in_ = F.shape[1]
        self._fit(F, y)
        return self

    def _check_fitted(self, F):
        if not hasattr(self, "n_features_in_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit first")
        if F.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} features, got {F.shape[1]}")

    def predict(self, X, return_std: bool = False):
        F = self._features(X)
        self._check_fitted(F)
        if return_std:
            return self.predict_dist(X)
        return np.asarray(self._predict(F), dtype=np.float64)

    def predict_dist(self, X) -> tuple[np.ndarray, np.ndarray]:
        if not self.has_uncertainty:
            raise NotImplementedError(f"{type(self).__name__} has no predictive uncertainty")
        F = self._features(X)
        self._check_fitted(F)
        mean, std = self._predict_dist(F)
        return np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)

    # -- persistence (safe: JSON + npz, never pickle) ---------------------------------------------
    def _fitted_state(self) -> dict:
        """The fitted state as a dict of numpy arrays / JSON scalars (default: public attributes
        ending in ``_``). Subclasses holding library objects (torch modules, boosters) override this
        and ``_set_fitted_state``."""
        return {k: v for k, v in vars(self).items() if k.endswith("_") and not k.startswith("_")}

    def _set_fitted_state(self, state: dict) -> None:
        for k, v in state.items():
            setattr(self, k, v)

    def save(self, path) -> None:
        """Write parameters (JSON) and fitted state (arrays) to one ``.npz`` file, without pickle.

        >>> from fastnas.predictors import make
        >>> import numpy as np, tempfile, os
        >>> m = make("blr").fit(np.eye(4), np.arange(4.0))  # doctest: +SKIP
        >>> m.save(os.path.join(tempfile.mkdtemp(), "m.npz"))  # doctest: +SKIP
        """
        from ._persist import save_predictor

        save_predictor(self, path)

    @classmethod
    def load(cls, path) -> "Predictor":
        """Read a predictor written by ``save`` (no pickle: arrays with ``allow_pickle=False``)."""
        from ._persist import load_predictor

        obj = load_predictor(path)
        if not isinstance(obj, cls):
            raise TypeError(f"{path} holds a {type(obj).__name__}, not a {cls.__name__}")
        return obj

    # -- to implement ------------------------------------------------------------------------
    def _fit(self, F: np.ndarray, y: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict(self, F: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_dist(self, F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        raise NotImplementedError

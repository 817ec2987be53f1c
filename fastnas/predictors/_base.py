"""Base class of every performance predictor: a scikit-learn regressor (``RegressorMixin`` +
``BaseEstimator``), validated by scikit-learn's ``validate_data`` and checked with ``check_estimator``
(see ``fastnas.testing.check_sklearn``).

* The constructor only stores keyword arguments; work happens in ``fit``, which returns ``self``.
* Fitted state ends in ``_``.
* ``X`` is either a feature matrix (N, d) or a ``Cells`` batch; a batch is encoded with the predictor's
  ``space`` and ``encoding`` parameters (so ``fit(cells, y)`` works on any space).
* ``predict(X)`` gives means; models with uncertainty also give ``predict(X, return_std=True)`` and
  ``predict_dist(X) -> (mean, std)``.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted, validate_data

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


class GraphEncoded:
    """Mixin for predictors that read a space's ``gcn`` encoding (put it before :class:`Predictor` in the
    bases): ``Cells`` are encoded with ``space``/``encoding`` and flattened by :func:`flatten_gcn` (NB101's
    dict encoding remembers its vertex count in ``_enc_nodes``); anything else goes to ``Predictor``."""

    def _features(self, X) -> np.ndarray:
        if isinstance(X, Cells) and self.space is not None:
            F, V = flatten_gcn(self.space.encode(X, self.encoding))
            if V is not None:
                self._enc_nodes = V
            return super()._features(F)
        return super()._features(X)


class Predictor(RegressorMixin, BaseEstimator):
    """Base predictor: a scikit-learn regressor (``RegressorMixin`` + ``BaseEstimator``: regressor tags,
    ``score`` = R^2, ``clone``, ``get_params``/``set_params``). Subclasses implement ``_fit(F, y)`` and
    ``_predict(F) -> mean`` (and, with uncertainty, ``_predict_dist(F) -> (mean, std)``) on validated
    float64 feature matrices.

    Input validation follows scikit-learn (``validate_data``): feature matrices must be 2-D, real,
    dense, finite and non-empty (``ValueError``/``TypeError`` with scikit-learn's messages); ``fit``
    sets ``n_features_in_`` (and ``feature_names_in_`` for a DataFrame); ``predict`` before ``fit``
    raises ``sklearn.exceptions.NotFittedError`` and a different number of features raises
    ``ValueError``. ``Cells`` are encoded with ``space``/``encoding`` first, then validated the same way.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import cross_val_score
    >>> from fastnas.predictors import make
    >>> X = np.random.default_rng(0).random((30, 3)); y = X @ [1.0, 2.0, 3.0]
    >>> bool(cross_val_score(make("blr"), X, y, cv=3).mean() > 0.9)
    True
    >>> make("blr").predict(X)
    Traceback (most recent call last):
    ...
    sklearn.exceptions.NotFittedError: This BayesianLinearRegression instance is not fitted yet. ...
    """

    #: whether ``predict_dist`` is meaningful
    has_uncertainty: bool = False
    #: smallest training set the model accepts
    min_train_size: int = 2

    def _expected_failed_checks(self) -> dict[str, str]:
        """scikit-learn checks this predictor is known to fail: check name -> reason. ``fastnas.testing``
        passes them to ``check_estimator(expected_failed_checks=...)`` (scikit-learn's own mechanism)."""
        return {}

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "n_features_in_") or bool(getattr(self, "is_fitted_", False))

    # -- features ---------------------------------------------------------------------------
    def _features(self, X) -> np.ndarray:
        """``X`` as a validated float64 matrix (N, d); ``Cells`` are encoded first. Subclasses may
        override this hook (e.g. to read a graph layout) and call ``super()._features``."""
        if isinstance(X, Cells):
            space = getattr(self, "space", None)
            encoding = getattr(self, "encoding", None)
            if space is None or encoding is None:
                raise ValueError(
                    f"{type(self).__name__} was given Cells but has no space/encoding parameters; "
                    "pass features or construct it with space=..., encoding=..."
                )
            if isinstance(space, str):  # a space name given to a class directly (make() resolves it already)
                from ..spaces import get_space

                space = get_space(space)
            F = space.encode(X, encoding)
            if isinstance(F, dict):  # graph encodings given as arrays per part (NB101 ``gcn``)
                F, _ = flatten_gcn(F)
            X = F
        return check_array(X, dtype=np.float64, input_name="X")

    def _validated_train(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(X, Cells):
            F, y = validate_data(self, self._features(X), y, dtype=np.float64, y_numeric=True)
        else:
            F, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
            F = self._features(F)
        y = np.asarray(y, dtype=np.float64)
        if len(y) < self.min_train_size:
            raise ValueError(
                f"{type(self).__name__} needs at least {self.min_train_size} training samples, got "
                f"{len(y)} sample{'s' if len(y) != 1 else ''}"
            )
        return F, y

    def _check_xy(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """Validated (features, targets) for ``fit`` (sets ``n_features_in_``)."""
        return self._validated_train(X, y)

    def _validated_test(self, X) -> np.ndarray:
        check_is_fitted(self)
        if isinstance(X, Cells):
            return validate_data(self, self._features(X), reset=False, dtype=np.float64)
        return self._features(validate_data(self, X, reset=False, dtype=np.float64))

    # -- public API -------------------------------------------------------------------------
    def fit(self, X, y):
        """Fit on features (N, d) or ``Cells`` and targets (N,); returns ``self``. A fit that raises
        leaves the predictor unfitted (``predict`` then raises ``NotFittedError``)."""
        try:
            F, y = self._check_xy(X, y)
            self._fit(F, y)
        except BaseException as exc:
            # validate_data set n_features_in_ before the failure: without this, check_is_fitted would pass
            # and predict would fail on whichever learned attribute the failed fit never set
            for k in ("n_features_in_", "feature_names_in_"):
                self.__dict__.pop(k, None)
            if isinstance(exc, ModuleNotFoundError):  # an optional dependency: name the extra that installs it
                from .._extras import missing_extra

                err = missing_extra(exc, type(self).__name__)
                if err is not None:
                    raise err from exc
            raise
        return self

    def _check_fitted(self, F):
        """``NotFittedError`` before ``fit``; ``ValueError`` if ``F`` has the wrong number of columns."""
        check_is_fitted(self)
        if F.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {F.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )

    def predict(self, X, return_std: bool = False):
        """Predicted means (N,) float64; with ``return_std=True`` the pair (mean, std) where the model
        has uncertainty (``NotImplementedError`` otherwise)."""
        if return_std:
            return self.predict_dist(X)
        F = self._validated_test(X)
        return np.asarray(self._predict(F), dtype=np.float64).reshape(-1)

    def predict_dist(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and standard deviation, each (N,) float64."""
        if not self.has_uncertainty:
            raise NotImplementedError(f"{type(self).__name__} has no predictive uncertainty")
        F = self._validated_test(X)
        mean, std = self._predict_dist(F)
        return np.asarray(mean, dtype=np.float64).reshape(-1), np.asarray(std, dtype=np.float64).reshape(-1)

    # -- persistence (safe: JSON + npz, never pickle) ---------------------------------------------
    def _fitted_state(self) -> dict:
        """The fitted state as a dict of numpy arrays / JSON scalars (default: public attributes
        ending in ``_``). Subclasses holding library objects (torch modules, boosters) override this
        and ``_set_fitted_state``."""
        return {k: v for k, v in vars(self).items()
                if k.endswith("_") and not k.startswith("_") and k != "feature_names_in_"}

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

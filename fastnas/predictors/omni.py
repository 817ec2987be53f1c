"""OMNI (White et al. 2021, section 6): NGBoost on [zero-cost z-score, SoTL-E z-score, encoding].

The zero-cost score (``jacov`` by default) and SoTL-E (negated last-epoch training loss) are z-scored
with the TRAINING set's mean and standard deviation (stored, reused at prediction), then concatenated
with the cell encoding. NGBoost hyper-parameters come from a random search with ``cv``-fold
cross-validation scored by Kendall tau, keeping the configuration with the BEST mean score (NASLib's
implementation keeps the worst one, a bug we do not reproduce). Below ``min_search`` training points
the search is skipped and the defaults are used.

Input: a ``Batch`` (cells and/or features, curves, zero-cost scores by name); a component whose data is
missing is left out (e.g. no curves at fidelity 0), so OMNI degrades to NGBoost on what is known.
"""
from __future__ import annotations

import numpy as np

from .._rng import as_generator
from ._base import Predictor
from ._batch import Batch, as_batch
from .metrics import kendall_tau
from .stack import _check_y, folds
from .trees import NGBoost


class OMNI(Predictor):
    """The OMNI hybrid predictor.

    Parameters
    ----------
    zc : name of the zero-cost proxy in ``Batch.zc``, or a zero-cost predictor (``ZeroCostTable``/
        ``ZeroCostLive``) evaluated on ``Batch.cells``; None leaves it out.
    use_sotle : include SoTL-E when the batch has training-loss curves.
    space, encoding : encode ``Batch.cells`` (else ``Batch.features`` are used).
    n_iter, cv, min_search : random-search budget, folds, smallest training set that is searched.
    search_space : "fastnas" (the defaults first, then draws around them) or "naslib" (the ranges of
        NASLib's ``omni_ngb.py``, used by the ``white2021`` preset with ``n_iter=35``). Either way the
        configuration with the best cross-validated Kendall tau is kept.
    seed : int, Generator or None.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnas.predictors._batch import Batch
    >>> rng = np.random.default_rng(0); F = rng.random((30, 4)); y = F[:, 0]
    >>> b = Batch(features=F, zc={"jacov": y + rng.normal(0, .1, 30)})
    >>> OMNI(n_iter=2, seed=0).fit(b, y).predict(b).shape  # doctest: +SKIP
    (30,)
    """

    min_train_size = 3
    has_uncertainty = True

    def __init__(self, *, zc="jacov", use_sotle: bool = True, space=None, encoding: str = "adjacency",
                 n_iter: int = 5, cv: int = 3, min_search: int = 15, n_estimators: int = 200,
                 search_space: str = "fastnas", seed=0):
        self.zc = zc
        self.use_sotle = use_sotle
        self.space = space
        self.encoding = encoding
        self.n_iter = n_iter
        self.cv = cv
        self.min_search = min_search
        self.n_estimators = n_estimators
        self.search_space = search_space
        self.seed = seed

    # -- features ---------------------------------------------------------------------------
    def _raw(self, batch: Batch) -> tuple[list[np.ndarray], list[str]]:
        cols, names = [], []
        if self.zc is not None:
            if isinstance(self.zc, str):
                if self.zc in batch.zc:
                    cols.append(batch.zc[self.zc])
                    names.append(f"zc:{self.zc}")
            elif batch.cells is not None:
                cols.append(self.zc.score(batch.cells))
                names.append("zc")
        if self.use_sotle and batch.curves is not None and batch.curves.train_loss is not None:
            cols.append(-batch.curves.train_loss[:, -1])
            names.append("sotle")
        return cols, names

    def _encoding(self, batch: Batch) -> np.ndarray | None:
        if batch.cells is not None and self.space is not None:
            return np.asarray(self.space.encode(batch.cells, self.encoding), dtype=np.float64)
        if batch.features is not None:
            return batch.features
        return None

    def _design(self, batch: Batch, fit: bool) -> np.ndarray:
        cols, names = self._raw(batch)
        if fit:
            self.components_ = names
            self.z_mean_ = np.array([c.mean() for c in cols])
            self.z_std_ = np.array([c.std() or 1.0 for c in cols])
        elif names != list(self.components_):
            raise ValueError(f"OMNI was fitted with components {self.components_}, the batch gives {names}")
        parts = [((np.column_stack(cols) - self.z_mean_) / self.z_std_)] if cols else []
        enc = self._encoding(batch)
        if enc is not None:
            parts.append(enc)
        if not parts:
            raise ValueError("OMNI found no inputs: give zero-cost scores, curves, cells (with space) or features")
        F = np.hstack(parts)
        if not np.isfinite(F).all():
            raise ValueError("OMNI inputs contain NaN or inf")
        return F

    # -- search -----------------------------------------------------------------------------
    def _candidates(self, rng, n: int = 0) -> list[dict]:
        if self.search_space == "naslib":
            return self._candidates_naslib(rng, n)
        if self.search_space != "fastnas":
            raise ValueError(f"search_space must be 'fastnas' or 'naslib', got {self.search_space!r}")
        out = [{}]  # the defaults first
        for _ in range(max(0, int(self.n_iter) - 1)):
            out.append({
                "n_estimators": int(rng.integers(min(32, int(self.n_estimators)), int(self.n_estimators) + 1)),
                "learning_rate": float(np.exp(rng.uniform(np.log(1e-3), np.log(0.2)))),
                "minibatch_frac": float(rng.uniform(0.3, 1.0)),
                "max_depth": int(rng.integers(1, 11)),
                "max_features": float(rng.uniform(0.1, 1.0)),
                "min_samples_leaf": int(rng.integers(1, 8)),
            })
        return out

    def _candidates_naslib(self, rng, n: int) -> list[dict]:
        """NASLib ``omni_ngb.py`` ``get_random_params``: ``n_iter`` draws (35 in White et al. 2021), no
        default first; both leaf sizes drawn from 2..19 and clipped to [2, n/3 - 1] as NASLib's ``run_hpo``
        does (n = training size). Its trees' ``criterion="friedman_mse"`` is scikit-learn's squared error (an
        alias since 1.9: the same splits)."""
        out = []
        hi_leaf = max(2, int(n / 3) - 1)
        for _ in range(max(1, int(self.n_iter))):
            out.append({
                "n_estimators": int(np.exp(rng.uniform(np.log(128), np.log(512)))),
                "learning_rate": float(np.exp(rng.uniform(np.log(1e-3), np.log(0.1)))),
                "minibatch_frac": float(rng.uniform(0.1, 1.0)),
                "max_depth": int(rng.integers(24)) + 1,
                "max_features": float(rng.uniform(0.1, 1.0)),
                "min_samples_leaf": max(2, min(int(rng.integers(18)) + 2, hi_leaf)),
                "min_samples_split": max(2, min(int(rng.integers(18)) + 2, hi_leaf)),
            })
        return out

    def _search(self, F, y, rng) -> list[tuple[dict, float]]:
        """(parameters, mean cross-validated Kendall tau) of every random-search candidate."""
        base = {"n_estimators": int(self.n_estimators)}
        splits = folds(len(y), int(self.cv), rng)
        out = []
        for cand in self._candidates(rng, len(y)):
            params = {**base, **cand}
            scores = []
            for te in splits:
                tr = np.setdiff1d(np.arange(len(y)), te)
                try:
                    p = NGBoost(**params, seed=self.seed).fit(F[tr], y[tr]).predict(F[te])
                except ValueError:
                    # a fold this configuration cannot fit (an empty minibatch on a tiny fold: NASLib's
                    # ngboost would loop forever; constant targets): the configuration is not eligible
                    scores = [-np.inf]
                    break
                scores.append(kendall_tau(y[te], p) if np.ptp(p) > 0 and np.ptp(y[te]) > 0 else 0.0)
            out.append((params, float(np.mean(scores))))
        return out

    def fit(self, X, y):
        batch = as_batch(X)
        y = _check_y(y, len(batch), "OMNI")
        if len(y) < self.min_train_size:
            raise ValueError(f"OMNI needs at least {self.min_train_size} training points, got {len(y)}")
        for name, lo in (("cv", 2), ("n_iter", 1), ("min_search", 0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
                raise ValueError(f"OMNI {name} must be an int >= {lo}, got {v!r}")
        if len(y) >= int(self.min_search) and int(self.n_iter) > 1 and int(self.cv) > len(y) - 1:
            raise ValueError(f"OMNI cv={self.cv} folds need at least cv + 1 training points (each fold trains on "
                             f"the rest), got {len(y)}")
        F = self._design(batch, fit=True)
        rng = as_generator(self.seed)
        base = {"n_estimators": int(self.n_estimators)}
        best, best_score = base, -np.inf
        if len(y) >= int(self.min_search) and int(self.n_iter) > 1:
            self.search_ = self._search(F, y, rng)
            for params, score in self.search_:
                if score > best_score:  # keep the BEST configuration (NASLib keeps the worst)
                    best, best_score = params, score
        self.best_params_ = best
        self.cv_score_ = float(best_score) if np.isfinite(best_score) else float("nan")
        self.model_ = NGBoost(**best, seed=self.seed).fit(F, y)
        self.is_fitted_ = True
        return self

    def predict(self, X, return_std: bool = False):
        if not getattr(self, "is_fitted_", False):
            raise RuntimeError("OMNI is not fitted; call fit first")
        F = self._design(as_batch(X), fit=False)
        if return_std:
            return self.model_.predict_dist(F)
        return self.model_.predict(F)

    def predict_dist(self, X):
        return self.predict(X, return_std=True)

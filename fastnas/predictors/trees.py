"""Tree-ensemble predictors: random forest, XGBoost, LightGBM and NGBoost (White et al. 2021 use
the same four; defaults follow NASLib's where it sets them).

Fitted random forests and NGBoost models are kept as flat tree arrays (``_trees``), so persistence is
safe and prediction is one vectorised traversal; XGBoost and LightGBM keep their own text/JSON model
format.
"""
from __future__ import annotations

import numpy as np

from .._rng import base_seed
from ._base import Predictor
from ._trees import pack_trees, predict_trees, trees_from_state, trees_state


def _seed32(seed) -> int:
    return int(base_seed(0 if seed is None else seed) % np.uint64(2**31 - 1))


class RandomForest(Predictor):
    """Random forest regression (scikit-learn) on any encoding.

    Parameters
    ----------
    n_estimators, max_features, min_samples_leaf : forest settings.
    space, encoding : used when ``fit``/``predict`` receive ``Cells``.
    seed : int, Generator or None.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((40, 3)); y = X[:, 0]
    >>> RandomForest(n_estimators=20, seed=0).fit(X, y).predict(X[:2]).shape
    (2,)
    """

    has_uncertainty = True

    def __init__(self, *, n_estimators: int = 116, max_features: float = 0.17, min_samples_leaf: int = 2,
                 space=None, encoding: str = "adjacency", seed=0):
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.space = space
        self.encoding = encoding
        self.seed = seed

    def _fit(self, F, y):
        from sklearn.ensemble import RandomForestRegressor

        rf = RandomForestRegressor(
            n_estimators=self.n_estimators, max_features=self.max_features,
            min_samples_leaf=self.min_samples_leaf, random_state=_seed32(self.seed), n_jobs=1,
        ).fit(F, y)
        self._packed = pack_trees(rf.estimators_)

    def _all(self, F):
        return predict_trees(self._packed, F)

    def _predict(self, F):
        return self._all(F).mean(axis=0)

    def _predict_dist(self, F):
        p = self._all(F)
        return p.mean(axis=0), p.std(axis=0)

    def _fitted_state(self):
        return {"n_features_in_": self.n_features_in_, **trees_state(self._packed)}

    def _set_fitted_state(self, state):
        self.n_features_in_ = int(state["n_features_in_"])
        self._packed = trees_from_state(state)


class NGBoost(Predictor):
    """NGBoost (natural-gradient boosting, normal distribution, depth-limited tree learners).

    Duan et al. 2020 via the ``ngboost`` library (``NGBRegressor``, ``Normal``, ``LogScore``) with scikit-learn
    regression trees as base learners. Constant targets raise ``ValueError`` (the fitted normal would have
    zero scale).

    Parameters
    ----------
    n_estimators, learning_rate, minibatch_frac : ``NGBRegressor`` settings.
    max_depth, max_features, min_samples_leaf, min_samples_split : the base tree's settings (squared-error
        criterion; NASLib's ``criterion="friedman_mse"`` picks the same splits: scikit-learn 1.9 deprecates it
        as an alias of ``"squared_error"``, "both were always equivalent").
    leaf_rule : None, or ``"naslib"``: NASLib's ``trees/ngb.py`` sets the leaf sizes from the training size
        ``n`` (``min_samples_leaf = min(max(n // 2, 1), 15)``, ``min_samples_split = min(max(n // 2, 2), 20)``),
        overriding the two fixed values (the ``white2021`` preset).
    space, encoding : used when ``fit``/``predict`` receive ``Cells``.
    seed : int, Generator or None.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((40, 3)); y = X[:, 0]
    >>> m, s = NGBoost(n_estimators=30, seed=0).fit(X, y).predict_dist(X[:2])
    >>> bool((s > 0).all())
    True
    """

    has_uncertainty = True
    min_train_size = 3

    def __init__(self, *, n_estimators: int = 300, learning_rate: float = 0.08, max_depth: int = 6,
                 max_features: float = 0.8, min_samples_leaf: int = 1, minibatch_frac: float = 0.5,
                 min_samples_split: int = 2, leaf_rule: str | None = None,
                 space=None, encoding: str = "adjacency", seed=0):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.minibatch_frac = minibatch_frac
        self.min_samples_split = min_samples_split
        self.leaf_rule = leaf_rule
        self.space = space
        self.encoding = encoding
        self.seed = seed

    def _fit(self, F, y):
        if np.ptp(y) == 0:
            # NGBoost starts from the maximum-likelihood normal of y: a zero scale, whose log is -inf
            raise ValueError(
                f"NGBoost cannot fit constant targets (all {len(y)} values equal {y[0]!r}): its normal "
                "distribution would have zero scale; use a predictor without a likelihood (e.g. 'rf')"
            )
        from ngboost import NGBRegressor

        from ._ngb_lean import LeanNormal, LeanTree

        ne, lr = self.n_estimators, self.learning_rate
        if isinstance(ne, bool) or not isinstance(ne, (int, np.integer)) or ne < 1:
            raise ValueError(f"n_estimators must be a positive int, got {ne!r}")
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"learning_rate must be a positive finite number, got {lr!r}")
        frac = self.minibatch_frac
        if isinstance(frac, bool) or not isinstance(frac, (int, float, np.floating)) or not 0 < frac <= 1:
            raise ValueError(f"minibatch_frac must be in (0, 1], got {frac!r}")
        if frac != 1.0 and int(frac * len(y)) < 1:
            # ngboost draws int(frac * n) rows per step; with none its line search never ends (NaN loss)
            raise ValueError(f"minibatch_frac={frac!r} of {len(y)} training points draws an empty minibatch "
                             "(ngboost takes int(minibatch_frac * n) rows per step); use more points or a "
                             "larger minibatch_frac")
        leaf, split = self.min_samples_leaf, self.min_samples_split
        if self.leaf_rule == "naslib":  # NASLib trees/ngb.py train(): from the training size
            leaf, split = min(max(len(y) // 2, 1), 15), min(max(len(y) // 2, 2), 20)
        elif self.leaf_rule is not None:
            raise ValueError(f"leaf_rule must be None or 'naslib', got {self.leaf_rule!r}")
        base = LeanTree(
            max_depth=self.max_depth, max_features=self.max_features, min_samples_leaf=leaf,
            min_samples_split=split, random_state=_seed32(self.seed),
        )
        base._validate_params()  # scikit-learn's parameter check, once (LeanTree's copies skip it)
        # LeanNormal / LeanTree: ngboost's Normal and scikit-learn's tree, bitwise, without their per-step
        # Python overhead (the features were checked where they entered: finite float64)
        ngb = NGBRegressor(
            Dist=LeanNormal, Base=base, n_estimators=self.n_estimators, learning_rate=self.learning_rate,
            minibatch_frac=self.minibatch_frac, verbose=False, random_state=_seed32(self.seed),
        ).fit(F, y)
        # flatten: per boosting iteration one tree per distribution parameter (loc, log scale)
        trees, cols, scale = [], [], []
        for models, s, col_idx in zip(ngb.base_models, ngb.scalings, ngb.col_idxs):
            for j, m in enumerate(models):
                trees.append(m)
                cols.append(np.asarray(col_idx))
                scale.append(float(s))
        n_params = len(ngb.init_params)
        self.init_params_ = np.asarray(ngb.init_params, dtype=np.float64)
        self.scalings_ = np.asarray(scale, dtype=np.float64).reshape(-1, n_params)
        self._packed = pack_trees(trees, cols)

    def _params(self, F):
        p = predict_trees(self._packed, F)  # (iters * n_params, N)
        n_params = len(self.init_params_)
        p = p.reshape(-1, n_params, len(F))
        step = (p * self.scalings_[:, :, None]).sum(axis=0).T  # (N, n_params)
        return self.init_params_[None, :] - self.learning_rate * step

    def _predict(self, F):
        return self._params(F)[:, 0]

    def _predict_dist(self, F):
        p = self._params(F)
        return p[:, 0], np.exp(p[:, 1])

    def _fitted_state(self):
        return {"n_features_in_": self.n_features_in_, "init_params_": self.init_params_,
                "scalings_": self.scalings_, **trees_state(self._packed)}

    def _set_fitted_state(self, state):
        self.n_features_in_ = int(state["n_features_in_"])
        self.init_params_ = np.asarray(state["init_params_"], dtype=np.float64)
        self.scalings_ = np.asarray(state["scalings_"], dtype=np.float64)
        self._packed = trees_from_state(state)


class XGBoost(Predictor):
    """Gradient-boosted trees (XGBoost, one thread; ``tree_method`` ``"hist"`` by default, ``"exact"`` under
    the ``white2021`` preset: NASLib leaves it unset, and the xgboost 1.x of 2021 then used the exact
    method on data of this size).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((40, 3)); y = X[:, 0]
    >>> XGBoost(n_estimators=20, seed=0).fit(X, y).predict(X[:2]).shape
    (2,)
    """

    def __init__(self, *, n_estimators: int = 500, learning_rate: float = 0.1, max_depth: int = 6,
                 min_child_weight: float = 1.0, colsample_bytree: float = 1.0, subsample: float = 1.0,
                 tree_method: str = "hist", space=None, encoding: str = "adjacency", seed=0):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.colsample_bytree = colsample_bytree
        self.subsample = subsample
        self.tree_method = tree_method
        self.space = space
        self.encoding = encoding
        self.seed = seed

    def _fit(self, F, y):
        import xgboost as xgb

        params = {
            "objective": "reg:squarederror", "eta": self.learning_rate, "max_depth": self.max_depth,
            "min_child_weight": self.min_child_weight, "colsample_bytree": self.colsample_bytree,
            "subsample": self.subsample, "seed": _seed32(self.seed), "nthread": 1, "tree_method": self.tree_method,
            "verbosity": 0,
        }
        self._booster = xgb.train(params, xgb.DMatrix(F, label=y), num_boost_round=self.n_estimators)

    def _predict(self, F):
        import xgboost as xgb

        return self._booster.predict(xgb.DMatrix(F))

    def _fitted_state(self):
        return {"n_features_in_": self.n_features_in_, "model_": bytes(self._booster.save_raw("ubj"))}

    def _set_fitted_state(self, state):
        import xgboost as xgb

        self.n_features_in_ = int(state["n_features_in_"])
        self._booster = xgb.Booster()
        self._booster.load_model(bytearray(state["model_"]))


class LightGBM(Predictor):
    """Gradient-boosted trees (LightGBM, one thread). ``bagging_freq`` (default 1) and ``min_data_in_bin``
    (default 1, so that tiny training sets still get bins) are LightGBM parameters; the ``white2021`` preset
    sets NASLib's ``bagging_freq=5`` and LightGBM's own ``min_data_in_bin=3`` (NASLib does not set it).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((60, 3)); y = X[:, 0]
    >>> LightGBM(n_estimators=20, seed=0).fit(X, y).predict(X[:2]).shape
    (2,)
    """

    def __init__(self, *, n_estimators: int = 500, learning_rate: float = 0.05, num_leaves: int = 31,
                 min_data_in_leaf: int = 2, feature_fraction: float = 0.9, bagging_fraction: float = 0.8,
                 bagging_freq: int = 1, min_data_in_bin: int = 1, space=None, encoding: str = "adjacency", seed=0):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_data_in_leaf = min_data_in_leaf
        self.feature_fraction = feature_fraction
        self.bagging_fraction = bagging_fraction
        self.bagging_freq = bagging_freq
        self.min_data_in_bin = min_data_in_bin
        self.space = space
        self.encoding = encoding
        self.seed = seed

    def _fit(self, F, y):
        import lightgbm as lgb

        params = {
            "objective": "regression", "learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf, "min_data_in_bin": self.min_data_in_bin,
            "feature_fraction": self.feature_fraction, "bagging_fraction": self.bagging_fraction,
            "bagging_freq": self.bagging_freq, "seed": _seed32(self.seed), "deterministic": True, "num_threads": 1,
            "verbose": -1,
        }
        self._booster = lgb.train(params, lgb.Dataset(F, label=y, params={"verbose": -1}),
                                  num_boost_round=self.n_estimators)

    def _predict(self, F):
        return self._booster.predict(F)

    def _fitted_state(self):
        return {"n_features_in_": self.n_features_in_, "model_": self._booster.model_to_string()}

    def _set_fitted_state(self, state):
        import lightgbm as lgb

        self.n_features_in_ = int(state["n_features_in_"])
        self._booster = lgb.Booster(model_str=str(state["model_"]))

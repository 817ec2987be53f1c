"""NGBoost's ``Normal`` distribution and scikit-learn's regression tree without per-call overhead.

Both are the libraries' own computations; only Python-level overhead is removed, and a fit is bitwise the
stock one (tests/unit/test_ngb_lean.py). Together about 4x per NGBoost fit on NAS-sized data.


ngboost 0.5's ``Normal.__init__`` freezes a ``scipy.stats.norm`` on every boosting step and every line-search
trial (about 1 ms each, mostly building the frozen object's docstring); it uses it only for the log score
``-logpdf(y)``. ``LeanNormal`` is the same distribution (ngboost's class, its gradient and Fisher information
unchanged) whose log score is scipy's own arithmetic written out (``norm._logpdf(z) - log(scale)`` with
``z = (y - loc) / scale``), so a fit is bitwise the one with ngboost's ``Normal`` at
about half the cost. The scipy object is still built on demand for any
other attribute (``mean``, ``ppf``...), as ngboost's ``__getattr__`` does.
"""
from __future__ import annotations

import copy

import numpy as np
from ngboost.distns.normal import Normal, NormalLogScore
from ngboost.scores import LogScore
from sklearn.tree import DecisionTreeRegressor

# scipy.stats._continuous_distns._norm_pdf_logC
_LOG_C = np.log(np.sqrt(2 * np.pi))


class LeanNormalLogScore(NormalLogScore, LogScore):  # last base LogScore: ngboost's score lookup key
    def score(self, Y):
        z = (Y - self.loc) / self.scale
        return -(-z**2 / 2.0 - _LOG_C - np.log(self.scale))


class LeanNormal(Normal):
    """ngboost ``Normal`` with a closed-form log score (no frozen scipy distribution per step)."""

    scores = [LeanNormalLogScore]

    def __init__(self, params):  # noqa: D107 -- as Normal.__init__ without the scipy object
        super(Normal, self).__init__(params)
        self.loc = params[0]
        self.scale = np.exp(params[1])
        self.var = self.scale**2

    def __getattr__(self, name):
        if name.startswith("__") or name == "dist":
            if name == "dist":
                from scipy.stats import norm

                d = norm(loc=self.loc, scale=self.scale)
                self.__dict__["dist"] = d
                return d
            raise AttributeError(name)
        d = self.dist
        return getattr(d, name) if name in dir(d) else None


class LeanTree(DecisionTreeRegressor):
    """scikit-learn's ``DecisionTreeRegressor`` for NGBoost's inner loop: the same tree builder and random
    state, with the input conversion it would do itself (``float32``) done once and its per-call validation,
    data-frame probing and parameter-by-parameter cloning skipped (NGBoost clones, fits and predicts two trees
    per boosting step, and that overhead was ~70% of a NAS-sized fit). Only for finite dense float input that
    the caller has checked."""

    def __sklearn_clone__(self):
        if hasattr(self, "tree_"):  # a fitted tree is never NGBoost's template; clone it the normal way
            return DecisionTreeRegressor(**self.get_params(deep=False))
        return copy.copy(self)

    def fit(self, X, y, sample_weight=None, check_input=True):
        # DecisionTreeRegressor.fit is this call inside a parameter check; the template's parameters are
        # checked once (NGBoost._fit calls _validate_params before boosting) and copies share them
        self._fit(np.asarray(X, dtype=np.float32), y, sample_weight=sample_weight, check_input=False)
        return self

    def predict(self, X, check_input=True):
        return super().predict(np.asarray(X, dtype=np.float32), check_input=False)

"""LeanNormal and LeanTree (fastnas/predictors/_ngb_lean.py) must give ngboost's own fit bit for bit."""
import numpy as np
import pytest

pytest.importorskip("ngboost")
from ngboost import NGBRegressor  # noqa: E402
from ngboost.distns import Normal  # noqa: E402
from sklearn.tree import DecisionTreeRegressor  # noqa: E402

from fastnas.predictors import make  # noqa: E402
from fastnas.predictors._ngb_lean import LeanNormal, LeanTree  # noqa: E402


def _fit(dist, X, y, tree=DecisionTreeRegressor, **kw):
    base = tree(max_depth=kw.pop("max_depth"), max_features=kw.pop("max_features"),
                                 min_samples_leaf=kw.pop("min_samples_leaf"), random_state=3)
    return NGBRegressor(Dist=dist, Base=base, verbose=False, random_state=3, **kw).fit(X, y)


@pytest.mark.parametrize("n, depth, lr, frac", [(12, 3, 0.08, 0.5), (40, 10, 0.01, 1.0), (90, 24, 0.1, 0.3)])
def test_lean_normal_fit_is_ngboost_normal_fit(n, depth, lr, frac):
    rng = np.random.default_rng(n)
    X = rng.random((n, 7))
    y = X[:, 0] * 3 + np.sin(5 * X[:, 1]) + 0.1 * rng.standard_normal(n)
    kw = dict(n_estimators=60, learning_rate=lr, minibatch_frac=frac, max_depth=depth, max_features=0.7,
              min_samples_leaf=2)
    a = _fit(Normal, X, y, **dict(kw))
    for b in (_fit(LeanNormal, X, y, **dict(kw)), _fit(LeanNormal, X, y, tree=LeanTree, **dict(kw))):
        np.testing.assert_array_equal(a.scalings, b.scalings)
        np.testing.assert_array_equal(a.pred_dist(X).params["loc"], b.pred_dist(X).params["loc"])
        np.testing.assert_array_equal(a.pred_dist(X).params["scale"], b.pred_dist(X).params["scale"])
        for ta, tb in zip(a.base_models, b.base_models):
            for ma, mb in zip(ta, tb):
                np.testing.assert_array_equal(ma.tree_.threshold, mb.tree_.threshold)
                np.testing.assert_array_equal(ma.tree_.value, mb.tree_.value)


def test_lean_tree_clone_is_a_fresh_unfitted_copy():
    from sklearn.base import clone

    t = LeanTree(max_depth=3, random_state=1)
    c = clone(t)
    assert type(c) is LeanTree and c is not t and c.get_params() == t.get_params()
    c.fit(np.random.default_rng(0).random((10, 2)), np.arange(10.0))
    assert not hasattr(t, "tree_")  # fitting the clone leaves the template unfitted
    assert type(clone(c)) is DecisionTreeRegressor and not hasattr(clone(c), "tree_")


def test_lean_normal_score_is_scipy_logpdf():
    from scipy.stats import norm

    rng = np.random.default_rng(0)
    params = np.stack([rng.normal(size=50), rng.normal(size=50)])
    y = rng.normal(size=50) * 3
    d = LeanNormal(params)
    got = LeanNormal.scores[0].score(d, y)
    want = -norm(loc=params[0], scale=np.exp(params[1])).logpdf(y)
    np.testing.assert_array_equal(got, want)
    assert d.mean().shape == (50,)  # other attributes still served by scipy's object, built on demand
    np.testing.assert_array_equal(d.mean(), params[0])


def test_fastnas_ngboost_predictions_equal_stock_ngboost():
    rng = np.random.default_rng(1)
    X = rng.random((30, 5))
    y = X @ rng.random(5)
    m = make("ngb", n_estimators=50, learning_rate=0.05, max_depth=4, max_features=0.8, min_samples_leaf=2,
             minibatch_frac=0.6, seed=7).fit(X, y)
    base = DecisionTreeRegressor(max_depth=4, max_features=0.8, min_samples_leaf=2, random_state=7)
    ref = NGBRegressor(Dist=Normal, Base=base, n_estimators=50, learning_rate=0.05, minibatch_frac=0.6,
                       verbose=False, random_state=7).fit(X, y)
    np.testing.assert_allclose(m.predict(X), ref.predict(X), rtol=0, atol=1e-12)


@pytest.mark.parametrize("n", [6, 23, 60])
def test_naslib_leaf_rule_is_ngb_py(n):
    """leaf_rule="naslib" (the white2021 ngb preset) builds NASLib trees/ngb.py's base learner:
    min_samples_leaf = min(max(n//2, 1), 15), min_samples_split = min(max(n//2, 2), 20); hand-worked sizes:
    n=6 -> (3, 3), n=23 -> (11, 11), n=60 -> (15, 20). Checked against stock ngboost with those trees."""
    leaf, split = {6: (3, 3), 23: (11, 11), 60: (15, 20)}[n]
    rng = np.random.default_rng(n)
    X = rng.random((n, 6))
    y = X[:, 0] + 0.3 * X[:, 1] ** 2
    kw = dict(n_estimators=40, learning_rate=0.08, minibatch_frac=0.7, max_depth=6, max_features=0.8)
    m = make("ngb", **kw, leaf_rule="naslib", seed=5).fit(X, y)
    base = DecisionTreeRegressor(min_samples_leaf=leaf, min_samples_split=split,
                                 max_depth=6, max_features=0.8, random_state=5)
    ref = NGBRegressor(Dist=Normal, Base=base, n_estimators=40, learning_rate=0.08, minibatch_frac=0.7,
                       verbose=False, random_state=5).fit(X, y)
    np.testing.assert_allclose(m.predict(X), ref.predict(X), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="leaf_rule"):
        make("ngb", leaf_rule="sklearn").fit(X, y)


def test_white2021_ngb_preset_uses_naslib_trees():
    m = make("ngb", preset="white2021")
    assert m.leaf_rule == "naslib"


def test_empty_minibatch_is_refused_not_an_endless_loop():
    """ngboost takes int(minibatch_frac * n) rows per step; with none its line search halves the step forever
    (NaN loss). fastnas refuses it up front; OMNI's search skips such a configuration."""
    X = np.random.default_rng(0).random((4, 3))
    y = np.arange(4.0)
    with pytest.raises(ValueError, match="empty minibatch"):
        make("ngb", n_estimators=5, minibatch_frac=0.2).fit(X, y)
    with pytest.raises(ValueError, match="minibatch_frac must be"):
        make("ngb", minibatch_frac=0.0).fit(X, y)
    assert make("ngb", n_estimators=5, minibatch_frac=0.25, seed=0).fit(X, y).predict(X).shape == (4,)


def test_omni_white2021_at_five_cells_finishes():
    """NASLib's search ranges on 5 training cells (3-fold CV: folds of 3-4 training rows) include
    minibatch fractions that draw no row; those configurations are skipped and the fit ends."""
    from fastnas.predictors._batch import Batch

    rng = np.random.default_rng(1)
    F = rng.random((5, 4))
    y = F[:, 0] + 0.1 * rng.random(5)
    m = make("omni", preset="white2021", n_iter=12, seed=3)
    m.fit(Batch(features=F, zc={"jacov": y}), y)
    assert np.isfinite(m.predict(Batch(features=F, zc={"jacov": y}))).all()
    assert any(s == -np.inf for _, s in m.search_)  # some draws were ineligible ...
    assert np.isfinite(m.cv_score_)  # ... and an eligible one was kept


def test_bad_parameters_raise_clear_errors():
    from fastnas.predictors._batch import Batch

    X = np.random.default_rng(0).random((20, 3))
    y = X[:, 0].copy()
    for kw, word in ((dict(n_estimators=0), "n_estimators"), (dict(learning_rate=float("nan")), "learning_rate"),
                     (dict(learning_rate=-1.0), "learning_rate")):
        with pytest.raises(ValueError, match=word):
            make("ngb", **kw).fit(X, y)
    b = Batch(features=X, zc={"jacov": y})
    for kw, word in ((dict(cv=1), "cv"), (dict(cv=50), "cv"), (dict(min_search=-1), "min_search")):
        with pytest.raises(ValueError, match=word):
            make("omni", n_iter=3, **kw).fit(b, y)

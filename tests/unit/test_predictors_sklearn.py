"""The model-based predictors are real scikit-learn estimators: they work inside Pipeline,
cross_val_score and GridSearchCV with the same numbers as a hand-written loop, refuse bad input with
scikit-learn's messages, raise NotFittedError before fit, and ``make(name, seed=...)`` works for every name."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastnas.predictors import PREDICTORS, Predictor, family, make

# small settings: each is fitted a handful of times per test
FAST = {
    "rf": {"n_estimators": 10},
    "blr": {},
    "gp": {},
    "xgb": {"n_estimators": 20},
    "ngb": {"n_estimators": 20},
}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.random((36, 4)) * np.array([1.0, 10.0, 100.0, 0.1])  # scales differ: the scaler matters
    y = X @ np.array([1.0, 0.1, 0.01, 10.0]) + 0.01 * rng.standard_normal(36)
    return X, y


def _kfold_r2(make_model, X, y, n_splits=3):
    """Independent cross-validation: scale with the training fold's mean/std, fit, R^2 by hand."""
    out = []
    for tr, te in KFold(n_splits).split(X):
        mu, sd = X[tr].mean(0), X[tr].std(0)
        m = make_model().fit((X[tr] - mu) / sd, y[tr])
        pred = m.predict((X[te] - mu) / sd)
        resid = ((y[te] - pred) ** 2).sum()
        total = ((y[te] - y[te].mean()) ** 2).sum()
        out.append(1.0 - resid / total)
    return np.array(out)


def test_pipeline_and_cross_val_score_match_a_hand_written_loop(data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), make("rf", n_estimators=20, seed=0))
    got = cross_val_score(pipe, X, y, cv=KFold(3))
    want = _kfold_r2(lambda: make("rf", n_estimators=20, seed=0), X, y)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got.mean() > 0.5  # it learned something: R^2 of a constant is <= 0


def test_grid_search_over_a_pipeline(data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), make("rf", seed=0))
    grid = {"randomforest__n_estimators": [3, 20], "randomforest__min_samples_leaf": [1, 8]}
    gs = GridSearchCV(pipe, grid, cv=KFold(3)).fit(X, y)
    for i, params in enumerate(gs.cv_results_["params"]):
        want = _kfold_r2(lambda: make("rf", seed=0, n_estimators=params["randomforest__n_estimators"],
                                      min_samples_leaf=params["randomforest__min_samples_leaf"]), X, y)
        assert gs.cv_results_["mean_test_score"][i] == pytest.approx(want.mean(), rel=1e-12)
    best = int(np.argmax(gs.cv_results_["mean_test_score"]))
    assert gs.best_params_ == gs.cv_results_["params"][best]
    # refit on all rows with the best parameters
    assert gs.best_estimator_[-1].n_estimators == gs.best_params_["randomforest__n_estimators"]
    assert gs.predict(X).shape == (len(X),)


@pytest.mark.parametrize("name", sorted(FAST))
def test_estimator_basics(name, data):
    X, y = data
    m = make(name, seed=0, **FAST[name])
    assert isinstance(m, Predictor) and is_regressor(m)
    with pytest.raises(NotFittedError):
        m.predict(X)
    c = clone(m)
    assert c is not m and c.get_params() == m.get_params()
    m.fit(X, y)
    assert m.n_features_in_ == 4
    assert m.score(X, y) == pytest.approx(r2_score(y, m.predict(X)), rel=1e-12)
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 4 features as input"):
        m.predict(X[:, :3])
    assert not hasattr(clone(m), "n_features_in_")  # clone gives an unfitted copy


@pytest.mark.parametrize("name", sorted(FAST))
@pytest.mark.parametrize("case, exc, msg", [
    ("1d", ValueError, "Expected 2D array, got 1D array"),
    ("complex", ValueError, "Complex data not supported"),
    ("sparse", TypeError, "Sparse data was passed"),
    ("empty", ValueError, r"0 sample\(s\)"),
    ("one", ValueError, "1 sample"),
    ("nan_y", ValueError, "Input y contains NaN"),
    ("y_none", ValueError, "requires y to be passed"),
    ("lengths", ValueError, "inconsistent numbers of samples"),
])
def test_bad_input_refused_with_sklearn_messages(name, case, exc, msg, data):
    X, y = data
    bad = {
        "1d": (X[:, 0], y),
        "complex": (X + 1j, y),
        "sparse": (sp.csr_matrix(X), y),
        "empty": (X[:0], y[:0]),
        "one": (X[:1], y[:1]),
        "nan_y": (X, np.where(np.arange(len(y)) == 2, np.nan, y)),
        "y_none": (X, None),
        "lengths": (X, y[:-1]),
    }[case]
    with pytest.raises(exc, match=msg):
        make(name, seed=0, **FAST[name]).fit(*bad)


def test_predict_refuses_1d_and_complex(data):
    X, y = data
    m = make("blr").fit(X, y)
    with pytest.raises(ValueError, match="Expected 2D array"):
        m.predict(X[0])
    with pytest.raises(ValueError, match="Complex data not supported"):
        m.predict(X[:2] + 1j)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        m.predict(np.where(X == X[0, 0], np.nan, X))


def test_make_accepts_seed_for_every_name():
    for name in PREDICTORS:
        try:
            m = make(name, seed=7)
        except ImportError as exc:  # optional extra missing here
            pytest.skip(str(exc))
        if "seed" in m.get_params():
            assert m.get_params()["seed"] == 7, name
        else:  # deterministic model: nothing to seed, and nothing random in its parameters
            assert not any(k in m.get_params() for k in ("random_state", "rng")), name
    # a model with a seed keeps it; a deterministic one gives the same result with any seed
    X = np.random.default_rng(1).random((20, 3)); y = X.sum(1)
    np.testing.assert_array_equal(make("gp", seed=1).fit(X, y).predict(X), make("gp", seed=2).fit(X, y).predict(X))
    assert family("gp") == "model-based"


def test_ngboost_constant_targets_say_so():
    X = np.random.default_rng(0).random((20, 3))
    with pytest.raises(ValueError, match="constant targets") as info:
        make("ngb", n_estimators=10).fit(X, np.full(20, 93.5))
    assert "NaN" not in str(info.value)


def test_dataframe_feature_names_checked_and_saved(data, tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = data
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    m = make("rf", n_estimators=5, seed=0).fit(df, y)
    assert list(m.feature_names_in_) == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="feature names"):
        m.predict(df[["b", "a", "c", "d"]])
    m.save(tmp_path / "m.npz")
    again = type(m).load(tmp_path / "m.npz")
    assert list(again.feature_names_in_) == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(again.predict(df), m.predict(df))


def test_cells_still_encoded_with_the_space():
    from fastnas.spaces import NB201

    space = NB201()
    cells = space.sample(30, seed=0)
    y = (cells.ops == 3).sum(1).astype(float)
    m = make("blr", space=space, encoding="adjacency").fit(cells, y)
    F = space.encode(cells, "adjacency")
    assert m.n_features_in_ == F.shape[1]
    np.testing.assert_allclose(m.predict(cells), make("blr").fit(F, y).predict(F), rtol=1e-12)
    assert m.score(cells, y) == pytest.approx(r2_score(y, m.predict(cells)))


def test_load_refuses_object_arrays_without_unsafe_advice(tmp_path):
    # a file holding a pickled object array must be refused without echoing numpy's allow_pickle advice
    p = tmp_path / "evil.npz"
    np.savez(p, __header__=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError) as err:
        Predictor.load(p)
    assert "allow_pickle" not in str(err.value) and "never pickles" in str(err.value)

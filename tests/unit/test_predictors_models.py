"""Model-based predictors: each learns a known function (linear in the NB201 path encoding) better
than a constant baseline, round-trips through safe persistence, and follows scikit-learn conventions."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from fastnas.predictors import Predictor, make
from fastnas.predictors.metrics import kendall_tau, rmse

# (name, small params) -- kept small so the whole module stays a few seconds
NUMPY_MODELS = [
    ("sparse_gp", {"num_inducing": 60}),  # 155-d linear target: needs many inducing points
    ("rf", {"n_estimators": 30}),
    ("xgb", {"n_estimators": 60}),
    ("lgb", {"n_estimators": 60, "min_data_in_leaf": 3}),
    ("ngb", {"n_estimators": 60, "learning_rate": 0.1}),
    ("gp", {}),
    ("blr", {}),
]
TORCH_MODELS = [
    ("dngo", {"epochs": 60, "hidden": (32, 32)}),
    ("mlp", {"epochs": 60}),
    ("bananas", {"epochs": 40, "n_members": 2}),
]
GRAPH_MODELS = [("gcn", {"epochs": 100, "lr": 1e-2}), ("bonas", {"epochs": 100, "lr": 1e-2, "target_transform": "minmax"})]


@pytest.fixture(scope="module")
def nb201_task():
    """A linear function of the path encoding on real NB201 cells."""
    from fastnas.spaces import NB201

    space = NB201()
    cells = space.sample(160, seed=1)
    P = space.encode(cells, "path")
    w = np.random.default_rng(0).normal(size=P.shape[1])
    y = P @ w
    return space, cells, y


def _seed_param(name):
    p = make(name).get_params()
    return {"seed": 0} if "seed" in p else {}


def _check(name, params, space, cells, y, encoding, tmp_path):
    m = make(name, space=space, encoding=encoding, **params, **_seed_param(name))
    tr, te = slice(0, 100), slice(100, 160)
    m.fit(cells[tr], y[tr])
    p = m.predict(cells[te])
    base = rmse(y[te], np.full(60, y[tr].mean()))
    assert rmse(y[te], p) < 0.9 * base, f"{name}: no better than a constant"
    assert kendall_tau(y[te], p) > 0.3, name
    if m.has_uncertainty:
        mean, std = m.predict_dist(cells[te])
        np.testing.assert_allclose(mean, p, rtol=1e-6, atol=1e-9)
        assert (std > 0).all()
    path = tmp_path / f"{name}.npz"
    m.save(path)
    m2 = Predictor.load(path)
    assert type(m2) is type(m)
    np.testing.assert_allclose(m2.predict(cells[te]), p, rtol=1e-6, atol=1e-6)
    # scikit-learn conventions: clone gives an unfitted copy with the same parameters
    c = clone(m)
    assert c.get_params() == m.get_params() or set(c.get_params()) == set(m.get_params())
    assert not hasattr(c, "n_features_in_")


@pytest.mark.parametrize("name,params", NUMPY_MODELS, ids=[n for n, _ in NUMPY_MODELS])
def test_numpy_models_learn_linear_path_function(name, params, nb201_task, tmp_path):
    space, cells, y = nb201_task
    _check(name, params, space, cells, y, "path", tmp_path)


@pytest.mark.parametrize("name,params", TORCH_MODELS, ids=[n for n, _ in TORCH_MODELS])
def test_torch_models_learn_linear_path_function(name, params, nb201_task, tmp_path):
    pytest.importorskip("torch")
    space, cells, y = nb201_task
    _check(name, params, space, cells, y, "path", tmp_path)


@pytest.mark.parametrize("name,params", GRAPH_MODELS, ids=[n for n, _ in GRAPH_MODELS])
def test_graph_models_learn(name, params, nb201_task, tmp_path):
    """Graph models pool node states, so their known function is linear in the operation counts."""
    pytest.importorskip("torch")
    space, cells, _ = nb201_task
    counts = np.stack([(cells.ops == k).sum(1) for k in range(5)], axis=1).astype(float)
    y = counts @ np.array([0.0, 1.0, 2.0, 3.0, -1.0])
    _check(name, params, space, cells, y, "gcn", tmp_path)


def test_same_seed_same_predictions(nb201_task):
    space, cells, y = nb201_task
    for name, params in [("rf", {"n_estimators": 10}), ("sparse_gp", {"num_inducing": 10}),
                         ("ngb", {"n_estimators": 20})]:
        a = make(name, space=space, encoding="path", seed=3, **params).fit(cells[:60], y[:60]).predict(cells[60:])
        b = make(name, space=space, encoding="path", seed=3, **params).fit(cells[:60], y[:60]).predict(cells[60:])
        np.testing.assert_array_equal(a, b)


def test_packed_trees_match_sklearn():
    """The flat-array forest/NGBoost evaluation equals the libraries' own predictions."""
    from ngboost import NGBRegressor
    from sklearn.ensemble import RandomForestRegressor

    from fastnas.predictors._trees import pack_trees, predict_trees

    rng = np.random.default_rng(0)
    X, y = rng.random((80, 5)), rng.random(80)
    rf = RandomForestRegressor(n_estimators=7, random_state=0).fit(X, y)
    ours = predict_trees(pack_trees(rf.estimators_), X).mean(0)
    np.testing.assert_allclose(ours, rf.predict(X), rtol=1e-12)
    ngb = NGBRegressor(n_estimators=15, verbose=False, random_state=0, col_sample=0.6).fit(X, y)
    trees = [m for models in ngb.base_models for m in models]
    cols = [c for c, models in zip(ngb.col_idxs, ngb.base_models) for _ in models]
    P = predict_trees(pack_trees(trees, cols), X).reshape(-1, 2, 80)
    s = np.repeat(np.asarray(ngb.scalings)[:, None], 2, axis=1)
    params = ngb.init_params[None] - ngb.learning_rate * (P * s[:, :, None]).sum(0).T
    np.testing.assert_allclose(params, ngb.pred_param(X), rtol=1e-10, atol=1e-12)


def test_features_input_and_stack(nb201_task):
    from fastnas.predictors.stack import Stack

    space, cells, y = nb201_task
    F = space.encode(cells, "path")
    members = [make("blr"), make("rf", n_estimators=20)]
    s = Stack(members=members, seed=0).fit(F[:100], y[:100])
    p = s.predict(F[100:])
    worst = min(kendall_tau(y[100:], m.fit(F[:100], y[:100]).predict(F[100:])) for m in members)
    assert kendall_tau(y[100:], p) >= worst - 0.02


@pytest.mark.parametrize("space_name,encoding", [("nb101", "path_trunc"), ("darts", "adjacency"),
                                                 ("nbgraph", "onehot"), ("nb201", "categorical")])
def test_any_space_any_encoding(space_name, encoding):
    """Cells of every space go through the predictor's space/encoding parameters."""
    from fastnas.spaces import get_space

    space = get_space(space_name)
    cells = space.sample(120, seed=2)
    F = np.asarray(space.encode(cells, encoding), dtype=float)
    y = F @ np.random.default_rng(1).normal(size=F.shape[1])
    for name in ("blr", "rf"):
        m = make(name, space=space, encoding=encoding, **({"n_estimators": 30} if name == "rf" else {}))
        p = m.fit(cells[:80], y[:80]).predict(cells[80:])
        np.testing.assert_allclose(p, make(name, **({"n_estimators": 30} if name == "rf" else {}))
                                   .fit(F[:80], y[:80]).predict(F[80:]))
        assert rmse(y[80:], p) < 0.9 * rmse(y[80:], np.full(40, y[:80].mean())), (space_name, name)

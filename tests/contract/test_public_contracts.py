"""The public contract suites of fastnas.testing, run on every built-in space, optimizer and predictor."""
import pytest

from fastnas.spaces import get_space
from fastnas.testing import check_optimizer, check_predictor, check_sklearn, check_space

SPACES = ["nb101", "nb201", "darts", "nbgraph"]


@pytest.mark.parametrize("name", SPACES)
def test_space_contract(name):
    # NB101's enumeration is covered (with its cache) by its own tests
    check_space(get_space(name), check_enumerate=name != "nb101")


@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("algo", ["random", "evolution", "local_search"])
def test_cheap_optimizer_contract(algo, space):
    check_optimizer(algo, get_space(space), population=6, tournament=3) if algo == "evolution" \
        else check_optimizer(algo, get_space(space))


@pytest.mark.parametrize("algo, params", [
    ("bananas", {"n_init": 4, "epochs": 5, "n_candidates": 10}),
    ("bonas", {"n_init": 4, "n_candidates": 10, "epochs": 5}),
    ("gp_bo", {"n_init": 4, "n_candidates": 10}),
    ("npenas", {"n_init": 4, "n_candidates": 10, "epochs": 5}),
])
def test_model_based_optimizer_contract(algo, params):
    pytest.importorskip("torch")
    check_optimizer(algo, get_space("nb201"), **params)


@pytest.mark.parametrize("name", ["blr", "gp", "rf", "xgb", "lgb", "ngb", "sparse_gp"])
def test_predictor_contract(name):
    from fastnas import predictors

    try:
        model = predictors.make(name)
    except ImportError as exc:  # optional dependency absent
        pytest.skip(str(exc))
    check_predictor(model)


# scikit-learn's check_estimator on every registered model-based predictor, with small settings (every
# check fits fresh clones; one BLAS thread, since tiny matrices only lose from more). Cheap ones run always;
# the rest, and any predictor registered without an entry here (default settings), are marked slow.
_SK_FAST = {"rf": {"n_estimators": 10}, "blr": {}, "xgb": {"n_estimators": 20}, "lgb": {"n_estimators": 20}}
_SK_SMALL = {
    "gp": {}, "sparse_gp": {"num_inducing": 10}, "ngb": {"n_estimators": 30},
    "mlp": {"epochs": 30, "n_layers": 3}, "bananas": {"epochs": 30, "n_layers": 3, "n_members": 2},
    "dngo": {"epochs": 30, "hidden": (16, 16)},
    "bohamiann": {"num_steps": 300, "num_burn_in_steps": 100, "keep_every": 20, "hidden": (16, 16)},
    "var_sparse_gp": {"num_inducing": 20, "steps": 300, "lr": 0.05},
    # structured input (graph rows, graphs, token sequences): scikit-learn's API checks only
    "gcn": {"epochs": 2}, "bonas": {"epochs": 2}, "gcn_wen": {"epochs": 2}, "bonas_gcn": {"epochs": 2},
    "gp_wl": {}, "nao": {"epochs": 2},
    "seminas": {"epochs": 2, "semi_epochs": 2},
}
# known defects in modules owned elsewhere, kept visible as expected failures with the reason
_SK_KNOWN = {
    "nao": {"check_estimators_unfitted": "NAO.predict before fit does not raise NotFittedError"},
    "seminas": {"check_estimators_unfitted": "NAO.predict before fit does not raise NotFittedError"},
    "gp_wl": {"check_estimators_unfitted": "GPWL.predict before fit does not raise NotFittedError"},
}


def _model_based():
    from fastnas.predictors import PREDICTORS, family

    return [n for n in PREDICTORS if family(n) == "model-based"]


def _sklearn_contract(name):
    from threadpoolctl import threadpool_limits

    from fastnas import predictors

    if name not in ("gp", "sparse_gp", "ngb", "blr", "rf", "xgb", "lgb", "gp_wl"):
        pytest.importorskip("torch")
    try:
        model = predictors.make(name, seed=0, **_SK_FAST.get(name, _SK_SMALL.get(name, {})))
    except ImportError as exc:  # optional dependency absent
        pytest.skip(str(exc))
    with threadpool_limits(limits=1):
        status = check_sklearn(model, expected_failed_checks=_SK_KNOWN.get(name))
    assert "failed" not in status.values()
    return status


@pytest.mark.parametrize("name", list(_SK_FAST))
def test_predictor_sklearn_checks(name):
    status = _sklearn_contract(name)
    assert status["check_regressors_train"] == "passed" and "xfail" not in status.values()


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in _model_based() if n not in _SK_FAST])
def test_predictor_sklearn_checks_slow(name):
    _sklearn_contract(name)


def test_contract_suites_catch_broken_implementations():
    """The suites are not vacuous: a space whose mutate returns the parents, and a predictor that predicts
    a constant, are both rejected."""
    import numpy as np

    from fastnas.predictors import Predictor
    from fastnas.spaces.nb201 import NB201

    class LazyMutation(NB201):
        def mutate(self, cells, rate=1.0, seed=None, **kw):
            return cells

    with pytest.raises(AssertionError, match="isomorphic to its parent"):
        check_space(LazyMutation())

    class Constant(Predictor):
        def _fit(self, F, y):
            self.mean_ = float(y.mean())

        def _predict(self, F):
            return np.full(len(F), self.mean_ + 1.0)

    with pytest.raises(AssertionError, match="constant baseline"):
        check_predictor(Constant())

    class NoValidation(Predictor):  # predicts before fit and ignores the number of features
        def _fit(self, F, y):
            self.w_ = np.linalg.lstsq(np.c_[F, np.ones(len(F))], y, rcond=None)[0]

        def predict(self, X, return_std=False):
            return np.asarray(X, dtype=float).sum(axis=1)

    with pytest.raises(AssertionError):
        check_sklearn(NoValidation())

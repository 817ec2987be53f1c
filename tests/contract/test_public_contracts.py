"""The public contract suites of fastnas.testing, run on every built-in space, optimizer and predictor."""
import pytest

from fastnas.spaces import get_space
from fastnas.testing import check_optimizer, check_predictor, check_space

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

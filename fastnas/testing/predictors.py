"""Contract of a ``fastnas.predictors`` predictor: fastnas's own promises (``check_predictor``) and
scikit-learn's estimator checks (``check_sklearn``).

Predictors whose ``X`` is a structured encoding rather than an arbitrary real matrix (graph rows of the
``gcn`` encoding, NAO/SemiNAS token sequences) cannot be fitted on the random real matrices most of
scikit-learn's checks generate. For them ``check_sklearn`` runs scikit-learn's API checks only
(``legacy=False``), and the checks among those that fit on random real matrices are passed as expected
failures naming the reason; everything that does not need a fit (clone, ``get_params``, repr, tags, no
logic in ``__init__``, ``NotFittedError`` before ``fit``) must still pass.
"""
from __future__ import annotations

import os
import tempfile

import numpy as np


def check_predictor(predictor, n_train: int = 60, n_test: int = 40, n_features: int = 8, seed: int = 0) -> None:
    """Raise ``AssertionError`` on the first broken promise of an (unfitted) predictor instance.

    Checks: the constructor stored its parameters (``get_params``/``set_params``); ``fit`` returns self and
    learns a linear function better than the mean; predictions are finite and of the right shape;
    ``predict_dist`` agrees with ``predict`` where the model has uncertainty; bad input (mismatched lengths,
    NaN targets, too few points, wrong feature count, predict before fit) raises clear errors; a saved
    model predicts the same after loading.
    """
    from ..predictors import Predictor

    name = type(predictor).__name__
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, size=(n_train + n_test, n_features)).astype(np.float64)
    w = np.linspace(1.0, 3.0, n_features)
    y = X @ w + 0.01 * rng.standard_normal(len(X))
    Xtr, ytr, Xte, yte = X[:n_train], y[:n_train], X[n_train:], y[n_train:]

    params = predictor.get_params()
    clone = type(predictor)(**params)
    assert clone.get_params().keys() == params.keys(), f"{name}: get_params does not round-trip"
    try:
        predictor.predict(Xte)
    except (RuntimeError, ValueError, AttributeError):
        pass
    else:
        raise AssertionError(f"{name}.predict worked before fit")

    assert predictor.fit(Xtr, ytr) is predictor, f"{name}.fit must return self"
    pred = predictor.predict(Xte)
    assert pred.shape == (n_test,) and np.isfinite(pred).all(), f"{name}.predict shape or values"
    mse, base = np.mean((pred - yte) ** 2), np.mean((ytr.mean() - yte) ** 2)
    assert mse < base, f"{name} does not beat the constant baseline on a linear function ({mse:.3f} vs {base:.3f})"
    if getattr(predictor, "has_uncertainty", False):
        mean, std = predictor.predict_dist(Xte)
        assert np.allclose(mean, pred) and (std >= 0).all() and std.shape == (n_test,), f"{name}.predict_dist"

    for bad_X, bad_y, what in ((Xtr, ytr[:-1], "mismatched lengths"),
                               (Xtr, np.where(np.arange(n_train) == 3, np.nan, ytr), "NaN targets"),
                               (Xtr[:1], ytr[:1], "one training point")):
        try:
            type(predictor)(**params).fit(bad_X, bad_y)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{name}.fit accepted {what}")
    try:
        predictor.predict(Xte[:, :-1])
    except ValueError:
        pass
    else:
        raise AssertionError(f"{name}.predict accepted the wrong number of features")

    if hasattr(predictor, "save"):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "model.npz")
            predictor.save(path)
            again = type(predictor).load(path)
            assert np.allclose(again.predict(Xte), pred), f"{name}: a loaded model predicts differently"
    assert isinstance(predictor, Predictor), f"{name} does not subclass fastnas.predictors.Predictor"


#: built-in predictors reading a structured encoding, not a plain feature matrix: class name -> input
STRUCTURED_INPUT: dict[str, str] = {
    "GCNPredictor": "flat gcn graph rows [node features, adjacency]",
    "BONAS": "flat gcn graph rows [node features, adjacency] and accuracy targets in [0, 100]",
    "NeuralPredictorGCN": "flat gcn graph rows [node features, adjacency]",
    "BONASGCN": "flat gcn graph rows [node features, adjacency]",
    "NAO": "integer token sequences (N, L)",
    "SemiNAS": "integer token sequences (N, L)",
    "GPWL": "NB201 Cells or (adjacency, labels) graph pairs",
}

#: scikit-learn API checks that fit on random real matrices (only these may fail for STRUCTURED_INPUT)
_FITS_ON_RANDOM_MATRICES = (
    "check_fit_score_takes_y", "check_estimators_overwrite_params", "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self", "check_readonly_memmap_input", "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit",
)


def sklearn_expected_failures(predictor, structured_input: str | None = None) -> dict[str, str]:
    """The ``expected_failed_checks`` dict ``check_sklearn`` passes to scikit-learn for ``predictor``:
    the predictor's own declarations (``_expected_failed_checks()``) plus, for a structured input, the
    API checks that fit on random real matrices.

    >>> from fastnas.predictors import make
    >>> sklearn_expected_failures(make("rf"))
    {}
    >>> sorted(sklearn_expected_failures(make("rf"), structured_input="graphs"))[:2]
    ['check_dont_overwrite_parameters', 'check_estimators_fit_returns_self']
    """
    out = dict(getattr(predictor, "_expected_failed_checks", dict)())
    if structured_input is not None:
        for check in _FITS_ON_RANDOM_MATRICES:
            out.setdefault(check, f"fits on random real matrices; {type(predictor).__name__} reads "
                                  f"{structured_input}")
    return out


def check_sklearn(predictor, *, structured_input: str | None = None, expected_failed_checks=None) -> dict:
    """Run ``sklearn.utils.estimator_checks.check_estimator`` on an (unfitted) predictor.

    Parameters
    ----------
    predictor : estimator instance; keep torch models cheap (few epochs, small layers), every check fits
        a fresh clone.
    structured_input : description of the input when ``X`` is a structured encoding (graph rows, token
        sequences) instead of a plain feature matrix; default: looked up in ``STRUCTURED_INPUT`` by class
        name. With it, only scikit-learn's API checks run (see the module docstring).
    expected_failed_checks : further check name -> reason entries.

    Returns
    -------
    dict
        check name -> status ("passed", "xfail", "skipped") of every check run.

    Raises
    ------
    AssertionError or the check's exception
        On the first check that fails without being expected to.

    Examples
    --------
    >>> from fastnas.predictors import make
    >>> status = check_sklearn(make("blr"))  # doctest: +SKIP
    """
    import warnings

    from sklearn.utils.estimator_checks import check_estimator

    if structured_input is None:
        structured_input = STRUCTURED_INPUT.get(type(predictor).__name__)
    xfail = sklearn_expected_failures(predictor, structured_input)
    xfail.update(expected_failed_checks or {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(predictor, legacy=structured_input is None, expected_failed_checks=xfail,
                                  on_skip=None, on_fail="raise")
    status: dict[str, str] = {}
    for r in results:  # a check run twice (pickle plain and memory-mapped) keeps "xfail" if either was
        if status.get(r["check_name"]) != "xfail":
            status[r["check_name"]] = r["status"]
    return status

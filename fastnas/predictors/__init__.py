"""Performance predictors (scikit-learn style) and the evaluation harness of White et al. 2021,
"How Powerful are Performance Predictors in Neural Architecture Search?".

Families: model-based (GP, sparse GP, BLR, DNGO, random forest, XGBoost, LightGBM, NGBoost, MLP,
BANANAS ensemble, GCN, BONAS, SemiNAS), learning-curve (SoTL, SoTL-E, SoTL-EMA, early stopping, LCE,
LcSVR), zero-cost (precomputed tables, live proxies) and hybrids (OMNI, ``Stack``).

>>> from fastnas.predictors import make
>>> make("rf", n_estimators=10)
RandomForest(n_estimators=10)
"""
from __future__ import annotations

import importlib

from ._base import Predictor
from ._registry import PREDICTORS, available, family, make

__all__ = [
    "Predictor", "make", "family", "available", "PREDICTORS", "Curves", "Batch", "evaluate", "summarize", "plot_results", "EvalData",
    "metrics", *sorted({v[1] for v in PREDICTORS.values()}),
]

_EXTRA = {
    "Curves": ("fastnas.predictors.lc", "Curves"),
    "evaluate": ("fastnas.predictors.evaluate_protocol", "evaluate"),
    "summarize": ("fastnas.predictors.evaluate_protocol", "summarize"),
    "plot_results": ("fastnas.predictors.evaluate_plot", "plot_results"),
    "Batch": ("fastnas.predictors._batch", "Batch"),
    "EvalData": ("fastnas.predictors.evaluate_data", "EvalData"),
    "metrics": ("fastnas.predictors.metrics", None),
}


def __getattr__(name):  # lazy: importing fastnas.predictors loads no torch/xgboost/...
    if name in _EXTRA:
        mod, attr = _EXTRA[name]
        m = importlib.import_module(mod)
        return m if attr is None else getattr(m, attr)
    for mod, cls, _ in PREDICTORS.values():
        if cls == name:
            return getattr(importlib.import_module(mod), cls)
    raise AttributeError(f"module 'fastnas.predictors' has no attribute {name!r}")

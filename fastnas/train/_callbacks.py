"""Early-stopping callbacks for ``fit``: called after every epoch with the ``Curves`` so far; a truthy
return stops the run. Any callable works; these are common cases."""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ._result import Curves

__all__ = ["PatienceStop", "ThresholdStop", "PredictedStop"]


class PatienceStop:
    """Stop when ``metric`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    >>> from fastnas.train import Curves
    >>> c = Curves(epochs=10, val_acc=[50.0, 60.0, 59.0, 58.0])
    >>> PatienceStop(patience=2)(c)
    True
    """

    def __init__(self, patience: int = 5, metric: str = "val_acc", min_delta: float = 0.0, mode: str | None = None):
        if patience < 1:
            raise ValueError(f"patience must be >= 1, got {patience}")
        self.patience, self.metric, self.min_delta = int(patience), metric, float(min_delta)
        self.mode = mode or ("min" if metric.endswith("loss") else "max")
        if self.mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")

    def __call__(self, curves: Curves) -> bool:
        v = np.asarray(getattr(curves, self.metric), dtype=np.float64)
        if self.mode == "min":
            v = -v
        if len(v) <= self.patience or np.isnan(v).all():
            return False  # too early, or the metric is not recorded (e.g. no validation data)
        v = np.where(np.isnan(v), -np.inf, v)
        best_before = np.max(v[: -self.patience])
        return not bool(np.max(v[-self.patience:]) > best_before + self.min_delta)


class ThresholdStop:
    """Stop after epoch ``epoch`` (1-based) if ``metric`` is below ``threshold`` (a poor candidate).

    >>> from fastnas.train import Curves
    >>> ThresholdStop(epoch=2, threshold=30.0)(Curves(epochs=10, val_acc=[10.0, 12.0]))
    True
    """

    def __init__(self, epoch: int, threshold: float, metric: str = "val_acc"):
        self.epoch, self.threshold, self.metric = int(epoch), float(threshold), metric

    def __call__(self, curves: Curves) -> bool:
        v = getattr(curves, self.metric)
        return len(v) == self.epoch and not (v[-1] >= self.threshold)


class PredictedStop:
    """Stop when a learning-curve predictor says the final value will not beat ``target``.

    ``predict(partial_curve, total_epochs) -> float`` gets the metric curve so far (a float64 array) and the
    planned number of epochs and returns the predicted final value (e.g. a fitted LC predictor's extrapolation).
    It is consulted from ``min_epochs`` on; the run stops when the prediction is below ``target``
    (or above it when ``mode="min"``).

    >>> from fastnas.train import Curves
    >>> stop = PredictedStop(lambda c, n: c[-1] + 1.0, target=90.0, min_epochs=2)
    >>> stop(Curves(epochs=20, val_acc=[40.0, 50.0]))
    True
    """

    def __init__(self, predict: Callable[[np.ndarray, int], float], target: float, metric: str = "val_acc",
                 min_epochs: int = 1, mode: str = "max"):
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.predict, self.target, self.metric = predict, float(target), metric
        self.min_epochs, self.mode = int(min_epochs), mode
        self.predictions: list[float] = []

    def __call__(self, curves: Curves) -> bool:
        v = np.asarray(getattr(curves, self.metric), dtype=np.float64)
        if len(v) < self.min_epochs:
            return False
        p = float(self.predict(v, curves.epochs))
        self.predictions.append(p)
        if math.isnan(p):
            return False
        return p < self.target if self.mode == "max" else p > self.target

"""AutoML on a user's image dataset: zero-cost pre-screening, NAS with real training, learning-curve
early stopping, checkpoint/resume and a report (``run``; CLI ``fastnas automl``)."""
from __future__ import annotations

from ._budget import parse_budget
from ._run import AutoMLResult, run
from ._stopping import MedianStopping

__all__ = ["run", "AutoMLResult", "MedianStopping", "parse_budget"]

"""Performance predictors (scikit-learn style)."""
from __future__ import annotations

from ._base import Predictor

__all__ = ["Predictor"]

"""AutoML on a user's image dataset: zero-cost pre-screening, NAS with real training, learning-curve
early stopping, checkpoint/resume and a report (``run``; CLI ``fastnas automl``)."""
from __future__ import annotations

from .._extras import require as _require

_require("torch", "fastnas.automl")  # else: MissingExtraError saying pip install "fastnas[torch]"

from ._budget import parse_budget  # noqa: E402
from ._run import AutoMLResult, run  # noqa: E402
from ._stopping import MedianStopping  # noqa: E402

__all__ = ["run", "AutoMLResult", "MedianStopping", "parse_budget"]

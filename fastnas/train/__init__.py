"""Training torch classifiers with learning curves: ``fit(model, train_data, val_data, epochs=...)``.

SGD (Nesterov) or Adam, cosine schedule, per-epoch train/validation loss and accuracy, early-stop callbacks,
atomic per-epoch checkpoints with exact resume, CPU or CUDA, deterministic under a seed on CPU.
``fit_graph`` trains GNNs (``model(x, edge_index)``) full-batch for node classification.
"""
from __future__ import annotations

from .._extras import require as _require

_require("torch", "fastnas.train")  # else: MissingExtraError saying pip install "fastnas[torch]"

from ._callbacks import PatienceStop, PredictedStop, ThresholdStop  # noqa: E402
from ._fit import fit  # noqa: E402
from ._fit_graph import fit_graph  # noqa: E402
from ._result import Curves, TrainResult  # noqa: E402

__all__ = ["fit", "fit_graph", "TrainResult", "Curves", "PatienceStop", "ThresholdStop", "PredictedStop"]

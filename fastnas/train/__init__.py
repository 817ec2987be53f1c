"""Training torch classifiers with learning curves: ``fit(model, train_data, val_data, epochs=...)``.

SGD (Nesterov) or Adam, cosine schedule, per-epoch train/validation loss and accuracy, early-stop callbacks,
atomic per-epoch checkpoints with exact resume, CPU or CUDA, deterministic under a seed on CPU.
``fit_graph`` trains GNNs (``model(x, edge_index)``) full-batch for node classification.
"""
from __future__ import annotations

from ._callbacks import PatienceStop, PredictedStop, ThresholdStop
from ._fit import fit
from ._fit_graph import fit_graph
from ._result import Curves, TrainResult

__all__ = ["fit", "fit_graph", "TrainResult", "Curves", "PatienceStop", "ThresholdStop", "PredictedStop"]

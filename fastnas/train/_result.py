"""Learning curves and the result of ``fit``."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Curves", "TrainResult"]

CURVE_NAMES = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "epoch_time")


@dataclass
class Curves:
    """Per-epoch learning curves so far (accuracies in percent, losses mean cross-entropy, ``epoch_time`` in
    seconds). ``epochs`` is the planned number of epochs; ``len(curves)`` the number completed. Callbacks
    receive this object after every epoch."""

    epochs: int
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.train_loss)

    def to_dict(self) -> dict[str, Any]:
        return {"epochs": self.epochs, **{k: list(map(float, getattr(self, k))) for k in CURVE_NAMES}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Curves":
        return cls(epochs=int(d["epochs"]), **{k: [float(v) for v in d[k]] for k in CURVE_NAMES})

    def to_frame(self):
        """A pandas DataFrame, one row per completed epoch (``epoch`` counts from 1)."""
        import pandas as pd

        df = pd.DataFrame({k: np.asarray(getattr(self, k), dtype=np.float64) for k in CURVE_NAMES})
        df.insert(0, "epoch", np.arange(1, len(self) + 1))
        return df


@dataclass
class TrainResult:
    """What ``fit`` returns.

    Attributes
    ----------
    model : torch.nn.Module
        The trained network (on the training device, in eval mode).
    curves : Curves
        Per-epoch learning curves; also as arrays ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``,
        ``epoch_time`` on this object.
    stopped_early : bool
        A callback stopped the run before ``curves.epochs``.
    resumed_from : int
        Epochs already done in the checkpoint this run resumed from (0 for a fresh run).
    device : str
    """

    model: Any
    curves: Curves
    stopped_early: bool = False
    resumed_from: int = 0
    device: str = "cpu"

    def __getattr__(self, name: str):
        if name in CURVE_NAMES:
            return np.asarray(getattr(self.curves, name), dtype=np.float64)
        raise AttributeError(f"TrainResult has no attribute {name!r}")

    @property
    def epochs_run(self) -> int:
        return len(self.curves)

    @property
    def final_val_acc(self) -> float:
        return float(self.curves.val_acc[-1]) if len(self.curves) else float("nan")

    def to_frame(self):
        return self.curves.to_frame()

    def plot(self, path=None):
        """Loss and accuracy curves as a matplotlib figure (Agg); saved as PNG when ``path`` is given."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        df = self.to_frame()
        fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3))
        a.plot(df.epoch, df.train_loss, label="train")
        a.plot(df.epoch, df.val_loss, label="val")
        a.set_xlabel("epoch"), a.set_ylabel("loss"), a.legend()
        b.plot(df.epoch, df.train_acc, label="train")
        b.plot(df.epoch, df.val_acc, label="val")
        b.set_xlabel("epoch"), b.set_ylabel("accuracy (%)"), b.legend()
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=100)
        return fig

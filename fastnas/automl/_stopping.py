"""Learning-curve early stopping of poor candidates: the median stopping rule.

Golovin et al. 2017, "Google Vizier" (KDD), section 3.2.2: stop a trial at step ``e`` when its best
objective so far is worse than the median of the running averages of completed trials at ``e``. Here
the objective is validation accuracy and the comparison is against the ``quantile`` (0.5 = median) of
the completed candidates' best-so-far accuracy at the same epoch, after a grace period.
"""
from __future__ import annotations

import numpy as np


class MedianStopping:
    """Decide from a partial validation-accuracy curve whether to stop training a candidate.

    Parameters
    ----------
    grace_epochs : int
        Never stop before this many epochs.
    min_completed : int
        Reference curves needed before any stop.
    quantile : float
        Stop when below this quantile of the reference curves (0.5: median rule).

    Examples
    --------
    >>> rule = MedianStopping(grace_epochs=2, min_completed=2)
    >>> rule.add_completed([0.5, 0.7, 0.8]); rule.add_completed([0.4, 0.6, 0.7])
    >>> rule.should_stop([0.1, 0.2]), rule.should_stop([0.5, 0.75])
    (True, False)
    """

    def __init__(self, *, grace_epochs: int = 2, min_completed: int = 3, quantile: float = 0.5):
        if grace_epochs < 1:
            raise ValueError(f"grace_epochs must be >= 1, got {grace_epochs}")
        if not 0.0 < quantile < 1.0:
            raise ValueError(f"quantile must be in (0, 1), got {quantile}")
        self.grace_epochs = int(grace_epochs)
        self.min_completed = int(min_completed)
        self.quantile = float(quantile)
        self._curves: list[np.ndarray] = []

    def add_completed(self, val_acc) -> None:
        """Record a fully trained candidate's per-epoch validation accuracy."""
        self._curves.append(np.maximum.accumulate(np.asarray(val_acc, dtype=np.float64)))

    @property
    def n_completed(self) -> int:
        return len(self._curves)

    def threshold(self, epoch: int) -> float:
        """The accuracy a candidate must reach by ``epoch`` (1-based); -inf when no rule applies."""
        refs = [c[epoch - 1] for c in self._curves if len(c) >= epoch]
        if epoch < self.grace_epochs or len(refs) < self.min_completed:
            return -np.inf
        return float(np.quantile(refs, self.quantile))

    def should_stop(self, val_acc) -> bool:
        """True when the best accuracy of the partial curve is below the threshold at its length."""
        curve = np.asarray(val_acc, dtype=np.float64)
        if curve.size == 0:
            return False
        return bool(np.nanmax(curve) < self.threshold(curve.size))

"""Learning-curve predictors: SoTL, SoTL-E, SoTL-EMA (Ru et al. 2021's TSE-EMA), NASLib's SoTL-EMA
variant and early stopping (Ru et al. 2021 "Speedy Performance Estimation for Neural Architecture Search";
White et al. 2021).

They read a partially observed learning curve (``Curves``: per-epoch training loss, validation accuracy,
validation loss, all ``(N, T)``) and score each cell; higher score = better predicted architecture. The
scores need no training; ``fit(curves, y)`` additionally learns a linear map score -> y (so MAE is
meaningful), and ``predict`` returns the raw score before any ``fit``. Every score is one vectorised
expression over all cells.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._scored import ScorePredictor


def _arr(a, name):
    if a is None:
        return None
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"Curves.{name} must be 2-D (cells, epochs), got shape {a.shape}")
    if not np.isfinite(a).all():
        row = int(np.flatnonzero(~np.isfinite(a).all(axis=1))[0])
        raise ValueError(f"Curves.{name} row {row} contains NaN or inf")
    return a


@dataclass(frozen=True, eq=False)
class Curves:
    """Per-epoch curves of a batch of cells (rows) over the first ``T`` epochs (columns).

    Any of the three curves may be None; ``features`` are optional per-cell statistics (e.g. an
    encoding) used by LcSVR.

    >>> c = Curves(train_loss=[[2.0, 1.0, 0.5]], val_acc=[[30.0, 50.0, 60.0]])
    >>> len(c), c.epochs, c.truncate(2).train_loss.tolist()
    (1, 3, [[2.0, 1.0]])
    """

    train_loss: np.ndarray | None = None
    val_acc: np.ndarray | None = None
    val_loss: np.ndarray | None = None
    features: np.ndarray | None = None

    def __post_init__(self):
        n = t = None
        for name in ("train_loss", "val_acc", "val_loss"):
            a = _arr(getattr(self, name), name)
            object.__setattr__(self, name, a)
            if a is None:
                continue
            if n is None:
                n, t = a.shape
            elif a.shape != (n, t):
                raise ValueError(f"Curves.{name} has shape {a.shape}, expected {(n, t)}")
        if n is None:
            raise ValueError("Curves needs at least one of train_loss, val_acc, val_loss")
        if t < 1:
            raise ValueError("Curves need at least one epoch")
        if self.features is not None:
            f = np.asarray(self.features, dtype=np.float64)
            if f.ndim == 1:
                f = f[:, None]
            if f.ndim != 2 or len(f) != n:
                raise ValueError(f"Curves.features must be ({n}, d), got shape {f.shape}")
            if not np.isfinite(f).all():
                raise ValueError("Curves.features contain NaN or inf")
            object.__setattr__(self, "features", f)

    def _first(self) -> np.ndarray:
        return next(a for a in (self.train_loss, self.val_acc, self.val_loss) if a is not None)

    def __len__(self) -> int:
        return len(self._first())

    @property
    def epochs(self) -> int:
        return self._first().shape[1]

    def __getitem__(self, idx) -> "Curves":
        def take(a):
            return None if a is None else a[idx]

        return Curves(take(self.train_loss), take(self.val_acc), take(self.val_loss), take(self.features))

    def truncate(self, epochs: int) -> "Curves":
        """The first ``epochs`` epochs (the fidelity a predictor is allowed to see)."""
        e = int(epochs)
        if not 1 <= e <= self.epochs:
            raise ValueError(f"epochs must be in [1, {self.epochs}], got {e}")

        def cut(a):
            return None if a is None else a[:, :e]

        return Curves(cut(self.train_loss), cut(self.val_acc), cut(self.val_loss), self.features)

    def require(self, name: str, who: str) -> np.ndarray:
        a = getattr(self, name)
        if a is None:
            raise ValueError(f"{who} needs Curves.{name}")
        return a


class CurvePredictor(ScorePredictor):
    """Base of the curve-score predictors: ``score(curves)`` (higher = better), optionally calibrated to
    the target scale by ``fit`` (see ``ScorePredictor``)."""

    def score(self, X) -> np.ndarray:
        if not isinstance(X, Curves):
            raise TypeError(f"{type(self).__name__} expects Curves, got {type(X).__name__}")
        return self._score(X)


class SoTL(CurvePredictor):
    """Sum of training losses over the observed epochs, negated (lower loss = better).

    >>> SoTL().predict(Curves(train_loss=[[2.0, 1.0], [3.0, 2.0]])).tolist()
    [-3.0, -5.0]
    """

    def __init__(self):
        pass

    def _score(self, C):
        return -C.require("train_loss", "SoTL").sum(axis=1)


class SoTLE(CurvePredictor):
    """The last observed epoch's training loss, negated.

    >>> SoTLE().predict(Curves(train_loss=[[2.0, 1.0], [3.0, 0.5]])).tolist()
    [-1.0, -0.5]
    """

    def __init__(self):
        pass

    def _score(self, C):
        return -C.require("train_loss", "SoTL-E")[:, -1]


class SoTLEMA(CurvePredictor):
    """SoTL-EMA, the TSE-EMA estimator of Ru et al. 2021, negated (lower weighted loss = better).

    ``TSE-EMA = sum_{t=1}^{T} gamma^(T-t) L_t`` over the ``T`` observed epochs, where ``L_t`` is epoch
    ``t``'s training loss (Ru, Lyle, Schut, Fil, van der Wilk, Gal, "Speedy Performance Estimation for
    Neural Architecture Search", NeurIPS 2021, section 3, eq. for TSE-EMA). It is a *sum* of exponentially
    weighted losses: recent epochs weigh most, early ones are discounted but never dropped. ``gamma``
    defaults to 0.999, the value the paper fixes after finding the estimator robust over
    {0.9, 0.95, 0.99, 0.999} (section 4.1). ``gamma=1`` gives SoTL; ``gamma=0`` gives SoTL-E.

    Official code: github.com/rubinxin/TSE. Deviation note: its ``rank_correlation_comparison.py`` ranks
    by the running EMA value itself (weight 0.9 on the current epoch), not by the paper's sum; that last
    EMA value ranks like SoTL-E, so this class follows the paper. NASLib's variant, which produced the
    curves of White et al. 2021, is ``SoTLEMANASLib``.

    Parameters
    ----------
    gamma : float in [0, 1], default 0.999
        Per-epoch discount of older losses.

    Raises
    ------
    ValueError
        ``gamma`` outside [0, 1]; curves without ``train_loss``.

    >>> SoTLEMA(gamma=0.5).predict(Curves(train_loss=[[4.0, 2.0, 1.0]])).tolist()
    [-3.0]
    """

    def __init__(self, *, gamma: float = 0.999):
        self.gamma = gamma

    def _score(self, C):
        L = C.require("train_loss", "SoTL-EMA")
        g = float(self.gamma)
        if not 0.0 <= g <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {self.gamma!r}")
        T = L.shape[1]
        c = g ** np.arange(T - 1, -1, -1, dtype=np.float64)  # gamma^(T-t), t = 1..T
        return -(L @ c)


class SoTLEMANASLib(CurvePredictor):
    """NASLib's ``sotlema`` (the SoTL-EMA of White et al. 2021, "How Powerful are Performance Predictors
    in Neural Architecture Search?"), negated: the *sum of an EMA series* of the training losses,
    ``ema_1 = L_1``, ``ema_t = mu * L_t + (1 - mu) * ema_{t-1}``, score ``-sum_t ema_t`` with
    ``mu = 0.99`` (NASLib ``naslib/predictors/soloss.py``, ``SoLosspredictor(sum_option="SoTLEMA")``).

    Not the published TSE-EMA (``SoTLEMA``): with ``mu = 0.99`` each ``ema_t`` is almost ``L_t``, so it
    ranks almost like SoTL. Use it to reproduce White et al. 2021's SoTL-EMA figures.

    Parameters
    ----------
    mu : float in (0, 1], default 0.99
        Weight of the current epoch in each EMA step (NASLib's ``mu``).

    Raises
    ------
    ValueError
        ``mu`` outside (0, 1]; curves without ``train_loss``.

    >>> SoTLEMANASLib(mu=0.5).predict(Curves(train_loss=[[4.0, 2.0, 1.0]])).tolist()
    [-9.0]
    """

    def __init__(self, *, mu: float = 0.99):
        self.mu = mu

    def _score(self, C):
        L = C.require("train_loss", "SoTL-EMA (NASLib)")
        m = float(self.mu)
        if not 0.0 < m <= 1.0:
            raise ValueError(f"mu must be in (0, 1], got {self.mu!r}")
        ema = L[:, 0].copy()
        total = ema.copy()
        for t in range(1, L.shape[1]):  # T is small (epochs); the cells are vectorised
            ema = m * L[:, t] + (1.0 - m) * ema
            total += ema
        return -total


class EarlyStopValAcc(CurvePredictor):
    """Early stopping: the last observed validation accuracy.

    >>> EarlyStopValAcc().predict(Curves(val_acc=[[30.0, 50.0]])).tolist()
    [50.0]
    """

    def __init__(self):
        pass

    def _score(self, C):
        return C.require("val_acc", "early stopping (val acc)")[:, -1].copy()


class EarlyStopValLoss(CurvePredictor):
    """Early stopping: the last observed validation loss, negated.

    >>> EarlyStopValLoss().predict(Curves(val_loss=[[1.0, 0.7]])).tolist()
    [-0.7]
    """

    def __init__(self):
        pass

    def _score(self, C):
        return -C.require("val_loss", "early stopping (val loss)")[:, -1]

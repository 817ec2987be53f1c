"""OMNI-SemiNAS (White et al. 2021, "How Powerful are Performance Predictors in Neural Architecture
Search?", section 6; official code NASLib ``naslib/predictors/omni_seminas.py``): SemiNAS whose token
sequence is extended by the architecture's zero-cost score.

NASLib discretises the Jacobian-covariance score into 10 bins (9 upper bounds) and appends the bin as
a one-hot block of 10 tokens (token ``V`` for 0 and ``V + 1`` for 1, where ``V`` = 9 is the NB201
vocabulary), so the sequence grows from 35 to 45 tokens and the vocabulary from 9 to 11. The encoder,
head, decoder, pseudo-labelling and schedule are SemiNAS's (``fastnas.predictors.seminas``).

Deviations, both forced by data: NASLib's bin edges are raw jacov values of its own implementation on
NB201 CIFAR-10 (about -20,000 .. -278); the scores fastnas bundles (NAS-Bench-Suite-Zero) lie on another
scale, so the default edges are the deciles of the TRAINING scores (``bins`` takes explicit edges, e.g.
NASLib's, when the scales agree). NASLib also appends the last training loss (SoTL-E) as a raw float
inside the integer token tensor (it is truncated to an integer token that collides with the
connection tokens); that feature is left out here.

Input: a ``Batch`` with NB201 ``cells`` and ``zc[zc]`` scores; unlabelled architectures are a ``Batch``
of the same kind (``fit(..., X_unlabeled=...)``) -- the evaluation harness passes pool cells outside the
training and test sets.
"""
from __future__ import annotations

import numpy as np

from . import _epd
from ._batch import Batch, as_batch
from .seminas import SemiNAS

_N_BINS = 10


def one_hot_bins(scores, edges) -> np.ndarray:
    """NASLib's ``discretize(..., one_hot=True)``: the first bin whose upper bound exceeds the score, as a
    one-hot row of ``len(edges) + 1`` entries (the last bin takes everything above the last edge).

    >>> one_hot_bins([-5.0, 0.5, 9.0], [0.0, 1.0]).tolist()
    [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    """
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    edges = np.asarray(edges, dtype=np.float64)
    idx = np.searchsorted(edges, s, side="right")  # x < edge_i first true at i
    out = np.zeros((len(s), len(edges) + 1), dtype=np.int64)
    out[np.arange(len(s)), idx] = 1
    return out


class OMNISemiNAS(SemiNAS):
    """SemiNAS on [cell tokens, one-hot zero-cost bin tokens] (see the module docstring).

    Parameters
    ----------
    zc : name of the zero-cost score in ``Batch.zc`` (NASLib: "jacov").
    bins : None (deciles of the training scores) or 9 increasing bin upper bounds.
    (others as ``SemiNAS``)

    Examples
    --------
    >>> from fastnas.spaces import get_space
    >>> from fastnas.predictors._batch import Batch
    >>> s = get_space("nb201"); c = s.sample(30, seed=0); y = 60 + 5.0 * (c.ops == 3).sum(1)
    >>> b = Batch(cells=c, zc={"jacov": y + np.random.default_rng(0).normal(0, 2, 30)})
    >>> m = OMNISemiNAS(epochs=5, semi_epochs=2, synthetic_factor=1, space=s, seed=0)
    >>> m.fit(b, y, X_unlabeled=b).predict(b).shape
    (30,)
    """

    uses_curves = False  # a hybrid of encoding and zero-cost score only: no fidelity axis

    def __init__(self, *, zc: str = "jacov", bins=None, hidden: int = 64, mlp_hidden: int = 16, mlp_layers: int = 2,
                 dropout: float = 0.1, epochs: int = 1000, semi_epochs: int = 1000, batch_size: int = 100,
                 lr: float = 1e-3, weight_decay: float = 1e-4, grad_bound: float = 5.0, trade_off: float = 0.8,
                 synthetic_factor: int = 100, up_sample_ratio: int = 10, space=None, seed=0, n_threads: int = 1):
        super().__init__(hidden=hidden, mlp_hidden=mlp_hidden, mlp_layers=mlp_layers, dropout=dropout,
                         epochs=epochs, semi_epochs=semi_epochs, batch_size=batch_size, lr=lr,
                         weight_decay=weight_decay, grad_bound=grad_bound, trade_off=trade_off,
                         synthetic_factor=synthetic_factor, up_sample_ratio=up_sample_ratio, vocab_size=None,
                         space=space, seed=seed, n_threads=n_threads)
        self.zc = zc
        self.bins = bins

    def _scores(self, b: Batch) -> np.ndarray:
        if self.zc not in b.zc:
            raise ValueError(f"OMNISemiNAS needs zero-cost scores {self.zc!r} in the Batch (has {sorted(b.zc)})")
        s = np.asarray(b.zc[self.zc], dtype=np.float64)
        if not np.isfinite(s).all():
            raise ValueError(f"zero-cost scores {self.zc!r} contain NaN or inf")
        return s

    def _tokens(self, X) -> np.ndarray:
        b = as_batch(X)
        if b.cells is None:
            raise ValueError("OMNISemiNAS needs NB201 cells in the Batch")
        seq = super()._tokens(b.cells)
        onehot = one_hot_bins(self._scores(b), self._edges)
        return np.hstack([seq, onehot + _epd.NB201_VOCAB])

    def _vocab(self, T) -> int:
        return _epd.NB201_VOCAB + 2

    def fit(self, X, y, X_unlabeled=None):
        b = as_batch(X)
        if self.bins is None:
            s = self._scores(b)
            edges = np.quantile(s, np.arange(1, _N_BINS) / _N_BINS)
        else:
            edges = np.asarray(self.bins, dtype=np.float64)
            if edges.shape != (_N_BINS - 1,) or np.any(np.diff(edges) <= 0):
                raise ValueError(f"bins must be {_N_BINS - 1} increasing upper bounds, got {self.bins}")
        self._edges = edges
        if X_unlabeled is None:
            raise ValueError("OMNISemiNAS needs unlabelled architectures with zero-cost scores: X_unlabeled=Batch(...)")
        super().fit(b, y, X_unlabeled=as_batch(X_unlabeled))
        self.bin_edges_ = edges
        return self

    def predict(self, X, return_std: bool = False):
        if hasattr(self, "bin_edges_"):
            self._edges = self.bin_edges_
        return super().predict(X, return_std=return_std)


__all__ = ["OMNISemiNAS", "one_hot_bins"]

"""SemiNAS (Luo, Tan, Wang, Qin, Chen & Liu 2020, "Semi-Supervised Neural Architecture Search",
NeurIPS; official code github.com/renqianluo/SemiNAS; as run by White et al. 2021 through NASLib's
``naslib/predictors/seminas.py`` with ``semi=True``).

NAO's LSTM encoder-predictor-decoder (``fastnas.predictors.nao``) is first trained on the ``n``
labelled architectures (``epochs``); it then labels ``synthetic_factor * n`` unlabelled architectures
with its own predictions, and training continues (``semi_epochs``, a fresh Adam) on the labelled set
repeated ``up_sample_ratio`` times plus the pseudo-labelled set. The paper's NB101 setting is 100
labelled + 10,000 unlabelled cells, 1,000 + 1,000 epochs (the defaults here: ``synthetic_factor`` 100,
``up_sample_ratio`` 10); NASLib / the ``white2021`` preset uses ``synthetic_factor`` 1 and 50 + 50 epochs.

Unlabelled cells come from ``fit(..., X_unlabeled=...)`` or, when ``fit`` receives ``Cells`` and the
predictor has a ``space``, from ``space.sample`` with the predictor's seed.
"""
from __future__ import annotations

import numpy as np

from .._rng import as_generator
from ..spaces._cells import Cells
from . import _epd
from .nao import NAO


class SemiNAS(NAO):
    """SemiNAS: NAO's EPD with one round of pseudo-labelling (see the module docstring).

    Parameters
    ----------
    semi_epochs : epochs on labelled + pseudo-labelled data.
    synthetic_factor : pseudo-labelled cells per labelled cell.
    up_sample_ratio : repetitions of the labelled set in the second phase.
    (others as ``NAO``)

    Examples
    --------
    >>> from fastnas.spaces import get_space
    >>> s = get_space("nb201"); cells = s.sample(30, seed=0)
    >>> y = 60 + 5.0 * (cells.ops == 3).sum(1)
    >>> m = SemiNAS(epochs=10, semi_epochs=5, synthetic_factor=2, space=s, seed=0).fit(cells, y)
    >>> m.n_unlabeled_used_
    60
    """

    def __init__(self, *, hidden: int = 64, mlp_hidden: int = 16, mlp_layers: int = 2, dropout: float = 0.1,
                 epochs: int = 1000, semi_epochs: int = 1000, batch_size: int = 100, lr: float = 1e-3,
                 weight_decay: float = 1e-4, grad_bound: float = 5.0, trade_off: float = 0.8,
                 synthetic_factor: int = 100, up_sample_ratio: int = 10, vocab_size=None, space=None, seed=0,
                 n_threads: int = 1):
        super().__init__(hidden=hidden, mlp_hidden=mlp_hidden, mlp_layers=mlp_layers, dropout=dropout,
                         epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
                         grad_bound=grad_bound, trade_off=trade_off, vocab_size=vocab_size, space=space, seed=seed,
                         n_threads=n_threads)
        self.semi_epochs = semi_epochs
        self.synthetic_factor = synthetic_factor
        self.up_sample_ratio = up_sample_ratio

    def fit(self, X, y, X_unlabeled=None):
        self._X_unlabeled = X_unlabeled
        try:
            return super().fit(X, y)
        finally:
            del self._X_unlabeled

    def _unlabeled_tokens(self, X, n_syn, rng):
        U = self._X_unlabeled
        if U is None:
            if n_syn == 0:
                return None
            if not isinstance(X, Cells) or self.space is None:
                raise ValueError("SemiNAS needs unlabelled architectures: pass X_unlabeled=..., or Cells with a space")
            U = self.space.sample(n_syn, seed=rng)
        T = self._tokens(U)[:n_syn]
        return T

    def _fit_model(self, model, X, T, yn, rng):
        if int(self.synthetic_factor) < 0 or int(self.up_sample_ratio) < 1:
            raise ValueError("synthetic_factor must be >= 0 and up_sample_ratio >= 1")
        self._train(model, T, yn, int(self.epochs), rng)
        n_syn = int(self.synthetic_factor) * len(T)
        U = self._unlabeled_tokens(X, n_syn, rng)
        self.n_unlabeled_used_ = 0 if U is None else int(len(U))
        if U is None or len(U) == 0:
            return
        if U.shape[1] != T.shape[1] or U.max() >= self._vocab(T):
            raise ValueError("X_unlabeled must have the labelled sequences' length and vocabulary")
        pseudo = _epd.predict_epd(model, U)
        r = int(self.up_sample_ratio)
        self._train(model, np.vstack([np.tile(T, (r, 1)), U]), np.r_[np.tile(yn, r), pseudo],
                    int(self.semi_epochs), rng)


__all__ = ["SemiNAS"]

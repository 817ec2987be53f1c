"""SemiNAS-style semi-supervised predictor (Luo et al. 2020, "Semi-Supervised Neural Architecture Search").

SemiNAS trains an encoder-predictor-decoder on the labelled architectures, uses it to label many
unlabelled ones, and retrains on the union. Here the encoder/decoder are MLPs on the feature vector
(the paper uses an LSTM on a token sequence): the loss is ``trade_off * MSE(prediction) +
(1 - trade_off) * MSE(reconstruction)``; ``pseudo_rounds`` rounds of pseudo-labelling follow, each
adding the network's own predictions for the unlabelled rows.

Unlabelled rows come from ``fit(..., X_unlabeled=...)``, or, when ``fit`` receives ``Cells`` and the
predictor has a ``space``, from ``space.sample(n_unlabeled, seed)``.
"""
from __future__ import annotations

import numpy as np

from .._rng import as_generator
from ..spaces._cells import Cells
from . import _torchnet as tn
from ._base import Predictor


class SemiNAS(Predictor):
    """Encoder + predictor + decoder MLP with pseudo-labelling of unlabelled architectures.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((30, 4)); y = X[:, 0]
    >>> U = np.random.default_rng(1).random((100, 4))
    >>> SemiNAS(epochs=20, seed=0).fit(X, y, X_unlabeled=U).predict(X[:2]).shape  # doctest: +SKIP
    (2,)
    """

    min_train_size = 3

    def __init__(self, *, latent: int = 32, hidden: int = 64, epochs: int = 150, batch_size: int = 32,
                 lr: float = 3e-3, trade_off: float = 0.8, n_unlabeled: int = 1000, pseudo_rounds: int = 1,
                 space=None, encoding: str = "adjacency", seed=0,
                 n_threads: int = 1):
        self.latent = latent
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.trade_off = trade_off
        self.n_unlabeled = n_unlabeled
        self.pseudo_rounds = pseudo_rounds
        self.space = space
        self.encoding = encoding
        self.seed = seed
        self.n_threads = n_threads

    def fit(self, X, y, X_unlabeled=None):
        F, y = self._check_xy(X, y)
        if X_unlabeled is None and isinstance(X, Cells) and self.space is not None and self.n_unlabeled > 0:
            X_unlabeled = self.space.sample(int(self.n_unlabeled), seed=as_generator(self.seed))
        U = None if X_unlabeled is None else self._features(X_unlabeled)
        if U is not None and U.shape[1] != F.shape[1]:
            raise ValueError(f"X_unlabeled has {U.shape[1]} features, X has {F.shape[1]}")
        self.n_features_in_ = F.shape[1]
        self._fit_semi(F, y, U)
        return self

    def _fit(self, F, y):  # used by generic callers (Stack, evaluate): no unlabelled data
        self._fit_semi(F, y, None)

    def _train(self, F, yn, rng):
        import torch

        d = F.shape[1]
        enc = tn.to_torch(tn.init_mlp([d, self.hidden, self.latent], rng))
        head = tn.to_torch(tn.init_mlp([self.latent, self.hidden, 1], rng))
        dec = tn.to_torch(tn.init_mlp([self.latent, self.hidden, d], rng))
        X = torch.as_tensor(F)
        Y = torch.as_tensor(yn)
        w = float(self.trade_off)

        def loss(idx):
            z = torch.tanh(tn.forward(enc, X[idx]))
            pred = tn.forward(head, z)[:, 0]
            rec = tn.forward(dec, z)
            return w * ((pred - Y[idx]) ** 2).mean() + (1 - w) * ((rec - X[idx]) ** 2).mean()

        tn.train(enc + head + dec, loss, len(F), epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                 rng=rng)
        return tn.to_numpy(enc), tn.to_numpy(head)

    def _fit_semi(self, F, y, U):
        with tn.threads(self.n_threads):
            self._fit_semi_net(F, y, U)

    def _fit_semi_net(self, F, y, U):
        if not 0.0 <= float(self.trade_off) <= 1.0:
            raise ValueError(f"trade_off must be in [0, 1], got {self.trade_off}")
        rng = as_generator(self.seed)
        self.y_mean_ = float(y.mean())
        self.y_std_ = float(y.std()) or 1.0
        yn = (y - self.y_mean_) / self.y_std_
        self.encoder_, self.head_ = self._train(F, yn, rng)
        if U is not None and len(U):
            for _ in range(int(self.pseudo_rounds)):
                pseudo = (self._predict(U) - self.y_mean_) / self.y_std_
                self.encoder_, self.head_ = self._train(np.vstack([F, U]), np.r_[yn, pseudo], rng)
        self.n_unlabeled_used_ = 0 if U is None else int(len(U))

    def _predict(self, F):
        import torch

        with tn.threads(self.n_threads), torch.no_grad():
            z = torch.tanh(tn.forward(tn.to_torch(self.encoder_), torch.as_tensor(F)))
            p = tn.forward(tn.to_torch(self.head_), z)[:, 0].numpy()
        return p * self.y_std_ + self.y_mean_

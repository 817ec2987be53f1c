"""NAO's encoder-predictor-decoder as a performance predictor (Luo et al. 2018, "Neural Architecture
Optimization", NeurIPS; official code github.com/renqianluo/NAO_pytorch; the predictor White et al. 2021
evaluate as "NAO" is NASLib's ``SemiNASPredictor(semi=False)`` in ``naslib/predictors/seminas.py``).

The LSTM encoder maps an architecture's token sequence to an embedding, the MLP head predicts the
(standardised) accuracy, the attention LSTM decoder reconstructs the sequence; the joint loss is
``trade_off * MSE + (1 - trade_off) * NLL`` (see ``fastnas.predictors._epd`` for every layer). The
prediction is the head's output. NASLib trains for 50 epochs (``pretrain_epochs``); the NAO paper's
controller trains for 1,000 (the default here).

Input: NB201 ``Cells`` (with ``space``; tokenised as NASLib does) or an integer token matrix (N, L).
"""
from __future__ import annotations

import numpy as np

from .._rng import as_generator
from ..spaces._cells import Cells
from . import _epd
from . import _torchnet as tn
from ._base import Predictor


class NAO(Predictor):
    """NAO encoder-predictor-decoder (see the module docstring).

    Parameters
    ----------
    hidden, mlp_hidden, mlp_layers, dropout : EPD sizes (NASLib/NAO: 64, 16, 2, 0.1).
    epochs, batch_size, lr, weight_decay, grad_bound : training (NAO: 1000 epochs; NASLib: 50), 100,
        1e-3, 1e-4, 5.
    trade_off : weight of the prediction loss (0.8).
    vocab_size : for token-matrix input (default: largest token + 1 at fit); NB201 cells use 9.
    space : the cells' space when given ``Cells`` (NB201).
    seed : int or Generator; n_threads : torch threads.

    Examples
    --------
    >>> from fastnas.spaces import get_space
    >>> s = get_space("nb201"); cells = s.sample(40, seed=0)
    >>> y = 60 + 5.0 * (cells.ops == 3).sum(1)
    >>> m = NAO(epochs=30, space=s, seed=0).fit(cells, y)
    >>> bool(np.corrcoef(m.predict(cells), y)[0, 1] > 0.5)
    True
    """

    min_train_size = 2

    def __init__(self, *, hidden: int = 64, mlp_hidden: int = 16, mlp_layers: int = 2, dropout: float = 0.1,
                 epochs: int = 1000, batch_size: int = 100, lr: float = 1e-3, weight_decay: float = 1e-4,
                 grad_bound: float = 5.0, trade_off: float = 0.8, vocab_size=None, space=None, seed=0,
                 n_threads: int = 1):
        self.hidden = hidden
        self.mlp_hidden = mlp_hidden
        self.mlp_layers = mlp_layers
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.grad_bound = grad_bound
        self.trade_off = trade_off
        self.vocab_size = vocab_size
        self.space = space
        self.seed = seed
        self.n_threads = n_threads

    # -- inputs ----------------------------------------------------------------------------------
    def _tokens(self, X) -> np.ndarray:
        if isinstance(X, Cells):
            if getattr(self.space, "name", None) != "nb201" or getattr(X, "ops", None) is None:
                raise ValueError(f"{type(self).__name__} tokenises NB201 cells (space=nb201); for other spaces "
                                 "pass an integer token matrix (N, L)")
            return _epd.nb201_tokens(X.ops)
        T = np.asarray(X)
        if T.ndim != 2 or T.shape[1] < 1:
            raise ValueError(f"token sequences must be a 2-D integer matrix (N, L), got shape {T.shape}")
        if not np.issubdtype(T.dtype, np.integer):
            if not np.all(np.isfinite(T)) or not np.all(T == np.round(T)):
                raise ValueError("token sequences must be integers")
            T = T.astype(np.int64)
        if T.min() < 0:
            raise ValueError("tokens must be >= 0 (0 is the start symbol)")
        return T.astype(np.int64)

    def _vocab(self, T) -> int:
        if self.vocab_size is not None:
            v = int(self.vocab_size)
        elif isinstance(getattr(self, "_last_X", None), Cells):
            v = _epd.NB201_VOCAB
        else:
            v = int(T.max()) + 1
        if T.max() >= v:
            raise ValueError(f"token {int(T.max())} is outside the vocabulary of size {v}")
        return v

    def _check_params(self):
        if not 0.0 <= float(self.trade_off) <= 1.0:
            raise ValueError(f"trade_off must be in [0, 1], got {self.trade_off}")
        if int(self.epochs) < 1 or int(self.hidden) < 1 or int(self.mlp_layers) < 1:
            raise ValueError("epochs, hidden and mlp_layers must be >= 1")

    # -- fit / predict ---------------------------------------------------------------------------
    def _xy(self, X, y):
        T = self._tokens(X)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if len(y) != len(T):
            raise ValueError(f"X has {len(T)} rows but y has {len(y)} values")
        if not np.isfinite(y).all():
            raise ValueError("y contains NaN or inf")
        if len(y) < self.min_train_size:
            raise ValueError(f"{type(self).__name__} needs at least {self.min_train_size} training points, got {len(y)}")
        return T, y

    def _new_model(self, vocab):
        return _epd.build(vocab, int(self.hidden), int(self.mlp_hidden), int(self.mlp_layers), float(self.dropout))

    def _train(self, model, T, yn, epochs, rng):
        _epd.train_epd(model, T, yn, epochs=epochs, batch_size=int(self.batch_size), lr=float(self.lr),
                       weight_decay=float(self.weight_decay), trade_off=float(self.trade_off),
                       grad_bound=float(self.grad_bound), rng=rng)

    def fit(self, X, y):
        from .._extras import require

        torch = require("torch", type(self).__name__)  # MissingExtraError naming pip install "fastnas[torch]"
        self._check_params()
        self._last_X = X
        T, y = self._xy(X, y)
        vocab = self._vocab(T)
        rng = as_generator(self.seed)
        self.y_mean_ = float(y.mean())
        self.y_std_ = float(y.std()) or 1.0
        yn = (y - self.y_mean_) / self.y_std_
        with tn.threads(self.n_threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(rng.integers(2**62)))
            model = self._new_model(vocab)
            self._fit_model(model, X, T, yn, rng)
        self.model_ = model
        self.vocab_size_ = vocab
        self.seq_len_ = T.shape[1]
        self.n_features_in_ = T.shape[1]
        del self._last_X
        return self

    def _fit_model(self, model, X, T, yn, rng):
        self._train(model, T, yn, int(self.epochs), rng)

    def _predict_tokens(self, T):
        with tn.threads(self.n_threads):
            return _epd.predict_epd(self.model_, T) * self.y_std_ + self.y_mean_

    def predict(self, X, return_std: bool = False):
        if not hasattr(self, "model_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit first")
        if return_std:
            raise NotImplementedError(f"{type(self).__name__} has no predictive uncertainty")
        T = self._tokens(X)
        if T.shape[1] != self.seq_len_ or T.max() >= self.vocab_size_:
            raise ValueError(f"expected sequences of length {self.seq_len_} with tokens < {self.vocab_size_}")
        return self._predict_tokens(T)

    # persistence: the torch module's state dict as arrays
    def _fitted_state(self) -> dict:
        st = {k: v for k, v in vars(self).items() if k.endswith("_") and not k.startswith("_") and k != "model_"}
        for k, v in self.model_.state_dict().items():
            st[f"model_param:{k}"] = v.detach().numpy().copy()
        return st

    def _set_fitted_state(self, state: dict) -> None:
        import torch

        params = {k.split(":", 1)[1]: torch.as_tensor(np.asarray(v)) for k, v in state.items() if k.startswith("model_param:")}
        for k, v in state.items():
            if not k.startswith("model_param:"):
                setattr(self, k, v)
        self.model_ = self._new_model(int(self.vocab_size_))
        self.model_.load_state_dict(params)


__all__ = ["NAO"]

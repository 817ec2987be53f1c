"""Feed-forward MLP predictors in torch: ``MLPEnsemble`` (the BANANAS predictor) and ``MLP`` (one net).

BANANAS (White et al. 2021, section 4 and naszilla's ``meta_neural_net``): ``n_members`` = 5 networks of
``n_layers`` = 10 hidden layers of ``width`` = 20 ReLU units and a linear output, Glorot-uniform weights
and zero biases (the Keras defaults), Adam (lr 0.01, betas 0.9/0.99), mean absolute error, 150 epochs,
batch 32, a fresh shuffle per epoch and member; the ensemble's mean and standard deviation (ddof 0) give
the predictive distribution.

Speed: the members are trained as ONE batched model -- weights stacked as (members, in, out) and
multiplied with ``torch.baddbmm`` -- under one Adam optimizer. Adam is element-wise and the loss is the
sum of the members' losses, so every member receives exactly the update it would get from its own
optimizer: the ensemble is the same model family, trained the same way, just without a Python loop over
members. ``torch.set_num_threads`` is set for the fit and restored in ``finally``.
"""
from __future__ import annotations

import numpy as np

from .._rng import base_seed
from ._base import Predictor


def _torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is an optional extra
        raise ImportError('this predictor needs torch: pip install "fastnas[torch]"') from exc
    return torch


class MLPEnsemble(Predictor):
    """Ensemble of MLPs trained as one batched torch model (see the module docstring).

    Parameters
    ----------
    space, encoding : used when ``fit``/``predict`` receive ``Cells`` (default encoding ``path_trunc``)
    n_members, n_layers, width : ensemble size, hidden layers, units per hidden layer
    lr, betas : Adam parameters
    epochs, batch_size : training schedule
    loss : "mae" (BANANAS) or "mse"
    seed : int, numpy Generator or None (weights and shuffles); None draws fresh entropy
    n_threads : torch threads during fit/predict (restored afterwards)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((40, 5)); y = X.sum(axis=1)
    >>> m = MLPEnsemble(epochs=20, seed=0).fit(X, y)
    >>> mean, std = m.predict_dist(X[:3])
    >>> mean.shape, std.shape
    ((3,), (3,))
    """

    has_uncertainty = True
    min_train_size = 2

    def __init__(self, *, space=None, encoding="path_trunc", n_members=5, n_layers=10, width=20, lr=0.01,
                 betas=(0.9, 0.99), epochs=150, batch_size=32, loss="mae", seed=None, n_threads=1):
        self.space = space
        self.encoding = encoding
        self.n_members = n_members
        self.n_layers = n_layers
        self.width = width
        self.lr = lr
        self.betas = betas
        self.epochs = epochs
        self.batch_size = batch_size
        self.loss = loss
        self.seed = seed
        self.n_threads = n_threads

    def _n_members(self) -> int:
        return int(self.n_members)

    def _expected_failed_checks(self) -> dict[str, str]:
        return {"check_methods_subset_invariance":
                "float32 network: a row's prediction depends on the batch it is computed in by float32 "
                "rounding of the batched matmul (relative ~2e-7, above the check's 1e-7 tolerance)"}

    # -- model -----------------------------------------------------------------------------------
    def _init_weights(self, torch, d: int, gen):
        E = self._n_members()
        sizes = [d] + [int(self.width)] * int(self.n_layers) + [1]
        params = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            limit = np.sqrt(6.0 / (fan_in + fan_out))  # Glorot uniform (Keras default)
            W = (torch.rand(E, fan_in, fan_out, generator=gen, dtype=torch.float32) * 2 - 1) * limit
            b = torch.zeros(E, 1, fan_out, dtype=torch.float32)
            params += [W.requires_grad_(), b.requires_grad_()]
        return params

    @staticmethod
    def _forward(torch, params, X):
        """X (E, B, d) -> (E, B)."""
        h = X
        n = len(params) // 2
        for i in range(n):
            h = torch.baddbmm(params[2 * i + 1], h, params[2 * i])
            if i < n - 1:
                h = torch.relu(h)
        return h[..., 0]

    def _fit(self, F: np.ndarray, y: np.ndarray) -> None:
        torch = _torch()
        if self.loss not in ("mae", "mse"):
            raise ValueError(f"loss must be 'mae' or 'mse', got {self.loss!r}")
        if self._n_members() < 1 or int(self.n_layers) < 0 or int(self.width) < 1:
            raise ValueError("n_members and width must be >= 1, n_layers >= 0")
        seed = int(base_seed(self.seed)) & (2**63 - 1)
        old = torch.get_num_threads()
        torch.set_num_threads(int(self.n_threads))
        try:
            gen = torch.Generator().manual_seed(seed)
            X = torch.as_tensor(F, dtype=torch.float32)
            Y = torch.as_tensor(y, dtype=torch.float32)
            E, n, bs = self._n_members(), len(F), int(self.batch_size)
            params = self._init_weights(torch, F.shape[1], gen)
            try:
                opt = torch.optim.Adam(params, lr=float(self.lr), betas=tuple(self.betas), fused=True)
            except (RuntimeError, TypeError):  # pragma: no cover - fused Adam unavailable
                opt = torch.optim.Adam(params, lr=float(self.lr), betas=tuple(self.betas), foreach=True)
            for _ in range(int(self.epochs)):
                perm = torch.argsort(torch.rand(E, n, generator=gen), dim=1)
                for s in range(0, n, bs):
                    idx = perm[:, s:s + bs]
                    xb = X[idx]  # (E, b, d)
                    yb = Y[idx]
                    diff = self._forward(torch, params, xb) - yb
                    per = diff.abs() if self.loss == "mae" else diff * diff
                    loss = per.mean(dim=1).sum()
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
            self.weights_ = [p.detach().numpy().copy() for p in params]
        finally:
            torch.set_num_threads(old)

    def _member_predictions(self, F: np.ndarray) -> np.ndarray:
        """(n_members, N) predictions."""
        torch = _torch()
        old = torch.get_num_threads()
        torch.set_num_threads(int(self.n_threads))
        try:
            with torch.no_grad():
                params = [torch.as_tensor(w) for w in self.weights_]
                X = torch.as_tensor(F, dtype=torch.float32).expand(len(self.weights_[0]), -1, -1)
                return self._forward(torch, params, X).numpy().astype(np.float64)
        finally:
            torch.set_num_threads(old)

    def _predict(self, F):
        return self._member_predictions(F).mean(axis=0)

    def _predict_dist(self, F):
        P = self._member_predictions(F)
        return P.mean(axis=0), P.std(axis=0)  # ddof 0, as BANANAS

    def _fitted_state(self) -> dict:
        return {"weights_": list(self.weights_), "n_features_in_": self.n_features_in_}

    def _set_fitted_state(self, state: dict) -> None:
        self.weights_ = [np.asarray(w, dtype=np.float32) for w in state["weights_"]]
        self.n_features_in_ = int(state["n_features_in_"])


class MLP(MLPEnsemble):
    """A single MLP (an ``MLPEnsemble`` of one member, no uncertainty); same parameters otherwise.

    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((40, 5)); y = X.sum(axis=1)
    >>> MLP(epochs=20, seed=0).fit(X, y).predict(X[:2]).shape
    (2,)
    """

    has_uncertainty = False

    def __init__(self, *, space=None, encoding="path_trunc", n_layers=10, width=20, lr=0.01, betas=(0.9, 0.99),
                 epochs=150, batch_size=32, loss="mae", seed=None, n_threads=1):
        # only its own parameters (scikit-learn: __init__ sets nothing else); one member via _n_members
        self.space = space
        self.encoding = encoding
        self.n_layers = n_layers
        self.width = width
        self.lr = lr
        self.betas = betas
        self.epochs = epochs
        self.batch_size = batch_size
        self.loss = loss
        self.seed = seed
        self.n_threads = n_threads

    def _n_members(self) -> int:
        return 1

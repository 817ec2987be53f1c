"""``NumbaMLPEnsemble``: the BANANAS ensemble of MLPs, trained by one compiled kernel.

The model and its training are those of ``fastnas.predictors.mlp.MLPEnsemble`` (White et al. 2021,
section 4; naszilla's ``meta_neural_net``): ``n_members`` = 5 networks of ``n_layers`` = 10 hidden layers of
``width`` = 20 ReLU units and a linear output, Glorot-uniform weights and zero biases (Keras defaults),
Adam (lr 0.01, betas 0.9/0.99, eps 1e-8), mean absolute error, 150 epochs, batch 32, a fresh shuffle per
epoch and member; the predictive distribution is the members' mean and standard deviation (ddof 0).

What differs is only how it runs: forward pass, backward pass and Adam are written out in
``fastnas._kernels.mlp_ensemble`` (numba, float32, BLAS for the products) and one call trains all
members, with no autograd or Python in the loop. The weights and shuffles come from a numpy Generator
seeded by ``seed`` (so the random streams differ from the torch model's; the algorithm does not).
``tests/unit/test_search_bananas_fast.py`` checks the kernel step for step against torch autograd + Adam.
"""
from __future__ import annotations

import numpy as np

from .._rng import as_generator
from ._base import Predictor


class NumbaMLPEnsemble(Predictor):
    """Ensemble of ReLU MLPs (BANANAS's predictor) trained by a numba kernel.

    Parameters
    ----------
    space, encoding : used when ``fit``/``predict`` receive ``Cells`` (default encoding ``path_trunc``)
    n_members, n_layers, width : int, ensemble size, hidden layers, units per hidden layer
    lr, betas, eps : Adam parameters (torch's formulation)
    epochs, batch_size : int, training schedule (minibatches of a fresh permutation per epoch and member)
    loss : "mae" (BANANAS) or "mse"
    seed : int, numpy Generator or None (weights and shuffles); None draws fresh entropy

    Attributes
    ----------
    params_ : (n_members, P) float32, flat weights per member (layer by layer: W (in, out) row-major, b)
    sizes_ : (n_layers + 2,) int64 layer widths

    Raises
    ------
    ValueError
        For an unknown ``loss`` or non-positive sizes/schedule.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((40, 5)); y = X.sum(axis=1)
    >>> m = NumbaMLPEnsemble(epochs=20, seed=0).fit(X, y)
    >>> mean, std = m.predict_dist(X[:3])
    >>> mean.shape, std.shape
    ((3,), (3,))
    """

    has_uncertainty = True
    min_train_size = 2

    def __init__(self, *, space=None, encoding="path_trunc", n_members=5, n_layers=10, width=20, lr=0.01,
                 betas=(0.9, 0.99), eps=1e-8, epochs=150, batch_size=32, loss="mae", seed=None):
        self.space = space
        self.encoding = encoding
        self.n_members = n_members
        self.n_layers = n_layers
        self.width = width
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.epochs = epochs
        self.batch_size = batch_size
        self.loss = loss
        self.seed = seed

    def _check_params(self):
        if self.loss not in ("mae", "mse"):
            raise ValueError(f"loss must be 'mae' or 'mse', got {self.loss!r}")
        for k in ("n_members", "width", "epochs", "batch_size"):
            if int(getattr(self, k)) < 1:
                raise ValueError(f"{k} must be >= 1, got {getattr(self, k)!r}")
        if int(self.n_layers) < 0:
            raise ValueError(f"n_layers must be >= 0, got {self.n_layers!r}")
        if not float(self.lr) > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")
        b1, b2 = (float(b) for b in self.betas)
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"betas must lie in [0, 1), got {self.betas!r}")

    def _fit(self, F: np.ndarray, y: np.ndarray) -> None:
        from .._kernels.mlp_ensemble import fit_ensemble, glorot_init, layer_sizes

        self._check_params()
        rng = as_generator(self.seed)
        E, n, epochs = int(self.n_members), len(F), int(self.epochs)
        sizes = layer_sizes(F.shape[1], int(self.n_layers), int(self.width))
        params = glorot_init(sizes, E, rng)
        perms = rng.permuted(np.broadcast_to(np.arange(n, dtype=np.int64), (epochs, E, n)), axis=2)
        b1, b2 = (float(b) for b in self.betas)
        fit_ensemble(params, sizes, np.ascontiguousarray(F, dtype=np.float32),
                     np.ascontiguousarray(y, dtype=np.float32), np.ascontiguousarray(perms),
                     int(self.batch_size), float(self.lr), b1, b2, float(self.eps), 0 if self.loss == "mae" else 1)
        self.params_, self.sizes_ = params, sizes

    def member_predictions(self, X) -> np.ndarray:
        """(n_members, N) float64 predictions of each member."""
        return self._members(self._validated_test(X))

    def _members(self, F):
        from .._kernels.mlp_ensemble import predict_ensemble

        return predict_ensemble(self.params_, self.sizes_, np.ascontiguousarray(F, dtype=np.float32))

    def _predict(self, F):
        return self._members(F).mean(axis=0)

    def _predict_dist(self, F):
        P = self._members(F)
        return P.mean(axis=0), P.std(axis=0)  # ddof 0, as BANANAS

    def _fitted_state(self) -> dict:
        return {"params_": self.params_, "sizes_": self.sizes_, "n_features_in_": self.n_features_in_}

    def _set_fitted_state(self, state: dict) -> None:
        self.params_ = np.asarray(state["params_"], dtype=np.float32)
        self.sizes_ = np.asarray(state["sizes_"], dtype=np.int64)
        self.n_features_in_ = int(state["n_features_in_"])

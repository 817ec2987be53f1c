"""NASLib's ``BonasPredictor`` (``naslib/predictors/bonas.py``), the "BONAS" of White et al. 2021, "How
Powerful are Performance Predictors in Neural Architecture Search?": the GCN of BONAS (Shi et al. 2020)
used alone as a regressor, **without** BONAS's Bayesian linear regression head.

Not the BONAS surrogate of the paper (``fastnas.predictors.bonas.BONAS``: GCN + evidence BLR in logit
space, sigmoid output, ``weighted_exp`` loss, lr 1e-3). NASLib's version, followed here:

* **graph and GCN**: as ``BONAS`` (global node fed by every node, diagonal set, transposed; 4 layers
  ``x <- relu(BN(A_g (x W) + b))`` of width ``hidden``, ``W ~ U(-0.05, 0.05)``, ``b ~ U(-1/sqrt(H), 1/sqrt(H))``);
  the output is ``Linear(hidden, 1)`` of the global node's state, with no sigmoid (``ifsigmoid=False``);
* **training**: MSE on targets standardised by the training mean and (population) standard deviation,
  Adam lr 1e-4, weight decay 0, batch 128 shuffled with the last partial batch kept, 100 epochs, cosine
  annealing of the learning rate per epoch (``CosineAnnealingLR(T_max=epochs, eta_min=0)``);
* NASLib's loop never calls ``optimizer.zero_grad()``, so gradients accumulate over the whole training;
  ``accumulate_grad=True`` reproduces that (the ``white2021`` preset sets it), the default zeroes them.
"""
from __future__ import annotations

import numpy as np

from .._rng import as_generator
from .bonas import BONAS


class BONASGCN(BONAS):
    """NASLib's GCN-only ``BonasPredictor`` (see the module docstring).

    Parameters
    ----------
    space, encoding : used when given ``Cells`` (a ``gcn`` encoding)
    hidden, n_layers : GCN width and depth (64, 4)
    lr, weight_decay, epochs, batch_size : Adam schedule (1e-4, 0, 100, 128)
    accumulate_grad : True reproduces NASLib's missing ``zero_grad`` (gradients summed since the start)
    seed : int, numpy Generator or None
    n_threads : torch threads during fit/predict

    Examples
    --------
    >>> from fastnas.spaces import get_space
    >>> sp = get_space("nb201"); c = sp.sample(12, seed=0)
    >>> y = 80 + 10 * np.random.default_rng(0).random(12)
    >>> BONASGCN(space=sp, epochs=3, seed=0).fit(c, y).predict(c[:2]).shape
    (2,)
    """

    has_uncertainty = False
    min_train_size = 2

    def __init__(self, *, space=None, encoding: str = "gcn", hidden: int = 64, n_layers: int = 4, lr: float = 1e-4,
                 weight_decay: float = 0.0, epochs: int = 100, batch_size: int = 128, accumulate_grad: bool = False,
                 seed=None, n_threads: int = 1):
        self.space = space
        self.encoding = encoding
        self.hidden = hidden
        self.n_layers = n_layers
        self.lr = lr
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.batch_size = batch_size
        self.accumulate_grad = accumulate_grad
        self.seed = seed
        self.n_threads = n_threads

    def _fit(self, F, y):
        import torch

        from ._torchnet import threads

        for k in ("hidden", "n_layers", "epochs", "batch_size"):
            if int(getattr(self, k)) < 1:
                raise ValueError(f"{k} must be >= 1, got {getattr(self, k)!r}")
        self.y_mean_, self.y_scale_ = float(y.mean()), float(y.std()) or 1.0
        self._layout(F)
        rng = as_generator(self.seed)
        gen = torch.Generator().manual_seed(int(rng.integers(0, 2**63)))
        X, A = self._graphs(F)
        g = self.n_graphs_
        with threads(self.n_threads):
            net = self._net(torch, X.shape[2], gen)
            Xt, At = torch.as_tensor(X), torch.as_tensor(A)
            Yt = torch.as_tensor((y - self.y_mean_) / self.y_scale_, dtype=torch.float32)
            opt = torch.optim.Adam(net.parameters(), lr=float(self.lr), weight_decay=float(self.weight_decay))
            n, bs, E = len(F), int(self.batch_size), int(self.epochs)
            net.train()
            for ep in range(E):
                for grp in opt.param_groups:  # CosineAnnealingLR(T_max=epochs, eta_min=0), stepped per epoch
                    grp["lr"] = float(self.lr) * (1 + np.cos(np.pi * ep / E)) / 2
                perm = rng.permutation(n)
                for s in range(0, n, bs):
                    idx = perm[s:s + bs]
                    if len(idx) == 1 and g * X.shape[1] == 1:  # pragma: no cover - BN needs > 1 value
                        continue
                    sub = torch.as_tensor((idx[:, None] * g + np.arange(g)).reshape(-1))
                    pred = net.fc(net.embed(Xt[sub], At[sub]))[:, 0]
                    loss = ((pred - Yt[torch.as_tensor(idx)]) ** 2).mean()
                    if not self.accumulate_grad:  # NASLib's bonas.py never zeroes (accumulate_grad=True)
                        opt.zero_grad()
                    loss.backward()
                    opt.step()
            net.eval()
            self.net_ = net

    def _predict(self, F):
        import torch

        from ._torchnet import threads

        X, A = self._graphs(F)
        with threads(self.n_threads), torch.no_grad():
            out = self.net_.fc(self.net_.embed(torch.as_tensor(X), torch.as_tensor(A)))[:, 0]
        return out.numpy().astype(np.float64) * self.y_scale_ + self.y_mean_

    def predict_logit(self, X):  # BONAS's BLR head does not exist here
        raise NotImplementedError("BONASGCN has no BLR head (NASLib's GCN-only BONAS); use BONAS")

    def _predict_dist(self, F):  # pragma: no cover - has_uncertainty is False
        raise NotImplementedError

    def _fitted_state(self) -> dict:
        return {"net_state": {k: v.numpy() for k, v in self.net_.state_dict().items()},
                "y_mean_": self.y_mean_, "y_scale_": self.y_scale_, "n_nodes_": self.n_nodes_,
                "n_graphs_": self.n_graphs_, "n_features_in_": self.n_features_in_}

    def _set_fitted_state(self, state: dict) -> None:
        import torch

        self.n_nodes_, self.n_graphs_ = int(state["n_nodes_"]), int(state["n_graphs_"])
        self.n_features_in_ = int(state["n_features_in_"])
        sd = {k: torch.as_tensor(np.asarray(v)) for k, v in state["net_state"].items()}
        self.net_ = self._net(torch, sd["W.0"].shape[0], torch.Generator().manual_seed(0))
        self.net_.load_state_dict(sd)
        self.net_.eval()
        self.y_mean_, self.y_scale_ = float(state["y_mean_"]), float(state["y_scale_"])


__all__ = ["BONASGCN"]

"""BONAS predictor (Shi et al. 2020, "Bridging the gap between sample-based and one-shot NAS with BONAS"):
a GCN (``GCNPredictor``, trained on the targets) embeds each cell graph, and Bayesian linear regression
on that embedding gives a Gaussian predictive distribution (the surrogate BONAS uses for its acquisition).
Input: the ``gcn`` encoding (see ``fastnas.predictors.gcn``).
"""
from __future__ import annotations

import numpy as np

from ._base import Predictor
from .blr import BayesianLinearRegression
from .gcn import GCNPredictor


class BONAS(Predictor):
    """GCN embedding + Bayesian linear regression.

    Examples
    --------
    >>> from fastnas.sim.synthetic import ToySpace, SyntheticBenchmark
    >>> b = SyntheticBenchmark(ToySpace(4, 3)); c = b.space.sample(20, seed=0)
    >>> m, s = BONAS(space=b.space, epochs=5, seed=0).fit(c, b.query(c)).predict_dist(c[:3])  # doctest: +SKIP
    """

    has_uncertainty = True
    min_train_size = 3

    def __init__(self, *, space=None, encoding: str = "gcn", hidden: int = 64, n_layers: int = 4,
                 lr: float = 1e-3, epochs: int = 100, batch_size: int = 32, seed=0):
        self.space = space
        self.encoding = encoding
        self.hidden = hidden
        self.n_layers = n_layers
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.seed = seed

    def _fit(self, F, y):
        self.gcn_ = GCNPredictor(n_nodes=getattr(self.space, "gcn_nodes", None), hidden=self.hidden,
                                 n_layers=self.n_layers, lr=self.lr, epochs=self.epochs,
                                 batch_size=self.batch_size, seed=self.seed).fit(F, y)
        self.blr_ = BayesianLinearRegression(encoding="none").fit(self.gcn_.embed(F), y)

    def _predict_dist(self, F):
        return self.blr_.predict_dist(self.gcn_.embed(F))

    def _predict(self, F):
        return self.blr_.predict(self.gcn_.embed(F))

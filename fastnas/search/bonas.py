"""BONAS (Shi et al. 2020): a GCN embedding of the cell graph, Bayesian linear regression on the
embedding, expected improvement.

The GCN (``fastnas.predictors.gcn``) is trained on all told cells every ``retrain_every`` asks and used as
a fixed feature map in between; the BLR head is refitted on every ask. Candidates are mutations of the
best cells (``n_candidates``); ``acquisition`` defaults to "ei". A restored run retrains the GCN from the
recorded seed and training-set size, so it continues identically.
"""
from __future__ import annotations

from ..predictors.blr import BayesianLinearRegression
from ..predictors.gcn import GCNPredictor
from ._model_based import ModelBasedOptimizer, default_encoding


class BONAS(ModelBasedOptimizer):
    """BONAS; see the module docstring.

    >>> from fastnas.search import make
    >>> from fastnas.sim.synthetic import ToySpace
    >>> opt = make("bonas", ToySpace(), seed=0)
    >>> len(opt.ask(10))
    10
    """

    name = "bonas"
    _defaults = {**ModelBasedOptimizer._common, "acquisition": "ei", "n_parents": 5, "retrain_every": 3,
                 "hidden": 64, "n_layers": 4, "epochs": 100, "lr": 1e-3}

    def __init__(self, space, seed=None, **params):
        super().__init__(space, seed=seed, **params)
        self._gcn = None
        self._gcn_fit = None  # (seed, n_train) of the current GCN
        self._rounds = 0

    def _train_gcn(self, seed: int, n: int):
        p = self.params
        enc = self.params["encoding"] or default_encoding(self.space, ("gcn",))
        gcn = GCNPredictor(hidden=int(p["hidden"]), n_layers=int(p["n_layers"]), epochs=int(p["epochs"]),
                           lr=float(p["lr"]), seed=seed, space=self.space, encoding=enc)
        gcn.fit(self.cells_[:n], self._y[:n])
        self._gcn, self._gcn_fit = gcn, (seed, n)

    def _predict_values(self, cands):
        if self._gcn_fit is None or self._rounds % int(self.params["retrain_every"]) == 0:
            self._train_gcn(self._draw_seed(), self.n_told)
        elif self._gcn is None:  # restored run: rebuild the same GCN
            self._train_gcn(*self._gcn_fit)
        self._rounds += 1
        Z = self._gcn.embed(self.cells_)
        blr = BayesianLinearRegression().fit(Z, self._y)
        return blr.predict_dist(self._gcn.embed(cands))

    def _extra_state(self) -> dict:
        return {"rounds": self._rounds, "gcn_fit": None if self._gcn_fit is None else list(self._gcn_fit)}

    def _load_extra_state(self, state: dict) -> None:
        self._rounds = int(state["rounds"])
        self._gcn_fit = None if state["gcn_fit"] is None else (int(state["gcn_fit"][0]), int(state["gcn_fit"][1]))
        self._gcn = None

"""NPENAS (Wei et al. 2022): neural-predictor-guided evolution.

Each generation mutates the ``n_parents`` best cells (the population's elite) into ``n_candidates``
children, a GCN neural predictor (NPENAS-NP, ``fastnas.predictors.gcn``) trained on every told cell
scores them, and the best are queried (``acquisition="mean"``: the predictor's ranking). With
``predictor="ensemble"`` an MLP ensemble on the path encoding with Thompson sampling is used instead
(NPENAS-BO's uncertainty-aware variant, with an MLP ensemble in place of its GIN).
"""
from __future__ import annotations

from ..predictors.gcn import GCNPredictor
from ..predictors.mlp import MLPEnsemble
from ._model_based import ModelBasedOptimizer, default_encoding


class NPENAS(ModelBasedOptimizer):
    """NPENAS; see the module docstring.

    >>> from fastnas.search import make
    >>> from fastnas.sim.synthetic import ToySpace
    >>> opt = make("npenas", ToySpace(), seed=0)
    >>> len(opt.ask(10))
    10
    """

    name = "npenas"
    _defaults = {**ModelBasedOptimizer._common, "acquisition": "mean", "n_parents": 10, "predictor": "gcn",
                 "epochs": 100}

    def _validate_params(self) -> None:
        super()._validate_params()
        if self.params["predictor"] not in ("gcn", "ensemble"):
            raise ValueError(f"predictor must be 'gcn' or 'ensemble', got {self.params['predictor']!r}")

    def _predict_values(self, cands):
        if self.params["predictor"] == "gcn":
            enc = self.params["encoding"] or default_encoding(self.space, ("gcn",))
            model = GCNPredictor(epochs=int(self.params["epochs"]), seed=self._draw_seed(), space=self.space,
                                 encoding=enc)
            model.fit(self.cells_, self._y)
            mean = model.predict(cands)
            return mean, 0.0 * mean
        enc = self._encoding()
        model = MLPEnsemble(epochs=int(self.params["epochs"]), seed=self._draw_seed())
        model.fit(self.space.encode(self.cells_, enc), 100.0 - self._y)
        mean, std = model.predict_dist(self.space.encode(cands, enc))
        return 100.0 - mean, std

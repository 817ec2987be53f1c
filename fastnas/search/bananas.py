"""BANANAS (White, Neiswanger & Savani 2021, "BANANAS: Bayesian optimization with neural architectures for
neural architecture search", AAAI; official code naszilla/bananas, ``bananas.py`` + ``meta_neural_net.py``):
an ensemble of MLPs on the truncated path encoding with independent Thompson sampling over mutations of
the best cell.

Paper defaults (definitions file, section 4): 10 random initial cells, 10 cells per iteration, truncated
path encoding (``path_trunc``: 40 for NB101, 30 for NB201), ensemble of 5 MLPs with 10 hidden layers of 20
ReLU units, Adam lr 0.01 betas (0.9, 0.99), MAE loss, 150 epochs, batch 32, target = validation error in
percent (``target_offset - value``, offset 100), 100 candidates = mutants of the best cell (one call of the space's ``mutate`` each, rate 1: on NB201 every
edge changes with probability 1/4, so a mutant may differ in several edges),
excluding cells already queried or already candidates, independent Thompson sampling (per candidate one
draw from N(mean, var) of the ensemble, ddof 0). ``acquisition`` may be "ucb", "ei", "pi" or "mean".

The ensemble is ``fastnas.predictors.mlp_ensemble_batched.NumbaMLPEnsemble`` (the same model and training
as ``MLPEnsemble``, in one compiled kernel: a 150-query NB201 trial takes about a second on one core).
``predictor`` replaces the surrogate by any ``fastnas.predictors`` model (a registered name, with
``predictor_params``), as NASLib allows: a model without uncertainty then scores candidates by its mean
(``acquisition`` must be "mean").
"""
from __future__ import annotations

from ..predictors.mlp_ensemble_batched import NumbaMLPEnsemble
from ._model_based import ModelBasedOptimizer


class BANANAS(ModelBasedOptimizer):
    """BANANAS; see the module docstring.

    >>> from fastnas.search import make
    >>> from fastnas.sim.synthetic import ToySpace
    >>> opt = make("bananas", ToySpace(), seed=0)
    >>> len(opt.ask(10))
    10
    """

    name = "bananas"
    _defaults = {**ModelBasedOptimizer._common, **ModelBasedOptimizer._surrogate, "n_members": 5,
                 "n_layers": 10, "width": 20, "lr": 0.01, "epochs": 150, "batch": 32, "loss": "mae",
                 "target_offset": 100.0}

    def _predict_values(self, cands):
        p = self.params
        enc = self._encoding()
        off = float(p["target_offset"])
        if p["predictor"] is not None:
            return self._surrogate_values(self.cells_, self._y, cands, enc)
        model = NumbaMLPEnsemble(n_members=int(p["n_members"]), n_layers=int(p["n_layers"]), width=int(p["width"]),
                                 lr=float(p["lr"]), epochs=int(p["epochs"]), batch_size=int(p["batch"]),
                                 loss=p["loss"], seed=self._draw_seed())
        model.fit(self.space.encode(self.cells_, enc), off - self._y)  # target: validation error
        mean_err, std = model.predict_dist(self.space.encode(cands, enc))
        return off - mean_err, std

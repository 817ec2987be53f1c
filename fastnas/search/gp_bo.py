"""Bayesian optimisation with an exact Gaussian process and a graph-distance kernel (a plain baseline in
the spirit of the "BO with GP" of the BANANAS paper; not NASBOT: see ``nasbot``).

The GP (``fastnas.predictors.gp``) uses k = exp(-d / l), d the L1 distance between one-hot adjacency
encodings (differing edges/operations); expected improvement over mutations of the 5 best cells.

naszilla's ``gp_bayesopt_search`` differs: its acquisition is UCB (``am_str='mygpdistmat_ucb'``) optimised
over random candidate cells (``opt_str='rand'``, ``max_iter=200``), with its own distance kernel
(``ls=3, alpha=1.5``) and posterior sampling (``nwarmup=500``); one cell per iteration.
"""
from __future__ import annotations

from ..predictors.gp import GaussianProcess
from ._model_based import ModelBasedOptimizer


class GPBayesOpt(ModelBasedOptimizer):
    """GP Bayesian optimisation; see the module docstring.

    >>> from fastnas.search import make
    >>> from fastnas.sim.synthetic import ToySpace
    >>> opt = make("gp_bo", ToySpace(), seed=0)
    >>> len(opt.ask(10))
    10
    """

    name = "gp_bo"
    _defaults = {**ModelBasedOptimizer._common, "acquisition": "ei", "n_parents": 5, "kernel": "distance"}

    def _predict_values(self, cands):
        enc = self._encoding(("adjacency", "categorical", "path"))
        gp = GaussianProcess(kernel=self.params["kernel"]).fit(self.space.encode(self.cells_, enc), self._y)
        return gp.predict_dist(self.space.encode(cands, enc))

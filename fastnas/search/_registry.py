"""``make(name, space, seed=..., **params)``: optimizers by name (lazy imports; for the CLI and configs)."""
from __future__ import annotations

import importlib

from ._base import Optimizer

OPTIMIZERS = {
    "random": "fastnas.search.random_search:RandomSearch",
    "evolution": "fastnas.search.evolution:RegularizedEvolution",
    "local_search": "fastnas.search.local_search:LocalSearch",
    "bananas": "fastnas.search.bananas:BANANAS",
    "bonas": "fastnas.search.bonas:BONAS",
    "gp_bo": "fastnas.search.gp_bo:GPBayesOpt",
    "npenas": "fastnas.search.npenas:NPENAS",
    "neural_predictor": "fastnas.search.neural_predictor:NeuralPredictorSearch",
    "nasbot": "fastnas.search.nasbot:NASBOT",
    "successive_halving": "fastnas.search.hyperband:SuccessiveHalving",
    "hyperband": "fastnas.search.hyperband:Hyperband",
    "bohb": "fastnas.search.bohb:BOHB",
    "evolution_lce": "fastnas.search.lc_extrapolation:EvolutionLCE",
    "bananas_lce": "fastnas.search.lc_extrapolation:BANANASLCE",
}


def optimizer_class(name: str) -> type[Optimizer]:
    key = str(name).lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; valid: {', '.join(OPTIMIZERS)}")
    mod, _, cls = OPTIMIZERS[key].partition(":")
    return getattr(importlib.import_module(mod), cls)


def make(name: str, space, seed=None, **params) -> Optimizer:
    """An optimizer by name.

    >>> from fastnas.sim.synthetic import ToySpace
    >>> make("evolution", ToySpace(), seed=0, population=20)
    RegularizedEvolution(ToySpace(length=6, n_ops=5), seed=0, population=20)
    """
    return optimizer_class(name)(space, seed=seed, **params)

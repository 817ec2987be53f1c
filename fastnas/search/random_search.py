"""Random search: uniformly sampled cells, deduplicated up to isomorphism."""
from __future__ import annotations

from ._base import Optimizer


class RandomSearch(Optimizer):
    """Random search (Li & Talwalkar 2019 baseline).

    >>> from fastnas.search import make
    >>> from fastnas.sim.synthetic import ToySpace
    >>> opt = make("random", ToySpace(), seed=0)
    >>> len(opt.ask(10))
    10
    """

    name = "random"
    batch_size = None
    _defaults: dict = {}

    def _propose(self, n: int):
        return self._random_fresh(n)

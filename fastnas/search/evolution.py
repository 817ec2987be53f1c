"""Aging (regularized) evolution (Real et al. 2019).

The population is the ``population`` most recently *told* cells (the oldest dies). Each proposal runs
one tournament: ``tournament`` members are drawn from the population -- with replacement when
``replace=True`` (naszilla / NASLib: P 30, S 10, with replacement; the defaults here) or without (the
NAS-Bench-101 notebook: P 50, S 10) -- and the best one is mutated (``space.mutate``, rate
``mutation_rate``) until the child is new up to isomorphism.

Start: by default (``n_init=None``) the first ``population`` proposals are random cells, as NASLib's
``RegularizedEvolution`` (``optimizers/discrete/re``: random architectures while ``epoch <
population_size``). ``n_init=10`` starts as naszilla's ``evolution_search``: 10 random cells, then
tournaments among all told cells while the population grows. naszilla removes the oldest member once the
population reaches ``population_size`` *after* appending the child, so its tournaments see at most
``population_size - 1`` cells: ``n_init=10, population=29`` reproduces naszilla's defaults (30). naszilla
does not re-mutate a child already queried; here children are new up to isomorphism.
"""
from __future__ import annotations

import numpy as np

from ._base import Optimizer


class RegularizedEvolution(Optimizer):
    """Aging evolution; see the module docstring.

    >>> from fastnas.search import make
    >>> from fastnas.sim.synthetic import ToySpace
    >>> opt = make("evolution", ToySpace(), seed=0, population=10, tournament=3)
    >>> len(opt.ask(10))
    10
    """

    name = "evolution"
    batch_size = 1
    _defaults = {"population": 30, "tournament": 10, "replace": True, "mutation_rate": 1.0, "n_init": None}

    def _validate_params(self) -> None:
        p = self.params
        if int(p["population"]) < 1 or int(p["tournament"]) < 1:
            raise ValueError("population and tournament must be >= 1")
        if not p["replace"] and int(p["tournament"]) > int(p["population"]):
            raise ValueError("tournament > population needs replace=True")
        if not isinstance(p["replace"], (bool, np.bool_)):
            raise ValueError("replace must be True or False")
        if p["n_init"] is not None and int(p["n_init"]) < 1:
            raise ValueError(f"n_init must be None or >= 1, got {p['n_init']!r}")

    def _propose(self, n: int):
        P = int(self.params["population"])
        S = int(self.params["tournament"])
        # initial population: random cells (counting those already asked but not told)
        n0 = P if self.params["n_init"] is None else int(self.params["n_init"])
        n_init = max(0, min(n, n0 - self.n_told - self.pending))
        parts = []
        if n_init:
            parts.append(self._random_fresh(n_init))
        n_rest = n - n_init
        if n_rest and self.n_told:
            pop = np.arange(max(0, self.n_told - P), self.n_told)
            y = self._y[pop]
            cells = self.cells_
            k = S if self.params["replace"] else min(S, len(pop))
            # one tournament per child (vectorised over the batch)
            if self.params["replace"]:
                draw = self._rng.integers(0, len(pop), size=(n_rest, k))
            else:
                draw = np.argsort(self._rng.random((n_rest, len(pop))), axis=1)[:, :k]
            parents = pop[draw[np.arange(n_rest), np.argmax(y[draw], axis=1)]]
            parts.append(self._children(cells[parents]))
        elif n_rest:
            parts.append(self._random_fresh(n_rest))
        return parts[0] if len(parts) == 1 else self.space.concat(parts)

    def _children(self, parents):
        """One new child per parent row (mutating again where a child was seen already)."""
        rate = float(self.params["mutation_rate"])
        out = self.space.mutate(parents, rate=rate, seed=self._draw_seed())
        keys = self._key(out)
        if len(out) == 1:  # the sequential case: no copies
            k = int(keys[0])
            if k not in self._seen:
                return out
        seen = set(self._seen)
        ok = np.empty(len(out), dtype=bool)
        for i, k in enumerate(keys.tolist()):
            ok[i] = k not in seen
            seen.add(k)
        for _ in range(100):
            if ok.all():
                break
            bad = np.flatnonzero(~ok)
            retry = self.space.mutate(parents[bad], rate=rate, seed=self._draw_seed())
            rk = self.space.key(retry).tolist()
            fields = {f: a.copy() for f, a in out.arrays().items()}
            for j, (i, k) in enumerate(zip(bad.tolist(), rk)):
                if k not in seen:
                    seen.add(k)
                    ok[i] = True
                    for f in fields:
                        fields[f][i] = retry.arrays()[f][j]
            out = type(out)._trusted(**fields)
        if not ok.all():  # a parent whose neighbourhood is exhausted: replace by random cells
            extra = self._random_fresh(int((~ok).sum()))
            out = self.space.concat([out[ok], extra])
        return out

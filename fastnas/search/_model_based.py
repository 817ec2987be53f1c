"""Shared machinery of the predictor-guided optimizers (BANANAS, BONAS, GP-BO, NPENAS).

Each ask after the ``n_init`` random cells: fit a predictor on every told cell (models are refitted from
a seed drawn from the optimizer's generator, so a restored run refits identically), generate candidates
(``n_candidates`` mutations of the ``n_parents`` best cells, new up to isomorphism with respect to every
asked cell and to each other; random cells make up any shortfall), score them with an acquisition
function and propose the best ``n``.
"""
from __future__ import annotations

import numpy as np

from ._base import Optimizer
from .acquisition import ACQUISITIONS, acquire, top_k


def default_encoding(space, preferred=("path_trunc", "path", "adjacency", "categorical")) -> str:
    for kind in preferred:
        if kind in space.encodings:
            return kind
    raise ValueError(f"space {space.name!r} offers none of the encodings {preferred}")


class ModelBasedOptimizer(Optimizer):
    """Base of predictor-guided optimizers: subclasses implement ``_predict_values(cands) -> (mean, std)``
    of the *value* (larger is better)."""

    _common = {"n_init": 10, "n_candidates": 100, "n_parents": 1, "mutation_rate": 1.0, "acquisition": "its",
               "ucb_beta": 0.5, "encoding": None}
    batch_size = 10

    def _validate_params(self) -> None:
        p = self.params
        if p["acquisition"] not in ACQUISITIONS:
            raise ValueError(f"acquisition must be one of {', '.join(ACQUISITIONS)}, got {p['acquisition']!r}")
        for k in ("n_init", "n_candidates", "n_parents"):
            if int(p[k]) < 1:
                raise ValueError(f"{k} must be >= 1")
        if p["encoding"] is not None and p["encoding"] not in self.space.encodings:
            raise ValueError(f"encoding {p['encoding']!r} not offered by {self.space.name}: {self.space.encodings}")

    def _encoding(self, preferred=("path_trunc", "path", "adjacency", "categorical")) -> str:
        return self.params["encoding"] or default_encoding(self.space, preferred)

    def _candidates(self, n_min: int):
        """Mutations of the best told cells, new and mutually distinct (at least ``n_min`` if possible)."""
        want = max(int(self.params["n_candidates"]), n_min)
        order = np.argsort(-self._y, kind="stable")[: int(self.params["n_parents"])]
        parents = self.cells_[order]
        got, keys = [], set()
        have = 0
        for _ in range(20):
            if have >= want:
                break
            reps = parents[np.arange(want - have) % len(parents)]
            kids = self._fresh(self.space.mutate(reps, rate=float(self.params["mutation_rate"]),
                                                 seed=self._draw_seed()))
            if keys:
                k = self.space.key(kids)
                kids = kids[~np.isin(k, np.fromiter(keys, dtype=np.uint64, count=len(keys)))]
            keys.update(self.space.key(kids).tolist())
            got.append(kids)
            have += len(kids)
        if have < n_min:  # a small or exhausted neighbourhood: add random cells
            extra = self._random_fresh(n_min - have + 10)
            if keys and len(extra):
                extra = extra[~np.isin(self.space.key(extra), np.fromiter(keys, dtype=np.uint64, count=len(keys)))]
            got.append(extra)
        cands = self.space.concat(got)
        return cands[: max(want, n_min)]

    def _propose(self, n: int):
        n_init = int(self.params["n_init"])
        if self.n_told + self.pending < n_init or self.n_told < 2:
            k = max(1, min(n, n_init - self.n_told - self.pending))
            return self._random_fresh(k)
        cands = self._candidates(n)
        if len(cands) <= n:
            return cands
        mean, std = self._predict_values(cands)
        p = self.params
        score = acquire(p["acquisition"], mean, std, best=float(self._y.max()), rng=self._rng,
                        ucb_beta=float(p["ucb_beta"]))
        return cands[top_k(score, n)]

    def _predict_values(self, cands):  # pragma: no cover - abstract
        raise NotImplementedError

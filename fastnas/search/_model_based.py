"""Shared machinery of the predictor-guided optimizers (BANANAS, BONAS, GP-BO, NPENAS, NASBOT).

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
    #: parameters of optimizers that accept any predictor as surrogate (``_surrogate_values``)
    _surrogate = {"predictor": None, "predictor_params": None, "n_members": 5}
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
        if p.get("predictor") is not None:
            from ..predictors import make as make_predictor

            if not isinstance(p["predictor"], str):
                raise TypeError("predictor must be a registered predictor name (fastnas.predictors.PREDICTORS), "
                                f"got {type(p['predictor']).__name__}; pass its settings as predictor_params")
            kw = p.get("predictor_params") or {}
            if not isinstance(kw, dict):
                raise TypeError(f"predictor_params must be a dict, got {type(kw).__name__}")
            make_predictor(p["predictor"], **kw)  # unknown names / parameters raise here, not mid-run
            if int(p["n_members"]) < 1:
                raise ValueError("n_members must be >= 1")

    def _surrogate_values(self, cells, y, cands, encoding):
        """(mean, std) of the value from an ensemble of ``n_members`` copies of the ``predictor`` model
        (NASLib's ``Ensemble``: each copy fitted with its own seed where the model takes one; the spread of
        their predictions is the uncertainty; a model with its own uncertainty and one member uses it)."""
        from ..predictors import make as make_predictor

        p = self.params
        kw = dict(p.get("predictor_params") or {})
        members = int(p["n_members"])
        means = []
        for _ in range(members):
            model = make_predictor(p["predictor"], **kw)
            params = model.get_params()
            extra = {}
            if "seed" in params and "seed" not in kw:
                extra["seed"] = self._draw_seed()
            if "space" in params and params["space"] is None:
                extra["space"] = self.space
            if extra:
                model.set_params(**extra)
            F = self.space.encode(cells, encoding) if "encoding" not in params else cells
            Fq = self.space.encode(cands, encoding) if "encoding" not in params else cands
            if "encoding" in params and "encoding" not in kw and params["encoding"] not in self.space.encodings:
                model.set_params(encoding=encoding)  # the model's own default encoding where the space has it
            model.fit(F, y)
            if members == 1 and getattr(model, "has_uncertainty", False):
                return model.predict_dist(Fq)
            means.append(model.predict(Fq))
        M = np.asarray(means, dtype=np.float64)
        return M.mean(axis=0), M.std(axis=0)

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

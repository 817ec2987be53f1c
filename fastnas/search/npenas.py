"""NPENAS (Wei et al. 2022, "NPENAS: neural predictor guided evolution for neural architecture search",
IEEE TNNLS; official code auroua/NPENASv1, ``nas_lib/algos/predictor.py`` ``gin_predictor_*`` /
``gin_uncertainty_*`` and ``nas_lib/data/data_nasbench_201.py`` ``get_candidates``): ``variant="np"``
(NPENAS-NP, the default) or ``variant="bo"`` (NPENAS-BO).

Each round after ``n_init`` = 10 random cells: candidates are mutations of the best told cells taken parent
by parent in order of value (the ``n_parents`` = 10 x patience 5 = 50 best): each parent is mutated
``n_candidates`` times, new cells (up to isomorphism, with respect to every asked cell and to each other) are
kept, and generation stops once ``n_candidates`` = 100 are collected (then truncated to 100). The GIN
predictor (``fastnas.predictors.gcn.GINPredictor``: the paper's network, loss, optimizer and cosine schedule,
1,000 epochs), retrained from scratch on every told cell each round, scores them and the 10 with the best
predicted value are queried. NPENAS-BO uses the graph uncertainty predictor
(``fastnas.predictors.gcn.GaussianGINPredictor``: mean and spread heads, Gaussian likelihood) and, as the
code's ``its_vae``, draws one sample ``mu + s eps`` per candidate from the optimizer's generator and queries
the best draws (independent Thompson sampling).

``engine`` picks how the GIN is trained: ``"numba"`` (default; the compiled kernel
``fastnas._kernels.gin``, the same network and training, about 10-40x faster) or ``"torch"`` (autograd, the
reference); see ``GINPredictor``.

``predictor`` (a registered ``fastnas.predictors`` name, with ``predictor_params`` and ``n_members``) swaps
in another surrogate, as NASLib's NPENAS allows; candidates are then ranked by the ensemble mean.

As the official NB201 functions (``gin_predictor_nasbench_201``, ``gin_uncertainty_predictor_nasbench_201``):
the GIN's batch size is chosen once from the ``n_init`` initial cells (10 when ``n_init`` <= 10, else 16) and
kept for the whole run (the cosine schedule's ``T = int(epochs * n / batch)`` follows); its output ``rate`` is
100 (errors in percent, the code's value for all three NB201 datasets); on NB201 a mutation changes exactly
one edge to a different op (the code's ``mutate``; ``space.mutate(one_edge=True)``).

Deviations (docs/methods.md): on NB101 and DARTS the mutation is the space's ``mutate`` (rate 1), not
checked against the code's operators there; candidates are deduplicated up to
the space's isomorphism key (the code: path indices); the code's NB201 graphs have 8 node labels
(fastnas's 7 of the ``gcn`` encoding -- input, the 5 ops, output -- plus ``isolate`` for nodes on no
input-output path); here such nodes keep their op label.
"""
from __future__ import annotations

import numpy as np

from ..predictors.gcn import GaussianGINPredictor, GINPredictor
from ._model_based import ModelBasedOptimizer, default_encoding


class NPENAS(ModelBasedOptimizer):
    """NPENAS-NP / NPENAS-BO; see the module docstring.

    >>> from fastnas.search import make
    >>> from fastnas.spaces import get_space
    >>> opt = make("npenas", get_space("nb201"), seed=0)
    >>> len(opt.ask(10))
    10
    """

    name = "npenas"
    _defaults = {**ModelBasedOptimizer._common, **ModelBasedOptimizer._surrogate, "acquisition": "mean",
                 "n_parents": 50, "epochs": 1000, "lr": 0.01, "rate": 100.0, "target_offset": 100.0, "variant": "np",
                 "engine": "numba"}

    def _validate_params(self) -> None:
        super()._validate_params()
        if self.params["variant"] not in ("np", "bo"):
            raise ValueError(f"variant must be 'np' (NPENAS-NP) or 'bo' (NPENAS-BO), got {self.params['variant']!r}")
        if self.params["engine"] not in ("numba", "torch"):
            raise ValueError(f"engine must be 'numba' or 'torch', got {self.params['engine']!r}")

    def _candidates(self, n_min: int):
        """Parent by parent (best first): ``n_candidates`` mutations each, new cells kept, until enough."""
        want = max(int(self.params["n_candidates"]), n_min)
        order = np.argsort(-self._y, kind="stable")[: int(self.params["n_parents"])]
        got, keys, have = [], set(), 0
        for i in order:
            if have >= want:
                break
            parent = self.cells_[np.full(want, i)]
            # NPENASv1's NB201 mutate changes exactly one edge (``data_nasbench_201.py`` ``mutate``)
            extra = {"one_edge": True} if self.space.name == "nb201" else {}
            kids = self._fresh(self.space.mutate(parent, rate=float(self.params["mutation_rate"]),
                                                 seed=self._draw_seed(), **extra))
            k = self.space.key(kids)
            _, first = np.unique(k, return_index=True)
            first = np.sort(first)
            kids, k = kids[first], k[first]
            if keys:
                new = ~np.isin(k, np.fromiter(keys, dtype=np.uint64, count=len(keys)))
                kids, k = kids[new], k[new]
            keys.update(k.tolist())
            got.append(kids)
            have += len(kids)
        if have < n_min:
            extra = self._random_fresh(n_min - have + 10)
            if keys and len(extra):
                extra = extra[~np.isin(self.space.key(extra), np.fromiter(keys, dtype=np.uint64, count=len(keys)))]
            got.append(extra)
        return self.space.concat(got)[:want]

    def _predict_values(self, cands):
        p = self.params
        if p["predictor"] is not None:
            return self._surrogate_values(self.cells_, self._y, cands, self._encoding())
        enc = p["encoding"] or default_encoding(self.space, ("gcn",))
        # the official functions pick the batch size once, from the initial cells (10 -> 10 for the whole run)
        bs = 10 if int(p["n_init"]) <= 10 else 16
        if p["variant"] == "bo":
            model = GaussianGINPredictor(space=self.space, encoding=enc, epochs=int(p["epochs"]), lr=float(p["lr"]),
                                         batch_size=bs, target_offset=float(p["target_offset"]), engine=p["engine"],
                                         seed=self._draw_seed())
            mean, std = model.fit(self.cells_, self._y).predict_dist(cands)
            draw = mean + std * self._rng.standard_normal(len(mean))  # its_vae: one sample per candidate
            return draw, np.zeros_like(draw)
        model = GINPredictor(space=self.space, encoding=enc, epochs=int(p["epochs"]), lr=float(p["lr"]),
                             batch_size=bs, rate=float(p["rate"]), target_offset=float(p["target_offset"]),
                             engine=p["engine"], seed=self._draw_seed())
        model.fit(self.cells_, self._y)
        mean = model.predict(cands)
        return mean, np.zeros_like(mean)

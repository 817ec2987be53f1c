"""Neural predictor search (Wen et al. 2020, "Neural predictor for neural architecture search", ECCV; as run
by naszilla's ``gcn_predictor`` in ``nas_algorithms.py`` and NASLib's ``bp`` optimizer).

Algorithm: query ``n_init`` random cells, train the GCN predictor
(``fastnas.predictors.gcn.NeuralPredictorGCN``, the paper's model and training) on them, predict a pool of
``n_candidates`` fresh random cells (duplicates of queried cells removed) and query the ``k`` cells with the
**best predictions**. naszilla's defaults for a budget of 150: ``k = int(20 / 172 * 150) = 17``,
``n_init = 150 - 17 = 133``, pool ``50 * 150 = 7,500`` (the paper's 172 training cells and 20 queries,
scaled linearly).

Known bug not reproduced: naszilla sorts the predictions (``sorted(test_pred)[:k]``) but then queries
``test_data[i] for i in range(k)``, i.e. the first k cells of the random pool, not the best k
(``tests/unit/test_search_neural_predictor.py`` checks that the best k are queried).

Beyond the paper's single round (a budget larger than ``n_init + k``): each further ask retrains on every
told cell and ranks a fresh pool again.
"""
from __future__ import annotations

import numpy as np

from ..predictors.gcn import NeuralPredictorGCN
from ._base import Optimizer
from ._model_based import default_encoding
from .acquisition import top_k


class NeuralPredictorSearch(Optimizer):
    """Neural predictor search; see the module docstring.

    >>> from fastnas.search import make
    >>> from fastnas.spaces import get_space
    >>> opt = make("neural_predictor", get_space("nb201"), seed=0)
    >>> len(opt.ask(17))
    17
    """

    name = "neural_predictor"
    _defaults = {"n_init": 133, "k": 17, "n_candidates": 7500, "epochs": 300, "lr": 1e-4, "batch": 7,
                 "encoding": None}
    batch_size = 17

    def _validate_params(self) -> None:
        p = self.params
        for key in ("n_init", "k", "n_candidates", "epochs", "batch"):
            if int(p[key]) < 1:
                raise ValueError(f"{key} must be >= 1, got {p[key]!r}")
        if int(p["n_init"]) < int(p["batch"]):
            raise ValueError(f"n_init ({p['n_init']}) must be >= batch ({p['batch']}): the predictor drops "
                             "incomplete batches")
        enc = p["encoding"] or default_encoding(self.space, ("gcn",))
        if enc not in self.space.encodings:
            raise ValueError(f"encoding {enc!r} not offered by {self.space.name}: {self.space.encodings}")

    def predictor(self, seed) -> NeuralPredictorGCN:
        """The GCN predictor with this optimizer's settings (unfitted)."""
        p = self.params
        return NeuralPredictorGCN(space=self.space, encoding=p["encoding"] or default_encoding(self.space, ("gcn",)),
                                  epochs=int(p["epochs"]), lr=float(p["lr"]), batch_size=int(p["batch"]), seed=seed)

    def _propose(self, n: int):
        p = self.params
        n_init = int(p["n_init"])
        if self.n_told + self.pending < n_init or self.n_told < n_init:
            return self._random_fresh(max(1, min(n, n_init - self.n_told - self.pending)))
        model = self.predictor(self._draw_seed()).fit(self.cells_, self._y)
        pool = self._random_fresh(max(int(p["n_candidates"]), n))
        want = min(n, int(p["k"]))
        if len(pool) <= want:
            return pool
        pred = model.predict(pool)
        return pool[top_k(pred, want)]  # the best k predictions (not the first k of the pool)

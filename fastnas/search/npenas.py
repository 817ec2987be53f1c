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
``fastnas._kernels.gin``, the same network and training, 16-31x faster per fit) or ``"torch"`` (autograd,
the reference); see ``GINPredictor``.

``predictor`` (a registered ``fastnas.predictors`` name, with ``predictor_params`` and ``n_members``) swaps
in another surrogate, as NASLib's NPENAS allows; candidates are then ranked by the ensemble mean.

As the official NB201 functions (``gin_predictor_nasbench_201``, ``gin_uncertainty_predictor_nasbench_201``):
the GIN's batch size is chosen once from the ``n_init`` initial cells (10 when ``n_init`` <= 10, else 16) and
kept for the whole run (the cosine schedule's ``T = int(epochs * n / batch)`` follows); its output ``rate`` is
100 (errors in percent, the code's value for all three NB201 datasets); on NB201 a mutation changes exactly
one edge to a different op (the code's ``mutate``; ``space.mutate(one_edge=True)``).

On NB201 (with the default ``encoding=None``) the GIN sees the code's graph, ``npenas_nb201_graphs``
(``nas_lib/data/init_nasbench_201_dataset.py``: ``exchange_nodes_edges``, ``add_dummy_node`` and
``find_isolate_node``): the 6 edges become nodes between the input and the output, ``none`` nodes are
deleted with their edges, the graph is padded back to 8 nodes with ``isolate`` nodes, and every node
other than the input with neither in- nor out-edges is fed from the input. ``encoding="gcn"`` uses
fastnas's 7-label ``gcn`` encoding instead (``none`` kept as a node label).

Deviations (docs/methods.md): on NB101 and DARTS the mutation is the space's ``mutate`` (rate 1), not
checked against the code's operators there; candidates are deduplicated up to
the space's isomorphism key (the code: path indices).
"""
from __future__ import annotations

import numpy as np

from ..predictors.gcn import GaussianGINPredictor, GINPredictor
from ._model_based import ModelBasedOptimizer, default_encoding

#: node labels of the code's NB201 graphs (``data_nasbench_201.py`` ``OPS``); fastnas op code k is label k + 1
NB201_LABELS = ("input", "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3", "isolate",
                "output")
# the code's node i + 1 is the edge in column _COLS[i] of fastnas's arch-string order ((0,1), (0,2), (1,2),
# (0,3), (1,3), (2,3)); its edges between nodes, before the ``none`` nodes are deleted
_COLS = (0, 1, 3, 2, 4, 5)
_ARCS = ((0, 1), (0, 2), (0, 3), (1, 4), (1, 5), (2, 6), (4, 6), (3, 7), (5, 7), (6, 7))


def npenas_nb201_graphs(ops) -> np.ndarray:
    """NPENASv1's NB201 graphs as flat ``[one-hot labels (8 x 8), adjacency (8 x 8)]`` float64 rows.

    Parameters
    ----------
    ops : (N, 6) int array of NB201 op codes (``NB201Cells.ops``: 0 none, 1 skip_connect, 2 nor_conv_1x1,
        3 nor_conv_3x3, 4 avg_pool_3x3; edges in arch-string order)

    Returns
    -------
    (N, 128) float64: per node a one-hot over ``NB201_LABELS``, then ``A[i, j] = 1`` for an edge i -> j.

    Raises
    ------
    ValueError
        ``ops`` not of shape (N, 6) or codes outside 0..4.

    Definition (auroua/NPENASv1 ``init_nasbench_201_dataset.py``): nodes input, edges 0->1, 0->2, 0->3,
    1->2, 1->3, 2->3, output, with arcs input -> the edges out of cell node 0, an edge into cell node k ->
    the edges out of k, the edges into node 3 -> output; ``none`` nodes deleted; the remaining k nodes keep
    their order except the output, which moves to index 7, and indices k-1..6 are ``isolate``; then every
    node i > 0 with no arc at all gets the arc 0 -> i.

    >>> g = npenas_nb201_graphs([[3, 0, 0, 1, 0, 0]])  # conv3x3 on 0->1 (dead end), skip on 0->3
    >>> g[0, :64].reshape(8, 8).argmax(axis=1).tolist()  # input, conv3x3, skip, isolate x 4, output
    [0, 4, 2, 6, 6, 6, 6, 7]
    >>> [tuple(int(v) for v in e) for e in np.argwhere(g[0, 64:].reshape(8, 8))]
    [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (0, 6), (2, 7)]
    """
    ops = np.asarray(ops)
    if ops.ndim != 2 or ops.shape[1] != 6:
        raise ValueError(f"ops must have shape (N, 6), got {ops.shape}")
    if not np.issubdtype(ops.dtype, np.integer) or (ops.size and (ops.min() < 0 or ops.max() > 4)):
        raise ValueError("ops must be integer NB201 op codes in 0..4")
    base = np.zeros((8, 8), dtype=np.int8)
    for i, j in _ARCS:
        base[i, j] = 1
    out = np.zeros((len(ops), 128))
    for n, row in enumerate(ops):
        labels = [0] + [int(row[c]) + 1 for c in _COLS] + [7]
        keep = [i for i, lab in enumerate(labels) if lab != 1]  # delete the ``none`` nodes
        A = base[np.ix_(keep, keep)]
        k = len(keep)
        M = np.zeros((8, 8), dtype=np.int8)
        for i, j in zip(*np.nonzero(A)):
            M[i, 7 if j == k - 1 else j] = 1  # ``add_dummy_node``: the output moves to index 7
        lab = [labels[i] for i in keep[:-1]] + [6] * (8 - k) + [7]
        for i in range(1, 8):  # ``find_isolate_node``
            if not M[i].any() and not M[:, i].any():
                M[0, i] = 1
        out[n, :64] = np.eye(8)[lab].ravel()
        out[n, 64:] = M.ravel()
    return out


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
        enc = self.params.get("encoding")
        if self.params.get("predictor") is None and enc not in (None, "gcn"):
            raise ValueError(f"encoding {enc!r}: NPENAS's GIN predictor reads cell graphs, so encoding must be 'gcn' "
                             "or None (on nb201 the official code's graph); other encodings need another "
                             "predictor= (e.g. predictor='mlp')")

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
        official = p["encoding"] is None and self.space.name == "nb201"
        enc = p["encoding"] or default_encoding(self.space, ("gcn",))
        X, Xc, space = self.cells_, cands, self.space
        if official:  # the code's NB201 graphs (see the module docstring)
            X, Xc, space = npenas_nb201_graphs(self.cells_.ops), npenas_nb201_graphs(cands.ops), None
        # the official functions pick the batch size once, from the initial cells (10 -> 10 for the whole run)
        bs = 10 if int(p["n_init"]) <= 10 else 16
        if p["variant"] == "bo":
            model = GaussianGINPredictor(space=space, encoding=enc, epochs=int(p["epochs"]), lr=float(p["lr"]),
                                         batch_size=bs, target_offset=float(p["target_offset"]), engine=p["engine"],
                                         seed=self._draw_seed())
            mean, std = model.fit(X, self._y).predict_dist(Xc)
            draw = mean + std * self._rng.standard_normal(len(mean))  # its_vae: one sample per candidate
            return draw, np.zeros_like(draw)
        model = GINPredictor(space=space, encoding=enc, epochs=int(p["epochs"]), lr=float(p["lr"]),
                             batch_size=bs, rate=float(p["rate"]), target_offset=float(p["target_offset"]),
                             engine=p["engine"], seed=self._draw_seed())
        model.fit(X, self._y)
        mean = model.predict(Xc)
        return mean, np.zeros_like(mean)

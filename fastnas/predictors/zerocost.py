"""Zero-cost predictors: a proxy score as the prediction (Abdelfattah et al. 2021; White et al. 2021).

``ZeroCostTable`` looks scores up in a precomputed table (NAS-Bench-Suite-Zero data vendored by
``fastnas.nasbench``, or any cells + scores you pass); ``ZeroCostLive`` computes them with
``fastnas.zerocost.score`` on untrained networks. Both are training-free ``ScorePredictor``s: ``fit``
only calibrates the score to the target scale. Table lookup matches rows exactly (all fields of the
``Cells`` row, as bytes) with one sort + ``searchsorted``, no per-cell Python loop.
"""
from __future__ import annotations

import numpy as np

from ..spaces._cells import Cells
from ._scored import ScorePredictor


def _rank_last(vals: np.ndarray) -> np.ndarray:
    """Non-finite scores (a proxy that fails or overflows on a cell, e.g. nwot = -inf for a cell with no
    input-output path) rank last: they become the smallest finite score minus 1."""
    bad = ~np.isfinite(vals)
    if bad.any():
        fin = vals[~bad]
        vals = vals.copy()
        vals[bad] = (fin.min() - 1.0) if fin.size else 0.0
    return vals


def row_keys(cells: Cells) -> np.ndarray:
    """One opaque fixed-width bytes key per row (all fields, exact representation)."""
    parts = [np.ascontiguousarray(a).reshape(len(cells), -1).view(np.uint8).reshape(len(cells), -1)
             for a in cells.arrays().values()]
    B = np.ascontiguousarray(np.hstack(parts))
    return B.view(np.dtype((np.void, B.shape[1]))).reshape(-1)


class ZeroCostTable(ScorePredictor):
    """Score cells by a precomputed zero-cost proxy table.

    Parameters
    ----------
    proxy : the proxy name (a key of ``scores``).
    cells : Cells of the table rows.
    scores : dict proxy -> (len(cells),) float array (or a single array for ``proxy``).
    sign : +1 (higher proxy = better) or -1.

    Examples
    --------
    >>> from fastnas.spaces._cells import Cells
    >>> class C(Cells):
    ...     FIELDS = (("ops", "int8", (2,)),)
    >>> t = C(ops=[[0, 1], [1, 1], [2, 0]])
    >>> z = ZeroCostTable(proxy="p", cells=t, scores={"p": [0.5, 2.0, 1.0]})
    >>> z.predict(t[[2, 1]]).tolist()
    [1.0, 2.0]
    """

    def __init__(self, *, proxy: str = "synflow", cells=None, scores=None, sign: float = 1.0):
        self.proxy = proxy
        self.cells = cells
        self.scores = scores

        self.sign = sign

    @classmethod
    def from_benchmark(cls, table, proxy: str, sign: float = 1.0) -> "ZeroCostTable":
        """From a ``fastnas.nasbench.ZCTable`` (``load_zc(space, dataset)``).

        >>> from fastnas.nasbench import load_zc
        >>> z = ZeroCostTable.from_benchmark(load_zc("nb201", "cifar10"), "synflow")  # doctest: +SKIP
        """
        return cls(proxy=proxy, cells=table.cells, scores={p: table.scores(p) for p in table.proxies}, sign=sign)

    def _lookup(self):
        if self.cells is None or self.scores is None:
            raise ValueError("ZeroCostTable needs cells= and scores=")
        # the sorted table depends only on the parameters: cache it while they are the same objects
        cached = self.__dict__.get("_sorted_table")
        if (cached is not None and cached[0] is self.cells and cached[1] is self.scores
                and cached[2] == (self.proxy, float(self.sign))):
            return cached[3]
        out = self._sorted()
        self.__dict__["_sorted_table"] = (self.cells, self.scores, (self.proxy, float(self.sign)), out)
        return out

    def _sorted(self):
        if isinstance(self.scores, dict) and self.proxy not in self.scores:
            raise ValueError(f"proxy {self.proxy!r} not in the table; valid: {', '.join(sorted(self.scores))}")
        vals = self.scores[self.proxy] if isinstance(self.scores, dict) else self.scores
        vals = np.asarray(vals, dtype=np.float64).reshape(-1) * float(self.sign)
        vals = _rank_last(vals)
        if len(vals) != len(self.cells):
            raise ValueError(f"table has {len(self.cells)} cells but {len(vals)} scores")
        keys = row_keys(self.cells)
        order = np.argsort(keys, kind="stable")
        return keys[order], vals[order]

    def _score(self, X):
        from ._batch import Batch

        if isinstance(X, Batch):  # precomputed scores travel with the batch; else look its cells up
            if self.proxy in X.zc:
                return _rank_last(float(self.sign) * X.zc[self.proxy])
            if X.cells is None:
                raise ValueError(f"the batch has no {self.proxy!r} scores and no cells to look up")
            X = X.cells
        if not isinstance(X, Cells):
            raise TypeError(f"ZeroCostTable expects Cells or a Batch, got {type(X).__name__}")
        if self.cells is not None and type(X) is not type(self.cells):
            raise TypeError(f"table holds {type(self.cells).__name__}, got {type(X).__name__}")
        keys, vals = self._lookup()
        q = row_keys(X)
        pos = np.clip(np.searchsorted(keys, q), 0, len(keys) - 1)
        found = keys[pos] == q
        if not found.all():
            raise ValueError(f"row {int(np.flatnonzero(~found)[0])} is not in the zero-cost table "
                             f"({int((~found).sum())} of {len(q)} rows missing)")
        return vals[pos]


class ZeroCostLive(ScorePredictor):
    """Score cells by computing a zero-cost proxy on their untrained networks (needs torch).

    Parameters
    ----------
    proxy : one of ``fastnas.zerocost.PROXIES``.
    space : the cells' space (instance or name).
    data : minibatch source for data-dependent proxies: (X, y) arrays, a torch dataset, ``"synthetic"``,
        or None (synthetic N(0, 1) data with a once-per-process ``UserWarning``; see
        ``fastnas.zerocost.score``).
    seed, device, batch_size : passed through.
    build : dict of keyword arguments for ``fastnas.models.build`` (e.g. ``{"width": 4}``).
    sign : +1 or -1.

    Examples
    --------
    >>> z = ZeroCostLive(proxy="synflow", space="nb201", build={"width": 4})  # doctest: +SKIP
    """

    def __init__(self, *, proxy: str = "synflow", space=None, data=None, seed=0, device=None,
                 batch_size: int = 64, build=None, sign: float = 1.0):
        self.proxy = proxy
        self.space = space
        self.data = data
        self.seed = seed
        self.device = device
        self.batch_size = batch_size
        self.build = build
        self.sign = sign

    def _score(self, X):
        from .. import zerocost

        if not isinstance(X, Cells):
            raise TypeError(f"ZeroCostLive expects Cells, got {type(X).__name__}")
        if self.space is None:
            raise ValueError("ZeroCostLive needs space=")
        s = zerocost.score(self.space, X, self.proxy, data=self.data, device=self.device, seed=self.seed,
                           batch_size=self.batch_size, **(self.build or {}))
        return _rank_last(float(self.sign) * np.asarray(s, dtype=np.float64))

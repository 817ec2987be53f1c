"""``Batch``: everything known about a set of cells, for predictors that combine sources (OMNI, Stack).

A hybrid predictor receives one ``Batch`` and hands each component the part it reads: ``Cells`` for
model-based and zero-cost predictors, ``Curves`` for learning-curve predictors, a feature matrix when no
cells are given, and precomputed zero-cost scores by proxy name.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..spaces._cells import Cells
from .lc import Curves


@dataclass(frozen=True, eq=False)
class Batch:
    """Cells, their partial learning curves, features and zero-cost scores (any may be missing).

    >>> import numpy as np
    >>> b = Batch(features=np.eye(3), zc={"jacov": [1.0, 2.0, 3.0]})
    >>> len(b), len(b[[0, 2]]), b[[0, 2]].zc["jacov"].tolist()
    (3, 2, [1.0, 3.0])
    """

    cells: Cells | None = None
    curves: Curves | None = None
    features: np.ndarray | None = None
    zc: dict = field(default_factory=dict)

    def __post_init__(self):
        n = None
        for name, v in (("cells", self.cells), ("curves", self.curves), ("features", self.features)):
            if v is None:
                continue
            if n is None:
                n = len(v)
            elif len(v) != n:
                raise ValueError(f"Batch.{name} has {len(v)} rows, expected {n}")
        zc = {}
        for k, v in (self.zc or {}).items():
            a = np.asarray(v, dtype=np.float64).reshape(-1)
            if n is None:
                n = len(a)
            elif len(a) != n:
                raise ValueError(f"Batch.zc[{k!r}] has {len(a)} rows, expected {n}")
            zc[k] = a
        object.__setattr__(self, "zc", zc)
        if self.features is not None:
            object.__setattr__(self, "features", np.asarray(self.features, dtype=np.float64))
        if n is None:
            raise ValueError("Batch needs at least one of cells, curves, features, zc")
        object.__setattr__(self, "_n", n)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, idx) -> "Batch":
        idx = np.asarray(idx) if not isinstance(idx, slice) else idx
        return Batch(
            cells=None if self.cells is None else self.cells[idx],
            curves=None if self.curves is None else self.curves[idx],
            features=None if self.features is None else self.features[idx],
            zc={k: v[idx] for k, v in self.zc.items()},
        )


def as_batch(X) -> Batch:
    if isinstance(X, Batch):
        return X
    if isinstance(X, Cells):
        return Batch(cells=X)
    if isinstance(X, Curves):
        return Batch(curves=X)
    return Batch(features=np.asarray(X, dtype=np.float64))


def route(pred, batch: Batch):
    """The part of ``batch`` that predictor ``pred`` reads."""
    from ._scored import ScorePredictor
    from .lc import CurvePredictor

    if isinstance(pred, CurvePredictor):
        if batch.curves is None:
            raise ValueError(f"{type(pred).__name__} needs learning curves (Batch.curves)")
        return batch.curves
    if isinstance(pred, ScorePredictor) or getattr(pred, "space", None) is not None:
        if batch.cells is not None:
            return batch.cells
    if batch.features is not None:
        return batch.features
    if batch.cells is not None:
        return batch.cells
    raise ValueError(f"{type(pred).__name__} needs cells or features in the Batch")

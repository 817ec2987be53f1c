"""A synthetic benchmark *with learning curves*, for multi-fidelity searches without real data.

``SyntheticCurveBenchmark`` wraps ``SyntheticBenchmark`` (``ToySpace``): the final-epoch validation
accuracy of a cell is the synthetic benchmark's, and its curve rises to it as

    acc(e) = 10 + (final - 10) * (1 - exp(-k e)) / (1 - exp(-k E)),    e = 1..E (``max_epoch``)

with a per-cell rate ``k`` in [0.03, 0.5] derived from the cell's isomorphism key, so early epochs rank
cells differently from the final epoch (slow learners catch up), as real curves do. Training time is
linear in epochs: ``cost(e) = full_cost * e / E`` (``full_cost`` as in ``SyntheticBenchmark``). It has
the fidelity interface of the NAS-Bench-301 surrogate: ``max_epoch``,
``query(cells, metric, split, seed, epoch=e, return_cost=True)`` and ``curves(cells, epochs)``; its values
are isomorphism-invariant, so it declares ``records_per_class = True`` (one record per class).

>>> from fastnas.sim.synthetic_curves import SyntheticCurveBenchmark
>>> bench = SyntheticCurveBenchmark(max_epoch=20)
>>> cells = bench.space.sample(2, seed=0)
>>> bool((bench.query(cells, epoch=20) == bench.query(cells)).all())
True
>>> bench.curves(cells, [1, 5, 20]).shape
(2, 3)
"""
from __future__ import annotations

import numpy as np

from .synthetic import SyntheticBenchmark, ToySpace


class SyntheticCurveBenchmark:
    """See the module docstring. ``max_epoch`` is the final epoch (default 98, as NB301)."""

    records_per_class = True

    def __init__(self, space: ToySpace | None = None, seed: int = 0, max_epoch: int = 98, pair: float = 0.5):
        if isinstance(max_epoch, bool) or not isinstance(max_epoch, (int, np.integer)) or max_epoch < 2:
            raise ValueError(f"max_epoch must be an int >= 2, got {max_epoch!r}")
        self.base = SyntheticBenchmark(space, seed=seed, pair=pair)
        self.space = self.base.space
        self.seed = int(seed)
        self.pair = float(pair)
        self.max_epoch = int(max_epoch)
        self.name = f"synthetic-curves-{self.space.length}x{self.space.n_ops}-{self.seed}"

    def __reduce__(self):
        return (SyntheticCurveBenchmark, (self.space, self.seed, self.max_epoch, self.pair))

    def best(self, metric: str = "accuracy", split: str = "valid"):
        """(cell, value) of the best cell at the final epoch."""
        return self.base.best(metric, split)

    def _rate(self, cells) -> np.ndarray:
        k = self.space.key(cells).astype(np.uint64)
        h = ((k * np.uint64(0x9E3779B97F4A7C15) + np.uint64(self.seed)) >> np.uint64(11)).astype(np.float64)
        return 0.03 + 0.47 * (h / 2.0**53)

    def _curve(self, cells, epochs: np.ndarray, split: str) -> np.ndarray:
        final = self.base.query(cells, split=split)
        k = self._rate(cells)[:, None]
        E = self.max_epoch
        shape = (1.0 - np.exp(-k * epochs[None, :])) / (1.0 - np.exp(-k * E))
        return 10.0 + (final[:, None] - 10.0) * shape

    def _check_epoch(self, epoch) -> int:
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or not 1 <= epoch <= self.max_epoch:
            raise ValueError(f"epoch must be an int in 1..{self.max_epoch}, got {epoch!r}")
        return int(epoch)

    def query(self, cells, metric: str = "accuracy", split: str = "valid", seed="mean", rng=None,
              epoch: int | None = None, missing: str = "raise", return_cost: bool = False):
        """Values of ``metric`` at ``epoch`` (None: the final epoch), optionally with the training time (s)
        up to that epoch."""
        if seed != "mean":
            raise ValueError("SyntheticCurveBenchmark is noise-free: seed must be 'mean'")
        if metric not in ("accuracy", "error"):
            raise ValueError(f"unknown metric {metric!r}; valid: accuracy, error")
        if split not in ("valid", "test"):
            raise ValueError(f"unknown split {split!r}; valid: valid, test")
        e = self.max_epoch if epoch is None else self._check_epoch(epoch)
        acc = self._curve(cells, np.array([float(e)]), split)[:, 0]
        vals = acc if metric == "accuracy" else 100.0 - acc
        if return_cost:
            _, full = self.base.query(cells, return_cost=True)
            return vals, full * e / self.max_epoch
        return vals

    def curves(self, cells, epochs=None, metric: str = "accuracy", split: str = "valid") -> np.ndarray:
        """(N, E) values at the epochs ``epochs`` (ints in 1..max_epoch; default all)."""
        ep = np.arange(1, self.max_epoch + 1) if epochs is None else np.atleast_1d(np.asarray(epochs))
        if ep.ndim != 1 or ep.dtype.kind not in "iu" or (ep.size and (ep.min() < 1 or ep.max() > self.max_epoch)):
            raise ValueError(f"epochs must be ints in 1..{self.max_epoch}, got {epochs!r}")
        acc = self._curve(cells, ep.astype(np.float64), split)
        if metric == "accuracy":
            return acc
        if metric == "error":
            return 100.0 - acc
        raise ValueError(f"unknown metric {metric!r}; valid: accuracy, error")

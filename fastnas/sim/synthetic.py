"""A small synthetic search space and tabular benchmark with a known optimum.

Used by the tests, the demos and the benchmarks of ``fastnas.search`` / ``fastnas.sim`` when no real
benchmark is needed: ``ToySpace`` implements the full ``SearchSpace`` protocol on sequences of
``length`` positions each holding one of ``n_ops`` operations, where a sequence and its reversal are
*isomorphic* (so algorithms must deduplicate through ``space.key``, exactly as on NB101/NB201).
``SyntheticBenchmark`` gives every cell a deterministic "validation accuracy" (reversal-invariant) and a
"training time", through the same ``query`` signature as the tabular benchmarks of ``fastnas.nasbench``.

>>> from fastnas.sim.synthetic import ToySpace, SyntheticBenchmark
>>> bench = SyntheticBenchmark(ToySpace(length=4, n_ops=3), seed=0)
>>> cells = bench.space.sample(5, seed=1)
>>> bench.query(cells).shape
(5,)
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from .._rng import base_seed
from ..spaces._cells import Cells
from ..spaces._protocol import SearchSpace, check_cells


class ToyCells(Cells):
    """Rows of operation indices, ``ops`` (N, L) int8 (L is not fixed by the type)."""

    SPACE = "toy"
    FIELDS = (("ops", np.int8, ()),)  # tail shape checked by the space (variable length)

    def __init__(self, ops):  # noqa: D107 - (N, L) array of op indices
        a = np.asarray(ops)
        if a.ndim != 2:
            raise ValueError(f"ToyCells.ops: expected shape (N, L), got {a.shape}")
        if a.size and (a.min() < -128 or a.max() > 127):
            raise ValueError("ToyCells.ops: values out of range for int8")
        object.__setattr__(self, "_arrays", {"ops": np.ascontiguousarray(a.astype(np.int8))})

    @classmethod
    def empty(cls, n: int = 0):
        return cls._trusted(ops=np.zeros((n, 0), dtype=np.int8))


class ToySpace(SearchSpace):
    """Sequences of ``length`` ops out of ``n_ops``; a sequence is isomorphic to its reversal; the
    all-zero sequence is invalid (so ``is_valid`` is not trivial)."""

    name: ClassVar[str] = "toy"
    cells_type: ClassVar[type[Cells]] = ToyCells
    encodings: ClassVar[tuple[str, ...]] = ("categorical", "adjacency", "gcn")
    finite: ClassVar[bool] = True

    def __init__(self, length: int = 6, n_ops: int = 5):
        if not (1 <= int(length) <= 12 and 2 <= int(n_ops) <= 16):
            raise ValueError("ToySpace needs 1 <= length <= 12 and 2 <= n_ops <= 16")
        self.length = int(length)
        self.n_ops = int(n_ops)
        #: graph view for the GCN encoding: input, one node per position, output (a chain)
        self.gcn_nodes = self.length + 2

    def __repr__(self) -> str:
        return f"ToySpace(length={self.length}, n_ops={self.n_ops})"

    def __eq__(self, other) -> bool:
        return isinstance(other, ToySpace) and (self.length, self.n_ops) == (other.length, other.n_ops)

    def __hash__(self) -> int:
        return hash((self.length, self.n_ops))

    def _check(self, cells) -> ToyCells:
        check_cells(self, cells)
        if cells.ops.shape[1] != self.length and len(cells):
            raise ValueError(f"cells have length {cells.ops.shape[1]}, the space has {self.length}")
        bad = np.flatnonzero(((cells.ops < 0) | (cells.ops >= self.n_ops)).any(axis=1))
        if bad.size:
            raise ValueError(f"row {int(bad[0])}: op index out of range [0, {self.n_ops})")
        return cells

    def _cells(self, ops: np.ndarray) -> ToyCells:
        return ToyCells._trusted(ops=np.ascontiguousarray(ops, dtype=np.int8))

    # -- sampling and moves -----------------------------------------------------------------
    def sample(self, n: int, seed=None, *, unique: bool = False) -> ToyCells:
        rng = np.random.default_rng(int(base_seed(seed)))
        ops = rng.integers(0, self.n_ops, size=(int(n), self.length))
        zero = ~ops.any(axis=1)
        ops[zero, 0] = 1  # map the invalid all-zero row to a valid one
        cells = self._cells(ops)
        return self.unique(cells)[0] if unique else cells

    def mutate(self, cells, rate: float = 1.0, seed=None) -> ToyCells:
        """Each position changes with probability rate/length to a different op; at least one
        changes and the result is valid and not isomorphic to the parent."""
        cells = self._check(cells)
        rng = np.random.default_rng(int(base_seed(seed)))
        ops = cells.ops.astype(np.int64)
        out = ops.copy()
        todo = np.ones(len(ops), dtype=bool)
        p = min(1.0, float(rate) / self.length)
        for _ in range(64):
            if not todo.any():
                break
            idx = np.flatnonzero(todo)
            flip = rng.random((idx.size, self.length)) < p
            force = rng.integers(0, self.length, size=idx.size)
            flip[np.arange(idx.size), force] = True
            delta = rng.integers(1, self.n_ops, size=(idx.size, self.length))
            cand = np.where(flip, (ops[idx] + delta) % self.n_ops, ops[idx])
            ok = cand.any(axis=1) & (self._key_ops(cand) != self._key_ops(ops[idx]))
            out[idx[ok]] = cand[ok]
            todo[idx[ok]] = False
        return self._cells(out)

    def neighbors(self, cell) -> ToyCells:
        cell = self._check(cell)
        if len(cell) != 1:
            raise ValueError(f"neighbors takes a single cell, got {len(cell)}")
        base = cell.ops[0].astype(np.int64)
        rows = []
        for pos in range(self.length):
            for op in range(self.n_ops):
                if op != base[pos]:
                    r = base.copy()
                    r[pos] = op
                    rows.append(r)
        ops = np.array(rows, dtype=np.int64).reshape(-1, self.length)
        ops = ops[ops.any(axis=1)]
        keep = self._key_ops(ops) != self._key_ops(base[None])[0]
        return self.unique(self._cells(ops[keep]))[0]

    # -- identity ---------------------------------------------------------------------------
    def _key_ops(self, ops: np.ndarray) -> np.ndarray:
        w = self.n_ops ** np.arange(self.length, dtype=np.uint64)
        a = ops.astype(np.uint64) @ w
        b = ops[:, ::-1].astype(np.uint64) @ w
        return np.minimum(a, b).astype(np.uint64)

    def key(self, cells) -> np.ndarray:
        return self._key_ops(self._check(cells).ops)

    def is_valid(self, cells) -> np.ndarray:
        check_cells(self, cells)
        ops = cells.ops
        return ((ops >= 0) & (ops < self.n_ops)).all(axis=1) & ops.any(axis=1)

    # -- representation -----------------------------------------------------------------------
    def encode(self, cells, kind: str, **options) -> np.ndarray:
        ops = self._check(cells).ops.astype(np.int64)
        n = len(ops)
        if kind == "adjacency":
            return ops.astype(np.float64)
        if kind == "categorical":
            out = np.zeros((n, self.length, self.n_ops))
            np.put_along_axis(out, ops[:, :, None], 1.0, axis=2)
            return out.reshape(n, -1)
        if kind == "gcn":
            V, F = self.gcn_nodes, self.n_ops + 2
            adj = np.zeros((V, V))
            adj[np.arange(V - 1), np.arange(1, V)] = 1.0
            feats = np.zeros((n, V, F))
            feats[:, 0, self.n_ops] = 1.0
            feats[:, -1, self.n_ops + 1] = 1.0
            feats[np.arange(n)[:, None], np.arange(1, V - 1)[None], ops] = 1.0
            # the NB201 layout: node features, then the adjacency
            return np.concatenate([feats.reshape(n, -1), np.broadcast_to(adj.ravel(), (n, V * V))], axis=1)
        raise ValueError(f"unknown encoding {kind!r}; valid: {', '.join(self.encodings)}")

    def to_strings(self, cells) -> list[str]:
        return ["-".join(map(str, r)) for r in self._check(cells).ops.tolist()]

    @classmethod
    def from_strings(cls, strings) -> ToyCells:
        rows = [[int(t) for t in s.split("-")] for s in ([strings] if isinstance(strings, str) else strings)]
        return ToyCells(np.array(rows, dtype=np.int64))

    def enumerate(self) -> ToyCells:
        """One representative per isomorphism class (valid cells only)."""
        codes = np.arange(self.n_ops**self.length, dtype=np.int64)
        ops = (codes[:, None] // (self.n_ops ** np.arange(self.length))) % self.n_ops
        ops = ops[ops.any(axis=1)]
        return self.unique(self._cells(ops))[0]


class SyntheticBenchmark:
    """A tabular-benchmark double on ``ToySpace``: deterministic validation accuracy (percent) and
    training time per cell, with the ``query`` signature of ``fastnas.nasbench`` benchmarks.

    accuracy = 60 + 35 * (s - s_min) / (s_max - s_min), where s sums per-position op weights
    (symmetric under reversal) and a pairwise term (scale ``pair``; 0 makes the objective separable)
    over neighbouring positions; ``seed="sample"``
    adds Gaussian noise (sd ``noise``). ``split="test"`` gives a slightly shifted value.
    """

    #: values are reversal-invariant by construction: one record per isomorphism class (see ``Oracle``)
    records_per_class = True

    def __init__(self, space: ToySpace | None = None, seed: int = 0, noise: float = 0.5, pair: float = 0.5):
        self.space = space if space is not None else ToySpace()
        self.seed = int(seed)
        self.noise = float(noise)
        self.pair = float(pair)
        self.name = f"synthetic-{self.space.length}x{self.space.n_ops}-{self.seed}"
        L, K = self.space.length, self.space.n_ops
        rng = np.random.default_rng(self.seed)
        w = rng.normal(size=(L, K))
        self._w = (w + w[::-1]) / 2
        pair = rng.normal(scale=1.0, size=(K, K)) * self.pair
        self._pair = (pair + pair.T) / 2
        all_cells = self.space.enumerate()
        s = self._score(all_cells.ops)
        self._lo, self._hi = float(s.min()), float(s.max())
        self.optimum = 95.0
        self.optimum_cell = all_cells[int(np.argmax(s))]

    def __reduce__(self):  # rebuilt from its parameters (small, deterministic)
        return (SyntheticBenchmark, (self.space, self.seed, self.noise, self.pair))

    def best(self, metric: str = "accuracy", split: str = "valid"):
        """(cell, value) of the best cell (validation accuracy; the optimum is 95 by construction)."""
        if (metric, split) != ("accuracy", "valid"):
            raise ValueError("SyntheticBenchmark.best knows validation accuracy only")
        return self.optimum_cell, self.optimum

    def _score(self, ops: np.ndarray) -> np.ndarray:
        ops = ops.astype(np.int64)
        L = ops.shape[1]
        s = self._w[np.arange(L)[None, :], ops].sum(axis=1)
        if L > 1:
            s = s + self._pair[ops[:, :-1], ops[:, 1:]].sum(axis=1)
        return s

    def query(self, cells, metric: str = "accuracy", split: str = "valid", seed="mean", rng=None,
              missing: str = "raise", return_cost: bool = False):
        """Values of ``metric`` on ``split`` ("valid" or "test") per row (optionally with costs)."""
        self.space._check(cells)
        if metric not in ("accuracy", "error"):
            raise ValueError(f"unknown metric {metric!r}; valid: accuracy, error")
        if split not in ("valid", "test"):
            raise ValueError(f"unknown split {split!r}; valid: valid, test")
        acc = 60.0 + 35.0 * (self._score(cells.ops) - self._lo) / (self._hi - self._lo)
        if split == "test":
            acc = acc - 0.3 + 0.02 * cells.ops.astype(np.float64).sum(axis=1) % 1.0
        if seed == "sample":
            g = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
            acc = acc + g.normal(scale=self.noise, size=len(acc))
        elif seed != "mean":
            acc = acc + np.random.default_rng([self.seed, int(seed)]).normal(scale=self.noise, size=len(acc))
        vals = acc if metric == "accuracy" else 100.0 - acc
        if return_cost:
            return vals, 100.0 + 20.0 * cells.ops.astype(np.float64).sum(axis=1)
        return vals

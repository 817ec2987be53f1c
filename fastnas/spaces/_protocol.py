"""The ``SearchSpace`` protocol: what every space offers, so that algorithms, predictors and
benchmarks work on any space without knowing which it is.

Conventions shared by all spaces
--------------------------------
* Cells are batches (``Cells`` subclasses), a single cell is a batch of one.
* Random methods take ``seed`` (int, ``numpy.random.Generator`` or None) and never touch global state;
  row ``i`` of a batch is drawn from its own generator stream so results do not depend on batch
  splitting or backend.
* ``key`` is an isomorphism-invariant uint64: equal keys <=> isomorphic cells (exactly, for spaces where
  the docstring says so). ``is_isomorphic(a, b)`` compares rows pairwise.
* Bad input raises ``ValueError`` naming the offending row and the reason.
* Converters are classmethods (``NB101.from_specs``, ``NB201.from_strings``); operations are methods of
  an instance (``NB101().key(cells)``).
"""
from __future__ import annotations

import abc
from typing import ClassVar

import numpy as np

from ._cells import Cells


class SearchSpace(abc.ABC):
    """Abstract base of the cell search spaces."""

    #: short name used in configs, the CLI and result tables ("nb101", "nb201", "darts", "nbgraph")
    name: ClassVar[str] = ""
    #: the batch type of this space
    cells_type: ClassVar[type[Cells]] = Cells
    #: encoding kinds accepted by ``encode``
    encodings: ClassVar[tuple[str, ...]] = ()
    #: whether ``enumerate()`` is available
    finite: ClassVar[bool] = False
    #: whether ``sample``/``mutate``/``neighbors`` may return cells for which ``is_valid`` is False by
    #: default (NB201: the 341 disconnected cells are part of the benchmark; ``valid_only=True`` excludes them)
    includes_invalid: ClassVar[bool] = False

    # -- sampling and moves ---------------------------------------------------------------------
    @abc.abstractmethod
    def sample(self, n: int, seed=None, *, unique: bool = False) -> Cells:
        """``n`` cells of the space (valid unless ``includes_invalid``); ``unique=True`` deduplicates up to
        isomorphism."""

    @abc.abstractmethod
    def mutate(self, cells: Cells, rate: float = 1.0, seed=None) -> Cells:
        """One mutant per row: valid and non-isomorphic to its parent."""

    @abc.abstractmethod
    def neighbors(self, cell: Cells) -> Cells:
        """All valid cells one edit away from a single cell, deduplicated up to isomorphism."""

    def neighbors_batch(self, cells: Cells) -> tuple[Cells, np.ndarray]:
        """Neighbours of every row: (cells, parent_row_index). Spaces override with a batched kernel."""
        parts = [self.neighbors(cells[i]) for i in range(len(cells))]
        parent = np.repeat(np.arange(len(cells)), [len(p) for p in parts])
        return self.cells_type.concat(parts), parent

    # -- identity ---------------------------------------------------------------------------
    @abc.abstractmethod
    def key(self, cells: Cells) -> np.ndarray:
        """uint64 isomorphism-invariant key per row."""

    def is_isomorphic(self, a: Cells, b: Cells) -> np.ndarray:
        """Pairwise exact isomorphism test (default: key equality, exact where ``key`` is canonical)."""
        if len(a) != len(b):
            raise ValueError(f"is_isomorphic needs batches of equal length, got {len(a)} and {len(b)}")
        return self.key(a) == self.key(b)

    @abc.abstractmethod
    def is_valid(self, cells: Cells) -> np.ndarray:
        """bool per row: the cell is in the space."""

    def unique(self, cells: Cells) -> tuple[Cells, np.ndarray]:
        """First representative of each isomorphism class, in order of first appearance, and the
        indices of those rows."""
        _, first = np.unique(self.key(cells), return_index=True)
        first.sort()
        return cells[first], first

    # -- representation -----------------------------------------------------------------------
    @abc.abstractmethod
    def encode(self, cells: Cells, kind: str, **options) -> np.ndarray:
        """Feature matrix (N, d) of one of ``self.encodings``."""

    @abc.abstractmethod
    def to_strings(self, cells: Cells) -> list[str]:
        """A human-readable, parseable string per row (``from_strings`` inverts it)."""

    @classmethod
    @abc.abstractmethod
    def from_strings(cls, strings) -> Cells:
        """Parse strings produced by ``to_strings``."""

    def enumerate(self) -> Cells:
        """Every cell of a finite space (one per isomorphism class where the docstring says so)."""
        raise NotImplementedError(f"the {self.name} space is not enumerable")

    def concat(self, batches) -> Cells:
        return self.cells_type.concat(batches)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def check_cells(space: SearchSpace, cells) -> Cells:
    """Raise a clear TypeError unless ``cells`` is a batch of ``space``."""
    if not isinstance(cells, space.cells_type):
        raise TypeError(
            f"{type(space).__name__} expects {space.cells_type.__name__}, got {type(cells).__name__}"
        )
    return cells

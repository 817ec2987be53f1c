"""The DARTS / NAS-Bench-301 cell space (``DARTS``) and its batch type (``DARTSCells``).

A DARTS architecture (Liu et al., ICLR 2019) is a normal and a reduction cell; each has 4 intermediate
nodes, and node k sums two edges (``2k``, ``2k + 1``), each reading one earlier node through one of 7 ops.
NAS-Bench-301 (Siems et al. 2020) covers this space. Cells are rows of ``inputs`` (N, 2, 8) int8 and
``ops`` (N, 2, 8) int8: cell 0 normal, 1 reduction; input 0 = c_{k-2}, 1 = c_{k-1}, 2 + j = intermediate
node j; op codes in NAS-Bench-Suite-Zero order ``OPS``. The space is not finite here (about 10^18 cell
pairs). Conventions and the exact isomorphism classes: ``docs/darts.md`` and ``darts_ref.py``.

>>> from fastnas.spaces.darts import DARTS
>>> space = DARTS()
>>> cells = space.sample(4, seed=0)
>>> DARTS.from_strings(DARTS.to_strings(cells)) == cells
True
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from .. import _backend
from .._rng import base_seed
from ._cells import Cells
from ._protocol import SearchSpace
from . import darts_convert as _cv
from .darts_convert import Genotype
from .darts_ref import OPS, PATH_LEN

__all__ = ["DARTS", "DARTSCells", "Genotype", "OPS", "PATH_LEN"]

_ENCODINGS = ("adjacency", "adjacency_naslib", "path", "path_trunc", "path_naslib", "gcn", "categorical")
_DIMS = {"adjacency": 210, "adjacency_naslib": 114, "path": PATH_LEN, "path_trunc": 100, "path_naslib": PATH_LEN, "gcn": 462,
         "categorical": 32}


class DARTSCells(Cells):
    """A batch of DARTS cell pairs: ``inputs`` and ``ops`` (N, 2, 8) int8 (see the module docstring)."""

    FIELDS = (("inputs", np.int8, (2, 8)), ("ops", np.int8, (2, 8)))
    SPACE = "darts"
    __slots__ = ()

    @classmethod
    def _check_rows(cls, arrays) -> None:
        _backend.get("darts_is_valid")(arrays["inputs"], arrays["ops"])  # code ranges, naming the bad row


def _wrap(inputs: np.ndarray, ops: np.ndarray) -> DARTSCells:
    return DARTSCells._trusted(inputs=inputs, ops=ops)


def _cells(cells) -> DARTSCells:
    if not isinstance(cells, DARTSCells):
        raise TypeError(f"DARTS expects DARTSCells, got {type(cells).__name__}")
    return cells


class DARTS(SearchSpace):
    """The DARTS / NAS-Bench-301 space: converters (classmethods) and operations (methods).

    Examples
    --------
    >>> key = ("[[(0, 0), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], "
    ...        "[(1, 0), (0, 2), (1, 3), (0, 3), (3, 0), (0, 1), (2, 0), (3, 6)]]")
    >>> cells = DARTS.from_zc_keys(key)
    >>> DARTS.to_genotype(cells)[0].normal[:2]
    [('max_pool_3x3', 0), ('dil_conv_3x3', 1)]
    >>> DARTS.to_zc_keys(cells) == [key]
    True
    """

    name: ClassVar[str] = "darts"
    cells_type: ClassVar[type[Cells]] = DARTSCells
    encodings: ClassVar[tuple[str, ...]] = _ENCODINGS
    finite: ClassVar[bool] = False
    OPS: ClassVar[tuple[str, ...]] = OPS

    # ------------------------------------------------------------------ converters
    @classmethod
    def from_arrays(cls, inputs, ops) -> DARTSCells:
        """Validated cells from (N, 2, 8) (or one (2, 8)) input and op codes; codes out of range raise.

        >>> DARTS.from_arrays([[0, 1] * 4] * 2, [[3] * 8] * 2).inputs.shape
        (1, 2, 8)
        """
        inputs, ops = np.asarray(inputs), np.asarray(ops)
        if inputs.ndim == 2:
            inputs = inputs[None]
        if ops.ndim == 2:
            ops = ops[None]
        c = DARTSCells(inputs=inputs, ops=ops)
        _backend.get("darts_is_valid")(c.inputs, c.ops)  # range checks naming the row
        return c

    @classmethod
    def from_zc_keys(cls, keys) -> DARTSCells:
        """Parse NAS-Bench-Suite-Zero keys ``[[(input, op) x 8], [(input, op) x 8]]`` (a str or many)."""
        return _wrap(*_backend.get("darts_parse_zc")(_cv._as_list(keys, "keys")))

    @classmethod
    def to_zc_keys(cls, cells: DARTSCells) -> list[str]:
        """NAS-Bench-Suite-Zero key text per row (exact inverse of ``from_zc_keys``)."""
        c = _cells(cells)
        return _backend.get("darts_format_zc")(c.inputs, c.ops)

    @classmethod
    def from_genotype(cls, genotypes) -> DARTSCells:
        """Parse DARTS genotypes: ``Genotype`` namedtuples (DARTS's or ours) or their string repr, e.g.
        ``"Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...],
        reduce_concat=range(2, 6))"``. Pairs are (op, input); concat must be [2, 3, 4, 5]."""
        return _wrap(*_cv.from_genotypes(genotypes))

    @classmethod
    def to_genotype(cls, cells: DARTSCells, as_strings: bool = False) -> list:
        """``Genotype`` namedtuples per row (or their string repr with ``as_strings``)."""
        c = cls._checked(cells)
        out = _cv.to_genotypes(c.inputs, c.ops)
        return [repr(g) for g in out] if as_strings else out

    @classmethod
    def from_strings(cls, strings) -> DARTSCells:
        """Parse ``to_strings`` output (the NAS-Bench-Suite-Zero key text)."""
        return cls.from_zc_keys(strings)

    @classmethod
    def to_strings(cls, cells: DARTSCells) -> list[str]:
        """The NAS-Bench-Suite-Zero key text of every row."""
        return cls.to_zc_keys(cells)

    @classmethod
    def _checked(cls, cells) -> DARTSCells:
        c = _cells(cells)
        _backend.get("darts_is_valid")(c.inputs, c.ops)
        return c

    # ------------------------------------------------------------------ identity
    def key(self, cells: DARTSCells) -> np.ndarray:
        """uint64 isomorphism key, exact: normal code * 2**32 + reduction code, each the smallest code of
        the cell over (a) swapping the two edges of a node and (b) relabelling intermediate nodes in any
        order that keeps edges pointing forward. Rows outside the space raise ``ValueError``.

        >>> sp = DARTS(); c = sp.sample(2, seed=0)
        >>> bool(sp.key(c)[0] != sp.key(c)[1])
        True
        """
        c = _cells(cells)
        return _backend.get("darts_key")(c.inputs, c.ops)

    def is_valid(self, cells: DARTSCells) -> np.ndarray:
        """The two edges of every node read different inputs (codes out of range raise)."""
        c = _cells(cells)
        return _backend.get("darts_is_valid")(c.inputs, c.ops)

    # ------------------------------------------------------------------ random moves
    def sample(self, n: int, seed=None, *, unique: bool = False) -> DARTSCells:
        """``n`` cells as naszilla/NASLib sample them: per node two distinct inputs among the earlier
        nodes, ops uniform. Row i uses stream i of ``seed``; ``unique=True`` drops rows isomorphic to an
        earlier one and draws more.

        >>> DARTS().sample(3, seed=1).ops.shape
        (3, 2, 8)
        """
        n = _count(n)
        seed = base_seed(seed)
        fn = _backend.get("darts_sample")
        if not unique:
            return _wrap(*fn(seed, 0, n))
        out, seen, start = DARTSCells.empty(0), np.empty(0, np.uint64), 0
        while len(out) < n:
            m = n - len(out) + 16
            batch = _wrap(*fn(seed, start, m))
            start += m
            keys = self.key(batch)
            _, first = np.unique(keys, return_index=True)
            first.sort()
            first = first[~np.isin(keys[first], seen)]
            out = DARTSCells.concat([out, batch[first]])
            seen = np.concatenate([seen, keys[first]])
        return out[:n]

    def mutate(self, cells: DARTSCells, rate: float = 1.0, seed=None) -> DARTSCells:
        """One mutant per row: each of the 16 edges changes with probability ``rate / 16``, its input (to
        another earlier node, keeping the node's two inputs distinct) or its op (to a different op) with
        even odds; redrawn until the child is not isomorphic to its parent.

        >>> sp = DARTS(); c = sp.sample(5, seed=0)
        >>> bool((sp.key(sp.mutate(c, seed=1)) != sp.key(c)).all())
        True
        """
        c = _cells(cells)
        return _wrap(*_backend.get("darts_mutate")(c.inputs, c.ops, float(rate), base_seed(seed)))

    def neighbors(self, cell: DARTSCells) -> DARTSCells:
        """All single changes (one op or one input) of one cell, deduplicated up to isomorphism and
        without cells isomorphic to it (at most 120)."""
        if len(_cells(cell)) != 1:
            raise ValueError(f"neighbors takes a batch of one cell, got {len(cell)}; use neighbors_batch")
        return self.neighbors_batch(cell)[0]

    def neighbors_batch(self, cells: DARTSCells) -> tuple[DARTSCells, np.ndarray]:
        """Deduplicated neighbours of every row: (cells, parent row index int64)."""
        c = _cells(cells)
        inputs, ops, parent = _backend.get("darts_neighbors")(c.inputs, c.ops)
        keys = _backend.get("darts_key")(inputs, ops)
        own = _backend.get("darts_key")(c.inputs, c.ops)
        keep = _first_per_parent(parent, keys) & (keys != own[parent])
        return _wrap(inputs[keep], ops[keep]), parent[keep]

    # ------------------------------------------------------------------ encodings
    def encode(self, cells: DARTSCells, kind: str, **options) -> np.ndarray:
        """Feature matrix (N, d) float32.

        kinds: ``adjacency`` (210: per cell the 7 x 7 DAG over c_{k-2}, c_{k-1}, 4 nodes, output, then a
        one-hot op per edge, 8 x 7; normal then reduction); ``adjacency_naslib`` (114: NASLib/naszilla
        ``encode_adj`` exactly, the same 49 matrix entries then the 8 integer op codes, per cell); ``path`` (11,204, naszilla: 4 blocks of 2,801
        for (cell, starting input), index sum_j 7**j (o_j + 1), all 8 edges); ``path_trunc`` (first ``k``
        entries of ``path``, default k=100); ``path_naslib`` (11,204, NASLib's encoding, which visits only
        edges 0..6 of each cell: a compatibility kind, never the default; optional ``k``); ``gcn`` (462: per cell the op-on-node graph of 11 vertices,
        node one-hot (11 x 10) then row-normalised A + I (11 x 11), the NB201 layout); ``categorical`` (32:
        the 16 inputs then the 16 ops). ``path`` is invariant under isomorphism; the others are not.

        >>> DARTS().encode(DARTS().sample(2, seed=0), "path_trunc").shape
        (2, 100)
        """
        c = _cells(cells)
        if kind in ("path", "path_trunc", "path_naslib"):
            k = int(options.pop("k", 100 if kind == "path_trunc" else PATH_LEN))
            _no_options(kind, options)
            if not 0 < k <= PATH_LEN:
                raise ValueError(f"k must be in [1, {PATH_LEN}], got {k}")
            return _backend.get("darts_path")(c.inputs, c.ops, k, kind == "path_naslib").astype(np.float32)
        _no_options(kind, options)
        if kind == "adjacency":
            return _backend.get("darts_adjacency")(c.inputs, c.ops).astype(np.float32)
        if kind == "adjacency_naslib":
            adj = _backend.get("darts_adjacency")(c.inputs, c.ops)
            return np.concatenate([adj[:, :49], c.ops[:, 0], adj[:, 105:154], c.ops[:, 1]], axis=1).astype(np.float32)
        if kind == "gcn":
            return _backend.get("darts_gcn")(c.inputs, c.ops)
        if kind == "categorical":
            _backend.get("darts_is_valid")(c.inputs, c.ops)
            return np.concatenate([c.inputs.reshape(-1, 16), c.ops.reshape(-1, 16)], axis=1).astype(np.float32)
        raise ValueError(f"unknown encoding {kind!r}; valid: {', '.join(_ENCODINGS)}")

    def encoding_dim(self, kind: str, **options) -> int:
        """Width of ``encode(cells, kind)``."""
        if kind in ("path", "path_trunc", "path_naslib"):
            return int(options.get("k", _DIMS[kind]))
        if kind in _DIMS:
            return _DIMS[kind]
        raise ValueError(f"unknown encoding {kind!r}; valid: {', '.join(_ENCODINGS)}")


def _first_per_parent(parent: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """True for the first row of each (parent, key) pair, in row order (a stable sort keeps the
    earliest row first within equal pairs)."""
    keep = np.zeros(len(keys), bool)
    if len(keys):
        order = np.lexsort((keys, parent))
        p, k = parent[order], keys[order]
        start = np.ones(len(order), bool)
        start[1:] = (p[1:] != p[:-1]) | (k[1:] != k[:-1])
        keep[order[start]] = True
    return keep


def _no_options(kind: str, options: dict) -> None:
    if options:
        raise TypeError(f"encoding {kind!r} takes no options {sorted(options)}")


def _count(n) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return int(n)

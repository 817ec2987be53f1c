"""The NAS-Bench-Graph GNN space (``NBGraph``) and its batch type (``NBGraphCells``).

NAS-Bench-Graph (Qin et al., NeurIPS 2022 Datasets and Benchmarks; PyPI ``nas-bench-graph==1.4.0``):
a GNN is 4 op nodes wired by one of 9 macro link patterns, each node one of 9 GNN ops (5 for the
proteins dataset). Cells are rows of ``link`` (N,) int8 (pattern index into ``LINKS``) and ``ops``
(N, 4) int8 (codes into ``OPS``, the benchmark's ``gnn_list`` order). The benchmark identifies an
architecture by an integer key (``Arch(link, ops).valid_hash()``) of its canonical form; ``key`` is that
integer. 26,206 canonical architectures (2,021 with the proteins ops). Full conventions:
``docs/darts.md`` (section NAS-Bench-Graph) and ``fastnas/spaces/nbgraph_ref.py``.

>>> from fastnas.spaces.nbgraph import NBGraph
>>> space = NBGraph()
>>> cells = space.sample(4, seed=0)
>>> NBGraph.from_strings(NBGraph.to_strings(cells)) == cells
True
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from .. import _backend
from .._rng import base_seed
from ._cells import Cells
from ._protocol import SearchSpace
from .nbgraph_ref import LINKS, OPS, PROTEINS_OPS, _REGULARIZE

__all__ = ["NBGraph", "NBGraphCells", "LINKS", "OPS", "PROTEINS_OPS", "N_CANONICAL", "N_CANONICAL_PROTEINS"]

N_CANONICAL = 26206
N_CANONICAL_PROTEINS = 2021
DATASETS = ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv", "proteins")
_ENCODINGS = ("onehot", "categorical", "gcn")
_DIMS = {"onehot": 45, "categorical": 5, "gcn": 102}
_OP_CODE = {name: i for i, name in enumerate(OPS)}

# any of the 24 link lists (code sum_i link[i] * 4**i) -> (pattern, op order); -1 if not a link list
_LINK_PATTERN = np.full(256, -1, np.int8)
_LINK_ORDER = np.zeros((256, 4), np.intp)
for _p, _l in enumerate(LINKS):
    _c = sum(v * 4**i for i, v in enumerate(_l))
    _LINK_PATTERN[_c], _LINK_ORDER[_c] = _p, (0, 1, 2, 3)
for _l, (_canon, _order) in _REGULARIZE.items():
    _c = sum(v * 4**i for i, v in enumerate(_l))
    _LINK_PATTERN[_c], _LINK_ORDER[_c] = LINKS.index(_canon), _order
del _p, _l, _c, _canon, _order


class NBGraphCells(Cells):
    """A batch of NAS-Bench-Graph cells: ``link`` (N,) int8 pattern index, ``ops`` (N, 4) int8 op codes."""

    FIELDS = (("link", np.int8, ()), ("ops", np.int8, (4,)))
    SPACE = "nbgraph"
    __slots__ = ()

    @classmethod
    def _check_rows(cls, arrays) -> None:
        _backend.get("nbgraph_hash")(arrays["link"], arrays["ops"])  # pattern and op codes, naming the bad row


def _wrap(link: np.ndarray, ops: np.ndarray) -> NBGraphCells:
    return NBGraphCells._trusted(link=link, ops=ops)


def _cells(cells) -> NBGraphCells:
    if not isinstance(cells, NBGraphCells):
        raise TypeError(f"NBGraph expects NBGraphCells, got {type(cells).__name__}")
    return cells


class NBGraph(SearchSpace):
    """The NAS-Bench-Graph space.

    Parameters
    ----------
    dataset : str or None
        One of ``DATASETS`` (case-insensitive) or None. ``"proteins"`` restricts the ops to gcn, sage,
        arma, fc, skip (the benchmark trained only those there); the others allow all 9 ops. An unknown
        name raises ``ValueError`` on first use.

    Examples
    --------
    >>> cells = NBGraph.from_arch([[0, 1, 2, 3]], [["skip", "skip", "gcn", "gcn"]])
    >>> NBGraph.to_hash(cells).tolist()
    [88811]
    >>> NBGraph.to_arch(NBGraph.from_hash(88811))
    ([[0, 1, 2, 3]], [['skip', 'skip', 'gcn', 'gcn']])
    """

    name: ClassVar[str] = "nbgraph"
    cells_type: ClassVar[type[Cells]] = NBGraphCells
    encodings: ClassVar[tuple[str, ...]] = _ENCODINGS
    finite: ClassVar[bool] = True
    LINKS: ClassVar[tuple] = LINKS
    OPS: ClassVar[tuple] = OPS

    def __init__(self, dataset: str | None = None):
        self.dataset = dataset

    @property
    def ops_allowed(self) -> tuple[str, ...]:
        """Op names allowed on this dataset."""
        return PROTEINS_OPS if self._proteins() else OPS

    def _proteins(self) -> bool:
        if self.dataset is None:
            return False
        if not isinstance(self.dataset, str):
            raise TypeError(f"dataset must be a str or None, got {type(self.dataset).__name__}")
        if self.dataset.lower() not in DATASETS:
            raise ValueError(f"unknown NAS-Bench-Graph dataset {self.dataset!r}; valid: {', '.join(DATASETS)}")
        return self.dataset.lower() == "proteins"

    def _mask(self) -> int:
        return sum(1 << _OP_CODE[o] for o in self.ops_allowed)

    def __repr__(self) -> str:
        return "NBGraph()" if self.dataset is None else f"NBGraph(dataset={self.dataset!r})"

    # ------------------------------------------------------------------ converters
    @classmethod
    def from_ops(cls, link, ops) -> NBGraphCells:
        """Validated cells from pattern indices (N,) and op codes (N, 4) (or one cell).

        >>> NBGraph.from_ops(8, [8, 8, 1, 1]).ops.tolist()
        [[8, 8, 1, 1]]
        """
        link = np.asarray(link)
        ops = np.asarray(ops)
        if link.ndim == 0:
            link = link.reshape(1)
        if ops.ndim == 1:
            ops = ops.reshape(1, -1)
        c = NBGraphCells(link=link, ops=ops)  # checks shapes and integer range of int8
        _backend.get("nbgraph_hash")(c.link, c.ops)  # checks codes, naming the bad row
        return c

    @classmethod
    def from_arch(cls, links, ops) -> NBGraphCells:
        """From the benchmark's form: link lists (any of the 24 with ``link[0] = 0, link[i] <= i``; the
        15 non-pattern ones are relabelled onto their pattern as the benchmark's ``regularize`` does) and
        op-name lists. One architecture may be given as a flat link list and op list.

        >>> NBGraph.from_arch([0, 0, 0, 2], ["gcn", "gat", "gin", "fc"]).link.tolist()
        [1]
        """
        la = np.asarray(links)
        if la.ndim == 1:
            la = la.reshape(1, -1)
            ops = [ops]
        if la.ndim != 2 or la.shape[1] != 4 or (la.size and la.dtype.kind not in "iu"):
            raise ValueError(f"links must be lists of 4 ints, got an array of shape {la.shape}")
        if isinstance(ops, str) or len(ops) != la.shape[0]:
            raise ValueError(f"need one op list per link list ({la.shape[0]})")
        codes = np.empty((la.shape[0], 4), np.intp)
        for i, names in enumerate(ops):  # strings at the edge: one dict lookup per name
            if isinstance(names, str) or len(names) != 4:
                raise ValueError(f"row {i}: need 4 op names, got {names!r}")
            for j, nm in enumerate(names):
                c = _OP_CODE.get(nm) if isinstance(nm, str) else None
                if c is None:
                    raise ValueError(f"row {i}: unknown op {nm!r}; valid: {', '.join(OPS)}")
                codes[i, j] = c
        if la.size and (la.min() < 0 or la.max() > 3):
            bad = int(np.nonzero(((la < 0) | (la > 3)).any(axis=1))[0][0])
            raise ValueError(f"row {bad}: link {la[bad].tolist()} is not a NAS-Bench-Graph link list")
        code = (la.astype(np.intp) * np.array([1, 4, 16, 64])).sum(axis=1)
        pattern = _LINK_PATTERN[code]
        if (pattern < 0).any():
            bad = int(np.nonzero(pattern < 0)[0][0])
            raise ValueError(f"row {bad}: link {la[bad].tolist()} is not a NAS-Bench-Graph link list "
                             "(need link[0] = 0 and link[i] <= i)")
        order = _LINK_ORDER[code]
        out = np.take_along_axis(codes, order, axis=1).astype(np.int8)
        return _wrap(np.ascontiguousarray(pattern), np.ascontiguousarray(out))

    @classmethod
    def to_arch(cls, cells: NBGraphCells) -> tuple[list[list[int]], list[list[str]]]:
        """(link lists, op-name lists) as the benchmark's ``Arch(link, ops)`` takes them."""
        c = _cells(cells)
        _backend.get("nbgraph_hash")(c.link, c.ops)
        names = np.array(OPS, dtype=object)
        return [list(LINKS[p]) for p in c.link.tolist()], names[c.ops].tolist()

    @classmethod
    def to_hash(cls, cells: NBGraphCells) -> np.ndarray:
        """The benchmark key ``Arch(link, ops).valid_hash()`` per row (int64)."""
        c = _cells(cells)
        return _backend.get("nbgraph_hash")(c.link, c.ops)

    @classmethod
    def from_hash(cls, keys) -> NBGraphCells:
        """Canonical cells of benchmark keys; ValueError for an integer that is not the key of a
        canonical architecture.

        >>> NBGraph.from_hash([88811]).ops.tolist()
        [[8, 8, 1, 1]]
        """
        k = np.asarray(keys)
        if k.ndim == 0:
            k = k.reshape(1)
        if k.ndim != 1 or (k.size and k.dtype.kind not in "iu"):
            raise ValueError(f"keys must be integers (1-d), got dtype {k.dtype} shape {k.shape}")
        k = k.astype(np.int64)
        link, ops = _backend.get("nbgraph_unhash")(k)
        again = _backend.get("nbgraph_hash")(link, ops)
        if not np.array_equal(again, k):
            bad = int(np.nonzero(again != k)[0][0])
            raise ValueError(f"row {bad}: {int(k[bad])} is not the key of a canonical NAS-Bench-Graph "
                             f"architecture (its canonical key is {int(again[bad])})")
        return _wrap(link, ops)

    @classmethod
    def to_strings(cls, cells: NBGraphCells) -> list[str]:
        """``"link=0,1,2,3 ops=skip,skip,gcn,gcn"`` per row."""
        links, ops = cls.to_arch(cells)
        return [f"link={','.join(map(str, l))} ops={','.join(o)}" for l, o in zip(links, ops)]

    @classmethod
    def from_strings(cls, strings) -> NBGraphCells:
        """Parse ``to_strings`` output (a str or an iterable of them)."""
        if isinstance(strings, str):
            strings = [strings]
        links, ops = [], []
        for i, s in enumerate(strings):
            if not isinstance(s, str):
                raise TypeError(f"row {i}: expected a str, got {type(s).__name__}")
            parts = s.split()
            if len(parts) != 2 or not parts[0].startswith("link=") or not parts[1].startswith("ops="):
                raise ValueError(f"row {i}: malformed NBGraph string {s!r} (want 'link=a,b,c,d ops=o1,o2,o3,o4')")
            try:
                link = [int(x) for x in parts[0][5:].split(",")]
            except ValueError:
                raise ValueError(f"row {i}: malformed link in {s!r}") from None
            if len(link) != 4:
                raise ValueError(f"row {i}: need 4 link entries in {s!r}")
            links.append(link)
            ops.append(parts[1][4:].split(","))
        if not links:
            return NBGraphCells.empty(0)
        return cls.from_arch(links, ops)

    # ------------------------------------------------------------------ identity
    def canonical(self, cells: NBGraphCells) -> NBGraphCells:
        """The benchmark's canonical form of every row (``from_hash(to_hash(cells))``)."""
        c = _cells(cells)
        return _wrap(*_backend.get("nbgraph_canonical")(c.link, c.ops))

    def key(self, cells: NBGraphCells) -> np.ndarray:
        """uint64 key: the benchmark's integer key of the canonical form (exact: equal keys <=> the
        benchmark treats the two as the same architecture)."""
        return self.to_hash(cells).astype(np.uint64)

    def is_valid(self, cells: NBGraphCells) -> np.ndarray:
        """Every op allowed on this dataset and not all four ops skip."""
        c = _cells(cells)
        return _backend.get("nbgraph_is_valid")(c.link, c.ops, self._mask())

    def enumerate(self) -> NBGraphCells:
        """All canonical architectures (26,206; 2,021 for proteins) in ascending key order."""
        allowed = np.array([_OP_CODE[o] for o in self.ops_allowed], np.int8)
        k = len(allowed)
        grid = np.stack(np.meshgrid(*([np.arange(k)] * 4), indexing="ij"), axis=-1).reshape(-1, 4)
        ops = np.tile(allowed[grid], (9, 1))
        link = np.repeat(np.arange(9, dtype=np.int8), len(grid))
        c = _wrap(link, np.ascontiguousarray(ops))
        c = c[self.is_valid(c)]
        keys = np.unique(self.to_hash(c))
        return self.from_hash(keys)

    # ------------------------------------------------------------------ random moves
    def sample(self, n: int, seed=None, *, unique: bool = False) -> NBGraphCells:
        """``n`` cells: pattern uniform over the 9, each op uniform over the allowed ones (the benchmark's
        ``random_arch``), redrawn when all ops are skip. Row i uses stream i of ``seed``; ``unique=True``
        keeps drawing rows until ``n`` pairwise non-isomorphic cells are found.

        >>> NBGraph().sample(3, seed=1).ops.shape
        (3, 4)
        """
        n = _count(n)
        seed = base_seed(seed)
        fn = _backend.get("nbgraph_sample")
        if not unique:
            return _wrap(*fn(seed, 0, n, self._mask()))
        limit = N_CANONICAL_PROTEINS if self._proteins() else N_CANONICAL
        if n > limit:
            raise ValueError(f"cannot draw {n} unique cells: the space has {limit} classes")
        out = NBGraphCells.empty(0)
        seen = np.empty(0, np.uint64)
        start = 0
        while len(out) < n:
            m = max(2 * (n - len(out)), 4096)  # rare classes need many draws near the limit
            batch = _wrap(*fn(seed, start, m, self._mask()))
            start += m
            keys = self.key(batch)
            _, first = np.unique(keys, return_index=True)
            first.sort()
            first = first[~np.isin(keys[first], seen)]
            out = NBGraphCells.concat([out, batch[first]])
            seen = np.concatenate([seen, keys[first]])
        return out[:n]

    def mutate(self, cells: NBGraphCells, rate: float = 1.0, seed=None) -> NBGraphCells:
        """One mutant per row: the pattern and each op change with probability ``rate / 5`` to a different
        value (ops among the allowed ones); redrawn until valid and not isomorphic to the parent.

        >>> sp = NBGraph(); c = sp.sample(5, seed=0)
        >>> bool((sp.key(sp.mutate(c, seed=1)) != sp.key(c)).all())
        True
        """
        c = _cells(cells)
        return _wrap(*_backend.get("nbgraph_mutate")(c.link, c.ops, self._mask(), float(rate), base_seed(seed)))

    def neighbors(self, cell: NBGraphCells) -> NBGraphCells:
        """All valid single changes (pattern or one op) of one cell, deduplicated up to isomorphism and
        without cells isomorphic to it.

        >>> len(NBGraph().neighbors(NBGraph.from_hash(88811))) > 0
        True
        """
        if len(_cells(cell)) != 1:
            raise ValueError(f"neighbors takes a batch of one cell, got {len(cell)}; use neighbors_batch")
        return self.neighbors_batch(cell)[0]

    def neighbors_batch(self, cells: NBGraphCells) -> tuple[NBGraphCells, np.ndarray]:
        """Deduplicated neighbours of every row: (cells, parent row index int64)."""
        c = _cells(cells)
        link, ops, parent = _backend.get("nbgraph_neighbors")(c.link, c.ops, self._mask())
        keys = _backend.get("nbgraph_hash")(link, ops)
        own = _backend.get("nbgraph_hash")(c.link, c.ops)
        keep = _first_per_parent(parent, keys) & (keys != own[parent])
        return _wrap(link[keep], ops[keep]), parent[keep]

    # ------------------------------------------------------------------ encodings
    def encode(self, cells: NBGraphCells, kind: str, **options) -> np.ndarray:
        """Feature matrix (N, d) float32.

        kinds: ``onehot`` (45: one-hot pattern (9) then one-hot op of each node (4 x 9)); ``categorical``
        (5: pattern index and the 4 op codes); ``gcn`` (102: op-on-node graph of 6 vertices (input, the 4
        op nodes, output): node one-hot over [input, 9 ops, output] (6 x 11) then the row-normalised directed
        A + I (6 x 6), the NB201 ``gcn`` layout). Encodings are of the cell as given; apply ``canonical``
        first for an encoding shared by all isomorphic cells.
        """
        if options:
            raise TypeError(f"encoding {kind!r} takes no options {sorted(options)}")
        c = _cells(cells)
        if kind == "onehot":
            return _backend.get("nbgraph_onehot")(c.link, c.ops).astype(np.float32)
        if kind == "gcn":
            return _backend.get("nbgraph_gcn")(c.link, c.ops)
        if kind == "categorical":
            _backend.get("nbgraph_hash")(c.link, c.ops)  # validates
            return np.concatenate([c.link[:, None], c.ops], axis=1).astype(np.float32)
        raise ValueError(f"unknown encoding {kind!r}; valid: {', '.join(_ENCODINGS)}")

    def encoding_dim(self, kind: str, **options) -> int:
        """Width of ``encode(cells, kind)``."""
        if kind in _DIMS:
            return _DIMS[kind]
        raise ValueError(f"unknown encoding {kind!r}; valid: {', '.join(_ENCODINGS)}")


def _first_per_parent(parent: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """True for the first row of each (parent, key) pair, in row order."""
    keep = np.zeros(len(keys), bool)
    if len(keys):
        order = np.lexsort((keys, parent))  # stable: the earliest row comes first within equal pairs
        p, k = parent[order], keys[order]
        start = np.ones(len(order), bool)
        start[1:] = (p[1:] != p[:-1]) | (k[1:] != k[:-1])
        keep[order[start]] = True
    return keep


def _count(n) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return int(n)

"""The NAS-Bench-201 cell space (``NB201``) and its batch type (``NB201Cells``).

A cell is a 4-node DAG (node 0 input, node 3 output) whose 6 edges i -> j (i < j) each carry one of 5 ops
(NAS-Bench-201, Dong & Yang, ICLR 2020; NATS-Bench topology space). Cells are rows of ``ops`` (N, 6) int8:
edges in arch-string order ``EDGES``, official op codes ``OPS``. The space is finite (15,625 cells);
``enumerate()`` returns them in official benchmark index order. Full conventions: ``docs/nb201.md``.

>>> from fastnas.spaces.nb201 import NB201
>>> space = NB201()
>>> cells = space.sample(4, seed=0)
>>> NB201.from_strings(NB201.to_strings(cells)) == cells
True
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from .. import _backend
from .._rng import base_seed
from ._cells import Cells
from ._protocol import SearchSpace
from . import nb201_convert as _cv

__all__ = ["NB201", "NB201Cells", "OPS", "EDGES", "N_CELLS"]

#: official op names, index = op code
OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: edges (i, j) in arch-string order
EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
N_CELLS = 15625
_ENCODINGS = ("adjacency", "path", "path_trunc", "path_naslib", "gcn", "categorical")
_DIMS = {"adjacency": 30, "path": 155, "path_naslib": 155, "gcn": 120, "categorical": 6}


def _check_strings_arg(strings) -> None:
    """``TypeError`` for what is neither a str nor an iterable of them (bytes would iterate as ints)."""
    if isinstance(strings, (bytes, bytearray)):
        raise TypeError("arch strings must be str, got bytes: decode them first (e.g. s.decode())")
    if not isinstance(strings, str) and not hasattr(strings, "__iter__"):
        raise TypeError(f"expected an arch string or an iterable of them, got {type(strings).__name__}")


class NB201Cells(Cells):
    """A batch of NAS-Bench-201 cells: ``ops`` (N, 6) int8, official op codes in arch-string edge order."""

    FIELDS = (("ops", np.int8, (6,)),)
    SPACE = "nb201"
    __slots__ = ()

    @classmethod
    def _check_rows(cls, arrays) -> None:
        _backend.get("nb201_to_code")(arrays["ops"])  # op codes 0..4, naming the bad row


_new = object.__new__
_set = object.__setattr__
_ONE_INDEX = _cv.ONE_INDEX
_ONE_OPS = _cv.ONE_OPS
_I64 = np.dtype(np.int64)


def _wrap(ops: np.ndarray) -> NB201Cells:
    """Kernel output (N, 6) int8 -> a batch without checks (``Cells._trusted_rows`` for one field, inlined:
    it is on every one-cell call that returns cells)."""
    if ops.base is None:
        ops.setflags(write=False)
        ops = ops.view()
    elif ops.flags.writeable:
        ops = ops.view()
        ops.setflags(write=False)
    obj = _new(NB201Cells)
    _set(obj, "_arrays", {"ops": ops})
    return obj


class NB201(SearchSpace):
    """The NAS-Bench-201 space: batched converters (classmethods) and operations (methods).

    Converters: ``from_strings/to_strings``, ``from_index/to_index``, ``from_code/to_code``,
    ``from_naslib/to_naslib``, ``from_naszilla/to_naszilla``, ``from_matrix/to_matrix``, ``from_ops``.

    Examples
    --------
    >>> best = NB201.from_strings("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    ...                           "+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|")
    >>> best.ops.tolist()
    [[3, 3, 3, 1, 3, 2]]
    >>> NB201.to_naslib(best).tolist()
    [[2, 2, 0, 2, 2, 3]]
    """

    name: ClassVar[str] = "nb201"
    cells_type: ClassVar[type[Cells]] = NB201Cells
    encodings: ClassVar[tuple[str, ...]] = _ENCODINGS
    finite: ClassVar[bool] = True
    includes_invalid: ClassVar[bool] = True  # the 341 disconnected cells are benchmark cells too
    #: vertices of the ``gcn`` encoding's op-on-node graph (input, 6 edges, output)
    gcn_nodes: ClassVar[int] = 8
    OPS: ClassVar[tuple[str, ...]] = OPS
    EDGES: ClassVar[tuple[tuple[int, int], ...]] = EDGES

    # ------------------------------------------------------------------ converters
    @classmethod
    def from_ops(cls, ops) -> NB201Cells:
        """Validated cells from official op codes (N, 6) (or one row of 6).

        >>> NB201.from_ops([3, 3, 3, 1, 3, 2]).ops.shape
        (1, 6)
        """
        a = _cv.ops_array(ops)
        _backend.get("nb201_to_code")(a)  # validates codes, naming the bad row
        return _wrap(a.copy() if isinstance(ops, np.ndarray) else a)  # never alias the caller's array

    @classmethod
    def from_strings(cls, strings) -> NB201Cells:
        """Parse arch strings ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` (a str or an iterable of them).

        >>> NB201.from_strings("|none~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|").ops.tolist()
        [[0, 1, 0, 0, 0, 1]]
        """
        try:  # one official string: its ready read-only op row from a dict of the 15,625 spellings
            ops = _ONE_OPS[strings]
        except (KeyError, TypeError):  # not built yet, another spelling, a batch (unhashable list), ...
            if isinstance(strings, str):
                ops = _cv.one_string_ops(strings)  # builds the dict on first use
                if ops is not None:
                    return _wrap(ops)
            _check_strings_arg(strings)
            return _wrap(_cv.from_strings(strings))
        obj = _new(NB201Cells)
        _set(obj, "_arrays", {"ops": ops})
        return obj

    @staticmethod
    def string_index():
        """Read-only mapping (``types.MappingProxyType``) official arch string -> benchmark index, for
        one-cell loops: ``index = NB201.string_index(); index[s]`` is one dict lookup (``KeyError`` for a
        string that is not an official spelling; ``strings_to_index`` parses other spellings).

        >>> NB201.string_index()["|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|"
        ...                      "skip_connect~1|skip_connect~2|"]
        0
        """
        return _cv.string_index()

    @classmethod
    def strings_to_index(cls, strings) -> np.ndarray:
        """Official benchmark index (int64) per arch string, without building cells: the same as
        ``to_index(from_strings(strings))``; one string costs one dict lookup (a cached table of the
        15,625 official strings). Strings that are not exact official spellings are parsed (and raise
        ``ValueError`` when malformed).

        >>> NB201.strings_to_index("|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|"
        ...                        "skip_connect~1|skip_connect~2|").tolist()
        [0]
        """
        try:  # one official string: one lookup in a dict of ready (1,) read-only index arrays
            return _ONE_INDEX[strings]
        except (KeyError, TypeError):  # not built yet, another spelling, a batch (unhashable list), ...
            _check_strings_arg(strings)
            return _cv.strings_to_index(strings)

    @classmethod
    def to_strings(cls, cells: NB201Cells) -> list[str]:
        """Arch strings, one per row (exact inverse of ``from_strings``)."""
        return _cv.to_strings(cls._ops(cells))

    @classmethod
    def from_index(cls, index) -> NB201Cells:
        """Cells at official NAS-Bench-201 / NATS-Bench (tss) indices (int or 1-d ints in [0, 15625)).

        >>> NB201.to_strings(NB201.from_index(0))
        ['|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|']
        """
        if type(index) is list and len(index) == 1:  # [i]: one cell, as a batch of one anyway
            index = index[0] if type(index[0]) is int else index
        if type(index) is int and 0 <= index < N_CELLS:  # one index: a row of the cached table (read-only view)
            return _wrap(_cv.ops_by_index()[index:index + 1])
        return _wrap(_cv.from_index(index))

    @classmethod
    def to_index(cls, cells: NB201Cells) -> np.ndarray:
        """Official benchmark index (int64) per row."""
        return _cv.to_index(cls._ops(cells))

    @classmethod
    def from_code(cls, codes) -> NB201Cells:
        """Cells from base-5 codes in [0, 15625); ``ops[0]`` is the most significant digit.

        >>> NB201.from_code(7).ops.tolist()
        [[0, 0, 0, 0, 1, 2]]
        """
        if type(codes) is int and 0 <= codes < N_CELLS:  # one code: a row of the cached table (read-only view)
            return _wrap(_cv.ops_by_code()[codes:codes + 1])
        if type(codes) is np.ndarray and codes.dtype is _I64 and codes.ndim == 1:
            return _wrap(_backend.get("nb201_from_code")(codes))  # what the kernel takes; it checks the range
        return _wrap(_cv.from_code(codes))

    @classmethod
    def to_code(cls, cells: NB201Cells) -> np.ndarray:
        """Base-5 code (int64): ``sum_e ops[e] * 5 ** (5 - e)``."""
        return _cv.to_code(cls._ops(cells))

    @classmethod
    def from_naslib(cls, x) -> NB201Cells:
        """From NASLib op indices: (N, 6) ints, tuples, or key strings like ``"(4, 3, 3, 3, 2, 3)"``.

        NASLib edge order (0,1),(0,2),(0,3),(1,2),(1,3),(2,3); ops 0 skip_connect, 1 none,
        2 nor_conv_3x3, 3 nor_conv_1x1, 4 avg_pool_3x3.

        >>> NB201.to_strings(NB201.from_naslib("(4, 3, 3, 3, 2, 3)"))
        ['|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_1x1~2|']
        """
        return _wrap(_cv.from_naslib(x))

    @classmethod
    def to_naslib(cls, cells: NB201Cells, as_strings: bool = False):
        """NASLib op indices (N, 6) int8, or key strings ``"(4, 3, 3, 3, 2, 3)"`` with ``as_strings``."""
        out = _cv.to_naslib(cls._ops(cells))
        return _cv.naslib_strings(out) if as_strings else out

    @classmethod
    def from_naszilla(cls, x) -> NB201Cells:
        """From naszilla op indices (N, 6) (arch-string edge order; ops alphabetical: 0 avg_pool_3x3,
        1 nor_conv_1x1, 2 nor_conv_3x3, 3 none, 4 skip_connect) or lists of 6 op names
        (naszilla ``Cell201.get_op_list()``).

        >>> NB201.from_naszilla([[2, 2, 2, 4, 2, 1]]).ops.tolist()
        [[3, 3, 3, 1, 3, 2]]
        """
        return _wrap(_cv.from_naszilla(x))

    @classmethod
    def to_naszilla(cls, cells: NB201Cells) -> np.ndarray:
        """naszilla op indices (N, 6) int8 (see ``from_naszilla``)."""
        return _cv.to_naszilla(cls._ops(cells))

    @classmethod
    def from_matrix(cls, m) -> NB201Cells:
        """From (N, 4, 4) (or one (4, 4)) edge-op matrices: ``m[i, j]`` = official op code of edge i -> j
        for i < j (0 = none = no edge); entries on and below the diagonal must be 0."""
        return _wrap(_cv.from_matrix(m))

    @classmethod
    def to_matrix(cls, cells: NB201Cells) -> np.ndarray:
        """(N, 4, 4) int8 edge-op matrices (see ``from_matrix``)."""
        return _cv.to_matrix(cls._ops(cells))

    @staticmethod
    def _ops(cells) -> np.ndarray:
        if not isinstance(cells, NB201Cells):
            raise TypeError(f"NB201 expects NB201Cells, got {type(cells).__name__}")
        return cells.ops

    # ------------------------------------------------------------------ identity
    def key(self, cells: NB201Cells, treat_none_as_op: bool = False, kind: str = "nats") -> np.ndarray:
        """uint64 isomorphism key: the base-5 code of the smallest cell of the same class (exact: equal keys
        if and only if same class).

        ``kind="nats"`` (default) is NATS-Bench's ``to_unique_str`` equivalence, the one behind the
        published counts: 6,466 classes with ``none`` edges (and what only they feed) removed, 12,751 with
        ``treat_none_as_op=True``. ``kind="dag"`` is plain labelled-DAG isomorphism of the pruned cell under
        the swap of the two inner nodes (8,765 classes; 15,625 with none as an op). See ``docs/nb201.md``.

        >>> sp = NB201()
        >>> int(sp.key(NB201.from_ops([1, 0, 0, 0, 3, 0]))[0]) == int(sp.key(NB201.from_ops([0, 0, 0, 3, 0, 0]))[0])
        True
        """
        return _backend.get("nb201_key")(self._ops(cells), bool(treat_none_as_op), str(kind))

    def is_isomorphic(self, a: NB201Cells, b: NB201Cells, treat_none_as_op: bool = False,
                      kind: str = "nats") -> np.ndarray:
        """Row-wise: the two cells are in the same class (exact: ``key`` is canonical)."""
        if len(a) != len(b):
            raise ValueError(f"is_isomorphic needs batches of equal length, got {len(a)} and {len(b)}")
        return self.key(a, treat_none_as_op, kind) == self.key(b, treat_none_as_op, kind)

    def is_valid(self, cells: NB201Cells) -> np.ndarray:
        """Input connected to output through non-``none`` edges (15,284 of the 15,625 cells)."""
        return _backend.get("nb201_is_valid")(self._ops(cells))

    def enumerate(self) -> NB201Cells:
        """All 15,625 cells in official index order (row i is benchmark index i)."""
        return _wrap(_cv.from_code(_cv.index_to_code()))

    # ------------------------------------------------------------------ random moves
    def sample(self, n: int, seed=None, *, unique: bool = False, valid_only: bool = False) -> NB201Cells:
        """``n`` cells uniform over the 15,625 (or over the valid ones with ``valid_only``).

        Row i is drawn from stream i of ``seed``. ``unique=True`` rejects cells isomorphic to an earlier
        row (rows drawn in order), so n <= 6,466 (6,461 classes of valid cells with ``valid_only``).

        >>> NB201().sample(3, seed=1).ops.shape
        (3, 6)
        """
        n = _count(n)
        return _wrap(_backend.get("nb201_sample")(n, base_seed(seed), bool(valid_only), bool(unique)))

    def mutate(self, cells: NB201Cells, rate: float = 1.0, seed=None, *, one_edge: bool = False,
               valid_only: bool = False) -> NB201Cells:
        """One mutant per row (naszilla/BANANAS rule): each edge changes with probability ``rate / 4`` to a
        uniformly chosen different op; ``one_edge=True`` changes exactly one uniformly chosen edge (NASLib).
        Draws are repeated until the child differs from its parent UP TO ISOMORPHISM (``key``), and is
        valid when ``valid_only``. ``rate`` must be in (0, 4].

        >>> sp = NB201(); c = sp.sample(5, seed=0)
        >>> bool((sp.key(sp.mutate(c, seed=1)) != sp.key(c)).all())
        True
        """
        return _wrap(_backend.get("nb201_mutate")(self._ops(cells), float(rate), base_seed(seed),
                                                   bool(one_edge), bool(valid_only)))

    def neighbors(self, cell: NB201Cells, dedup: bool = False) -> NB201Cells:
        """The 24 single-edge changes of one cell (edge-major, new op ascending); ``dedup=True`` drops those
        isomorphic to the cell or to an earlier neighbour.

        >>> len(NB201().neighbors(NB201.from_index(0)))
        24
        """
        ops = self._ops(cell)
        if len(ops) != 1:
            raise ValueError(f"neighbors takes a batch of one cell, got {len(ops)}; use neighbors_batch")
        return self.neighbors_batch(cell, dedup=dedup)[0]

    def neighbors_batch(self, cells: NB201Cells, dedup: bool = False) -> tuple[NB201Cells, np.ndarray]:
        """Neighbours of every row: (cells, parent row index int64)."""
        out, parent = _backend.get("nb201_neighbors")(self._ops(cells), bool(dedup))
        return _wrap(out), parent

    # ------------------------------------------------------------------ encodings
    def encode(self, cells: NB201Cells, kind: str, **options) -> np.ndarray:
        """Feature matrix (N, d) float32.

        kinds: ``adjacency`` (30: one-hot op per edge, string edge order, official op order);
        ``path`` (155, naszilla: paths {(0,3)}, {(0,1),(1,3)}, {(0,2),(2,3)}, {(0,1),(1,2),(2,3)}, index
        offset + sum_j op_j 5**j with alphabetical op indices; all 4 paths always set);
        ``path_trunc`` (first ``k`` entries of ``path``, default k=30); ``path_naslib`` (NASLib's bug:
        the same positions applied to NASLib's edge and op order; optional ``k``); ``gcn`` (120: 8x7 node
        one-hot of the op-on-node graph then its 8x8 row-normalised A + I); ``categorical`` (the 6 codes).

        >>> NB201().encode(NB201.from_index([0, 1]), "path_trunc").shape
        (2, 30)
        """
        ops = self._ops(cells)
        if kind == "adjacency":
            return _backend.get("nb201_encode_adjacency")(ops)
        if kind in ("path", "path_trunc", "path_naslib"):
            k = options.pop("k", 30 if kind == "path_trunc" else 155)
            _no_options(kind, options)
            if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
                raise TypeError(f"k must be an int, got {type(k).__name__}")
            return _backend.get("nb201_encode_path")(ops, kind == "path_naslib", int(k))
        _no_options(kind, options)
        if kind == "gcn":
            return _backend.get("nb201_encode_gcn")(ops)
        if kind == "categorical":
            _backend.get("nb201_to_code")(ops)  # validates
            return ops.astype(np.float32)
        raise ValueError(f"unknown encoding {kind!r}; valid: {', '.join(_ENCODINGS)}")

    def encoding_dim(self, kind: str, **options) -> int:
        """Width of ``encode(cells, kind)``."""
        if kind == "path_trunc":
            return int(options.get("k", 30))
        if kind in _DIMS:
            return int(options.get("k", _DIMS[kind])) if kind.startswith("path") else _DIMS[kind]
        raise ValueError(f"unknown encoding {kind!r}; valid: {', '.join(_ENCODINGS)}")


def _no_options(kind: str, options: dict) -> None:
    if options:
        raise TypeError(f"encoding {kind!r} takes no options {sorted(options)}")


def _count(n) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return int(n)

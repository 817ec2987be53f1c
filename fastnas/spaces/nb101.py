"""The NAS-Bench-101 cell space (Ying et al., ICML 2019) as batches of integer arrays.

>>> from fastnas import NB101
>>> space = NB101()
>>> cells = NB101.from_specs([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]],
...                          ["input", "conv3x3-bn-relu", "maxpool3x3", "output"])
>>> space.hash(cells).tolist()      # the dangling maxpool is pruned first
['b49ac8c578b4561d79ac7087988f1c61']
>>> bool(space.is_valid(cells)[0]), int(space.prune(cells).n_vertices[0])
(True, 3)

Hot operations call compiled kernels (``src/nb101*.cpp``) through ``fastnas._backend``; each has a
pure-Python reference twin in ``fastnas.spaces.nb101_ref`` that defines it.
"""
from __future__ import annotations

import numpy as np

from .. import _backend
from .._rng import base_seed
from . import nb101_encode as _enc
from . import nb101_specs as _specs
from . import nb101_table as _table
from ._protocol import SearchSpace, check_cells
from .nb101_specs import NB101Cells

__all__ = ["NB101", "NB101Cells", "KEY_INVALID", "COUNTS_BY_VERTICES", "N_CELLS"]

#: the key of a cell outside the space (``key(cells, invalid="zero")``); valid keys are > 0
KEY_INVALID = 0
#: published unique cells by number of vertices (NAS-Bench-101 paper / nasbench)
COUNTS_BY_VERTICES = {2: 1, 3: 6, 4: 84, 5: 2441, 6: 62010, 7: 359082}
N_CELLS = 423_624
_DISTRIBUTIONS = {"reference": 0, "full": 1}
_NOT_IN_SPACE = "cell is not in the space (disconnected or more than 9 edges)"
_memory_table: _table.HashTable | None = None
_memory_cells: NB101Cells | None = None  # the enumerated space (immutable batch, safe to share)


def _rows(cells: NB101Cells):
    a = cells._arrays  # direct: no attribute machinery on the one-cell path
    return a["matrix"], a["ops"], a["n_vertices"]


_wrap = _specs.wrap_rows  # (matrix, ops, n_vertices) kernel outputs -> a batch, no checks
_new_cells, _set_arrays = object.__new__, object.__setattr__


def _first_invalid(ok: np.ndarray) -> int | None:
    bad = np.flatnonzero(~ok)
    return int(bad[0]) if bad.size else None


def _unique_sample(space, n: int, base: int, mode: int, draw, progress) -> NB101Cells:
    """First ``n`` distinct classes met by the sampler's row streams; the enumerated rest on a stall."""
    from tqdm.auto import tqdm

    parts, keys, start = [], np.empty(0, np.uint64), 0
    with tqdm(total=n, desc="nb101 unique cells", unit="cell",
              disable=(n < 50_000) if progress is None else not progress) as bar:
        while len(keys) < n:
            size = min(max(2 * (n - len(keys)), 1024), 1 << 20)
            batch = _wrap(*draw(base, start, size, mode))
            start += size
            k = space.key(batch)
            _, first = np.unique(k, return_index=True)
            first.sort()
            new = first[~np.isin(k[first], keys)]
            new = new[: n - len(keys)]
            parts.append(batch[new])
            keys = np.concatenate([keys, k[new]])
            bar.update(len(new))
            if len(keys) < n and len(new) * 50 < size:  # stalled: take the rest from the enumerated space
                rest = _enumerated_rest(keys, mode, n - len(keys), base)
                parts.append(rest)
                bar.update(len(rest))
                break
    return NB101Cells.concat(parts)


def _enumerated_rest(seen: np.ndarray, mode: int, k: int, base: int) -> NB101Cells:
    """``k`` enumerated classes not in ``seen``, uniformly without replacement (seeded)."""
    if _memory_cells is not None and _memory_table is not None:  # the space is in memory already
        m, o, v = _rows(_memory_cells)
        keys = _memory_table.keys
        if mode == 1:
            full = v == 7
            m, o, v, keys = m[full], o[full], v[full], keys[full]
    else:
        enum = _backend.get("nb101_enumerate")
        parts = [enum(n) for n in ((7,) if mode == 1 else range(2, 8))]
        m, o, v, keys = (np.concatenate([p[i] for p in parts]) for i in range(4))
    left = np.flatnonzero(~np.isin(keys, seen))
    # a uniform subset, kept in enumeration order; under "full" the enumerated 7-vertex cells are full
    # DAGs already, as that sampler returns them
    pick = np.sort(np.random.default_rng([base, 0x5EED]).permutation(left)[:k]) if k < len(left) else left
    return _wrap(m[pick], o[pick], v[pick])


class NB101(SearchSpace):
    """NAS-Bench-101: DAGs of up to 7 vertices and 9 edges, inner ops conv3x3/conv1x1/maxpool3x3.

    Cells are ``NB101Cells`` batches; a single cell is a batch of one. Methods are vectorised over
    the batch and never loop over cells in Python.
    """

    name = "nb101"
    cells_type = NB101Cells
    encodings = ("adjacency", "adjacency_cat", "adjacency_cont", "path", "path_trunc", "path_cat", "gcn")
    finite = True
    #: vertices of the ``gcn`` encoding (padded to 7), read by graph predictors
    gcn_nodes = 7

    # ---------------------------------------------------------------- conversions
    @classmethod
    def from_specs(cls, matrices, ops) -> NB101Cells:
        """Cells from nasbench-style specs: one (a V x V 0/1 matrix, V op names) or lists of them.

        Raises ``ValueError`` naming the row and the reason (non-square, not strictly upper
        triangular, size mismatch, unknown op, input/output misplaced, non-0/1 entries, size outside
        2..7). The cells are stored as given (not pruned).

        >>> NB101.from_specs([[[0, 1], [0, 0]]], [["input", "output"]]).n_vertices.tolist()
        [2]
        """
        return _specs.from_specs(matrices, ops)

    @classmethod
    def to_specs(cls, cells: NB101Cells) -> tuple[list, list]:
        """``(matrices, ops)``: per row a V x V list of ints and a list of op names, as nasbench uses;
        ``NB101.from_specs(*NB101.to_specs(c)) == c``.

        >>> NB101.to_specs(NB101.from_specs([[0, 1], [0, 0]], ["input", "output"]))
        ([[[0, 1], [0, 0]]], [['input', 'output']])
        """
        return _specs.to_specs(check_cells(cls(), cells))

    @classmethod
    def from_arrays(cls, matrix, ops, n_vertices=None) -> NB101Cells:
        """Validated cells from arrays: ``matrix`` (N, 7, 7) 0/1, ``ops`` (N, 7) op codes (input -1,
        output -2, conv3x3 0, conv1x1 1, maxpool3x3 2, padding -3), ``n_vertices`` (N,) or None (then
        taken from the position of the output code). Vectorised.

        >>> m = np.zeros((1, 7, 7), np.uint8); m[0, 0, 1] = 1
        >>> NB101.from_arrays(m, [[-1, -2, -3, -3, -3, -3, -3]]).n_vertices.tolist()
        [2]

        C-contiguous integer numpy arrays of valid rows take one compiled call (``nb101_from_arrays``);
        anything else, and every error, goes through ``nb101_specs.from_arrays_general``. The batch never
        shares memory with the arrays passed in.
        """
        fast = _backend.get("nb101_from_arrays")(matrix, ops, n_vertices)
        if fast is not None:  # as nb101_specs.from_arrays, written out: a call frame is a tenth of this path
            obj = _new_cells(NB101Cells)
            _set_arrays(obj, "_arrays", {"matrix": fast[0], "ops": fast[1], "n_vertices": fast[2]})
            return obj
        return _specs.from_arrays_general(matrix, ops, n_vertices)

    @classmethod
    def from_strings(cls, strings) -> NB101Cells:
        """Parse ``to_strings`` output (``"i3o:011/001/000"``)."""
        if isinstance(strings, (bytes, bytearray)):
            raise TypeError("NB101 strings must be str, got bytes: decode them first (e.g. s.decode())")
        if not isinstance(strings, str) and not hasattr(strings, "__iter__"):
            raise TypeError(f"expected an NB101 string or an iterable of them, got {type(strings).__name__}")
        return _specs.from_strings(strings)

    def to_strings(self, cells: NB101Cells) -> list[str]:
        """One compact string per row: op chars (i, 3, 1, m, o) then the matrix rows.

        >>> NB101().to_strings(NB101.from_specs([[0, 1], [0, 0]], ["input", "output"]))
        ['io:01/00']
        """
        return _specs.to_strings(check_cells(self, cells))

    # ---------------------------------------------------------------- validity and identity
    def is_valid(self, cells: NB101Cells) -> np.ndarray:
        """bool per row: in the space after pruning (input reaches output, <= 9 edges, <= 7 vertices).

        >>> NB101().is_valid(NB101.from_specs([[0, 0], [0, 0]], ["input", "output"])).tolist()
        [False]"""
        a = (cells if type(cells) is NB101Cells else check_cells(self, cells))._arrays
        return _backend.get("nb101_is_valid")(a["matrix"], a["ops"], a["n_vertices"])

    def prune(self, cells: NB101Cells, *, invalid: str = "keep") -> NB101Cells:
        """Remove the vertices not on an input -> output path (nasbench ``ModelSpec`` pruning).

        Rows whose input does not reach the output are returned unchanged with ``invalid="keep"``;
        ``invalid="raise"`` raises ``ValueError`` for any row outside the space.
        """
        a = (cells if type(cells) is NB101Cells else check_cells(self, cells))._arrays
        m, o, v, ok = _backend.get("nb101_prune")(a["matrix"], a["ops"], a["n_vertices"])
        if invalid == "raise":
            if not ok.all():
                raise ValueError(f"row {_first_invalid(ok)}: {_NOT_IN_SPACE}")
        elif invalid != "keep":
            raise ValueError(f"invalid must be 'keep' or 'raise', got {invalid!r}")
        return _wrap(m, o, v)

    def key(self, cells: NB101Cells, *, invalid: str = "raise") -> np.ndarray:
        """uint64 canonical key per row: equal keys <=> isomorphic pruned cells (exact).

        ``invalid="raise"`` raises ``ValueError`` for a row outside the space; ``invalid="zero"`` gives
        ``KEY_INVALID`` (0) for it.

        >>> space = NB101()
        >>> a = NB101.from_specs([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
        ...                      ["input", "conv3x3-bn-relu", "maxpool3x3", "output"])
        >>> b = NB101.from_specs([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
        ...                      ["input", "maxpool3x3", "conv3x3-bn-relu", "output"])
        >>> bool(space.key(a)[0] == space.key(b)[0])
        True
        """
        if invalid == "raise":  # the kernel raises for the first row outside the space
            a = (cells if type(cells) is NB101Cells else check_cells(self, cells))._arrays
            return _backend.get("nb101_key")(a["matrix"], a["ops"], a["n_vertices"], True)
        if invalid != "zero":
            raise ValueError(f"invalid must be 'raise' or 'zero', got {invalid!r}")
        a = (cells if type(cells) is NB101Cells else check_cells(self, cells))._arrays
        return _backend.get("nb101_key")(a["matrix"], a["ops"], a["n_vertices"], False)

    def is_isomorphic(self, a: NB101Cells, b: NB101Cells) -> np.ndarray:
        """Pairwise exact isomorphism of the pruned cells (rows outside the space raise ``ValueError``).

        >>> c = NB101().sample(4, seed=0)
        >>> NB101().is_isomorphic(c, c).tolist()
        [True, True, True, True]"""
        if len(a) != len(b):
            raise ValueError(f"is_isomorphic needs batches of equal length, got {len(a)} and {len(b)}")
        return self.key(a) == self.key(b)

    def hash(self, cells: NB101Cells, *, invalid: str = "raise", table="auto", threads: int = 0) -> np.ndarray:
        """The NAS-Bench-101 fingerprint per row (``<U32`` str array), bit-identical to the dataset keys.

        ``invalid="empty"`` gives ``""`` for rows outside the space instead of raising.
        ``table``: ``True`` looks fingerprints up in the key -> fingerprint table of the whole space
        (built by ``enumerate()`` on first need, then cached on disk); ``False`` computes MD5 directly
        in C++ using ``threads`` threads (0: all cores; rows are independent, results do not depend on
        it); ``"auto"`` uses the table when it is in memory or on disk, or when the batch has at least
        500,000 rows (building it is then cheaper), and computes directly otherwise.

        >>> NB101().hash(NB101.from_specs([[0, 1], [0, 0]], ["input", "output"]), table=False).tolist()
        ['043721b9c7fe8c5fad811d47d83132ec']
        """
        if invalid not in ("raise", "empty"):
            raise ValueError(f"invalid must be 'raise' or 'empty', got {invalid!r}")
        if table not in (True, False, "auto"):
            raise ValueError(f"table must be True, False or 'auto', got {table!r}")
        if type(threads) is not int and not (isinstance(threads, np.integer) and not isinstance(threads, bool)):
            raise TypeError(f"threads must be an int (0: all cores), got {threads!r}")
        if not 0 <= threads <= 4096:
            raise ValueError(f"threads must be 0 (all cores) or a thread count up to 4096, got {threads!r}")
        a = (cells if type(cells) is NB101Cells else check_cells(self, cells))._arrays
        m, o, v = a["matrix"], a["ops"], a["n_vertices"]
        tbl = None
        if table is True or (table == "auto" and len(v) >= 500_000):
            tbl = self.hash_table(progress=False)
        elif table == "auto":
            tbl = _memory_table if _memory_table is not None else self.hash_table(progress=False, build=False)
        # one compiled call each way, the <U32 result written by the kernel (issue 12: a one-cell call spent
        # more in numpy steps around the kernel than in the key kernel itself): key, bisection of the
        # table's sorted keys and the fingerprint's characters; or the MD5 fingerprint with the row and
        # validity checks in its own loop. "" for rows outside the space unless the kernel raised.
        if tbl is not None:
            return _backend.get("nb101_hash_lookup")(m, o, v, tbl.parts, invalid == "raise")
        return _backend.get("nb101_hash_text")(m, o, v, int(threads), invalid == "raise")

    # ---------------------------------------------------------------- the whole space
    def enumerate(self, progress: bool = True, *, cache: bool = True) -> NB101Cells:
        """The 423,624 cells, one valid pruned representative per isomorphism class.

        Order: by number of vertices, then adjacency bit mask, then ops (the first labelled full DAG
        met of each class). Also computes every fingerprint (C++ MD5 on all cores) into the key ->
        fingerprint table used by ``hash``, cached on disk when ``cache`` (see ``nb101_table``); a
        cached table is verified and reused.

        >>> cells = NB101().enumerate(progress=False)  # doctest: +SKIP
        >>> len(cells)  # doctest: +SKIP
        423624
        """
        global _memory_table
        from tqdm.auto import tqdm

        enum = _backend.get("nb101_enumerate")
        parts = [enum(v) for v in range(2, 8)]
        m, o, v, keys = (np.concatenate([p[i] for p in parts]) for i in range(4))
        cells = _wrap(m, o, v)
        tbl = _memory_table
        if tbl is None and cache:
            tbl = _table.HashTable.load()
        if tbl is None or not np.array_equal(tbl.keys, keys):
            fn = _backend.get("nb101_hash")
            hexes = np.empty((len(keys), 32), np.uint8)
            step = 16384
            with tqdm(total=len(keys), desc="nb101 fingerprints", unit="cell", disable=not progress) as bar:
                for s in range(0, len(keys), step):
                    hexes[s:s + step] = fn(m[s:s + step], o[s:s + step], v[s:s + step], 0)
                    bar.update(min(step, len(keys) - s))
            tbl = _table.HashTable(keys, hexes)
            if cache:
                try:
                    tbl.save()
                except OSError as exc:  # a read-only cache directory must not break enumeration
                    import warnings

                    warnings.warn(f"could not cache the NB101 hash table: {exc}", RuntimeWarning, stacklevel=2)
        _memory_table = tbl
        global _memory_cells
        _memory_cells = cells
        return cells

    def hash_table(self, progress: bool = True, *, build: bool = True) -> _table.HashTable | None:
        """The key -> fingerprint table of the whole space (memory, then disk cache, then built by
        ``enumerate`` when ``build``; None when absent and ``build`` is False)."""
        global _memory_table
        if _memory_table is None:
            _memory_table = _table.HashTable.load()
        if _memory_table is None and build:
            self.enumerate(progress=progress)
        return _memory_table

    def from_hashes(self, hashes) -> NB101Cells:
        """The enumerated representative of each NAS-Bench-101 fingerprint (``ValueError`` for unknown)."""
        tbl = self.hash_table(progress=False)
        h = np.atleast_1d(np.asarray(hashes))
        idx = tbl.index_of_hashes(h)
        bad = _first_invalid(idx >= 0)
        if bad is not None:
            raise ValueError(f"row {bad}: {str(h[bad])!r} is not a NAS-Bench-101 fingerprint")
        cells = _memory_cells if _memory_cells is not None else self.enumerate(progress=False)
        return cells[idx]

    # ---------------------------------------------------------------- random and local moves
    def sample(self, n: int, seed=None, *, unique: bool = False, distribution: str = "reference",
               progress: bool | None = None) -> NB101Cells:
        """``n`` valid cells, pruned.

        ``distribution="reference"`` is the nasbench/naszilla sampler: a uniform random 7 x 7 strictly
        upper-triangular 0/1 matrix (21 fair bits) and uniform inner ops, redrawn until the pruned cell
        is in the space; it is uniform over labelled 7-vertex specs that are valid, and the result is
        their pruned form (so isomorphism classes with more labellings are likelier, and small cells
        dominate: about 10% of draws are the 2-vertex cell input -> output, 0.3% have 7 vertices). ``"full"`` is
        uniform over labelled full DAGs with 7 vertices and <= 9 edges (no pruning needed; slower,
        rejection rate about 99.7%). Row i uses its own generator stream, so results do not depend on
        batching.

        ``unique=True`` keeps the first of each isomorphism class and draws more rows until ``n``
        distinct cells are found (at most ``N_CELLS`` = 423,624 under ``"reference"``, 359,082 under
        ``"full"``; more raises ``ValueError``). When the draws stall (fewer than 1 new class per 50
        draws: ``n`` is a large part of the space and the rare classes are left), the rest is drawn
        uniformly without replacement from the enumerated classes not met yet (a seeded permutation),
        so the last rows of a very large request follow the uniform-over-classes distribution, not the
        sampler's; ``n`` equal to the space size gives every class. ``progress`` shows a tqdm bar of
        distinct cells found (``None``: only for ``n >= 50,000``; ``False`` silences it).

        >>> NB101().sample(3, seed=0).n_vertices.shape
        (3,)
        >>> len(NB101().sample(5, seed=0, unique=True))
        5
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"n must be an int, got {type(n).__name__}")
        n = int(n)
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(f"distribution must be one of {', '.join(_DISTRIBUTIONS)}, got {distribution!r}")
        mode = _DISTRIBUTIONS[distribution]
        base = int(base_seed(seed))
        draw = _backend.get("nb101_sample")
        if not unique:
            return _wrap(*draw(base, 0, n, mode))
        cap = N_CELLS if mode == 0 else COUNTS_BY_VERTICES[7]
        if n > cap:
            raise ValueError(f"only {cap:,} distinct NB101 cells exist under distribution {distribution!r} "
                             f"(the space has {N_CELLS:,} classes, {COUNTS_BY_VERTICES[7]:,} with 7 vertices); "
                             f"asked for {n:,}")
        return _unique_sample(self, n, base, mode, draw, progress)

    def mutate(self, cells: NB101Cells, rate: float = 1.0, seed=None) -> NB101Cells:
        """One BANANAS mutant per row, pruned: valid and not isomorphic to its parent.

        The parent is embedded in 7 vertices (padded inner vertices get random ops); each of the 21
        upper-triangular bits flips with probability rate/21 and each inner op changes with probability
        rate/5 to a different op; a try is repeated until the result is valid and new. Probabilities are
        resolved on 16 bits (see ``nb101_ref.mutate_cell``). ``rate`` in [0.001, 20]; parents must be
        valid (``ValueError`` names the row).

        >>> space = NB101()
        >>> parents = space.sample(5, seed=0)
        >>> kids = space.mutate(parents, rate=1.0, seed=1)
        >>> bool(space.is_valid(kids).all()), bool(space.is_isomorphic(parents, kids).any())
        (True, False)
        """
        m, o, v = _backend.get("nb101_mutate")(*_rows(check_cells(self, cells)), float(rate), int(base_seed(seed)))
        return _wrap(m, o, v)

    def neighbors(self, cell: NB101Cells) -> NB101Cells:
        """All valid cells one edit away from one cell (flip one edge of its pruned matrix, or change
        one inner op), pruned, deduplicated up to isomorphism, the cell itself excluded.

        >>> one = NB101.from_specs([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"])
        >>> len(NB101().neighbors(one))  # the skip edge added, or conv1x1 / maxpool instead
        3"""
        check_cells(self, cell)
        if len(cell) != 1:
            raise ValueError(f"neighbors takes a batch of one cell, got {len(cell)}; use neighbors_batch")
        return self.neighbors_batch(cell)[0]

    def neighbors_batch(self, cells: NB101Cells) -> tuple[NB101Cells, np.ndarray]:
        """Neighbours of every row at once: (cells, parent row index int64).

        >>> cells, parent = NB101().neighbors_batch(NB101().sample(3, seed=0))
        >>> bool((parent[:-1] <= parent[1:]).all())
        True"""
        m, o, v, parent = _backend.get("nb101_neighbors")(*_rows(check_cells(self, cells)))
        return _wrap(m, o, v), parent

    # ---------------------------------------------------------------- encodings
    def encode(self, cells: NB101Cells, kind: str, **options):
        """Features of the pruned cells; kinds and layouts are documented in ``nb101_encode``.

        Options: ``k`` for ``path_trunc`` (default 40, 1..364). Rows outside the space raise
        ``ValueError``. ``gcn`` returns a dict of arrays, the others an (N, d) array.

        >>> NB101().encode(NB101().sample(2, seed=0), "path").shape
        (2, 364)
        """
        a = (cells if type(cells) is NB101Cells else check_cells(self, cells))._arrays
        if kind == "path" and not options:  # the common one-cell call first: straight to the kernel
            return _backend.get("nb101_path")(a["matrix"], a["ops"], a["n_vertices"], 364, True)
        if kind not in self.encodings:
            raise ValueError(f"unknown encoding {kind!r}; valid: {', '.join(self.encodings)}")
        k = options.pop("k", 40)
        if options:
            raise TypeError(f"unexpected options for encode({kind!r}): {', '.join(options)}")
        if kind == "path_trunc" and not (isinstance(k, (int, np.integer)) and 1 <= k <= 364):
            raise ValueError(f"k must be an int in 1..364, got {k!r}")
        path = _backend.get("nb101_path")  # raises for the first row outside the space
        if kind == "path":
            return path(*_rows(cells), 364, True)
        if kind == "path_trunc":
            return path(*_rows(cells), int(k), True)
        if kind == "path_cat":
            return _enc.path_cat(path(*_rows(cells), 364, True))
        p = self.prune(cells, invalid="raise")
        if kind == "gcn":
            return _enc.gcn(*_rows(p))
        m7, o7 = _enc.pad7(*_rows(p))
        return {"adjacency": _enc.adjacency, "adjacency_cat": _enc.adjacency_cat,
                "adjacency_cont": _enc.adjacency_cont}[kind](m7, o7)

    def path_indices(self, cell: NB101Cells) -> list[int]:
        """The sorted path indices of one cell (for inspection).

        >>> NB101().path_indices(NB101.from_specs([[0, 1, 1], [0, 0, 1], [0, 0, 0]],
        ...                                       ["input", "conv3x3-bn-relu", "output"]))
        [0, 1]
        """
        check_cells(self, cell)
        if len(cell) != 1:
            raise ValueError(f"path_indices takes a batch of one cell, got {len(cell)}")
        return np.flatnonzero(self.encode(cell, "path")[0]).tolist()

"""The exact mapping between fastnas DARTS cells and the NAS-Bench-301 surrogate's 34 categorical inputs.

YAHPO Gym's NB301 surrogate (``fastnas.nasbench.nb301``) reads ``x_cat``, an int32 ``(N, 34)`` array whose
columns are, in YAHPO's ``cat_names`` order (``yahpo_gym/benchmarks/nb301.py``):

* columns ``0..13``: ``edge_normal_0 .. edge_normal_13``, columns ``14..27``: ``edge_reduce_0 .. edge_reduce_13``
  -- the op on each of the 14 possible edges of the cell (0 = ``#na#``, an edge the cell does not use);
* columns ``28..30``: ``inputs_node_normal_3 .. inputs_node_normal_5``, ``31..33``: the same for the reduction
  cell -- which two inputs the 2nd, 3rd and 4th intermediate node read (the 1st always reads inputs 0 and 1).

The edges follow NAS-Bench-301's ``convert_genotype_to_config``: intermediate node ``k`` (``k = 0..3``, node
``k + 2`` in DARTS numbering) owns edges ``start_k + i`` for its possible inputs ``i = 0..k+1``, with
``start = (0, 2, 5, 9)``; its input pair is written ``"i_j"`` with ``i < j``. The integer codes come from
YAHPO's ``encoding_v2.json`` (vendored beside the model): ops ``#na# 0, avg_pool_3x3 1, dil_conv_3x3 2,
dil_conv_5x5 3, max_pool_3x3 4, sep_conv_3x3 5, sep_conv_5x5 6, skip_connect 7``; input pairs numbered in
the order ``0_1, 0_2, 0_3, 0_4, 1_2, 1_3, 1_4, 2_3, 2_4, 3_4`` restricted to the node's inputs, from 1.

fastnas cells (``DARTSCells``: ``inputs``/``ops`` ``(N, 2, 8)``, edges ``2k, 2k+1`` feed node ``k``) keep the
order of a node's two edges; the surrogate does not (a node sums its edges), so ``x_cat_to_cells`` returns each
node's pair sorted by input. ``cells -> x_cat -> cells`` is therefore the identity up to that order (the same
isomorphism class: equal ``DARTS().key``), and ``x_cat -> cells -> x_cat`` is the identity.
"""
from __future__ import annotations

import numpy as np

from ..spaces.darts import OPS, DARTS, DARTSCells

#: first edge column of intermediate node k within a cell's 14 edge columns
EDGE_START = (0, 2, 5, 9)
#: YAHPO's integer code of each fastnas op code (fastnas order: see ``fastnas.spaces.darts.OPS``)
_YAHPO_OP_NAMES = ("#na#", "avg_pool_3x3", "dil_conv_3x3", "dil_conv_5x5", "max_pool_3x3", "sep_conv_3x3",
                   "sep_conv_5x5", "skip_connect")
OP_CODE = np.array([_YAHPO_OP_NAMES.index(o) for o in OPS], dtype=np.int32)
_OP_FROM_CODE = np.full(len(_YAHPO_OP_NAMES), -1, np.int8)
_OP_FROM_CODE[OP_CODE] = np.arange(len(OPS), dtype=np.int8)
_PAIRS_ALL = ((0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4))


def _pair_codes(k: int) -> dict[tuple[int, int], int]:
    """YAHPO's code of each input pair of intermediate node k (k = 1..3)."""
    allowed = [p for p in _PAIRS_ALL if p[1] <= k + 1]
    return {p: j + 1 for j, p in enumerate(allowed)}


# (5, 5) lookup: pair code of inputs (i, j), i < j, for nodes 1..3; 0 where not allowed
_PAIR_CODE = np.zeros((4, 5, 5), np.int32)
_PAIR_FROM_CODE = np.full((4, 11, 2), -1, np.int8)
for _k in (1, 2, 3):
    for (_i, _j), _c in _pair_codes(_k).items():
        _PAIR_CODE[_k, _i, _j] = _c
        _PAIR_FROM_CODE[_k, _c] = (_i, _j)
#: names of the 34 columns, YAHPO's ``cat_names`` without the ``NetworkSelectorDatasetInfo_COLON_darts_COLON_``
#: prefix
COLUMNS = tuple([f"edge_normal_{e}" for e in range(14)] + [f"edge_reduce_{e}" for e in range(14)]
                + [f"inputs_node_normal_{k}" for k in (3, 4, 5)] + [f"inputs_node_reduce_{k}" for k in (3, 4, 5)])
PREFIX = "NetworkSelectorDatasetInfo_COLON_darts_COLON_"


def check_encoding(encoding: dict) -> None:
    """Check a YAHPO ``encoding_v2.json`` mapping against the codes hard-wired here (raises ``ValueError``).

    >>> import json
    >>> from importlib import resources
    >>> p = resources.files("fastnas") / "data" / "nb301" / "cifar10" / "encoding_v2.json"
    >>> check_encoding(json.loads(p.read_text()))
    """
    for c in range(2):
        kind = ("normal", "reduce")[c]
        for e in range(14):
            got = encoding.get(f"{PREFIX}edge_{kind}_{e}")
            want = {n: i for i, n in enumerate(_YAHPO_OP_NAMES)}
            if got != want:
                raise ValueError(f"encoding of edge_{kind}_{e} is {got}, expected {want}")
        for k in (1, 2, 3):
            got = encoding.get(f"{PREFIX}inputs_node_{kind}_{k + 2}")
            want = {"#na#": 0, **{f"{i}_{j}": code for (i, j), code in _pair_codes(k).items()}}
            if got != want:
                raise ValueError(f"encoding of inputs_node_{kind}_{k + 2} is {got}, expected {want}")


def cells_to_x_cat(cells: DARTSCells) -> np.ndarray:
    """The surrogate's ``x_cat`` (int32 ``(N, 34)``) of a batch of valid DARTS cells.

    Raises
    ------
    TypeError
        ``cells`` is not a ``DARTSCells`` batch.
    ValueError
        A cell is invalid (a node reading the same input twice, codes out of range), naming the row.

    Examples
    --------
    >>> from fastnas.spaces.darts import DARTS
    >>> c = DARTS.from_arrays([[0, 1, 0, 2, 1, 3, 2, 4]] * 2, [[0, 1, 2, 3, 4, 5, 6, 0]] * 2)
    >>> cells_to_x_cat(c)[0, :14].tolist()   # edges 0, 1 | 2, 4 | 6, 8 | 11, 13 of the normal cell
    [4, 1, 7, 0, 5, 0, 6, 0, 2, 0, 0, 3, 0, 4]
    >>> cells_to_x_cat(c)[0, 28:31].tolist()  # node 3 reads 0_2, node 4 reads 1_3, node 5 reads 2_4
    [2, 5, 9]
    """
    if not isinstance(cells, DARTSCells):
        raise TypeError(f"cells must be DARTSCells, got {type(cells).__name__}")
    ok = DARTS().is_valid(cells)  # also range-checks the codes, naming the row
    if not ok.all():
        r = int(np.flatnonzero(~ok)[0])
        raise ValueError(f"cell row {r} is not a valid DARTS cell (a node reads the same input twice); "
                         "the surrogate takes valid cells only")
    inputs = np.asarray(cells.inputs, dtype=np.int64)
    ops = np.asarray(cells.ops, dtype=np.int64)
    n = len(inputs)
    x = np.zeros((n, 34), np.int32)
    rows = np.arange(n)
    start = np.repeat(np.array(EDGE_START), 2)  # (8,)
    for c in range(2):
        col = c * 14 + start[None, :] + inputs[:, c, :]  # (n, 8)
        for e in range(8):
            x[rows, col[:, e]] = OP_CODE[ops[:, c, e]]
        for k in (1, 2, 3):
            a, b = inputs[:, c, 2 * k], inputs[:, c, 2 * k + 1]
            x[:, 28 + 3 * c + (k - 1)] = _PAIR_CODE[k, np.minimum(a, b), np.maximum(a, b)]
    return x


def x_cat_to_cells(x_cat) -> DARTSCells:
    """DARTS cells from the surrogate's ``x_cat`` rows (each node's two edges sorted by input).

    Raises
    ------
    ValueError
        Not ``(N, 34)`` integers, a code out of range, or a row that is not a complete configuration (a node's
        input pair disagreeing with its active edges), naming the row and column.

    Examples
    --------
    >>> from fastnas.spaces.darts import DARTS
    >>> c = DARTS.from_arrays([[0, 1, 0, 2, 1, 3, 2, 4]] * 2, [[0, 1, 2, 3, 4, 5, 6, 0]] * 2)
    >>> back = x_cat_to_cells(cells_to_x_cat(c))
    >>> back.inputs[0, 0].tolist(), back.ops[0, 0].tolist()
    ([0, 1, 0, 2, 1, 3, 2, 4], [0, 1, 2, 3, 4, 5, 6, 0])
    """
    x = np.asarray(x_cat)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2 or x.shape[1] != 34:
        raise ValueError(f"x_cat must be (N, 34), got shape {x.shape}")
    if x.size and x.dtype.kind not in "iu":
        raise ValueError(f"x_cat must hold integers, got {x.dtype}")
    x = x.astype(np.int64)
    n = len(x)
    inputs = np.zeros((n, 2, 8), np.int8)
    ops = np.zeros((n, 2, 8), np.int8)
    for c in range(2):
        kind = ("normal", "reduce")[c]
        edges = x[:, 14 * c: 14 * c + 14]
        bad = (edges < 0) | (edges >= len(_YAHPO_OP_NAMES))
        if bad.any():
            r, e = map(int, np.argwhere(bad)[0])
            raise ValueError(f"x_cat row {r} column edge_{kind}_{e}: op code {int(edges[r, e])} out of range 0..7")
        for k in range(4):
            if k == 0:
                pair = np.tile(np.array([0, 1]), (n, 1))
            else:
                code = x[:, 28 + 3 * c + k - 1]
                badc = (code < 1) | (code > 10)
                pair = _PAIR_FROM_CODE[k, np.clip(code, 0, 10)].astype(np.int64)
                badc |= pair[:, 0] < 0
                if badc.any():
                    r = int(np.flatnonzero(badc)[0])
                    raise ValueError(f"x_cat row {r} column inputs_node_{kind}_{k + 2}: code {int(code[r])} is not "
                                     f"an input pair of that node")
            s = EDGE_START[k]
            block = edges[:, s: s + k + 2]  # the node's possible edges, one per input
            active = block != 0
            want = np.zeros_like(active)
            want[np.arange(n), pair[:, 0]] = True
            want[np.arange(n), pair[:, 1]] = True
            mism = (active != want).any(axis=1)
            if mism.any():
                r = int(np.flatnonzero(mism)[0])
                raise ValueError(f"x_cat row {r}: the active edges of {kind} node {k + 2} "
                                 f"({(np.flatnonzero(active[r]) + s).tolist()}) disagree with its input pair "
                                 f"{pair[r].tolist()}")
            for j in range(2):
                inputs[:, c, 2 * k + j] = pair[:, j]
                ops[:, c, 2 * k + j] = _OP_FROM_CODE[block[np.arange(n), pair[:, j]]]
    return DARTS.from_arrays(inputs, ops)

"""Pure-Python reference twins of the DARTS / NAS-Bench-301 kernels (the specification; slow).

Definitions (Liu et al., DARTS, ICLR 2019; NAS-Bench-301, Siems et al. 2020; naszilla and NASLib
compact form; NAS-Bench-Suite-Zero keys), restated in our own words:

* A cell (0 normal, 1 reduction) has 4 intermediate nodes; edges ``2k`` and ``2k + 1`` feed node ``k``.
  Edge ``e`` reads input ``inputs[c, e]``: 0 = c_{k-2}, 1 = c_{k-1}, ``2 + j`` = intermediate node ``j``
  (so input <= k + 1), and applies op ``ops[c, e]``. Op codes (NAS-Bench-Suite-Zero / NASLib order):
  0 max_pool_3x3, 1 avg_pool_3x3, 2 skip_connect, 3 sep_conv_3x3, 4 sep_conv_5x5, 5 dil_conv_3x3,
  6 dil_conv_5x5. The cell output concatenates the 4 intermediate nodes.
* In the space: the two edges of a node read different inputs (DARTS keeps the top-2 distinct inputs).
* Isomorphism (``key``): the same cell up to (a) the order of the two edges of a node and (b) any
  relabelling of the intermediate nodes that keeps every edge pointing from an earlier to a later
  node (the concatenated output is then permuted, which the following 1x1 preprocessing absorbs).
  c_{k-2} and c_{k-1} are never exchanged, normal and reduction cells never mixed, and op semantics
  (e.g. skip_connect as identity) are not used. The key is exact: per cell the smallest mixed-radix
  code over all valid relabellings (< 2**30), key = normal code * 2**32 + reduction code.
* Path encoding (naszilla, all 8 edges): every path from an input through ops o_0..o_{L-1} (L <= 4) to an
  intermediate node sets bit (2 c + start) * 2801 + sum_j 7**j (o_j + 1); 4 x 2801 = 11,204 bits.
"""
from __future__ import annotations

import itertools

import numpy as np

from fastnas._kernels.rng import PyRng

OPS = ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3",
       "dil_conv_5x5")
N_OPS = 7
N_EDGES = 8
PATH_BLOCK = 2801  # sum_{i <= 4} 7**i
PATH_LEN = 4 * PATH_BLOCK
ADJ_CELL = 49 + N_EDGES * N_OPS  # 105
GCN_V = 11  # c_{k-2}, c_{k-1}, 8 op nodes, output
GCN_F = 10  # one-hot over [c_{k-2}, c_{k-1}, 7 ops, output]
GCN_CELL = GCN_V * GCN_F + GCN_V * GCN_V  # 231
_RADIX = (49, 147, 294, 490)  # node k: C(k + 2, 2) input pairs x 49 op pairs


# ---------------------------------------------------------------- checks shared by the kernels
def _rows(inputs, ops) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(inputs, np.ndarray) or not isinstance(ops, np.ndarray):
        raise TypeError("inputs and ops must be numpy arrays")
    if inputs.dtype != np.int8 or ops.dtype != np.int8:
        raise TypeError("inputs and ops must have dtype int8")
    if inputs.ndim != 3 or inputs.shape[1:] != (2, 8) or ops.shape != inputs.shape:
        raise ValueError(f"expected inputs and ops of shape (N, 2, 8), got {inputs.shape} and {ops.shape}")
    for i in range(inputs.shape[0]):
        for c in range(2):
            for e in range(N_EDGES):
                if not 0 <= inputs[i, c, e] <= e // 2 + 1:
                    raise ValueError(f"row {i}: cell {c} edge {e}: input {int(inputs[i, c, e])} out of range "
                                     f"0..{e // 2 + 1}")
                if not 0 <= ops[i, c, e] < N_OPS:
                    raise ValueError(f"row {i}: cell {c} edge {e}: op {int(ops[i, c, e])} out of range 0..6")
    return inputs, ops


def _distinct(inp) -> bool:
    return all(inp[c][2 * k] != inp[c][2 * k + 1] for c in range(2) for k in range(4))


def _require_valid(inputs) -> None:
    for i in range(inputs.shape[0]):
        if not _distinct(inputs[i].tolist()):
            raise ValueError(f"row {i}: cell is not in the space (a node reads the same input twice)")


def darts_is_valid(inputs, ops) -> np.ndarray:
    """The two edges of every node read different inputs (codes are checked, out of range raises)."""
    inputs, ops = _rows(inputs, ops)
    return np.array([_distinct(inputs[i].tolist()) for i in range(inputs.shape[0])], dtype=np.bool_)


# ---------------------------------------------------------------- isomorphism key
def _cell_code(inp: list[int], op: list[int], perm: tuple[int, ...]) -> int:
    """Code of the cell relabelled by ``perm`` (old node k becomes node perm[k])."""
    where = [0] * 4
    for k, p in enumerate(perm):
        where[p] = k
    code = 0
    for p in range(4):
        k = where[p]
        pairs = []
        for e in (2 * k, 2 * k + 1):
            i = inp[e]
            pairs.append((i if i < 2 else perm[i - 2] + 2, op[e]))
        (a, oa), (b, ob) = sorted(pairs)
        digit = (b * (b - 1) // 2 + a) * 49 + oa * 7 + ob
        code = code * _RADIX[p] + digit
    return code


def _valid_perm(inp: list[int], perm: tuple[int, ...]) -> bool:
    return all(inp[e] < 2 or perm[inp[e] - 2] < perm[e // 2] for e in range(N_EDGES))


def cell_canonical_code(inp: list[int], op: list[int]) -> int:
    """Smallest code over the relabellings of the intermediate nodes that keep the DAG order."""
    return min(_cell_code(inp, op, p) for p in itertools.permutations(range(4)) if _valid_perm(inp, p))


def key_of(inp, op) -> int:
    return cell_canonical_code(list(inp[0]), list(op[0])) << 32 | cell_canonical_code(list(inp[1]), list(op[1]))


def darts_key(inputs, ops) -> np.ndarray:
    inputs, ops = _rows(inputs, ops)
    _require_valid(inputs)
    return np.array([key_of(inputs[i].tolist(), ops[i].tolist()) for i in range(inputs.shape[0])], np.uint64)


# ---------------------------------------------------------------- sampling, mutation, neighbours
def sample_one(rng: PyRng) -> tuple[list[list[int]], list[list[int]]]:
    """naszilla/NASLib sampler: per cell and node k, two distinct inputs among the k + 2 earlier nodes
    (the first uniform, the second uniform over the rest) and two uniform ops."""
    inp = [[0] * 8 for _ in range(2)]
    op = [[0] * 8 for _ in range(2)]
    for c in range(2):
        for k in range(4):
            n = k + 2
            a = rng.below(n)
            b = rng.below(n - 1)
            if b >= a:
                b += 1
            inp[c][2 * k], inp[c][2 * k + 1] = a, b
            op[c][2 * k] = rng.below(N_OPS)
            op[c][2 * k + 1] = rng.below(N_OPS)
    return inp, op


def darts_sample(seed: int, start: int, n: int):
    if n < 0:
        raise ValueError("n must be >= 0")
    inputs = np.empty((n, 2, 8), np.int8)
    ops = np.empty((n, 2, 8), np.int8)
    for i in range(n):
        inputs[i], ops[i] = sample_one(PyRng(int(seed), int(start) + i))
    return inputs, ops


def mutate_one(inp, op, rate: float, rng: PyRng):
    """Each of the 16 edges changes with probability rate / 16: with a fair draw its input (to another
    earlier node not read by its sibling edge; node 0 has none, so its edges change op) or its op (to a
    different op). Redrawn until the child is not isomorphic to the parent; after 64 failed draws the
    op of normal edge 0 changes (always a new class: the op multiset changes)."""
    parent = key_of(inp, op)
    pr = rate / 16.0
    for _ in range(64):
        ci = [list(r) for r in inp]
        co = [list(r) for r in op]
        for c in range(2):
            for e in range(N_EDGES):
                if rng.uniform() < pr:
                    k = e // 2
                    if rng.below(2) == 1 and k > 0:
                        cand = [x for x in range(k + 2) if x != ci[c][e] and x != ci[c][e ^ 1]]
                        ci[c][e] = cand[rng.below(len(cand))]
                    else:
                        co[c][e] = (co[c][e] + 1 + rng.below(N_OPS - 1)) % N_OPS
        if key_of(ci, co) != parent:
            return ci, co
    ci = [list(r) for r in inp]
    co = [list(r) for r in op]
    co[0][0] = (co[0][0] + 1 + rng.below(N_OPS - 1)) % N_OPS
    return ci, co


def darts_mutate(inputs, ops, rate: float, seed: int):
    inputs, ops = _rows(inputs, ops)
    if not rate > 0.0:
        raise ValueError(f"rate must be > 0, got {rate}")
    _require_valid(inputs)
    out_i = np.empty_like(inputs)
    out_o = np.empty_like(ops)
    for i in range(inputs.shape[0]):
        out_i[i], out_o[i] = mutate_one(inputs[i].tolist(), ops[i].tolist(), rate, PyRng(int(seed), i))
    return out_i, out_o


def neighbors_of(inp, op) -> list[tuple[list[list[int]], list[list[int]]]]:
    """All 120 single changes, raw: per cell, per edge, the 6 other ops, then the other inputs (not read
    by the sibling edge) in ascending order."""
    out = []
    for c in range(2):
        for e in range(N_EDGES):
            for o in range(N_OPS):
                if o != op[c][e]:
                    co = [list(r) for r in op]
                    co[c][e] = o
                    out.append(([list(r) for r in inp], co))
            for x in range(e // 2 + 2):
                if x != inp[c][e] and x != inp[c][e ^ 1]:
                    ci = [list(r) for r in inp]
                    ci[c][e] = x
                    out.append((ci, [list(r) for r in op]))
    return out


def darts_neighbors(inputs, ops):
    inputs, ops = _rows(inputs, ops)
    _require_valid(inputs)
    ri, ro, parent = [], [], []
    for i in range(inputs.shape[0]):
        for ci, co in neighbors_of(inputs[i].tolist(), ops[i].tolist()):
            ri.append(ci)
            ro.append(co)
            parent.append(i)
    return (np.array(ri, np.int8).reshape(-1, 2, 8), np.array(ro, np.int8).reshape(-1, 2, 8),
            np.array(parent, np.int64))


# ---------------------------------------------------------------- encodings
def darts_adjacency(inputs, ops) -> np.ndarray:
    """Per cell: the 7 x 7 DAG (c_{k-2}, c_{k-1}, 4 intermediates, output) row-major, with edge input ->
    node and every intermediate -> output, then a 7-way one-hot of each edge's op (8 x 7): 105 per cell,
    (N, 210) uint8 (normal then reduction). The layout of naszilla/NASLib ``encode_adj`` with one-hot ops."""
    inputs, ops = _rows(inputs, ops)
    out = np.zeros((inputs.shape[0], 2 * ADJ_CELL), np.uint8)
    for i in range(inputs.shape[0]):
        for c in range(2):
            base = c * ADJ_CELL
            for e in range(N_EDGES):
                out[i, base + 7 * int(inputs[i, c, e]) + e // 2 + 2] = 1
                out[i, base + 49 + N_OPS * e + int(ops[i, c, e])] = 1
            for v in range(2, 6):
                out[i, base + 7 * v + 6] = 1
    return out


def path_indices(inp, op, naslib: bool = False) -> list[int]:
    """Sorted distinct path-encoding indices of one cell pair (naszilla definition, all 8 edges; with
    ``naslib`` NASLib's quirk: its loop visits only edges 0..6 of each cell)."""
    found = set()
    for c in range(2):
        to_node = [[] for _ in range(4)]  # (start input, index, length) of paths ending at node k
        for e in range(N_EDGES - 1 if naslib else N_EDGES):
            k, i, o = e // 2, inp[c][e], op[c][e]
            if i < 2:
                ext = [(i, 0, 0)]
            else:
                ext = to_node[i - 2]
            for s, idx, ln in list(ext):
                new = (s, idx + 7**ln * (o + 1), ln + 1)
                to_node[k].append(new)
                found.add((2 * c + s) * PATH_BLOCK + new[1])
    return sorted(found)


def darts_path(inputs, ops, k: int, naslib: bool = False) -> np.ndarray:
    """First ``k`` entries of the 11,204-bit path encoding: (N, k) uint8 (``naslib``: NASLib's 7-edge quirk)."""
    inputs, ops = _rows(inputs, ops)
    if not 0 < k <= PATH_LEN:
        raise ValueError(f"k must be in 1..{PATH_LEN}, got {k}")
    out = np.zeros((inputs.shape[0], k), np.uint8)
    for i in range(inputs.shape[0]):
        for idx in path_indices(inputs[i].tolist(), ops[i].tolist(), bool(naslib)):
            if idx < k:
                out[i, idx] = 1
    return out


def gcn_cell(inp, op) -> tuple[np.ndarray, np.ndarray]:
    """Op-on-node graph of one cell: vertices 0 c_{k-2}, 1 c_{k-1}, 2 + e the op of edge e, 10 output.
    Edge e's op vertex reads vertex inp[e] when that is an input, else both op vertices of the node it
    reads; all 8 op vertices feed the output. Features (11 x 10) one-hot over [c_{k-2}, c_{k-1}, 7 ops,
    output]; adjacency row-normalised directed A + I (11 x 11), as the NB201 ``gcn`` encoding."""
    a = np.zeros((GCN_V, GCN_V))
    x = np.zeros((GCN_V, GCN_F))
    x[0, 0] = x[1, 1] = 1.0
    x[10, 9] = 1.0
    for e in range(N_EDGES):
        i = inp[e]
        if i < 2:
            a[i, 2 + e] = 1.0
        else:
            a[2 + 2 * (i - 2), 2 + e] = 1.0
            a[3 + 2 * (i - 2), 2 + e] = 1.0
        a[2 + e, 10] = 1.0
        x[2 + e, 2 + op[e]] = 1.0
    a += np.eye(GCN_V)
    return (a / a.sum(axis=1, keepdims=True)).astype(np.float32), x.astype(np.float32)


def darts_gcn(inputs, ops) -> np.ndarray:
    """Per cell [features (11 x 10), adjacency (11 x 11)] row-major, normal then reduction: (N, 462) float32."""
    inputs, ops = _rows(inputs, ops)
    out = np.empty((inputs.shape[0], 2 * GCN_CELL), np.float32)
    for i in range(inputs.shape[0]):
        for c in range(2):
            adj, x = gcn_cell(inputs[i, c].tolist(), ops[i, c].tolist())
            base = c * GCN_CELL
            out[i, base:base + 110] = x.ravel()
            out[i, base + 110:base + GCN_CELL] = adj.ravel()
    return out

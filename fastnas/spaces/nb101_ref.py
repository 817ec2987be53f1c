"""Pure-Python reference twins of the NB101 kernels: the specification, written from the definitions.

Sources: NAS-Bench-101 (Ying et al. 2019) and its ``nasbench`` code for pruning (``ModelSpec``) and the
fingerprint (``graph_util.hash_module``); BANANAS (White et al. 2021) for mutation and the path encoding;
the project's NAS definitions notes (NAS-DEFINITIONS, section 1; Ying et al. 2019, nasbench). Each function takes exactly the arguments of its
compiled twin in ``fastnas._core`` (``csrc/bind_nb101.cpp``) and returns identical values; they are slow
and readable on purpose (one Python loop per cell).

A row is ``matrix`` (7, 7) uint8, ``ops`` (7,) int8 and ``n`` (uint8): only the strict upper triangle of
the leading n x n block is read, and any nonzero entry there is an edge.
"""
from __future__ import annotations

import hashlib
import itertools

import numpy as np

from fastnas._kernels.rng import PyRng

MAX_V = 7
MAX_EDGES = 9
PATH_LEN = 364
# check codes (src/nb101.hpp CheckError)
OK, BAD_SIZE, UNKNOWN_OP, INPUT_MISPLACED, OUTPUT_MISPLACED, NOT_BINARY, NOT_UPPER, BAD_PADDING = range(8)


# ---------------------------------------------------------------- array plumbing
def _need(a, name: str, dtype, tail: tuple) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name}: expected a numpy array")
    if a.dtype != np.dtype(dtype):
        raise TypeError(f"{name}: expected dtype {np.dtype(dtype)}, got {a.dtype}")
    if a.ndim != 1 + len(tail):
        raise ValueError(f"{name}: expected {1 + len(tail)} dimensions, got {a.ndim}")
    if tuple(a.shape[1:]) != tail:
        raise ValueError(f"{name}: wrong shape")
    return a


def _rows(matrix, ops, nv, check_rows: bool = True):
    matrix = _need(matrix, "matrix", np.uint8, (7, 7))
    ops = _need(ops, "ops", np.int8, (7,))
    nv = _need(nv, "n_vertices", np.uint8, ())
    if not (len(ops) == len(nv) == len(matrix)):
        raise ValueError("matrix, ops and n_vertices must have the same number of rows")
    if check_rows:  # the kernels rely on well-formed rows, whatever built the arrays
        for i in range(len(nv)):
            if check_row(matrix[i], ops[i], nv[i]) != OK:
                raise ValueError(f"row {i}: {describe_row(matrix[i], ops[i], nv[i])}")
    return matrix, ops, nv


class Cell:
    """One cell: ``n`` vertices, ``succ[i]`` the sorted successors of vertex i, ``ops`` op codes."""

    __slots__ = ("n", "succ", "ops")

    def __init__(self, n: int, succ: list[list[int]], ops: list[int]):
        self.n, self.succ, self.ops = n, succ, ops

    @classmethod
    def from_row(cls, matrix: np.ndarray, ops: np.ndarray, n: int) -> "Cell":
        n = int(n)
        succ = [[j for j in range(i + 1, n) if matrix[i, j] != 0] for i in range(n)]
        return cls(n, succ, [int(x) for x in ops[:n]])

    def to_row(self):
        m = np.zeros((7, 7), np.uint8)
        o = np.full(7, -3, np.int8)
        for i in range(self.n):
            for j in self.succ[i]:
                m[i, j] = 1
        o[: self.n] = self.ops
        return m, o, self.n

    def copy(self) -> "Cell":
        return Cell(self.n, [list(s) for s in self.succ], list(self.ops))

    def edges(self) -> int:
        return sum(len(s) for s in self.succ)

    def preds(self, v: int) -> list[int]:
        return [u for u in range(self.n) if v in self.succ[u]]


def _pack(cells: list[Cell]):
    n = len(cells)
    m = np.zeros((n, 7, 7), np.uint8)
    o = np.full((n, 7), -3, np.int8)
    v = np.zeros(n, np.uint8)
    for i, c in enumerate(cells):
        m[i], o[i], v[i] = c.to_row()
    return m, o, v


# ---------------------------------------------------------------- checks and pruning
def check_row(matrix: np.ndarray, ops: np.ndarray, n: int) -> int:
    """Error code of a raw row (first failing rule in this order)."""
    n = int(n)
    if n < 2 or n > 7:
        return BAD_SIZE
    if (matrix > 1).any():
        return NOT_BINARY
    for i in range(n):
        for j in range(i + 1):
            if matrix[i, j]:
                return NOT_UPPER
    if ops[0] != -1:
        return INPUT_MISPLACED
    if ops[n - 1] != -2:
        return OUTPUT_MISPLACED
    for i in range(1, n - 1):
        if ops[i] == -1:
            return INPUT_MISPLACED
        if ops[i] == -2:
            return OUTPUT_MISPLACED
        if not 0 <= ops[i] <= 2:
            return UNKNOWN_OP
    if (ops[n:] != -3).any() or matrix[n:, :].any() or matrix[:, n:].any():
        return BAD_PADDING
    return OK


REASONS = {
    BAD_SIZE: "size outside 2..7",
    UNKNOWN_OP: "unknown op",
    INPUT_MISPLACED: "input misplaced",
    OUTPUT_MISPLACED: "output misplaced",
    NOT_BINARY: "non-0/1 entries",
    NOT_UPPER: "not strictly upper triangular",
    BAD_PADDING: "nonzero padding beyond n_vertices (matrix entries or ops other than -3)",
}


def describe_row(matrix: np.ndarray, ops: np.ndarray, n: int) -> str:
    """Why a raw row is malformed and where (``""`` for a good row), e.g.
    ``"non-0/1 entries (matrix[0][1] = 255)"``: the first failing rule of ``check_row`` and its first
    offending entry in row-major order. Every backend raises ``ValueError("row i: " + this)``."""
    code = check_row(matrix, ops, n)
    if code == OK:
        return ""
    n = int(n)
    m = [[int(x) for x in r] for r in matrix]
    o = [int(x) for x in ops]
    cells = [(a, b) for a in range(7) for b in range(7)]
    if code == BAD_SIZE:
        detail = f"n_vertices = {n}"
    elif code == NOT_BINARY:
        a, b = next((a, b) for a, b in cells if m[a][b] > 1)
        detail = f"matrix[{a}][{b}] = {m[a][b]}"
    elif code == NOT_UPPER:
        a, b = next((a, b) for a, b in cells if a < n and b <= a and m[a][b])
        detail = f"matrix[{a}][{b}] = {m[a][b]} is on or below the diagonal"
    elif code in (INPUT_MISPLACED, OUTPUT_MISPLACED):
        label, home = (-1, 0) if code == INPUT_MISPLACED else (-2, n - 1)
        k = next((k for k in range(n) if (o[k] == label) != (k == home)), n)
        rule = "'input' (-1) must be vertex 0 only" if label == -1 else f"'output' (-2) must be vertex {n - 1} only"
        detail = f"{rule}; op codes {o[:n]}, vertex {k}"
    elif code == UNKNOWN_OP:
        k = next(k for k in range(1, n - 1) if not 0 <= o[k] <= 2)
        detail = f"op code {o[k]} at vertex {k}; valid inner codes 0, 1, 2"
    else:
        k = next((k for k in range(n, 7) if o[k] != -3), None)
        if k is not None:
            detail = f"n_vertices = {n} but ops[{k}] = {o[k]}"
        else:
            a, b = next((a, b) for a, b in cells if (a >= n or b >= n) and m[a][b])
            detail = f"n_vertices = {n} but matrix[{a}][{b}] = {m[a][b]}"
    return f"{REASONS[code]} ({detail})"


def nb101_check(matrix, ops, nv) -> np.ndarray:
    matrix, ops, nv = _rows(matrix, ops, nv, check_rows=False)
    return np.array([check_row(matrix[i], ops[i], nv[i]) for i in range(len(nv))], dtype=np.int8)


def prune_cell(c: Cell) -> Cell | None:
    """nasbench ModelSpec pruning: keep vertices reachable from the input that also reach the output;
    None when the input does not reach the output."""
    n = c.n
    fwd = {0}
    for i in range(n):  # vertex order is topological
        if i in fwd:
            fwd.update(c.succ[i])
    bwd = {n - 1}
    for i in range(n - 2, -1, -1):
        if any(j in bwd for j in c.succ[i]):
            bwd.add(i)
    keep = sorted(fwd & bwd)
    if 0 not in keep:
        return None
    new = {v: k for k, v in enumerate(keep)}
    return Cell(len(keep), [[new[w] for w in c.succ[v] if w in new] for v in keep], [c.ops[v] for v in keep])


def pruned_valid(c: Cell) -> Cell | None:
    """The pruned cell if it is in the space (connected, <= 9 edges), else None."""
    p = prune_cell(c)
    if p is None or p.edges() > MAX_EDGES:
        return None
    return p


def nb101_prune(matrix, ops, nv):
    matrix, ops, nv = _rows(matrix, ops, nv)
    out, valid = [], []
    for i in range(len(nv)):
        c = Cell.from_row(matrix[i], ops[i], nv[i])
        p = prune_cell(c)
        valid.append(p is not None and p.edges() <= MAX_EDGES)
        out.append(p if p is not None else c)
    m, o, v = _pack(out)
    return m, o, v, np.array(valid, dtype=bool)


def nb101_is_valid(matrix, ops, nv) -> np.ndarray:
    matrix, ops, nv = _rows(matrix, ops, nv)
    return np.array([pruned_valid(Cell.from_row(matrix[i], ops[i], nv[i])) is not None for i in range(len(nv))],
                    dtype=bool)


# ---------------------------------------------------------------- canonical key
def _invariant(c: Cell, v: int, depth: list[int], height: list[int]) -> tuple:
    return (c.ops[v] & 3, len(c.preds(v)), len(c.succ[v]), depth[v], height[v])


def _slot_pairs():
    """Bit of each ordered slot pair in the 31-bit edge field (src/nb101_key.cpp)."""
    bits = {}
    for t in range(1, 7):
        bits[(0, t)] = 30 - (t - 1)
    for s in range(1, 6):
        bits[(s, 6)] = 24 - (s - 1)
    k = 0
    for s in range(1, 6):
        for t in range(1, 6):
            if s != t:
                bits[(s, t)] = 19 - k
                k += 1
    return bits


_BITS = _slot_pairs()


def canonical_key(c: Cell) -> int:
    """Key of a pruned valid cell: V << 41 | ops << 31 | min over invariant-sorted inner orderings of the
    edge field. Slow and literal: tries every permutation and keeps those that sort the invariants."""
    V = c.n
    inner = list(range(1, V - 1))
    depth = [0] * V
    for u in range(V):
        for w in c.succ[u]:
            depth[w] = max(depth[w], depth[u] + 1)
    height = [0] * V
    for u in range(V - 2, -1, -1):
        height[u] = max((height[w] + 1 for w in c.succ[u]), default=0)
    inv = {v: _invariant(c, v, depth, height) for v in inner}
    best = None
    for order in itertools.permutations(inner):
        if any(inv[order[p]] > inv[order[p + 1]] for p in range(len(order) - 1)):
            continue
        slot = {0: 0, V - 1: 6}
        slot.update({v: p + 1 for p, v in enumerate(order)})
        code = 0
        for u in range(V):
            for w in c.succ[u]:
                code |= 1 << _BITS[(slot[u], slot[w])]
        if best is None or code < best:
            best = code
            best_order = order
    ops = 0
    for p in range(1, 6):
        op = (c.ops[best_order[p - 1]] & 3) if p <= len(inner) else 3
        ops |= op << (2 * (5 - p))
    return (V << 41) | (ops << 31) | best


def key_of(c: Cell) -> int:
    p = pruned_valid(c)
    return 0 if p is None else canonical_key(p)


NOT_IN_SPACE = "cell is not in the space (disconnected or more than 9 edges)"


def _raise_first_invalid(ok) -> None:
    for i, good in enumerate(ok):
        if not good:
            raise ValueError(f"row {i}: {NOT_IN_SPACE}")


def nb101_key(matrix, ops, nv, raise_invalid: bool = False) -> np.ndarray:
    """Keys (0 for rows outside the space, or ``ValueError`` for the first such row if ``raise_invalid``)."""
    matrix, ops, nv = _rows(matrix, ops, nv)
    keys = [key_of(Cell.from_row(matrix[i], ops[i], nv[i])) for i in range(len(nv))]
    if raise_invalid:
        _raise_first_invalid(keys)
    return np.array(keys, dtype=np.uint64)


# ---------------------------------------------------------------- the nasbench fingerprint
def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def fingerprint(c: Cell) -> str:
    """graph_util.hash_module on a pruned cell (labels input -1, output -2, op codes inside)."""
    V = c.n
    labels = [-1] + c.ops[1:-1] + [-2]
    preds = [c.preds(v) for v in range(V)]
    hashes = [_md5(str((len(c.succ[v]), len(preds[v]), labels[v]))) for v in range(V)]
    for _ in range(V):
        hashes = [
            _md5("".join(sorted(hashes[w] for w in preds[v])) + "|"
                 + "".join(sorted(hashes[w] for w in c.succ[v])) + "|" + hashes[v])
            for v in range(V)
        ]
    return _md5(str(sorted(hashes)))


def nb101_hash(matrix, ops, nv, threads: int = 0, raise_invalid: bool = False) -> np.ndarray:
    """(N, 32) ASCII bytes of the fingerprints; zero bytes for rows not in the space, or ``ValueError`` for
    the first such row if ``raise_invalid`` (``threads`` is accepted for signature parity and ignored)."""
    matrix, ops, nv = _rows(matrix, ops, nv)
    if raise_invalid:
        _raise_first_invalid([pruned_valid(Cell.from_row(matrix[i], ops[i], nv[i])) is not None
                              for i in range(len(nv))])
    out = np.zeros((len(nv), 32), np.uint8)
    for i in range(len(nv)):
        p = pruned_valid(Cell.from_row(matrix[i], ops[i], nv[i]))
        if p is not None:
            out[i] = np.frombuffer(fingerprint(p).encode("ascii"), np.uint8)
    return out


# ---------------------------------------------------------------- enumeration
def _pairs(v: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(v) for j in range(i + 1, v)]


def nb101_enumerate(v: int):
    """Unique cells with exactly v vertices: every full DAG (no all-zero row but the last, no all-zero
    column but the first) with <= 9 edges, matrices by bit mask ascending (bit t = t-th row-major pair),
    op labellings lexicographic (vertex 1 most significant); the first of each isomorphism class."""
    if v < 2 or v > 7:
        raise ValueError(f"n_vertices must be in 2..7, got {v}")
    pairs = _pairs(v)
    seen, cells, keys = set(), [], []
    for b in range(1 << len(pairs)):
        if bin(b).count("1") > MAX_EDGES:
            continue
        succ = [[] for _ in range(v)]
        for t, (i, j) in enumerate(pairs):
            if b >> t & 1:
                succ[i].append(j)
        if any(not succ[i] for i in range(v - 1)):
            continue
        if any(not any(j in succ[i] for i in range(j)) for j in range(1, v)):
            continue
        for labels in itertools.product(range(3), repeat=v - 2):
            c = Cell(v, [list(s) for s in succ], [-1, *labels, -2])
            k = canonical_key(c)
            if k not in seen:
                seen.add(k)
                cells.append(c)
                keys.append(k)
    m, o, n = _pack(cells)
    return m, o, n, np.array(keys, dtype=np.uint64)


# ---------------------------------------------------------------- sampling, mutation, neighbours
_PAIRS7 = _pairs(7)


def sample_cell(rng: PyRng, mode: int) -> Cell:
    """mode 0 (the reference sampler, naszilla/nasbench): 21 fair bits (one draw, bit t = t-th pair) and
    5 ops (below(3) each), rejection until the pruned cell is in the space; returns it pruned.
    mode 1: the same draws, accepted only for full 7-vertex DAGs with <= 9 edges (uniform over them)."""
    while True:
        bits = rng.next()
        succ = [[] for _ in range(7)]
        for t, (i, j) in enumerate(_PAIRS7):
            if bits >> t & 1:
                succ[i].append(j)
        ops = [-1] + [rng.below(3) for _ in range(5)] + [-2]
        c = Cell(7, succ, ops)
        p = pruned_valid(c)
        if mode == 0 and p is not None:
            return p
        if mode == 1 and p is not None and p.n == 7:
            return c


def nb101_sample(seed: int, start: int, n: int, mode: int):
    if n < 0:
        raise ValueError("n must be >= 0")
    if mode not in (0, 1):
        raise ValueError("mode must be 0 (reference) or 1 (full)")
    return _pack([sample_cell(PyRng(int(seed), int(start) + i), mode) for i in range(n)])


def mutate_cell(parent: Cell, parent_key: int, rate: float, rng: PyRng) -> Cell:
    """BANANAS mutation. The parent is embedded in 7 vertices (output to vertex 6, new inner vertices
    with ops drawn by below(3) in vertex order). Each try flips each of the 21 upper-triangular bits with
    probability rate/21 and replaces each inner op with probability rate/5 (both capped at 1) by a
    different op ((op + 1 + below(2)) % 3); the first try that changes something, is in the space and is
    not isomorphic to the parent is returned, pruned.

    Decisions use 16-bit lanes: a try draws 7 numbers, giving 28 lanes (low 16 bits first); lane t < 21
    decides the flip of the t-th row-major pair, lane 20 + v the op change of vertex v; a decision with
    probability p fires when its lane is below floor(p * 65536).
    """
    n = parent.n
    slot = list(range(n - 1)) + [6]
    base_succ = [[] for _ in range(7)]
    base_ops = [-3] * 7
    for v in range(n):
        base_ops[slot[v]] = parent.ops[v]
        base_succ[slot[v]] = [slot[w] for w in parent.succ[v]]
    for v in range(n - 1, 6):
        base_ops[v] = rng.below(3)
    te = int(min(1.0, rate / 21.0) * 65536.0)
    to = int(min(1.0, rate / 5.0) * 65536.0)
    while True:
        draws = [rng.next() for _ in range(7)]
        lanes = [(draws[t // 4] >> (16 * (t % 4))) & 0xFFFF for t in range(28)]
        adj = [[j in base_succ[i] for j in range(7)] for i in range(7)]
        ops = list(base_ops)
        changed = False
        for t, (i, j) in enumerate(_PAIRS7):
            if lanes[t] < te:
                adj[i][j] = not adj[i][j]
                changed = True
        for v in range(1, 6):
            if lanes[20 + v] < to:
                ops[v] = (ops[v] + 1 + rng.below(2)) % 3
                changed = True
        if not changed:
            continue
        p = pruned_valid(Cell(7, [[j for j in range(7) if adj[i][j]] for i in range(7)], ops))
        if p is not None and canonical_key(p) != parent_key:
            return p


def nb101_mutate(matrix, ops, nv, rate: float, seed: int):
    matrix, ops, nv = _rows(matrix, ops, nv)
    rate = float(rate)
    if not (0.001 <= rate <= 20.0):  # keeps every decision probability strictly inside (0, 1)
        raise ValueError("rate must be in [0.001, 20]")
    parents = [Cell.from_row(matrix[i], ops[i], nv[i]) for i in range(len(nv))]
    keys = []
    for i, c in enumerate(parents):
        keys.append(key_of(c))
        if keys[-1] == 0 or check_row(matrix[i], ops[i], nv[i]) != OK:
            raise ValueError(f"row {i}: parent cell is not in the space (or malformed)")
    return _pack([mutate_cell(c, k, rate, PyRng(int(seed), i)) for i, (c, k) in enumerate(zip(parents, keys))])


def neighbors_of(cell: Cell) -> list[Cell]:
    """All single edits of the pruned cell (flip one upper-triangular bit, row-major; then change one
    inner op to each other op, ascending) that are in the space, pruned, not isomorphic to the cell,
    first of each isomorphism class."""
    p = pruned_valid(cell)
    pk = canonical_key(p)
    seen, out = {pk}, []
    candidates = []
    for i, j in _pairs(p.n):
        c = p.copy()
        c.succ[i] = sorted(set(c.succ[i]) ^ {j})
        candidates.append(c)
    for v in range(1, p.n - 1):
        for op in range(3):
            if op != p.ops[v]:
                c = p.copy()
                c.ops[v] = op
                candidates.append(c)
    for c in candidates:
        q = pruned_valid(c)
        if q is None:
            continue
        k = canonical_key(q)
        if k not in seen:
            seen.add(k)
            out.append(q)
    return out


def nb101_neighbors(matrix, ops, nv):
    matrix, ops, nv = _rows(matrix, ops, nv)
    cells = [Cell.from_row(matrix[i], ops[i], nv[i]) for i in range(len(nv))]
    for i, c in enumerate(cells):
        if pruned_valid(c) is None or check_row(matrix[i], ops[i], nv[i]) != OK:
            raise ValueError(f"row {i}: cell is not in the space (or malformed)")
    out, parent = [], []
    for i, c in enumerate(cells):
        nb = neighbors_of(c)
        out += nb
        parent += [i] * len(nb)
    m, o, v = _pack(out)
    return m, o, v, np.array(parent, dtype=np.int64)


# ---------------------------------------------------------------- path encoding
def path_indices_of(c: Cell) -> list[int]:
    """Indices of the input -> output paths: ops o_0..o_{L-1} of the inner vertices on the path give
    sum_i 3^i (o_i + 1) (BANANAS); the direct edge is index 0. Sorted, with repeats removed."""
    found = set()

    def walk(v: int, index: int, length: int) -> None:
        for w in c.succ[v]:
            if w == c.n - 1:
                found.add(index)
            elif length < 5:
                walk(w, index + 3 ** length * ((c.ops[w] & 3) + 1), length + 1)

    walk(0, 0, 0)
    return sorted(found)


def nb101_path(matrix, ops, nv, k: int, raise_invalid: bool = False) -> np.ndarray:
    matrix, ops, nv = _rows(matrix, ops, nv)
    if k < 0 or k > PATH_LEN:
        raise ValueError(f"k must be in 0..364, got {k}")
    if raise_invalid:
        _raise_first_invalid([pruned_valid(Cell.from_row(matrix[i], ops[i], nv[i])) is not None
                              for i in range(len(nv))])
    out = np.zeros((len(nv), k), np.uint8)
    for i in range(len(nv)):
        for idx in path_indices_of(Cell.from_row(matrix[i], ops[i], nv[i])):
            if idx < k:
                out[i, idx] = 1
    return out

"""Pure-Python reference twins of the NAS-Bench-Graph kernels (the specification; slow).

Definitions (NAS-Bench-Graph, Qin et al. 2022; PyPI ``nas-bench-graph==1.4.0``, Apache-2.0,
``nas_bench_graph/architecture.py``), restated here in our own words and code:

* An architecture is a macro ``link`` list of 4 ints and 4 GNN ops. ``link[i]`` is the input of node
  ``i + 1``: 0 is the graph input, ``j >= 1`` is the output of node ``j`` (so ``link[i] <= i``; 24 lists).
* 9 link lists are the canonical patterns (``LINKS``); the other 15 are relabellings of one of them and
  ``regularize`` maps them there with a permutation of the ops (table ``_REGULARIZE``).
* Op codes follow the package's ``gnn_list``: 0 gat, 1 gcn, 2 gin, 3 cheb, 4 sage, 5 arma, 6 graph,
  7 fc, 8 skip. The proteins dataset allows only gcn, sage, arma, fc, skip (its keys use the same codes).
* Canonical form: regularize, then move skip nodes (``_move_skips``), then sort the ops of nodes that are
  interchangeable in the pattern (``_sort_equal``). The benchmark key ("valid_hash") is the canonical
  pattern index followed by the 4 op codes as base-10 digits: ``((((p*10 + o0)*10 + o1)*10 + o2)*10 + o3``.
* 26,206 canonical architectures exist (all-skip excluded); 2,021 with the proteins ops.

Every function takes and returns arrays; kernels in ``src/nbgraph.cpp`` return identical values and
raise the same exception types.
"""
from __future__ import annotations

import numpy as np

from fastnas._kernels.rng import PyRng

LINKS = (
    (0, 0, 0, 0),
    (0, 0, 0, 1),
    (0, 0, 1, 1),
    (0, 0, 1, 2),
    (0, 0, 1, 3),
    (0, 1, 1, 1),
    (0, 1, 1, 2),
    (0, 1, 2, 2),
    (0, 1, 2, 3),
)
OPS = ("gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip")
PROTEINS_OPS = ("gcn", "sage", "arma", "fc", "skip")
SKIP = 8
N_LINKS = 9
N_OPS = 9
ALL_OPS_MASK = (1 << N_OPS) - 1
PROTEINS_MASK = sum(1 << OPS.index(o) for o in PROTEINS_OPS)

# non-canonical link list -> (canonical link list, new op order as indices into the old ops).
# Facts from the benchmark's ``regularize``: e.g. [0,0,0,2] is [0,0,0,1] with nodes 1 and 2 swapped.
_REGULARIZE = {
    (0, 0, 0, 2): ((0, 0, 0, 1), (1, 0, 2, 3)),
    (0, 0, 0, 3): ((0, 0, 0, 1), (2, 0, 1, 3)),
    (0, 0, 1, 0): ((0, 0, 0, 1), (0, 1, 3, 2)),
    (0, 0, 2, 0): ((0, 0, 0, 1), (1, 0, 3, 2)),
    (0, 0, 2, 1): ((0, 0, 1, 2), (1, 0, 2, 3)),
    (0, 0, 2, 2): ((0, 0, 1, 1), (1, 0, 2, 3)),
    (0, 0, 2, 3): ((0, 0, 1, 3), (1, 0, 2, 3)),
    (0, 1, 0, 0): ((0, 0, 0, 1), (0, 2, 3, 1)),
    (0, 1, 0, 1): ((0, 0, 1, 1), (0, 2, 1, 3)),
    (0, 1, 0, 2): ((0, 0, 1, 3), (0, 2, 1, 3)),
    (0, 1, 0, 3): ((0, 0, 1, 2), (0, 2, 1, 3)),
    (0, 1, 1, 0): ((0, 0, 1, 1), (0, 3, 1, 2)),
    (0, 1, 1, 3): ((0, 1, 1, 2), (0, 2, 1, 3)),
    (0, 1, 2, 0): ((0, 0, 1, 3), (0, 3, 1, 2)),
    (0, 1, 2, 1): ((0, 1, 1, 2), (0, 1, 3, 2)),
}
# positions whose ops are sorted ascending in the canonical form, per pattern (pattern 3 is special)
_SORTED_POSITIONS = {0: (0, 1, 2, 3), 1: (1, 2), 2: (2, 3), 5: (1, 2, 3), 7: (2, 3)}


def regularize(link, ops) -> tuple[int, list[int]]:
    """(pattern index, ops) of any of the 24 link lists; ValueError if ``link`` is not one."""
    link = tuple(int(x) for x in link)
    ops = [int(o) for o in ops]
    if link in LINKS:
        return LINKS.index(link), ops
    if link not in _REGULARIZE:
        raise ValueError(f"link {list(link)} is not a NAS-Bench-Graph link list (need link[0] = 0, link[i] <= i)")
    canon, order = _REGULARIZE[link]
    return LINKS.index(canon), [ops[j] for j in order]


def _only_skips_to_input(k: int, link: list[int], ops: list[int]) -> bool:
    # node k and every node on its chain of inputs back to the graph input are skips
    while k >= 0:
        if ops[k] != SKIP:
            return False
        k = link[k] - 1
    return True


def _move_to_front(k: int, link: list[int], ops: list[int]) -> tuple[list[int], list[int]]:
    """Node k (a skip) becomes node 0 reading the graph input; its children read its input instead;
    every other reference is renumbered."""
    new_link = []
    for i, src in enumerate(link):
        if i == k:
            continue
        if src == k + 1:  # a child of the moved skip reads the skip's own input (renumbered)
            new_link.append(link[k] + 1)
        elif src <= k:
            new_link.append(src + 1)
        else:
            new_link.append(src)
    return [0] + new_link, [ops[k]] + ops[:k] + ops[k + 1:]


def _move_skips(link: list[int], ops: list[int]) -> tuple[list[int], list[int]]:
    """The benchmark's skip normalisation: positions are visited 0..3 on the list as it changes; a skip
    at position i is moved to the front when it has a child, or has no sibling (no other node with
    the same input), or (childless) it and its whole input chain are skips. Two leftover link lists
    are then relabelled to pattern [0,1,1,2]."""
    for i in range(4):
        if ops[i] != SKIP:
            continue
        has_child = any(src == i + 1 for src in link)
        has_sibling = any(j != i and link[j] == link[i] for j in range(4))
        if has_child or not has_sibling or _only_skips_to_input(i, link, ops):
            link, ops = _move_to_front(i, link, ops)
    if link == [0, 1, 2, 1]:
        link, ops = [0, 1, 1, 2], [ops[0], ops[1], ops[3], ops[2]]
    elif link == [0, 1, 1, 3]:
        link, ops = [0, 1, 1, 2], [ops[0], ops[2], ops[1], ops[3]]
    return link, ops


def _sort_equal(p: int, ops: list[int]) -> list[int]:
    ops = list(ops)
    if p in _SORTED_POSITIONS:
        pos = _SORTED_POSITIONS[p]
        for q, v in zip(pos, sorted(ops[q] for q in pos)):
            ops[q] = v
    elif p == 3:  # [0,0,1,2]: the two branches (0 -> 2) and (1 -> 3) may be swapped as wholes
        if ops[0] > ops[1] or (ops[0] == ops[1] and ops[2] > ops[3]):
            ops = [ops[1], ops[0], ops[3], ops[2]]
    return ops


def canonical(p: int, ops) -> tuple[int, list[int]]:
    """Canonical (pattern, ops) of pattern ``p`` with ``ops``."""
    link, o = _move_skips(list(LINKS[p]), [int(x) for x in ops])
    q = LINKS.index(tuple(link))
    return q, _sort_equal(q, o)


def hash_of(p: int, ops) -> int:
    """The benchmark key of a (pattern, ops) already in canonical form."""
    h = p
    for o in ops:
        h = h * 10 + int(o)
    return h


# ---------------------------------------------------------------- checks shared by the kernels
def _rows(link, ops) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(link, np.ndarray) or not isinstance(ops, np.ndarray):
        raise TypeError("link and ops must be numpy arrays")
    if link.dtype != np.int8 or ops.dtype != np.int8:
        raise TypeError("link and ops must have dtype int8")
    if link.ndim != 1 or ops.ndim != 2 or ops.shape[1] != 4:
        raise ValueError(f"expected link (N,) and ops (N, 4), got {link.shape} and {ops.shape}")
    if link.shape[0] != ops.shape[0]:
        raise ValueError("link and ops must have the same number of rows")
    for i in range(link.shape[0]):
        if not 0 <= link[i] < N_LINKS:
            raise ValueError(f"row {i}: link pattern {int(link[i])} out of range 0..8")
        for j in range(4):
            if not 0 <= ops[i, j] < N_OPS:
                raise ValueError(f"row {i}: op {int(ops[i, j])} at node {j} out of range 0..8")
    return link, ops


def _check_mask(allowed: int) -> int:
    allowed = int(allowed)
    if allowed <= 0 or allowed > ALL_OPS_MASK or bin(allowed & ~(1 << SKIP)).count("1") < 2:
        raise ValueError("allowed must be a 9-bit op mask holding at least two ops besides skip")
    return allowed


# ---------------------------------------------------------------- kernels (reference twins)
def nbgraph_canonical(link, ops):
    """Canonical form of every row: (link (N,) int8, ops (N, 4) int8)."""
    link, ops = _rows(link, ops)
    out_l = np.empty_like(link)
    out_o = np.empty_like(ops)
    for i in range(link.shape[0]):
        q, o = canonical(int(link[i]), ops[i])
        out_l[i] = q
        out_o[i] = o
    return out_l, out_o


def nbgraph_hash(link, ops) -> np.ndarray:
    """The benchmark key (``Arch(link, ops).valid_hash()``) of every row, int64."""
    link, ops = _rows(link, ops)
    out = np.empty(link.shape[0], np.int64)
    for i in range(link.shape[0]):
        q, o = canonical(int(link[i]), ops[i])
        out[i] = hash_of(q, o)
    return out


def nbgraph_unhash(hashes):
    """Decode keys into (link, ops) (digits only; the caller checks canonicity)."""
    if not isinstance(hashes, np.ndarray) or hashes.dtype != np.int64 or hashes.ndim != 1:
        raise TypeError("hashes must be a 1-d int64 numpy array")
    n = hashes.shape[0]
    link = np.empty(n, np.int8)
    ops = np.empty((n, 4), np.int8)
    for i in range(n):
        h = int(hashes[i])
        if h < 0 or h >= 90000:
            raise ValueError(f"row {i}: {h} is not a NAS-Bench-Graph key (need 0 <= key < 90000)")
        digits = [h // 10000, h // 1000 % 10, h // 100 % 10, h // 10 % 10, h % 10]
        if max(digits[1:]) > 8:
            raise ValueError(f"row {i}: {h} is not a NAS-Bench-Graph key (op digit 9)")
        link[i] = digits[0]
        ops[i] = digits[1:]
    return link, ops


def nbgraph_is_valid(link, ops, allowed: int) -> np.ndarray:
    """In the space: every op allowed (mask over op codes) and not all four ops skip."""
    link, ops = _rows(link, ops)
    allowed = _check_mask(allowed)
    out = np.empty(link.shape[0], np.bool_)
    for i in range(link.shape[0]):
        o = [int(x) for x in ops[i]]
        out[i] = all(allowed >> x & 1 for x in o) and o != [SKIP] * 4
    return out


def _allowed_list(allowed: int) -> list[int]:
    return [o for o in range(N_OPS) if allowed >> o & 1]


def sample_one(rng: PyRng, allowed: list[int]) -> tuple[int, list[int]]:
    """A pattern uniform over 9, ops uniform over the allowed ones, redrawn while all are skip."""
    while True:
        p = rng.below(N_LINKS)
        o = [allowed[rng.below(len(allowed))] for _ in range(4)]
        if o != [SKIP] * 4:
            return p, o


def nbgraph_sample(seed: int, start: int, n: int, allowed: int):
    if n < 0:
        raise ValueError("n must be >= 0")
    allowed_l = _allowed_list(_check_mask(allowed))
    link = np.empty(n, np.int8)
    ops = np.empty((n, 4), np.int8)
    for i in range(n):
        link[i], ops[i] = sample_one(PyRng(int(seed), int(start) + i), allowed_l)
    return link, ops


def mutate_one(p: int, ops: list[int], rate: float, allowed: list[int], rng: PyRng) -> tuple[int, list[int]]:
    """Each of the 5 genes (pattern, 4 ops) changes with probability rate/5 to a different value;
    redrawn until the result is valid and not isomorphic to the parent; after 64 failed draws node 0
    takes a different non-skip op (always valid and never isomorphic: the op multiset changes)."""
    parent = hash_of(*canonical(p, ops))
    for _ in range(64):
        q, o = p, list(ops)
        if rng.uniform() < rate / 5.0:
            q = (p + 1 + rng.below(N_LINKS - 1)) % N_LINKS
        for j in range(4):
            if rng.uniform() < rate / 5.0:
                k = allowed.index(o[j])
                o[j] = allowed[(k + 1 + rng.below(len(allowed) - 1)) % len(allowed)]
        if o != [SKIP] * 4 and hash_of(*canonical(q, o)) != parent:
            return q, o
    nonskip = [a for a in allowed if a != SKIP and a != ops[0]]
    o = list(ops)
    o[0] = nonskip[rng.below(len(nonskip))]
    return p, o


def nbgraph_mutate(link, ops, allowed: int, rate: float, seed: int):
    link, ops = _rows(link, ops)
    allowed_l = _allowed_list(_check_mask(allowed))
    if not rate > 0.0:
        raise ValueError(f"rate must be > 0, got {rate}")
    valid = nbgraph_is_valid(link, ops, allowed)
    out_l = np.empty_like(link)
    out_o = np.empty_like(ops)
    for i in range(link.shape[0]):
        if not valid[i]:
            raise ValueError(f"row {i}: cell is not in the space (op not allowed, or all ops skip)")
        out_l[i], out_o[i] = mutate_one(int(link[i]), [int(x) for x in ops[i]], rate, allowed_l,
                                        PyRng(int(seed), i))
    return out_l, out_o


def nbgraph_neighbors(link, ops, allowed: int):
    """Every single change (8 other patterns, then per node the other allowed ops) of every row, raw
    (not deduplicated): (link, ops, parent row). Rows that would be all-skip are left out."""
    link, ops = _rows(link, ops)
    allowed_l = _allowed_list(_check_mask(allowed))
    valid = nbgraph_is_valid(link, ops, allowed)
    out_l, out_o, parent = [], [], []
    for i in range(link.shape[0]):
        if not valid[i]:
            raise ValueError(f"row {i}: cell is not in the space (op not allowed, or all ops skip)")
        p, o = int(link[i]), [int(x) for x in ops[i]]
        for q in range(N_LINKS):
            if q != p:
                out_l.append(q)
                out_o.append(o)
                parent.append(i)
        for j in range(4):
            for a in allowed_l:
                if a != o[j]:
                    m = list(o)
                    m[j] = a
                    if m != [SKIP] * 4:
                        out_l.append(p)
                        out_o.append(m)
                        parent.append(i)
    return (np.array(out_l, np.int8).reshape(-1), np.array(out_o, np.int8).reshape(-1, 4),
            np.array(parent, np.int64).reshape(-1))


def nbgraph_onehot(link, ops) -> np.ndarray:
    """One-hot of the pattern (9) then of each node's op (4 x 9): (N, 45) uint8."""
    link, ops = _rows(link, ops)
    out = np.zeros((link.shape[0], N_LINKS + 4 * N_OPS), np.uint8)
    for i in range(link.shape[0]):
        out[i, link[i]] = 1
        for j in range(4):
            out[i, N_LINKS + N_OPS * j + ops[i, j]] = 1
    return out


def gcn_graph(p: int, ops) -> tuple[np.ndarray, np.ndarray]:
    """Op-on-node graph: vertex 0 the graph input, 1..4 the op nodes, 5 the output. Node j+1 reads
    vertex link[j]; every node that no other node reads feeds the output. Features: one-hot over
    [input, 9 ops, output] (6 x 11). Adjacency: row-normalised directed A + I (6 x 6), the layout
    of the NB201 space's ``gcn`` encoding."""
    link = LINKS[p]
    a = np.zeros((6, 6))
    read = set(link)
    for j, src in enumerate(link):
        a[src, j + 1] = 1.0
        if (j + 1) not in read:
            a[j + 1, 5] = 1.0
    a += np.eye(6)
    x = np.zeros((6, N_OPS + 2))
    x[0, 0] = 1.0
    for j in range(4):
        x[j + 1, 1 + int(ops[j])] = 1.0
    x[5, N_OPS + 1] = 1.0
    return (a / a.sum(axis=1, keepdims=True)).astype(np.float32), x.astype(np.float32)


def nbgraph_gcn(link, ops) -> np.ndarray:
    """Rows [node features (6 x 11) row-major, then normalised adjacency (6 x 6) row-major]:
    (N, 102) float32."""
    link, ops = _rows(link, ops)
    out = np.empty((link.shape[0], 66 + 36), np.float32)
    for i in range(link.shape[0]):
        adj, x = gcn_graph(int(link[i]), ops[i])
        out[i, :66] = x.ravel()
        out[i, 66:] = adj.ravel()
    return out

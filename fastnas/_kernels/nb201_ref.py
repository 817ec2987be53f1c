"""Pure-Python reference twins of the NAS-Bench-201 kernels (``src/nb201.cpp``), written from the
definitions (``docs/nb201.md``; NAS-Bench-201, Dong & Yang ICLR 2020; NATS-Bench, Dong et al. TPAMI 2021;
naszilla/BANANAS ``cell_201.py``; NASLib ``nasbench201/encodings.py``). Slow and readable: they are the
specification the compiled kernels must match, results and exception types alike.
"""
from __future__ import annotations

import functools

import numpy as np

from .rng import PyRng

N_EDGES = 6
N_OPS = 5
N_CELLS = 5**6
OP_NAMES = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
# arch-string edge order
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
# naszilla paths (input -> output), as positions in the arch-string edge order
PATHS = ((3,), (0, 4), (1, 5), (0, 2, 5))
PATH_OFFSET = (0, 5, 5, 30)
NASZILLA_OP = (3, 4, 1, 2, 0)  # official op -> alphabetical index
NASLIB_EDGE = (0, 1, 3, 2, 4, 5)  # NASLib position k holds arch-string edge NASLIB_EDGE[k]
NASLIB_OP = (1, 0, 3, 2, 4)  # official op -> NASLib op index


def check_ops(ops) -> np.ndarray:
    """(N, 6) int8 op codes in [0, 5); ValueError naming the first bad row otherwise."""
    if not isinstance(ops, np.ndarray):
        raise ValueError("ops must be a numpy array of shape (N, 6), dtype int8")
    if ops.dtype != np.int8:
        raise ValueError(f"ops must have dtype int8, got {ops.dtype}")
    if ops.ndim != 2 or ops.shape[1] != N_EDGES:
        raise ValueError(f"ops must have shape (N, 6), got {ops.shape}")
    for i, row in enumerate(ops.tolist()):
        if any(v < 0 or v >= N_OPS for v in row):
            raise ValueError(f"row {i}: op codes must be in [0, 5), got {row}")
    return ops


def _int64_1d(a, what: str) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise ValueError(f"{what} must be a numpy int64 array")
    if a.dtype != np.int64:
        raise ValueError(f"{what} must have dtype int64, got {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"{what} must be 1-dimensional")
    return a


# ---------------------------------------------------------------- conversions
def code_of(row) -> int:
    """base-5 code with ops[0] most significant."""
    c = 0
    for v in row:
        c = c * N_OPS + int(v)
    return c


def row_of(code: int) -> list[int]:
    row = [0] * N_EDGES
    for e in range(N_EDGES - 1, -1, -1):
        row[e] = code % N_OPS
        code //= N_OPS
    return row


def py_to_code(ops) -> np.ndarray:
    ops = check_ops(ops)
    return np.array([code_of(r) for r in ops.tolist()], dtype=np.int64)


def py_from_code(codes) -> np.ndarray:
    codes = _int64_1d(codes, "codes")
    rows = []
    for i, c in enumerate(codes.tolist()):
        if c < 0 or c >= N_CELLS:
            raise ValueError(f"row {i}: code {c} out of range [0, 15625)")
        rows.append(row_of(c))
    return np.array(rows, dtype=np.int8).reshape(len(rows), N_EDGES)


def format_string(row) -> str:
    """Arch string of one row of official op codes: ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``."""
    t = [f"{OP_NAMES[op]}~{s}" for op, (s, _) in zip(row, EDGES)]
    return f"|{t[0]}|+|{t[1]}|{t[2]}|+|{t[3]}|{t[4]}|{t[5]}|"




def parse_string(s, row: int = 0) -> list[int]:
    """Parse one arch string strictly; ValueError saying what is wrong."""
    if not isinstance(s, str):
        raise ValueError(f"row {row}: expected an arch string, got {type(s).__name__}")
    nodes = s.split("+")
    if len(nodes) != 3 or not all(len(n) >= 2 and n[0] == "|" and n[-1] == "|" for n in nodes):
        raise ValueError(f"row {row}: malformed arch string {s!r}: expected |op~0|+|op~0|op~1|+|op~0|op~1|op~2|")
    terms = [n[1:-1].split("|") for n in nodes]
    if [len(t) for t in terms] != [1, 2, 3]:
        raise ValueError(f"row {row}: malformed arch string {s!r}: nodes must have 1, 2 and 3 inputs")
    out = []
    for term, src in zip((t for n in terms for t in n), (s for s, _ in EDGES)):
        name, sep, j = term.partition("~")
        if not sep:
            raise ValueError(f"row {row}: malformed term {term!r} in {s!r}: expected op~node")
        if name not in OP_NAMES:
            raise ValueError(f"row {row}: unknown op {name!r} in {s!r}; valid: {', '.join(OP_NAMES)}")
        if j != str(src):
            raise ValueError(f"row {row}: term {term!r} in {s!r} must read from node {src}")
        out.append(OP_NAMES.index(name))
    return out


def py_parse_strings(strings) -> np.ndarray:
    """Arch strings (a list or tuple of str) -> (N, 6) int8 ops."""
    if not isinstance(strings, (list, tuple)):
        raise ValueError("strings must be a list or tuple of arch strings")
    rows = [parse_string(s, i) for i, s in enumerate(strings)]
    return np.array(rows, dtype=np.int8).reshape(len(rows), N_EDGES)


def py_remap(ops, perm, lut) -> np.ndarray:
    ops = check_ops(ops)
    perm = _int64_1d(perm, "perm")
    lut = np.asarray(lut, dtype=np.int8)
    if lut.shape != (N_OPS,):
        raise ValueError("lut must be 5 int8 values")
    if perm.shape[0] != N_EDGES:
        raise ValueError("perm must hold 6 edge positions")
    if any(p < 0 or p >= N_EDGES for p in perm.tolist()):
        raise ValueError("perm entries must be in [0, 6)")
    out = [[int(lut[r[perm[k]]]) for k in range(N_EDGES)] for r in ops.tolist()]
    return np.array(out, dtype=np.int8).reshape(len(out), N_EDGES)


def py_to_matrix(ops) -> np.ndarray:
    ops = check_ops(ops)
    out = np.zeros((len(ops), 4, 4), dtype=np.int8)
    for i, r in enumerate(ops.tolist()):
        for e, (s, d) in enumerate(EDGES):
            out[i, s, d] = r[e]
    return out


def py_from_matrix(m) -> np.ndarray:
    if not isinstance(m, np.ndarray):
        raise ValueError("matrices must be a numpy array (N, 4, 4) int8")
    if m.dtype != np.int8:
        raise ValueError(f"matrices must have dtype int8, got {m.dtype}")
    if m.ndim != 3 or m.shape[1:] != (4, 4):
        raise ValueError(f"matrices must have shape (N, 4, 4), got {m.shape}")
    rows = []
    for i, mat in enumerate(m.tolist()):
        for r in range(4):
            for c in range(4):
                v = mat[r][c]
                if c <= r and v != 0:
                    raise ValueError(f"row {i}: entry [{r}, {c}] must be 0 (only i < j are edges)")
                if v < 0 or v >= N_OPS:
                    raise ValueError(f"row {i}: entry [{r}, {c}] = {v} is not an op code in [0, 5)")
        rows.append([mat[s][d] for s, d in EDGES])
    return np.array(rows, dtype=np.int8).reshape(len(rows), N_EDGES)


# ---------------------------------------------------------------- validity and keys
def valid_row(r) -> bool:
    """Input (node 0) reaches output (node 3) through edges whose op is not none."""
    reach = {0}
    for (s, d), op in sorted(zip(EDGES, r), key=lambda t: t[0][1]):
        if op != 0 and s in reach:
            reach.add(d)
    return 3 in reach


def py_is_valid(ops) -> np.ndarray:
    ops = check_ops(ops)
    return np.array([valid_row(r) for r in ops.tolist()], dtype=bool)


def unique_string(r, treat_none_as_op: bool) -> str:
    """NATS-Bench ``CellStructure.to_unique_str``: consider_zero=True (default key) or False (none as op)."""
    nodes = ["0"]
    for j in (1, 2, 3):
        terms = []
        for (s, d), op in zip(EDGES, r):
            if d != j:
                continue
            src = nodes[s]
            if not treat_none_as_op and (op == 0 or src == "#"):
                terms.append("#")  # zero
            elif op == 1:
                terms.append(src)  # skip_connect is the identity
            else:
                terms.append(f"({src})@{OP_NAMES[op]}")
        nodes.append("+".join(sorted(terms)))
    return nodes[3]


def dag_canonical(r, treat_none_as_op: bool) -> int:
    """Smallest code of the labelled-DAG isomorphism class of ``r``.

    Pruning: an edge stays iff its op is not none (every edge when none is an op), its source is reachable
    from the input and its target reaches the output through staying edges; every other edge becomes none.
    A cell whose output is unreachable maps to 0 (all none). Relabelling: the inner nodes 1 and 2 may
    swap names when no staying edge joins them; the smaller code of the two labellings is the key.
    """
    kept = {e: op for e, op in zip(EDGES, r) if treat_none_as_op or op != 0}
    fwd = {0}
    for j in (1, 2, 3):
        if any((i, j) in kept and i in fwd for i in range(j)):
            fwd.add(j)
    if 3 not in fwd:
        return 0
    bwd = {3}
    for i in (2, 1, 0):
        if any((i, j) in kept and j in bwd for j in range(i + 1, 4)):
            bwd.add(i)
    pruned = {e: op for e, op in kept.items() if e[0] in fwd and e[1] in bwd}
    labellings = [{0: 0, 1: 1, 2: 2, 3: 3}]
    if not treat_none_as_op and (1, 2) not in pruned:
        labellings.append({0: 0, 1: 2, 2: 1, 3: 3})
    codes = []
    for m in labellings:
        relabelled = {(m[i], m[j]): op for (i, j), op in pruned.items()}
        codes.append(code_of([relabelled.get(e, 0) for e in EDGES]))
    return min(codes)


@functools.lru_cache(maxsize=4)
def canonical_table(treat_none_as_op: bool, kind: str = "nats") -> tuple[int, ...]:
    """code -> smallest code of its class (NATS unique string, or labelled DAG)."""
    if kind == "dag":
        return tuple(dag_canonical(row_of(c), treat_none_as_op) for c in range(N_CELLS))
    first: dict[str, int] = {}
    out = []
    for c in range(N_CELLS):
        out.append(first.setdefault(unique_string(row_of(c), treat_none_as_op), c))
    return tuple(out)


def py_key(ops, treat_none_as_op: bool = False, kind: str = "nats") -> np.ndarray:
    ops = check_ops(ops)
    if kind not in ("nats", "dag"):
        raise ValueError(f"unknown key kind {kind!r}; valid: nats, dag")
    tab = canonical_table(bool(treat_none_as_op), kind)
    return np.array([tab[code_of(r)] for r in ops.tolist()], dtype=np.uint64)


def n_classes(valid_only: bool) -> int:
    tab = canonical_table(False)
    return sum(1 for c in range(N_CELLS) if tab[c] == c and (not valid_only or valid_row(row_of(c))))


# ---------------------------------------------------------------- encodings
def py_encode_adjacency(ops) -> np.ndarray:
    ops = check_ops(ops)
    out = np.zeros((len(ops), 30), dtype=np.float32)
    for i, r in enumerate(ops.tolist()):
        for e, op in enumerate(r):
            out[i, 5 * e + op] = 1.0
    return out


def py_encode_path(ops, naslib_quirk: bool = False, k: int = 155) -> np.ndarray:
    ops = check_ops(ops)
    k = int(k)
    if not 1 <= k <= 155:
        raise ValueError(f"k must be in [1, 155], got {k}")
    out = np.zeros((len(ops), 155), dtype=np.float32)
    for i, r in enumerate(ops.tolist()):
        if naslib_quirk:  # NASLib indexes its own edge order with naszilla's positions (the bug)
            v = [NASLIB_OP[r[NASLIB_EDGE[q]]] for q in range(N_EDGES)]
        else:
            v = [NASZILLA_OP[op] for op in r]
        for path, offset in zip(PATHS, PATH_OFFSET):
            out[i, offset + sum(v[e] * 5**j for j, e in enumerate(path))] = 1.0
    return np.ascontiguousarray(out[:, :k])


def gcn_adjacency() -> np.ndarray:
    """Row-normalised A + I of the op-on-node graph (input, the 6 edges in string order, output)."""
    a = np.zeros((8, 8), dtype=np.float64)
    for k, (s, d) in enumerate(EDGES):
        if s == 0:
            a[0, 1 + k] = 1
        if d == 3:
            a[1 + k, 7] = 1
        for m, (s2, _) in enumerate(EDGES):
            if s2 == d:
                a[1 + k, 1 + m] = 1
    a += np.eye(8)
    return (a / a.sum(axis=1, keepdims=True)).astype(np.float32)


def py_encode_gcn(ops) -> np.ndarray:
    ops = check_ops(ops)
    adj = gcn_adjacency().ravel()
    out = np.zeros((len(ops), 120), dtype=np.float32)
    for i, r in enumerate(ops.tolist()):
        onehot = np.zeros((8, 7), dtype=np.float32)
        onehot[0, 0] = 1  # input
        for k, op in enumerate(r):
            onehot[1 + k, 1 + op] = 1
        onehot[7, 6] = 1  # output
        out[i, :56] = onehot.ravel()
        out[i, 56:] = adj
    return out


# ---------------------------------------------------------------- random moves
def py_sample(n: int, seed, valid_only: bool = False, unique: bool = False) -> np.ndarray:
    n = int(n)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if unique and n > n_classes(valid_only):
        raise ValueError(f"cannot draw {n} cells unique up to isomorphism")
    tab = canonical_table(False)
    seen = set()
    rows = []
    for i in range(n):
        rng = PyRng(int(seed), i)
        while True:
            c = rng.below(N_CELLS)
            r = row_of(c)
            if valid_only and not valid_row(r):
                continue
            if unique:
                if tab[c] in seen:
                    continue
                seen.add(tab[c])
            break
        rows.append(r)
    return np.array(rows, dtype=np.int8).reshape(n, N_EDGES)


def py_mutate(ops, rate: float, seed, one_edge: bool = False, valid_only: bool = False) -> np.ndarray:
    ops = check_ops(ops)
    rate = float(rate)
    if not (0.0 < rate <= 4.0):
        raise ValueError("rate must be in (0, 4] (each edge changes with probability rate / 4)")
    tab = canonical_table(False)
    p = rate / 4.0
    out = []
    for i, par in enumerate(ops.tolist()):
        rng = PyRng(int(seed), i)
        while True:
            child = list(par)
            if one_edge:
                e = rng.below(N_EDGES)
                o = rng.below(N_OPS - 1)
                child[e] = o + (o >= par[e])  # the o-th of the other four ops
            else:
                for e in range(N_EDGES):
                    if rng.uniform() < p:
                        o = rng.below(N_OPS - 1)
                        child[e] = o + (o >= par[e])
            if tab[code_of(child)] == tab[code_of(par)]:
                continue  # must differ up to isomorphism
            if valid_only and not valid_row(child):
                continue
            break
        out.append(child)
    return np.array(out, dtype=np.int8).reshape(len(out), N_EDGES)


def py_neighbors(ops, dedup: bool = False) -> tuple[np.ndarray, np.ndarray]:
    ops = check_ops(ops)
    tab = canonical_table(False)
    rows, parent = [], []
    for i, par in enumerate(ops.tolist()):
        seen = {tab[code_of(par)]}
        for e in range(N_EDGES):
            for v in range(N_OPS):
                if v == par[e]:
                    continue
                child = list(par)
                child[e] = v
                if dedup:
                    k = tab[code_of(child)]
                    if k in seen:
                        continue
                    seen.add(k)
                rows.append(child)
                parent.append(i)
    return np.array(rows, dtype=np.int8).reshape(len(rows), N_EDGES), np.array(parent, dtype=np.int64)

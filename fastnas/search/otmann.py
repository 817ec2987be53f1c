"""OTMANN: the optimal-transport distance between neural networks of NASBOT (Kandasamy et al. 2018, "Neural
architecture search with Bayesian optimisation and optimal transport", NeurIPS, section 3; official code
kirthevasank/nasbot, ``nn/nn_comparators.py``), for cell graphs.

For two graphs with layers (nodes) ``i`` of masses ``lm(i)`` and labels ``l(i)``, with a transport plan
``Z >= 0`` (row sums <= the masses of G1, column sums <= the masses of G2):

* label mismatch ``phi_lmm(Z) = <Z, C_lmm>``, ``C_lmm[i, j] = M[l(i), l(j)]`` (0 for equal labels; unequal
  labels may not be matched, M = infinity, unless ``label_cost`` gives finite penalties);
* structural ``phi_str(Z) = <Z, C_str>``, ``C_str[i, j] = mean over s of |delta_s(i) - delta_s(j)|`` with the
  six path lengths s: shortest, longest and random-walk path length from the input node, and the same three
  to the output node (random walk: ``delta_rw(u) = 1 + mean over neighbours of delta_rw``);
* non-assignment ``phi_nas(Z)`` = mass of G1 plus mass of G2 left unassigned;

``d = min_Z phi_lmm + nu_str phi_str + nu_nas phi_nas``, and the normalised ``d_bar = d / (tm(G1) + tm(G2))``
(``tm`` the total mass). The LP is solved as a balanced optimal-transport problem with one dummy node per
side (supplies ``[lm(G1), tm(G2)]``, demands ``[lm(G2), tm(G1)]``, cost ``nu_nas`` to or from a dummy, 0
between the dummies; a forbidden pair costs more than ``2 nu_nas``, which makes it never optimal) by the
network simplex of POT (``emd_c``, the solver behind ``ot.emd2``); ``tests/unit/test_search_nasbot.py`` checks it against the LP in the
paper's form solved by scipy's ``linprog``.

Networks are NASBOT's layer graphs of the cells (``layer_graph``; NB101, NB201, DARTS): a layer is a
computation, so every convolution or pooling is a layer node, ``skip_connect`` is a direct edge (no layer),
``none`` is no edge, and layers on no input -> output path are removed (functionally identical cells are
at distance 0; the all-``none`` NB201 cell has no layer at all). Masses for cells (which have no unit
counts): every layer weighs 1 and the input and output nodes ``zeta`` = 0.1 times the layers' total
(NASBOT's rule for its input/output layers; 0.1 each when there is no layer). An input or output that no
path joins gets path lengths 0 in that direction. ``encoding="gcn"`` keeps the former graphs of the
``gcn`` encoding (``none``/``skip`` nodes as layers), for spaces without a layer graph.
"""
from __future__ import annotations

import numpy as np

from ..predictors._base import flatten_gcn
from ..predictors.gcn import infer_layout


def _emd():
    """POT's network simplex without ``ot.emd2``'s per-call backend checks (10x less overhead on these
    tiny problems): (a, b, M) -> optimal cost."""
    try:
        from ot.lp.emd_wrap import emd_c
    except ImportError as exc:  # pragma: no cover - optional extra
        raise ImportError('the OTMANN distance needs POT: pip install "fastnas[nasbot]"') from exc

    def solve(a, b, M):
        _, cost, _, _, code = emd_c(a, b, np.ascontiguousarray(M), 100000, 1)
        if code != 1:  # pragma: no cover - tiny balanced problems always solve
            raise RuntimeError(f"POT's network simplex did not reach the optimum (code {code})")
        return float(cost)

    return solve


class CellGraph:
    """One network as OTMANN sees it: labels (n,) int, adjacency (n, n) bool (``adj[i, j]``: edge i -> j,
    nodes in topological order), masses (n,), path lengths (n, 6)."""

    __slots__ = ("labels", "adj", "mass", "paths")

    def __init__(self, labels, adj, zeta: float = 0.1, io=None):
        self.labels = np.asarray(labels, dtype=np.int64)
        self.adj = np.asarray(adj, dtype=bool)
        n = len(self.labels)
        ins, outs = io if io is not None else ([0], [n - 1])
        is_io = np.zeros(n, dtype=bool)
        is_io[list(ins)] = True
        is_io[list(outs)] = True
        n_ops = max(int((~is_io).sum()), 1)
        self.mass = np.where(is_io, zeta * n_ops, 1.0)
        self.paths = np.concatenate([_path_lengths(self.adj, ins), _path_lengths(self.adj.T[::-1, ::-1],
                                     [n - 1 - o for o in outs])[::-1]], axis=1)

    @property
    def total_mass(self) -> float:
        return float(self.mass.sum())


def _path_lengths(adj: np.ndarray, sources) -> np.ndarray:
    """(n, 3): shortest, longest and random-walk path length from the source nodes along edges i -> j
    (nodes in topological order)."""
    n = len(adj)
    out = np.zeros((n, 3))
    reached = np.zeros(n, dtype=bool)
    reached[list(sources)] = True
    for u in range(n):
        if reached[u] and u in sources:
            continue
        parents = [p for p in range(n) if adj[p, u] and reached[p]]
        if not parents:
            continue
        reached[u] = True
        d = out[parents]
        out[u] = (1 + d[:, 0].min(), 1 + d[:, 1].max(), 1 + d[:, 2].mean())
    return out


# labels of layer graphs: 0 the (first) input, 1 the output, 2 DARTS's second input c_{k-1}, 3 + op code
_IN, _OUT, _IN2, _OP = 0, 1, 2, 3


def _edge_cell_layers(n_nodes, inputs, edges, outputs):
    """Layer graph of a cell whose operations sit on edges (NB201, DARTS), as NASBOT sees a network: every
    computing operation is a layer; ``skip_connect`` is a direct connection (no layer) and ``none`` no
    connection. ``inputs``: {cell node: input label}; ``edges``: (src, dst, op) with op an int label, "skip"
    or "none"; ``outputs``: the cell nodes summed/concatenated into the output. Returns (labels, parents),
    layer 0.. the inputs, then the layers in edge order, the output last; parents[i] lists i's inputs."""
    labels = [lab for _, lab in sorted(inputs.items())]
    feeds = {v: {k} for k, v in enumerate(sorted(inputs))}  # cell node -> layer nodes summed into it
    parents = [set() for _ in labels]
    for v in range(n_nodes):
        if v in feeds:
            continue
        feeds[v] = set()
        for s, d, op in edges:
            if d != v or op == "none":
                continue
            if op == "skip":
                feeds[v] |= feeds[s]
            else:
                labels.append(_OP + int(op))
                parents.append(set(feeds[s]))
                feeds[v].add(len(labels) - 1)
    labels.append(_OUT)
    parents.append(set().union(*(feeds[o] for o in outputs)))
    return labels, parents


def _pruned(labels, parents, n_io_in):
    """Drop the layers on no input -> output path (NASBOT's networks have none); adjacency in topological
    order. The inputs (the first ``n_io_in`` nodes) and the output (last) are always kept."""
    n = len(labels)
    fwd = [False] * n
    for i in range(n):
        fwd[i] = i < n_io_in or any(fwd[p] for p in parents[i])
    bwd = [False] * n
    bwd[-1] = True
    for i in range(n - 1, -1, -1):
        if bwd[i]:
            for p in parents[i]:
                bwd[p] = True
    keep = [i for i in range(n) if i < n_io_in or i == n - 1 or (fwd[i] and bwd[i])]
    pos = {v: k for k, v in enumerate(keep)}
    adj = np.zeros((len(keep), len(keep)), dtype=bool)
    for i in keep:
        for p in parents[i]:
            if p in pos:
                adj[pos[p], pos[i]] = True
    return np.array([labels[i] for i in keep]), adj


def layer_graph(space, cell) -> tuple[np.ndarray, np.ndarray, list[int], list[int]]:
    """One cell (a batch of one) of NB101, NB201 or DARTS as NASBOT's layer graph: (labels, adjacency,
    input nodes, output nodes). Every computing operation is a layer, labelled ``3 + op code`` (input 0,
    output 1, DARTS's second input 2); ``skip_connect`` is a direct connection, ``none`` no connection;
    layers on no input -> output path are removed. DARTS's normal and reduction cells become one graph of
    two components, each with its own inputs and output.

    >>> from fastnas.spaces import get_space
    >>> sp = get_space("nb201")
    >>> # edges 0->1 conv3x3, 0->2 skip, 1->2 conv1x1, 0->3 none, 1->3 none, 2->3 avg_pool
    >>> labels, adj, ins, outs = layer_graph(sp, sp.from_ops([[3, 1, 2, 0, 0, 4]]))
    >>> labels.tolist()   # input, conv3x3, conv1x1, pool, output
    [0, 6, 5, 7, 1]
    >>> [tuple(e) for e in np.argwhere(adj).tolist()]   # the skip joins the input straight to the pool
    [(0, 1), (0, 3), (1, 2), (2, 3), (3, 4)]
    """
    name = space.name
    if name == "nb201":
        ops = [int(o) for o in space._ops(cell)[0]]
        from ..spaces.nb201 import EDGES
        edges = [(s, d, "none" if o == 0 else "skip" if o == 1 else o) for (s, d), o in zip(EDGES, ops)]
        lab, A = _pruned(*_edge_cell_layers(4, {0: _IN}, edges, [3]), 1)
        return lab, A, [0], [len(lab) - 1]
    if name == "darts":
        labels, blocks, ins, outs = [], [], [], []
        for c in range(2):
            inp, ops = cell._arrays["inputs"][0, c], cell._arrays["ops"][0, c]
            edges = [(int(inp[e]), 2 + e // 2, "skip" if int(ops[e]) == 2 else int(ops[e])) for e in range(8)]
            lab, A = _pruned(*_edge_cell_layers(6, {0: _IN, 1: _IN2}, edges, [2, 3, 4, 5]), 2)
            off = sum(len(x) for x in labels)
            labels.append(lab)
            blocks.append(A)
            ins += [off, off + 1]
            outs.append(off + len(lab) - 1)
        n = sum(len(x) for x in labels)
        adj = np.zeros((n, n), dtype=bool)
        adj[:len(blocks[0]), :len(blocks[0])] = blocks[0]
        adj[len(blocks[0]):, len(blocks[0]):] = blocks[1]
        return np.concatenate(labels), adj, ins, outs
    if name == "nb101":
        cell = space.prune(cell)
        m, o, v = (cell._arrays[k][0] for k in ("matrix", "ops", "n_vertices"))
        v = int(v)
        labels = [_IN if int(x) == -1 else _OUT if int(x) == -2 else _OP + int(x) for x in o[:v]]
        parents = [set(np.flatnonzero(m[:v, i]).tolist()) for i in range(v)]
        lab, A = _pruned(labels, parents, 1)
        return lab, A, [0], [len(lab) - 1]
    raise ValueError(f"no layer graph for space {name!r}; pass encoding='gcn'")


def cell_graphs(space, cells, encoding: str | None = None, zeta: float = 0.1) -> list[CellGraph]:
    """The cells of a batch as ``CellGraph`` objects.

    ``encoding=None`` (NB101, NB201, DARTS): NASBOT's layer graphs (``layer_graph``: computing operations
    are layers, skips are edges, ``none`` is absent, dead layers removed). ``encoding="gcn"`` (any space
    with that encoding, e.g. ``nbgraph``; the former default): the op-on-node graph of the encoding, which
    keeps ``none`` and ``skip_connect`` nodes as layers -- not NASBOT's networks."""
    if encoding is None and space.name in ("nb101", "nb201", "darts"):
        out = []
        for i in range(len(cells)):
            labels, adj, ins, outs = layer_graph(space, cells[i:i + 1])
            out.append(CellGraph(labels, adj, zeta=zeta, io=(ins, outs)))
        return out
    return _gcn_cell_graphs(space, cells, encoding or "gcn", zeta)


def _gcn_cell_graphs(space, cells, encoding: str, zeta: float) -> list[CellGraph]:
    """Graphs from the space's graph encoding (one-hot operations and adjacency; padded nodes dropped;
    rows with two graphs become one graph of two components)."""
    F, V = flatten_gcn(space.encode(cells, encoding))
    try:
        g, V2 = infer_layout(F)
        V = V or V2
    except ValueError:
        g = 1
        V = V or getattr(space, "gcn_nodes", None)
        if V is None:
            raise
    per = F.shape[1] // g
    nf = per - V * V
    out = []
    for row in F:
        labels, blocks, ins, outs, off = [], [], [], [], 0
        for j in range(g):
            part = row[j * per:(j + 1) * per]
            ops = part[:nf].reshape(V, -1)
            A = (part[nf:].reshape(V, V) > 0) & ~np.eye(V, dtype=bool)
            real = np.flatnonzero(ops.sum(axis=1) > 0)
            labels.append(ops[real].argmax(axis=1))
            blocks.append(A[np.ix_(real, real)])
            ins.append(off)
            outs.append(off + len(real) - 1)
            off += len(real)
        adj = np.zeros((off, off), dtype=bool)
        o = 0
        for b in blocks:
            adj[o:o + len(b), o:o + len(b)] = b
            o += len(b)
        out.append(CellGraph(np.concatenate(labels), adj, zeta=zeta, io=(ins, outs)))
    return out


def cost_matrix(g1: CellGraph, g2: CellGraph, nu_str: float, label_cost=None) -> np.ndarray:
    """``C_lmm + nu_str * C_str`` (n1, n2); ``inf`` where the labels may not be matched."""
    C_str = np.abs(g1.paths[:, None, :] - g2.paths[None, :, :]).mean(axis=2)
    if label_cost is None:
        C_lmm = np.where(g1.labels[:, None] == g2.labels[None, :], 0.0, np.inf)
    else:
        C_lmm = np.asarray(label_cost, dtype=np.float64)[np.ix_(g1.labels, g2.labels)]
    return C_lmm + nu_str * C_str


def otmann(g1: CellGraph, g2: CellGraph, nu_str: float = 1.0, nu_nas: float = 1.0, label_cost=None,
           normalised: bool = False) -> float:
    """The OTMANN distance (see the module docstring); ``normalised`` divides by ``tm(G1) + tm(G2)``.

    >>> a = CellGraph([0, 1, 2], [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    >>> b = CellGraph([0, 3, 2], [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    >>> otmann(a, a), otmann(a, b)   # the middle layers (mass 1 each) cannot be matched: 1 + 1 unassigned
    (0.0, 2.0)
    """
    if nu_str < 0 or nu_nas <= 0:
        raise ValueError(f"need nu_str >= 0 and nu_nas > 0, got {nu_str}, {nu_nas}")
    C = cost_matrix(g1, g2, nu_str, label_cost)
    finite = np.isfinite(C)
    big = 2.0 * nu_nas + 1.0 + (float(C[finite].max()) if finite.any() else 0.0)
    n1, n2 = C.shape
    full = np.zeros((n1 + 1, n2 + 1))
    full[:n1, :n2] = np.where(finite, C, big)
    full[:n1, n2] = nu_nas
    full[n1, :n2] = nu_nas
    a = np.concatenate([g1.mass, [g2.total_mass]])
    b = np.concatenate([g2.mass, [g1.total_mass]])
    d = _emd()(a, b, full)
    d = max(d, 0.0) if d > 1e-12 else 0.0
    return d / (g1.total_mass + g2.total_mass) if normalised else d


def _padded(G, V):
    N = len(G)
    P = np.zeros((N, V, 6))
    L = np.full((N, V), -1, dtype=np.int64)
    M = np.zeros((N, V))
    for k, g in enumerate(G):
        n = len(g.labels)
        P[k, :n], L[k, :n], M[k, :n] = g.paths, g.labels, g.mass
    return P, L, M


def distance_matrix(G1, G2, nu_str: float = 1.0, nu_nas: float = 1.0, label_cost=None, symmetric=False):
    """(D, D_bar): OTMANN and normalised OTMANN distances between two lists of ``CellGraph`` (len1, len2).

    The cost matrices of all pairs are built at once on padded node arrays (padded nodes have zero mass,
    which the network simplex ignores); only the transport solves loop. ``symmetric`` (G1 is G2) solves
    each unordered pair once.
    """
    if nu_str < 0 or nu_nas <= 0:
        raise ValueError(f"need nu_str >= 0 and nu_nas > 0, got {nu_str}, {nu_nas}")
    solve = _emd()
    n1, n2 = len(G1), len(G2)
    D = np.zeros((n1, n2))
    if n1 == 0 or n2 == 0:
        return D, D.copy()
    V = max(max(len(g.labels) for g in G1), max(len(g.labels) for g in G2))
    P1, L1, M1 = _padded(G1, V)
    P2, L2, M2 = _padded(G2, V)
    tm1, tm2 = M1.sum(axis=1), M2.sum(axis=1)
    for i in range(n1):
        C = nu_str * np.abs(P1[i][None, :, None, :] - P2[:, None, :, :]).mean(axis=3)  # (n2, V, V)
        if label_cost is None:
            ok = L1[i][None, :, None] == L2[:, None, :]
        else:
            lc = np.asarray(label_cost, dtype=np.float64)
            C = C + lc[np.ix_(np.maximum(L1[i], 0), np.arange(lc.shape[1]))][:, np.maximum(L2, 0)].transpose(1, 0, 2)
            ok = np.isfinite(C)
        big = 2.0 * nu_nas + 1.0 + float(np.where(ok, C, 0.0).max())
        full = np.zeros((n2, V + 1, V + 1))
        full[:, :V, :V] = np.where(ok, C, big)
        full[:, :V, V] = nu_nas
        full[:, V, :V] = nu_nas
        a = np.concatenate([M1[i], [0.0]])
        for j in range(n2):
            if symmetric and j <= i:
                continue
            a[V] = tm2[j]
            b = np.concatenate([M2[j], [tm1[i]]])
            d = solve(a, b, full[j])
            D[i, j] = d if d > 1e-12 else 0.0
    if symmetric:
        D = np.triu(D, 1)
        D = D + D.T
    return D, D / (tm1[:, None] + tm2[None, :])

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

Masses for cells (which have no unit counts): every operation node weighs 1 and the input and output nodes
``zeta`` = 0.1 times the operation nodes' total (NASBOT's rule for its input/output layers). A node that no
path reaches from the input (or that reaches no output) gets path lengths 0 in that direction.
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


def cell_graphs(space, cells, encoding: str = "gcn", zeta: float = 0.1) -> list[CellGraph]:
    """The cells of a batch as ``CellGraph`` objects, from the space's graph encoding (one-hot operations and
    adjacency; padded nodes dropped; rows with two graphs, DARTS's normal and reduction cell, become one
    graph of two components, each with its own input and output)."""
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

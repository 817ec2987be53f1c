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
network simplex of POT (``ot.emd2``); ``tests/unit/test_search_nasbot.py`` checks it against the LP in the
paper's form solved by scipy's ``linprog``.

Masses for cells (which have no unit counts): every operation node weighs 1 and the input and output nodes
``zeta`` = 0.1 times the operation nodes' total (NASBOT's rule for its input/output layers). A node that no
path reaches from the input (or that reaches no output) gets path lengths 0 in that direction.
"""
from __future__ import annotations

import numpy as np

from ..predictors._base import flatten_gcn
from ..predictors.gcn import infer_layout


def _ot():
    try:
        import ot
    except ImportError as exc:  # pragma: no cover - optional extra
        raise ImportError("the OTMANN distance needs POT: pip install 'fastnas[nasbot]'") from exc
    return ot


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
    ot = _ot()
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
    d = float(ot.emd2(a, b, full))
    d = max(d, 0.0) if d > 1e-12 else 0.0
    return d / (g1.total_mass + g2.total_mass) if normalised else d


def distance_matrix(G1, G2, nu_str: float = 1.0, nu_nas: float = 1.0, label_cost=None, symmetric=False):
    """(D, D_bar): OTMANN and normalised OTMANN distances between two lists of ``CellGraph`` (len1, len2)."""
    D = np.zeros((len(G1), len(G2)))
    for i, g in enumerate(G1):
        for j, h in enumerate(G2):
            if symmetric and j < i:
                D[i, j] = D[j, i]
                continue
            if symmetric and j == i:
                continue
            D[i, j] = otmann(g, h, nu_str, nu_nas, label_cost)
    tm1 = np.array([g.total_mass for g in G1])
    tm2 = np.array([g.total_mass for g in G2])
    return D, D / (tm1[:, None] + tm2[None, :])

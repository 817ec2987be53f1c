"""OTMANN (Kandasamy et al. 2018): hand-checked distances, symmetry, d(x, x) = 0, and the dummy-node
network-simplex solve against the LP in the paper's form (scipy linprog)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ot")

from scipy.optimize import linprog  # noqa: E402

from fastnas.search.otmann import CellGraph, cell_graphs, distance_matrix, otmann  # noqa: E402


def _paper_lp(g1, g2, nu_str, nu_nas):
    """min <Z, C_lmm + nu_str C_str> + nu_nas (tm1 - sum Z + tm2 - sum Z), Z >= 0, rows <= lm1, cols <= lm2,
    Z = 0 where the labels differ. Path lengths recomputed here by brute-force enumeration of all paths."""
    def all_paths_lengths(adj, src, forward=True):
        n = len(adj)
        res = np.zeros((n, 3))
        for u in range(n):
            lengths, walk = [], None

            def paths(v, k):  # lengths of every path from src to v (or v to src when backwards)
                if v == src:
                    return [k]
                nxt = [p for p in range(n) if (adj[p, v] if forward else adj[v, p])]
                return [x for p in nxt for x in paths(p, k + 1)]

            def rw(v):
                if v == src:
                    return 0.0
                nxt = [p for p in range(n) if (adj[p, v] if forward else adj[v, p])]
                reach = [p for p in nxt if paths(p, 0)]
                return 0.0 if not reach else 1 + np.mean([rw(p) for p in reach])

            lengths = paths(u, 0)
            if lengths:
                walk = rw(u)
                res[u] = (min(lengths), max(lengths), walk)
        return res

    def feats(g):
        n = len(g.labels)
        return np.concatenate([all_paths_lengths(g.adj, 0), all_paths_lengths(g.adj, n - 1, forward=False)], axis=1)

    p1, p2 = feats(g1), feats(g2)
    n1, n2 = len(p1), len(p2)
    C = np.abs(p1[:, None] - p2[None]).mean(axis=2) * nu_str
    allowed = g1.labels[:, None] == g2.labels[None, :]
    c = (C - 2 * nu_nas).ravel()
    A_ub = np.zeros((n1 + n2, n1 * n2))
    for i in range(n1):
        A_ub[i, i * n2:(i + 1) * n2] = 1
    for j in range(n2):
        A_ub[n1 + j, j::n2] = 1
    bounds = [(0, None) if ok else (0, 0) for ok in allowed.ravel()]
    r = linprog(c, A_ub=A_ub, b_ub=np.concatenate([g1.mass, g2.mass]), bounds=bounds, method="highs")
    return r.fun + nu_nas * (g1.total_mass + g2.total_mass)


def _chain(labels):
    n = len(labels)
    adj = np.zeros((n, n), dtype=bool)
    adj[np.arange(n - 1), np.arange(1, n)] = True
    return CellGraph(labels, adj)


def test_hand_checked_values():
    a = _chain([0, 1, 2])                # in -> op1 -> out: masses 0.1, 1, 0.1
    b = _chain([0, 3, 2])                # in -> op3 -> out
    assert otmann(a, a) == 0.0
    assert otmann(a, b) == pytest.approx(2.0)          # op1 and op3 unassigned: nu_nas * (1 + 1)
    assert otmann(a, b, nu_nas=0.5) == pytest.approx(1.0)
    assert otmann(a, b, normalised=True) == pytest.approx(2.0 / 2.4)
    # in -> x -> y -> out (masses 0.2, 1, 1, 0.2) versus in -> x -> out (0.1, 1, 0.1). Path lengths
    # (from in; to out, each sp = lp = rw on a chain): c: in (0; 3), x (1; 2), y (2; 1), out (3; 0);
    # d: in (0; 2), x (1; 1), out (2; 0). Structural costs (mean of 6 |differences|): in-in 0.5, out-out
    # 0.5, x_c-x_d 0.5, y_c-x_d 0.5. Optimum: d's op matched at 0.5, c's other op unassigned (1), in and
    # out: 0.1 matched at 0.5 * 0.1 and 0.1 of c's unassigned, twice -> 0.5 + 1 + 2 * (0.05 + 0.1) = 1.8
    c = _chain([0, 1, 1, 2])
    d = _chain([0, 1, 2])
    assert otmann(c, d) == pytest.approx(1.8)
    assert _paper_lp(c, d, 1.0, 1.0) == pytest.approx(1.8)


@pytest.mark.parametrize("space_name", ["nb201", "nb101"])
def test_matches_paper_lp_symmetric_zero_diagonal(space_name):
    from fastnas.spaces import get_space

    sp = get_space(space_name)
    G = cell_graphs(sp, sp.sample(6, seed=1))
    D, Dbar = distance_matrix(G, G)
    np.testing.assert_allclose(D, D.T, atol=1e-9)
    np.testing.assert_allclose(np.diag(D), 0, atol=1e-12)
    assert (D[~np.eye(6, dtype=bool)] >= 0).all() and (Dbar <= 1 + 1e-9).all()
    for i, j in [(0, 1), (2, 3), (4, 5), (1, 4)]:
        for nu_str, nu_nas in [(1.0, 1.0), (0.1, 0.5)]:
            assert otmann(G[i], G[j], nu_str, nu_nas) == pytest.approx(_paper_lp(G[i], G[j], nu_str, nu_nas),
                                                                        abs=1e-7)


def test_rejects_bad_penalties():
    a = _chain([0, 1, 2])
    with pytest.raises(ValueError):
        otmann(a, a, nu_nas=0.0)


def test_nasbot_ei_kernel_and_contract():
    from fastnas.search.nasbot import _psd, expected_improvement
    from fastnas.spaces import get_space
    from fastnas.testing import check_optimizer

    # EI at mean 1, std 1, best 0: Phi(1) + phi(1) = 0.8413447 + 0.2419707
    assert expected_improvement(np.array([1.0]), np.array([1.0]), 0.0)[0] == pytest.approx(1.0833154, abs=1e-6)
    K = np.array([[1.0, 2.0], [2.0, 1.0]])  # eigenvalues 3, -1: the projection keeps 3 only
    np.testing.assert_allclose(_psd(K), np.full((2, 2), 1.5))
    check_optimizer("nasbot", get_space("nb201"), n_init=4, ea_steps=2, ea_children=5)

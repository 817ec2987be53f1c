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


# ---------------------------------------------------------------- NASBOT layer graphs (a layer = a computation)

def _nb201(ops):
    from fastnas.spaces import get_space

    sp = get_space("nb201")
    return sp, sp.from_ops([ops])


def test_nb201_layer_graph_and_path_lengths_by_hand_on_a_branching_cell():
    from fastnas.search.otmann import layer_graph

    # edges 0->1 conv3x3 (3), 0->2 skip (1), 1->2 conv1x1 (2), 0->3 none, 1->3 none, 2->3 avg_pool (4):
    # layers in(0), conv3x3(1), conv1x1(2), pool(3), out(4); the skip joins in straight to the pool
    sp, c = _nb201([3, 1, 2, 0, 0, 4])
    labels, adj, ins, outs = layer_graph(sp, c)
    assert labels.tolist() == [0, 3 + 3, 3 + 2, 3 + 4, 1] and ins == [0] and outs == [4]
    assert sorted(map(tuple, np.argwhere(adj).tolist())) == [(0, 1), (0, 3), (1, 2), (2, 3), (3, 4)]
    g = cell_graphs(sp, c)[0]
    # from the input (shortest, longest, random walk): pool's parents in (0) and conv1x1 (2): 1, 3,
    # 1 + (0 + 2)/2 = 2; out: 2, 4, 3. To the output: in's children conv3x3 (3) and pool (1): 2, 4, 3
    want = np.array([[0, 0, 0, 2, 4, 3],
                     [1, 1, 1, 3, 3, 3],
                     [2, 2, 2, 2, 2, 2],
                     [1, 3, 2, 1, 1, 1],
                     [2, 4, 3, 0, 0, 0]], dtype=float)
    np.testing.assert_allclose(g.paths, want)
    np.testing.assert_allclose(g.mass, [0.3, 1, 1, 1, 0.3])


def test_nb201_functionally_identical_cells_at_distance_zero_and_all_none_far():
    from fastnas.spaces import get_space

    sp = get_space("nb201")
    cells = sp.from_ops([[0, 0, 0, 3, 0, 0],    # one conv3x3 on 0->3
                         [3, 0, 0, 3, 0, 0],    # + a dead conv3x3 on 0->1 (node 1 feeds nothing)
                         [0, 0, 2, 3, 0, 0],    # + a dead conv1x1 on 1->2 (node 1 has no input)
                         [3, 0, 0, 0, 1, 0],    # conv3x3 0->1, skip 1->3: the same network
                         [0, 0, 0, 0, 0, 0],    # all none: no layer, no path
                         [3, 3, 2, 2, 2, 4]])   # six computing layers, all on input->output paths
    G = cell_graphs(sp, cells)
    D, _ = distance_matrix(G, G)
    np.testing.assert_allclose(D[:4, :4], 0.0, atol=1e-12)
    # the all-none cell matches no layer: every layer of the other cell is unassigned (nu_nas = 1 each)
    assert D[4, 0] >= 1.0 and D[4, 5] >= 6.0
    # cell 5 shares one conv3x3 with cell 0: its other five layers are unassigned
    assert D[0, 5] >= 5.0


def test_nb101_dead_node_pruned_and_darts_skips_are_edges():
    from fastnas.search.otmann import layer_graph
    from fastnas.spaces import get_space

    sp = get_space("nb101")
    m = np.zeros((1, 7, 7), np.uint8)
    m[0, 0, 1] = m[0, 1, 3] = m[0, 0, 2] = 1          # node 2 (conv3x3) reaches no output
    dead = sp.from_arrays(m, np.array([[-1, 0, 1, -2, -3, -3, -3]], np.int8), [4])
    m2 = np.zeros((1, 7, 7), np.uint8)
    m2[0, 0, 1] = m2[0, 1, 2] = 1
    clean = sp.from_arrays(m2, np.array([[-1, 0, -2, -3, -3, -3, -3]], np.int8), [3])
    labels, adj, _, _ = layer_graph(sp, dead)
    assert labels.tolist() == [0, 3, 1] and adj.astype(int).tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    assert otmann(*cell_graphs(sp, sp.concat([dead, clean]))) == 0.0

    ds = get_space("darts")
    # every edge skip_connect (op 2) except edge 0 (sep_conv_3x3, op 3) of the normal cell: node 2 sums
    # sep_conv(c_{k-2}) and c_{k-1}; nodes 3..5 sum skips of earlier nodes
    inputs = np.array([[[0, 1, 0, 2, 1, 3, 2, 4], [0, 1, 0, 1, 0, 1, 0, 1]]], np.int8)
    ops = np.full((1, 2, 8), 2, np.int8)
    ops[0, 0, 0] = 3
    cell = ds.from_arrays(inputs, ops)
    labels, adj, ins, outs = layer_graph(ds, cell)
    # normal: in0, in1, sep_conv, out; reduction: in0, in1, out (no layer)
    assert labels.tolist() == [0, 2, 3 + 3, 1, 0, 2, 1] and ins == [0, 1, 4, 5] and outs == [3, 6]
    assert sorted(map(tuple, np.argwhere(adj).tolist())) == [(0, 2), (0, 3), (1, 3), (2, 3), (4, 6), (5, 6)]

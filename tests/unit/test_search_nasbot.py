"""NASBOT / OTMANN (Kandasamy et al. 2018, official code kirthevasank/nasbot): hand-worked distances under the
code's masses, label penalties and 24 path lengths; the dummy-node network-simplex solve against the LP in
the paper's form (scipy linprog) with path lengths by brute-force path enumeration; the code's kernel,
marginal likelihood (Cholesky of the projected Gram matrix) and hyper-parameter bounds; the optimizer's
contract."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from fastnas.search.otmann import (LABELS, CellGraph, cell_graphs, distance_matrix, label_penalties,
                                   nasbot_masses, otmann)

CONV = {"conv1", "conv3", "conv5", "sep3", "sep5", "dil3", "dil5"}
POOL = {"max-pool", "avg-pool"}


def _brute_paths(g):
    """(n, 24) path lengths by enumerating every path: for the groups all, conv, pool, fc, the number of the
    group's nodes on a path other than its far end (a source node for the backward lengths, a sink for the
    forward ones); shortest, longest, and the random walk (mean over the reachable neighbours)."""
    adj, n = g.adj, len(g.labels)
    names = [LABELS[x] for x in g.labels]
    member = {"all": [True] * n, "conv": [x in CONV for x in names], "pool": [x in POOL for x in names],
              "fc": [False] * n}
    ins = [i for i in range(n) if not adj[:, i].any() and names[i] in ("ip", "ip2")]
    outs = [i for i in range(n) if names[i] == "op"]

    def direction(ends, step):
        res = np.zeros((n, 12))
        for k, grp in enumerate(("all", "conv", "pool", "fc")):
            w = member[grp]

            def paths(v):   # counts along every path from v to an end
                if v in ends:
                    return [0]
                return [w[v] + x for u in step(v) for x in paths(u)]

            def rw(v):
                if v in ends:
                    return 0.0
                nxt = [u for u in step(v) if paths(u)]
                return w[v] + np.mean([rw(u) for u in nxt])

            for v in range(n):
                p = paths(v)
                if p:
                    res[v, 3 * k:3 * k + 3] = (min(p), max(p), rw(v))
        return res

    back = direction(set(ins), lambda v: [u for u in range(n) if adj[u, v]])
    fwd = direction(set(outs), lambda v: [u for u in range(n) if adj[v, u]])
    return np.concatenate([back, fwd], axis=1)


def _paper_lp(g1, g2, nu_str, nu_nas=1.0):
    """min <Z, C_lmm + nu_str C_str> + nu_nas (tm1 - sum Z + tm2 - sum Z), Z >= 0, rows <= lm1, cols <= lm2,
    Z = 0 where the label penalty is infinite (scipy linprog, HiGHS)."""
    p1, p2 = _brute_paths(g1), _brute_paths(g2)
    n1, n2 = len(p1), len(p2)
    P = label_penalties(nu_nas)[np.ix_(g1.labels, g2.labels)]
    allowed = np.isfinite(P)
    C = np.where(allowed, P, 0.0) + nu_str * np.abs(p1[:, None] - p2[None]).mean(axis=2)
    A_ub = np.zeros((n1 + n2, n1 * n2))
    for i in range(n1):
        A_ub[i, i * n2:(i + 1) * n2] = 1
    for j in range(n2):
        A_ub[n1 + j, j::n2] = 1
    bounds = [(0, None) if ok else (0, 0) for ok in allowed.ravel()]
    r = linprog((C - 2 * nu_nas).ravel(), A_ub=A_ub, b_ub=np.concatenate([g1.mass, g2.mass]), bounds=bounds,
                method="highs")
    return r.fun + nu_nas * (g1.total_mass + g2.total_mass)


def _chain(names, channels=16):
    n = len(names)
    adj = np.zeros((n, n), dtype=bool)
    adj[np.arange(n - 1), np.arange(1, n)] = True
    c = [channels] * n
    return CellGraph(names, adj, nasbot_masses(names, c, c))


def test_label_penalties_are_the_codes():
    P, i = label_penalties(), LABELS.index
    r2 = np.sqrt(2) / 10
    assert P[i("conv1"), i("conv3")] == pytest.approx(r2 * np.sqrt(2))       # 0.2
    assert P[i("conv1"), i("conv5")] == pytest.approx(r2 * 2)                # |1 - 5| = 4
    assert P[i("sep3"), i("sep5")] == pytest.approx(0.2)
    assert P[i("sep3"), i("dil3")] == pytest.approx(0.1)                     # 0.9 * 0 + 0.1 * 1
    assert P[i("sep3"), i("dil5")] == pytest.approx(0.9 * 0.2 + 0.1)
    assert P[i("max-pool"), i("avg-pool")] == 0.5
    assert np.isinf(P[i("conv3"), i("avg-pool")]) and np.isinf(P[i("ip"), i("op")]) and np.isinf(P[i("ip"), i("ip2")])
    np.testing.assert_array_equal(np.diag(P), 0.0)
    np.testing.assert_array_equal(P, P.T)
    P2 = label_penalties(2.0)   # every entry x nu_nas; the cross-family rule mixes in nu_nas itself
    assert P2[i("conv1"), i("conv3")] == pytest.approx(0.4)
    assert P2[i("sep3"), i("dil5")] == pytest.approx(2 * (0.9 * 0.2 + 0.1 * 2))
    with pytest.raises(ValueError):
        label_penalties(0.0)


def test_masses_are_the_codes():
    # conv: c_in * c_out, pool: c_in, input/output: max(0.1 * total, 100) each
    assert nasbot_masses(["ip", "conv3", "max-pool", "op"], [0, 16, 16, 0], [0, 16, 16, 0]).tolist() == \
        [100.0, 256.0, 16.0, 100.0]
    m = nasbot_masses(["ip", "conv3", "conv1", "op"], [0, 64, 32, 0], [0, 64, 64, 0])
    np.testing.assert_allclose(m, [614.4, 4096.0, 2048.0, 614.4])
    with pytest.raises(ValueError):
        nasbot_masses(["ip", "conv3", "op"], [0, 0, 0], [0, 16, 0])
    with pytest.raises(ValueError):
        nasbot_masses(["ip", "bogus", "op"], [0, 1, 0], [0, 1, 0])


def test_hand_worked_distances():
    a = _chain(["ip", "conv3", "op"])          # masses 100, 256, 100
    b = _chain(["ip", "conv1", "op"])
    # identical structure: every node matched at its twin; conv3 -> conv1 costs 0.2 per unit: 256 * 0.2
    for nu in (0.1, 0.8):
        assert otmann(a, b, nu_str=nu) == pytest.approx(51.2)
        assert _paper_lp(a, b, nu) == pytest.approx(51.2)
    assert otmann(a, b, normalised=True) == pytest.approx(51.2 / 912)
    assert otmann(a, a) == 0.0
    # in -> x -> y -> out (conv3 twice; masses 100, 256, 256, 100) against a. Path lengths (all; conv), each
    # the same for shortest/longest/random walk on a chain; backward | forward:
    #   c: in (0;0 | 3;2), x (1;1 | 2;2), y (2;2 | 1;1), out (3;2 | 0;0)
    #   a: in (0;0 | 2;1), z (1;1 | 1;1), out (2;1 | 0;0)
    # in-in, out-out, x-z and y-z each differ by 1 in two groups x 3 types: 6 / 24 = 0.25. Optimum: in, out
    # and z matched (0.25 nu_str (100 + 100 + 256)), the other conv3 unassigned (256): d = 114 nu_str + 256
    c = _chain(["ip", "conv3", "conv3", "op"])
    D, Dbar = distance_matrix([c], [a])
    s = np.array([0.1, 0.2, 0.4, 0.8])
    np.testing.assert_allclose(D[:, 0, 0], 114 * s + 256)
    np.testing.assert_allclose(Dbar[:, 0, 0], (114 * s + 256) / (712 + 456))
    for nu in s:
        assert _paper_lp(c, a, nu) == pytest.approx(114 * nu + 256)
    # max-pool (mass 16) against avg-pool: 0.5 per unit, structure identical
    p, q = _chain(["ip", "max-pool", "op"]), _chain(["ip", "avg-pool", "op"])
    assert otmann(p, q) == pytest.approx(8.0) and _paper_lp(p, q, 1.0) == pytest.approx(8.0)
    with pytest.raises(ValueError):
        otmann(a, a, nu_nas=0.0)
    with pytest.raises(ValueError):
        distance_matrix([a], [a], struct_coeffs=(-1.0,))
    with pytest.raises(TypeError):
        distance_matrix([a], ["not a graph"])
    with pytest.raises(ValueError):
        otmann(a, b, label_cost=np.zeros((2, 2)))      # does not cover the labels
    # an explicit matrix that never matches unequal labels: conv3 and conv1 unassigned (2 x 256)
    never = np.where(np.eye(len(LABELS), dtype=bool), 0.0, np.inf)
    assert otmann(a, b, label_cost=never) == pytest.approx(512.0)


@pytest.mark.parametrize("space_name", ["nb201", "nb101", "darts"])
def test_matches_paper_lp_symmetric_zero_diagonal(space_name):
    from fastnas.spaces import get_space

    sp = get_space(space_name)
    G = cell_graphs(sp, sp.sample(5, seed=1))
    D, Dbar = distance_matrix(G, G)
    assert D.shape == (4, 5, 5)
    np.testing.assert_allclose(D, D.transpose(0, 2, 1), atol=1e-9)
    np.testing.assert_allclose(D[:, np.arange(5), np.arange(5)], 0, atol=1e-12)
    assert (D >= 0).all() and (Dbar <= 1 + 1e-9).all()
    D2, _ = distance_matrix(G[:2], G[1:])   # a distance does not depend on the other graphs of the call
    np.testing.assert_array_equal(D2, D[:, :2, 1:])
    pairs = [(0, 1), (2, 3)] if space_name == "darts" else [(0, 1), (2, 3), (1, 4)]
    for i, j in pairs:
        for c, nu in enumerate((0.1, 0.2, 0.4, 0.8)):
            assert D[c, i, j] == pytest.approx(_paper_lp(G[i], G[j], nu), rel=1e-9, abs=1e-6)
        np.testing.assert_allclose(_brute_paths(G[i]), G[i].paths)


@pytest.mark.parametrize("space_name", ["nb201", "nb101", "darts"])
def test_compiled_solver_matches_pot_network_simplex(space_name):
    pytest.importorskip("ot")
    from fastnas.spaces import get_space

    sp = get_space(space_name)
    G = cell_graphs(sp, sp.sample(12, seed=7))
    A, Abar = distance_matrix(G, G, symmetric=True)
    B, Bbar = distance_matrix(G, G, symmetric=True, solver="pot")
    np.testing.assert_allclose(A, B, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(Abar, Bbar, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError):
        distance_matrix(G, G, solver="simplex")


def test_compiled_solver_equals_its_python_twin():
    from fastnas.search import _otmann_solvers as so
    from fastnas.search.otmann import _label_cost, _padded
    from fastnas.spaces import get_space

    py = getattr(so._distances_kernel, "py_func", so._distances_kernel)
    sp = get_space("nb201")
    G = cell_graphs(sp, sp.sample(4, seed=11))
    P, L, M, k = _padded(G, max(len(g.labels) for g in G))
    lcb = np.where(np.isinf(_label_cost(G, 1.0, None)), 7.65432e5, _label_cost(G, 1.0, None))
    s = np.array([0.1, 0.8])
    A, B = np.zeros((2, 4, 4)), np.zeros((2, 4, 4))
    so._distances_kernel(P, L, M, k, P, L, M, k, lcb, s, 1.0, False, A)
    py.__globals__["_transport"] = getattr(so._transport, "py_func", so._transport)
    try:
        py(P, L, M, k, P, L, M, k, lcb, s, 1.0, False, B)
    finally:
        py.__globals__["_transport"] = so._transport
    np.testing.assert_allclose(A, B, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(A, distance_matrix(G, G, (0.1, 0.8))[0], rtol=1e-12, atol=1e-9)


def test_nb101_channels_follow_nasbench():
    from fastnas.spaces import get_space

    sp = get_space("nb101")
    # in -> conv3x3 -> out and in -> conv1x1 -> out: both feed the output, 128 / 2 = 64 channels each
    m = np.zeros((1, 7, 7), np.uint8)
    m[0, 0, 1] = m[0, 0, 2] = m[0, 1, 3] = m[0, 2, 3] = 1
    cell = sp.from_arrays(m, np.array([[-1, 0, 1, -2, -3, -3, -3]], np.int8), [4])
    g = cell_graphs(sp, cell)[0]
    assert [LABELS[x] for x in g.labels] == ["ip", "conv3", "conv1", "op"]
    np.testing.assert_allclose(g.mass, [819.2, 4096, 4096, 819.2])
    torch_nb101 = pytest.importorskip("fastnas.models.nb101")
    from fastnas.search.otmann import _nb101_vertex_channels
    for k, c in enumerate(sp.sample(20, seed=3)):
        c = sp.prune(sp.sample(1, seed=k))
        v = int(c._arrays["n_vertices"][0])
        mat = c._arrays["matrix"][0][:v, :v].astype(np.int64)
        assert _nb101_vertex_channels(128, mat) == torch_nb101.nb101_vertex_channels(128, 128, mat)


def test_gp_kernel_likelihood_and_bounds_are_the_codes():
    from scipy.linalg import cho_solve, cholesky

    from fastnas.search.nasbot import _psd, expected_improvement, hp_bounds, kernel_from_dists, log_marginal_likelihood

    # EI at mean 1, std 1, best 0: Phi(1) + phi(1) = 0.8413447 + 0.2419707
    assert expected_improvement(np.array([1.0]), np.array([1.0]), 0.0)[0] == pytest.approx(1.0833154, abs=1e-6)
    K = np.array([[1.0, 2.0], [2.0, 1.0]])  # eigenvalues 3, -1: the projection keeps 3 only
    np.testing.assert_allclose(_psd(K), np.full((2, 2), 1.5))
    # one lp and one emd distance: k = a1 exp(-b d) + a2 exp(-c dbar^2); a1 = 2, a2 = 3, b = 1e-3, c = 4
    hp = np.log([0.1, 2.0, 3.0, 1e-3, 4.0])
    D, Db = np.array([[[0.0, 500.0]]]), np.array([[[0.0, 0.5]]])
    np.testing.assert_allclose(kernel_from_dists(hp, D, Db ** 2)[0], [5.0, 2 * np.exp(-0.5) + 3 * np.exp(-1.0)])
    b = hp_bounds(2.0, 4)
    assert b.shape == (11, 2)
    np.testing.assert_allclose(np.exp(b[:3]), [[0.01, 0.4], [0.02, 200], [0.02, 200]])
    np.testing.assert_allclose(np.exp(b[3:5]), [[1e-9, 1e-3], [0.1, 100]])
    # marginal likelihood: the code's Cholesky of proj(K) + noise I, median mean, on distances that give a
    # non-PSD Gram matrix
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, size=(7, 4))
    D1 = np.abs(X[:, None] - X[None]).max(axis=2)[None] * 300.0
    Db1 = D1 / 1200.0
    y = rng.normal(size=7)
    hp = np.log([0.05, 1.0, 0.5, 5e-3, 30.0])
    Kp = _psd(kernel_from_dists(hp, D1, Db1 ** 2)) + 0.05 * np.eye(7)
    L = cholesky(Kp, lower=True)
    r = y - np.median(y)
    want = -0.5 * r @ cho_solve((L, True), r) - np.log(np.diag(L)).sum() - 3.5 * np.log(2 * np.pi)
    got, (_, _, alpha) = log_marginal_likelihood(hp, D1, Db1 ** 2, y)
    assert got == pytest.approx(want, rel=1e-9)
    np.testing.assert_allclose(alpha, cho_solve((L, True), r), rtol=1e-8)


def test_nasbot_contract_batch_and_validation():
    from fastnas.search import make
    from fastnas.spaces import get_space
    from fastnas.testing import check_optimizer

    sp = get_space("nb201")
    check_optimizer("nasbot", sp, batch=1, rounds=8, n_init=4, acq_evals=10, hp_evals=60, refit_every=2)
    opt = make("nasbot", sp, seed=0, n_init=4, acq_evals=20, hp_evals=60, batch=10)
    assert opt.batch_size == 10
    cells = opt.ask(10)                 # the n_init = 4 random cells first
    opt.tell(cells, np.arange(len(cells), dtype=float))
    assert len(cells) == 4 and len(opt.ask(10)) == 10 and opt._hp is not None and opt._D.shape == (4, 4, 4)
    assert opt.acq_budget(4) == (20, 13)
    dflt = make("nasbot", sp, seed=0)   # the code's clip(25 sqrt(t), 50, 500) and clip(3 sqrt(E), 5, 100)
    assert dflt.acq_budget(4) == (50, 21) and dflt.acq_budget(100) == (250, 47) and dflt.acq_budget(900) == (500, 67)
    for bad in ({"struct_coeffs": ()}, {"struct_coeffs": (0.1, -1.0)}, {"batch": 0}, {"hp_evals": 0},
                {"channels": 0}, {"nu_nas": 0.0}, {"acq_evals": 0}):
        with pytest.raises(ValueError):
            make("nasbot", sp, seed=0, **bad)


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
    # group "all", from the input (shortest, longest, random walk): pool's parents in (0) and conv1x1 (2):
    # 1, 3, 1 + (0 + 2)/2 = 2; out: 2, 4, 3. To the output: in's children conv3x3 (3) and pool (1): 2, 4, 3
    want_all = np.array([[0, 0, 0, 2, 4, 3],
                         [1, 1, 1, 3, 3, 3],
                         [2, 2, 2, 2, 2, 2],
                         [1, 3, 2, 1, 1, 1],
                         [2, 4, 3, 0, 0, 0]], dtype=float)
    np.testing.assert_allclose(g.paths[:, [0, 1, 2, 12, 13, 14]], want_all)
    # group "conv" counts conv3x3 and conv1x1 only: pool from the input 0 (via the skip), 2, 1; out the same;
    # in to the output: 0 (via the pool), 2, (2 + 0)/2 = 1
    np.testing.assert_allclose(g.paths[3, 3:6], [0, 2, 1])
    np.testing.assert_allclose(g.paths[0, 15:18], [0, 2, 1])
    np.testing.assert_allclose(g.mass, [100, 256, 256, 16, 100])   # 0.1 x 528 < 100
    np.testing.assert_allclose(_brute_paths(g), g.paths)


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
    np.testing.assert_allclose(D[:, :4, :4], 0.0, atol=1e-12)
    # the all-none cell matches no layer: every layer of the other cell is unassigned (its mass, nu_nas = 1)
    assert D[0, 4, 0] >= 256 and D[0, 4, 5] >= 5 * 256 + 16


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
    g = cell_graphs(ds, cell)[0]
    assert [LABELS[x] for x in g.labels] == ["ip", "ip2", "sep3", "op", "ip", "ip2", "op"]
    np.testing.assert_allclose(g.mass, [102.4, 102.4, 1024, 102.4, 102.4, 102.4, 102.4])   # 32 x 32; 0.1 x 1024

"""GP-WL (Ru et al. 2021): the WL subtree kernel against hand values and a slow independent version."""
import numpy as np
import pytest

from fastnas.predictors import make
from fastnas.predictors.gp_wl import GPWL, nb201_graph, wl_features, wl_kernel
from fastnas.spaces import get_space

# G1: A -> B ; G2: A -> A (directed, labels per node)
G1 = (np.array([[0, 1], [0, 0]]), ["A", "B"])
G2 = (np.array([[0, 1], [0, 0]]), ["A", "A"])


def _slow_wl_vectors(graphs, h):
    """Shervashidze et al. 2011, written with an explicit relabel dictionary per iteration (as grakel)."""
    labels = [[str(l) for l in lab] for _, lab in graphs]
    feats = [dict() for _ in graphs]
    for it in range(h + 1):
        if it > 0:
            table, new = {}, []
            for (A, _), lab in zip(graphs, labels):
                sig = [lab[v] + "|" + ",".join(sorted(lab[u] for u in np.flatnonzero(A[v]))) for v in range(len(lab))]
                new.append(sig)
            for sig in new:
                for s in sig:
                    table.setdefault(s, f"{it}:{len(table)}")
            labels = [[table[s] for s in sig] for sig in new]
        for f, lab in zip(feats, labels):
            for l in lab:
                f[(it, l)] = f.get((it, l), 0) + 1
    return feats


def _slow_kernel(graphs, h, oa):
    F = _slow_wl_vectors(graphs, h)
    n = len(F)
    K = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            keys = set(F[i]) & set(F[j])
            K[i, j] = sum(min(F[i][k], F[j][k]) if oa else F[i][k] * F[j][k] for k in keys)
    d = np.sqrt(np.diag(K))
    return K / np.outer(d, d)


def _norm(fa, fb, oa):
    from fastnas.predictors.gp_wl import _self_k

    return wl_kernel(fa, fb, oa) / np.sqrt(np.outer(_self_k(fa, oa), _self_k(fb, oa)))


def test_wl_kernel_hand_values():
    m = GPWL()
    f = wl_features(m._graphs([G1, G2]), h=1)
    # dot product: k12 = 1*2 (label A at h=0), k11 = 4, k22 = 4 + 2 -> 2 / sqrt(24)
    assert wl_kernel(f, f)[0, 1] == 2.0 and wl_kernel(f, f)[1, 1] == 6.0
    assert _norm(f, f, False)[0, 1] == pytest.approx(2 / np.sqrt(24))
    # histogram intersection (wloa): min(1, 2) = 1 over k11 = k22 = 4
    assert _norm(f, f, True)[0, 1] == pytest.approx(0.25)
    # h = 0: only label counts
    f0 = wl_features(m._graphs([G1, G2]), h=0)
    assert _norm(f0, f0, False)[0, 1] == pytest.approx(2 / np.sqrt(2 * 4))


@pytest.mark.parametrize("oa", [False, True])
def test_wl_kernel_matches_slow_reference_on_nb201_cells(oa):
    s = get_space("nb201")
    cells = s.sample(12, seed=3)
    graphs = [nb201_graph(o) for o in cells.ops]
    # the slow version reads adjacency matrices over the remaining nodes
    mats = []
    for succ, lab in graphs:
        nodes = sorted(lab)
        A = np.array([[1 if b in succ[a] else 0 for b in nodes] for a in nodes])
        mats.append((A, [lab[v] for v in nodes]))
    f = wl_features(graphs, 2)
    np.testing.assert_allclose(_norm(f, f, oa), _slow_kernel(mats, 2, oa), rtol=1e-12)


def test_nb201_conversion_as_naslib():
    succ, lab = nb201_graph([1] * 6)  # all skips: input wired straight to output
    assert lab == {0: "input", 7: "output"} and succ == {0: {7}, 7: set()}
    succ, lab = nb201_graph([0] * 6)  # all none: NASLib's sweep removes output (no input) and input (no output)
    assert lab == {} and succ == {}
    succ, lab = nb201_graph([3, 0, 1, 3, 0, 2])
    assert succ == {0: {1, 4}, 1: {6}, 4: {7}, 6: {7}, 7: set()}
    with pytest.raises(ValueError):
        nb201_graph([5, 0, 0, 0, 0, 0])


def test_gpwl_fits_and_ranks():
    s = get_space("nb201")
    cells = s.sample(40, seed=0)
    y = 60 + 5.0 * (cells.ops == 3).sum(1) + 2.0 * (cells.ops == 2).sum(1)
    m = make("gp_wl", preset="white2021", space=s).fit(cells[:30], y[:30])
    assert m.h_ in range(4) and 1e-7 <= m.noise_ <= 0.1
    mean, std = m.predict(cells[30:], return_std=True)
    assert np.corrcoef(mean, y[30:])[0, 1] > 0.8 and np.all(std > 0)


def test_empty_graphs_left_out_and_predicted_as_naslib():
    s = get_space("nb201")
    cells = s.sample(20, seed=1)
    ops = cells.ops.copy()
    ops[0] = 0  # disconnected: empty graph
    cells = s.from_ops(ops)
    y = 60 + 5.0 * (ops == 3).sum(1)
    y[0] = 10.0
    m = GPWL(space=s).fit(cells, y)
    mean, std = m.predict(cells[:3], return_std=True)
    assert mean[0] == 0.0 and std[0] == 0.0 and np.all(std[1:] > 0)
    m2 = GPWL(space=s).fit(cells[1:], y[1:])  # the empty cell taught nothing
    np.testing.assert_allclose(m.predict(cells[1:5]), m2.predict(cells[1:5]))


def test_gpwl_input_errors():
    s = get_space("nb201")
    c = s.sample(3, seed=0)
    with pytest.raises(ValueError, match="NB201"):
        GPWL().fit(c, [50.0, 60.0, 70.0])
    with pytest.raises(ValueError, match="percent"):
        GPWL(space=s).fit(c, [50.0, 60.0, 100.0])
    with pytest.raises(TypeError):
        GPWL().fit(np.ones((3, 2)), [1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError):
        GPWL(space=s).predict(c)
    with pytest.raises(ValueError, match="h must"):
        GPWL(space=s, h=-1).fit(c, [50.0, 60.0, 70.0])

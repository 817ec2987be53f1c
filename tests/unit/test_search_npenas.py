"""NPENAS-NP (Wei et al. 2022): the GIN predictor's forward pass against a slow reference written from the
official definition, its training determinism, and the candidate generation."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from fastnas.predictors.gcn import GINPredictor  # noqa: E402
from fastnas.search import make  # noqa: E402
from fastnas.spaces import get_space  # noqa: E402


def _slow_gin(m, F):
    """GINConv (sum over predecessors, eps 0) + MLP, ReLU, BN (running stats), mean pool, head."""
    W = [w.astype(np.float64) for w in m.weights_]
    V = m.n_nodes_
    nf = F.shape[1] - V * V
    out = []
    for row in F:
        ops = row[:nf].reshape(V, -1)
        A = (row[nf:].reshape(V, V) > 0) & ~np.eye(V, dtype=bool)
        real = ops.sum(axis=1) > 0
        x = ops
        for i in range(3):
            W1, b1, W2, b2, g, beta = W[6 * i:6 * i + 6]
            agg = np.array([x[v] + sum(x[u] for u in range(V) if A[u, v]) for v in range(V)])
            h = np.maximum(np.maximum(agg @ W1 + b1, 0) @ W2 + b2, 0)
            mu, var = m.bn_stats_[i]
            x = ((h - mu) / np.sqrt(var + 1e-5) * g + beta) * real[:, None]
        pooled = x[real].mean(axis=0)
        z = np.maximum(pooled @ W[18] + W[19], 0)
        err = m.rate / (1 + np.exp(-(z @ W[20] + W[21])[0]))
        out.append(m.target_offset - err)
    return np.array(out)


def test_gin_forward_matches_slow_reference_and_is_seeded():
    sp = get_space("nb201")
    c = sp.sample(14, seed=0)
    y = np.linspace(70, 92, 14)
    m = GINPredictor(space=sp, epochs=5, seed=0).fit(c, y)
    F = m._features(c)
    np.testing.assert_allclose(m.predict(c), _slow_gin(m, F), rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(GINPredictor(space=sp, epochs=5, seed=0).fit(c, y).predict(c), m.predict(c))
    assert not np.array_equal(GINPredictor(space=sp, epochs=5, seed=1).fit(c, y).predict(c), m.predict(c))


def test_candidates_are_new_distinct_mutations_of_the_best():
    sp = get_space("nb201")
    opt = make("npenas", sp, seed=0, n_init=10, epochs=2)
    cells = opt.ask(10)
    vals = np.arange(10.0) + 80
    opt.tell(cells, vals)
    cands = opt._candidates(10)
    keys = sp.key(cands)
    assert len(cands) == 100 and len(np.unique(keys)) == 100
    assert not np.isin(keys, sp.key(cells)).any()
    got = opt.ask(10)
    assert len(got) == 10


def test_npenas_takes_another_predictor():
    from fastnas.testing import check_optimizer

    check_optimizer("npenas", get_space("nb201"), n_init=4, n_candidates=10, predictor="blr", n_members=1)


def _slow_gaussian_gin(m, F):
    """NPENAS-BO's agent in evaluation mode: CELU GIN trunk, mean and spread heads, float64."""
    celu = lambda v: np.where(v > 0, v, np.expm1(np.minimum(v, 0)))  # noqa: E731
    W = [w.astype(np.float64) for w in m.weights_]
    V = m.n_nodes_
    nf = F.shape[1] - V * V
    means, stds = [], []
    for row in F:
        ops = row[:nf].reshape(V, -1)
        A = (row[nf:].reshape(V, V) > 0) & ~np.eye(V, dtype=bool)
        real = ops.sum(axis=1) > 0
        x = ops
        for i in range(3):
            W1, b1, W2, b2, g, beta = W[6 * i:6 * i + 6]
            agg = x + A.T.astype(float) @ x
            h = celu(celu(agg @ W1 + b1) @ W2 + b2)
            mu, var = m.bn_stats_[i]
            x = ((h - mu) / np.sqrt(var + 1e-5) * g + beta) * real[:, None]
        pooled = x[real].mean(axis=0)
        means.append(m.target_offset - (celu(pooled @ W[18] + W[19]) @ W[20] + W[21])[0])
        stds.append(np.exp(celu(celu(pooled @ W[22] + W[23]) @ W[24] + W[25])[0] / 2))
    return np.array(means), np.array(stds)


def test_gaussian_gin_matches_slow_reference_and_nll_by_hand():
    torch = pytest.importorskip("torch")
    from fastnas.predictors.gcn import GaussianGINPredictor

    sp = get_space("nb201")
    c = sp.sample(14, seed=0)
    m = GaussianGINPredictor(space=sp, epochs=5, seed=0).fit(c, np.linspace(70, 92, 14))
    mean, std = m.predict_dist(c)
    ref_mean, ref_std = _slow_gaussian_gin(m, m._features(c))
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(std, ref_std, rtol=1e-5, atol=1e-6)
    # NLL of y = 1 under N(0, 2^2): 0.5 * 1 / 4 + log(sqrt(2 pi) * 2) = 0.125 + 1.6120857
    out = torch.tensor([[0.0, 2.0]])
    assert float(m._loss(out, torch.tensor([1.0]))) == pytest.approx(0.125 + np.log(np.sqrt(2 * np.pi) * 2))


def test_npenas_bo_variant_runs_and_checks():
    from fastnas.testing import check_optimizer

    check_optimizer("npenas", get_space("nb201"), n_init=4, n_candidates=10, epochs=3, variant="bo")
    with pytest.raises(ValueError):
        make("npenas", get_space("nb201"), variant="xx")


def test_nb201_candidates_change_exactly_one_edge_of_their_parent():
    # NPENASv1's NB201 mutate (data_nasbench_201.py) changes one edge to a different op
    sp = get_space("nb201")
    opt = make("npenas", sp, seed=0, n_init=10, epochs=2, n_parents=1)
    cells = opt.ask(10)
    vals = np.arange(10.0) + 80
    opt.tell(cells, vals)
    best = cells.ops[int(np.argmax(vals))]
    cands = opt._candidates(10)
    assert len(cands) >= 10
    diff = (cands.ops != best[None, :]).sum(axis=1)
    # all are mutations of the one parent (its <= 24 one-edge neighbours, no random fill-in needed)
    assert (diff == 1).all()


@pytest.mark.parametrize("variant", ["np", "bo"])
def test_gin_batch_size_fixed_by_the_initial_cells(monkeypatch, variant):
    # the official NB201 functions set batch_size once from the 10 initial cells: 10 for the whole run
    import fastnas.search.npenas as npenas_mod

    seen = []

    class Stub:
        def __init__(self, **kw):
            seen.append(kw.get("batch_size"))

        def fit(self, X, y):
            return self

        def predict(self, X):
            return np.arange(len(X), dtype=float)

        def predict_dist(self, X):
            return np.arange(len(X), dtype=float), np.ones(len(X))

    monkeypatch.setattr(npenas_mod, "GINPredictor", Stub)
    monkeypatch.setattr(npenas_mod, "GaussianGINPredictor", Stub)
    sp = get_space("nb201")
    opt = make("npenas", sp, seed=0, n_init=10, variant=variant)
    for r in range(4):
        cells = opt.ask(10)
        opt.tell(cells, np.arange(10.0) + 80 + r)
    assert seen == [10, 10, 10]


def test_official_nb201_graph_by_hand():
    from fastnas.search.npenas import npenas_nb201_graphs

    # no 'none': nodes input, 0->1, 0->2, 0->3, 1->2, 1->3, 2->3, output with the code's 10 arcs
    ops = np.array([[1, 2, 3, 4, 1, 2]])  # edges (0,1) (0,2) (1,2) (0,3) (1,3) (2,3)
    g = npenas_nb201_graphs(ops)[0]
    # node labels: input 0, then ops of edges 0->1 (skip 2), 0->2 (conv1 3), 0->3 (pool 5), 1->2 (conv3 4),
    # 1->3 (skip 2), 2->3 (conv1 3), output 7
    assert g[:64].reshape(8, 8).argmax(axis=1).tolist() == [0, 2, 3, 5, 4, 2, 3, 7]
    arcs = {(int(i), int(j)) for i, j in np.argwhere(g[64:].reshape(8, 8))}
    assert arcs == {(0, 1), (0, 2), (0, 3), (1, 4), (1, 5), (2, 6), (4, 6), (3, 7), (5, 7), (6, 7)}
    # a dead cell: only 1->2 is an op (conv3); node 0->1, 0->2, 0->3 etc. are 'none' and deleted; the conv3
    # node and the output have no arcs left, so both are fed from the input; 5 isolate nodes pad to 8
    g = npenas_nb201_graphs(np.array([[0, 0, 3, 0, 0, 0]]))[0]
    assert g[:64].reshape(8, 8).argmax(axis=1).tolist() == [0, 4, 6, 6, 6, 6, 6, 7]
    arcs = {(int(i), int(j)) for i, j in np.argwhere(g[64:].reshape(8, 8))}
    assert arcs == {(0, i) for i in range(1, 8)}
    with pytest.raises(ValueError):
        npenas_nb201_graphs(np.array([[0, 0, 5, 0, 0, 0]]))
    with pytest.raises(ValueError):
        npenas_nb201_graphs(np.zeros((2, 5), dtype=int))


@pytest.mark.parametrize("encoding, width", [(None, 128), ("gcn", None)])
def test_npenas_gin_sees_the_official_nb201_graph(monkeypatch, encoding, width):
    import fastnas.search.npenas as npenas_mod

    seen = []

    class Spy(GINPredictor):
        def fit(self, X, y):
            seen.append(X)
            return super().fit(X, y)

    monkeypatch.setattr(npenas_mod, "GINPredictor", Spy)
    sp = get_space("nb201")
    opt = make("npenas", sp, seed=0, n_init=10, epochs=2, encoding=encoding)
    cells = opt.ask(10)
    opt.tell(cells, np.arange(10.0) + 80)
    assert len(opt.ask(10)) == 10
    if width is None:  # fastnas's encoding: the cells themselves, encoded by the predictor
        assert not isinstance(seen[0], np.ndarray)
    else:
        np.testing.assert_array_equal(seen[0], npenas_mod.npenas_nb201_graphs(cells.ops))
        assert seen[0].shape == (10, width)

"""BONAS (Shi et al. 2020): the global-node graph, the evidence BLR update and the GCN forward pass against
independent slow implementations written from the official code's definitions."""
from __future__ import annotations

import numpy as np
import pytest

from fastnas.predictors.bonas import BONAS, evidence_blr, global_node_graphs


def test_global_node_graph_by_hand():
    # 3 nodes, edges 0->1, 0->2, 1->2; ops one-hot over 2 kinds
    adj = np.array([[[0, 1, 1], [0, 0, 1], [0, 0, 0]]], dtype=float)
    ops = np.array([[[1, 0], [0, 1], [1, 0]]], dtype=float)
    X, A = global_node_graphs(ops, adj)
    # row i: node i's predecessors, itself; the global node (row 3) receives from every node
    expected_A = np.array([[1, 0, 0, 0],
                           [1, 1, 0, 0],
                           [1, 1, 1, 0],
                           [1, 1, 1, 1]], dtype=float)
    expected_X = np.array([[1, 0, 0],
                           [0, 1, 0],
                           [1, 0, 0],
                           [0, 0, 1]], dtype=float)
    np.testing.assert_array_equal(A[0], expected_A)
    np.testing.assert_array_equal(X[0], expected_X)


def test_evidence_update_by_hand():
    # Phi = I, t = (1, 2, 3), alpha = beta = 1: S = I / 2, m = t / 2, gamma = 3 / 2,
    # alpha' = 1.5 / |m|^2 = 1.5 / 3.5, beta' = (3 - 1.5) / |t - m|^2 = 1.5 / 3.5
    m, S, beta, alpha, k = evidence_blr(np.eye(3), np.array([1.0, 2.0, 3.0]), alpha0=1.0, beta0=1.0, max_iter=1)
    np.testing.assert_allclose(m, [0.5, 1.0, 1.5])
    np.testing.assert_allclose(S, np.eye(3) / 2)
    assert alpha == pytest.approx(1.5 / 3.5) and beta == pytest.approx(1.5 / 3.5) and k == 1


def _slow_evidence(Phi, t, alpha=1e-5, beta=1e-5, max_iter=200, rtol=1e-5):
    """Bishop PRML 3.5.2 fixed point, written with explicit sums."""
    N, M = Phi.shape
    eig = np.linalg.eigvalsh(Phi.T @ Phi)
    for _ in range(max_iter):
        A = alpha * np.eye(M) + beta * sum(np.outer(p, p) for p in Phi)
        S = np.linalg.inv(A)
        m = beta * S @ sum(ti * p for ti, p in zip(t, Phi))
        g = sum(beta * e / (beta * e + alpha) for e in eig)
        a_new = g / sum(mi * mi for mi in m)
        b_new = (N - g) / sum((ti - p @ m) ** 2 for ti, p in zip(t, Phi))
        done = abs(a_new - alpha) <= rtol * abs(a_new) and abs(b_new - beta) <= rtol * abs(b_new)
        alpha, beta = a_new, b_new
        if done:
            break
    return m, S, beta


def test_evidence_converges_like_slow_reference():
    rng = np.random.default_rng(0)
    Phi = rng.standard_normal((40, 5))
    t = Phi @ rng.standard_normal(5) + 0.3 * rng.standard_normal(40)
    m, S, beta, _, k = evidence_blr(Phi, t)
    m2, S2, beta2 = _slow_evidence(Phi, t)
    assert 1 < k < 200
    np.testing.assert_allclose(m, m2, rtol=1e-6)
    np.testing.assert_allclose(S, S2, rtol=1e-6)
    assert beta == pytest.approx(beta2, rel=1e-6)
    assert 1 / np.sqrt(beta) == pytest.approx(0.3, rel=0.35)  # the noise level is recovered


def _slow_embed(model, X, A):
    """Eval-mode GCN from the official definition: x <- relu(BN(A (x W) + b)), global node's state."""
    sd = {k: v.numpy().astype(np.float64) for k, v in model.net_.state_dict().items()}
    out = []
    for g in range(len(X)):
        x = X[g].astype(np.float64)
        for i in range(model.n_layers):
            z = A[g] @ (x @ sd[f"W.{i}"]) + sd[f"b.{i}"]
            z = (z - sd[f"bn.{i}.running_mean"]) / np.sqrt(sd[f"bn.{i}.running_var"] + 1e-5)
            x = np.maximum(z * sd[f"bn.{i}.weight"] + sd[f"bn.{i}.bias"], 0.0)
        out.append(x[-1])
    return np.array(out)


def test_gcn_embedding_and_head_match_slow_reference():
    pytest.importorskip("torch")
    from fastnas.spaces import get_space

    sp = get_space("nb201")
    cells = sp.sample(30, seed=0)
    y = 60 + 30 * np.random.default_rng(1).random(30)
    m = BONAS(space=sp, epochs=4, hidden=16, seed=0).fit(cells, y)
    F = m._features(cells)
    X, A = m._graphs(F)
    Z = m.embed(cells)
    np.testing.assert_allclose(Z, _slow_embed(m, X, A), rtol=1e-4, atol=1e-5)
    mu, s = m.predict_logit(cells)
    np.testing.assert_allclose(mu, Z @ m.m_, rtol=1e-10)
    np.testing.assert_allclose(s, np.sqrt(1 / m.beta_ + np.array([z @ m.S_ @ z for z in Z])), rtol=1e-10)
    np.testing.assert_allclose(m.predict(cells), 100 / (1 + np.exp(-mu)), rtol=1e-10)
    # same seed -> same model; persistence round trip
    m2 = BONAS(space=sp, epochs=4, hidden=16, seed=0).fit(cells, y)
    np.testing.assert_array_equal(m2.predict_logit(cells)[0], mu)


def test_bonas_rejects_bad_targets_and_runs_on_nb101():
    pytest.importorskip("torch")
    from fastnas.spaces import get_space

    sp = get_space("nb101")
    c = sp.sample(8, seed=0)
    with pytest.raises(ValueError, match="target"):
        BONAS(space=sp, epochs=1).fit(c, np.linspace(50, 150, 8))
    m = BONAS(space=sp, epochs=2, seed=0).fit(c, np.linspace(80, 90, 8))
    assert m.n_nodes_ == 7 and m.embed(c).shape == (8, 64)


def test_bonas_optimizer_picks_max_ei_from_a_fresh_pool():
    pytest.importorskip("torch")
    from fastnas.search import make
    from fastnas.search.acquisition import acquire
    from fastnas.spaces import get_space
    from fastnas.sim.synthetic import SyntheticBenchmark, ToySpace

    b = SyntheticBenchmark(ToySpace(5, 4), seed=1, pair=0.0)
    opt = make("bonas", b.space, seed=0, n_init=6, epochs=3, n_candidates=50)
    cells = opt.ask(6)
    opt.tell(cells, b.query(cells))
    twin = make("bonas", b.space, seed=0, n_init=6, epochs=3, n_candidates=50)
    twin.load_state_dict(opt.state_dict())
    got = opt.ask(5)
    # replay the same draws by hand: surrogate seed, then the pool, then EI top-5
    model = twin.surrogate(twin._draw_seed()).fit(twin.cells_, twin._y)
    pool = twin._random_fresh(50)
    mu, s = model.predict_logit(pool)
    ei = acquire("ei", mu, s, best=model.best_logit_)
    best = set(b.space.key(pool[np.argsort(-ei, kind="stable")[:5]]).tolist())
    assert set(b.space.key(got).tolist()) == best
    with pytest.raises(ValueError):
        make("bonas", get_space("nb201"), n_candidates=0)

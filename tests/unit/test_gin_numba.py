"""The compiled GIN trainer (``fastnas._kernels.gin``, NPENAS-NP's and NPENAS-BO's predictors) against torch
autograd + torch.optim.Adam on the torch class's own forward pass: loss, gradients, BatchNorm statistics,
Adam steps with the code's parameter groups and cosine schedule (float64 tight, float32 at its round-off),
a first Adam step checked by hand, predictions, seeding, persistence, bad input, and that the two engines
rank NB201 cells equally well."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from fastnas._kernels import gin as K  # noqa: E402
from fastnas.predictors.gcn import GaussianGINPredictor, GINPredictor  # noqa: E402
from fastnas.spaces import get_space  # noqa: E402

H, D = 32, 16


def _problem(gauss, dt, n=13, seed=1):
    """A fixed NB201 problem: graphs of n cells, targets (errors), initial flat parameters."""
    sp = get_space("nb201")
    c = sp.sample(n, seed=0)
    m = (GaussianGINPredictor if gauss else GINPredictor)(space=sp)
    m.n_nodes_, m.n_graphs_ = 8, 1
    ops, AT, mask = m._graphs(m._features(c))
    rng = np.random.default_rng(seed)
    p0 = K.init_params(ops.shape[2], H, D, gauss, rng, dt)
    y = (100.0 - np.linspace(70, 92, n)).astype(dt)
    return m, ops.astype(dt), AT.astype(dt), mask, y, p0, rng


def _fresh_stats(dt):
    return np.stack([np.stack([np.zeros(H), np.ones(H)])] * 3).astype(dt)


def _torch_params(p, shapes, tdt):
    return [torch.tensor(w, dtype=tdt, requires_grad=True) for w in K.unflatten(p, shapes)]


@pytest.mark.parametrize("gauss", [False, True], ids=["np", "bo"])
@pytest.mark.parametrize("dt", [np.float64, np.float32])
def test_loss_gradient_and_bn_stats_equal_torch_autograd(gauss, dt):
    m, ops, AT, mask, y, p0, rng = _problem(gauss, dt)
    tdt = torch.float64 if dt == np.float64 else torch.float32
    shapes = K.param_shapes(ops.shape[2], H, D, gauss)
    rows = np.array([3, 0, 5, 7, 12, 1, 2, 9, 10, 4], dtype=np.int64)
    keep = (rng.random((10, D)) >= 0.1).astype(dt)
    assert 0 < keep.sum() < keep.size
    stats = _fresh_stats(dt)
    grad = np.zeros_like(p0)
    out, loss = K.loss_grad(p0, H, D, gauss, ops, AT, mask.astype(dt), rows, keep, 0.1, 100.0, y[rows], stats, grad)
    params = _torch_params(p0, shapes, tdt)
    tstats = [[torch.zeros(H, dtype=tdt), torch.ones(H, dtype=tdt)] for _ in range(3)]
    o = m._forward(torch, params, torch.tensor(ops[rows]), torch.tensor(AT[rows]), torch.tensor(mask[rows]), tstats,
                   True, torch.tensor(keep > 0))
    ref_loss = m._loss(o, torch.tensor(y[rows]))
    ref_loss.backward()
    g_ref = np.concatenate([q.grad.numpy().ravel() for q in params])
    s_ref = np.stack([np.stack([a.numpy(), b.numpy()]) for a, b in tstats])
    tol = 1e-10 if dt == np.float64 else 2e-5
    rl = float(ref_loss.detach())
    assert abs(loss - rl) <= tol * abs(rl)
    assert np.abs(g_ref).max() > 1.0 and (g_ref != 0).mean() > 0.5  # a real gradient, not zeros
    np.testing.assert_allclose(grad, g_ref, rtol=0, atol=tol * np.abs(g_ref).max())
    np.testing.assert_allclose(stats, s_ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(out[:, : 2 if gauss else 1], o.detach().numpy().reshape(10, -1), rtol=tol * 10)


def _torch_training(m, p0, ops, AT, mask, y, perms, keep, bs, lr, wd, T, gauss, tdt, eps):
    """The reference: torch autograd + torch.optim.Adam with the code's groups and cosine schedule."""
    shapes = K.param_shapes(ops.shape[2], H, D, gauss)
    params = _torch_params(p0, shapes, tdt)
    groups = []
    for i, p in enumerate(params):
        bias = p.dim() == 1 and not (i < 18 and i % 6 == 4)  # BN scales are "weights" in the code
        groups.append({"params": [p], "lr": lr * (2.0 if bias else 1.0), "weight_decay": 0.0 if bias else wd})
    opt = torch.optim.Adam(groups, lr, betas=(0.0, 0.9), eps=eps)
    base = [g["lr"] for g in opt.param_groups]
    stats = [[torch.zeros(H, dtype=tdt), torch.ones(H, dtype=tdt)] for _ in range(3)]
    Ot, At, Mt, Yt = (torch.tensor(a) for a in (ops, AT, mask, y))
    losses, step = [], 0
    for ep in range(perms.shape[0]):
        for s in range(0, len(ops), bs):
            idx = torch.tensor(perms[ep, s:s + bs])
            kp = torch.tensor(keep[ep, s:s + bs] > 0)
            out = m._forward(torch, params, Ot[idx], At[idx], Mt[idx], stats, True, kp)
            loss = m._loss(out, Yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            step += 1
            for g, b0 in zip(opt.param_groups, base):
                g["lr"] = 0.5 * b0 * (1 + math.cos(math.pi * (step + 2) / T))
    p = np.concatenate([q.detach().numpy().ravel() for q in params])
    return p, np.stack([np.stack([a.numpy(), b.numpy()]) for a, b in stats]), np.array(losses)


@pytest.mark.parametrize("gauss", [False, True], ids=["np", "bo"])
@pytest.mark.parametrize("dt", [np.float64, np.float32])
def test_adam_steps_equal_torch(gauss, dt):
    # 13 cells, batch 5: batches of 5, 5 and 3 per epoch; 3 epochs = 9 Adam steps with lr changing every
    # step (T = 7, so the cosine also passes its minimum and rises again, as the code's does).
    # Adam's eps is 1e-4 here, not the code's 1e-8: with beta1 = 0 a step is lr * g / (|g| + eps), so a
    # gradient that is pure round-off in both engines (a bias that BatchNorm cancels: about 1e-13 in float64)
    # would step by up to lr * 1e-5 in a direction set by the round-off, and such differences grow step by
    # step; eps 1e-4 makes those steps negligible and leaves every other step as it was (|g| >> 1e-4).
    # test_first_adam_step_by_hand checks the code's eps 1e-8.
    m, ops, AT, mask, y, p0, rng = _problem(gauss, dt)
    tdt = torch.float64 if dt == np.float64 else torch.float32
    # float32: one epoch (3 steps) and eps 1e-3, as its round-off gradients are about 1e-4
    E, n, bs, lr, wd = (3 if dt == np.float64 else 1), len(ops), 5, 0.01, 1e-4
    eps = 1e-4 if dt == np.float64 else 1e-3
    perms = np.stack([rng.permutation(n) for _ in range(E)]).astype(np.int64)
    keep = (rng.random((E, n, D)) >= 0.1).astype(dt)
    T = int(E * n / bs)
    shapes = K.param_shapes(ops.shape[2], H, D, gauss)
    lr_vec, wd_vec = K.group_vectors(shapes, lr, wd)
    p = p0.copy()
    stats = _fresh_stats(dt)
    losses = K.fit_gin(p, H, D, gauss, ops, AT, mask.astype(dt), y, perms, keep, bs, 0.1, 100.0, lr_vec, wd_vec,
                       float(T), 0.0, 0.9, eps, stats)
    p_ref, s_ref, l_ref = _torch_training(m, p0, ops, AT, mask, y, perms, keep, bs, lr, wd, T, gauss, tdt, eps)
    assert len(losses) == 3 * E and np.abs(p_ref - p0).max() > 0.05  # it trained
    if dt == np.float64:
        np.testing.assert_allclose(losses, l_ref, rtol=1e-7)
        np.testing.assert_allclose(p, p_ref, rtol=0, atol=1e-7)
        np.testing.assert_allclose(stats, s_ref, rtol=1e-7, atol=1e-7)
    else:
        # float32: BatchNorm's backward cancels terms, so in both engines many small gradients carry float32
        # round-off of their own size, and Adam with beta1 = 0 steps them by about +-lr whatever their size.
        # The first loss is exact to float32, the next ones within 0.1 % and 2 %, and most parameters agree
        # to a fraction of one step (the float64 run above is the exact comparison)
        np.testing.assert_allclose(losses[0], l_ref[0], rtol=1e-5)
        np.testing.assert_allclose(losses[1], l_ref[1], rtol=1e-3)
        np.testing.assert_allclose(losses, l_ref, rtol=2e-2)
        assert np.median(np.abs(p - p_ref)) < 0.2 * lr
        np.testing.assert_allclose(stats, s_ref, rtol=0.1, atol=1e-2)


@pytest.mark.parametrize("gauss", [False, True], ids=["np", "bo"])
def test_first_adam_step_by_hand(gauss):
    # betas (0, 0.9): m = g, v = 0.1 g^2, the bias corrections give |step| = lr |g| / (|g| + 1e-8), i.e. the
    # group's lr for every entry whose gradient (with the L2 term wd * p) is far from zero: weights and BN
    # scales move by 0.01, biases and BN shifts by 0.02
    _, ops, AT, mask, y, p0, rng = _problem(gauss, np.float64)
    shapes = K.param_shapes(ops.shape[2], H, D, gauss)
    lr_vec, wd_vec = K.group_vectors(shapes, 0.01, 1e-4)
    assert set(np.unique(lr_vec)) == {0.01, 0.02} and wd_vec[lr_vec == 0.02].max() == 0
    n_bn_scale = 3 * H
    assert (lr_vec == 0.01).sum() == sum(int(np.prod(s)) for s in shapes if len(s) == 2) + n_bn_scale
    rows = np.arange(10, dtype=np.int64)
    keep = np.ones((10, D))
    grad = np.zeros_like(p0)
    K.loss_grad(p0, H, D, gauss, ops, AT, mask.astype(float), rows, keep, 0.1, 100.0, y[rows], _fresh_stats(float),
                grad)
    g = grad + wd_vec * p0
    p = p0.copy()
    K.fit_gin(p, H, D, gauss, ops[:10], AT[:10], mask[:10].astype(float), y[:10], rows[None], keep[None], 10, 0.1,
              100.0, lr_vec, wd_vec, 100.0, 0.0, 0.9, 1e-8, _fresh_stats(float))
    big = np.abs(g) > 1e-4
    assert big.mean() > 0.5
    np.testing.assert_allclose(np.abs(p - p0)[big], lr_vec[big], rtol=1e-3)
    np.testing.assert_array_equal(np.sign(p0 - p)[big], np.sign(g[big]))


@pytest.mark.parametrize("cls", [GINPredictor, GaussianGINPredictor])
def test_fitted_model_predicts_as_torch_forward_and_is_seeded(cls, tmp_path):
    sp = get_space("nb201")
    c = sp.sample(30, seed=3)
    y = np.linspace(70, 92, 30)
    a = cls(space=sp, epochs=20, seed=5).fit(c, y)
    b = cls(space=sp, epochs=20, seed=5).fit(c, y)
    d = cls(space=sp, epochs=20, seed=6).fit(c, y)
    for wa, wb in zip(a.weights_, b.weights_):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.predict(c), d.predict(c))
    # same fitted state, torch forward pass
    t = cls(space=sp, epochs=20, seed=5, engine="torch")
    t._set_fitted_state(a._fitted_state())
    np.testing.assert_allclose(a.predict(c), t.predict(c), rtol=1e-5, atol=1e-3)
    if cls is GaussianGINPredictor:
        (ma, sa), (mt, st) = a.predict_dist(c), t.predict_dist(c)
        np.testing.assert_allclose(sa, st, rtol=1e-4)
        assert (sa > 0).all()
    path = tmp_path / "gin.npz"
    a.save(path)
    np.testing.assert_array_equal(cls.load(path).predict(c), a.predict(c))
    assert np.std(a.predict(c)) > 0


@pytest.mark.parametrize("bad", [dict(engine="jax"), dict(dropout=1.0), dict(lr=0.0), dict(hidden=0),
                                 dict(batch_size=0), dict(epochs=0), dict(rate=-1.0)])
def test_bad_parameters_raise(bad):
    sp = get_space("nb201")
    c = sp.sample(12, seed=0)
    with pytest.raises(ValueError):
        GINPredictor(space=sp, **{"epochs": 2, **bad}).fit(c, np.linspace(80, 90, 12))


def test_bad_input_raises():
    sp = get_space("nb201")
    with pytest.raises(ValueError):
        GINPredictor(epochs=2).fit(np.random.default_rng(0).random((12, 5)), np.arange(12.0))
    m = GINPredictor(space=sp, epochs=2, seed=0).fit(sp.sample(12, seed=0), np.linspace(80, 90, 12))
    with pytest.raises(ValueError):
        m.predict(np.zeros((3, 7)))


@pytest.mark.slow
@pytest.mark.parametrize("cls", [GINPredictor, GaussianGINPredictor])
def test_engines_rank_nb201_equally_well(cls):
    # the same algorithm: over 4 seeds, Kendall tau on a fixed cifar10-valid split (60 train, 300 test cells,
    # a shortened 100-epoch schedule so the torch engine stays fast) agrees within the seeds' noise
    from scipy.stats import kendalltau

    from fastnas.nasbench import load
    from fastnas.nasbench._registry import BUNDLED

    bench = load("nb201", dataset="cifar10-valid", root=BUNDLED)
    cells = bench.space.sample(360, seed=11)
    y = bench.query(cells)
    tr, te = cells[:60], cells[60:]
    tau = {}
    for engine in ("numba", "torch"):
        tau[engine] = np.array([kendalltau(cls(space=bench.space, epochs=100, seed=s, engine=engine)
                                           .fit(tr, y[:60]).predict(te), y[60:])[0] for s in range(4)])
    se = np.sqrt((tau["numba"].var(ddof=1) + tau["torch"].var(ddof=1)) / 4)
    assert tau["numba"].mean() > 0.3 and tau["torch"].mean() > 0.3, tau
    assert abs(tau["numba"].mean() - tau["torch"].mean()) < 3 * se + 0.03, tau


@pytest.mark.parametrize("space", ["nb101", "darts"])
@pytest.mark.parametrize("gauss", [False, True], ids=["np", "bo"])
def test_padded_and_two_cell_graphs_equal_torch_autograd(space, gauss):
    # NB101: padded nodes (mask 0) are left out of BatchNorm and pooling; DARTS: two cells as one graph
    sp = get_space(space)
    c = sp.sample(10, seed=2)
    y = np.linspace(70, 92, 10)
    cls = GaussianGINPredictor if gauss else GINPredictor
    m = cls(space=sp, epochs=1, seed=0).fit(c, y)
    ops, AT, mask = m._graphs(m._features(c))
    if space == "nb101":
        assert not mask.all()  # some cells have fewer than 7 vertices
    else:
        assert ops.shape[1] == 2 * m.n_nodes_
    ops, AT = ops.astype(np.float64), AT.astype(np.float64)
    rng = np.random.default_rng(4)
    p0 = K.init_params(ops.shape[2], H, D, gauss, rng, np.float64)
    shapes = K.param_shapes(ops.shape[2], H, D, gauss)
    rows = np.arange(10, dtype=np.int64)
    keep = (rng.random((10, D)) >= 0.1).astype(np.float64)
    tgt = 100.0 - y
    stats = _fresh_stats(np.float64)
    grad = np.zeros_like(p0)
    _, loss = K.loss_grad(p0, H, D, gauss, ops, AT, mask.astype(float), rows, keep, 0.1, 100.0, tgt, stats, grad)
    params = _torch_params(p0, shapes, torch.float64)
    tstats = [[torch.zeros(H, dtype=torch.float64), torch.ones(H, dtype=torch.float64)] for _ in range(3)]
    o = m._forward(torch, params, torch.tensor(ops), torch.tensor(AT), torch.tensor(mask), tstats, True,
                   torch.tensor(keep > 0))
    ref = m._loss(o, torch.tensor(tgt))
    ref.backward()
    g_ref = np.concatenate([q.grad.numpy().ravel() for q in params])
    assert abs(loss - float(ref.detach())) <= 1e-10 * abs(float(ref.detach()))
    np.testing.assert_allclose(grad, g_ref, rtol=0, atol=1e-10 * np.abs(g_ref).max())
    np.testing.assert_allclose(stats, np.stack([np.stack([a.numpy(), b.numpy()]) for a, b in tstats]), atol=1e-12)
    # and the fitted model's kernel predictions equal the torch forward pass
    t = cls(space=sp, engine="torch")
    t._set_fitted_state(m._fitted_state())
    np.testing.assert_allclose(m.predict(c), t.predict(c), rtol=1e-5, atol=1e-3)


@given(seed=st.integers(0, 2**32 - 1), nb=st.integers(2, 13), gauss=st.booleans(),
       dropout=st.sampled_from([0.0, 0.1, 0.5]))
@settings(max_examples=15, deadline=None)
def test_gradient_equals_autograd_on_random_batches(seed, nb, gauss, dropout):
    # any batch of two or more graphs, weights and dropout mask. (A batch of one NB201 graph is degenerate:
    # BatchNorm over its own nodes makes the pooled state exactly the BN shift, 0 at initialisation, so the
    # head's ReLU sits at round-off around 0 and either engine's derivative there is arbitrary. NPENAS's
    # batches never hold one graph: 10 cells per round, batch 10.)
    m, ops, AT, mask, y, _, _ = _problem(gauss, np.float64, seed=0)
    rng = np.random.default_rng(seed)
    p0 = K.init_params(ops.shape[2], H, D, gauss, rng, np.float64)
    rows = rng.choice(len(ops), size=nb, replace=False).astype(np.int64)
    keep = (rng.random((nb, D)) >= dropout).astype(np.float64)
    stats = _fresh_stats(np.float64)
    grad = np.zeros_like(p0)
    _, loss = K.loss_grad(p0, H, D, gauss, ops, AT, mask.astype(float), rows, keep, dropout, 100.0, y[rows], stats,
                          grad)
    params = _torch_params(p0, K.param_shapes(ops.shape[2], H, D, gauss), torch.float64)
    tstats = [[torch.zeros(H, dtype=torch.float64), torch.ones(H, dtype=torch.float64)] for _ in range(3)]
    m.dropout = dropout
    o = m._forward(torch, params, torch.tensor(ops[rows]), torch.tensor(AT[rows]), torch.tensor(mask[rows]), tstats,
                   True, torch.tensor(keep > 0) if dropout > 0 else None)
    ref = m._loss(o, torch.tensor(y[rows]))
    ref.backward()
    g_ref = np.concatenate([q.grad.numpy().ravel() for q in params])
    assert abs(loss - float(ref.detach())) <= 1e-10 * max(abs(float(ref.detach())), 1.0)
    np.testing.assert_allclose(grad, g_ref, rtol=0, atol=1e-9 * max(np.abs(g_ref).max(), 1.0))

"""The compiled BANANAS ensemble trainer (``fastnas._kernels.mlp_ensemble``) against torch autograd + Adam,
a hand-computed Adam step, and the BANANAS optimizer that uses it."""
from __future__ import annotations

import numpy as np
import pytest

from fastnas._kernels.mlp_ensemble import fit_ensemble, glorot_init, layer_sizes, n_params, predict_ensemble
from fastnas.predictors.mlp_ensemble_batched import NumbaMLPEnsemble


def _torch_reference(p0, sizes, X, y, perms, batch, lr, betas, eps, loss):
    """Independent slow reference: per member, torch tensors + autograd + torch.optim.Adam."""
    torch = pytest.importorskip("torch")
    out = []
    for e in range(p0.shape[0]):
        Ws, o = [], 0
        for a, b in zip(sizes[:-1], sizes[1:]):
            Ws.append(torch.tensor(p0[e, o:o + a * b].reshape(a, b), requires_grad=True))
            o += a * b
            Ws.append(torch.tensor(p0[e, o:o + b], requires_grad=True))
            o += b
        opt = torch.optim.Adam(Ws, lr=lr, betas=betas, eps=eps)
        Xt, Yt = torch.tensor(X), torch.tensor(y)
        for ep in range(perms.shape[0]):
            for s in range(0, len(X), batch):
                idx = torch.tensor(perms[ep, e, s:s + batch])
                h = Xt[idx]
                for i in range(len(Ws) // 2):
                    h = h @ Ws[2 * i] + Ws[2 * i + 1]
                    if i < len(Ws) // 2 - 1:
                        h = torch.relu(h)
                d = h[:, 0] - Yt[idx]
                lval = d.abs().mean() if loss == 0 else (d * d).mean()
                opt.zero_grad()
                lval.backward()
                opt.step()
        out.append(np.concatenate([w.detach().numpy().ravel() for w in Ws]))
    return np.array(out)


@pytest.mark.parametrize("loss", [0, 1])
def test_kernel_equals_torch_autograd_adam(loss):
    rng = np.random.default_rng(3)
    n, d, E, epochs, batch = 23, 7, 3, 4, 8  # 23 rows: two full batches of 8 and a remainder of 7
    X = rng.random((n, d)).astype(np.float32)
    y = (X @ rng.random(d) * 3).astype(np.float32)
    sizes = layer_sizes(d, 3, 6)
    p0 = glorot_init(sizes, E, rng)
    perms = np.stack([[rng.permutation(n) for _ in range(E)] for _ in range(epochs)]).astype(np.int64)
    got = fit_ensemble(p0.copy(), sizes, X, y, perms, batch, 0.01, 0.9, 0.99, 1e-8, loss)
    ref = _torch_reference(p0, sizes, X, y, perms, batch, 0.01, (0.9, 0.99), 1e-8, loss)
    assert np.abs(got - p0).max() > 1e-3  # it trained
    np.testing.assert_allclose(got, ref, rtol=0, atol=2e-5)
    pred = predict_ensemble(got, sizes, X)
    assert pred.shape == (E, n)


def test_first_adam_step_by_hand():
    # one linear layer (no hidden layer), zero weights: pred 0, MAE gradient dL/dpred = -1/2 per row,
    # dW = X^T g = (-0.5, -0.5), db = -1; Adam's first step is lr * g / (|g| + eps'), i.e. +lr per weight.
    X = np.eye(2, dtype=np.float32)
    y = np.array([1.0, 2.0], dtype=np.float32)
    sizes = layer_sizes(2, 0, 1)
    assert n_params(sizes) == 3
    p = np.zeros((1, 3), dtype=np.float32)
    perms = np.array([[[0, 1]]], dtype=np.int64)
    fit_ensemble(p, sizes, X, y, perms, 32, 0.1, 0.9, 0.99, 1e-8, 0)
    np.testing.assert_allclose(p[0], [0.1, 0.1, 0.1], rtol=1e-6)
    np.testing.assert_allclose(predict_ensemble(p, sizes, X)[0], [0.2, 0.2], rtol=1e-6)


def test_predictor_learns_seeded_and_persists(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((60, 5))
    y = X @ np.array([1.0, -2.0, 3.0, 0.5, 0.0])
    a = NumbaMLPEnsemble(n_layers=2, epochs=60, seed=1).fit(X, y)
    b = NumbaMLPEnsemble(n_layers=2, epochs=60, seed=1).fit(X, y)
    c = NumbaMLPEnsemble(n_layers=2, epochs=60, seed=2).fit(X, y)
    np.testing.assert_array_equal(a.params_, b.params_)
    assert not np.array_equal(a.params_, c.params_)
    mean, std = a.predict_dist(X)
    assert np.abs(mean - y).mean() < 0.5 * np.abs(y - y.mean()).mean()  # better than the constant model
    assert (std >= 0).all() and std.max() > 0
    np.testing.assert_allclose(a.member_predictions(X).mean(axis=0), mean)


@pytest.mark.parametrize("bad", [dict(loss="l1"), dict(n_members=0), dict(n_layers=-1), dict(lr=0.0),
                                 dict(betas=(1.0, 0.9)), dict(batch_size=0)])
def test_predictor_rejects_bad_parameters(bad):
    X = np.random.default_rng(0).random((10, 3))
    with pytest.raises(ValueError):
        NumbaMLPEnsemble(epochs=2, **bad).fit(X, X.sum(axis=1))


def test_bananas_uses_any_predictor_and_checks_it():
    from fastnas.search import make
    from fastnas.sim.synthetic import SyntheticBenchmark, ToySpace
    from fastnas.testing import check_optimizer

    space = ToySpace()
    check_optimizer("bananas", space, predictor="rf", predictor_params={"n_estimators": 10}, n_members=2)
    with pytest.raises(ValueError):
        make("bananas", space, predictor="no_such_model")
    with pytest.raises(TypeError):
        make("bananas", space, predictor=NumbaMLPEnsemble())
    b = SyntheticBenchmark(space)
    opt = make("bananas", space, seed=0, predictor="blr", n_members=1, n_init=5)
    cells = opt.ask(5)
    opt.tell(cells, b.query(cells))
    assert len(opt.ask(10)) == 10

"""fastnas.train.fit: determinism, exact resume, checkpoints, callbacks, data validation, a hand-worked step."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fastnas.train import Curves, PatienceStop, PredictedStop, ThresholdStop, fit  # noqa: E402




def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2, 6, 6)).astype(np.float32)
    y = (X[:, 0].mean(axis=(1, 2)) > X[:, 1].mean(axis=(1, 2))).astype(np.int64) + (X[:, 0, 0, 0] > 1)
    return X, y


def net(seed=0):
    from fastnas.models._seed import init_rng

    with init_rng(seed):  # seeded weights without touching the global torch RNG
        return torch.nn.Sequential(
            torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.Dropout(0.2),
            torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(4, 3))


def run(**kw):
    X, y = data()
    args = dict(epochs=4, lr=0.05, batch_size=8, seed=11, progress=False)
    args.update(kw)
    return fit(net(), (X[:32], y[:32]), (X[32:], y[32:]), **args)


def test_same_seed_same_curves_and_weights():
    a, b = run(), run()
    for k in ("train_loss", "train_acc", "val_loss", "val_acc"):
        assert np.array_equal(getattr(a, k), getattr(b, k))
        assert getattr(a, k).shape == (4,)
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    c = run(seed=12)
    assert not np.array_equal(a.train_loss, c.train_loss)
    assert a.device == "cpu" and not a.stopped_early


def test_global_torch_rng_untouched():
    X, y = data()
    model = net()
    torch.manual_seed(5)
    expect = torch.rand(3)
    torch.manual_seed(5)
    fit(model, (X, y), (X, y), epochs=1, progress=False)
    assert torch.equal(torch.rand(3), expect)


def test_resume_is_identical_to_uninterrupted(tmp_path):
    full = run(optimizer="adam", lr=0.01)

    class Interrupt(Exception):
        pass

    def boom(curves):
        if len(curves) == 3:
            raise Interrupt

    with pytest.raises(Interrupt):
        run(optimizer="adam", lr=0.01, checkpoint=tmp_path, callbacks=[boom])
    saved = json.loads((tmp_path / "curves.json").read_text())
    assert len(saved["train_loss"]) == 2 and saved["config"]["optimizer"] == "adam"
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    assert set(state) >= {"model", "optimizer", "curves", "config"}
    resumed = run(optimizer="adam", lr=0.01, checkpoint=tmp_path)
    assert resumed.resumed_from == 2
    for k in ("train_loss", "train_acc", "val_loss", "val_acc", "lr"):
        assert np.array_equal(getattr(resumed, k), getattr(full, k)), k
    sa, sb = full.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    # a finished checkpoint resumes to the same result without training
    again = run(optimizer="adam", lr=0.01, checkpoint=tmp_path)
    assert again.resumed_from == 4 and np.array_equal(again.val_acc, full.val_acc)
    with pytest.raises(ValueError, match="other settings.*lr"):
        run(optimizer="adam", lr=0.02, checkpoint=tmp_path)
    fresh = run(optimizer="adam", lr=0.02, checkpoint=tmp_path, resume=False)
    assert fresh.resumed_from == 0
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="must be a directory"):
        run(checkpoint=tmp_path / "file")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "state.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="state.pt: not a readable checkpoint") as ei:
        run(checkpoint=tmp_path / "bad")
    assert "weights_only" not in str(ei.value)  # never torch's advice to load unsafely


def test_dataset_input_equals_arrays():
    X, y = data()

    class DS(torch.utils.data.Dataset):
        def __init__(self, X, y):
            self.X, self.y = X, y

        def __len__(self):
            return len(self.y)

        def __getitem__(self, i):
            return torch.from_numpy(self.X[i]), int(self.y[i])

    kw = dict(epochs=2, lr=0.05, batch_size=8, seed=4, progress=False)
    a = fit(net(), (X[:32], y[:32]), (X[32:], y[32:]), **kw)
    b = fit(net(), DS(X[:32], y[:32]), DS(X[32:], y[32:]), **kw)
    c = fit(net(), torch.utils.data.TensorDataset(torch.from_numpy(X[:32]), torch.from_numpy(y[:32])),
            (torch.from_numpy(X[32:]), torch.from_numpy(y[32:])), **kw)
    for r in (b, c):
        assert np.array_equal(a.train_loss, r.train_loss) and np.array_equal(a.val_acc, r.val_acc)


def test_one_sgd_step_by_hand():
    # one batch, plain SGD (momentum 0, no decay), constant lr: w <- w - lr * dL/dw, L = mean cross-entropy
    X = np.array([[1.0, 2.0], [-1.0, 0.5]], dtype=np.float32)
    y = np.array([0, 1])
    lin = torch.nn.Linear(2, 2)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.1, -0.2], [0.3, 0.4]]))
        lin.bias.zero_()
    W = lin.weight.detach().numpy().astype(np.float64).copy()
    logits = X @ W.T
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(2), y]))
    g = (p - np.eye(2)[y]) / 2
    W_new = W - 0.5 * g.T @ X
    res = fit(lin, (X, y), epochs=1, optimizer="sgd", lr=0.5, momentum=0.0, weight_decay=0.0, batch_size=2,
              schedule="constant", seed=0, progress=False)
    assert res.train_loss[0] == pytest.approx(loss, rel=1e-5)
    assert np.allclose(lin.weight.detach().numpy(), W_new, atol=1e-6)
    assert np.isnan(res.val_acc[0])


def test_cosine_schedule_values():
    r = run(epochs=4)
    assert np.allclose(r.lr, [0.05 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)])


def test_callbacks_stop_and_all_see_every_epoch():
    seen = []
    r = run(epochs=5, callbacks=[lambda c: len(c) == 2, lambda c: seen.append(len(c))])
    assert r.stopped_early and r.epochs_run == 2 and seen == [1, 2]
    assert ThresholdStop(2, 50.0)(Curves(epochs=5, val_acc=[10.0, 20.0]))
    assert not ThresholdStop(2, 50.0)(Curves(epochs=5, val_acc=[10.0, 60.0]))
    assert not PatienceStop(2)(Curves(epochs=9, val_acc=[1.0, 2.0, 3.0]))
    assert PatienceStop(2, metric="val_loss")(Curves(epochs=9, val_loss=[1.0, 2.0, 3.0]))
    assert not PatienceStop(1)(Curves(epochs=9, val_acc=[float("nan")] * 4))  # no validation data: never stops
    ps = PredictedStop(lambda v, n: float(v[-1]), target=99.0, min_epochs=2)
    r = run(epochs=5, callbacks=[ps])
    assert r.epochs_run == 2 and len(ps.predictions) == 1


@pytest.mark.parametrize("bad, match", [
    (lambda X, y: (X, y[:-1]), "40 samples but y has 39"),
    (lambda X, y: (np.where(np.arange(40)[:, None, None, None] == 7, np.nan, X), y), "NaN or inf.*sample 7"),
    (lambda X, y: (X, np.where(np.arange(40) == 5, 3, y)), "label 3 of sample 5 is out of range"),
    (lambda X, y: (X, np.where(np.arange(40) == 6, -1, y)), "label -1 of sample 6 is negative"),
    (lambda X, y: (X, y + 0.5), "integer class labels"),
    (lambda X, y: (X, y[:, None]), "y must be 1-D"),
    (lambda X, y: (X[:, 0, 0, 0], y), "sample axis and feature axes"),
    (lambda X, y: (X.astype(str), y), "numeric array"),
    (lambda X, y: X, "expected \\(X, y\\)"),
])
def test_bad_data_errors(bad, match):
    X, y = data()
    with pytest.raises((ValueError, TypeError), match=match):
        fit(net(), bad(X, y), epochs=1, progress=False)


def test_bad_arguments():
    X, y = data()
    for kw, match in [({"optimizer": "rmsprop"}, "optimizer"), ({"schedule": "step"}, "schedule"),
                      ({"epochs": 0}, "epochs"), ({"lr": -1.0}, "lr"), ({"batch_size": 0}, "batch_size"),
                      ({"device": "cuda"} if not torch.cuda.is_available() else {"lr": 0.0}, "CUDA|lr")]:
        with pytest.raises(ValueError, match=match):
            fit(net(), (X, y), **{"epochs": 1, "progress": False, **kw})
    with pytest.raises(ValueError, match="val_data: label 5"):
        fit(net(), (X, y), (X[:3], np.array([0, 5, 1])), epochs=1, progress=False)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        fit(lambda x: x, (X, y), epochs=1)

    class Pair(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(72, 3)

        def forward(self, x):
            out = self.lin(x.flatten(1))
            return out, out

    with pytest.raises(TypeError, match="logits tensor, got tuple"):
        fit(Pair(), (X, y), epochs=1, progress=False)
    with pytest.raises(ValueError, match="\\(batch, classes\\) logits, got shape \\(1, 2, 6, 6\\)"):
        fit(torch.nn.Identity(), (X, y), epochs=1, progress=False)


def test_early_stop_is_remembered_by_the_checkpoint(tmp_path):
    first = run(epochs=5, checkpoint=tmp_path, callbacks=[lambda c: len(c) == 2])
    assert first.stopped_early and first.epochs_run == 2
    again = run(epochs=5, checkpoint=tmp_path)  # no callback now: the stopped run is not continued
    assert again.stopped_early and again.epochs_run == 2 and again.resumed_from == 2
    assert np.array_equal(again.val_acc, first.val_acc)

"""fit_graph: full-batch GNN training learns a planted-partition graph, is deterministic, validates input."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fastnas.models.nbgraph import GNNNetwork  # noqa: E402
from fastnas.train import fit_graph  # noqa: E402




def planted(n=60, seed=0):
    """Two communities, dense inside, sparse across; features are weak noisy hints of the community."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    p = np.where(y[:, None] == y[None, :], 0.25, 0.01)
    A = np.triu(rng.random((n, n)) < p, 1)
    src, dst = np.nonzero(A | A.T)
    x = rng.normal(size=(n, 4)).astype(np.float32) + 0.3 * y[:, None]
    order = rng.permutation(n)
    return x, np.stack([src, dst]), y, order[:20], order[20:]


def net(seed=0, dropout=0.3):
    torch.manual_seed(seed)
    return GNNNetwork([0, 1, 2, 3], [1, 4, 8, 7], in_channels=4, num_classes=2, hidden=8, dropout=dropout)


def test_learns_and_is_deterministic():
    x, ei, y, tr, va = planted()
    a = fit_graph(net(), x, ei, y, tr, va, epochs=30, lr=0.02, seed=1, progress=False)
    b = fit_graph(net(), x, ei, y, tr, va, epochs=30, lr=0.02, seed=1, progress=False)
    assert np.array_equal(a.train_loss, b.train_loss) and np.array_equal(a.val_acc, b.val_acc)
    assert a.train_loss[-1] < a.train_loss[0]
    assert a.val_acc[-1] >= 85.0  # the graph structure separates the communities
    c = fit_graph(net(), x, ei, y, tr, va, epochs=30, lr=0.02, seed=2, progress=False)
    assert not np.array_equal(a.train_loss, c.train_loss)  # dropout masks follow the seed


def test_callbacks_and_masks_as_bool():
    x, ei, y, tr, va = planted()
    m = np.zeros(len(y), bool)
    m[tr] = True
    r = fit_graph(net(), x, ei, y, m, None, epochs=10, seed=0, progress=False, callbacks=[lambda c: len(c) == 3])
    assert r.stopped_early and r.epochs_run == 3 and np.isnan(r.val_acc).all()


def test_bad_graph_inputs():
    x, ei, y, tr, va = planted()
    cases = [
        (dict(x=x[:, 0]), "x must be \\(nodes, features\\)"),
        (dict(x=np.where(np.arange(60)[:, None] == 4, np.nan, x)), "NaN or inf \\(first at node 4\\)"),
        (dict(edge_index=ei[:1]), "edge_index must be \\(2, edges\\)"),
        (dict(edge_index=np.array([[0], [60]])), "outside 0..59"),
        (dict(y=y[:-1]), "one label per node"),
        (dict(y=np.where(np.arange(60) == tr[0], 5, y)), "train_mask selects labels outside 0..1"),
        (dict(train_mask=np.zeros(60, bool)), "selects no node"),
        (dict(train_mask=np.array([70])), "node indices in 0..59"),
    ]
    for change, match in cases:
        args = dict(x=x, edge_index=ei, y=y, train_mask=tr, val_mask=va)
        args.update(change)
        with pytest.raises((ValueError, TypeError), match=match):
            fit_graph(net(), args["x"], args["edge_index"], args["y"], args["train_mask"], args["val_mask"],
                      epochs=1, progress=False)

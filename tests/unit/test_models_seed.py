"""Builders take ``seed=``: the same seed gives the same weights, the global torch RNG is never touched, and the
documented ``build`` + ``fit(seed=0)`` example is reproducible (issue 10 §7)."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fastnas import models  # noqa: E402
from fastnas.models._seed import init_rng  # noqa: E402
from fastnas.spaces import DARTS, NB101, NB201, NBGraph  # noqa: E402

SMALL = {
    "nb201": (lambda: NB201().sample(1, seed=1), {"width": 2, "N": 1}),
    "nb101": (lambda: NB101().sample(1, seed=1), {"width": 2, "stacks": 1, "cells_per_stack": 1}),
    "darts": (lambda: DARTS().sample(1, seed=1), {"width": 2, "layers": 3}),
    "nbgraph": (lambda: NBGraph().sample(1, seed=1), {"width": 4}),
}


def _weights(net):
    return [p.detach().clone() for p in net.state_dict().values()]


def _same(a, b):
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("space", sorted(SMALL))
def test_same_seed_same_weights_and_global_rng_untouched(space):
    make, kw = SMALL[space]
    cell = make()
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = _weights(models.build(space, cell, seed=7, **kw))
    assert torch.equal(torch.get_rng_state(), before)  # a build leaves the global RNG as it was
    torch.rand(5)  # the global RNG moves on: the next build must not care
    b = _weights(models.build(space, cell, seed=7, **kw))
    c = _weights(models.build(space, cell, seed=8, **kw))
    assert _same(a, b) and not _same(a, c)
    # the definition: the weights of torch.manual_seed(s) followed by an unseeded construction
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(7)
        with init_rng(7):
            pass
        ref = _weights(models.build(space, cell, seed=7, **kw))
    assert _same(a, ref)


def test_network_classes_take_seed_keyword():
    for cls in (models.NB201Network, models.NB101Network, models.DARTSNetwork, models.GNNNetwork):
        p = inspect.signature(cls).parameters["seed"]
        assert p.kind is inspect.Parameter.KEYWORD_ONLY and p.default == 0
    a = models.NB201Network([3, 1, 2, 4, 3, 1], C=2, N=1, seed=np.random.default_rng(0))
    b = models.NB201Network([3, 1, 2, 4, 3, 1], C=2, N=1, seed=np.random.default_rng(0))
    assert _same(_weights(a), _weights(b))
    with pytest.raises(TypeError, match="seed"):
        models.NB201Network([3, 1, 2, 4, 3, 1], C=2, N=1, seed=1.5)
    with pytest.raises(ValueError, match="seed"):
        models.build("nb201", NB201().sample(1, seed=0), width=2, N=1, seed=-1)


def test_init_rng_is_a_local_generator_stream():
    expected = torch.rand(4, generator=torch.Generator().manual_seed(5))  # independent: a private generator
    before = torch.get_rng_state()
    with init_rng(5):
        got = torch.rand(4)
    assert torch.equal(got, expected) and torch.equal(torch.get_rng_state(), before)
    with pytest.raises(RuntimeError), init_rng(5):  # restored even when the block raises
        torch.rand(3)
        raise RuntimeError("boom")
    assert torch.equal(torch.get_rng_state(), before)


@pytest.mark.slow
def test_docs_fit_example_is_reproducible():
    """docs/models.md: build an NB201 network on digits and fit(seed=0): three runs, identical first epochs."""
    from sklearn.datasets import load_digits

    from fastnas.train import fit

    d = load_digits()
    X = (d.images[:, None] / 16.0).astype("float32")[:240]
    y = d.target[:240]
    losses = []
    for run in range(3):
        torch.rand(run + 1)  # a different global RNG state before each run
        net = models.build("nb201", np.array([3, 3, 3, 1, 3, 2], np.int8), width=4, N=1, in_channels=1)
        res = fit(net, (X[:200], y[:200]), (X[200:], y[200:]), epochs=1, optimizer="sgd", lr=0.05, batch_size=64,
                  seed=0, progress=False)
        losses.append((float(res.curves.train_loss[0]), float(res.curves.val_loss[0])))
    assert losses[0] == losses[1] == losses[2]

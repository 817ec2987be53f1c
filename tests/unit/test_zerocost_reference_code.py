"""Every proxy, value for value, against a float64 twin written from the official code's structure
(``_zerocost_reference.REFERENCE``: zero-cost-nas / NASLib measures, nas-without-training, EPE-NAS), on a
fixed small network of every image space (NB201, NB101, DARTS) and on hand-made nets with grouped and
depthwise convolutions, with one fixed batch. NB-Graph networks take graphs, not image batches: the
proxies do not apply to them. zen is checked by replaying its draws in ``test_zerocost_proxies.py``."""
from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import fastnas.zerocost as zc  # noqa: E402
from _zerocost_reference import REFERENCE  # noqa: E402
from fastnas import models  # noqa: E402
from fastnas.spaces import DARTS, NB101, NB201  # noqa: E402

CLASSES = 4


def _nb201():
    cell = NB201.from_strings(["|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|"
                               "+|skip_connect~0|nor_conv_3x3~1|none~2|"])
    return models.build("nb201", cell, width=4, N=1, num_classes=CLASSES)


def _nb101():
    return models.build("nb101", NB101().sample(1, seed=3), width=4, stacks=1, cells_per_stack=1,
                        num_classes=CLASSES)


def _darts():
    return models.build("darts", DARTS().sample(1, seed=5), width=4, layers=3, num_classes=CLASSES)


def _grouped():
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False), nn.ReLU(),
                         nn.Conv2d(4, 6, 1, groups=2), nn.BatchNorm2d(6), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, CLASSES))


NETS = {"nb201": _nb201, "nb101": _nb101, "darts": _darts, "grouped": _grouped}


@pytest.fixture(scope="module")
def networks():
    out = {}
    for name, make in NETS.items():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            out[name] = make().double()
    return out


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(11)
    x = torch.from_numpy(rng.normal(size=(8, 3, 8, 8)))
    y = torch.from_numpy(np.array([0, 1, 2, 3, 0, 1, 2, 0]))
    return x, y


@pytest.mark.parametrize("space", sorted(NETS))
@pytest.mark.parametrize("proxy", sorted(REFERENCE))
def test_proxy_equals_reference_code(proxy, space, networks, batch):
    x, y = batch
    net = networks[space]
    fn, _ = zc.PROXIES[proxy]
    kw = {"num_classes": CLASSES} if proxy == "epe_nas" else {}
    with torch.random.fork_rng(devices=[]):
        got = fn(copy.deepcopy(net), x, y, **kw)
        expected = REFERENCE[proxy](copy.deepcopy(net), x, y, **kw)
    assert np.isfinite(expected)
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-12), (proxy, space)


def test_fisher_weights_each_channel_by_its_fan_in(networks, batch):
    # fisher / (fisher without the fan-in factor) is a weighted mean of the layers' fan-ins: strictly
    # inside [smallest, largest] fan-in, never 1 (the pre-fix definition) on these networks
    x, y = batch
    for space, net in networks.items():
        fans = [m.weight[0].numel() for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
        ratio = zc.fisher(copy.deepcopy(net), x, y) / _fisher_without_fan_in(copy.deepcopy(net), x, y)
        assert min(fans) < ratio < max(fans) and min(fans) > 1, space


def _fisher_without_fan_in(net, x, y):
    acts = []

    def keep(_m, _i, o):
        o.retain_grad()
        acts.append(o)

    hs = [m.register_forward_hook(keep) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    net.train()
    nn.functional.cross_entropy(net(x), y).backward()
    for h in hs:
        h.remove()
    tot = 0.0
    for a in acts:
        if a.grad is not None:
            p = a.detach() * a.grad
            p = p.sum(dim=tuple(range(2, p.ndim))) if p.ndim > 2 else p
            tot += float((0.5 * p.pow(2).mean(0)).sum())
    return tot

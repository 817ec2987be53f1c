"""Proxies that share a pass (snip/plain/grad_norm/fisher: one loss backward; jacob_cov/epe_nas/nwot: one
input-Jacobian pass) give exactly the values of their own functions, in score_table on every image
space's networks."""
from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastnas.zerocost as zc  # noqa: E402
from fastnas.spaces import DARTS, NB101, NB201  # noqa: E402
from fastnas.zerocost import _activation, _gradient  # noqa: E402

SPACES = {
    "nb201": (NB201.from_strings(["|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|"
                                  "+|skip_connect~0|nor_conv_3x3~1|none~2|",
                                  "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"]), dict(width=4, N=1)),
    "nb101": (NB101().sample(1, seed=1), dict(width=4, stacks=1, cells_per_stack=1)),
    "darts": (DARTS().sample(1, seed=2), dict(width=4, layers=3)),
}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    return rng.normal(size=(8, 3, 8, 8)).astype(np.float32), np.array([0, 1, 2, 3, 0, 1, 2, 0])


@pytest.mark.parametrize("space", sorted(SPACES))
def test_table_equals_one_proxy_at_a_time(space, data):
    cells, kw = SPACES[space]
    names = list(_gradient.LOSS_FAMILY) + list(_activation.JACOBIAN_FAMILY) + ["synflow", "params"]
    with pytest.warns(RuntimeWarning) if space == "nb201" else _no_warning():  # the all-none cell: NaN
        table = zc.score_table(space, cells, names, data=data, num_classes=4, batch_size=8, **kw)
    for p in names:
        with pytest.warns(RuntimeWarning) if space == "nb201" and p in ("jacob_cov", "nwot", "epe_nas") \
                else _no_warning():
            one = zc.score(space, cells, p, data=data, num_classes=4, batch_size=8, **kw)
        np.testing.assert_array_equal(table[p].to_numpy(), one, err_msg=p)
    # one shared pass per family: its time is split evenly among the family's proxies
    assert (table["time_snip"] == table["time_fisher"]).all() and (table["time_nwot"] == table["time_epe_nas"]).all()


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_family_functions_equal_single_functions(data):
    from fastnas import models

    X, y = torch.from_numpy(data[0]).double(), torch.from_numpy(data[1])
    torch.manual_seed(0)
    net = models.build("darts", DARTS().sample(1, seed=4), width=4, layers=3, num_classes=4).double()
    loss = _gradient.loss_gradient_proxies(copy.deepcopy(net), X, y)
    jac = _activation.jacobian_proxies(copy.deepcopy(net), X, y, num_classes=4)
    for p, v in {**loss, **jac}.items():
        kw = {"num_classes": 4} if p == "epe_nas" else {}
        assert v == zc.PROXIES[p][0](copy.deepcopy(net), X, y, **kw), p


@pytest.mark.parametrize("bad, err", [(["snip", "snip"], ValueError), ([], ValueError), ("snip", TypeError)])
def test_table_rejects_bad_proxy_lists(bad, err):
    cells, kw = SPACES["nb201"]
    with pytest.raises(err):
        zc.score_table("nb201", cells, bad, data="synthetic", **kw)


def test_family_rejects_other_proxies(data):
    with pytest.raises(ValueError, match="loss-gradient"):
        _gradient.loss_gradient_proxies(None, None, None, ("synflow",))
    with pytest.raises(ValueError, match="Jacobian"):
        _activation.jacobian_proxies(None, None, None, ("snip",))

"""Grouped (many NB201 networks per pass) data-dependent proxies equal the one-network-at-a-time path."""
from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import fastnas.zerocost as zc  # noqa: E402
from fastnas import models  # noqa: E402
from fastnas.spaces import NB201  # noqa: E402
from fastnas.zerocost._grouped_nb201 import GROUPED_PROXIES, grouped_nb201_proxies  # noqa: E402

# rows 0-4 put every op (none, skip, conv1x1, conv3x3, pool) on every edge; then all-none (no
# input-output path: NaN Jacobian proxies) and all-skip (no conv in the cells)
OPS = np.array([[(k + e) % 5 for e in range(6)] for k in range(5)] + [[0] * 6, [1] * 6], dtype=np.int8)
CELLS = NB201().cells_type(ops=OPS)


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    return torch.from_numpy(rng.normal(size=(8, 3, 8, 8))), torch.tensor([0, 1, 2, 3, 0, 1, 2, 0])


def test_grouped_equals_each_network_in_float64(batch):
    x, y = batch
    nets = [models.build("nb201", CELLS[i], width=4, N=1, num_classes=4, seed=i).double() for i in range(len(CELLS))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the all-none cell's undefined correlations
        got = grouped_nb201_proxies(nets, x, y, GROUPED_PROXIES, num_classes=4)
        for p in GROUPED_PROXIES:
            kw = {"num_classes": 4} if p == "epe_nas" else {}
            one = np.array([zc.PROXIES[p][0](copy.deepcopy(n), x, y, **kw) for n in nets])
            assert got[p].shape == (len(nets),) and got[p].dtype == np.float64
            np.testing.assert_array_equal(np.isnan(got[p]), np.isnan(one), err_msg=p)
            np.testing.assert_allclose(got[p], one, rtol=1e-12, atol=1e-300, err_msg=p)
    assert np.isnan(got["jacob_cov"][5]) and np.isfinite(got["jacob_cov"][[0, 1, 2, 3, 4, 6]]).all()


@pytest.mark.slow
def test_score_table_grouped_equals_one_at_a_time():
    kw = dict(width=2, N=1, input_shape=(3, 4, 4), batch_size=4, data="synthetic")
    names = sorted(zc.PROXIES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        one = zc.score_table("nb201", CELLS, names, group_size=1, **kw)
        grouped = zc.score_table("nb201", CELLS, names, group_size=3, **kw)  # groups of 3, 3, 1
    for p in names:  # float32 networks: grouped convolutions round differently
        np.testing.assert_allclose(grouped[p], one[p], rtol=2e-4, atol=1e-6, err_msg=p)
        assert (grouped[f"time_{p}"] > 0).all()
    for p in ("params", "flops", "l2_norm", "zen"):  # still one network at a time: identical
        np.testing.assert_array_equal(grouped[p], one[p], err_msg=p)


# NB101 and DARTS networks are grouped too (tests/unit/test_zerocost_grouped_nb101.py, ..._darts.py, which
# also check that groups the builders refuse fall back to one network at a time)


def test_grouped_rejects_other_networks_and_proxies(batch):
    x, y = batch
    with pytest.raises(TypeError, match="NB201Network"):
        grouped_nb201_proxies([nn.Linear(2, 2)], x, y, ["snip"])
    with pytest.raises(ValueError, match="zen"):
        grouped_nb201_proxies([], x, y, ["zen"])

"""Grouped synflow (many NB201 networks per pass) equals the one-network-at-a-time definition."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import fastnas.zerocost as zc  # noqa: E402
from fastnas.spaces import NB201  # noqa: E402




CELLS = NB201.from_strings([
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
    "|none~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_1x1~1|none~2|",  # convs fed by a dead node
    "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|",
])


@pytest.mark.parametrize("n_cells_per_stage", [1, 2])
def test_grouped_equals_one_at_a_time(n_cells_per_stage):
    kw = dict(width=4, N=n_cells_per_stage, input_shape=(3, 8, 8))
    one = zc.score("nb201", CELLS, "synflow", group_size=1, **kw)
    grouped, secs = zc.score("nb201", CELLS, "synflow", group_size=3, return_time=True, **kw)  # groups 3 + 2
    np.testing.assert_allclose(grouped, one, rtol=1e-12)
    assert one[1] == 0.0 and np.all(one[[0, 2, 3, 4]] > 0)
    assert secs.shape == (5,) and np.all(secs > 0)
    # a cell's score does not depend on its group
    np.testing.assert_allclose(zc.score("nb201", CELLS[::-1], "synflow", group_size=2, **kw), one[::-1], rtol=1e-12)


def test_other_networks_fall_back_to_the_definition():
    torch.manual_seed(0)
    nets = [nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 16, 3)) for _ in range(3)]
    a = zc.score_models(nets, "synflow", input_shape=(1, 6, 6), group_size=2)
    b = zc.score_models(nets, "synflow", input_shape=(1, 6, 6), group_size=1)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_group_size(bad):
    with pytest.raises(ValueError, match="group_size"):
        zc.score("nb201", CELLS, "synflow", group_size=bad, width=4, N=1)

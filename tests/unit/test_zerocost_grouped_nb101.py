"""Grouped (many NB101 networks per pass) zero-cost proxies equal the one-network-at-a-time path."""
from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import fastnas.zerocost as zc  # noqa: E402
from fastnas.models import NB101Network  # noqa: E402
from fastnas.spaces import NB101  # noqa: E402
from fastnas.zerocost._grouped_nb101 import GROUPED_PROXIES, grouped_nb101_proxies  # noqa: E402


def _cell(v, edges, ops):
    m = np.zeros((v, v), dtype=np.int64)
    for i, j in edges:
        m[i, j] = 1
    return m, np.array(ops, dtype=np.int64)


# stem 6 channels, 2 stacks of 1 cell: cells of 6 -> 6 and 6 -> 12 channels
CELLS = [
    _cell(2, [(0, 1)], [-1, -2]),  # input -> output: the output projection alone
    # 4 vertices feed the output: 6 = 2 + 2 + 1 + 1 (uneven split); vertex 3 truncates 2-channel inputs to 1;
    # the input also feeds the output (projection added to the concatenation)
    _cell(7, [(0, 1), (0, 2), (1, 3), (2, 3), (1, 6), (3, 4), (4, 5), (0, 5), (5, 6), (2, 6), (4, 6), (0, 6)],
          [-1, 0, 1, 2, 0, 1, -2]),
    _cell(6, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (1, 5)], [-1, 1, 1, 0, 2, -2]),  # a chain
    # all five interior vertices feed the output (6 = 2 + 1 + 1 + 1 + 1), each with a projection
    _cell(7, [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (1, 6), (2, 6), (3, 6), (4, 6), (5, 6), (1, 2), (2, 3)],
          [-1, 2, 2, 0, 1, 0, -2]),
]
KW = dict(stem_channels=6, stacks=2, cells_per_stack=1, num_classes=4)


def _nets():
    nets = [NB101Network(m, o, seed=i, **KW).double() for i, (m, o) in enumerate(CELLS)]
    nets.append(NB101Network(*CELLS[1], seed=9, **KW).double())  # a repeated cell, other weights
    sample = NB101().sample(2, seed=1)
    nets += [NB101Network(sample.matrix[i], sample.ops[i], seed=20 + i, **KW).double() for i in range(2)]
    return nets


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    return torch.from_numpy(rng.normal(size=(4, 3, 8, 8))), torch.tensor([0, 1, 2, 0])


def test_cells_cover_sizes_ops_and_channel_splits():
    nets = _nets()
    assert {n.matrix.shape[0] for n in nets} >= {2, 6, 7}
    assert {int(o) for n in nets for o in n.ops[1:-1]} == {0, 1, 2}
    chans = [n.cells[0].ch for n in nets]
    assert chans[1] == [6, 2, 2, 1, 1, 1, 6] and chans[3] == [6, 2, 1, 1, 1, 1, 6]


def test_grouped_equals_each_network_in_float64(batch):
    x, y = batch
    nets = _nets()
    got = grouped_nb101_proxies(nets, x, y, GROUPED_PROXIES, num_classes=4)
    for p in GROUPED_PROXIES:
        kw = {"num_classes": 4} if p == "epe_nas" else {}
        one = np.array([zc.PROXIES[p][0](copy.deepcopy(n), x, y, **kw) for n in nets])
        assert got[p].shape == (len(nets),) and got[p].dtype == np.float64
        assert np.isfinite(one).all(), p
        np.testing.assert_allclose(got[p], one, rtol=1e-9, err_msg=p)
    assert got["snip"][1] != got["snip"][4]  # same cell, other weights


def test_value_does_not_depend_on_the_group(batch):
    x, y = batch
    nets = _nets()
    names = ["synflow", "fisher", "nwot", "grasp"]
    whole = grouped_nb101_proxies(nets, x, y, names, num_classes=4)
    perm = [6, 3, 0, 5, 1, 4, 2]
    shuffled = grouped_nb101_proxies([nets[i] for i in perm], x, y, names, num_classes=4)
    pair = grouped_nb101_proxies([nets[3], nets[1]], x, y, names, num_classes=4)
    for p in names:
        np.testing.assert_allclose(shuffled[p], whole[p][perm], rtol=1e-12, err_msg=p)
        np.testing.assert_allclose(pair[p], whole[p][[3, 1]], rtol=1e-12, err_msg=p)


def test_cannot_group_is_a_type_error(batch):
    x, y = batch
    nets = _nets()
    with pytest.raises(TypeError, match="NB101Network"):
        grouped_nb101_proxies([nets[0], nn.Linear(2, 2)], x, y, ["snip"])
    wider = NB101Network(*CELLS[1], **{**KW, "stem_channels": 8}).double()
    with pytest.raises(TypeError):
        grouped_nb101_proxies([nets[1], wider], x, y, ["snip"])
    deeper = NB101Network(*CELLS[1], **{**KW, "cells_per_stack": 2}).double()
    with pytest.raises(TypeError):
        grouped_nb101_proxies([nets[1], deeper], x, y, ["synflow"])
    with pytest.raises(ValueError, match="zen"):
        grouped_nb101_proxies(nets, x, y, ["zen"])


def test_mixed_group_falls_back_to_each_networks_value(batch):
    x, y = batch
    nets = _nets()[:2] + [NB101Network(*CELLS[2], **{**KW, "stem_channels": 8}).double()]
    kw = dict(data=(x, y), num_classes=4, batch_size=4)
    for p in ("synflow", "snip"):  # the group of 3 cannot be grouped: each network alone
        np.testing.assert_array_equal(zc.score_models(nets, p, group_size=3, **kw),
                                      zc.score_models(nets, p, group_size=1, **kw), err_msg=p)


@pytest.mark.slow
def test_score_table_grouped_equals_one_at_a_time():
    cells = NB101().sample(4, seed=3)
    kw = dict(width=6, stacks=2, cells_per_stack=1, input_shape=(3, 8, 8), batch_size=4, data="synthetic",
              num_classes=4)
    names = list(GROUPED_PROXIES) + ["params"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        one = zc.score_table("nb101", cells, names, group_size=1, **kw)
        grouped = zc.score_table("nb101", cells, names, group_size=3, **kw)  # groups of 3 and 1
    for p in names:  # float32 networks: grouped convolutions round differently
        np.testing.assert_allclose(grouped[p], one[p], rtol=2e-4, atol=1e-6, err_msg=p)
    for p in ("synflow", "snip", "nwot", "grasp"):  # the grouped pass ran: rows 0-2 share one split time
        assert grouped[f"time_{p}"][0] == grouped[f"time_{p}"][1] == grouped[f"time_{p}"][2], p



@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(2, 4))
def test_property_any_group_of_random_cells(seed, k):
    # any k random NB101 cells (sizes, ops and channel splits as the sampler draws them) give each network its
    # own synflow, snip and nwot, in float64
    cells = NB101().sample(k, seed=seed)
    nets = [NB101Network(cells.matrix[i], cells.ops[i], seed=i, **KW).double() for i in range(k)]
    x = torch.from_numpy(np.random.default_rng(seed).normal(size=(3, 3, 4, 4)))
    y = torch.tensor([0, 1, 2])
    got = grouped_nb101_proxies(nets, x, y, ["synflow", "snip", "nwot"], num_classes=4)
    for p in ("synflow", "snip", "nwot"):
        one = np.array([zc.PROXIES[p][0](copy.deepcopy(n), x, y) for n in nets])
        np.testing.assert_allclose(got[p], one, rtol=1e-9, err_msg=p)

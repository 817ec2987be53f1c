"""DARTS networks: the published DARTS (V2) parameter count, shapes, reductions, errors."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fastnas.models import build  # noqa: E402
from fastnas.models.darts import DARTSNetwork, FactorizedReduce  # noqa: E402

# DARTS_V2 (second order) genotype of the paper; codes 0 max_pool, 1 avg_pool, 2 skip, 3 sep3, 4 sep5, 5 dil3, 6 dil5
NORMAL = np.array([[0, 3], [1, 3], [0, 3], [1, 3], [1, 3], [0, 2], [0, 2], [2, 5]])
REDUCE = np.array([[0, 0], [1, 0], [2, 2], [1, 0], [0, 0], [2, 2], [2, 2], [1, 0]])




def n_params(net) -> int:
    return sum(p.numel() for p in net.parameters())


def test_published_darts_v2_parameter_count():
    # DARTS train.py logs "param size = 3.349342MB" for DARTS_V2 at C=36, 20 layers (auxiliary head excluded)
    assert n_params(DARTSNetwork(NORMAL, REDUCE, C=36, layers=20)) == 3349342


def test_shapes_and_reductions():
    net = DARTSNetwork(NORMAL, REDUCE, C=4, layers=5, num_classes=6, in_channels=1)
    x = torch.randn(2, 1, 9, 9)
    assert net(x).shape == (2, 6)
    sizes = []
    s0 = s1 = net.stem(x)
    for cell in net.cells:
        s0, s1 = s1, cell(s0, s1)
        sizes.append(tuple(s1.shape[1:]))
    # reductions at layers 5//3 = 1 and 10//3 = 3: channels 4C -> 8C -> 16C, resolution 9 -> 5 -> 3
    assert sizes == [(16, 9, 9), (32, 5, 5), (32, 5, 5), (64, 3, 3), (64, 3, 3)]


def test_every_op_builds_and_runs():
    for op in range(7):
        g = np.array([[0, op], [1, op], [2, op], [0, op], [3, op], [1, op], [4, op], [2, op]])
        net = DARTSNetwork(g, g, C=2, layers=3, pool_bn=(op < 2))
        assert net(torch.randn(2, 3, 8, 8)).shape == (2, 10)


def test_factorized_reduce_matches_definition_on_even_sizes():
    torch.manual_seed(0)
    fr = FactorizedReduce(3, 4).eval()
    x = torch.randn(1, 3, 6, 6)
    r = torch.relu(x)
    want = fr.bn(torch.cat([fr.conv_1(r), fr.conv_2(r[:, :, 1:, 1:])], 1))
    assert torch.allclose(fr(x), want)


def test_drop_path_only_in_training():
    net = DARTSNetwork(NORMAL, REDUCE, C=2, layers=3, drop_path_prob=0.5).eval()
    x = torch.randn(2, 3, 8, 8)
    assert torch.equal(net(x), net(x))
    net.train()
    torch.manual_seed(1)
    a = net(x)
    torch.manual_seed(1)
    assert torch.equal(a, net(x))


def test_bad_genotypes():
    g = NORMAL.copy()
    g[2, 0] = 3  # node 1 may read inputs 0..2
    with pytest.raises(ValueError, match="normal cell: edge 2 of node 1 reads input 3"):
        DARTSNetwork(g, REDUCE)
    g = REDUCE.copy()
    g[7, 1] = 7
    with pytest.raises(ValueError, match="reduction cell: edge 7 has op code 7"):
        DARTSNetwork(NORMAL, g)
    with pytest.raises(ValueError, match="shape \\(8, 2\\)"):
        DARTSNetwork(NORMAL[:7], REDUCE)
    with pytest.raises(ValueError, match="layers must be >= 3"):
        DARTSNetwork(NORMAL, REDUCE, layers=2)


def test_build_dispatch():
    net = build("darts", np.stack([NORMAL, REDUCE]), width=4, layers=3, num_classes=3)
    assert isinstance(net, DARTSNetwork) and net(torch.zeros(1, 3, 8, 8)).shape == (1, 3)


def test_build_from_space_cells():
    spaces = pytest.importorskip("fastnas.spaces.darts")
    cells = spaces.DARTS.from_arrays(np.stack([NORMAL[:, 0], REDUCE[:, 0]])[None],
                                     np.stack([NORMAL[:, 1], REDUCE[:, 1]])[None])
    net = build(spaces.DARTS(), cells, width=36, layers=20)
    assert np.array_equal(net.normal, NORMAL) and np.array_equal(net.reduce, REDUCE)
    assert n_params(net) == 3349342
    with pytest.raises(ValueError, match="batch of 2"):
        build("darts", type(cells).concat([cells, cells]))


def test_nas_bench_suite_zero_params_all_cells():
    """NAS-Bench-Suite-Zero's ``params`` of its 725 DARTS cells (NASLib's NB301 graph: C=32, 8 layers, non-affine
    BNs inside the ops), vendored in the package: the analytic counts match every cell, and built networks
    match the analytic counts."""
    from fastnas.models.darts import darts_param_counts

    table = pytest.importorskip("fastnas.nasbench").load_zc("darts")
    published = np.round(table.scores("params") * 1e6).astype(np.int64)
    assert len(published) == 725
    assert np.array_equal(darts_param_counts(table.arch, op_affine=False), published)
    for i in (0, 724):
        g = table.arch[i]
        assert n_params(DARTSNetwork(g[0], g[1], op_affine=False)) == published[i]
    # the evaluation network (affine BNs) has 2c more per op BN: never fewer parameters
    assert (darts_param_counts(table.arch) > published).all()


def test_analytic_counts_match_built_networks():
    from fastnas.models.darts import darts_param_counts

    rng = np.random.default_rng(0)
    g = np.zeros((4, 2, 8, 2), np.int64)
    for r in range(4):
        for c in range(2):
            for e in range(8):
                g[r, c, e] = (rng.integers(0, e // 2 + 2), rng.integers(0, 7))
    for kw in (dict(C=4, layers=5), dict(C=2, layers=3, op_affine=False, num_classes=3, in_channels=1)):
        want = darts_param_counts(g, **kw)
        got = [n_params(DARTSNetwork(x[0], x[1], **kw)) for x in g]
        assert want.tolist() == got
    with pytest.raises(ValueError, match="row 1: reduction cell: edge 0"):
        bad = g.copy()
        bad[1, 1, 0, 0] = 5
        darts_param_counts(bad)


def test_factorized_reduce_relu_is_a_module():
    # nwot hooks nn.ReLU modules; the official DARTS/NASLib FactorizedReduce has one, so ours must too
    import torch.nn as nn
    from fastnas.models.darts import FactorizedReduce

    fr = FactorizedReduce(4, 4)
    assert sum(isinstance(m, nn.ReLU) for m in fr.modules()) == 1

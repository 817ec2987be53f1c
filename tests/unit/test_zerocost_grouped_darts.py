"""Grouped (many DARTS networks per pass) zero-cost proxies equal the one-network-at-a-time path."""
from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import fastnas.zerocost as zc  # noqa: E402
from fastnas.models import DARTSNetwork  # noqa: E402
from fastnas.spaces import DARTS  # noqa: E402
from fastnas.zerocost._grouped_darts import GROUPED_PROXIES, GroupedDARTS, grouped_darts_proxies  # noqa: E402

# (normal, reduce) genotypes, (input, op) pairs; op codes 0 max_pool, 1 avg_pool, 2 skip, 3 sep3, 4 sep5,
# 5 dil3, 6 dil5. Row 0 has every op in its normal cell and every op at stride 2 (reading c_{k-2} / c_{k-1})
# in its reduction cell; rows 1-2 put ops on intermediate nodes (stride 1 in reduction cells) and pick the
# same input twice in a node (row 1 normal node 0: (1, sep3) twice; row 2 reduce node 0: (0, sep3) twice;
# row 2 normal node 1: input 0 with two different ops). Row 3 repeats row 1's genotype (other weights).
GENOS = np.array([
    [[[0, 0], [1, 1], [0, 2], [1, 3], [2, 4], [1, 5], [3, 6], [0, 0]],
     [[0, 0], [1, 1], [0, 2], [1, 3], [0, 4], [1, 5], [0, 6], [2, 2]]],
    [[[1, 3], [1, 3], [2, 2], [0, 2], [1, 6], [3, 1], [4, 5], [2, 0]],
     [[1, 2], [1, 2], [0, 6], [0, 5], [2, 3], [1, 4], [3, 1], [4, 0]]],
    [[[0, 6], [1, 5], [0, 4], [0, 0], [3, 3], [0, 1], [4, 2], [1, 2]],
     [[0, 3], [0, 3], [2, 1], [1, 0], [1, 1], [3, 6], [2, 4], [4, 5]]],
    [[[1, 3], [1, 3], [2, 2], [0, 2], [1, 6], [3, 1], [4, 5], [2, 0]],
     [[1, 2], [1, 2], [0, 6], [0, 5], [2, 3], [1, 4], [3, 1], [4, 0]]],
])
CELLS = DARTS().cells_type(inputs=GENOS[..., 0].astype(np.int8), ops=GENOS[..., 1].astype(np.int8))


def _nets(C=4, layers=3, **kw):
    return [DARTSNetwork(g[0], g[1], C=C, layers=layers, num_classes=4, seed=i, **kw).double()
            for i, g in enumerate(GENOS)]


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    return torch.from_numpy(rng.normal(size=(4, 3, 8, 8))), torch.tensor([0, 1, 2, 0])


def _one_at_a_time(nets, x, y, p):
    kw = {"num_classes": 4} if p == "epe_nas" else {}
    return np.array([zc.PROXIES[p][0](copy.deepcopy(n), x, y, **kw) for n in nets])


def test_genotypes_cover_every_op_and_a_repeated_input():
    normal, reduce = GENOS[:, 0], GENOS[:, 1]
    assert set(normal[..., 1].ravel()) == set(range(7))
    stride2 = reduce[..., 0] < 2
    assert set(reduce[..., 1][stride2]) == set(range(7))  # every op at stride 2
    assert set(reduce[..., 1][~stride2]) == set(range(7))  # every op at stride 1 in a reduction cell
    same = (GENOS[:, :, 0::2, 0] == GENOS[:, :, 1::2, 0])  # a node reading one input twice
    assert same.any()


@pytest.mark.parametrize("kw", [{}, {"pool_bn": True, "op_affine": False}])
def test_grouped_equals_each_network_in_float64(batch, kw):
    x, y = batch
    nets = _nets(**kw)
    names = GROUPED_PROXIES
    if kw:  # every op ends in a BN at identity affine: d(sum of outputs)/dx is round-off (~1e-16), so
        # jacob_cov / epe_nas are correlations of round-off noise there, in either path; not compared
        names = tuple(p for p in GROUPED_PROXIES if p not in ("jacob_cov", "epe_nas"))
    got = grouped_darts_proxies(nets, x, y, names, num_classes=4)
    for p in names:
        one = _one_at_a_time(nets, x, y, p)
        assert got[p].shape == (len(nets),) and got[p].dtype == np.float64
        assert np.isfinite(one).all(), p
        np.testing.assert_allclose(got[p], one, rtol=1e-9, err_msg=p)
    # rows 1 and 3 share a genotype but not their weights: different values, from one shared branch
    assert got["snip"][1] != got["snip"][3]


def test_value_does_not_depend_on_the_group(batch):
    x, y = batch
    nets = _nets()
    names = ["synflow", "snip", "nwot", "grasp"]
    all4 = grouped_darts_proxies(nets, x, y, names, num_classes=4)
    perm = [2, 0, 3, 1]
    shuffled = grouped_darts_proxies([nets[i] for i in perm], x, y, names, num_classes=4)
    pair = grouped_darts_proxies([nets[3], nets[0]], x, y, names, num_classes=4)
    for p in names:
        np.testing.assert_allclose(shuffled[p], all4[p][perm], rtol=1e-12, err_msg=p)
        np.testing.assert_allclose(pair[p], all4[p][[3, 0]], rtol=1e-12, err_msg=p)


def test_nwot_kernel_of_a_network_is_its_own_hand_count():
    # the grouped kernel equals the hooked per-network kernel entry by entry (not only its log-determinant),
    # and its diagonal is the hand count: K_ii = sum over the network's ReLUs of the units each one sees
    net = _nets()[2]
    x = torch.zeros((3, 3, 8, 8), dtype=torch.float64)
    x[0] = 1.0
    x[1, 0] = -2.0
    from fastnas.zerocost._activation import _relu_kernel_hooks
    from fastnas.zerocost._grouped_darts import _Ctx

    ref_net = copy.deepcopy(net).train()
    box, handles = _relu_kernel_hooks(ref_net, 3)
    with torch.no_grad():
        ref_net(x)
    for h in handles:
        h.remove()
    g = GroupedDARTS([net], torch.device("cpu"))
    ctx = _Ctx(1, 3, acts=False, relu=True, device=torch.device("cpu"))
    with torch.no_grad():
        g.forward(g._rep(x), ctx)
    np.testing.assert_array_equal(ctx.kmat[0].numpy(), box[0].numpy())
    n_relu = sum(isinstance(m, nn.ReLU) for m in net.modules())
    # diagonal: every ReLU unit agrees with itself, so K_ii = total number of ReLU units seen
    units = []
    hs = [m.register_forward_hook(lambda m_, i, o: units.append(i[0][0].numel())) for m in ref_net.modules()
          if isinstance(m, nn.ReLU)]
    with torch.no_grad():
        ref_net(x)
    for h in hs:
        h.remove()
    assert len(units) == n_relu
    np.testing.assert_array_equal(np.diag(ctx.kmat[0].numpy()), np.full(3, float(sum(units))))


def test_cannot_group_is_a_type_error(batch):
    x, y = batch
    nets = _nets()
    with pytest.raises(TypeError, match="DARTSNetwork"):
        grouped_darts_proxies([nets[0], nn.Linear(2, 2)], x, y, ["snip"])
    other_c = DARTSNetwork(GENOS[0, 0], GENOS[0, 1], C=2, layers=3, num_classes=4).double()
    with pytest.raises(TypeError):
        grouped_darts_proxies([nets[0], other_c], x, y, ["snip"])
    other_layers = DARTSNetwork(GENOS[0, 0], GENOS[0, 1], C=4, layers=4, num_classes=4).double()
    with pytest.raises(TypeError):
        grouped_darts_proxies([nets[0], other_layers], x, y, ["synflow"])
    dropping = DARTSNetwork(GENOS[1, 0], GENOS[1, 1], C=4, layers=3, num_classes=4, drop_path_prob=0.2).double()
    with pytest.raises(TypeError, match="drop path"):
        grouped_darts_proxies([nets[0], dropping], x, y, ["snip"])
    with pytest.raises(TypeError, match="dtype"):
        grouped_darts_proxies([nets[0], copy.deepcopy(nets[1]).float()], x, y, ["snip"])
    with pytest.raises(ValueError, match="zen"):
        grouped_darts_proxies(nets, x, y, ["zen"])

    class Doubled(nn.Sequential):  # a Sequential whose forward is not its children in order
        def forward(self, h):
            return 2 * super().forward(h)

    edited = copy.deepcopy(nets[2])
    edited.cells[0].ops[0] = Doubled(*edited.cells[0].ops[0])
    with pytest.raises(TypeError, match="Doubled"):
        grouped_darts_proxies([edited, nets[0]], x, y, ["snip"])
    frozen = copy.deepcopy(nets[3]).requires_grad_(False)
    with pytest.raises(TypeError, match="frozen"):
        grouped_darts_proxies([nets[0], frozen], x, y, ["snip"])
    edited.cells[0].ops[0] = nn.Tanh()
    with pytest.raises(TypeError, match="Tanh"):
        grouped_darts_proxies([edited], x, y, ["synflow"])
    with pytest.raises(ValueError, match="labels"):
        grouped_darts_proxies(nets, x, None, ["snip"])


def test_mixed_group_falls_back_to_each_networks_value(batch):
    nets = _nets()[:2] + [DARTSNetwork(GENOS[2, 0], GENOS[2, 1], C=2, layers=3, num_classes=4, seed=5).double()]
    x, y = batch
    kw = dict(data=(x, y), num_classes=4, batch_size=4)
    for p in ("synflow", "snip", "jacob_cov"):  # the group of 3 cannot be grouped: each network alone
        grouped = zc.score_models(nets, p, group_size=3, **kw)
        np.testing.assert_array_equal(grouped, zc.score_models(nets, p, group_size=1, **kw), err_msg=p)
        assert np.isfinite(grouped).all()
    # the first two alone are grouped (same C): equal to round-off, not bit for bit
    for p in ("synflow", "snip"):
        np.testing.assert_allclose(zc.score_models(nets[:2], p, group_size=2, **kw),
                                   zc.score_models(nets[:2], p, group_size=1, **kw), rtol=1e-9, err_msg=p)


@pytest.mark.slow
def test_score_table_grouped_equals_one_at_a_time():
    kw = dict(width=4, layers=3, input_shape=(3, 8, 8), batch_size=4, data="synthetic", num_classes=4)
    names = list(GROUPED_PROXIES) + ["params"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        one = zc.score_table("darts", CELLS, names, group_size=1, **kw)
        grouped = zc.score_table("darts", CELLS, names, group_size=3, **kw)  # groups of 3 and 1
    for p in names:  # float32 networks: grouped convolutions round differently
        np.testing.assert_allclose(grouped[p], one[p], rtol=2e-4, atol=1e-6, err_msg=p)
        assert (grouped[f"time_{p}"] > 0).all()
    # the grouped pass ran (no silent fallback): rows 0-2 share one pass, so one split time
    for p in ("synflow", "snip", "nwot", "grasp"):
        assert grouped[f"time_{p}"][0] == grouped[f"time_{p}"][1] == grouped[f"time_{p}"][2], p
    np.testing.assert_allclose(zc.score("darts", CELLS, "snip", group_size=2, **kw), one["snip"], rtol=2e-4)


def test_out_of_memory_splits_the_group(batch, monkeypatch):
    import fastnas.zerocost._grouped_base as gb

    x, y = batch
    nets = _nets()
    names = ["synflow", "snip", "nwot"]
    whole = grouped_darts_proxies(nets, x, y, names, num_classes=4)
    real, sizes = gb.run_proxies, []

    def small_device(build, nets_, *a):
        sizes.append(len(nets_))
        if len(nets_) > 1:  # a device that holds one network at a time
            raise torch.OutOfMemoryError("fake: out of memory")
        return real(build, nets_, *a)

    monkeypatch.setattr(gb, "run_proxies", small_device)
    split = grouped_darts_proxies(nets, x, y, names, num_classes=4)
    assert sizes == [4, 2, 1, 1, 2, 1, 1]
    for p in names:
        np.testing.assert_allclose(split[p], whole[p], rtol=1e-12, err_msg=p)
    monkeypatch.setattr(gb, "run_proxies", lambda *a: (_ for _ in ()).throw(torch.OutOfMemoryError("fake")))
    with pytest.raises(torch.OutOfMemoryError):  # one network that does not fit: the error, not a value
        grouped_darts_proxies(nets[:1], x, y, names, num_classes=4)


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(2, 4))
def test_property_any_group_of_random_genotypes(seed, k):
    # any k random genotypes (repeats, shared branches, whatever the sampler draws) give each network its own
    # synflow, snip and nwot, in float64
    cells = DARTS().sample(k, seed=seed)
    a = cells.arrays()
    g = np.stack([np.asarray(a["inputs"]), np.asarray(a["ops"])], axis=-1).astype(np.int64)
    nets = [DARTSNetwork(g[i, 0], g[i, 1], C=2, layers=3, num_classes=3, seed=i).double() for i in range(k)]
    x = torch.from_numpy(np.random.default_rng(seed).normal(size=(3, 3, 4, 4)))
    y = torch.tensor([0, 1, 2])
    got = grouped_darts_proxies(nets, x, y, ["synflow", "snip", "nwot"], num_classes=3)
    for p in ("synflow", "snip", "nwot"):
        np.testing.assert_allclose(got[p], _one_at_a_time(nets, x, y, p), rtol=1e-9, err_msg=p)

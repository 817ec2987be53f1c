"""The score API: many networks per call, seeds, timing, NaN reporting, bad data."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import fastnas.zerocost as zc  # noqa: E402





def tiny(seed, width=4):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, 3))


@pytest.fixture(scope="module")
def nets():
    return [tiny(0), tiny(1), tiny(2, width=6)]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(10, 1, 6, 6)).astype(np.float32), rng.integers(0, 3, size=10)


@pytest.mark.parametrize("proxy", sorted(zc.PROXIES))
def test_every_proxy_scores_every_network_deterministically(proxy, nets, data):
    a, t = zc.score_models(nets, proxy, data=data, batch_size=8, return_time=True)
    b = zc.score_models(nets, proxy, data=data, batch_size=8)
    assert a.shape == (3,) and a.dtype == np.float64 and t.shape == (3,)
    assert np.all(t >= 0)
    np.testing.assert_array_equal(a, b)
    assert np.all(np.isfinite(a))
    # the first network alone gets the score it gets in the batch (zen's draws follow the position)
    np.testing.assert_array_equal(zc.score_models(nets[:1], proxy, data=data, batch_size=8), a[:1])


def test_models_are_not_modified(nets, data):
    before = [p.detach().clone() for p in nets[0].parameters()]
    zc.score_models(nets[:1], "synflow", data=data)
    zc.score_models(nets[:1], "snip", data=data)
    for p, q in zip(before, nets[0].parameters()):
        assert torch.equal(p, q) and q.grad is None


def test_synthetic_data_depends_on_seed_only(nets):
    kw = dict(input_shape=(1, 6, 6), num_classes=3, batch_size=8, data="synthetic")
    a = zc.score_models(nets, "nwot", seed=3, **kw)
    np.testing.assert_array_equal(a, zc.score_models(nets, "nwot", seed=3, **kw))
    assert not np.array_equal(a, zc.score_models(nets, "nwot", seed=4, **kw))


def test_params_and_flops_known_values(nets):
    # conv 1*4*9+4, bn 8, linear 4*3+3 ; MACs: 36 outputs * 4 channels * 9 + 12
    assert zc.score_models(nets[:1], "params", input_shape=(1, 6, 6))[0] == 40 + 8 + 15
    assert zc.score_models(nets[:1], "flops", input_shape=(1, 6, 6))[0] == 36 * 4 * 9 + 12


class Dead(nn.Module):
    """Output independent of the input: the Jacobian is zero, its correlation undefined."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(1, 3)

    def forward(self, x):
        return self.lin(torch.ones((x.shape[0], 1), dtype=x.dtype, device=x.device)) + 0 * x.sum()


def test_non_finite_scores_are_nan_with_a_warning(nets):
    with pytest.warns(RuntimeWarning, match=r"jacob_cov.*rows \[1\]"):
        v = zc.score_models([nets[0], Dead()], "jacob_cov", input_shape=(1, 6, 6), num_classes=3, batch_size=8,
                            data="synthetic")
    assert np.isfinite(v[0]) and np.isnan(v[1])


def test_unknown_proxy_lists_valid_names(nets):
    with pytest.raises(ValueError, match="synflow"):
        zc.score_models(nets, "synflw")


def test_not_a_module():
    with pytest.raises(TypeError, match=r"models\[1\]"):
        zc.score_models([tiny(0), "net"], "params", input_shape=(1, 6, 6))


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.zeros((10, 6, 6)), np.zeros(10, int), r"\(N, C, H, W\)"),
        (np.zeros((10, 1, 6, 6)), np.zeros(9, int), "10 rows, y has 9"),
        (np.where(np.arange(360).reshape(10, 1, 6, 6) == 200, np.nan, 0.0), np.zeros(10, int), r"NaN.*\[5\]"),
        (np.zeros((10, 1, 6, 6)), np.full(10, 0.5), "row 0"),
        (np.zeros((10, 1, 6, 6)), np.r_[np.zeros(9, int), -1], "row 9"),
        (np.zeros((10, 1, 6, 6)), np.zeros((10, 2), int), "1-D"),
    ],
)
def test_bad_data_raises_clearly(nets, X, y, match):
    with pytest.raises(ValueError, match=match):
        zc.score_models(nets, "snip", data=(X, y))


def test_label_out_of_range_for_num_classes(nets, data):
    X, _ = data
    with pytest.raises(ValueError, match="out of range for num_classes=3"):
        zc.score_models(nets, "snip", data=(X, np.full(10, 3)), num_classes=3)


def test_torch_dataset_equals_arrays(nets, data):
    X, y = data
    ds = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    a = zc.score_models(nets, "grad_norm", data=ds, batch_size=8, num_classes=3)
    b = zc.score_models(nets, "grad_norm", data=(X, y), batch_size=8, num_classes=3)
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_nb201_cells_score_independent_of_batch_order():
    from fastnas.spaces import NB201

    cells = NB201.from_strings([
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
        "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
    ])
    kw = dict(width=4, N=1, batch_size=8, input_shape=(3, 8, 8), data="synthetic")
    a = zc.score("nb201", cells, "synflow", **kw)
    b = zc.score("nb201", cells[np.array([2, 1, 0])], "synflow", **kw)
    np.testing.assert_array_equal(a, b[::-1])
    assert a[1] == 0.0 and a[0] > 0 and a[2] > 0  # no input-output path: no synaptic flow
    with pytest.warns(RuntimeWarning, match=r"jacob_cov.*\[1\]"):
        table = zc.score_table("nb201", cells, ["synflow", "jacob_cov", "params"], **kw)
    np.testing.assert_array_equal(table["synflow"].to_numpy(), a)
    assert np.isnan(table["jacob_cov"][1]) and np.isfinite(table["jacob_cov"][[0, 2]]).all()
    from fastnas.models import nb201_param_counts

    np.testing.assert_array_equal(table["params"].to_numpy(), nb201_param_counts(cells, C=4, N=1))
    assert (table["time_synflow"] >= 0).all()


def test_cells_must_be_a_batch():
    with pytest.raises(TypeError, match="Cells batch"):
        zc.score("nb201", np.zeros((2, 6), dtype=np.int8), "params")


def test_labels_beyond_the_networks_output_raise_value_error(nets, data):
    X, _ = data
    y = np.array([0, 1, 2, 3, 4, 0, 1, 2, 3, 4])  # the nets output 3 logits
    with pytest.raises(ValueError, match=r"models\[0\] outputs 3 class logits.*label 4 \(row 4\)"):
        zc.score_models(nets, "snip", data=(X, y), batch_size=8)
    with pytest.raises(ValueError, match=r"models\[0\] outputs 3 class logits.*num_classes=5"):
        zc.score_models(nets, "snip", data=data, batch_size=8, num_classes=5)

    class DS(torch.utils.data.Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return torch.from_numpy(X[i]), int(y[i])

    with pytest.raises(ValueError, match="out of range"):
        zc.score_models(nets, "snip", data=DS(), batch_size=8)


@pytest.mark.parametrize("proxy", ["snip", "fisher", "epe_nas", "grasp"])
def test_synthetic_labels_are_drawn_within_the_output_width(nets, proxy):
    kw = dict(input_shape=(1, 6, 6), batch_size=8, data="synthetic", seed=2)
    got = zc.score_models(nets, proxy, **kw)  # default labels were 0..9: an IndexError on 3 logits
    np.testing.assert_array_equal(got, zc.score_models(nets, proxy, num_classes=3, **kw))


def test_float64_network_is_fed_float64_data(data):
    net32 = tiny(0)
    net64 = tiny(0).double()
    X, y = data
    for proxy in ("snip", "nwot", "jacob_cov", "synflow"):  # (zen draws weights in the net's dtype)
        a = zc.score_models([net64], proxy, data=(X, y), batch_size=8)  # float32 data, cast
        b = zc.score_models([net64], proxy, data=(X.astype(np.float64), y), batch_size=8)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, zc.score_models([net32], proxy, data=data, batch_size=8), rtol=1e-3)


def test_weight_gradient_proxies_refuse_frozen_networks():
    """A network with every parameter frozen has no weight gradient: the six gradient proxies say so
    (it used to be torch's 'element 0 of tensors does not require grad'); activation proxies still run."""
    import torch.nn as nn

    from fastnas.zerocost import score_models

    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    for p in net.parameters():
        p.requires_grad_(False)
    for proxy in ("synflow", "snip", "grasp", "fisher", "grad_norm", "plain"):
        with pytest.raises(ValueError, match="no trainable parameter"):
            score_models([net], proxy, input_shape=(1, 8, 8), num_classes=3)
    assert np.isfinite(score_models([net], "nwot", data="synthetic", input_shape=(1, 8, 8), num_classes=3)).all()


def test_grouped_fallback_is_the_one_at_a_time_path_for_random_networks():
    """Networks the grouped passes refuse (here: dropout, which draws from torch's generator) are scored one
    at a time with their own seeded stream: group_size=2 gives the group_size=1 values, reproducibly, and the
    caller's global torch generator is untouched (review finding: the fallback ran outside fork_rng)."""
    from fastnas.zerocost import score_models

    torch.manual_seed(0)
    nets = [nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Dropout(0.5), nn.Flatten(), nn.Linear(144, 3))
            for _ in range(3)]
    X = np.random.default_rng(0).standard_normal((8, 1, 8, 8)).astype(np.float32)
    y = np.arange(8) % 3
    for proxy in ("snip", "synflow", "jacob_cov"):
        one = score_models(nets, proxy, data=(X, y), batch_size=8)
        state = torch.get_rng_state()
        g1 = score_models(nets, proxy, data=(X, y), batch_size=8, group_size=2)
        g2 = score_models(nets, proxy, data=(X, y), batch_size=8, group_size=2)
        assert torch.equal(state, torch.get_rng_state())
        np.testing.assert_array_equal(g1, one)
        np.testing.assert_array_equal(g2, one)

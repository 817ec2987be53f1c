"""The data source of the zero-cost proxies: a once-per-process warning for the synthetic fallback,
data="synthetic" as an explicit choice, and the source recorded in result tables (issue 10 §7)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import fastnas.zerocost as zc  # noqa: E402
from fastnas.zerocost import _data  # noqa: E402
from fastnas.spaces import NB201  # noqa: E402

KW = dict(input_shape=(1, 6, 6), num_classes=3, batch_size=8)
CELLS = NB201.from_strings(["|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
                            "+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"])
NB = dict(width=4, N=1, input_shape=(3, 8, 8), batch_size=8)


@pytest.fixture(autouse=True)
def fresh_process_flag(monkeypatch):
    monkeypatch.setattr(_data, "_warned_synthetic", False)


def net():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))


DATA_DEPENDENT = sorted(p for p, (_, needs) in zc.PROXIES.items() if needs)


def test_data_dependent_set_is_the_published_one():
    assert DATA_DEPENDENT == sorted(["snip", "grasp", "fisher", "grad_norm", "plain", "jacob_cov", "nwot",
                                     "epe_nas"])


@pytest.mark.parametrize("proxy", DATA_DEPENDENT)
def test_no_data_warns_once_at_the_callers_line(proxy):
    with pytest.warns(UserWarning, match=rf"no data= given.*{proxy}.*data='synthetic'") as rec:
        zc.score_models([net()], proxy, **KW)
    ours = [w for w in rec if "no data= given" in str(w.message)]
    assert len(ours) == 1 and ours[0].filename == __file__  # points at this call, not inside fastnas
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per process: the second call is silent
        zc.score_models([net()], proxy, **KW)


def test_explicit_synthetic_is_silent_and_equal_to_the_fallback():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = zc.score_models([net()], "snip", data="synthetic", **KW)
    with pytest.warns(UserWarning, match="no data= given"):
        b = zc.score_models([net()], "snip", **KW)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("proxy", sorted(set(zc.PROXIES) - set(DATA_DEPENDENT)))
def test_data_free_proxies_never_warn(proxy):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zc.score_models([net()], proxy, **KW)


def test_user_data_never_warns():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 1, 6, 6)).astype(np.float32), rng.integers(0, 3, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zc.score_models([net()], "nwot", data=(X, y), batch_size=8)


@pytest.mark.parametrize("bad", ["cifar10", "Synthetic", ""])
def test_unknown_data_string_raises(bad):
    with pytest.raises(ValueError, match="'synthetic'"):
        zc.score_models([net()], "snip", data=bad, **KW)
    with pytest.raises(ValueError, match="'synthetic'"):
        zc.score("nb201", CELLS, "synflow", data=bad, **NB)  # validated even where unused


def test_table_records_the_data_source():
    t = zc.score_table("nb201", CELLS, ["synflow", "snip"], data="synthetic", seed=5, **NB)
    expected = "synthetic: N(0, 1) inputs (8, 3, 8, 8), uniform labels 0..9, seed 5"
    assert t.attrs["data"] == expected and (t["data"] == expected).all()
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12, 3, 8, 8)).astype(np.float32), rng.integers(0, 10, 12)
    t = zc.score_table("nb201", CELLS, ["snip"], data=(X, y), **NB)
    assert t.attrs["data"] == "user (X, y) arrays: first 8 of 12 samples"
    ds = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    t = zc.score_table("nb201", CELLS, ["snip"], data=ds, **NB)
    assert t.attrs["data"] == "user dataset TensorDataset: first 8 samples"
    t = zc.score_table("nb201", CELLS, ["synflow", "params"], **NB)
    assert t.attrs["data"] == "none (data-free proxies)"


def test_live_predictor_warns_at_the_users_call():
    from fastnas.predictors.zerocost import ZeroCostLive

    z = ZeroCostLive(proxy="grad_norm", space="nb201", build={"width": 4, "N": 1}, batch_size=8)
    with pytest.warns(UserWarning, match="grad_norm") as rec:
        z._score(CELLS)
    assert [w.filename for w in rec if "no data= given" in str(w.message)] == [__file__]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ZeroCostLive(proxy="grad_norm", space="nb201", build={"width": 4, "N": 1}, batch_size=8,
                     data="synthetic")._score(CELLS)

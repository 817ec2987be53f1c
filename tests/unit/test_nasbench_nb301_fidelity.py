"""The fidelity interface shared with the NB301 surrogate (``query(..., epoch=)``, ``curves``, ``return_cost``)
on the table benchmarks, with files written in the official formats by the existing fixtures."""
from __future__ import annotations

import bz2
import pickle

import numpy as np
import pytest

import test_nasbench_nb101_tfrecord as t101
import test_nasbench_nb201_official as t201
from fastnas import _backend
from fastnas.nasbench import load
from fastnas.nasbench.nb101_tfrecord import convert_nb101
from fastnas.nasbench.nb201_official import convert_nb201


def test_bundled_nb201_is_final_epoch_only():
    b = load("nb201", dataset="cifar10-valid")
    cells = b.space.from_index([0, 1])
    with pytest.raises(ValueError, match=r"final-epoch \(200\) data only.*fastnas data convert"):
        b.query(cells, epoch=12)
    with pytest.raises(ValueError, match=r"final-epoch \(200\) data only"):
        b.curves(cells, [1, 200])
    np.testing.assert_array_equal(b.curves(cells)[:, 0], b.query(cells))
    np.testing.assert_array_equal(b.query(cells, epoch=200), b.query(cells))


def test_nb201_official_curves(tmp_path):
    f = tmp_path / "NATS-tss-v1_0-3ffb9.pickle.pbz2"
    with bz2.open(f, "wb") as fh:
        pickle.dump(t201._whole(("200",)), fh, protocol=4)
    convert_nb201(f, tmp_path / "out", progress=False)
    b = load("nb201", dataset="cifar10-valid", root=tmp_path / "out")
    cells = b.space.from_strings(t201.ARCHS)
    E = t201.E
    c, cost = b.curves(cells, split="valid", seed=0, return_cost=True)
    want = [[t201._acc(i, "cifar10-valid", 777, "x-valid", e - 1) for e in range(1, E + 1)] for i in range(3)]
    np.testing.assert_allclose(c, want)
    # one run observed after e epochs: the training time so far (2 s per epoch, 2 seeds' mean train time)
    np.testing.assert_allclose(cost, np.tile(np.arange(1, E + 1) * 2.0, (3, 1)))
    np.testing.assert_allclose(b.curves(cells, [2], split="test", seed=0)[:, 0],
                               b.query(cells, split="test", epoch=2, seed=0))
    with pytest.raises(ValueError, match="epoch"):
        b.curves(cells, [0])
    with pytest.raises(ValueError, match="sample"):
        b.curves(cells, seed="sample")


def test_nb101_full_tfrecord_budgets(tmp_path):
    f = t101._write(tmp_path / "nasbench_full.tfrecord", budgets=(4, 12, 36, 108))
    convert_nb101(f, tmp_path / "out", progress=False)
    b = load("nb101", dataset="cifar10", root=tmp_path / "out")
    keys = np.asarray(_backend.get("nb101_key")(*t101._arrays(t101.CELLS)), np.uint64)
    cells = b.cells(np.searchsorted(np.asarray(b.store.column("key")), keys))
    c, cost = b.curves(cells, split="valid", seed=1, return_cost=True)
    want = [[100 * t101._acc(i, bud, 1, 1) for bud in (4, 12, 36, 108)] for i in range(3)]
    np.testing.assert_allclose(c, want, rtol=1e-6)
    # separate training runs per budget: each budget's own recorded time (10 s per epoch in the fixture)
    np.testing.assert_allclose(cost, np.tile([40.0, 120.0, 360.0, 1080.0], (3, 1)))
    with pytest.raises(ValueError, match="recorded epochs"):
        b.curves(cells, [5])


def test_nb101_only108_has_no_budgets(tmp_path):
    f = t101._write(tmp_path / "nasbench_only108.tfrecord")
    convert_nb101(f, tmp_path / "out", progress=False)
    b = load("nb101", dataset="cifar10", root=tmp_path / "out")
    with pytest.raises(ValueError, match=r"final-epoch \(108\) data only"):
        b.curves(b.cells(), [36])

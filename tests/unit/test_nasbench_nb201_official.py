"""Official NAS-Bench-201 / NATS-Bench files: a tiny writer of the exact formats, round trips, bad files."""
from __future__ import annotations

import bz2
import pickle
from collections import OrderedDict

import numpy as np
import pytest

from fastnas.nasbench import load
from fastnas.nasbench.nb201_official import FormatError, convert_nb201

ARCHS = ["|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
         "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
         "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"]
E = 4
EVALS = {"cifar10-valid": ["x-valid", "ori-test"], "cifar100": ["x-valid", "x-test", "ori-test"]}


def _acc(idx, ds, seed, split, e):
    return 10.0 * idx + {"cifar10-valid": 1, "cifar100": 2}[ds] + seed / 10 + {"train": 0, "x-valid": 0.01,
                                                                                  "x-test": 0.02, "ori-test": 0.03}[split] + e / 1000


def _results_count(idx, ds, seed):
    # a ResultsCount state dict as NATS-Bench stores it (net_state_dict cleared)
    return {"name": f"{ds}-{seed}", "net_state_dict": None, "epochs": E, "seed": seed,
            "params": 0.1 + idx, "flop": 10.0 + idx, "latency": [0.01, 0.03],
            "arch_config": {"arch_str": ARCHS[idx], "channel": 16, "num_cells": 5, "class_num": 10},
            "train_acc1es": OrderedDict((e, _acc(idx, ds, seed, "train", e)) for e in range(E)),
            "train_acc5es": None, "train_losses": {e: 1.0 / (e + 1) for e in range(E)},
            "train_times": {e: 2.0 for e in range(E)}, "eval_names": list(EVALS[ds]),
            "eval_acc1es": {f"{n}@{e}": _acc(idx, ds, seed, n, e) for n in EVALS[ds] for e in range(E)},
            "eval_losses": {f"{n}@{e}": 0.5 for n in EVALS[ds] for e in range(E)},
            "eval_times": {f"{n}@{e}": 0.1 for n in EVALS[ds] for e in range(E)}}


def _arch_results(idx):
    seeds = {"cifar10-valid": [777, 888], "cifar100": [777]} if idx != 1 else {"cifar10-valid": [777],
                                                                               "cifar100": [777, 888]}
    return {"arch_index": idx, "arch_str": ARCHS[idx], "clean_tag": True, "dataset_seed": seeds,
            "all_results": {(ds, s): _results_count(idx, ds, s) for ds, ss in seeds.items() for s in ss}}


def _whole(hp_keys=("200",)):
    return {"meta_archs": ARCHS, "evaluated_indexes": [0, 1, 2],
            "arch2infos": {i: {k: _arch_results(i) for k in hp_keys} for i in range(3)}}


def _check(root):
    b = load("nb201", dataset="cifar10-valid", root=root)
    cells = b.space.from_strings(ARCHS)
    np.testing.assert_allclose(b.query(cells, split="valid", seed=0),
                               [_acc(i, "cifar10-valid", 777, "x-valid", E - 1) for i in range(3)])
    np.testing.assert_allclose(b.query(cells, split="test", epoch=2, seed=0),
                               [_acc(i, "cifar10-valid", 777, "ori-test", 1) for i in range(3)])
    mean = b.query(cells[:1], split="valid")[0]
    assert mean == pytest.approx(np.mean([_acc(0, "cifar10-valid", s, "x-valid", E - 1) for s in (777, 888)]))
    with pytest.raises(ValueError, match="recorded 1 seeds"):
        b.query(cells[1:2], seed=1)
    v, cost = b.query(cells, epoch=2, return_cost=True)
    np.testing.assert_allclose(cost, 2.0 * E * 2 / E)
    np.testing.assert_allclose(b.query(cells, metric="latency"), 0.02)
    np.testing.assert_allclose(b.query(cells, metric="flops"), [10, 11, 12])
    with pytest.raises(ValueError, match="valtest"):
        load("nb201", dataset="cifar100", root=root).query(cells, split="nope")
    c100 = load("nb201", dataset="cifar100", root=root)
    assert c100.metrics()["accuracy"] == ["test", "train", "valid", "valtest"]
    np.testing.assert_allclose(c100.query(cells, split="valtest", seed=0),
                               [_acc(i, "cifar100", 777, "ori-test", E - 1) for i in range(3)])
    with pytest.raises(ValueError, match="epoch"):
        b.query(cells, epoch=E + 1)
    assert b.store.verify() == []


def test_pickle_pbz2_round_trip(tmp_path):
    f = tmp_path / "NATS-tss-v1_0-3ffb9.pickle.pbz2"
    with bz2.open(f, "wb") as fh:
        pickle.dump(_whole(("12", "200")), fh, protocol=4)
    paths = convert_nb201(f, tmp_path / "out", progress=False)
    assert sorted(p.name for p in paths) == ["cifar10-valid", "cifar100"]
    _check(tmp_path / "out")


def test_archive_directory_round_trip(tmp_path):
    d = tmp_path / "NATS-tss-v1_0-3ffb9-simple"
    d.mkdir()
    with bz2.open(d / "meta.pickle.pbz2", "wb") as fh:
        pickle.dump({"meta_archs": ARCHS, "arch2infos": {}, "evaluated_indexes": []}, fh)
    for i in range(3):
        with bz2.open(d / f"{i:06d}.pickle.pbz2", "wb") as fh:
            pickle.dump({"12": _arch_results(i), "200": _arch_results(i)}, fh)
    convert_nb201(d, tmp_path / "out", progress=False)
    _check(tmp_path / "out")


def test_pth_round_trip(tmp_path):
    torch = pytest.importorskip("torch")
    f = tmp_path / "NAS-Bench-201-v1_0-e61699.pth"
    torch.save(_whole(("full", "less")), f)
    convert_nb201(f, tmp_path / "out", progress=False)
    _check(tmp_path / "out")


def test_bad_files_are_named_and_leave_nothing(tmp_path):
    out = tmp_path / "out"
    f = tmp_path / "x.pickle.pbz2"
    f.write_bytes(b"definitely not bz2")
    with pytest.raises(FormatError, match="x.pickle.pbz2"):
        convert_nb201(f, out, progress=False)
    good = bz2.compress(pickle.dumps(_whole()))
    f.write_bytes(good[: len(good) // 2])
    with pytest.raises(FormatError, match="x.pickle.pbz2"):
        convert_nb201(f, out, progress=False)
    with bz2.open(f, "wb") as fh:
        pickle.dump({"meta_archs": ARCHS, "arch2infos": {0: {"200": np.zeros(2)}}}, fh)
    with pytest.raises(FormatError, match="refusing"):
        convert_nb201(f, out, progress=False)
    bad = _whole()
    del bad["arch2infos"][1]["200"]["all_results"][("cifar100", 777)]["train_losses"]
    with bz2.open(f, "wb") as fh:
        pickle.dump(bad, fh)
    with pytest.raises(FormatError, match="lacks a field"):
        convert_nb201(f, out, progress=False)
    with bz2.open(f, "wb") as fh:
        pickle.dump({"something": 1}, fh)
    with pytest.raises(FormatError, match="meta_archs"):
        convert_nb201(f, out, progress=False)
    with pytest.raises(FormatError, match="hp"):
        with bz2.open(f, "wb") as fh:
            pickle.dump(_whole(("12",)), fh)
        convert_nb201(f, out, progress=False)
    assert not out.exists()


def test_pth_legacy_format_and_without_torch(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    legacy = tmp_path / "NAS-Bench-201-v1_0-e61699.pth"  # v1_0 predates torch's zip format
    torch.save(_whole(("full", "less")), legacy, _use_new_zipfile_serialization=False)
    convert_nb201(legacy, tmp_path / "a", progress=False)
    _check(tmp_path / "a")
    z = tmp_path / "NAS-Bench-201-v1_1-096897.pth"
    torch.save(_whole(("full",)), z)
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # torch absent: the zip's data.pkl is read directly
    convert_nb201(z, tmp_path / "b", progress=False)
    _check(tmp_path / "b")
    with pytest.raises(FormatError, match="zip format"):
        convert_nb201(legacy, tmp_path / "c", progress=False)

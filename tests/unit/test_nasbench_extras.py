"""Optional extras converted on first use: NAS-Bench-Graph and AnalogNAS-Bench (skipped when not installed),
plus an AnalogNAS-Bench fixture in its exact pickle format (always runs)."""
from __future__ import annotations

import importlib.util
import pickle
import sys
import types

import numpy as np
import pytest

from fastnas.nasbench import load


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTNAS_DATA", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_nbgraph_first_use_and_keys(cache):
    pytest.importorskip("nas_bench_graph")
    from nas_bench_graph.architecture import Arch

    from fastnas.nasbench.nbgraph import _bench_file, read_bench

    b = load("nbgraph", dataset="cora", progress=False)
    assert len(b) == 26206 and (cache / "nbgraph" / "cora" / "manifest.json").is_file()
    raw = read_bench(_bench_file("cora"))
    cells = b.space.sample(40, seed=0)
    links, ops = b.space.to_arch(cells)
    expect = [100 * float(raw[Arch(lk, op).valid_hash()]["valid_perf"]) for lk, op in zip(links, ops)]
    np.testing.assert_allclose(b.query(cells), expect)
    assert np.isnan(b.query(cells, return_cost=True)[1]).all()  # no training time recorded
    with pytest.raises(ValueError, match="seed mean"):
        b.query(cells, seed=0)
    assert len(load("nbgraph", dataset="proteins", progress=False)) == 2021
    with pytest.raises(ValueError, match="datasets are"):
        load("nbgraph", dataset="Cora-typo")


def test_analog_real_package(cache):
    if importlib.util.find_spec("analognasbench") is None:
        pytest.skip("analog-nasbench not installed")
    from scipy.stats import spearmanr

    b = load("nb201-analog", dataset="cifar10", progress=False)
    assert len(b) == 15625
    none = b.space.from_strings("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    assert b.query(none, split="test")[0] == pytest.approx(10.0)
    all_cells = b.space.enumerate()
    rho = spearmanr(b.query(all_cells, split="test"), load("nb201", dataset="cifar10-valid").query(all_cells))[0]
    assert rho > 0.8
    with pytest.raises(ValueError, match="split"):
        b.query(none)  # the data holds test accuracy only; no silent substitute for 'valid'


def test_analog_fixture_format(tmp_path, monkeypatch):
    mod = types.ModuleType("analognasbench.data")

    class Architecture:
        pass

    class DriftMeasurement:
        def __init__(self, value, uncertainty):
            self.value, self.uncertainty = value, uncertainty

    for cls in (Architecture, DriftMeasurement):
        cls.__module__ = "analognasbench.data"
        cls.__qualname__ = cls.__name__
        setattr(mod, cls.__name__, cls)
    pkg = types.ModuleType("analognasbench")
    pkg.data = mod
    monkeypatch.setitem(sys.modules, "analognasbench", pkg)
    monkeypatch.setitem(sys.modules, "analognasbench.data", mod)
    table = {}
    for k, naslib in enumerate([(0, 0, 0, 0, 0, 0), (1, 1, 1, 1, 1, 1), (2, 2, 0, 2, 3, 2)]):
        a = Architecture()
        a.architecture = naslib
        a.baseline_accuracy, a.ptq_accuracy, a.qat_accuracy = 50.0 + k, 40.0 + k, 30.0 + k
        a.noisy_accuracy, a.analog_accuracy = 20.0 + k, 10.0 + k
        for kind in ("baseline", "analog"):
            for t in (60, 3600, 86400, 2592000):
                setattr(a, f"{kind}_drift_{t}", DriftMeasurement(k + t / 1e7, 0.5))
        table[naslib] = a
    f = tmp_path / "data.anb"
    f.write_bytes(pickle.dumps(table, protocol=4))
    monkeypatch.delitem(sys.modules, "analognasbench.data")
    monkeypatch.delitem(sys.modules, "analognasbench")
    from fastnas.nasbench.analog import convert_analog

    convert_analog("cifar10", tmp_path / "s", source=f)
    b = load("nb201-analog", dataset="cifar10", root=tmp_path / "s")
    cells = b.space.from_naslib(np.array([(2, 2, 0, 2, 3, 2), (1, 1, 1, 1, 1, 1)]))
    np.testing.assert_allclose(b.query(cells, split="test"), [52.0, 51.0])
    np.testing.assert_allclose(b.query(cells, metric="analog_accuracy", split="test"), [12.0, 11.0])
    np.testing.assert_allclose(b.query(cells, metric="analog_drift_3600_uncertainty", split="test"), 0.5)
    assert b.space.to_strings(b.best("analog_accuracy", "test")[0]) == b.space.to_strings(cells[:1])
    # anything other than the two record classes is refused
    f.write_bytes(pickle.dumps({(0,) * 6: np.zeros(1)}))
    with pytest.raises(ValueError, match="refusing"):
        convert_analog("cifar10", tmp_path / "s2", source=f)

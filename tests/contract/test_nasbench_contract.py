"""The Benchmark API other areas build on (Oracle, simulations, predictors): names and return shapes."""
from __future__ import annotations

import inspect

import numpy as np
import pandas as pd

from fastnas.nasbench import Benchmark, ZCTable, load, load_zc


def test_query_signature_names():
    sig = inspect.signature(Benchmark.query)
    assert list(sig.parameters)[1:] == ["cells", "metric", "split", "seed", "epoch", "missing", "rng", "return_cost"]
    d = {k: p.default for k, p in sig.parameters.items()}
    assert (d["metric"], d["split"], d["seed"], d["epoch"], d["missing"], d["return_cost"]) == (
        "accuracy", "valid", "mean", None, "raise", False)
    assert list(inspect.signature(Benchmark.query_keys).parameters)[1:] == [
        "keys", "metric", "split", "seed", "epoch", "missing", "rng", "return_cost"]


def test_return_types():
    b = load("nb201", dataset="cifar10-valid")
    cells = b.space.sample(5, seed=0)
    v = b.query(cells)
    assert isinstance(v, np.ndarray) and v.dtype == np.float64 and v.shape == (5,)
    v, c = b.query(cells, return_cost=True)
    assert v.dtype == c.dtype == np.float64 and c.shape == (5,)
    assert b.keys(cells).dtype == np.uint64
    assert isinstance(b.table(), pd.DataFrame)
    cell, val = b.best("accuracy", "valid")
    assert len(cell) == 1 and isinstance(val, float)
    assert isinstance(b.metrics(), dict) and isinstance(b.info(), dict)
    assert b.space.name == "nb201" and len(b.cells()) == 15625


def test_zc_table_api():
    t = load_zc("nb201", "cifar100")
    assert isinstance(t, ZCTable)
    for attr in ("cells", "proxies", "val_accuracy", "space", "dataset"):
        assert hasattr(t, attr)
    assert t.scores(t.proxies[0]).shape == t.times(t.proxies[0]).shape == (len(t),)

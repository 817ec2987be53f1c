"""Tabular NAS benchmarks: a compact memory-mapped store, typed vectorised queries, bundled real data.

>>> from fastnas.nasbench import load
>>> bench = load("nb201", dataset="cifar10-valid")
>>> cell, acc = bench.best("accuracy", "valid")
>>> round(acc, 2)
91.61
"""
from __future__ import annotations

from ._benchmark import Benchmark
from ._registry import available, cache_dir, load
from ._store import Store, StoreError, open_store, write_store
from ._unpickle import UnsafePickleError, restricted_load

__all__ = ["Benchmark", "load", "available", "cache_dir", "Store", "StoreError", "open_store", "write_store",
           "UnsafePickleError", "restricted_load", "load_zc", "ZCTable"]


def __getattr__(name):
    if name in ("load_zc", "ZCTable"):
        from . import zc

        return getattr(zc, name)
    raise AttributeError(f"module 'fastnas.nasbench' has no attribute {name!r}")

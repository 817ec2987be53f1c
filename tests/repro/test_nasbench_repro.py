"""Same seed -> same simulated-noise queries on every backend, batch split and in another process."""
from __future__ import annotations

import subprocess
import sys

import numpy as np

from fastnas import _backend
from fastnas.nasbench import load


def _keys():
    return np.random.default_rng(11).integers(0, 15625, 300).astype(np.uint64)


def test_sample_same_on_every_backend():
    b = load("nb201", dataset="cifar100")
    outs = []
    for backend in ("cpp", "python"):
        if _backend.backend_error(backend):
            continue
        with _backend.use(backend):
            b2 = load("nb201", dataset="cifar100")  # fresh cache
            outs.append(b2.query_keys(_keys(), seed="sample", rng=42, return_cost=True))
    assert len(outs) == 2
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])
    # an int rng draws per key: a prefix of the batch gives the prefix of the values
    np.testing.assert_array_equal(b.query_keys(_keys()[:50], seed="sample", rng=42), outs[0][0][:50])


def test_sample_same_in_another_process():
    code = ("import numpy as np;from fastnas.nasbench import load;b=load('nb201',dataset='ImageNet16-120');"
            "k=np.random.default_rng(11).integers(0,15625,300).astype(np.uint64);"
            "print(repr(b.query_keys(k,seed='sample',rng=np.random.default_rng(3)).tolist()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    b = load("nb201", dataset="ImageNet16-120")
    assert eval(out) == b.query_keys(_keys(), seed="sample", rng=np.random.default_rng(3)).tolist()

"""Same seed -> same NB201 cells in another process and on another backend."""
import json
import os
import subprocess
import sys

import numpy as np

from fastnas import _backend
from fastnas.spaces.nb201 import NB201

SCRIPT = """
import json
from fastnas.spaces.nb201 import NB201
sp = NB201()
c = sp.sample(200, seed=7, valid_only=True)
u = sp.sample(100, seed=8, unique=True)
m = sp.mutate(c, rate=1.5, seed=9)
o = sp.mutate(c, seed=10, one_edge=True)
print(json.dumps([NB201.to_code(x).tolist() for x in (c, u, m, o)]))
"""


def _here():
    sp = NB201()
    c = sp.sample(200, seed=7, valid_only=True)
    u = sp.sample(100, seed=8, unique=True)
    m = sp.mutate(c, rate=1.5, seed=9)
    o = sp.mutate(c, seed=10, one_edge=True)
    return [NB201.to_code(x).tolist() for x in (c, u, m, o)]


def test_other_process_other_backend_same_cells():
    with _backend.use("cpp"):
        here = _here()
    env = dict(os.environ, FASTNAS_BACKEND="python")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == here


def test_generator_seed_is_reproducible():
    sp = NB201()
    a = sp.sample(50, seed=np.random.default_rng(3))
    b = sp.sample(50, seed=np.random.default_rng(3))
    assert a == b

"""Same seed -> same DARTS and NBGraph cells in another process and on another backend."""
import json
import os
import subprocess
import sys

import numpy as np

from fastnas import _backend

SCRIPT = """
import json
from fastnas.spaces.darts import DARTS
from fastnas.spaces.nbgraph import NBGraph
out = []
for sp in (DARTS(), NBGraph(), NBGraph("proteins")):
    c = sp.sample(100, seed=7)
    u = sp.sample(50, seed=8, unique=True)
    m = sp.mutate(c, rate=1.5, seed=9)
    out += [sp.to_strings(x) for x in (c, u, m)]
print(json.dumps(out))
"""


def _here():
    ns = {}
    exec(SCRIPT.replace("print(json.dumps(out))", ""), ns)
    return ns["out"]


def test_other_process_other_backend_same_cells():
    with _backend.use("cpp"):
        here = _here()
    env = dict(os.environ, FASTNAS_BACKEND="python")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == here


def test_generator_seed_is_reproducible():
    from fastnas.spaces.darts import DARTS

    a = DARTS().sample(50, seed=np.random.default_rng(3))
    b = DARTS().sample(50, seed=np.random.default_rng(3))
    assert a == b

"""Same seed -> same NB101 cells in another process and on the reference backend."""
import subprocess
import sys

import numpy as np

from fastnas import NB101, _backend

CODE = """
import sys
from fastnas import NB101
s = NB101()
c = s.sample(300, seed=42)
m = s.mutate(c, rate=1.5, seed=7)
sys.stdout.write(",".join(s.to_strings(c) + s.to_strings(m)))
"""


def test_same_seed_other_process():
    space = NB101()
    c = space.sample(300, seed=42)
    m = space.mutate(c, rate=1.5, seed=7)
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True).stdout
    assert out.split(",") == space.to_strings(c) + space.to_strings(m)


def test_same_seed_reference_backend():
    space = NB101()
    with _backend.use("cpp"):
        c = space.sample(60, seed=np.uint64(2**63 + 5))
        m = space.mutate(c, rate=1.0, seed=9)
    with _backend.use("python"):
        assert space.sample(60, seed=np.uint64(2**63 + 5)) == c
        assert space.mutate(c, rate=1.0, seed=9) == m

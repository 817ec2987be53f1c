"""Same seed -> same search run in another process (fresh interpreter, other hash seed)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from fastnas.search import Oracle, make, run
from fastnas.sim.synthetic import SyntheticBenchmark, ToySpace

CODE = """
import json
from fastnas.search import Oracle, make, run
from fastnas.sim.synthetic import SyntheticBenchmark, ToySpace
b = SyntheticBenchmark(ToySpace(5, 4), seed=3)
out = {}
for name in ("random", "evolution", "local_search", "gp_bo"):
    opt = run(make(name, b.space, seed=42), Oracle(b, budget=30))
    out[name] = b.space.to_strings(opt.cells_)
print(json.dumps(out))
"""


def test_other_process_same_runs():
    env = dict(os.environ, PYTHONHASHSEED="123")
    res = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, check=True)
    other = json.loads(res.stdout.strip().splitlines()[-1])
    b = SyntheticBenchmark(ToySpace(5, 4), seed=3)
    for name, cells in other.items():
        opt = run(make(name, b.space, seed=42), Oracle(b, budget=30))
        assert b.space.to_strings(opt.cells_) == cells, name

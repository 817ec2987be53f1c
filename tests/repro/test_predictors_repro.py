"""Same seed, same predictions in another process (no hidden global RNG state)."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

CODE = """
import json
import numpy as np
from fastnas.predictors import EvalData, make
d = EvalData.synthetic(120, seed=4)
out = []
for name, kw in [("rf", {"n_estimators": 15}), ("ngb", {"n_estimators": 20}), ("sparse_gp", {"num_inducing": 10}),
                 ("lcsvr", {"n_iter": 3})]:
    m = make(name, seed=7, **kw)
    X = d.curves.truncate(5) if name == "lcsvr" else d.features
    out.append(m.fit(X[:80], d.y[:80]).predict(X[80:]))
print(json.dumps(np.concatenate(out).tolist()))
"""


def _run():
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    return np.array(json.loads(r.stdout.strip().splitlines()[-1]))


def test_same_seed_same_predictions_across_processes():
    a, b = _run(), _run()
    assert a.shape == (160,)
    np.testing.assert_array_equal(a, b)

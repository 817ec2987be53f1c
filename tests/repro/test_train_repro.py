"""fit: the same seed gives the same learning curves in another process (CPU)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("torch")

SCRIPT = r"""
import json, numpy as np, torch
torch.set_num_threads(1)
from fastnas.models import NB201Network
from fastnas.train import fit
rng = np.random.default_rng(0)
X = rng.normal(size=(48, 3, 8, 8)).astype("float32")
y = (X[:, 0].mean(axis=(1, 2)) > 0).astype(int)
net = NB201Network([3, 1, 2, 4, 3, 1], C=2, N=1, num_classes=2, seed=0)
res = fit(net, (X[:32], y[:32]), (X[32:], y[32:]), epochs=2, lr=0.05, batch_size=8, seed=5, progress=False)
print(json.dumps({k: getattr(res, k).tolist() for k in ("train_loss", "train_acc", "val_loss", "val_acc")}))
"""


def _run() -> dict:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_same_seed_same_curves_in_another_process():
    a, b = _run(), _run()
    assert a == b
    assert len(a["val_acc"]) == 2

"""Same seed, same zero-cost scores in another process (initialisation and synthetic data are seeded)."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")

import fastnas.zerocost as zc  # noqa: E402
from fastnas.spaces import NB201  # noqa: E402

STRINGS = [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
]
CODE = """
import json, sys, torch
torch.set_num_threads(1)
import fastnas.zerocost as zc
from fastnas.spaces import NB201
cells = NB201.from_strings(json.loads(sys.argv[1]))
out = {p: zc.score("nb201", cells, p, seed=7, width=4, N=1, input_shape=(3, 8, 8), batch_size=8,
                 data="synthetic").tolist()
       for p in ("synflow", "snip", "nwot", "zen")}
print(json.dumps(out))
"""


def test_scores_identical_in_a_fresh_process():
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cells = NB201.from_strings(STRINGS)
        here = {p: zc.score("nb201", cells, p, seed=7, width=4, N=1, input_shape=(3, 8, 8), batch_size=8,
                            data="synthetic")
                for p in ("synflow", "snip", "nwot", "zen")}
    finally:
        torch.set_num_threads(old)
    res = subprocess.run([sys.executable, "-c", CODE, json.dumps(STRINGS)], capture_output=True, text=True,
                         check=True, timeout=120)
    there = json.loads(res.stdout.strip().splitlines()[-1])
    for p, v in here.items():
        np.testing.assert_array_equal(np.asarray(there[p]), v, err_msg=p)

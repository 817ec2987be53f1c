"""Every algorithm runs on every space of the protocol (NB101, NB201, DARTS, NB-Graph) and never asks a
cell isomorphic to an earlier one."""
from __future__ import annotations

import numpy as np
import pytest

from fastnas.search import OPTIMIZERS, Oracle, make, optimizer_class, run

SMALL = {"bananas": {"epochs": 2, "n_members": 2}, "bonas": {"epochs": 2, "target_transform": "minmax"},
         "npenas": {"epochs": 2}, "nasbot": {"acq_evals": 20, "hp_evals": 60}}


class LinearObjective:
    """A benchmark double: value = encoding . w (fixed random w), cost 1 s per cell."""

    def __init__(self, space):
        self.space = space
        self.enc = "adjacency" if "adjacency" in space.encodings else space.encodings[0]
        d = space.encode(space.sample(1, seed=0), self.enc).shape[1]
        self.w = np.random.default_rng(0).normal(size=d)

    def query(self, cells, metric="accuracy", split="valid", seed="mean", rng=None, return_cost=False, **kw):
        v = self.space.encode(cells, self.enc).astype(np.float64) @ self.w
        return (v, np.ones(len(v))) if return_cost else v


def _space(name):
    from fastnas.spaces import get_space

    try:
        return get_space(name)
    except Exception as exc:  # a space not available in this build
        pytest.skip(f"space {name} unavailable: {exc}")


@pytest.mark.parametrize("space_name", ["nb101", "nb201", "darts", "nbgraph"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_algorithm_on_space(space_name, name):
    if name in ("bananas", "bonas", "npenas"):
        pytest.importorskip("torch")
    if getattr(optimizer_class(name), "multi_fidelity", False):
        pytest.skip("multi-fidelity: needs learning curves (tests/unit/test_search_multi_fidelity.py)")
    space = _space(space_name)
    bench = LinearObjective(space)
    opt = run(make(name, space, seed=0, **SMALL.get(name, {})), Oracle(bench, budget=22))
    assert opt.n_told == 22
    keys = space.key(opt.cells_)
    assert len(np.unique(keys)) == 22
    assert space.is_valid(opt.cells_).all() or name == "random"
    cell, value = opt.best()
    assert value == pytest.approx(bench.query(cell)[0])

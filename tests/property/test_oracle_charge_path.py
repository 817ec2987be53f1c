"""The Oracle's continuation charge is path independent (issue 13): training a cell to epoch e costs the
cumulative maximum of the runtime over epochs 1..e, whatever sequence of continuations reached e."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastnas.nasbench import load
from fastnas.search import Oracle

BENCH = load("nb301")
CELLS = BENCH.space.sample(40, seed=3)
RUNTIME = BENCH.curves(CELLS, np.arange(1, 99), return_cost=True)[1]  # (40, 98)


@settings(max_examples=40, deadline=None)
@given(i=st.integers(0, len(CELLS) - 1), path=st.lists(st.integers(1, 98), min_size=1, max_size=6))
def test_total_charge_is_the_cumulative_max_runtime_whatever_the_path(i, path):
    cell = CELLS[i:i + 1]
    oracle = Oracle(BENCH)
    total = sum(float(oracle(cell, epoch=e, return_cost=True)[1][0]) for e in path)
    top = max(path)
    assert total == pytest.approx(RUNTIME[i, :top].max(), rel=1e-9, abs=1e-6)
    direct = Oracle(BENCH)
    assert float(direct(cell, epoch=top, return_cost=True)[1][0]) == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert (oracle.history()["cost"] >= 0).all()


def test_a_non_monotone_cell_is_charged_the_same_by_steps_and_directly():
    # a cell whose surrogate runtime drops between two epochs (most cells have such a drop)
    drops = np.diff(RUNTIME, axis=1) < 0
    i, j = map(int, np.argwhere(drops)[0])  # runtime(j + 2) < runtime(j + 1) (epochs are 1-based)
    cell = CELLS[i:i + 1]
    steps = Oracle(BENCH)
    by_steps = sum(float(steps(cell, epoch=e, return_cost=True)[1][0]) for e in (j + 1, j + 2))
    direct = float(Oracle(BENCH)(cell, epoch=j + 2, return_cost=True)[1][0])
    assert by_steps == pytest.approx(direct)
    assert direct == pytest.approx(RUNTIME[i, :j + 2].max())
    assert direct > RUNTIME[i, j + 1]  # more than the raw (dipped) runtime at that epoch

"""Issue 13 (new-user findings on multi-fidelity search): time-budget overshoot, best fully trained
cells, LCE searches that continue candidates."""
import numpy as np
import pytest

from fastnas.nasbench.oracle import BudgetExhausted
from fastnas.search import Oracle, make, run
from fastnas.sim.synthetic_curves import SyntheticCurveBenchmark


def test_time_budget_overshoot_is_at_most_the_last_charge_and_the_next_query_is_refused():
    bench = SyntheticCurveBenchmark(max_epoch=30)
    oracle = Oracle(bench, time_budget=20 * 3600.0)
    run(make("hyperband", bench.space, seed=0, min_epoch=2), oracle)
    h = oracle.history()
    assert oracle.time_used >= oracle.time_budget  # spent
    assert oracle.time_used - h["cost"][-1] < oracle.time_budget  # the last row started below the budget
    with pytest.raises(BudgetExhausted):
        oracle(bench.space.sample(1, seed=123), epoch=30)

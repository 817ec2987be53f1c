"""Search simulations: many seeded trials on serial, process or Ray backends, Parquet results with
per-trial checkpoints and resume, regret curves, tables and plots.

>>> from fastnas.sim import simulate
>>> from fastnas.sim.synthetic import SyntheticBenchmark
>>> res = simulate("random", [SyntheticBenchmark()], trials=2, budget=10, progress=False)
>>> len(res.df)
20
"""
from __future__ import annotations

from ._backends import BACKENDS
from ._trial import TrialSpec, run_trial, trial_seed
from .simulate import SimulationResult, simulate
from .summary import best_so_far, curves, final_table, plot

__all__ = ["simulate", "SimulationResult", "TrialSpec", "run_trial", "trial_seed", "BACKENDS", "best_so_far",
           "curves", "final_table", "plot"]

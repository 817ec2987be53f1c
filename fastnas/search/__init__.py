"""NAS algorithms behind one ask/tell interface.

>>> from fastnas.search import make, run, Oracle
>>> from fastnas.sim.synthetic import SyntheticBenchmark
>>> bench = SyntheticBenchmark()
>>> opt = run(make("random", bench.space, seed=0), Oracle(bench, budget=20))
>>> cell, value = opt.best()
"""
from __future__ import annotations

from ..nasbench.oracle import BudgetExhausted, Oracle
from ._base import Optimizer, load, read_state
from ._loop import run
from ._registry import OPTIMIZERS, make, optimizer_class
from .acquisition import ACQUISITIONS, acquire

__all__ = ["Optimizer", "make", "run", "load", "read_state", "Oracle", "BudgetExhausted", "OPTIMIZERS",
           "optimizer_class", "acquire", "ACQUISITIONS"]

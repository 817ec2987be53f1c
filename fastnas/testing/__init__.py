"""Public contract suites: call them on your own space, optimizer or predictor to check it honours the
protocol fastnas relies on (the project's own tests run them on every built-in one).

>>> from fastnas.testing import check_space
>>> from fastnas.spaces import NB201
>>> check_space(NB201())
"""
from __future__ import annotations

from .optimizers import check_optimizer
from .predictors import check_predictor, check_sklearn
from .spaces import check_space

__all__ = ["check_space", "check_optimizer", "check_predictor", "check_sklearn"]

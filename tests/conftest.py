"""Shared test configuration.

Hypothesis profile "ci" keeps property tests bounded; set HYPOTHESIS_PROFILE=dev for more examples.
"""
from __future__ import annotations

import os
import sys

import pytest

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile("dev", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _torch_one_thread():
    """Tests build tiny torch networks: one thread is fastest and does not oversubscribe a 2-core CI
    machine. Applies only where torch is already imported (test modules that use it import it at the
    top), so tests without torch do not pay for importing it; the caller's setting is restored."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)

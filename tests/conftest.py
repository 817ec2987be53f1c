"""Shared test configuration.

Hypothesis profile "ci" keeps property tests bounded; set HYPOTHESIS_PROFILE=dev for more examples.
FASTNAS_TEST_CPUTIME=<file.csv> records each test's CPU seconds (process + waited-for children) in a CSV,
for sizing CI on a loaded machine where wall times mean nothing.
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


# --- CPU-time profile of the suite (off unless FASTNAS_TEST_CPUTIME=<csv path> is set) ----------------------
# Wall time is meaningless on a loaded machine; CPU time (process + waited-for children, user+sys) is not.
# A hookwrapper on pytest_runtest_protocol (a global hook) covers setup+call+teardown of every item, the
# --doctest-modules items under fastnas/ included. Not counted: children never waited for (Ray workers) --
# the wall column helps to estimate those.
_CPUTIME_CSV = os.environ.get("FASTNAS_TEST_CPUTIME")
_cputime_rows: list = []


def _cpu_seconds() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


if _CPUTIME_CSV:

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item, nextitem):
        import time

        cpu0, wall0 = _cpu_seconds(), time.perf_counter()
        yield
        _cputime_rows.append((item.nodeid, _cpu_seconds() - cpu0, time.perf_counter() - wall0))

    def pytest_sessionfinish(session, exitstatus):
        import csv

        with open(_CPUTIME_CSV, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["nodeid", "cpu_s", "wall_s"])
            for nodeid, cpu, wall in _cputime_rows:
                out.writerow([nodeid, f"{cpu:.3f}", f"{wall:.3f}"])
            # whole process (imports and collection included), for the CI estimate
            out.writerow(["<session total>", f"{_cpu_seconds():.3f}", ""])

"""Execution backends of ``simulate``: each yields ``(trial_id, columns)`` as chunks of trials finish.

* ``serial``: in this process.
* ``processes``: a ``ProcessPoolExecutor`` with the ``spawn`` start method (safe beside torch threads).
* ``ray``: ``ray.init(address=...)`` when an address is given (a cluster), else a local Ray started with
  ``n_workers`` CPUs; whatever this module starts it also shuts down.

Trials are grouped into chunks so per-task overhead is paid per chunk, not per trial; the results do not
depend on the backend, the number of workers or the chunking (each trial carries its own seed).
"""
from __future__ import annotations

import os
from typing import Iterator

from ._trial import TrialSpec, run_chunk

BACKENDS = ("serial", "processes", "ray")


def chunks(specs: list[TrialSpec], n_workers: int, chunk_size: int | None) -> list[list[TrialSpec]]:
    if chunk_size is None:
        chunk_size = max(1, min(8, len(specs) // (4 * max(1, n_workers)) or 1))
    return [specs[i:i + chunk_size] for i in range(0, len(specs), chunk_size)]


def execute(specs: list[TrialSpec], backend: str = "serial", n_workers: int | None = None,
            chunk_size: int | None = None, address: str | None = None) -> Iterator[tuple[str, dict]]:
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
    n_workers = int(n_workers or os.cpu_count() or 1)
    if backend == "serial":
        for s in specs:
            yield from run_chunk([s])
        return
    parts = chunks(specs, n_workers, chunk_size)
    if backend == "processes":
        yield from _processes(parts, n_workers)
    else:
        yield from _ray(parts, n_workers, address)


def _processes(parts, n_workers) -> Iterator[tuple[str, dict]]:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    with ProcessPoolExecutor(max_workers=n_workers, mp_context=mp.get_context("spawn")) as ex:
        futs = {ex.submit(run_chunk, p) for p in parts}
        try:
            while futs:
                done, futs = wait(futs, return_when=FIRST_COMPLETED)
                for f in done:
                    yield from f.result()
        finally:
            for f in futs:
                f.cancel()


def _ray(parts, n_workers, address) -> Iterator[tuple[str, dict]]:
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - optional extra
        raise ImportError("the ray backend needs ray: pip install 'fastnas[ray]'") from exc
    started = False
    if not ray.is_initialized():
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(address="local", num_cpus=n_workers, include_dashboard=False,
                     object_store_memory=200 * 1024**2, log_to_driver=False)
        started = True
    try:
        remote = ray.remote(num_cpus=1)(run_chunk)
        pending = [remote.remote(p) for p in parts]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                yield from ray.get(ref)
    finally:
        if started:
            ray.shutdown()

"""Execution backends of ``simulate``: each yields ``(trial_id, columns)`` as chunks of trials finish.

* ``serial``: in this process.
* ``processes``: worker processes (``spawn`` start method, safe beside torch threads) fed chunks of trials
  through a queue; each finished trial comes back at once. Ctrl-C stops them within a fraction of a second
  and keeps every finished trial; workers die with the parent, even when it is SIGKILLed (Linux parent-death
  signal, plus a watchdog thread elsewhere).
* ``ray``: ``ray.init(address=...)`` when an address is given (a cluster; see ``check_ray_address`` for
  joining by ``host:port`` under Ray's token authentication), else a local Ray started with ``n_workers``
  CPUs; whatever this module starts it also shuts down. Ctrl-C keeps the chunks that finished.

Trials are grouped into chunks so per-task overhead is paid per chunk, not per trial; the results do not
depend on the backend, the number of workers or the chunking (each trial carries its own seed).
"""
from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import time
import traceback
from typing import Iterator

from ._trial import TrialSpec, run_chunk, run_trial

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


class _StopRequest:
    """While active (main thread only), the first SIGINT (Ctrl-C) only sets ``requested``: the backend then
    stops its workers, hands over every trial that already finished, and raises ``KeyboardInterrupt``
    itself, so a result being written is never cut in half. A second Ctrl-C interrupts at once."""

    def __init__(self):
        self.requested = False
        self._old = None

    def _handler(self, signum, frame):
        self.requested = True
        signal.signal(signal.SIGINT, self._old)  # a second Ctrl-C: the default behaviour

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            old = signal.getsignal(signal.SIGINT)
            if old is signal.default_int_handler:  # leave a caller's own handler alone
                self._old = old
                signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self._old is not None and threading.current_thread() is threading.main_thread():
            if signal.getsignal(signal.SIGINT) == self._handler:
                signal.signal(signal.SIGINT, self._old)
        return False


def _die_with_parent(parent_pid: int) -> None:
    """Make this worker end when the process that started it dies, even by SIGKILL: on Linux the
    kernel's parent-death signal (``prctl(PR_SET_PDEATHSIG, SIGKILL)``); elsewhere, and as a backstop, a
    daemon thread that exits the process once its parent is gone (reparented)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the watchdog still works
            pass
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)

    def watchdog():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watchdog, name="fastnas-parent-watchdog", daemon=True).start()


def _worker_main(tasks, conn, parent_pid: int) -> None:
    """A ``processes`` worker: runs chunks of trials from ``tasks`` and sends each trial's columns through
    its own pipe ``conn`` as soon as it finishes (a chunk interrupted half way keeps its finished trials)."""
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent decides
    from threadpoolctl import threadpool_limits

    # one core per worker: n_workers processes with multi-threaded BLAS each would oversubscribe the machine
    # (the small linear algebra of the optimizers only spins); numbers are unchanged
    threadpool_limits(limits=1, user_api="blas")
    while True:
        chunk = tasks.get()
        if chunk is None:
            return
        for spec in chunk:
            try:
                msg = ("ok", spec.trial_id, run_trial(spec))
            except BaseException as exc:  # noqa: BLE001 - reported to the parent, which re-raises it
                tb = traceback.format_exc()
                try:
                    pickle.dumps(exc)
                except Exception:  # noqa: BLE001 - an exception that cannot travel: send its text
                    exc = RuntimeError(repr(exc))
                conn.send(("error", spec.trial_id, exc, tb))
                return
            conn.send(msg)


def _processes(parts, n_workers) -> Iterator[tuple[str, dict]]:
    """Worker processes (``spawn``) fed chunks through a queue, each returning trials one by one through its
    own pipe (a worker killed mid-message gives EOF, never a hang). Ctrl-C stops them at once (finished
    trials are handed over first); they also die with this process."""
    import multiprocessing as mp
    from multiprocessing.connection import wait

    ctx = mp.get_context("spawn")
    tasks = ctx.Queue()
    n_procs = max(1, min(int(n_workers), len(parts)))
    procs, readers = [], {}
    remaining = sum(len(p) for p in parts)
    finished_ok = False
    drained: list[tuple[str, dict]] = []
    with _StopRequest() as stop:
        try:
            for i in range(n_procs):
                r, w = ctx.Pipe(duplex=False)
                p = ctx.Process(target=_worker_main, args=(tasks, w, os.getpid()), daemon=True,
                                name=f"fastnas-sim-{i}")
                p.start()
                w.close()  # the worker holds the only write end: its death reads as EOF
                procs.append(p)
                readers[r] = p
            for part in parts:
                tasks.put(part)
            for _ in procs:
                tasks.put(None)
            while remaining and not stop.requested:
                ready = wait(list(readers), timeout=0.1)
                for r in ready:
                    try:
                        msg = r.recv()
                    except (EOFError, OSError):
                        p = readers.pop(r)
                        r.close()
                        p.join(timeout=5.0)
                        if p.exitcode == 0:  # ran out of chunks and returned: every message it sent was read
                            if not readers and remaining:
                                raise RuntimeError(f"simulation workers finished with {remaining} trials "
                                                   "unanswered (internal error)") from None
                            continue
                        raise RuntimeError(
                            f"simulation worker {p.name} died (exit code {p.exitcode}, e.g. killed for memory); "
                            "finished trials are kept: rerun with the same out folder to resume") from None
                    if msg[0] == "error":
                        _, trial_id, exc, tb = msg
                        raise exc from RuntimeError(f"trial {trial_id} failed in a worker process:\n{tb}")
                    remaining -= 1
                    yield msg[1], msg[2]
            finished_ok = not stop.requested
        finally:
            if not finished_ok:
                for p in procs:  # stop now: running trials are lost, finished ones are drained below
                    if p.is_alive():
                        p.kill()
            for p in procs:
                p.join(timeout=None if finished_ok else 2.0)
            for r in readers:
                while not finished_ok:
                    try:
                        if not r.poll(0):
                            break
                        msg = r.recv()
                    except Exception:  # noqa: BLE001 - a message cut off by the kill, or EOF
                        break
                    if msg[0] == "ok":
                        drained.append((msg[1], msg[2]))
                r.close()
            tasks.cancel_join_thread()  # never block on chunks nobody will read
            tasks.close()
    if stop.requested:
        yield from drained  # trials that finished before Ctrl-C
        raise KeyboardInterrupt


def _split_address(address: str) -> tuple[str, int] | None:
    """(host, port) of a ``host:port`` Ray address, or None for other forms ("auto", "ray://...")."""
    if address in ("auto", "local") or "://" in address:
        return None
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"a Ray address is 'host:port' (the head's IP and the --port of `ray start --head`), "
                         f"'auto' or 'ray://host:port'; got {address!r}")
    return host.strip("[]"), int(port)


def check_ray_address(address: str, timeout: float = 3.0) -> None:
    """Fail at once, with what to do, where joining a Ray cluster by ``host:port`` cannot work.

    * The head must be reachable (a TCP connection within ``timeout`` seconds).
    * ``RAY_AUTH_MODE`` must be set: since Ray 2.59 a head started with ``ray start --head`` uses token
      authentication whenever a token exists (``~/.ray/auth_token``, ``RAY_AUTH_TOKEN``), but a driver
      joining by an explicit address never enables it by itself (it would send the local token to that
      address), so without the variable the join fails after ~20 s with a bare ``ConnectionError``.
      ``RAY_AUTH_MODE=token`` (with the cluster's token, see ``ray get-auth-token`` on the head) or
      ``RAY_AUTH_MODE=disabled`` (a cluster without authentication) both proceed.

    Raises
    ------
    ConnectionError
        The head does not answer, or ``RAY_AUTH_MODE`` is not set.
    ValueError
        The address is not ``host:port``, ``auto`` or ``ray://...``.

    Examples
    --------
    >>> check_ray_address("auto")  # nothing to check: Ray finds the local cluster itself
    """
    import socket

    hp = _split_address(address)
    if hp is None:
        return
    host, port = hp
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise ConnectionError(
            f"no Ray head answers at {host}:{port} ({exc.strerror or exc}); start one with "
            f"`ray start --head --port {port}` and pass the node IP it prints (not 127.0.0.1, which Ray "
            "replaces by this machine's IP), or use --address auto on the head itself") from None
    if not os.environ.get("RAY_AUTH_MODE"):
        raise ConnectionError(
            f"joining the Ray cluster at {address} needs RAY_AUTH_MODE set in the environment: Ray >= 2.59 "
            "starts `ray start --head` clusters with token authentication, and a driver joining by address "
            "does not enable it by itself. Set RAY_AUTH_MODE=token (the cluster's token in ~/.ray/auth_token, "
            "RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH; `ray get-auth-token` on the head prints it), or "
            "RAY_AUTH_MODE=disabled for a cluster started without authentication. "
            "See https://docs.ray.io/en/latest/ray-security/token-auth.html")


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
            check_ray_address(address)
            try:
                ray.init(address=address, log_to_driver=False)
            except ConnectionError as exc:
                raise ConnectionError(
                    f"could not join the Ray cluster at {address} with RAY_AUTH_MODE="
                    f"{os.environ.get('RAY_AUTH_MODE')}: check that it matches the cluster's (a head started "
                    "with a token needs RAY_AUTH_MODE=token and the same token here) and that this machine's Ray "
                    f"version equals the cluster's ({ray.__version__} here)") from exc
        else:
            ray.init(address="local", num_cpus=n_workers, include_dashboard=False,
                     object_store_memory=200 * 1024**2, log_to_driver=False)
        started = True
    drained: list[tuple[str, dict]] = []
    with _StopRequest() as stop:
        try:
            remote = ray.remote(num_cpus=1)(run_chunk)
            pending = [remote.remote(p) for p in parts]
            while pending and not stop.requested:
                done, pending = ray.wait(pending, num_returns=1, timeout=0.2)
                for ref in done:
                    yield from ray.get(ref)
            if stop.requested:  # keep the chunks that finished, cancel the rest
                done, pending = ray.wait(pending, num_returns=len(pending), timeout=0)
                for ref in done:
                    drained.extend(ray.get(ref))
                for ref in pending:
                    ray.cancel(ref, force=True)
        finally:
            if started:
                ray.shutdown()
    if stop.requested:
        yield from drained
        raise KeyboardInterrupt

"""Joining a Ray cluster by its address: a head started with ``ray start --head`` (token authentication,
as Ray >= 2.59 sets it up) is joined by ``host:port`` with ``RAY_AUTH_MODE=token`` and gives the serial
results; without ``RAY_AUTH_MODE`` the join fails at once saying what to set (not after ~20 s)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

import pandas as pd
import pytest

from fastnas.sim import simulate
from fastnas.sim.synthetic import SyntheticBenchmark, ToySpace

pytestmark = [pytest.mark.ray, pytest.mark.skipif(sys.platform != "linux", reason="uses /proc")]

ALGOS = ["random", ("evolution", {"population": 10, "tournament": 3})]
DETERMINISTIC = ["trial_id", "algorithm", "benchmark", "trial", "seed", "query", "key", "cell", "value", "sim_time"]
TOKEN = "fastnas-test-token-0123456789abcdef0123456789abcdef"

DRIVER = textwrap.dedent(f"""
    import sys
    from fastnas.sim import simulate
    from fastnas.sim.synthetic import SyntheticBenchmark, ToySpace

    if __name__ == "__main__":
        res = simulate({ALGOS!r}, [SyntheticBenchmark(ToySpace(5, 4), seed=2)], trials=3, budget=20, seed=7,
                       progress=False, backend="ray", address=sys.argv[1])
        res.df.to_parquet(sys.argv[2])
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def _ours(temp_dir: str) -> list[int]:
    """Processes of this head: their command line names its private temp dir."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    if temp_dir.encode() in f.read():
                        out.append(int(d))
            except OSError:
                pass
    return out


@pytest.fixture(scope="module")
def head():
    ray = pytest.importorskip("ray")
    ip = ray.util.get_node_ip_address()  # the IP Ray drivers on this machine use (127.0.0.1 is rewritten to it)
    port = _free_port()
    temp_dir = tempfile.mkdtemp(prefix="fnray", dir="/tmp")  # short: Ray's socket paths must stay < 108 chars
    env = dict(os.environ, RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0", RAY_USAGE_STATS_ENABLED="0",
               RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=TOKEN)
    env.pop("RAY_ADDRESS", None)
    ray_cli = os.path.join(os.path.dirname(sys.executable), "ray")
    p = subprocess.Popen([ray_cli, "start", "--head", "--block", f"--port={port}", f"--node-ip-address={ip}",
                          "--num-cpus=2", "--object-store-memory=80000000", "--include-dashboard=false",
                          f"--temp-dir={temp_dir}", "--disable-usage-stats"],
                         env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        while True:
            assert p.poll() is None, "ray start --head exited"
            try:
                socket.create_connection((ip, port), timeout=1).close()
                break
            except OSError:
                assert time.time() < deadline, "the Ray head did not come up within 90 s"
                time.sleep(0.2)
        yield f"{ip}:{port}"
    finally:
        p.terminate()  # `ray start --block` stops everything it started on SIGTERM
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        deadline = time.time() + 10
        while _ours(temp_dir) and time.time() < deadline:
            time.sleep(0.2)
        for pid in _ours(temp_dir):  # never leave this head's processes running
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _driver(tmp_path, address, **env_over):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", OPENBLAS_NUM_THREADS="1")
    for k in ("RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN"):
        env.pop(k, None)
    env.update(env_over)
    t = time.time()
    r = subprocess.run([sys.executable, str(script), address, str(tmp_path / "df.parquet")], env=env,
                       capture_output=True, text=True, timeout=300)
    return r, time.time() - t


def test_join_by_address_gives_the_serial_results(head, tmp_path):
    r, _ = _driver(tmp_path, head, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=TOKEN)
    assert r.returncode == 0, r.stderr[-3000:]
    got = pd.read_parquet(tmp_path / "df.parquet")
    ref = simulate(ALGOS, [SyntheticBenchmark(ToySpace(5, 4), seed=2)], trials=3, budget=20, seed=7, progress=False)
    assert len(got) == 2 * 3 * 20
    pd.testing.assert_frame_equal(got[DETERMINISTIC].reset_index(drop=True), ref.df[DETERMINISTIC].reset_index(drop=True),
                                  check_dtype=False, check_categorical=False)


def test_join_without_auth_mode_fails_at_once_saying_what_to_set(head, tmp_path):
    r, took = _driver(tmp_path, head)
    assert r.returncode != 0
    assert "RAY_AUTH_MODE=token" in r.stderr and "ConnectionError" in r.stderr
    assert took < 15, f"took {took:.1f} s"  # Ray's own failure comes after ~20 s of retries


def test_unreachable_head_fails_at_once():
    from fastnas.sim._backends import check_ray_address

    with pytest.raises(ConnectionError, match="no Ray head answers at 127.0.0.1"):
        check_ray_address(f"127.0.0.1:{_free_port()}")
    with pytest.raises(ValueError, match="host:port"):
        check_ray_address("head-without-port")

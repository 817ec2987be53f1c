"""Long simulations stop cleanly: Ctrl-C on a ``processes`` run exits within seconds and keeps every
finished trial (resume then gives the uninterrupted result), and a SIGKILLed parent leaves no worker."""
from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

from fastnas.sim import simulate
from fastnas.sim.synthetic import SyntheticBenchmark, ToySpace

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="uses /proc and process groups")

ALGOS = ["random", "local_search"]
TRIALS, BUDGET, SEED = 30, 60, 7
DETERMINISTIC = ["trial_id", "algorithm", "benchmark", "trial", "seed", "query", "key", "cell", "value", "sim_time"]

SCRIPT = textwrap.dedent(f"""
    import sys
    from fastnas.sim import simulate
    from fastnas.sim.synthetic import SyntheticBenchmark, ToySpace

    if __name__ == "__main__":
        simulate({ALGOS!r}, [SyntheticBenchmark(ToySpace(5, 4), seed=2)], trials={TRIALS}, budget={BUDGET},
                 seed={SEED}, progress=False, backend=sys.argv[2], n_workers=2, chunk_size=4, out=sys.argv[1])
""")


def _children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d))
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _start(tmp_path, out, backend="processes"):
    script = tmp_path / "run_sim.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    # a session of its own: Ctrl-C is sent to the whole process group, as a terminal does
    p = subprocess.Popen([sys.executable, str(script), str(out), backend], start_new_session=True, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while len(glob.glob(str(out / "trials" / "*.parquet"))) < 1:
        assert p.poll() is None, p.communicate()[1][-2000:]
        assert time.time() < deadline, "no trial finished within 120 s"
        time.sleep(0.05)
    workers = _children(p.pid)
    assert workers, "the simulation started no worker processes"
    return p, workers


def _wait_gone(pids, seconds):
    t = time.time()
    while any(_alive(k) for k in pids) and time.time() - t < seconds:
        time.sleep(0.05)
    return [k for k in pids if _alive(k)]


def _interrupt(p, seconds):
    t0 = time.time()
    os.killpg(p.pid, signal.SIGINT)
    try:
        _, err = p.communicate(timeout=seconds)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    return time.time() - t0, err


def _kept(out, seen):
    """Every trial seen finished before Ctrl-C is still there, complete and listed in the manifest."""
    kept = set(glob.glob(str(out / "trials" / "*.parquet")))
    assert seen <= kept and len(kept) < len(ALGOS) * TRIALS
    finished = json.loads((out / "manifest.json").read_text())["finished"]
    assert sorted(finished) == sorted(os.path.basename(f)[: -len(".parquet")] for f in kept)
    assert not glob.glob(str(out / "trials" / "*.tmp"))
    for f in kept:
        assert len(pd.read_parquet(f)) == BUDGET


def test_ctrl_c_keeps_finished_trials_and_resume_is_exact(tmp_path):
    out = tmp_path / "run"
    p, workers = _start(tmp_path, out)
    seen = set(glob.glob(str(out / "trials" / "*.parquet")))
    took, err = _interrupt(p, 20)
    assert p.returncode != 0 and "KeyboardInterrupt" in err
    assert took < 10, f"Ctrl-C took {took:.1f} s"  # ~1 s on a loaded 2-core machine; generous for CI
    assert _wait_gone(workers, 5) == []
    _kept(out, seen)

    bench = SyntheticBenchmark(ToySpace(5, 4), seed=2)
    resumed = simulate(ALGOS, [bench], trials=TRIALS, budget=BUDGET, seed=SEED, progress=False,
                       backend="processes", n_workers=2, out=str(out))
    ref = simulate(ALGOS, [bench], trials=TRIALS, budget=BUDGET, seed=SEED, progress=False)
    pd.testing.assert_frame_equal(resumed.df[DETERMINISTIC].reset_index(drop=True),
                                  ref.df[DETERMINISTIC].reset_index(drop=True),
                                  check_dtype=False, check_categorical=False)


def test_sigkill_of_the_parent_leaves_no_worker(tmp_path):
    p, workers = _start(tmp_path, tmp_path / "run")
    os.kill(p.pid, signal.SIGKILL)
    p.communicate()
    left = _wait_gone(workers, 10)
    for k in left:  # do not leave them running even when the test fails
        os.kill(k, signal.SIGKILL)
    assert left == [], f"workers {left} outlived their SIGKILLed parent"


@pytest.mark.slow
@pytest.mark.ray
def test_ctrl_c_on_ray_keeps_finished_chunks(tmp_path):
    pytest.importorskip("ray")
    out = tmp_path / "run"
    p, _ = _start(tmp_path, out, backend="ray")
    seen = set(glob.glob(str(out / "trials" / "*.parquet")))
    took, err = _interrupt(p, 60)
    assert p.returncode != 0 and "KeyboardInterrupt" in err
    assert took < 20, f"Ctrl-C took {took:.1f} s"  # ~3 s here, most of it ray.shutdown()
    _kept(out, seen)

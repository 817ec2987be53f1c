"""Simulations: identical results on every backend, resume after an interrupt, summaries, Ray."""
from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from fastnas.sim import simulate, trial_seed
from fastnas.sim.synthetic import SyntheticBenchmark, ToySpace

ALGOS = ["random", ("evolution", {"population": 10, "tournament": 3}), "local_search"]
DETERMINISTIC = ["trial_id", "algorithm", "benchmark", "trial", "seed", "query", "key", "cell", "value", "sim_time"]


@pytest.fixture(scope="module")
def bench():
    return SyntheticBenchmark(ToySpace(5, 4), seed=2)


@pytest.fixture(scope="module")
def serial(bench):
    return simulate(ALGOS, [bench], trials=4, budget=25, seed=7, progress=False)


def _same(a: pd.DataFrame, b: pd.DataFrame):
    pd.testing.assert_frame_equal(a[DETERMINISTIC].reset_index(drop=True), b[DETERMINISTIC].reset_index(drop=True),
                                  check_dtype=False, check_categorical=False)


def test_rows_and_seeds(serial, bench):
    df = serial.df
    assert len(df) == 3 * 4 * 25
    assert set(df.columns) >= set(DETERMINISTIC) | {"wall_time"}
    row = df[(df.algorithm == "random") & (df.trial == 2)].iloc[0]
    assert row["seed"] == trial_seed(7, "random", 2)
    # values are the benchmark's, keys the space's
    cells = bench.space.from_strings(list(df["cell"][:25]))
    np.testing.assert_allclose(df["value"][:25], bench.query(cells))
    np.testing.assert_array_equal(df["key"][:25].to_numpy().astype(np.uint64), bench.space.key(cells))


def test_processes_backend_identical(serial, bench, tmp_path):
    res = simulate(ALGOS, [bench], trials=4, budget=25, seed=7, progress=False, backend="processes",
                   n_workers=2, chunk_size=3, out=str(tmp_path / "p"))
    _same(serial.df, res.df)


def test_resume_after_interrupt(serial, bench, tmp_path):
    out = str(tmp_path / "run")
    seen = []

    def stop_after_5(trial_id):
        seen.append(trial_id)
        if len(seen) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(ALGOS, [bench], trials=4, budget=25, seed=7, progress=False, out=out, callback=stop_after_5)
    files = sorted(os.listdir(os.path.join(out, "trials")))
    assert len(files) == 5 and all(f.endswith(".parquet") for f in files)
    with open(os.path.join(out, "manifest.json")) as f:
        assert len(json.load(f)["finished"]) == 5
    first_wall = pd.read_parquet(os.path.join(out, "trials", files[0]))["wall_time"].to_numpy()
    redone = []
    res = simulate(ALGOS, [bench], trials=4, budget=25, seed=7, progress=False, out=out, callback=redone.append)
    assert len(redone) == 12 - 5 and not set(redone) & set(seen)  # nothing redone, nothing lost
    _same(serial.df, res.df)
    again = pd.read_parquet(os.path.join(out, "trials", files[0]))["wall_time"].to_numpy()
    np.testing.assert_array_equal(first_wall, again)  # the finished trial's file was kept
    with pytest.raises(ValueError, match="another configuration"):
        simulate(ALGOS, [bench], trials=4, budget=30, seed=7, progress=False, out=out)


def test_summaries(serial, tmp_path):
    t = serial.table()
    assert set(t["algorithm"]) == {"random", "evolution", "local_search"}
    assert (t["trials"] == 4).all() and (t["queries"] == 25).all()
    c = serial.curves()
    g = c[c.algorithm == "random"]
    assert len(g) == 25 and np.all(np.diff(g["mean"].to_numpy()) <= 1e-12)  # regret never increases
    assert (g["lo"] <= g["mean"]).all() and (g["mean"] <= g["hi"]).all()
    # the final mean regret equals optimum - mean of per-trial maxima
    per = serial.df[serial.df.algorithm == "random"].groupby("trial_id")["value"].max()
    assert g["mean"].iloc[-1] == pytest.approx(serial.optima[serial.df.benchmark[0]] - per.mean())
    path = serial.plot(str(tmp_path / "curves.png"))
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_bad_arguments(bench):
    with pytest.raises(ValueError, match="valid"):
        simulate(["nope"], [bench], trials=1, budget=5, progress=False)
    with pytest.raises(ValueError, match="backend"):
        simulate(["random"], [bench], trials=1, budget=5, progress=False, backend="dask")
    with pytest.raises(ValueError, match="unique"):
        simulate(["random", "random"], [bench], trials=1, budget=5, progress=False)


@pytest.mark.ray
def test_ray_local_cluster_identical(serial, mf_serial, bench, curve_bench, tmp_path):
    """Single- and multi-fidelity trials on Ray give the serial results (one local Ray for both)."""
    ray = pytest.importorskip("ray")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    res = simulate(ALGOS, [bench], trials=4, budget=25, seed=7, progress=False, backend="ray", n_workers=2,
                   out=str(tmp_path / "r"))
    assert not ray.is_initialized()  # what simulate started, it shut down
    _same(serial.df, res.df)
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:  # a Ray that simulate did not start is used and left running
        mf = simulate(MF_ALGOS, [curve_bench], trials=2, budget=None, time_budget=MF_TIME, seed=3, progress=False,
                      backend="ray", n_workers=2, out=str(tmp_path / "mfr"))
        assert ray.is_initialized()
    finally:
        ray.shutdown()
    pd.testing.assert_frame_equal(mf_serial.df[MF_COLS].reset_index(drop=True), mf.df[MF_COLS].reset_index(drop=True),
                                  check_dtype=False, check_categorical=False)

# -- multi-fidelity simulations, regret against simulated time, readable plots -----------------------------
MF_ALGOS = [("hyperband", {"min_epoch": 3}), ("bohb", {"min_epoch": 3}),
            ("evolution_lce", {"fidelity": 4, "population": 4, "tournament": 2})]
MF_COLS = DETERMINISTIC + ["epoch", "cost"]
MF_TIME = 1000.0  # simulated seconds per trial


@pytest.fixture(scope="module")
def curve_bench():
    from fastnas.sim.synthetic_curves import SyntheticCurveBenchmark

    return SyntheticCurveBenchmark(ToySpace(5, 4), seed=2, max_epoch=12)


@pytest.fixture(scope="module")
def mf_serial(curve_bench):
    return simulate(MF_ALGOS, [curve_bench], trials=2, budget=None, time_budget=MF_TIME, seed=3, progress=False)


def test_mf_simulation_rows(mf_serial, curve_bench):
    df = mf_serial.df
    assert set(df["algorithm"]) == {"hyperband", "bohb", "evolution_lce"}
    for _, g in df.groupby("trial_id"):
        t = g["sim_time"].to_numpy()
        assert np.all(np.diff(t) >= 0) and t[-2] < MF_TIME  # stops once the time budget is spent
        np.testing.assert_allclose(t, np.cumsum(g["cost"].to_numpy()))
    assert set(df["epoch"]) <= set(range(1, 13)) and (df["epoch"] == 12).any() and (df["epoch"] < 12).any()
    row = df.iloc[5]
    cell = curve_bench.space.from_strings([row["cell"]])
    assert row["value"] == pytest.approx(curve_bench.query(cell, epoch=int(row["epoch"]))[0])


@pytest.mark.slow
def test_mf_processes_backend_identical(mf_serial, curve_bench, tmp_path):
    res = simulate(MF_ALGOS, [curve_bench], trials=2, budget=None, time_budget=MF_TIME, seed=3, progress=False,
                   backend="processes", n_workers=2, chunk_size=1, out=str(tmp_path / "mfp"))
    pd.testing.assert_frame_equal(mf_serial.df[MF_COLS].reset_index(drop=True), res.df[MF_COLS].reset_index(drop=True),
                                  check_dtype=False, check_categorical=False)


def test_regret_against_simulated_time(mf_serial, tmp_path):
    c = mf_serial.curves("time")
    opt = mf_serial.optima[mf_serial.df.benchmark[0]]
    for algo, g in c.groupby("algorithm"):
        m = g["mean"].to_numpy()
        ok = np.isfinite(m)
        assert ok.all() and (g["n_trials"] == 2).all()  # every grid point averages both trials
        assert np.all(np.diff(m) <= 1e-12)  # regret never increases with time
        # at the last grid time: optimum - mean over trials of each trial's best
        per = mf_serial.df[mf_serial.df.algorithm == algo].groupby("trial_id")["value"].max()
        assert m[-1] == pytest.approx(opt - per.mean())
        assert g["sim_hours"].to_numpy() == pytest.approx(g["sim_time"].to_numpy() / 3600)
    path = mf_serial.plot(str(tmp_path / "t.png"), x="time")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_plot_keeps_zero_regret_and_labels_the_band(serial, tmp_path, monkeypatch):
    """A symlog axis (zero regret stays drawn), the band's meaning in the legend, units on the axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fastnas.sim import summary

    captured = {}
    real_close = plt.close

    def keep(fig=None):
        captured["fig"] = fig
        return real_close(fig)

    monkeypatch.setattr(plt, "close", keep)
    c = serial.curves()
    c.loc[c.index[-1], ["mean", "lo", "hi"]] = 0.0  # the optimum found: regret exactly zero
    summary.plot(c, str(tmp_path / "z.png"))
    ax = captured["fig"].axes[0]
    assert ax.get_yscale() == "symlog"
    assert "symlog" in ax.get_ylabel() and "percentage points" in ax.get_ylabel()
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "shaded: 95% interval of the mean" in texts
    line = ax.get_lines()[-1]
    assert line.get_ydata()[-1] == 0.0  # drawn, not dropped
    assert ax.get_ylim()[0] == 0.0
    summary.plot(c, str(tmp_path / "m.png"), stat="median")
    texts = [t.get_text() for t in captured["fig"].axes[0].get_legend().get_texts()]
    assert "shaded: inter-quartile range" in texts


def test_processes_worker_that_runs_out_of_work_is_not_a_crash(bench, tmp_path):
    # one slow trial (BANANAS) and one fast (random) on two workers: the fast worker runs out of chunks and exits
    # normally while the other still runs; that EOF is not a dead worker (it was reported as one)
    algos = [("bananas", {}), "random"]
    res = simulate(algos, [bench], trials=1, budget=60, seed=7, progress=False, backend="processes",
                   n_workers=2, chunk_size=1, out=str(tmp_path / "early"))
    ser = simulate(algos, [bench], trials=1, budget=60, seed=7, progress=False)
    _same(ser.df, res.df)

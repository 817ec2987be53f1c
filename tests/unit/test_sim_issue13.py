"""Issue 13: simulation outputs for time-budgeted multi-fidelity runs (time plot, labels, t bands, regret
reference) and CLI checks before any work."""
import os
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import t

from fastnas.cli import main
from fastnas.sim import summary


def _df(values):
    rows = []
    for i, vs in enumerate(values):
        for q, v in enumerate(vs):
            rows.append({"trial_id": f"t{i}", "benchmark": "b", "algorithm": "a", "query": q, "value": v,
                         "sim_time": 100.0 * (q + 1)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("n", [2, 3, 10])
def test_band_is_the_student_t_interval_of_the_mean(n):
    rng = np.random.default_rng(n)
    vals = rng.uniform(80, 90, size=(n, 4))
    for c in (summary.curves(_df(vals), {"b": 95.0}), summary.curves_time(_df(vals), {"b": 95.0})):
        last = c.iloc[-1]
        reg = 95.0 - vals.max(axis=1)
        sem = reg.std(ddof=1) / np.sqrt(n)
        assert last["mean"] == pytest.approx(reg.mean())
        assert last["hi"] - last["mean"] == pytest.approx(t.ppf(0.975, n - 1) * sem)


def test_cli_simulate_time_budget_writes_the_time_plot_and_labels_the_regret_reference(tmp_path):
    out = tmp_path / "mf"
    r = CliRunner().invoke(main, ["simulate", "--algorithms", "hyperband", "--benchmarks", "nb301", "--trials",
                                  "2", "--time-budget", "2", "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    assert {"regret_mean.png", "regret_mean_time.png", "table.csv"} <= set(os.listdir(out))
    head = r.output.splitlines()[0]
    assert head == ("# nb301: regret (percentage points) vs best value reached in this simulation; "
                    "values are surrogate predictions")
    csv = (out / "table.csv").read_text().splitlines()
    assert csv[0] == head
    table = pd.read_csv(out / "table.csv", comment="#")
    assert table["regret_vs"].tolist() == ["best value reached in this simulation"]
    assert table["values"].tolist() == ["surrogate predictions"]
    assert table["sim_hours_per_trial"].iloc[0] >= 2.0  # limited by the 2 simulated hours, not by queries


def test_cli_simulate_unknown_algorithm_fails_before_creating_out(tmp_path):
    out = tmp_path / "never"
    r = CliRunner().invoke(main, ["simulate", "--algorithms", "random,nope", "--trials", "1", "--budget", "5",
                                  "--out", str(out), "--quiet"])
    assert r.exit_code == 1 and "nope" in r.output and len(r.output.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_simulate_bad_parameter_fails_before_creating_out(tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text('{"algorithms": [{"name": "evolution", "params": {"population": -3}}], "trials": 1, '
                   '"budget": 5, "out": "%s"}' % (tmp_path / "never"))
    r = CliRunner().invoke(main, ["simulate", "--config", str(cfg), "--quiet"])
    assert r.exit_code != 0
    assert not (tmp_path / "never").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc: a folder os.access calls writable")
def test_cli_search_save_into_an_existing_unwritable_folder_fails_before_the_run():
    r = CliRunner().invoke(main, ["search", "random", "--budget", "5", "--quiet", "--save", "/proc/s.npz"])
    assert r.exit_code == 2 and "not writable" in r.output
    assert "best" not in r.output  # refused before the search


def test_cli_simulate_ctrl_c_says_how_many_trials_were_kept_and_how_to_resume(tmp_path, monkeypatch):
    import fastnas.sim

    out = tmp_path / "run"

    def interrupted(**cfg):  # two trials finish, then Ctrl-C
        os.makedirs(out / "trials")
        for i in range(2):
            (out / "trials" / f"t{i}.parquet").write_bytes(b"")
        raise KeyboardInterrupt

    monkeypatch.setattr(fastnas.sim, "simulate", interrupted)
    r = CliRunner().invoke(main, ["simulate", "--algorithms", "random,evolution", "--trials", "2", "--budget", "5",
                                  "--out", str(out), "--quiet"])
    assert r.exit_code == 130
    assert "interrupted: 2 of 4 trials finished and kept in" in r.output
    assert "rerun the same command to resume" in r.output


def test_cli_query_nb301_takes_suite_zero_keys():
    from fastnas.nasbench import load

    key = "[[(0, 0), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], [(1, 0), (0, 2), (1, 3), (0, 3), " \
          "(3, 0), (0, 1), (2, 0), (3, 6)]]"
    bench = load("nb301")
    want = float(bench.query(bench.space.from_zc_keys([key]), epoch=50)[0])
    r = CliRunner().invoke(main, ["query", "nb301", key, "--epoch", "50"])
    assert r.exit_code == 0, r.output
    value, text = r.output.strip().split("\t")
    assert float(value) == pytest.approx(want, rel=1e-5) and text == key
    r = CliRunner().invoke(main, ["query", "nb301", "[[(0, 9)]]"])
    assert r.exit_code == 1 and "malformed NAS-Bench-301 key" in r.output
    assert len(r.output.strip().splitlines()) == 1

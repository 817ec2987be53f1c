"""The evaluation harness: protocol shape, costs, determinism, plot and CLI."""
from __future__ import annotations

import numpy as np
import pytest

from fastnas.predictors import EvalData, evaluate, make, plot_results, summarize
from fastnas.predictors.evaluate_protocol import default_train_sizes


@pytest.fixture(scope="module")
def data():
    return EvalData.synthetic(300, seed=0)


def test_protocol_rows_and_costs(data):
    df = evaluate({"blr": "blr", "sotle": "sotle", "lcsvr": make("lcsvr", n_iter=3),
                   "zc": make("zc_table", proxy="proxy")},
                  data, train_sizes=[10, 40], test_size=100, fidelities=[5], seeds=2, progress=False)
    assert (df["error"] == "").all()
    counts = df.groupby("predictor").size().to_dict()
    # model-based: sizes x seeds; training-free LC: fidelities x seeds; LcSVR: sizes x fidelities x seeds;
    # zero-cost: one per seed
    assert counts == {"blr": 4, "sotle": 2, "lcsvr": 4, "zc": 2}
    blr = df[df.predictor == "blr"]
    for _, r in blr.iterrows():
        assert r.init_time_s == pytest.approx(r.sim_train_time_s + r.fit_time_s)
        assert r.fidelity == 0
    # simulated training cost of the training cells, from the data's cost column, nested sets per seed
    assert (blr[blr.train_size == 40].sim_train_time_s.values > blr[blr.train_size == 10].sim_train_time_s.values).all()
    so = df[df.predictor == "sotle"].iloc[0]
    assert so.init_time_s < 1e-2 and np.isnan(so.mae)
    # query of a curve method includes training each test cell for 5 of the 20 epochs
    assert so.query_time_s >= 0.25 * data.cost.min()
    zc = df[df.predictor == "zc"].iloc[0]
    assert zc.query_time_s >= 0.5  # the proxy's recorded compute time per cell
    assert {"mae", "rmse", "pearson", "spearman", "kendall_tau", "precision@10", "precision@20"} <= set(df)


def test_deterministic_under_seed(data):
    kw = dict(train_sizes=[20], test_size=50, seeds=2, progress=False, seed=5)
    preds = {"rf": make("rf", n_estimators=20), "sparse_gp": make("sparse_gp", num_inducing=10)}
    a = evaluate(preds, data, **kw)
    b = evaluate(preds, data, **kw)
    np.testing.assert_array_equal(a["kendall_tau"].values, b["kendall_tau"].values)
    c = evaluate({"rf": preds["rf"]}, data, **{**kw, "seed": 6})
    assert not np.array_equal(a[a.predictor == "rf"]["kendall_tau"].values, c["kendall_tau"].values)


def test_errors_recorded_or_raised(data):
    df = evaluate(["lcsvr"], data, train_sizes=[3], test_size=50, fidelities=[5], seeds=1, progress=False)
    assert "at least" in df["error"].iloc[0]
    with pytest.raises(ValueError, match="test_size"):
        evaluate(["rf"], data, test_size=300, progress=False)
    with pytest.raises(ValueError, match="training sizes must be in"):
        evaluate(["rf"], data, train_sizes=[1000], test_size=100, progress=False)
    with pytest.raises(ValueError, match="fidelities must be in"):
        evaluate(["sotle"], data, fidelities=[50], progress=False)
    with pytest.raises(ValueError, match="unknown predictor"):
        evaluate(["nope"], data, progress=False)


def test_default_sizes_are_log_spaced():
    s = default_train_sizes(5000)
    assert s[0] == 5 and s[-1] == 1000 and len(s) == 11
    r = np.diff(np.log(s))
    assert r.max() / r.min() < 1.3  # equal log steps up to rounding to integers
    assert default_train_sizes(100)[-1] == 100


def test_plot_and_summary(data, tmp_path):
    df = evaluate(["blr", "sotle"], data, train_sizes=[10, 30], test_size=60, seeds=2, progress=False)
    path = plot_results(df, tmp_path / "tau.png")
    with open(path, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    s = summarize(df)
    assert set(s.n_seeds) == {2}
    assert len(s) == 2 + 2  # blr x 2 sizes, sotle x 2 default fidelities


def test_cli_evaluate_synthetic(tmp_path):
    from click.testing import CliRunner

    import pandas as pd

    from fastnas.cli import main

    out = tmp_path / "o"
    r = CliRunner().invoke(main, ["predictors", "evaluate", "--data", "synthetic", "--predictors", "blr,sotl",
                                  "--train-sizes", "10,20", "--seeds", "1", "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    df = pd.read_parquet(out / "results.parquet")
    assert set(df.predictor) == {"blr", "sotl"}
    assert (out / "kendall_tau.png").exists() and (out / "summary.csv").exists()
    r = CliRunner().invoke(main, ["predictors", "evaluate", "--data", "synthetic", "--predictors", "nope",
                                  "--out", str(out), "--quiet"])
    assert r.exit_code != 0 and "unknown predictor" in r.output
    r = CliRunner().invoke(main, ["predictors", "list"])
    assert r.exit_code == 0 and "omni" in r.output and "hybrid" in r.output

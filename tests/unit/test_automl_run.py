"""AutoML end to end on a tiny budget (digits subset, tiny NB201 networks), resume, bad data."""
from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from fastnas import automl  # noqa: E402
from fastnas.automl import MedianStopping, parse_budget  # noqa: E402





@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.images[:240] / 16.0, d.target[:240]


def _opt():
    from fastnas.search.random_search import RandomSearch
    from fastnas.spaces import NB201

    return RandomSearch(NB201(), seed=5)


KW = dict(space="nb201", budget="5m", epochs=3, width=4, n_prescreen=8, n_initial=2, keep_fraction=0.5,
          batch_size=32, threads=1, progress=False, seed=1)


def test_run_end_to_end_and_resume(digits, tmp_path):
    X, y = digits
    res = automl.run(X, y, algorithm=_opt(), max_candidates=3, out_dir=tmp_path / "a", **KW)
    assert len(res.table) == 3
    assert res.best_val_acc == res.table["best_val_acc"].max()
    assert 0.2 < res.best_val_acc <= 1.0  # 10 classes: better than chance after 3 epochs
    assert set(res.curves.columns) >= {"candidate", "epoch", "train_loss", "val_acc"}
    assert len(res.curves) == res.table["epochs_trained"].sum()
    # the two initial candidates are the best two of the pre-screen
    assert res.table["arch"].tolist()[:2] == res.prescreen["arch"].tolist()[:2]
    assert res.prescreen["proxy_score"].is_monotonic_decreasing
    for key in ("table", "curves", "learning_curves", "proxy_plot", "report"):
        assert (tmp_path / "a" / res.files[key].split("/")[-1]).exists()
    # the returned model is the trained best network
    with torch.no_grad():
        out = res.model.eval()(torch.zeros(2, 1, 8, 8))
    assert out.shape == (2, 10)

    # stop after 2 candidates, then resume to 3: same history as the uninterrupted run
    automl.run(X, y, algorithm=_opt(), max_candidates=2, out_dir=tmp_path / "b", **KW)
    state = json.loads((tmp_path / "b" / "state.json").read_text())
    assert len(state["candidates"]) == 2
    res_b = automl.run(X, y, algorithm=_opt(), max_candidates=3, out_dir=tmp_path / "b", **KW)
    cols = ["arch", "epochs_trained", "stopped", "best_val_acc"]
    assert res_b.table[cols].equals(res.table[cols])
    np.testing.assert_allclose(res_b.curves["val_loss"], res.curves["val_loss"], rtol=1e-6)


def test_resume_refuses_other_settings(digits, tmp_path):
    X, y = digits
    automl.run(X, y, algorithm=_opt(), max_candidates=1, out_dir=tmp_path, **KW)
    with pytest.raises(ValueError, match="other settings"):
        automl.run(X, y, algorithm=_opt(), max_candidates=1, out_dir=tmp_path, **{**KW, "epochs": 4})


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.zeros((20, 64)), np.arange(20) % 2, r"\(N, C, H, W\)"),
        (np.zeros((20, 8, 8)), np.arange(19) % 2, "20 rows, y has 19"),
        (np.where(np.arange(20 * 64).reshape(20, 8, 8) == 70, np.nan, 0.0), np.arange(20) % 2, r"NaN.*\[1\]"),
        (np.zeros((20, 8, 8)), np.zeros(20, int), "single class"),
        (np.zeros((20, 8, 8)), np.arange(20) % 3 * 2, r"missing classes \[1, 3\]"),
        (np.zeros((20, 8, 8)), np.full(20, 0.5), "integer class labels"),
    ],
)
def test_bad_data_raises_before_any_work(X, y, match):
    with pytest.raises(ValueError, match=match):
        automl.run(X, y, budget="1m", algorithm="random", progress=False)


def test_bad_settings():
    X, y = np.zeros((20, 8, 8)), np.arange(20) % 2
    with pytest.raises(ValueError, match="budget"):
        automl.run(X, y, budget="ten minutes")
    with pytest.raises(ValueError, match="epochs"):
        automl.run(X, y, epochs=0)
    with pytest.raises(ValueError, match="threads"):
        automl.run(X, y, threads=0)
    with pytest.raises(ValueError, match="workers"):
        automl.run(X, y, workers=0)


def test_parse_budget():
    assert parse_budget("30m") == 1800 and parse_budget("1h30m") == 5400 and parse_budget(2.5) == 2.5
    for bad in ("", "5x", "-3", "m"):
        with pytest.raises(ValueError):
            parse_budget(bad)
    with pytest.raises(TypeError):
        parse_budget(None)


def test_median_stopping_rule_hand_worked():
    rule = MedianStopping(grace_epochs=2, min_completed=3)
    for c in ([0.2, 0.5, 0.6], [0.3, 0.4, 0.7], [0.1, 0.6, 0.65]):
        rule.add_completed(c)
    # best-so-far at epoch 2: 0.5, 0.4, 0.6 -> median 0.5; epoch 1 is in the grace period
    assert rule.threshold(1) == -np.inf
    assert rule.threshold(2) == pytest.approx(0.5)
    assert rule.should_stop([0.45, 0.49]) and not rule.should_stop([0.1, 0.5])
    # epoch 3: best-so-far 0.6, 0.7, 0.65 -> 0.65; a curve's best counts, not its last value
    assert not rule.should_stop([0.1, 0.66, 0.2]) and rule.should_stop([0.1, 0.2, 0.64])
    assert not MedianStopping(min_completed=4).should_stop([0.0, 0.0, 0.0])


@pytest.mark.ray
def test_ray_workers_give_the_serial_curves(digits, monkeypatch):
    pytest.importorskip("ray")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    X, y = digits[0][:160], digits[1][:160]
    kw = {**KW, "epochs": 2, "n_prescreen": 6, "keep_fraction": 1.0, "max_candidates": 2}
    par = automl.run(X, y, algorithm=_opt(), workers=2, **kw)  # both initial candidates trained at once
    ser = automl.run(X, y, algorithm=_opt(), workers=1, **kw)
    assert par.curves.equals(ser.curves) and par.table["arch"].equals(ser.table["arch"])

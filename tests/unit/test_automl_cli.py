"""``fastnas automl`` on a tiny npz: a run, its report, and clear errors for bad files."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")
from click.testing import CliRunner  # noqa: E402

from fastnas.cli import main  # noqa: E402


def test_cli_automl_tiny_run(tmp_path):
    from sklearn.datasets import load_digits

    d = load_digits()
    np.savez(tmp_path / "d.npz", X=(d.images[:200] / 16.0).astype(np.float32), y=d.target[:200])
    out = tmp_path / "out"
    args = ["automl", "--data", str(tmp_path / "d.npz"), "--budget", "2m", "--algorithm", "random", "--epochs", "1",
            "--width", "4", "--prescreen", "4", "--max-candidates", "1", "--threads", "1", "--out", str(out), "--quiet"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert "best: |" in r.output and (out / "report.md").exists() and (out / "learning_curves.png").exists()


def test_cli_automl_bad_files(tmp_path):
    np.savez(tmp_path / "noy.npz", X=np.zeros((10, 8, 8)))
    r = CliRunner().invoke(main, ["automl", "--data", str(tmp_path / "noy.npz")])
    assert r.exit_code != 0 and "lacks array(s) ['y']" in r.output
    np.savez(tmp_path / "bad.npz", X=np.zeros((10, 8, 8)), y=np.arange(9) % 2)
    r = CliRunner().invoke(main, ["automl", "--data", str(tmp_path / "bad.npz"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and "10 rows, y has 9" in r.output

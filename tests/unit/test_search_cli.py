"""CLI: ``fastnas search`` and ``fastnas simulate`` on the bundled NB201 data."""
from __future__ import annotations

import json
import os

from click.testing import CliRunner

from fastnas.cli import main


def test_search_prints_best_cell(tmp_path):
    state = tmp_path / "s.npz"
    r = CliRunner().invoke(main, ["search", "evolution", "--budget", "40", "--quiet", "-p", "population=10",
                                  "-p", "replace=false", "--save", str(state)])
    assert r.exit_code == 0, r.output
    best = r.output.splitlines()[0]
    assert best.startswith("best: |") and best.count("~") == 6
    assert "40 queries" in r.output
    assert state.exists()


def test_search_rejects_unknown_algorithm():
    r = CliRunner().invoke(main, ["search", "nope", "--budget", "5", "--quiet"])
    assert r.exit_code == 1 and "valid: random" in r.output and r.output.startswith("Error: ")  # one line


def test_simulate_from_config(tmp_path):
    cfg = tmp_path / "sim.json"
    out = tmp_path / "out"
    cfg.write_text(json.dumps({"algorithms": ["random", ["evolution", {"population": 10}]], "trials": 2,
                               "budget": 15, "out": str(out)}))
    r = CliRunner().invoke(main, ["simulate", "--config", str(cfg), "--quiet"])
    assert r.exit_code == 0, r.output
    assert "evolution" in r.output and "random" in r.output
    assert {"table.csv", "regret_mean.png", "manifest.json"} <= set(os.listdir(out))
    assert len(os.listdir(out / "trials")) == 4

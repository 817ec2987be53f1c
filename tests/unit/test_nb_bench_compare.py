"""benchmarks/compare.py (``make bench-compare``): ratios from pytest-benchmark JSON, regressions flagged."""
import importlib.util
import json
import pathlib

import pytest

_PATH = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "compare.py"
_spec = importlib.util.spec_from_file_location("bench_compare", _PATH)
compare = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare)


def _run(fast_min, ref_min, fast_cells=1, ref_cells=1):
    def b(name, group, role, t, cells):
        info = {"cells": cells} if role is None else {"cells": cells, "role": role, "pair": group}
        return {"name": name, "group": group, "extra_info": info, "stats": {"min": t, "median": t}}

    return {"benchmarks": [
        b("test_onecell[x|fastnas]", "onecell x", "fastnas", fast_min, fast_cells),
        b("test_onecell[x|reference]", "onecell x", "reference", ref_min, ref_cells),
        # an older suite: roles from the parametrised backend, per-cell times from extra_info["cells"]
        b("test_bench_nb201[key-cpp]", "nb201 key", None, 2.0, 200_000),
        b("test_bench_nb201[key-python]", "nb201 key", None, 1.0, 1_000),
    ]}


def test_ratios_are_reference_over_fastnas_per_cell():
    r = compare.ratios(_run(2e-6, 10e-6))
    assert r["onecell x"] == pytest.approx(5.0)
    assert r["nb201 key"] == pytest.approx((1.0 / 1_000) / (2.0 / 200_000))  # 100x


def test_a_drop_beyond_the_tolerance_is_flagged(tmp_path, capsys):
    base, cur = tmp_path / "base.json", tmp_path / "cur.json"
    base.write_text(json.dumps(_run(2e-6, 10e-6)))
    cur.write_text(json.dumps(_run(4e-6, 10e-6)))  # fastnas twice as slow: ratio 5x -> 2.5x
    assert compare.main([str(base), str(cur)]) == 0
    out = capsys.readouterr().out
    assert "REGRESSION" in out and "-50%" in out
    assert compare.main([str(base), str(cur), "--fail"]) == 1
    assert compare.main([str(base), str(base), "--fail"]) == 0


def test_write_baseline_merges_runs(tmp_path):
    a, b, out = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "out.json"
    a.write_text(json.dumps(_run(2e-6, 10e-6)))
    b.write_text(json.dumps({"benchmarks": _run(1e-6, 10e-6)["benchmarks"][:1]}))
    assert compare.main(["--write-baseline", str(a), str(b), str(out)]) == 0
    assert compare.ratios(json.loads(out.read_text()))["onecell x"] == pytest.approx(10.0)

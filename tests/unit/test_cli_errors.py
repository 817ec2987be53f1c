"""The command line speaks to people (issue 14): ordinary mistakes print one ``Error:`` line and exit non-zero,
never a traceback; outputs are checked before any work; no message passes on advice to load files unsafely."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from fastnas.cli import main


def _run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def _one_error_line(r, *needles, code=None):
    assert r.exit_code != 0 if code is None else r.exit_code == code, r.output
    assert "Traceback" not in r.output and not isinstance(r.exception, (ValueError, TypeError, KeyError, OSError))
    errors = [line for line in r.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, r.output
    for n in needles:
        assert n in errors[0], (n, r.output)
    return errors[0]


def test_simulate_trials_zero_creates_nothing(tmp_path):
    out = tmp_path / "sim"
    _one_error_line(_run("simulate", "--trials", "0", "--out", out), "--trials", "0 is not in the range x>=1", code=2)
    assert not out.exists()


def test_search_budget_zero_and_unwritable_save(tmp_path):
    _one_error_line(_run("search", "random", "--budget", "0"), "--budget", code=2)
    r = _run("search", "random", "--budget", "3", "--quiet", "--save", "/nonexistent/x.npz")
    _one_error_line(r, "--save", "folder /nonexistent does not exist", code=2)
    assert "best:" not in r.output  # refused before the search ran
    (tmp_path / "d").mkdir()
    _one_error_line(_run("search", "random", "--budget", "3", "--save", tmp_path / "d"), "is a directory")


def test_bad_config_files(tmp_path):
    cases = {"garbage.json": ("{oops", "Expecting property name"),
             "zero.json": (json.dumps({"trials": 0}), "trials must be a positive integer, got 0"),
             "list.json": (json.dumps({"trials": []}), "non-empty list"),
             "keys.json": (json.dumps({"trails": 3}), "unknown keys ['trails']"),
             "bad.toml": ('budget = "many"\n', "budget must be a positive integer, got 'many'"),
             "algos.json": (json.dumps({"algorithms": []}), "algorithms must be a non-empty list")}
    for name, (text, needle) in cases.items():
        f = tmp_path / name
        f.write_text(text)
        _one_error_line(_run("simulate", "--config", f, "--out", tmp_path / "o"), needle, name)
    _one_error_line(_run("simulate", "--config", tmp_path / "missing.json"), "missing.json", "No such file")
    assert not (tmp_path / "o").exists()


def test_unknown_names(tmp_path):
    _one_error_line(_run("search", "nope", "--budget", "3"), "unknown optimizer 'nope'", "valid: random", code=1)
    _one_error_line(_run("search", "random", "--benchmark", "nb999/x", "--budget", "3"), "nb999")
    _one_error_line(_run("simulate", "--algorithms", "nope", "--trials", "1", "--out", tmp_path / "s"),
                    "unknown optimizer 'nope'")
    _one_error_line(_run("query", "nb999", "0"), "unknown benchmark 'nb999'", "known: [")
    _one_error_line(_run("data", "info", "nb999"), "unknown benchmark 'nb999'")
    _one_error_line(_run("query", "nb201", "--dataset", "cifar10-valid", "--metric", "speed", "0"), "no metric")
    _one_error_line(_run("nbgraph", "convert", "--dataset", "foo", "link=0,1,2,3 ops=gcn,gcn,gcn,gcn"),
                    "unknown NAS-Bench-Graph dataset 'foo'")
    _one_error_line(_run("predictors", "evaluate", "--predictors", "nope", "--data", "synthetic",
                         "--out", tmp_path / "p"), "unknown predictor 'nope'")


def test_automl_data_file_errors(tmp_path):
    obj = tmp_path / "obj.npz"
    np.savez(obj, X=np.array([object(), object()], dtype=object), y=np.zeros(2))
    line = _one_error_line(_run("automl", "--data", obj), "obj.npz", "holds Python objects", "numeric arrays")
    assert "allow_pickle" not in line
    lacks = tmp_path / "lacks.npz"
    np.savez(lacks, X=np.zeros((2, 1, 4, 4)))
    _one_error_line(_run("automl", "--data", lacks), "lacks array(s) ['y']; it has ['X']")
    (tmp_path / "text.npz").write_text("not an archive")
    _one_error_line(_run("automl", "--data", tmp_path / "text.npz"), "text.npz")


def test_debug_env_keeps_the_traceback():
    r = _run("search", "nope", "--budget", "3", env={"FASTNAS_DEBUG": "1"})
    assert r.exit_code != 0 and isinstance(r.exception, ValueError)


def test_scrub_removes_unsafe_advice():
    from fastnas._safeload import scrub

    torch_msg = ("Weights only load failed. This file can still be loaded, to do so you have two options. "
                 "Re-running `torch.load` with `weights_only` set to `False` will likely succeed, but it can result "
                 "in arbitrary code execution. Do it only if you got the file from a trusted source.")
    out = scrub(torch_msg)
    assert "weights_only" not in out and "trusted source" not in out and "Weights only load failed." in out
    assert "fastnas loads only tensors" in out
    out = scrub("Object arrays cannot be loaded when allow_pickle=False")
    assert "allow_pickle" not in out and "numeric arrays" in out
    assert scrub("plain message. Two sentences.") == "plain message. Two sentences."


def test_torch_files_are_refused_with_what_fastnas_accepts(tmp_path):
    torch = pytest.importorskip("torch")
    from fastnas._safeload import torch_load_plain
    from fastnas.train._checkpoint import load_checkpoint

    (tmp_path / "ck").mkdir()
    torch.save({"opt": torch.optim.SGD}, tmp_path / "ck" / "state.pt")  # a class: not plain data
    with pytest.raises(ValueError) as ei:
        load_checkpoint(tmp_path / "ck")
    msg = str(ei.value)
    assert "torch.optim.sgd.SGD" in msg and "fastnas loads only tensors" in msg
    assert "weights_only" not in msg and ei.value.__cause__ is None and ei.value.__suppress_context__
    (tmp_path / "junk.pt").write_bytes(b"\x80\x02junk")
    with pytest.raises(ValueError, match="not a readable") as ei:
        torch_load_plain(tmp_path / "junk.pt")
    assert "weights_only" not in str(ei.value)
    np.testing.assert_array_equal(torch_load_plain(_saved(tmp_path, torch))["w"].numpy(), [1.0, 2.0])


def _saved(tmp_path, torch):
    p = tmp_path / "ok.pt"
    torch.save({"w": torch.tensor([1.0, 2.0])}, p)
    return p


def test_npz_reader_never_advises_unpickling(tmp_path):
    import pickle

    from fastnas._safeload import npz_arrays

    (tmp_path / "p.npz").write_bytes(pickle.dumps({"X": 1}))
    np.save(tmp_path / "plain.npy", np.zeros(3))
    for f, needle in (("p.npz", "not an .npz archive of numeric arrays"), ("plain.npy", "one plain array")):
        with pytest.raises(ValueError, match=needle) as ei:
            npz_arrays(tmp_path / f, ["X"], "data file")
        assert "allow_pickle" not in str(ei.value) and "unsafe" not in str(ei.value)


def test_optimizer_state_reader_never_advises_unpickling(tmp_path):
    import pickle

    from fastnas.search._base import read_state

    (tmp_path / "s.npz").write_bytes(pickle.dumps({"X": 1}))
    with pytest.raises(ValueError, match="not an optimizer state") as ei:
        read_state(tmp_path / "s.npz")
    assert "allow_pickle" not in str(ei.value)


def test_query_errors_name_the_cell_as_typed():
    """Errors about one cell name what the user typed (index or arch string), never the internal key."""
    from fastnas.nasbench import load

    bench = load("nb201", dataset="cifar10-valid")
    one = bench.space.from_index([347])
    top = max(bench.info()["seeds_per_cell"])
    n = sum(not np.isnan(bench.query(one, seed=k, missing="nan")[0]) for k in range(top))  # seeds recorded
    assert 1 <= n < top
    line = _one_error_line(_run("query", "nb201", "--dataset", "cifar10-valid", "--seed", n, "347", "0"),
                           f"index 347 recorded {n} seeds", f"not seed {n}")
    assert "key" not in line and "position 0" not in line
    arch = bench.space.to_strings(one)[0]
    line = _one_error_line(_run("query", "nb201", "--dataset", "cifar10-valid", "--seed", n, arch),
                           f"cell {arch} recorded")
    _one_error_line(_run("query", "nb201", "--dataset", "cifar10-valid", "--", "-1"),
                    "index -1 out of range [0, 15625)")


def test_query_seed_on_a_static_metric_is_refused():
    r = _run("query", "nb201", "--dataset", "cifar10-valid", "--metric", "params", "--seed", "1", "347")
    _one_error_line(r, "--seed", "params is a static cost", code=2)
    r = _run("query", "nb201", "--dataset", "cifar10-valid", "--metric", "params", "347")
    assert r.exit_code == 0 and r.output.startswith("0.372346")


def test_search_parameters_name_the_problem():
    _one_error_line(_run("search", "evolution", "-p", "population=abc", "--budget", "5", "--quiet"),
                    "parameter 'population' must be a number", "got 'abc'")
    # the listed names are the optimizer's real parameters (its declared defaults, not a hard-coded copy)
    from fastnas.search.evolution import RegularizedEvolution

    names = sorted(RegularizedEvolution._defaults)
    assert {"population", "tournament"} <= set(names)
    _one_error_line(_run("search", "evolution", "-p", "foo=1", "--budget", "5", "--quiet"),
                    "valid: " + ", ".join(names))
    line = _one_error_line(_run("search", "random", "-p", "foo=1", "--budget", "5", "--quiet"),
                           "RandomSearch takes no parameters")
    assert not line.rstrip().endswith("valid:")


def test_output_folders_need_an_existing_parent(tmp_path):
    """simulate --out and automl --out may create the final folder but never a tree (as search --save)."""
    deep = tmp_path / "no" / "such" / "dir"
    _one_error_line(_run("simulate", "--trials", "1", "--budget", "2", "--out", deep, "--quiet"),
                    "--out", f"folder {deep.parent} does not exist", code=2)
    assert not (tmp_path / "no").exists()
    np.savez(tmp_path / "d.npz", X=np.zeros((8, 3, 8, 8), np.float32), y=np.arange(8) % 2)
    _one_error_line(_run("automl", "--data", tmp_path / "d.npz", "--out", deep, "--quiet"),
                    f"folder {deep.parent} does not exist", code=2)
    assert not (tmp_path / "no").exists()
    out = tmp_path / "sim"
    r = _run("simulate", "--algorithms", "random", "--trials", "1", "--budget", "2", "--out", out, "--quiet")
    assert r.exit_code == 0, r.output
    assert (out / "table.csv").exists()


def test_automl_float_labels_print_plain_numbers(tmp_path):
    np.savez(tmp_path / "f.npz", X=np.zeros((20, 3, 8, 8), np.float32), y=np.array([0, 1.5] * 10))
    line = _one_error_line(_run("automl", "--data", tmp_path / "f.npz", "--out", tmp_path / "o", "--quiet"),
                           "row 1 is 1.5")
    assert "np." not in line

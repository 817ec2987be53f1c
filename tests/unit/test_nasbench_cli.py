"""The ``fastnas data`` / ``fastnas query`` commands."""
from __future__ import annotations

import bz2
import json
import pickle

import pytest
from click.testing import CliRunner

from fastnas.cli import main

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


def test_list_info_verify():
    r = CliRunner().invoke(main, ["data", "list"])
    assert r.exit_code == 0 and "cifar10-valid" in r.output and "zc-nb101" in r.output
    r = CliRunner().invoke(main, ["data", "info", "nb201", "--dataset", "ImageNet16-120"])
    assert r.exit_code == 0 and json.loads(r.output)["n_rows"] == 15625
    r = CliRunner().invoke(main, ["data", "verify", "nb201"])
    assert r.exit_code == 0 and r.output.count(": ok") >= 3


def test_query():
    r = CliRunner().invoke(main, ["query", "nb201", "--dataset", "cifar10-valid", BEST, "0"])
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert lines[0].startswith("91.6067") and len(lines) == 2
    r = CliRunner().invoke(main, ["query", "nb201", "--dataset", "cifar10-valid", "--split", "test", BEST])
    assert r.exit_code != 0 and "split" in r.output
    r = CliRunner().invoke(main, ["query", "nb201", "--dataset", "cifar10", BEST])
    assert r.exit_code != 0 and "no validation split" in r.output


def test_convert_then_query(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_nasbench_nb201_official import ARCHS, _whole  # the format-exact fixture writer

    f = tmp_path / "NATS-tss-v1_0-3ffb9.pickle.pbz2"
    with bz2.open(f, "wb") as fh:
        pickle.dump(_whole(("200",)), fh)
    r = CliRunner().invoke(main, ["data", "convert", str(f), "--root", str(tmp_path / "s"), "--quiet"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["query", "nb201", "--dataset", "cifar100", "--split", "test", "--seed", "0",
                                  "--root", str(tmp_path / "s"), ARCHS[2]])
    assert r.exit_code == 0 and r.output.startswith("99.723"), r.output
    (tmp_path / "bad.pth").write_bytes(b"nope")
    r = CliRunner().invoke(main, ["data", "convert", str(tmp_path / "bad.pth"), "--root", str(tmp_path / "s2")])
    assert r.exit_code != 0 and "bad.pth" in r.output


def test_nb101_convert_and_query_spec(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_nasbench_nb101_tfrecord import CELLS, _acc, _write  # the format-exact fixture writer

    f = _write(tmp_path / "nasbench_only108.tfrecord")
    r = CliRunner().invoke(main, ["data", "convert", str(f), "--root", str(tmp_path / "s"), "--quiet"])
    assert r.exit_code == 0, r.output
    spec = json.dumps({"matrix": CELLS[1][0], "ops": CELLS[1][1]})
    r = CliRunner().invoke(main, ["query", "nb101", "--root", str(tmp_path / "s"), "--split", "test", "--seed", "0",
                                  spec])
    assert r.exit_code == 0, r.output
    assert float(r.output.split()[0]) == pytest.approx(100 * _acc(1, 108, 0, 2), rel=1e-5)
    r = CliRunner().invoke(main, ["query", "nb101", "--root", str(tmp_path / "s"), "not json"])
    assert r.exit_code != 0 and "JSON" in r.output


def _store_root(tmp_path):
    """A root holding one intact copy of a bundled store."""
    import shutil

    from fastnas.nasbench._registry import BUNDLED

    root = tmp_path / "root"
    shutil.copytree(BUNDLED / "nb201" / "cifar100", root / "nb201" / "cifar100")
    return root


def _verify(root, *args):
    return CliRunner().invoke(main, ["data", "verify", *args, "--root", str(root)])


def test_verify_reports_every_kind_of_damage(tmp_path):
    root = _store_root(tmp_path)
    r = _verify(root)
    assert r.exit_code == 0 and r.output.strip() == "nb201/cifar100: ok", r.output
    good = root / "nb201" / "cifar100"
    man = json.loads((good / "manifest.json").read_text())
    cases = {}
    (root / "nb201" / "nomanifest").mkdir()
    (root / "nb201" / "nomanifest" / "key.npy").write_bytes(b"x")
    cases["nb201/nomanifest"] = "no manifest.json"
    (root / "nb201" / "empty").mkdir()
    cases["nb201/empty"] = "empty store folder"
    (root / "nb999").mkdir()
    cases["nb999/"] = "empty store folder"
    for ds, edit, expect in [
        ("garbage", lambda d: (d / "manifest.json").write_text("{oops"), "unreadable manifest"),
        ("listman", lambda d: (d / "manifest.json").write_text("[1, 2]"), "not a fastnas-store manifest"),
        ("rows", lambda d: (d / "manifest.json").write_text(json.dumps({**man, "n_rows": 15000})),
         "n_rows is 15000"),
        ("escape", lambda d: (d / "manifest.json").write_text(json.dumps(
            {**man, "columns": {**man["columns"], "params": {**man["columns"]["params"],
                                                              "file": "../../etc/passwd"}}})),
         "outside the store folder"),
        ("flipped", lambda d: (d / "params.npy").write_bytes((d / "params.npy").read_bytes()[:-1] + b"\x01"),
         "checksum mismatch"),
        ("gone", lambda d: (d / "latency.npy").unlink(), "latency.npy: missing"),
    ]:
        import shutil

        d = root / "nb201" / ds
        shutil.copytree(good, d)
        edit(d)
        cases[f"nb201/{ds}"] = expect
    r = _verify(root)
    assert r.exit_code == 1 and "Traceback" not in r.output
    lines = dict(line.split(": ", 1) for line in r.output.strip().splitlines() if not line.startswith("Error"))
    assert lines.pop("nb201/cifar100") == "ok"  # checking went on past the damaged stores
    for label, expect in cases.items():
        assert expect in lines.pop(label), (label, r.output)
    assert lines == {}
    assert "9 of 10 store(s) damaged" in r.output


def test_verify_words_a_missing_checksum_as_load_does(tmp_path):
    """A manifest column without a sha256 (nor crc32): verify says what load says, not 'expects None'."""
    from fastnas.nasbench import load

    root = _store_root(tmp_path)
    d = root / "nb201" / "cifar100"
    man = json.loads((d / "manifest.json").read_text())
    cols = {k: {kk: vv for kk, vv in v.items() if kk not in ("sha256", "crc32")} if k == "params" else v
            for k, v in man["columns"].items()}
    (d / "manifest.json").write_text(json.dumps({**man, "columns": cols}))
    r = _verify(root)
    assert r.exit_code == 1 and "None" not in r.output and "mismatch" not in r.output, r.output
    assert "params.npy: the manifest records no checksum for column 'params'" in r.output
    with pytest.raises(Exception, match="the manifest records no checksum for column 'params'"):
        load("nb201", "cifar100", root=root).store.column("params")
    # a column recording only a crc32 is checked by it (as load does), not reported as a sha256 mismatch
    from fastnas.nasbench._store import _crc32

    cols["params"] = {**cols["params"], "crc32": _crc32(d / "params.npy")}
    (d / "manifest.json").write_text(json.dumps({**man, "columns": cols}))
    r = _verify(root)
    assert r.exit_code == 0 and r.output.strip() == "nb201/cifar100: ok", r.output
    cols["params"]["crc32"] = "0" * len(str(cols["params"]["crc32"]))
    (d / "manifest.json").write_text(json.dumps({**man, "columns": cols}))
    assert "crc32 differs from the manifest" in _verify(root).output


def test_verify_unknown_names_fail(tmp_path):
    root = _store_root(tmp_path)
    r = _verify(root, "nb1o1")
    assert r.exit_code == 1 and "no store nb1o1/*" in r.output and "['nb201']" in r.output
    r = _verify(root, "nb201", "--dataset", "cifar1000")
    assert r.exit_code == 1 and "no store nb201/cifar1000" in r.output
    r = _verify(tmp_path / "nothing-here")
    assert r.exit_code == 1 and "no stores found" in r.output


def _api_error(fn):
    try:
        fn()
    except (KeyError, ValueError) as exc:
        return exc.args[0]
    raise AssertionError("the API did not raise")


def test_query_raises_what_the_api_raises():
    from fastnas.nasbench import load

    bench = load("nb201", "cifar10-valid")
    key = int(bench.keys(bench.space.from_index([347]))[0])  # dense store: the key is the row
    assert bench.store.column("n_seeds")[key] == 2  # index 347 has two recorded seeds: position 2 does not exist
    msg = _api_error(lambda: bench.query(bench.space.from_index([347]), seed=2))
    assert msg.startswith(f"position 0: key {key} recorded 2 seeds")
    r = CliRunner().invoke(main, ["query", "nb201", "--dataset", "cifar10-valid", "--seed", "2", "347"])
    # the same reason, naming the cell as the user typed it (not the internal key), with the CLI's own option
    assert r.exit_code == 1 and r.output.strip() == (
        "Error: index 347 " + msg.split(f"key {key} ", 1)[1].split(";")[0] + " (--missing nan prints nan instead)")
    r = CliRunner().invoke(main, ["query", "nb201", "--dataset", "cifar10-valid", "--seed", "2", "--missing", "nan",
                                  "347"])
    assert r.exit_code == 0 and r.output.startswith("nan\t347")


def test_query_nb101_cell_missing_from_the_store(tmp_path):
    import sys
    from pathlib import Path

    from fastnas.nasbench import load

    sys.path.insert(0, str(Path(__file__).parent))
    from test_nasbench_nb101_tfrecord import _write

    f = _write(tmp_path / "nasbench_only108.tfrecord")
    CliRunner().invoke(main, ["data", "convert", str(f), "--root", str(tmp_path / "s"), "--quiet"])
    absent = {"matrix": [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]],
              "ops": ["input", "conv3x3-bn-relu", "conv3x3-bn-relu", "output"]}
    bench = load("nb101", "cifar10", root=tmp_path / "s")
    msg = _api_error(lambda: bench.query(bench.space.from_specs([absent["matrix"]], [absent["ops"]])))
    assert "is not in nb101/cifar10" in msg
    r = CliRunner().invoke(main, ["query", "nb101", "--root", str(tmp_path / "s"), json.dumps(absent)])
    # the CLI names the cell as typed, not its position and key
    assert r.exit_code == 1 and r.output.strip() == (f"Error: cell {json.dumps(absent)} is not in nb101/cifar10 "
                                                     "(--missing nan prints nan instead)")

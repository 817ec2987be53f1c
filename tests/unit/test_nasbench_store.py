"""The store format: round trip, atomic writes, checksums, clear errors; the restricted unpickler."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from fastnas.nasbench import StoreError, UnsafePickleError, open_store, restricted_load, write_store
from fastnas.nasbench._benchmark import Benchmark

MAN = {"benchmark": "toy", "dataset": "d", "space": "nb201", "key": "nb201-ops-code",
       "metrics": {"accuracy": {"valid": {"seeds": "acc", "mean": None, "curve": None, "epochs": [12]}}},
       "static": {"train_time": "tt"}, "n_seeds": "ns"}


def _cols(keys):
    n = len(keys)
    acc = np.arange(2 * n, dtype=np.float64).reshape(n, 2)
    acc[0, 1] = np.nan
    return {"key": np.asarray(keys, np.uint64), "acc": acc, "tt": np.full(n, 10.0),
            "ns": np.array([1] + [2] * (n - 1), np.int8)}


def test_round_trip_sparse_keys(tmp_path):
    p = write_store(tmp_path / "s", MAN, _cols([3, 7, 100, 2**63]))
    st = open_store(p)
    assert st.n_rows == 4 and not st.manifest["dense_keys"] and st.verify() == []
    b = Benchmark(st)
    np.testing.assert_array_equal(b.query_keys([7, 3, 2**63]), [2.5, 0.0, 6.5])  # mean over recorded seeds
    np.testing.assert_array_equal(b.query_keys([100], seed=1), [5.0])
    assert np.isnan(b.query_keys([5], missing="nan")[0])
    v, c = b.query_keys([7, 5], missing="nan", return_cost=True)
    assert c[0] == 10.0 and np.isnan(c[1])
    assert isinstance(st.column("acc"), np.memmap)


def test_dense_flag_and_permissions(tmp_path):
    p = write_store(tmp_path / "s", MAN, _cols([0, 1, 2]))
    assert open_store(p).manifest["dense_keys"]
    assert (p.stat().st_mode & 0o755) == 0o755


def test_failed_write_leaves_nothing(tmp_path):
    cols = _cols([1, 2])
    cols["bad"] = np.array([object(), object()])
    with pytest.raises(ValueError, match="object"):
        write_store(tmp_path / "s", MAN, cols)
    assert list(tmp_path.iterdir()) == []
    cols = _cols([1, 2])
    cols["bad"] = np.zeros(3)
    with pytest.raises(ValueError, match="rows"):
        write_store(tmp_path / "s", MAN, cols)
    with pytest.raises(ValueError, match="strictly increasing"):
        write_store(tmp_path / "s", MAN, _cols([2, 1]))
    assert list(tmp_path.iterdir()) == []


def test_overwrite_is_explicit(tmp_path):
    write_store(tmp_path / "s", MAN, _cols([1, 2]))
    with pytest.raises(FileExistsError):
        write_store(tmp_path / "s", MAN, _cols([1, 2, 3]))
    write_store(tmp_path / "s", MAN, _cols([1, 2, 3]), overwrite=True)
    assert open_store(tmp_path / "s").n_rows == 3
    assert sorted(x.name for x in tmp_path.iterdir()) == ["s"]


def test_corruption_is_detected_and_named(tmp_path):
    p = write_store(tmp_path / "s", MAN, _cols([1, 2]))
    with open(p / "acc.npy", "r+b") as f:
        f.seek(-3, 2)
        f.write(b"\x01\x02\x03")
    assert any("acc.npy" in x and "checksum" in x for x in open_store(p).verify())
    (p / "tt.npy").write_bytes(b"garbage")
    with pytest.raises(StoreError, match="tt.npy"):
        open_store(p).column("tt")
    (p / "manifest.json").write_text("{not json")
    with pytest.raises(StoreError, match="manifest.json"):
        open_store(p)
    (p / "manifest.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(StoreError, match="not a fastnas-store"):
        open_store(p)
    with pytest.raises(StoreError, match="not a fastnas store"):
        open_store(tmp_path / "nowhere")


def test_bundled_stores_verify():
    from fastnas.nasbench import available

    found = [(b, d) for b, d, _ in available(root=__import__("fastnas.nasbench._registry",
                                                              fromlist=["BUNDLED"]).BUNDLED)]
    assert {("nb201", "cifar10-valid"), ("nb201", "cifar100"), ("nb201", "ImageNet16-120")} <= set(found)
    from fastnas.nasbench._registry import BUNDLED, verify

    for b, d, path in available(root=BUNDLED):  # tables and the NB301 surrogate folder alike
        assert dict(verify(b, d, root=BUNDLED))[f"{b}/{d}"] == []


def test_restricted_unpickler():
    data = {"a": [1.0, 2.0], ("x", 1): (3, None, True), "s": {1, 2}}
    assert restricted_load(pickle.dumps(data, protocol=4)) == data
    from collections import OrderedDict

    assert restricted_load(pickle.dumps(OrderedDict(a=1))) == {"a": 1}
    with pytest.raises(UnsafePickleError, match="os.system|posix.system"):
        restricted_load(pickle.dumps(__import__("os").system))
    with pytest.raises(UnsafePickleError, match="numpy"):
        restricted_load(pickle.dumps(np.zeros(2)), name="f.pkl")
    with pytest.raises(UnsafePickleError, match="truncated"):
        restricted_load(pickle.dumps(data)[:-5], name="f.pkl")
    with pytest.raises(UnsafePickleError, match="f.pkl"):
        restricted_load(b"not a pickle", name="f.pkl")


# ---- damaged data is never served (issue 10 §6) ------------------------------------------------------------
def _bundled_copy(tmp_path, dataset="cifar10-valid"):
    import shutil

    from fastnas.nasbench._registry import BUNDLED

    dst = tmp_path / "nb201" / dataset
    shutil.copytree(BUNDLED / "nb201" / dataset, dst)
    return dst


def test_load_refuses_a_flipped_byte(tmp_path):
    import hashlib

    from fastnas.nasbench import load

    d = _bundled_copy(tmp_path)
    good = load("nb201", "cifar10-valid", root=tmp_path)
    assert round(good.best()[1], 2) == 91.61  # the intact copy serves the store's own record
    f = d / "accuracy.valid.mean.npy"
    data = bytearray(f.read_bytes())
    data[-5] ^= 0x40
    f.write_bytes(bytes(data))
    expected = json.loads((d / "manifest.json").read_text())["columns"]["accuracy.valid.mean"]["sha256"]
    actual = hashlib.sha256(bytes(data)).hexdigest()  # independent recomputation
    bench = load("nb201", "cifar10-valid", root=tmp_path)
    with pytest.raises(StoreError) as ei:
        bench.best("accuracy", "valid")
    msg = str(ei.value)
    assert "accuracy.valid.mean.npy" in msg and expected in msg and actual in msg
    with pytest.raises(StoreError, match="damaged"):
        load("nb201", "cifar10-valid", root=tmp_path).query_keys([11667])
    # per-seed values live in another, intact column: still served
    assert load("nb201", "cifar10-valid", root=tmp_path).query_keys([11667], seed=0).shape == (1,)


def test_load_refuses_a_swapped_column(tmp_path):
    import shutil

    from fastnas.nasbench import load

    d = _bundled_copy(tmp_path)
    shutil.copyfile(d / "train_time.npy", d / "accuracy.valid.mean.npy")  # same dtype and shape
    with pytest.raises(StoreError, match="accuracy.valid.mean.npy.*damaged or was replaced"):
        load("nb201", "cifar10-valid", root=tmp_path).query_keys([11667])


def test_new_stores_record_crc32(tmp_path):
    import zlib

    p = write_store(tmp_path / "s", MAN, _cols([1, 2]))
    meta = open_store(p).manifest["columns"]["acc"]
    assert meta["crc32"] == f"{zlib.crc32((p / 'acc.npy').read_bytes()):08x}"
    with open(p / "acc.npy", "r+b") as f:
        f.seek(-1, 2)
        f.write(b"\x7f")
    with pytest.raises(StoreError, match=f"acc.npy.*crc32 .* expects {meta['crc32']}"):
        open_store(p).column("acc")


def test_manifest_paths_outside_the_store_are_refused(tmp_path):
    p = write_store(tmp_path / "s", MAN, _cols([1, 2]))
    secret = tmp_path / "secret.npy"
    np.save(secret, np.zeros(2))
    man = json.loads((p / "manifest.json").read_text())
    for bad in ("../secret.npy", str(secret), "sub/../../secret.npy"):
        man["columns"]["tt"]["file"] = bad
        (p / "manifest.json").write_text(json.dumps(man))
        with pytest.raises(StoreError, match="outside the store folder"):
            open_store(p)
    man["columns"]["tt"]["file"] = "tt.npy"
    (p / "manifest.json").write_text(json.dumps(man))
    (p / "tt.npy").unlink()
    (p / "tt.npy").symlink_to(secret)
    with pytest.raises(StoreError, match="links outside"):
        open_store(p)


def test_manifest_n_rows_must_match(tmp_path):
    p = write_store(tmp_path / "s", MAN, _cols([1, 2, 3]))
    man = json.loads((p / "manifest.json").read_text())
    for n, match in ((2, "has 3 rows but n_rows is 2"), (-1, "n_rows"), ("3", "n_rows"), (True, "n_rows")):
        man["n_rows"] = n
        (p / "manifest.json").write_text(json.dumps(man))
        with pytest.raises(StoreError, match=match):
            open_store(p)

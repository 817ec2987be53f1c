"""NAS-Bench-101 tfrecord without TensorFlow: format-exact fixtures (TFRecord framing + JSON + base64 protobuf),
round trips, CRC and format errors; CRC-32C and the protobuf reader against known values."""
from __future__ import annotations

import io
import struct

import numpy as np
import pytest

from fastnas import _backend
from fastnas.nasbench import load
from fastnas.nasbench._crc32c import mask, py_crc32c
from fastnas.nasbench._protobuf import ProtobufError, encode_model_metrics, parse_model_metrics
from fastnas.nasbench.nb101_tfrecord import (OP_CODES, TFRecordError, convert_nb101, encode_nb101_record,
                                             frame_record, read_tfrecord)

# (matrix, ops) of pruned cells; the first is the Inception-like example of the nasbench README
CELLS = [
    ([[0, 1, 1, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0, 0],
      [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]],
     ["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "maxpool3x3", "output"]),
    ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"]),
    ([[0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", "conv1x1-bn-relu", "maxpool3x3", "output"]),
]


def _arrays(cells):
    n = len(cells)
    m = np.zeros((n, 7, 7), np.uint8)
    o = np.full((n, 7), -3, np.int8)
    v = np.zeros(n, np.uint8)
    for i, (mat, ops) in enumerate(cells):
        d = len(ops)
        m[i, :d, :d] = mat
        o[i, :d] = [OP_CODES[x] for x in ops]
        v[i] = d
    return m, o, v


def _hashes():
    h = _backend.get("nb101_hash")(*_arrays(CELLS))
    return [bytes(r).decode() for r in h]


def _acc(i, budget, rep, split):
    return 0.5 + i / 10 + budget / 1000 + rep / 100 + split / 1000


def _write(path, budgets=(108,), reps=3, corrupt=None):
    out = bytearray()
    for i, (mat, ops) in enumerate(CELLS):
        for b in budgets:
            for r in range(reps if not (i == 1 and b == budgets[-1]) else 2):
                evs = [{"current_epoch": e, "training_time": 10.0 * b * f, "train_accuracy": _acc(i, b, r, 0) * f,
                        "validation_accuracy": _acc(i, b, r, 1) * f, "test_accuracy": _acc(i, b, r, 2) * f,
                        "checkpoint_path": "gs://x"} for e, f in ((0.0, 0.1), (b / 2, 0.5), (float(b), 1.0))]
                payload = encode_nb101_record(_hashes()[i], b, mat, ops, evs, 1000 + i, 99.0)
                out += frame_record(payload)
    if corrupt is not None:
        out[corrupt] ^= 0xFF
    path.write_bytes(bytes(out))
    return path


def test_crc32c_known_values():
    for fn in _backend.implementations("nasbench_crc32c").values():
        assert fn(b"123456789") == 0xE3069283  # RFC 3720 check value
        assert fn(b"") == 0
        assert fn(bytes(32)) == 0x8A9136AA  # RFC 3720 B.4: 32 bytes of zeros
        assert fn(b"\xff" * 32) == 0x62A8AB43  # RFC 3720 B.4: 32 bytes of 0xff
        assert fn(b"6789", fn(b"12345")) == 0xE3069283
        with pytest.raises(TypeError):
            fn("text")
    data = bytes(range(256)) * 9 + b"xyz"
    assert _backend.get("nasbench_crc32c")(data) == py_crc32c(data)
    assert mask(0) == 0xA282EAD8


def test_protobuf_reader_against_google_protobuf():
    pb = pytest.importorskip("google.protobuf.descriptor_pb2")
    from google.protobuf import descriptor_pool, message_factory

    fdp = pb.FileDescriptorProto(name="mm_test.proto", package="nbtest", syntax="proto2")
    ev = fdp.message_type.add(name="EvaluationData")
    for num, name in enumerate(["current_epoch", "training_time", "train_accuracy", "validation_accuracy",
                                "test_accuracy"], start=1):
        ev.field.add(name=name, number=num, type=pb.FieldDescriptorProto.TYPE_DOUBLE,
                     label=pb.FieldDescriptorProto.LABEL_OPTIONAL)
    ev.field.add(name="checkpoint_path", number=6, type=pb.FieldDescriptorProto.TYPE_STRING,
                 label=pb.FieldDescriptorProto.LABEL_OPTIONAL)
    mm = fdp.message_type.add(name="ModelMetrics")
    mm.field.add(name="evaluation_data", number=1, type=pb.FieldDescriptorProto.TYPE_MESSAGE,
                 label=pb.FieldDescriptorProto.LABEL_REPEATED, type_name=".nbtest.EvaluationData")
    mm.field.add(name="trainable_parameters", number=2, type=pb.FieldDescriptorProto.TYPE_INT32,
                 label=pb.FieldDescriptorProto.LABEL_OPTIONAL)
    mm.field.add(name="total_time", number=3, type=pb.FieldDescriptorProto.TYPE_DOUBLE,
                 label=pb.FieldDescriptorProto.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("nbtest.ModelMetrics"))
    msg = cls(trainable_parameters=2694282, total_time=1234.5)
    for e in (0.0, 54.0, 108.0):
        msg.evaluation_data.add(current_epoch=e, training_time=e * 3, train_accuracy=0.1 + e / 200,
                                validation_accuracy=0.2, test_accuracy=0.3, checkpoint_path="p")
    got = parse_model_metrics(msg.SerializeToString())
    assert got["trainable_parameters"] == 2694282 and got["total_time"] == 1234.5
    assert [d["current_epoch"] for d in got["evaluation_data"]] == [0.0, 54.0, 108.0]
    assert got["evaluation_data"][2]["train_accuracy"] == 0.1 + 108 / 200
    back = cls.FromString(encode_model_metrics(got["evaluation_data"], 2694282, 1234.5))
    assert back.trainable_parameters == 2694282 and back.evaluation_data[1].training_time == 162.0
    with pytest.raises(ProtobufError):
        parse_model_metrics(msg.SerializeToString()[:-3])


def test_only108_round_trip(tmp_path):
    f = _write(tmp_path / "nasbench_only108.tfrecord")
    convert_nb101(f, tmp_path / "out", progress=False)
    b = load("nb101", dataset="cifar10", root=tmp_path / "out")
    assert len(b) == 3 and b.store.verify() == []
    keys = np.asarray(_backend.get("nb101_key")(*_arrays(CELLS)), np.uint64)
    np.testing.assert_allclose(b.query_keys(keys, split="test", seed=0), [100 * _acc(i, 108, 0, 2) for i in range(3)])
    np.testing.assert_allclose(b.query_keys(keys[1:2], split="valid"),
                               [100 * np.mean([_acc(1, 108, r, 1) for r in range(2)])])
    with pytest.raises(ValueError, match="recorded 2 seeds"):
        b.query_keys(keys[1:2], seed=2)
    np.testing.assert_allclose(b.query_keys(keys, metric="params"), [1000, 1001, 1002])
    np.testing.assert_allclose(b.query_keys(keys, return_cost=True)[1], 1080.0)
    with pytest.raises(ValueError, match="epoch"):
        b.query_keys(keys, epoch=36)
    assert b.metrics()["accuracy"] == ["test", "train", "valid"]
    import importlib.util

    if importlib.util.find_spec("fastnas.spaces.nb101") is not None:  # the NB101 space has landed
        cells = b.cells()
        np.testing.assert_array_equal(b.keys(cells), b.store.column("key"))
        np.testing.assert_array_equal(b.query(cells, split="test"), b.query_keys(b.store.column("key"), split="test"))


def test_full_round_trip_budgets(tmp_path):
    f = _write(tmp_path / "nasbench_full.tfrecord", budgets=(4, 12, 36, 108))
    convert_nb101(f, tmp_path / "out", progress=False)
    b = load("nb101", dataset="cifar10", root=tmp_path / "out")
    keys = np.asarray(_backend.get("nb101_key")(*_arrays(CELLS)), np.uint64)
    v, cost = b.query_keys(keys, split="valid", seed=1, epoch=12, return_cost=True)
    np.testing.assert_allclose(v, [100 * _acc(i, 12, 1, 1) for i in range(3)], rtol=1e-6)
    np.testing.assert_allclose(cost, 120.0)
    assert b.info()["metrics"]["accuracy/valid"]["epochs"] == [4, 12, 36, 108]


def test_corrupt_truncated_wrong_format(tmp_path):
    out = tmp_path / "out"
    good = _write(tmp_path / "a.tfrecord").read_bytes()
    bad = tmp_path / "bad.tfrecord"
    for blob, match in [(good[:-7], "truncated"), (good[:5], "truncated record header"),
                        (b"\x00" * 40, "checksum"), (b"PK\x03\x04 this is a zip file, not a tfrecord", "checksum")]:
        bad.write_bytes(blob)
        with pytest.raises(TFRecordError, match=match) as ei:
            convert_nb101(bad, out, progress=False)
        assert "bad.tfrecord" in str(ei.value)
    flipped = bytearray(good)
    flipped[30] ^= 0x01
    bad.write_bytes(bytes(flipped))
    with pytest.raises(TFRecordError, match="data checksum"):
        convert_nb101(bad, out, progress=False)
    bad.write_bytes(frame_record(b'{"not": "a list"}'))
    with pytest.raises(TFRecordError, match="not a NAS-Bench-101 record"):
        convert_nb101(bad, out, progress=False)
    bad.write_bytes(frame_record(encode_nb101_record("0" * 32, 108, CELLS[1][0], CELLS[1][1],
                                                     [{"current_epoch": 108.0}], 1, 1.0)))
    with pytest.raises(TFRecordError, match="does not match its graph"):
        convert_nb101(bad, out, progress=False)
    assert not out.exists()


def test_reader_yields_payloads():
    blob = frame_record(b"one") + frame_record(b"") + frame_record(b"three" * 100)
    assert list(read_tfrecord(io.BytesIO(blob))) == [b"one", b"", b"three" * 100]
    head = struct.pack("<Q", 3)
    assert blob[8:12] == struct.pack("<I", mask(py_crc32c(head)))


def test_duplicated_records_are_dropped_and_named(tmp_path):
    once = _write(tmp_path / "once.tfrecord")
    twice = tmp_path / "twice.tfrecord"
    twice.write_bytes(once.read_bytes() * 2)  # every record twice: 6 "seeds" per cell if accepted
    convert_nb101(once, tmp_path / "a", progress=False)
    with pytest.warns(UserWarning, match=r"dropped 8 duplicated record\(s\) of 3 module\(s\): record 8 = record 0 "
                                         rf"\(module {_hashes()[0]}, 108 epochs\)"):
        convert_nb101(twice, tmp_path / "b", progress=False)
    a = load("nb101", dataset="cifar10", root=tmp_path / "a")
    b = load("nb101", dataset="cifar10", root=tmp_path / "b")
    np.testing.assert_array_equal(b.store.column("n_seeds"), a.store.column("n_seeds"))
    assert sorted(b.store.column("n_seeds").tolist()) == [2, 3, 3]
    keys = a.store.column("key")
    for s in range(2):
        np.testing.assert_array_equal(b.query_keys(keys, split="test", seed=s), a.query_keys(keys, split="test", seed=s))
    with pytest.raises(TFRecordError, match=r"record 8 duplicates record 0 \(module"):
        convert_nb101(twice, tmp_path / "c", progress=False, duplicates="raise")
    with pytest.raises(ValueError, match="duplicates must be"):
        convert_nb101(once, tmp_path / "c", progress=False, duplicates="keep")
    assert not (tmp_path / "c").exists()


def test_more_than_three_distinct_repeats_are_refused(tmp_path):
    f = _write(tmp_path / "four.tfrecord", reps=4)
    with pytest.raises(TFRecordError, match=r"4 distinct runs at 108 epochs.*trained each module 3 times"):
        convert_nb101(f, tmp_path / "out", progress=False)

"""A small hand-written protobuf wire-format reader (enough for NAS-Bench-101's ``ModelMetrics``).

Wire format (https://protobuf.dev/programming-guides/encoding/): a message is a sequence of fields, each a
varint tag ``(field_number << 3) | wire_type`` followed by the value: wire type 0 varint, 1 fixed 64-bit,
2 length-delimited (bytes, strings, sub-messages, packed repeated), 5 fixed 32-bit. Unknown fields are skipped.

NAS-Bench-101 ``model_metrics.proto`` (google-research/nasbench, Apache-2.0)::

    message ModelMetrics   { repeated EvaluationData evaluation_data = 1; optional int32 trainable_parameters = 2;
                             optional double total_time = 3; }
    message EvaluationData { optional double current_epoch = 1; optional double training_time = 2;
                             optional double train_accuracy = 3; optional double validation_accuracy = 4;
                             optional double test_accuracy = 5; optional string checkpoint_path = 6; }
"""
from __future__ import annotations

import struct


class ProtobufError(ValueError):
    """Malformed protobuf bytes."""


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = 0
    out = 0
    while True:
        if i >= len(buf):
            raise ProtobufError("truncated varint")
        b = buf[i]
        i += 1
        out |= (b & 0x7F) << shift
        if not b & 0x80:
            return out, i
        shift += 7
        if shift > 63:
            raise ProtobufError("varint longer than 10 bytes")


def fields(buf: bytes):
    """Yield ``(field_number, wire_type, value)``: int for varints, bytes for the others."""
    i, n = 0, len(buf)
    while i < n:
        tag, i = _varint(buf, i)
        num, wt = tag >> 3, tag & 7
        if num == 0:
            raise ProtobufError("field number 0")
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 1:
            if i + 8 > n:
                raise ProtobufError("truncated fixed64")
            v, i = buf[i:i + 8], i + 8
        elif wt == 2:
            ln, i = _varint(buf, i)
            if i + ln > n:
                raise ProtobufError("truncated length-delimited field")
            v, i = buf[i:i + ln], i + ln
        elif wt == 5:
            if i + 4 > n:
                raise ProtobufError("truncated fixed32")
            v, i = buf[i:i + 4], i + 4
        else:
            raise ProtobufError(f"unsupported wire type {wt}")
        yield num, wt, v


def _double(wt: int, v, what: str) -> float:
    if wt != 1:
        raise ProtobufError(f"{what}: expected a double (wire type 1), got wire type {wt}")
    return struct.unpack("<d", v)[0]


_EVAL = {1: "current_epoch", 2: "training_time", 3: "train_accuracy", 4: "validation_accuracy", 5: "test_accuracy"}


def parse_model_metrics(buf: bytes) -> dict:
    """Decode a ``nasbench.ModelMetrics`` message into plain Python values.

    >>> m = parse_model_metrics(encode_model_metrics([{"current_epoch": 108.0, "test_accuracy": 0.9}], 1000, 5.0))
    >>> m["trainable_parameters"], m["evaluation_data"][0]["test_accuracy"]
    (1000, 0.9)
    """
    out: dict = {"evaluation_data": [], "trainable_parameters": 0, "total_time": 0.0}
    for num, wt, v in fields(buf):
        if num == 1:
            if wt != 2:
                raise ProtobufError("evaluation_data: expected a sub-message")
            ev = dict.fromkeys(_EVAL.values(), 0.0)
            for n2, w2, v2 in fields(v):
                if n2 in _EVAL:
                    ev[_EVAL[n2]] = _double(w2, v2, _EVAL[n2])
            out["evaluation_data"].append(ev)
        elif num == 2:
            if wt != 0:
                raise ProtobufError("trainable_parameters: expected a varint")
            out["trainable_parameters"] = v - (1 << 64) if v >= 1 << 63 else v
        elif num == 3:
            out["total_time"] = _double(wt, v, "total_time")
    return out


# ---------------------------------------------------------------- writer (tests and fixtures)
def _enc_varint(x: int) -> bytes:
    x &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = x & 0x7F
        x >>= 7
        if x:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def encode_model_metrics(evaluation_data: list[dict], trainable_parameters: int, total_time: float) -> bytes:
    """Encode a ``nasbench.ModelMetrics`` message (used to write format-exact test fixtures)."""
    msg = bytearray()
    for ev in evaluation_data:
        sub = bytearray()
        for num, name in _EVAL.items():
            if name in ev:
                sub += _enc_varint(num << 3 | 1) + struct.pack("<d", float(ev[name]))
        if "checkpoint_path" in ev:
            s = ev["checkpoint_path"].encode()
            sub += _enc_varint(6 << 3 | 2) + _enc_varint(len(s)) + s
        msg += _enc_varint(1 << 3 | 2) + _enc_varint(len(sub)) + sub
    msg += _enc_varint(2 << 3 | 0) + _enc_varint(int(trainable_parameters))
    msg += _enc_varint(3 << 3 | 1) + struct.pack("<d", float(total_time))
    return bytes(msg)

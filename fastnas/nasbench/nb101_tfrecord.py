"""Convert the official NAS-Bench-101 files (``nasbench_only108.tfrecord``, ``nasbench_full.tfrecord``) without
TensorFlow.

TFRecord framing (TensorFlow ``core/lib/io/record_writer``): each record is ::

    uint64 length (little-endian) | uint32 masked_crc32c(length bytes) | data[length] | uint32 masked_crc32c(data)

with ``masked(c) = rotr15(c) + 0xA282EAD8 (mod 2**32)``. Both CRCs are verified.

NAS-Bench-101 record payload (google-research/nasbench ``api.py``): UTF-8 JSON
``[module_hash, epochs, raw_adjacency, raw_operations, raw_metrics]`` -- the 32-character module hash, the
epoch budget (4, 12, 36 or 108), the pruned adjacency matrix as a string of ``dim*dim`` digits (row-major),
the op names joined by commas (``input``, ``conv1x1-bn-relu``, ``conv3x3-bn-relu``, ``maxpool3x3``,
``output``), and the base64 of a ``ModelMetrics`` protobuf (decoded by ``_protobuf.py``). One record per
(module, budget, repeat); 3 repeats each. ``evaluation_data`` holds the evaluations at initialisation,
halfway and the end of training; the final one is used.

Store: rows keyed by the NB101 space's exact canonical isomorphism key (``nb101-iso-key``); per-seed
(repeat) ``accuracy`` on ``train``/``valid``/``test`` (percent) at the largest budget, and, for the full file,
one value per budget as the ``epochs`` axis ``[4, 12, 36, 108]`` (each a separate training run with its own
schedule; the simulated cost of ``epoch=e`` is that run's recorded training time). Static: ``params``
(trainable parameters) and ``train_time`` (seconds, largest budget, mean over repeats). The 16-byte module
hash is kept in column ``hash``.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import struct
import warnings
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np

from .. import _backend
from ._crc32c import mask
from ._protobuf import ProtobufError, encode_model_metrics, parse_model_metrics
from ._store import write_store

# nasbench op names -> fastnas NB101 op codes (src/nb101.hpp: input -1, output -2, conv3x3 0, conv1x1 1, maxpool 2)
OP_CODES = {"input": -1, "output": -2, "conv3x3-bn-relu": 0, "conv1x1-bn-relu": 1, "maxpool3x3": 2}
OP_NAMES = {v: k for k, v in OP_CODES.items()}
#: training repeats per (module, epoch budget) in NAS-Bench-101 (Ying et al. 2019, section 2.3)
REPEATS = 3


class TFRecordError(ValueError):
    """A TFRecord file is corrupt, truncated or not in the NAS-Bench-101 format (names the file)."""


def read_tfrecord(f: BinaryIO, name: str = "<tfrecord>", verify: bool = True) -> Iterator[bytes]:
    """Yield the payload of every record, verifying both masked CRC-32C checksums.

    >>> import io
    >>> list(read_tfrecord(io.BytesIO(frame_record(b"abc"))))
    [b'abc']
    """
    crc = _backend.get("nasbench_crc32c")
    k = 0
    while True:
        head = f.read(12)
        if not head:
            return
        if len(head) < 12:
            raise TFRecordError(f"{name}: truncated record header at record {k}")
        (length,) = struct.unpack("<Q", head[:8])
        (hcrc,) = struct.unpack("<I", head[8:])
        if verify and mask(crc(head[:8])) != hcrc:
            raise TFRecordError(f"{name}: length checksum mismatch at record {k} (corrupt or not a TFRecord file)")
        data = f.read(length)
        tail = f.read(4)
        if len(data) < length or len(tail) < 4:
            raise TFRecordError(f"{name}: truncated record {k}")
        if verify and mask(crc(data)) != struct.unpack("<I", tail)[0]:
            raise TFRecordError(f"{name}: data checksum mismatch at record {k}")
        yield data
        k += 1


def frame_record(data: bytes) -> bytes:
    """One TFRecord frame around ``data`` (the writer side; for fixtures and tests)."""
    crc = _backend.get("nasbench_crc32c")
    head = struct.pack("<Q", len(data))
    return head + struct.pack("<I", mask(crc(head))) + data + struct.pack("<I", mask(crc(data)))


def encode_nb101_record(module_hash: str, epochs: int, matrix, ops: list[str], evaluation_data: list[dict],
                        trainable_parameters: int, total_time: float) -> bytes:
    """The payload of one official NAS-Bench-101 record (the writer side; for fixtures and tests)."""
    m = np.asarray(matrix)
    raw_adj = "".join(str(int(x)) for x in m.reshape(-1))
    metrics = base64.b64encode(encode_model_metrics(evaluation_data, trainable_parameters, total_time)).decode()
    return json.dumps([module_hash, int(epochs), raw_adj, ",".join(ops), metrics]).encode("utf-8")


def _decode(payload: bytes, name: str, k: int):
    try:
        module_hash, epochs, raw_adj, raw_ops, raw_metrics = json.loads(payload.decode("utf-8"))
        dim = int(round(len(raw_adj) ** 0.5))
        if dim * dim != len(raw_adj) or not 2 <= dim <= 7:
            raise ValueError(f"adjacency string of length {len(raw_adj)}")
        adj = np.frombuffer(raw_adj.encode("ascii"), np.uint8) - ord("0")
        if adj.max() > 1:
            raise ValueError("adjacency digits must be 0/1")
        ops = raw_ops.split(",")
        if len(ops) != dim:
            raise ValueError(f"{len(ops)} ops for {dim} vertices")
        codes = [OP_CODES[o] for o in ops]
        metrics = parse_model_metrics(base64.b64decode(raw_metrics, validate=True))
        if not metrics["evaluation_data"]:
            raise ValueError("no evaluation_data")
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, binascii.Error, ProtobufError) as exc:
        raise TFRecordError(f"{name}: record {k} is not a NAS-Bench-101 record ({type(exc).__name__}: {exc})") from exc
    return str(module_hash), int(epochs), adj.reshape(dim, dim), codes, metrics


def convert_nb101(path, root=None, *, name: str = "nb101", progress: bool = True, verify_hash: bool = True,
                  overwrite: bool = True, duplicates: str = "drop") -> Path:
    """Convert ``nasbench_only108.tfrecord`` / ``nasbench_full.tfrecord`` into ``<root>/<name>/cifar10``.

    ``verify_hash`` recomputes each module's official 32-character hash from its graph and checks it against
    the record (a strong check of the decoding). The store is written atomically.

    A record whose payload is byte-identical to an earlier one of the same module and budget (a file
    concatenated twice, a record written twice) is a duplicate, never another training repeat:
    ``duplicates="drop"`` keeps the first and warns (``UserWarning`` naming how many and which module hashes,
    budgets and record numbers), ``duplicates="raise"`` refuses the file. More than ``REPEATS`` (3) distinct
    runs of one module at one budget always raise :class:`TFRecordError`: NAS-Bench-101 trained each three times.

    Examples
    --------
    >>> convert_nb101("nasbench_only108.tfrecord")  # doctest: +SKIP
    PosixPath('~/.cache/fastnas/nb101/cifar10')
    """
    from tqdm.auto import tqdm

    from ._registry import cache_dir

    if duplicates not in ("drop", "raise"):
        raise ValueError(f"duplicates must be 'drop' or 'raise', got {duplicates!r}")
    path = Path(path)
    root = Path(root) if root is not None else cache_dir()
    size = os.path.getsize(path)
    by_hash: dict[str, dict] = {}
    seen: dict[tuple[str, int], dict[bytes, int]] = {}  # (module, budget) -> payload digest -> first record
    dups: list[tuple[int, int, str, int]] = []  # (record, first record, module hash, budget)
    with open(path, "rb") as f, tqdm(total=size, unit="B", unit_scale=True, desc=f"reading {path.name}",
                                     disable=not progress) as bar:
        pos = 0
        for k, payload in enumerate(read_tfrecord(f, str(path))):
            h, epochs, adj, codes, metrics = _decode(payload, str(path), k)
            digests = seen.setdefault((h, epochs), {})
            digest = hashlib.blake2b(payload, digest_size=16).digest()
            if digest in digests:
                dups.append((k, digests[digest], h, epochs))
                if duplicates == "raise":
                    raise TFRecordError(f"{path}: record {k} duplicates record {digests[digest]} "
                                        f"(module {h}, {epochs} epochs)")
                continue
            digests[digest] = k
            if len(digests) > REPEATS:
                raise TFRecordError(f"{path}: module {h} has {len(digests)} distinct runs at {epochs} epochs "
                                    f"(record {k}); NAS-Bench-101 trained each module {REPEATS} times")
            e = by_hash.get(h)
            if e is None:
                e = by_hash[h] = {"adj": adj, "ops": codes, "params": metrics["trainable_parameters"], "runs": {}}
            final = metrics["evaluation_data"][-1]
            e["runs"].setdefault(epochs, []).append(
                (final["train_accuracy"], final["validation_accuracy"], final["test_accuracy"],
                 final["training_time"]))
            new = f.tell()
            bar.update(new - pos)
            pos = new
    if not by_hash:
        raise TFRecordError(f"{path}: no records")
    if dups:
        shown = "; ".join(f"record {k} = record {j} (module {h}, {b} epochs)" for k, j, h, b in dups[:5])
        more = f"; and {len(dups) - 5} more" if len(dups) > 5 else ""
        warnings.warn(f"{path}: dropped {len(dups)} duplicated record(s) of {len({d[2] for d in dups})} "
                      f"module(s): {shown}{more}", UserWarning, stacklevel=2)
    man, cols = _build(by_hash, path, verify_hash)
    return write_store(root / name / "cifar10", man, cols, overwrite=overwrite)


def _build(by_hash: dict, path: Path, verify_hash: bool):
    hashes = list(by_hash)
    n = len(hashes)
    matrix = np.zeros((n, 7, 7), np.uint8)
    ops = np.full((n, 7), -3, np.int8)
    nv = np.zeros(n, np.uint8)
    for i, h in enumerate(hashes):
        e = by_hash[h]
        d = e["adj"].shape[0]
        matrix[i, :d, :d] = e["adj"]
        ops[i, :d] = e["ops"]
        nv[i] = d
    if verify_hash:
        got = _backend.get("nb101_hash")(matrix, ops, nv)
        bad = [i for i in range(n) if bytes(got[i]).decode("ascii") != hashes[i]]
        if bad:
            raise TFRecordError(f"{path}: module hash {hashes[bad[0]]} does not match its graph "
                                f"({len(bad)} mismatches)")
    keys = np.asarray(_backend.get("nb101_key")(matrix, ops, nv), dtype=np.uint64)
    order = np.argsort(keys, kind="stable")
    if np.any(keys[order][1:] == keys[order][:-1]):
        raise TFRecordError(f"{path}: two modules share an isomorphism key (duplicate cells)")
    budgets = sorted({b for e in by_hash.values() for b in e["runs"]})
    S = max(len(r) for e in by_hash.values() for r in e["runs"].values())
    B = len(budgets)
    acc = np.full((3, n, S, B), np.nan)  # train, valid, test
    tt = np.full((n, S, B), np.nan)
    ns = np.zeros(n, np.int8)
    for i, h in enumerate(hashes):
        for b, runs in by_hash[h]["runs"].items():
            j = budgets.index(b)
            for s, (tr, va, te, t) in enumerate(runs):
                acc[:, i, s, j] = (tr, va, te)
                tt[i, s, j] = t
        ns[i] = len(by_hash[h]["runs"].get(budgets[-1], []))
    params = np.array([by_hash[h]["params"] for h in hashes], np.float64)
    hash_bytes = np.frombuffer(b"".join(binascii.unhexlify(h) for h in hashes), np.uint8).reshape(n, 16)
    o = order
    cols = {"key": keys[o], "n_seeds": ns[o], "hash": hash_bytes[o],
            "cell.matrix": matrix[o], "cell.ops": ops[o], "cell.n_vertices": nv[o],
            "params": params[o], "train_time": np.nanmean(tt[o, :, -1], axis=1)}
    metrics: dict = {"accuracy": {}}
    for si, split in enumerate(("train", "valid", "test")):
        cols[f"accuracy.{split}.seeds"] = 100.0 * acc[si][o][:, :, -1]
        entry = {"seeds": f"accuracy.{split}.seeds", "mean": None, "curve": None, "epochs": budgets}
        if B > 1:
            cols[f"accuracy.{split}.curve"] = (100.0 * acc[si][o]).astype(np.float32)
            entry["curve"] = f"accuracy.{split}.curve"
        metrics["accuracy"][split] = entry
    man = {"benchmark": "nb101", "dataset": "cifar10", "space": "nb101", "key": "nb101-iso-key",
           "metrics": metrics, "static": {"params": "params", "train_time": "train_time"}, "n_seeds": "n_seeds",
           "units": {"accuracy": "percent", "params": "trainable parameters",
                     "train_time": f"seconds ({budgets[-1]} epochs)"},
           "source": f"converted from {path.name}",
           "notes": "epochs are separate training budgets (NAS-Bench-101), not points of one curve"}
    if B > 1:
        cols["train_time.curve"] = np.nanmean(tt[o], axis=1)
        man["train_time_curve"] = "train_time.curve"
    return man, cols

"""The key -> fingerprint table of the whole NB101 space (423,624 rows), cached on disk.

Built once from ``NB101.enumerate()`` (which computes every fingerprint) and stored under the user cache
directory (``$FASTNAS_CACHE``, else ``$XDG_CACHE_HOME/fastnas``, else ``~/.cache/fastnas``) as an ``.npz``
of plain arrays (no pickles): ``keys`` (uint64, enumeration order), ``digests`` (16 bytes each), and a
SHA-256 ``checksum`` of both. Writes are atomic (temporary file + ``os.replace``); a file whose checksum
does not match is ignored and rebuilt.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

FILE_NAME = "nb101-hash-table-v1.npz"
_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)


def cache_dir() -> Path:
    """Where fastnas caches derived data (created on first write, never at import)."""
    env = os.environ.get("FASTNAS_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "fastnas"


def hex_to_digest(hex32: np.ndarray) -> np.ndarray:
    """(N, 32) ASCII hex -> (N, 16) bytes."""
    c = hex32.astype(np.int16)
    v = np.where(c >= 97, c - 87, c - 48).astype(np.uint8)
    return (v[:, 0::2] << 4) | v[:, 1::2]


def digest_to_hex(d: np.ndarray) -> np.ndarray:
    """(N, 16) bytes -> (N, 32) ASCII hex."""
    out = np.empty((len(d), 32), np.uint8)
    out[:, 0::2] = _HEX[d >> 4]
    out[:, 1::2] = _HEX[d & 15]
    return out


def _checksum(keys: np.ndarray, digests: np.ndarray) -> np.ndarray:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(keys, dtype="<u8").tobytes())
    h.update(np.ascontiguousarray(digests, dtype=np.uint8).tobytes())
    return np.frombuffer(h.digest(), np.uint8).copy()


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


class HashTable:
    """Fingerprints of every cell of the space, looked up by canonical key.

    ``keys`` and ``hashes`` (``S32``) are in enumeration order (row i is ``NB101().enumerate()[i]``). The
    table is shared by every ``NB101`` of the process, so its arrays are read-only copies: writing into them
    would change every later fingerprint lookup.
    """

    def __init__(self, keys: np.ndarray, hex32: np.ndarray):
        self.keys = _frozen(np.array(keys, dtype=np.uint64, order="C", copy=True))
        hexd = _frozen(np.array(hex32, dtype=np.uint8, order="C", copy=True))
        self.hashes = hexd.view("S32").reshape(-1)  # a view of a read-only owner: read-only for good
        self._order = _frozen(np.argsort(self.keys, kind="stable"))
        self._sorted = _frozen(self.keys[self._order])
        #: the arrays the lookup kernel ``nb101_hash_lookup`` takes (``fastnas.spaces._nb101_fast``)
        self.parts = (self._sorted, self._order, self.keys, hexd)
        self._by_hash = None

    def __len__(self) -> int:
        return len(self.keys)

    def index_of_keys(self, keys: np.ndarray) -> np.ndarray:
        """Enumeration index per key, -1 where the key is not in the table."""
        keys = np.asarray(keys, dtype=np.uint64)
        pos = np.searchsorted(self._sorted, keys)
        pos = np.minimum(pos, len(self._sorted) - 1)
        hit = self._sorted[pos] == keys
        return np.where(hit, self._order[pos], -1)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """``S32`` fingerprints per key, ``b""`` where the key is not in the table."""
        idx = self.index_of_keys(keys)
        out = self.hashes[np.maximum(idx, 0)]
        out[idx < 0] = b""
        return out

    def index_of_hashes(self, hashes) -> np.ndarray:
        """Enumeration index per fingerprint (str or bytes), -1 where unknown."""
        if self._by_hash is None:
            order = np.argsort(self.hashes, kind="stable")
            self._by_hash = (_frozen(self.hashes[order]), _frozen(order))
        srt, order = self._by_hash
        h = np.asarray(hashes).astype("S32")
        pos = np.minimum(np.searchsorted(srt, h), len(srt) - 1)
        return np.where(srt[pos] == h, order[pos], -1)

    # -- disk ------------------------------------------------------------------------------
    def save(self, path: Path | None = None) -> Path:
        path = Path(path) if path else cache_dir() / FILE_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        digests = hex_to_digest(self.hashes.view(np.uint8).reshape(-1, 32))
        fd, tmp = tempfile.mkstemp(prefix=".nb101-", suffix=".npz.tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, keys=self.keys, digests=digests, checksum=_checksum(self.keys, digests))
            os.replace(tmp, path)
        except BaseException:
            with _suppress():
                os.unlink(tmp)
            raise
        return path

    @classmethod
    def load(cls, path: Path | None = None) -> "HashTable | None":
        """The cached table, or None when absent or corrupt (a corrupt file gives a warning)."""
        path = Path(path) if path else cache_dir() / FILE_NAME
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                keys, digests, checksum = z["keys"], z["digests"], z["checksum"]
            if keys.dtype != np.uint64 or digests.shape != (len(keys), 16):
                raise ValueError("unexpected array shapes")
            if not np.array_equal(checksum, _checksum(keys, digests)):
                raise ValueError("checksum mismatch")
        except Exception as exc:
            warnings.warn(f"ignoring the NB101 hash table cache {path}: {exc}", RuntimeWarning, stacklevel=2)
            return None
        return cls(keys, digest_to_hex(digests))


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return True

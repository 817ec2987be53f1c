"""The fastnas benchmark store: one on-disk format for every tabular benchmark.

Format (version 1)
------------------
A store is a directory holding

* ``manifest.json`` -- a JSON object::

      {"format": "fastnas-store", "version": 1,
       "benchmark": "nb201", "dataset": "cifar10-valid", "space": "nb201",
       "key": "nb201-ops-code",          # how a cell becomes its uint64 lookup key (see _keys.py)
       "n_rows": 15625, "dense_keys": true,
       "columns": {"key": {"file": "key.npy", "dtype": "<u8", "shape": [15625], "sha256": "..."}, ...},
       "metrics": {"accuracy": {"valid": {"seeds": "accuracy.valid.seeds", "mean": "accuracy.valid.mean",
                                          "curve": null, "epochs": [200]}}},
       "static": {"train_time": "train_time", "latency": "latency", "params": "params"},
       "units": {"accuracy": "percent", "train_time": "seconds", ...},
       "n_seeds": "n_seeds", "source": "...", "notes": "..."}

* one ``.npy`` file per column (plain numpy format, no pickles), opened memory-mapped.

Rows are sorted by the uint64 ``key`` column; ``dense_keys`` says the keys are exactly ``0..n_rows-1`` (then the
key *is* the row). Per-seed values are ``(n_rows, max_seeds)`` float64 arrays padded with NaN after the
``n_seeds[row]`` recorded seeds; curves are ``(n_rows, max_seeds, n_epochs)``.

Opening reads the small manifest and maps the columns lazily (milliseconds, no copy); ``verify`` recomputes the
SHA-256 of every column. Writing is atomic: the store is built in a temporary sibling directory and renamed
into place, so a failed conversion leaves nothing behind.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Mapping

import numpy as np

FORMAT = "fastnas-store"
VERSION = 1
MANIFEST = "manifest.json"


class StoreError(ValueError):
    """A store directory is missing, corrupt or of an unknown format (the message names the path)."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_store(path: str | os.PathLike, manifest: Mapping, columns: Mapping[str, np.ndarray],
                *, overwrite: bool = False) -> Path:
    """Write a store atomically.

    Parameters
    ----------
    path : directory to create.
    manifest : the manifest without ``columns``/``format``/``version``/``n_rows`` (filled in here).
    columns : column name -> array; must include ``key`` (uint64, strictly increasing).
    overwrite : replace an existing store at ``path``.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> d = tempfile.mkdtemp()
    >>> p = write_store(d + "/s", {"benchmark": "toy", "dataset": "x", "space": "nb201", "key": "nb201-ops-code",
    ...                  "metrics": {}, "static": {"params": "params"}},
    ...                 {"key": np.arange(3, dtype=np.uint64), "params": np.ones(3)})
    >>> open_store(p).column("params").tolist()
    [1.0, 1.0, 1.0]
    """
    path = Path(path)
    if "key" not in columns:
        raise ValueError("a store needs a 'key' column")
    key = np.asarray(columns["key"])
    if key.dtype != np.uint64 or key.ndim != 1:
        raise ValueError(f"the key column must be 1-d uint64, got {key.dtype} {key.shape}")
    if key.size > 1 and not np.all(key[1:] > key[:-1]):
        raise ValueError("the key column must be strictly increasing (sorted, no duplicates)")
    n = int(key.shape[0])
    for name, arr in columns.items():
        arr = np.asarray(arr)
        if arr.dtype.hasobject:
            raise ValueError(f"column {name!r} has dtype object; stores hold plain numeric arrays only")
        if arr.shape[:1] != (n,):
            raise ValueError(f"column {name!r} has {arr.shape[:1]} rows, expected {n}")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists (pass overwrite=True to replace it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        cols = {}
        for name, arr in columns.items():
            arr = np.ascontiguousarray(arr)
            fname = f"{name}.npy"
            np.save(tmp / fname, arr, allow_pickle=False)
            cols[name] = {"file": fname, "dtype": arr.dtype.str, "shape": list(arr.shape),
                          "sha256": _sha256(tmp / fname)}
        os.chmod(tmp, 0o755)
        man = dict(manifest)
        man.update(format=FORMAT, version=VERSION, n_rows=n, columns=cols,
                   dense_keys=bool(n == 0 or (int(key[0]) == 0 and int(key[-1]) == n - 1)))
        (tmp / MANIFEST).write_text(json.dumps(man, indent=1, sort_keys=True))
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
            os.replace(path, old / "store")
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


class Store:
    """An opened store: the manifest plus lazily memory-mapped columns."""

    __slots__ = ("path", "manifest", "_cols")

    def __init__(self, path: Path, manifest: dict):
        self.path = path
        self.manifest = manifest
        self._cols: dict[str, np.ndarray] = {}

    @property
    def n_rows(self) -> int:
        return int(self.manifest["n_rows"])

    def has(self, name: str) -> bool:
        return name in self.manifest["columns"]

    def column(self, name: str) -> np.ndarray:
        """A read-only memory map of one column."""
        arr = self._cols.get(name)
        if arr is not None:
            return arr
        meta = self.manifest["columns"].get(name)
        if meta is None:
            raise KeyError(f"store {self.path} has no column {name!r}; it has {sorted(self.manifest['columns'])}")
        f = self.path / meta["file"]
        try:
            arr = np.load(f, mmap_mode="r", allow_pickle=False)
        except Exception as exc:
            raise StoreError(f"{f}: cannot read column {name!r}: {exc}") from exc
        if arr.dtype.str != meta["dtype"] or list(arr.shape) != list(meta["shape"]):
            raise StoreError(f"{f}: column {name!r} is {arr.dtype.str} {list(arr.shape)}, "
                             f"the manifest says {meta['dtype']} {meta['shape']}")
        self._cols[name] = arr
        return arr

    def verify(self) -> list[str]:
        """Recompute every column's SHA-256; returns the list of problems (empty when intact)."""
        problems = []
        for name, meta in self.manifest["columns"].items():
            f = self.path / meta["file"]
            if not f.is_file():
                problems.append(f"{f}: missing")
            elif _sha256(f) != meta["sha256"]:
                problems.append(f"{f}: checksum mismatch (column {name!r})")
        return problems

    def __repr__(self) -> str:
        m = self.manifest
        return f"Store({str(self.path)!r}, {m.get('benchmark')}/{m.get('dataset')}, {self.n_rows} rows)"


def open_store(path: str | os.PathLike) -> Store:
    """Open a store directory (reads only the manifest; columns are mapped on first use)."""
    path = Path(path)
    mf = path / MANIFEST
    if not mf.is_file():
        raise StoreError(f"{path}: not a fastnas store (no {MANIFEST})")
    try:
        man = json.loads(mf.read_text())
    except (OSError, ValueError) as exc:
        raise StoreError(f"{mf}: unreadable manifest: {exc}") from exc
    if not isinstance(man, dict) or man.get("format") != FORMAT:
        raise StoreError(f"{mf}: not a {FORMAT} manifest")
    if man.get("version") != VERSION:
        raise StoreError(f"{mf}: store version {man.get('version')!r}, this fastnas reads version {VERSION}")
    for field in ("benchmark", "dataset", "space", "key", "n_rows", "columns", "metrics", "static"):
        if field not in man:
            raise StoreError(f"{mf}: manifest lacks {field!r}")
    return Store(path, man)

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

Each column entry records the file's SHA-256 and (stores written since fastnas 0.1.0) its CRC-32 (zlib).
Opening reads and checks the small manifest (every ``file`` must lie inside the store folder; ``n_rows`` must
agree with every column's shape) and maps the columns lazily; the first touch of a column checksums its file
(CRC-32 when recorded, else SHA-256: about a millisecond per MB) and refuses a damaged or swapped file with a
:class:`StoreError` naming the file and the expected and actual checksums, so a query never answers from
damaged data. ``verify`` recomputes both checksums of every column. Writing is atomic: the store is built in a
temporary sibling directory and renamed into place, so a failed conversion leaves nothing behind.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zlib
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


def _crc32(path: Path) -> str:
    """zlib CRC-32 of a file as 8 lower-case hex digits (about 4 GB/s: cheap enough for every open)."""
    c = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            c = zlib.crc32(block, c)
    return f"{c & 0xFFFFFFFF:08x}"


def _column_file(root: Path, name: str, meta) -> Path:
    """The file of one column, refusing an entry that points outside the store folder (never read there)."""
    f = meta.get("file") if isinstance(meta, dict) else None
    if not isinstance(f, str) or not f:
        raise StoreError(f"{root / MANIFEST}: column {name!r} has no 'file' entry")
    rel = Path(f)
    if rel.is_absolute() or ".." in rel.parts or len(rel.parts) != 1:
        raise StoreError(f"{root / MANIFEST}: column {name!r} points outside the store folder ({f!r}); "
                         "refusing to read it")
    path = root / rel
    if path.is_symlink() and path.resolve().parent != root.resolve():
        raise StoreError(f"{root / MANIFEST}: column {name!r} file {f!r} links outside the store folder; "
                         "refusing to read it")
    return path


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
                          "sha256": _sha256(tmp / fname), "crc32": _crc32(tmp / fname)}
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
    """An opened store: the checked manifest plus lazily memory-mapped columns, each checksummed on first touch.

    Examples
    --------
    >>> from fastnas.nasbench._registry import BUNDLED
    >>> st = open_store(BUNDLED / "nb201" / "cifar100")
    >>> st.column("params").shape
    (15625,)
    """

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
        """A read-only memory map of one column; its file is checksummed on the first call.

        Raises
        ------
        KeyError
            The store has no such column.
        StoreError
            The file is missing, unreadable, of another dtype/shape than the manifest says, or its checksum
            differs from the manifest's (a damaged or replaced file); the message names the file and both
            checksums.
        """
        arr = self._cols.get(name)
        if arr is not None:
            return arr
        meta = self.manifest["columns"].get(name)
        if meta is None:
            raise KeyError(f"store {self.path} has no column {name!r}; it has {sorted(self.manifest['columns'])}")
        f = _column_file(self.path, name, meta)
        try:
            arr = np.load(f, mmap_mode="r", allow_pickle=False)
        except Exception as exc:
            raise StoreError(f"{f}: cannot read column {name!r}: {exc}") from exc
        if arr.dtype.str != meta["dtype"] or list(arr.shape) != list(meta["shape"]):
            raise StoreError(f"{f}: column {name!r} is {arr.dtype.str} {list(arr.shape)}, "
                             f"the manifest says {meta['dtype']} {meta['shape']}")
        kind, expected = ("crc32", meta["crc32"]) if meta.get("crc32") else ("sha256", meta.get("sha256"))
        if not expected:
            raise StoreError(f"{f}: the manifest records no checksum for column {name!r}; "
                             "reconvert the store (fastnas data convert)")
        actual = _crc32(f) if kind == "crc32" else _sha256(f)
        if actual != expected:
            raise StoreError(f"{f}: column {name!r} is damaged or was replaced: {kind} is {actual}, the manifest "
                             f"expects {expected}; reconvert the store or restore the file "
                             "(fastnas data verify checks every store)")
        self._cols[name] = arr
        return arr

    def verify(self) -> list[str]:
        """Recompute every column's checksums (SHA-256, and CRC-32 where recorded) and compare each file's
        numpy header with the manifest; returns the list of problems (empty when intact)."""
        problems = []
        for name, meta in self.manifest["columns"].items():
            try:
                f = _column_file(self.path, name, meta)
            except StoreError as exc:
                problems.append(str(exc))
                continue
            if not f.is_file():
                problems.append(f"{f}: missing")
                continue
            if not meta.get("sha256") and not meta.get("crc32"):  # worded as column() (load) words it
                problems.append(f"{f}: the manifest records no checksum for column {name!r}; "
                                "reconvert the store (fastnas data convert)")
                continue
            sha = _sha256(f) if meta.get("sha256") else None  # a crc32-only column is checked as load checks it
            if sha is not None and sha != meta["sha256"]:
                problems.append(f"{f}: checksum mismatch (column {name!r}): sha256 is {sha}, "
                                f"the manifest expects {meta['sha256']}")
                continue
            if meta.get("crc32") and _crc32(f) != meta["crc32"]:
                problems.append(f"{f}: checksum mismatch (column {name!r}): crc32 differs from the manifest")
                continue
            try:
                arr = np.load(f, mmap_mode="r", allow_pickle=False)
            except Exception as exc:
                problems.append(f"{f}: cannot read column {name!r}: {exc}")
                continue
            if arr.dtype.str != meta["dtype"] or list(arr.shape) != list(meta["shape"]):
                problems.append(f"{f}: column {name!r} is {arr.dtype.str} {list(arr.shape)}, "
                                f"the manifest says {meta['dtype']} {meta['shape']}")
        return problems

    def __repr__(self) -> str:
        m = self.manifest
        return f"Store({str(self.path)!r}, {m.get('benchmark')}/{m.get('dataset')}, {self.n_rows} rows)"


def open_store(path: str | os.PathLike) -> Store:
    """Open a store directory (reads and checks only the manifest; columns are mapped and checksummed on first use).

    Raises
    ------
    StoreError
        No ``manifest.json``, an unreadable or garbage manifest, another format or version, a missing field,
        ``n_rows`` disagreeing with a column's shape, or a column ``file`` outside the store folder (never read).
    """
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
    _check_manifest(path, man)
    return Store(path, man)


def _check_manifest(path: Path, man: dict) -> None:
    """Structural checks of a parsed manifest (cheap: no column file is read)."""
    mf = path / MANIFEST
    n = man["n_rows"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise StoreError(f"{mf}: n_rows must be an integer >= 0, got {n!r}")
    cols = man["columns"]
    if not isinstance(cols, dict) or "key" not in cols:
        raise StoreError(f"{mf}: 'columns' must be an object with a 'key' column")
    for name, meta in cols.items():
        _column_file(path, name, meta)
        shape = meta.get("shape")
        if not isinstance(meta.get("dtype"), str) or not isinstance(shape, list) or not shape:
            raise StoreError(f"{mf}: column {name!r} lacks a dtype or a shape")
        if shape[0] != n:
            raise StoreError(f"{mf}: column {name!r} has {shape[0]} rows but n_rows is {n}")
    for field in ("metrics", "static"):
        if not isinstance(man[field], dict):
            raise StoreError(f"{mf}: {field!r} must be an object")

"""Simulation results on disk: one Parquet file per finished trial plus ``manifest.json`` (the checkpoint).

Files are written to a temporary name and renamed (atomic), so an interrupted run leaves only complete
trial files; on resume a trial counts as finished when its file exists, and the manifest is rewritten.
"""
from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd

FORMAT = "fastnas-simulation/1"


def _atomic_write_text(path: str, text: str) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


class ResultStore:
    """The results folder of one simulation."""

    def __init__(self, out: str, config: dict):
        self.out = os.fspath(out)
        self.trials_dir = os.path.join(self.out, "trials")
        self.manifest_path = os.path.join(self.out, "manifest.json")
        os.makedirs(self.trials_dir, exist_ok=True)
        self.config = config
        self.finished: list[str] = []
        if os.path.exists(self.manifest_path):
            with open(self.manifest_path) as f:
                m = json.load(f)
            if m.get("format") != FORMAT:
                raise ValueError(f"{self.manifest_path} is not a fastnas simulation manifest")
            if m.get("config") != config:
                raise ValueError(
                    f"{self.out} holds a simulation with another configuration; use another folder "
                    f"(stored: {m.get('config')}, requested: {config})"
                )
            self.finished = list(m.get("finished", []))
        on_disk = {f[: -len(".parquet")] for f in os.listdir(self.trials_dir) if f.endswith(".parquet")}
        self.finished = [t for t in self.finished if t in on_disk] + sorted(on_disk - set(self.finished))
        self._write_manifest()

    def path(self, trial_id: str) -> str:
        return os.path.join(self.trials_dir, f"{trial_id}.parquet")

    def is_done(self, trial_id: str) -> bool:
        return trial_id in self._done_set()

    def _done_set(self) -> set:
        if getattr(self, "_cache_n", -1) != len(self.finished):
            self._cache = set(self.finished)
            self._cache_n = len(self.finished)
        return self._cache

    def write(self, trial_id: str, columns: dict, manifest: bool = True) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        n = len(columns["query"])
        arrays = {}
        for k, v in columns.items():
            if isinstance(v, list) and n and k in ("trial_id", "algorithm", "benchmark"):
                # constant per trial: a one-entry dictionary (cheap to build, to store and to read)
                arrays[k] = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), pa.array([v[0]]))
            else:
                arrays[k] = pa.array(v)
        tmp = self.path(trial_id) + ".tmp"
        pq.write_table(pa.table(arrays), tmp, compression="none")
        os.replace(tmp, self.path(trial_id))
        self.finished.append(trial_id)
        if manifest:
            self._write_manifest()

    def _write_manifest(self) -> None:
        _atomic_write_text(self.manifest_path, json.dumps(
            {"format": FORMAT, "config": self.config, "finished": self.finished}, indent=1))

    def flush(self) -> None:
        self._write_manifest()

    def read(self, trial_ids=None) -> pd.DataFrame:
        ids = self.finished if trial_ids is None else list(trial_ids)
        if not ids:
            return pd.DataFrame()
        import pyarrow as pa
        import pyarrow.parquet as pq

        tables = [pq.read_table(self.path(t)) for t in ids]
        tables = [t.cast(pa.schema([f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f
                                    for f in t.schema])) for t in tables]
        return pa.concat_tables(tables).to_pandas()

"""Vendored NAS-Bench-Suite-Zero zero-cost tables (``fastnas/data/zc``; built by ``scripts/build_zc_tables.py``).

Each table holds, for a subset of one space on one dataset, every proxy's score and compute time and the
validation accuracy NASLib recorded (Krishnakumar et al., "NAS-Bench-Suite-Zero", NeurIPS 2022 Datasets and
Benchmarks; data from automl/NASLib, Apache-2.0).

>>> from fastnas.nasbench import load_zc
>>> t = load_zc("nb201", "cifar10")
>>> len(t), "synflow" in t.proxies
(724, True)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

_DIR = Path(__file__).resolve().parent.parent / "data" / "zc"
#: space -> datasets with a vendored table
TABLES: dict[str, tuple[str, ...]] = {"nb201": ("cifar10", "cifar100", "ImageNet16-120"),
                                      "nb101": ("cifar10",), "nb301": ("cifar10",)}
_ALIASES = {"darts": "nb301"}
# NB101 op codes of the NASLib flat key -> nasbench op names
_NB101_OPS = {0: "input", 1: "output", 2: "maxpool3x3", 3: "conv1x1-bn-relu", 4: "conv3x3-bn-relu"}


class ZCTable:
    """Zero-cost proxy scores of a fixed set of cells.

    Attributes
    ----------
    space : the fastnas space name of the cells: ``"nb201"``, ``"nb101"`` or ``"darts"`` (``get_space(space)``).
    benchmark : the table's benchmark name: ``"nb201"``, ``"nb101"`` or ``"nb301"``.
    dataset : dataset name as NASLib spells it.
    proxies : tuple of proxy names.
    arch : the raw NASLib encoding of the cells (see ``scripts/build_zc_tables.py``).
    val_accuracy : (N,) float64 validation accuracy (percent) recorded with the scores.
    """

    def __init__(self, space: str, dataset: str, data: dict[str, np.ndarray]):
        self.benchmark = space
        self.space = {"nb301": "darts"}.get(space, space)
        self.dataset = dataset
        self.arch = data["arch"]
        self.proxies: tuple[str, ...] = tuple(str(p) for p in data["proxies"])
        self._scores = data["scores"]
        self._times = data["times"]
        self.val_accuracy: np.ndarray = data["val_accuracy"]
        self.idx: np.ndarray = data["idx"]
        self._cells = None

    def __len__(self) -> int:
        return int(self.arch.shape[0])

    def __repr__(self) -> str:
        return f"ZCTable({self.benchmark!r}, {self.dataset!r}, {len(self)} cells, {len(self.proxies)} proxies)"

    def _col(self, proxy: str) -> int:
        if proxy not in self.proxies:
            raise ValueError(f"no proxy {proxy!r} in the {self.benchmark}/{self.dataset} table; "
                             f"it has {list(self.proxies)}")
        return self.proxies.index(proxy)

    def scores(self, proxy: str) -> np.ndarray:
        """(N,) float64 scores of one proxy."""
        return self._scores[:, self._col(proxy)]

    def times(self, proxy: str) -> np.ndarray:
        """(N,) float64 compute time in seconds of one proxy (NaN where the source recorded none)."""
        return self._times[:, self._col(proxy)]

    @property
    def cells(self):
        """The cells as the space's batch type (``NB201Cells``, ``NB101Cells`` or DARTS cells)."""
        if self._cells is None:
            self._cells = self._convert()
        return self._cells

    def naslib_keys(self) -> list[str]:
        """The NASLib key strings of the cells, exactly as in the source JSON."""
        if self.benchmark == "nb301":
            return [str([[tuple(p) for p in cell] for cell in a.tolist()]) for a in self.arch]
        return [str(tuple(a.tolist())) for a in self.arch]

    def _convert(self):
        from ..spaces import get_space

        if self.benchmark == "nb201":
            return get_space("nb201").from_naslib(self.arch)
        if self.benchmark == "nb101":
            rows = self.arch.astype(np.int64)
            mats = [row[:49].reshape(7, 7).tolist() for row in rows]
            ops = [[_NB101_OPS[int(o)] for o in row[49:]] for row in rows]
            return get_space("nb101").from_specs(mats, ops)
        return get_space("darts").from_zc_keys(self.naslib_keys())

    def table(self):
        """pandas DataFrame: one row per cell, the NASLib key, val_accuracy and every proxy's score."""
        import pandas as pd

        df = pd.DataFrame(self._scores, columns=list(self.proxies))
        df.insert(0, "val_accuracy", self.val_accuracy)
        df.insert(0, "naslib_key", self.naslib_keys())
        return df


def load_zc(space: str, dataset: str = "cifar10") -> ZCTable:
    """The vendored zero-cost table of ``space`` (``"nb201"``, ``"nb101"``, ``"nb301"``/``"darts"``) on ``dataset``.

    >>> load_zc("nb101").proxies[:3]
    ('epe_nas', 'fisher', 'flops')
    """
    s = _ALIASES.get(str(space).lower(), str(space).lower())
    if s not in TABLES:
        raise ValueError(f"no zero-cost tables for space {space!r}; available: {sorted(TABLES)}")
    if dataset not in TABLES[s]:
        raise ValueError(f"no {s} zero-cost table for dataset {dataset!r}; available: {list(TABLES[s])}")
    f = _DIR / f"{s}-{dataset}.npz"
    with np.load(f, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    return ZCTable(s, dataset, data)

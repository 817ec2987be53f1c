"""NAS-Bench-Graph (Qin et al., NeurIPS 2022 Datasets and Benchmarks; PyPI ``nas-bench-graph==1.4.0``,
Apache-2.0) converted on first use into the user cache (never vendored).

Source format: ``nas_bench_graph/light/<dataset>.bench`` is a pickle of ``{key: {"valid_perf", "perf",
"latency", "para"}}`` (numbers, some as numpy float64 scalars) -- read with the restricted unpickler, which
here also admits numpy's scalar reconstructor. Keys are ``Arch(link, ops).valid_hash()`` of the canonical form, the same
integer as ``NBGraph.to_hash`` on every dataset (proteins included, whose 2,021 cells use 5 ops).

Store: ``accuracy`` on ``valid`` (``valid_perf``) and ``test`` (``perf``) in percent, one value per cell (the
light tables hold the mean over seeds); static ``latency`` (seconds) and ``params`` (millions). No training time
is recorded, so simulated costs are NaN.

>>> from fastnas.nasbench import load
>>> bench = load("nbgraph", dataset="cora")  # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ._store import write_store
from ._unpickle import restricted_load

_ALLOWED = frozenset({("collections", "OrderedDict"), ("numpy.core.multiarray", "scalar"),
                      ("numpy._core.multiarray", "scalar"), ("numpy", "dtype")})


def _bench_file(dataset: str) -> Path:
    try:
        import nas_bench_graph
    except ImportError as exc:
        raise ValueError("NAS-Bench-Graph needs the optional package: pip install nas-bench-graph==1.4.0") from exc
    return Path(nas_bench_graph.__file__).parent / "light" / f"{dataset}.bench"


def read_bench(path) -> dict:
    """The ``{key: record}`` dict of one ``.bench`` file (restricted unpickling)."""
    with open(path, "rb") as f:
        return restricted_load(f, name=str(path), allowed=_ALLOWED)


def convert_nbgraph(dataset: str, root=None, *, source=None, progress: bool = True, overwrite: bool = True) -> Path:
    """Convert one NAS-Bench-Graph dataset into ``<root>/nbgraph/<dataset>`` (``source``: a ``.bench`` file)."""
    from ..spaces.nbgraph import NBGraph
    from ._registry import DATASETS, cache_dir

    if dataset not in DATASETS["nbgraph"]:
        raise ValueError(f"unknown NAS-Bench-Graph dataset {dataset!r}; valid: {list(DATASETS['nbgraph'])}")
    root = Path(root) if root is not None else cache_dir()
    path = Path(source) if source is not None else _bench_file(dataset)
    table = read_bench(path)
    if not isinstance(table, dict) or not table:
        raise ValueError(f"{path}: not a NAS-Bench-Graph table")
    raw = np.array(sorted(int(k) for k in table), dtype=np.int64)
    space = NBGraph(dataset)
    cells = NBGraph.from_hash(raw)  # keys are Arch.valid_hash() (the decimal hash; also for proteins)
    keys = np.asarray(space.key(cells), dtype=np.uint64)
    order = np.argsort(keys, kind="stable")
    if np.any(keys[order][1:] == keys[order][:-1]):
        raise ValueError(f"{path}: two entries map to the same architecture key")
    recs = [table[int(k)] for k in raw[order]]

    def col(name, scale=1.0):
        return np.array([float(r[name]) * scale for r in recs], dtype=np.float64)

    cols = {"key": keys[order], "source_key": raw[order],
            "cell.link": cells.link[order], "cell.ops": cells.ops[order],
            "accuracy.valid.mean": col("valid_perf", 100.0), "accuracy.test.mean": col("perf", 100.0),
            "latency": col("latency"), "params": col("para")}
    man = {"benchmark": "nbgraph", "dataset": dataset, "space": "nbgraph", "space_params": {"dataset": dataset},
           "key": "nbgraph-arch-id",
           "metrics": {"accuracy": {s: {"seeds": None, "mean": f"accuracy.{s}.mean", "curve": None, "epochs": []}
                                    for s in ("valid", "test")}},
           "static": {"latency": "latency", "params": "params"},
           "units": {"accuracy": "percent", "latency": "seconds", "params": "millions"},
           "source": "nas-bench-graph==1.4.0 light tables (Apache-2.0)",
           "notes": "mean over seeds only; no training time (simulated cost is NaN)"}
    return write_store(root / "nbgraph" / dataset, man, cols, overwrite=overwrite)

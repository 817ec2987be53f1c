"""Where stores live and ``load``: bundled data, the user cache, explicit roots, first-use conversions.

Search order for ``load(name, dataset)`` without ``root``: the user cache (``$FASTNAS_DATA``, else
``$XDG_CACHE_HOME/fastnas``, else ``~/.cache/fastnas``) -- where converted official files and optional extras
are written -- then the data bundled in the package (``fastnas/data/<name>/<dataset>``). A store is the
directory ``<root>/<name>/<dataset>``.
"""
from __future__ import annotations

import os
from pathlib import Path

from ._benchmark import Benchmark
from ._store import MANIFEST, StoreError, open_store

BUNDLED = Path(__file__).resolve().parent.parent / "data"
#: datasets of each known benchmark (what a complete conversion provides)
DATASETS: dict[str, tuple[str, ...]] = {
    "nb201": ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"),
    "nb101": ("cifar10",),
    "nbgraph": ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv", "proteins"),
    "nb201-analog": ("cifar10",),
    "nb301": ("cifar10",),  # a surrogate model (fastnas.nasbench.nb301), not a table
}
# optional extras converted on first use: name -> "module:function(dataset, root, progress)"
_ON_FIRST_USE = {"nbgraph": "fastnas.nasbench.nbgraph:convert_nbgraph",
                 "nb201-analog": "fastnas.nasbench.analog:convert_analog"}


def cache_dir() -> Path:
    """The user cache of converted stores."""
    env = os.environ.get("FASTNAS_DATA")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "fastnas"


def _roots(root) -> list[Path]:
    return [Path(root)] if root is not None else [cache_dir(), BUNDLED]


def available(root=None) -> list[tuple[str, str, str]]:
    """(benchmark, dataset, path) of every store found (cache first, then bundled)."""
    out = []
    for r in _roots(root):
        if not r.is_dir():
            continue
        for bdir in sorted(p for p in r.iterdir() if p.is_dir()):
            for ddir in sorted(p for p in bdir.iterdir() if p.is_dir()):
                if (ddir / "manifest.json").is_file():
                    out.append((bdir.name, ddir.name, str(ddir)))
    return out


def find(name: str, dataset: str, root=None) -> Path | None:
    for r in _roots(root):
        p = r / name / dataset
        if (p / "manifest.json").is_file():
            return p
    return None


def _open(p: Path):
    """A table store as ``Benchmark``; a ``fastnas-surrogate`` folder (NB301) as its surrogate benchmark."""
    from .nb301 import is_surrogate, open_surrogate

    if is_surrogate(p):
        return open_surrogate(p)
    return Benchmark(open_store(p))


def load(name: str, dataset: str | None = None, *, root=None, progress: bool = True) -> Benchmark:
    """Open a benchmark on one dataset.

    Parameters
    ----------
    name : ``"nb201"`` (bundled), ``"nb301"`` (bundled YAHPO Gym surrogate, predictions at epochs 1..98:
        see ``fastnas.nasbench.nb301``), ``"nb101"`` (after converting the official tfrecord), ``"nbgraph"``
        (converted on first use from the ``nas-bench-graph`` package), ``"nb201-analog"`` (from
        ``analog-nasbench``), or a name you converted into the cache.
    dataset : dataset name as the benchmark spells it (NB201: ``"cifar10-valid"``, ``"cifar100"``,
        ``"ImageNet16-120"``; ``"cifar10"`` only after converting an official file, since it has no
        validation split). Required when the benchmark has several.
    root : look only in ``<root>/<name>/<dataset>``.
    progress : progress bars during a first-use conversion.

    Examples
    --------
    >>> from fastnas.nasbench import load
    >>> load("nb201", dataset="ImageNet16-120")
    Benchmark('nb201', dataset='ImageNet16-120', 15625 cells)
    """
    name = str(name).lower()
    found = [d for b, d, _ in available(root) if b == name]
    if not found and name not in DATASETS:
        raise ValueError(f"unknown benchmark {name!r}; known: {sorted(DATASETS)}, "
                         f"found on disk: {sorted({b for b, _, _ in available(root)})}")
    if dataset is None:
        if len(set(found)) == 1:
            dataset = found[0]
        else:
            raise ValueError(f"benchmark {name!r} needs dataset=...; available: {sorted(set(found)) or 'none'}")
    p = find(name, dataset, root)
    if p is None and root is None and name in _ON_FIRST_USE and dataset in DATASETS.get(name, ()):
        import importlib

        mod, _, fn = _ON_FIRST_USE[name].partition(":")
        getattr(importlib.import_module(mod), fn)(dataset, root=cache_dir(), progress=progress)
        p = find(name, dataset, root)
    if p is None:
        known = sorted(set(found))
        if name not in DATASETS and not found:
            raise ValueError(f"unknown benchmark {name!r}; known: {sorted(DATASETS)}, "
                             f"found on disk: {sorted({b for b, _, _ in available(root)})}")
        hint = ""
        if name == "nb201" and dataset == "cifar10":
            hint = (" NB201 'cifar10' is trained on the full CIFAR-10 training set and has no validation split; "
                    "the bundled data holds 'cifar10-valid' (validation accuracy). Convert an official "
                    "NAS-Bench-201/NATS-Bench file (fastnas data convert) for its test accuracy.")
        elif name in DATASETS and dataset not in DATASETS[name]:
            hint = f" {name} datasets are {list(DATASETS[name])}."
        raise ValueError(f"no {name!r} store for dataset {dataset!r}; available: {known or 'none'}.{hint}")
    return _open(p)


def verify(name: str | None = None, dataset: str | None = None, root=None) -> list[tuple[str, list[str]]]:
    """Check every store folder under the roots (or those of one benchmark / dataset) without stopping at the
    first damaged one.

    Returns ``(label, problems)`` per store folder found, ``label`` being ``"<benchmark>/<dataset>"`` and
    ``problems`` empty when the store is intact. Reported as problems: a folder without ``manifest.json`` (or an
    empty one), a benchmark folder with nothing in it, a garbage manifest, ``n_rows`` disagreeing with the
    columns, a column file outside the store folder (refused, never read), a missing file, a checksum mismatch.
    A ``name``/``dataset`` that matches no folder is one problem labelled with what was asked.

    Examples
    --------
    >>> from fastnas.nasbench._registry import BUNDLED, verify
    >>> verify("nb201", "cifar100", root=BUNDLED)
    [('nb201/cifar100', [])]
    """
    out: list[tuple[str, list[str]]] = []
    seen_names = set()
    for r in _roots(root):
        if not r.is_dir():
            continue
        for bdir in sorted(p for p in r.iterdir() if p.is_dir()):
            seen_names.add(bdir.name)
            if name is not None and bdir.name != name:
                continue
            if not any(bdir.iterdir()):
                if dataset is None:
                    out.append((f"{bdir.name}/", [f"{bdir}: empty store folder"]))
                continue
            for ddir in sorted(p for p in bdir.iterdir() if p.is_dir()):
                if dataset is not None and ddir.name != dataset:
                    continue
                label = f"{bdir.name}/{ddir.name}"
                if not (ddir / MANIFEST).is_file():
                    what = "empty store folder" if not any(ddir.iterdir()) else f"not a store (no {MANIFEST})"
                    out.append((label, [f"{ddir}: {what}"]))
                    continue
                try:
                    from .nb301 import is_surrogate, open_surrogate

                    if is_surrogate(ddir):
                        out.append((label, open_surrogate(ddir).verify()))
                        continue
                    out.append((label, open_store(ddir).verify()))
                except StoreError as exc:
                    out.append((label, [str(exc)]))
    if not out and (name is not None or dataset is not None):
        asked = f"{name or '*'}/{dataset or '*'}"
        where = ", ".join(str(r) for r in _roots(root))
        known = sorted(seen_names)
        out.append((asked, [f"no store {asked} under {where}; benchmarks found: {known or 'none'}"]))
    return out

"""Convert official NAS-Bench-201 / NATS-Bench (topology) files into fastnas stores, with per-epoch curves.

Formats read (facts from the NAS-Bench-201 and NATS-Bench APIs, Dong et al. 2020/2021, MIT):

``NAS-Bench-201-v1_*.pth``
    ``torch.save`` of a dict ``{"meta_archs": [arch_str, ...], "arch2infos": {index: {"full": A, "less": A}},
    "evaluated_indexes": [...]}``; ``"full"`` is the 200-epoch schedule, ``"less"`` the 12-epoch one. Read with
    ``torch.load(weights_only=True)`` (plain containers only), or without torch from the zip's ``data.pkl``
    through the restricted unpickler.
``NATS-tss-v1_0-*.pickle.pbz2``
    bz2-compressed pickle of the same dict with hp keys ``"12"``/``"200"`` instead of ``"less"``/``"full"``.
``NATS-tss-v1_0-*-simple/`` (archive directory)
    ``meta.pickle.pbz2`` (``{"meta_archs": [...], ...}``) and one ``{index:06d}.pickle.pbz2`` per cell holding
    ``{hp: A}``.

``A`` (an ``ArchResults`` state dict) is ``{"arch_index", "arch_str", "all_results": {(dataset, seed): R},
"dataset_seed": {dataset: [seeds]}, "clean_tag"}`` and ``R`` (a ``ResultsCount`` state dict) holds
``"epochs"``, ``"params"`` (MB), ``"flop"`` (MFLOPs), ``"latency"`` (list of seconds), ``"train_acc1es"``,
``"train_losses"``, ``"train_times"`` (``{iepoch: value}``), ``"eval_names"`` and ``"eval_acc1es"``,
``"eval_losses"``, ``"eval_times"`` (``{"<name>@<iepoch>": value}``).

Splits: ``train``; eval name ``x-valid`` -> ``valid``; ``x-test`` -> ``test``; ``ori-test`` -> ``test`` on
``cifar10``/``cifar10-valid`` (their only test set) and ``valtest`` on cifar100/ImageNet16-120 (the union of
their valid and test halves). Metrics ``accuracy`` (percent) and ``loss``. Epochs in the store are 1-based
(``epoch=e`` is the state after ``e`` epochs, NATS ``iepoch = e - 1``); ``epoch=None`` is the final one.
Static costs: ``params`` (MB), ``flops`` (MFLOPs), ``latency`` (s, mean), ``train_time`` (s, all epochs, mean
over seeds; simulated cost scales linearly with ``epoch``).
"""
from __future__ import annotations

import bz2
import os
import zipfile
from pathlib import Path

import numpy as np

from ._keys import nb201_codes
from ._store import write_store
from ._unpickle import UnsafePickleError, restricted_load

_HP = {"200": ("200", "full"), "12": ("12", "less")}
_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
_SRC = (0, 0, 1, 0, 1, 2)


class FormatError(ValueError):
    """An official benchmark file is corrupt, truncated or not in the expected format (names the file)."""


def _parse_arch(s: str, where: str) -> list[int]:
    """Official op codes (arch-string edge order) of ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``."""
    try:
        terms = [t for node in s.split("+") for t in node.strip("|").split("|")]
        if len(terms) != 6:
            raise ValueError
        out = []
        for t, src in zip(terms, _SRC):
            name, _, j = t.partition("~")
            if int(j) != src:
                raise ValueError
            out.append(_OPS.index(name))
        return out
    except ValueError:
        raise FormatError(f"{where}: malformed NAS-Bench-201 arch string {s!r}") from None


def _read_pbz2(path: Path):
    try:
        with bz2.open(path, "rb") as f:
            return restricted_load(f, name=str(path))
    except UnsafePickleError as exc:
        raise FormatError(str(exc)) from exc
    except (OSError, EOFError, ValueError) as exc:
        raise FormatError(f"{path}: not a readable .pickle.pbz2 file ({type(exc).__name__}: {exc})") from exc


def _read_pth(path: Path):
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # scrub: never pass on torch's advice to load with weights_only=False
            from .._safeload import scrub

            raise FormatError(f"{path}: not a readable NAS-Bench-201 .pth file "
                              f"({type(exc).__name__}: {scrub(str(exc))})") from None
    # without torch: a zip-format torch file stores the object pickle as <archive>/data.pkl
    try:
        with zipfile.ZipFile(path) as z:
            name = next(n for n in z.namelist() if n.endswith("/data.pkl") or n == "data.pkl")
            return restricted_load(z.read(name), name=f"{path}:{name}")
    except (zipfile.BadZipFile, StopIteration, OSError) as exc:
        raise FormatError(f"{path}: reading this .pth without torch needs the zip format ({exc})") from exc
    except UnsafePickleError as exc:
        raise FormatError(str(exc)) from exc


def _records(path: Path, hp: str, progress: bool):
    """Yield (index, arch_str, ArchResults state) of every cell in the file or archive directory."""
    from tqdm.auto import tqdm

    hp_keys = _HP[str(hp)]
    if path.is_dir():
        meta = _read_pbz2(path / "meta.pickle.pbz2") if (path / "meta.pickle.pbz2").is_file() else None
        if not isinstance(meta, dict) or "meta_archs" not in meta:
            raise FormatError(f"{path}: not a NATS-Bench archive directory (no valid meta.pickle.pbz2)")
        archs = meta["meta_archs"]
        files = sorted(p for p in path.glob("*.pickle.pbz2") if p.name.split(".")[0].isdigit())
        for f in tqdm(files, desc=f"reading {path.name}", disable=not progress):
            data = _read_pbz2(f)
            idx = int(f.name.split(".")[0])
            yield idx, archs[idx], _pick_hp(data, hp_keys, f)
        return
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file or directory")
    data = _read_pth(path) if path.suffix == ".pth" else _read_pbz2(path)
    if not isinstance(data, dict) or not {"meta_archs", "arch2infos"} <= set(data):
        raise FormatError(f"{path}: not a NAS-Bench-201/NATS-Bench file (no meta_archs/arch2infos)")
    archs = data["meta_archs"]
    for idx in tqdm(sorted(data["arch2infos"]), desc=f"reading {path.name}", disable=not progress):
        yield int(idx), archs[int(idx)], _pick_hp(data["arch2infos"][idx], hp_keys, path)


def _pick_hp(d, keys, where):
    if not isinstance(d, dict):
        raise FormatError(f"{where}: expected a dict of hyper-parameter settings, got {type(d).__name__}")
    for k in keys:
        if k in d:
            return d[k]
    raise FormatError(f"{where}: no results for hp {keys[0]!r}; it holds {sorted(map(str, d))}")


def _split_name(eval_name: str, dataset: str) -> str | None:
    if eval_name == "x-valid":
        return "valid"
    if eval_name == "x-test":
        return "test"
    if eval_name == "ori-test":
        return "test" if dataset in ("cifar10", "cifar10-valid") else "valtest"
    return None


def convert_nb201(path, root=None, *, name: str = "nb201", hp: str = "200", progress: bool = True,
                  overwrite: bool = True) -> list[Path]:
    """Convert an official NAS-Bench-201 ``.pth`` / NATS-Bench ``.pickle.pbz2`` file or archive directory.

    Writes one store per dataset to ``<root>/<name>/<dataset>`` (``root`` defaults to the user cache) and
    returns their paths. All stores are built in memory first and each is written atomically, so a corrupt
    input leaves nothing behind.

    Examples
    --------
    >>> convert_nb201("NATS-tss-v1_0-3ffb9.pickle.pbz2", hp="200")  # doctest: +SKIP
    [PosixPath('~/.cache/fastnas/nb201/cifar10-valid'), ...]
    """
    from ._registry import cache_dir

    path = Path(path)
    root = Path(root) if root is not None else cache_dir()
    if str(hp) not in _HP:
        raise ValueError(f"hp must be '200' or '12', got {hp!r}")
    per_ds: dict[str, dict] = {}
    for idx, arch, A in _records(path, str(hp), progress):
        code = int(nb201_codes(np.array([_parse_arch(arch, str(path))]))[0])
        try:
            results = A["all_results"]
        except (TypeError, KeyError):
            raise FormatError(f"{path}: cell {idx} has no 'all_results'") from None
        for (dataset, seed), R in results.items():
            per_ds.setdefault(dataset, {}).setdefault(code, (idx, {}))[1][int(seed)] = R
    if not per_ds:
        raise FormatError(f"{path}: no results found")
    stores = {ds: _build(ds, cells, path, hp) for ds, cells in per_ds.items()}
    return [write_store(root / name / ds, man, cols, overwrite=overwrite) for ds, (man, cols) in stores.items()]


def _build(dataset: str, cells: dict, path: Path, hp: str):
    codes = np.array(sorted(cells), dtype=np.int64)
    n = len(codes)
    S = max(len(cells[c][1]) for c in codes)
    first = next(iter(cells[int(codes[0])][1].values()))
    E = int(first["epochs"])
    splits = sorted({s for c in codes for R in cells[int(c)][1].values()
                     for s in (_split_name(e, dataset) for e in R.get("eval_names", [])) if s})
    all_splits = ["train"] + splits
    curves = {(m, s): np.full((n, S, E), np.nan, np.float32) for m in ("accuracy", "loss") for s in all_splits}
    ns = np.zeros(n, np.int8)
    seed_ids = np.full((n, S), -1, np.int32)
    stat = {k: np.full((n, S), np.nan) for k in ("params", "flops", "latency", "train_time")}
    index = np.zeros(n, np.int32)
    for r, c in enumerate(codes):
        idx, seeds = cells[int(c)]
        index[r] = idx
        ns[r] = len(seeds)
        for k, sd in enumerate(sorted(seeds)):
            R = seeds[sd]
            seed_ids[r, k] = sd
            try:
                if int(R["epochs"]) != E:
                    raise FormatError(f"{path}: cell {idx} seed {sd} has {R['epochs']} epochs, expected {E}")
                for e in range(E):
                    curves["accuracy", "train"][r, k, e] = R["train_acc1es"][e]
                    curves["loss", "train"][r, k, e] = R["train_losses"][e]
                for name in R.get("eval_names", []):
                    s = _split_name(name, dataset)
                    if s is None:
                        continue
                    for e in range(E):
                        curves["accuracy", s][r, k, e] = R["eval_acc1es"][f"{name}@{e}"]
                        curves["loss", s][r, k, e] = R["eval_losses"][f"{name}@{e}"]
                stat["params"][r, k] = R["params"]
                stat["flops"][r, k] = R["flop"]
                lat = R.get("latency")
                stat["latency"][r, k] = float(np.mean(lat)) if lat else np.nan
                tt = R.get("train_times")
                stat["train_time"][r, k] = float(sum(tt[e] for e in range(E))) if tt else np.nan
            except (KeyError, TypeError, IndexError) as exc:
                raise FormatError(f"{path}: cell {idx} seed {sd} ({dataset}) lacks a field: {exc!r}") from exc
    cols = {"key": codes.astype(np.uint64), "index": index, "n_seeds": ns, "seed_ids": seed_ids}
    metrics: dict = {"accuracy": {}, "loss": {}}
    for (m, s), cv in curves.items():
        if np.isnan(cv[:, 0, -1]).all():
            continue
        cols[f"{m}.{s}.seeds"] = cv[:, :, -1].astype(np.float64)
        cols[f"{m}.{s}.curve"] = cv
        metrics[m][s] = {"seeds": f"{m}.{s}.seeds", "mean": None, "curve": f"{m}.{s}.curve",
                         "epochs": list(range(1, E + 1))}
    static = {}
    for k, v in stat.items():
        if not np.isnan(v).all():
            with np.errstate(all="ignore"):
                cols[k] = np.nanmean(v, axis=1)
            static[k] = k
    man = {"benchmark": "nb201", "dataset": dataset, "space": "nb201", "key": "nb201-ops-code",
           "metrics": metrics, "static": static, "n_seeds": "n_seeds",
           "units": {"accuracy": "percent", "loss": "cross-entropy", "params": "MB", "flops": "MFLOPs",
                     "latency": "seconds", "train_time": f"seconds ({E} epochs)"},
           "source": f"converted from {os.path.basename(str(path))} (hp={hp})",
           "notes": "epochs are 1-based; ori-test is 'test' on cifar10/cifar10-valid and 'valtest' elsewhere"}
    return man, cols

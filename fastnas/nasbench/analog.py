"""AnalogNAS-Bench (PyPI ``analog-nasbench==0.1.3``; no license file, so an optional extra that is converted
on first use into the user cache and never vendored): all 15,625 NAS-Bench-201 cells retrained on CIFAR-10
with digital, quantised and analog in-memory-computing accuracies and accuracy drift over time.

Source format: ``analognasbench/data.anb`` is a pickle of ``{ops tuple: Architecture}`` where the tuple is
the NASLib op-index encoding of the NB201 cell (edge order e12,e13,e14,e23,e24,e34; 0 skip_connect, 1 none,
2 nor_conv_3x3, 3 nor_conv_1x1, 4 avg_pool_3x3 -- verified: the all-``none`` cell ``(1,)*6`` sits at 10%) and
``Architecture`` holds ``baseline_accuracy``, ``ptq_accuracy``, ``qat_accuracy``, ``noisy_accuracy``,
``analog_accuracy`` (percent) and ``{baseline,analog}_drift_{60,3600,86400,2592000}`` as ``DriftMeasurement``
(``value``, ``uncertainty``). Both classes are replaced by inert local stand-ins while unpickling, so none of
the package's code runs (its module also fails to import without ``pkg_resources``).

Store ``nb201-analog/cifar10``: metric ``accuracy`` (the digital baseline) and ``ptq_accuracy``,
``qat_accuracy``, ``noisy_accuracy``, ``analog_accuracy``, ``{baseline,analog}_drift_<seconds>`` and their
``..._uncertainty``, all on split ``test`` (the CIFAR-10 test set the AnalogNAS-Bench paper reports), one value
per cell. No training time is recorded (simulated cost NaN).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from ._keys import nb201_codes
from ._store import write_store
from ._unpickle import restricted_load

_ACC = ("baseline_accuracy", "ptq_accuracy", "qat_accuracy", "noisy_accuracy", "analog_accuracy")
_DRIFT = tuple(f"{k}_drift_{t}" for k in ("baseline", "analog") for t in (60, 3600, 86400, 2592000))
# NASLib op index -> official op code (NASLib: 0 skip, 1 none, 2 conv3x3, 3 conv1x1, 4 avg_pool)
_NASLIB_TO_OFFICIAL = np.array([1, 0, 3, 2, 4], np.int8)
# NASLib edge order (e12, e13, e14, e23, e24, e34) -> arch-string order (e12, e13, e23, e14, e24, e34)
_NASLIB_EDGE_PERM = [0, 1, 3, 2, 4, 5]


class _Record:
    """Inert stand-in for analognasbench.data.Architecture / DriftMeasurement (attributes only)."""


def _data_file() -> Path:
    spec = importlib.util.find_spec("analognasbench")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("AnalogNAS-Bench needs the optional package: pip install analog-nasbench==0.1.3")
    return Path(list(spec.submodule_search_locations)[0]) / "data.anb"


def _value(x) -> tuple[float, float]:
    if isinstance(x, (int, float)):
        return float(x), 0.0
    d = getattr(x, "__dict__", {})
    return float(d.get("value", np.nan)), float(d.get("uncertainty", np.nan))


def convert_analog(dataset: str = "cifar10", root=None, *, source=None, progress: bool = True,
                   overwrite: bool = True) -> Path:
    """Convert AnalogNAS-Bench into ``<root>/nb201-analog/cifar10`` (``source``: a ``data.anb`` file)."""
    from ._registry import cache_dir

    if dataset != "cifar10":
        raise ValueError(f"AnalogNAS-Bench holds only 'cifar10', not {dataset!r}")
    root = Path(root) if root is not None else cache_dir()
    path = Path(source) if source is not None else _data_file()
    subs = {("analognasbench.data", "Architecture"): _Record, ("analognasbench.data", "DriftMeasurement"): _Record}
    with open(path, "rb") as f:
        table = restricted_load(f, name=str(path), substitutes=subs)
    if not isinstance(table, dict) or not table:
        raise ValueError(f"{path}: not an AnalogNAS-Bench table")
    try:
        naslib = np.array([list(k) for k in table], dtype=np.int64)
        if naslib.ndim != 2 or naslib.shape[1] != 6 or naslib.min() < 0 or naslib.max() > 4:
            raise ValueError("keys must be 6 NASLib op indices in 0..4")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: unexpected keys ({exc})") from exc
    ops = _NASLIB_TO_OFFICIAL[naslib][:, _NASLIB_EDGE_PERM]
    codes = nb201_codes(ops)
    order = np.argsort(codes)
    if np.any(codes[order][1:] == codes[order][:-1]):
        raise ValueError(f"{path}: duplicate cells")
    recs = [table[k] for k in table]
    cols: dict = {"key": codes[order]}
    metrics: dict = {}
    for name in _ACC + _DRIFT:
        vals = np.array([_value(getattr(r, name, np.nan) if not isinstance(r, dict) else r.get(name, np.nan))
                         for r in recs], dtype=np.float64)[order]
        metric = "accuracy" if name == "baseline_accuracy" else name
        cols[f"{metric}.test.mean"] = vals[:, 0]
        metrics[metric] = {"test": {"seeds": None, "mean": f"{metric}.test.mean", "curve": None, "epochs": []}}
        if name in _DRIFT:
            cols[f"{metric}_uncertainty.test.mean"] = vals[:, 1]
            metrics[f"{metric}_uncertainty"] = {"test": {"seeds": None, "mean": f"{metric}_uncertainty.test.mean",
                                                         "curve": None, "epochs": []}}
    man = {"benchmark": "nb201-analog", "dataset": "cifar10", "space": "nb201", "key": "nb201-ops-code",
           "metrics": metrics, "static": {}, "units": {"accuracy": "percent"},
           "source": "analog-nasbench==0.1.3 (AnalogNAS-Bench; no license file: not redistributed)",
           "notes": "one value per cell; no training time (simulated cost NaN)"}
    return write_store(root / "nb201-analog" / "cifar10", man, cols, overwrite=overwrite)

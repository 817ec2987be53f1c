"""Safe persistence of predictors: one ``.npz`` file holding a JSON header (class, parameters, scalar
state) and plain numeric arrays, read back with ``allow_pickle=False``. No pickle anywhere, so loading a
file from an untrusted source cannot execute code; only classes registered in ``fastnas.predictors``
(or defined in a ``fastnas`` module) are instantiated.

Values understood (recursively): None, bool, int, float, str, lists/tuples/dicts of those, numpy arrays
and scalars (numeric or structured dtypes without objects), ``bytes``, search spaces (stored by name) and
nested predictors (e.g. the members of a ``Stack``) and ``Cells`` batches of fastnas classes.
"""
from __future__ import annotations

import importlib
import io
import json
import os

import numpy as np

_FORMAT = "fastnas-predictor/1"


def _encode(value, key: str, arrays: dict):
    from ..spaces._cells import Cells
    from ..spaces._protocol import SearchSpace
    from ._base import Predictor

    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not np.isfinite(value):
            return {"__float__": repr(value)}
        return value
    if isinstance(value, np.generic):
        return _encode(value.item(), key, arrays)
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise TypeError(f"cannot save {key}: object arrays are not allowed")
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, (bytes, bytearray)):
        arrays[key] = np.frombuffer(bytes(value), dtype=np.uint8)
        return {"__bytes__": key}
    if isinstance(value, (list, tuple)):
        out = [_encode(v, f"{key}.{i}", arrays) for i, v in enumerate(value)]
        return {"__tuple__": out} if isinstance(value, tuple) else out
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"cannot save {key}: dict keys must be strings")
        return {"__dict__": {k: _encode(v, f"{key}.{k}", arrays) for k, v in value.items()}}
    if isinstance(value, SearchSpace):
        return {"__space__": value.name}
    if isinstance(value, Cells):
        cls = type(value)
        fields = {k: _encode(v, f"{key}.{k}", arrays) for k, v in value.arrays().items()}
        return {"__cells__": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
    if isinstance(value, Predictor):
        return {"__predictor__": _spec(value, key, arrays)}
    raise TypeError(
        f"cannot save {key}: values of type {type(value).__name__} have no safe format; "
        "the predictor must override _fitted_state/_set_fitted_state"
    )


def _decode(value, arrays):
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "__array__" in value:
        return arrays[value["__array__"]]
    if "__bytes__" in value:
        return arrays[value["__bytes__"]].tobytes()
    if "__float__" in value:
        return float(value["__float__"])
    if "__tuple__" in value:
        return tuple(_decode(v, arrays) for v in value["__tuple__"])
    if "__dict__" in value:
        return {k: _decode(v, arrays) for k, v in value["__dict__"].items()}
    if "__space__" in value:
        from ..spaces import get_space

        return get_space(value["__space__"])
    if "__cells__" in value:
        from ..spaces._cells import Cells

        mod, _, qual = value["__cells__"].partition(":")
        if not (mod == "fastnas" or mod.startswith("fastnas.")):
            raise ValueError(f"refusing to load cells class {value['__cells__']!r}")
        cls = getattr(importlib.import_module(mod), qual, None)
        if not (isinstance(cls, type) and issubclass(cls, Cells)):
            raise ValueError(f"{value['__cells__']!r} is not a fastnas Cells class")
        return cls(**{k: _decode(v, arrays) for k, v in value["fields"].items()})
    if "__predictor__" in value:
        return _build(value["__predictor__"], arrays)
    raise ValueError(f"corrupt predictor file: unknown entry {sorted(value)}")


def _spec(pred, key: str, arrays: dict) -> dict:
    cls = type(pred)
    params = pred.get_params(deep=False)
    spec = {
        "class": f"{cls.__module__}:{cls.__qualname__}",
        "params": {k: _encode(v, f"{key}/params/{k}", arrays) for k, v in params.items()},
    }
    if hasattr(pred, "n_features_in_") or getattr(pred, "is_fitted_", False):
        state = pred._fitted_state()
        spec["state"] = {k: _encode(v, f"{key}/state/{k}", arrays) for k, v in state.items()}
        if hasattr(pred, "feature_names_in_"):  # set by scikit-learn's validate_data for DataFrames
            spec["feature_names_in"] = [str(c) for c in pred.feature_names_in_]
    return spec


def _resolve(name: str) -> type:
    from ._base import Predictor

    mod, _, qual = name.partition(":")
    if not (mod == "fastnas" or mod.startswith("fastnas.")):
        raise ValueError(f"refusing to load class {name!r}: only fastnas predictors can be loaded")
    cls = getattr(importlib.import_module(mod), qual, None)
    if not (isinstance(cls, type) and issubclass(cls, Predictor)):
        raise ValueError(f"{name!r} is not a fastnas predictor class")
    return cls


def _build(spec: dict, arrays):
    cls = _resolve(spec["class"])
    params = {k: _decode(v, arrays) for k, v in spec["params"].items()}
    obj = cls(**params)
    if "state" in spec:
        obj._set_fitted_state({k: _decode(v, arrays) for k, v in spec["state"].items()})
        if "feature_names_in" in spec:
            obj.feature_names_in_ = np.asarray([str(c) for c in spec["feature_names_in"]], dtype=object)
    return obj


def save_predictor(pred, path) -> None:
    arrays: dict[str, np.ndarray] = {}
    header = {"format": _FORMAT, "predictor": _spec(pred, "root", arrays)}
    blob = json.dumps(header).encode()
    payload = {"__header__": np.frombuffer(blob, dtype=np.uint8)}
    # npz member names cannot contain every character; index them
    names = {}
    for i, (k, a) in enumerate(arrays.items()):
        names[k] = f"a{i}"
        payload[f"a{i}"] = a
    payload["__names__"] = np.frombuffer(json.dumps(names).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez_compressed(buf, **payload)
    with open(os.fspath(path), "wb") as fh:
        fh.write(buf.getvalue())


def load_predictor(path):
    try:
        with np.load(os.fspath(path), allow_pickle=False) as z:
            if "__header__" not in z.files:
                raise ValueError(f"{path} is not a fastnas predictor file")
            header = json.loads(z["__header__"].tobytes().decode())
            if header.get("format") != _FORMAT:
                raise ValueError(f"{path}: unsupported format {header.get('format')!r}")
            names = json.loads(z["__names__"].tobytes().decode())
            arrays = {k: z[v] for k, v in names.items()}
    except ValueError as exc:
        # numpy refuses object arrays with advice to load with pickles enabled: never pass that on
        if "pickle" not in str(exc).lower():
            raise
        raise ValueError(f"{path}: not a predictor file written by Predictor.save (fastnas reads only .npz files "
                         "of plain numeric arrays, never pickles)") from None
    return _build(header["predictor"], arrays)

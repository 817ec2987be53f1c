"""Simulation configs from files (JSON or TOML) for ``fastnas simulate --config``.

Keys are ``simulate``'s keyword arguments: ``algorithms`` (names, ``[name, params]`` pairs or
``{name, label, params}`` tables), ``benchmarks``, ``trials``, ``budget``, ``seed``, ``backend``,
``n_workers``, ``out``, ``time_budget``, ``batch_size``, ``oracle_seed``, ``address``.

>>> import json, os, tempfile
>>> p = os.path.join(tempfile.mkdtemp(), "sim.json")
>>> _ = open(p, "w").write(json.dumps({"algorithms": ["random"], "trials": 2}))
>>> read_config(p)["trials"]
2
"""
from __future__ import annotations

import json

KEYS = ("algorithms", "benchmarks", "trials", "budget", "seed", "backend", "n_workers", "out", "time_budget",
        "batch_size", "oracle_seed", "address", "chunk_size")


def parse_value(text: str):
    """A command-line parameter value: JSON when it parses (numbers, booleans, lists), else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def read_config(path: str) -> dict:
    if str(path).endswith(".toml"):
        import tomllib

        with open(path, "rb") as f:
            cfg = tomllib.load(f)
    else:
        with open(path) as f:
            cfg = json.load(f)
    unknown = sorted(set(cfg) - set(KEYS))
    if unknown:
        raise ValueError(f"{path}: unknown keys {unknown}; valid: {', '.join(KEYS)}")
    algos = cfg.get("algorithms")
    if isinstance(algos, list):
        cfg["algorithms"] = [tuple(a) if isinstance(a, list) else a for a in algos]
    return cfg

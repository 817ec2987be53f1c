"""The backend table: every hot operation by name, with its compiled and pure-Python implementations.

Backends
--------
``cpp``    the pybind11 extension ``fastnas._core`` (C++17 core in ``src/``)
``numba``  kernels in ``fastnas._kernels`` compiled with ``numba.njit(cache=True)``
``python`` the readable reference twins, written from the definitions (slow; the specification)

Selection: by default each operation uses the first available of cpp, numba, python.
``FASTNAS_BACKEND=cpp|numba|python`` forces a backend and is strict: if that backend cannot load,
every call raises ``RuntimeError`` instead of falling back. The variable is read when an operation is
first used; set it before that (or call ``refresh()`` after changing it). Under a forced compiled backend an
operation that has no implementation of that backend uses the other compiled one (never Python);
``show_config()`` says which implementation each operation got.

Implementations are named as ``"module:attribute"`` strings and imported on first use, so importing
fastnas compiles and loads nothing.
"""
from __future__ import annotations

import contextlib
import importlib
import os
from typing import Callable

BACKENDS = ("cpp", "numba", "python")
_COMPILED = ("cpp", "numba")

# op name -> {backend: "module:attr"}. All implementations of one op take the same arguments and
# return the same values (and raise the same exception types); tests/parity checks this for every op.
_TABLE: dict[str, dict[str, str]] = {
    # ---- common ---------------------------------------------------------------------------
    "rng_stream": {
        "cpp": "fastnas._core:rng_stream",
        "numba": "fastnas._kernels.rng:rng_stream",
        "python": "fastnas._kernels.rng:py_rng_stream",
    },
    # ---- nb101 (fastnas/spaces/nb101*) --------------------------------------------------------
    "nb101_parse_specs": {"cpp": "fastnas._core:nb101_parse_specs", "python": "fastnas.spaces.nb101_specs:parse_specs"},
    "nb101_check": {"cpp": "fastnas._core:nb101_check", "python": "fastnas.spaces.nb101_ref:nb101_check"},
    "nb101_prune": {"cpp": "fastnas._core:nb101_prune", "python": "fastnas.spaces.nb101_ref:nb101_prune"},
    "nb101_is_valid": {"cpp": "fastnas._core:nb101_is_valid", "python": "fastnas.spaces.nb101_ref:nb101_is_valid"},
    "nb101_key": {"cpp": "fastnas._core:nb101_key", "python": "fastnas.spaces.nb101_ref:nb101_key"},
    "nb101_hash": {"cpp": "fastnas._core:nb101_hash", "python": "fastnas.spaces.nb101_ref:nb101_hash"},
    "nb101_hash_text": {"cpp": "fastnas._core:nb101_hash_text", "python": "fastnas.spaces._nb101_fast:nb101_hash_text"},
    "nb101_hash_lookup": {"cpp": "fastnas._core:nb101_hash_lookup", "python": "fastnas.spaces._nb101_fast:nb101_hash_lookup"},
    "nb101_from_arrays": {"cpp": "fastnas._core:nb101_from_arrays", "python": "fastnas.spaces._nb101_fast:nb101_from_arrays"},
    "nb101_enumerate": {"cpp": "fastnas._core:nb101_enumerate", "python": "fastnas.spaces.nb101_ref:nb101_enumerate"},
    "nb101_sample": {"cpp": "fastnas._core:nb101_sample", "python": "fastnas.spaces.nb101_ref:nb101_sample"},
    "nb101_mutate": {"cpp": "fastnas._core:nb101_mutate", "python": "fastnas.spaces.nb101_ref:nb101_mutate"},
    "nb101_neighbors": {"cpp": "fastnas._core:nb101_neighbors", "python": "fastnas.spaces.nb101_ref:nb101_neighbors"},
    "nb101_path": {"cpp": "fastnas._core:nb101_path", "python": "fastnas.spaces.nb101_ref:nb101_path"},
    # ---- nb201 (fastnas/spaces/nb201*) --------------------------------------------------------
    "nb201_parse_strings": {"cpp": "fastnas._core:nb201_parse_strings", "python": "fastnas._kernels.nb201_ref:py_parse_strings"},
    "nb201_to_code": {"cpp": "fastnas._core:nb201_to_code", "python": "fastnas._kernels.nb201_ref:py_to_code"},
    "nb201_from_code": {"cpp": "fastnas._core:nb201_from_code", "python": "fastnas._kernels.nb201_ref:py_from_code"},
    "nb201_remap": {"cpp": "fastnas._core:nb201_remap", "python": "fastnas._kernels.nb201_ref:py_remap"},
    "nb201_to_matrix": {"cpp": "fastnas._core:nb201_to_matrix", "python": "fastnas._kernels.nb201_ref:py_to_matrix"},
    "nb201_from_matrix": {"cpp": "fastnas._core:nb201_from_matrix", "python": "fastnas._kernels.nb201_ref:py_from_matrix"},
    "nb201_is_valid": {"cpp": "fastnas._core:nb201_is_valid", "python": "fastnas._kernels.nb201_ref:py_is_valid"},
    "nb201_key": {"cpp": "fastnas._core:nb201_key", "python": "fastnas._kernels.nb201_ref:py_key"},
    "nb201_encode_adjacency": {"cpp": "fastnas._core:nb201_encode_adjacency", "python": "fastnas._kernels.nb201_ref:py_encode_adjacency"},
    "nb201_encode_path": {"cpp": "fastnas._core:nb201_encode_path", "python": "fastnas._kernels.nb201_ref:py_encode_path"},
    "nb201_encode_gcn": {"cpp": "fastnas._core:nb201_encode_gcn", "python": "fastnas._kernels.nb201_ref:py_encode_gcn"},
    "nb201_sample": {"cpp": "fastnas._core:nb201_sample", "python": "fastnas._kernels.nb201_ref:py_sample"},
    "nb201_mutate": {"cpp": "fastnas._core:nb201_mutate", "python": "fastnas._kernels.nb201_ref:py_mutate"},
    "nb201_neighbors": {"cpp": "fastnas._core:nb201_neighbors", "python": "fastnas._kernels.nb201_ref:py_neighbors"},
    # ---- darts (fastnas/spaces/darts*) --------------------------------------------------------
    "darts_is_valid": {"cpp": "fastnas._core:darts_is_valid", "python": "fastnas.spaces.darts_ref:darts_is_valid"},
    "darts_key": {"cpp": "fastnas._core:darts_key", "python": "fastnas.spaces.darts_ref:darts_key"},
    "darts_sample": {"cpp": "fastnas._core:darts_sample", "python": "fastnas.spaces.darts_ref:darts_sample"},
    "darts_mutate": {"cpp": "fastnas._core:darts_mutate", "python": "fastnas.spaces.darts_ref:darts_mutate"},
    "darts_neighbors": {"cpp": "fastnas._core:darts_neighbors", "python": "fastnas.spaces.darts_ref:darts_neighbors"},
    "darts_adjacency": {"cpp": "fastnas._core:darts_adjacency", "python": "fastnas.spaces.darts_ref:darts_adjacency"},
    "darts_path": {"cpp": "fastnas._core:darts_path", "python": "fastnas.spaces.darts_ref:darts_path"},
    "darts_gcn": {"cpp": "fastnas._core:darts_gcn", "python": "fastnas.spaces.darts_ref:darts_gcn"},
    "darts_parse_genotypes": {"cpp": "fastnas._core:darts_parse_genotypes", "python": "fastnas.spaces.darts_convert:parse_genotypes"},
    "darts_parse_zc": {"cpp": "fastnas._core:darts_parse_zc", "python": "fastnas.spaces.darts_convert:from_zc_keys"},
    "darts_format_zc": {"cpp": "fastnas._core:darts_format_zc", "python": "fastnas.spaces.darts_convert:to_zc_keys"},
    # ---- nbgraph (fastnas/spaces/nbgraph*) ----------------------------------------------------
    "nbgraph_canonical": {"cpp": "fastnas._core:nbgraph_canonical", "python": "fastnas.spaces.nbgraph_ref:nbgraph_canonical"},
    "nbgraph_hash": {"cpp": "fastnas._core:nbgraph_hash", "python": "fastnas.spaces.nbgraph_ref:nbgraph_hash"},
    "nbgraph_unhash": {"cpp": "fastnas._core:nbgraph_unhash", "python": "fastnas.spaces.nbgraph_ref:nbgraph_unhash"},
    "nbgraph_is_valid": {"cpp": "fastnas._core:nbgraph_is_valid", "python": "fastnas.spaces.nbgraph_ref:nbgraph_is_valid"},
    "nbgraph_sample": {"cpp": "fastnas._core:nbgraph_sample", "python": "fastnas.spaces.nbgraph_ref:nbgraph_sample"},
    "nbgraph_mutate": {"cpp": "fastnas._core:nbgraph_mutate", "python": "fastnas.spaces.nbgraph_ref:nbgraph_mutate"},
    "nbgraph_neighbors": {"cpp": "fastnas._core:nbgraph_neighbors", "python": "fastnas.spaces.nbgraph_ref:nbgraph_neighbors"},
    "nbgraph_onehot": {"cpp": "fastnas._core:nbgraph_onehot", "python": "fastnas.spaces.nbgraph_ref:nbgraph_onehot"},
    "nbgraph_gcn": {"cpp": "fastnas._core:nbgraph_gcn", "python": "fastnas.spaces.nbgraph_ref:nbgraph_gcn"},
    # ---- nasbench lookup (fastnas/nasbench) ---------------------------------------------------
    "nasbench_query": {
        "cpp": "fastnas._core:lookup_query",
        "python": "fastnas.nasbench._lookup:py_query",
    },
    "nasbench_crc32c": {"cpp": "fastnas._core:crc32c", "python": "fastnas.nasbench._crc32c:py_crc32c"},
    "nasbench_table": {"cpp": "fastnas._core:lookup_table", "python": "fastnas.nasbench._lookup:py_table"},
}

_override: str | None = None
_cache: dict[tuple[str, str], Callable] = {}
_resolved: dict[str, Callable] = {}  # op -> implementation under the current selection (get's fast path)
_module_errors: dict[str, str] = {}


def _module_for(backend: str) -> str | None:
    return {"cpp": "fastnas._core", "numba": "numba", "python": None}[backend]


def backend_error(backend: str) -> str:
    """Empty string if ``backend`` can load, else the reason it cannot."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
    mod = _module_for(backend)
    if mod is None:
        return ""
    if mod not in _module_errors:
        try:
            importlib.import_module(mod)
            _module_errors[mod] = ""
        except Exception as exc:  # the reason is reported, never swallowed
            _module_errors[mod] = f"{type(exc).__name__}: {exc}"
    return _module_errors[mod]


def requested() -> str | None:
    """The forced backend (``use()`` override, else ``FASTNAS_BACKEND``), or None for automatic."""
    if _override is not None:
        return _override
    env = os.environ.get("FASTNAS_BACKEND", "").strip().lower()
    if not env or env == "auto":
        return None
    if env not in BACKENDS:
        raise RuntimeError(f"FASTNAS_BACKEND={env!r} is not a backend; valid: {', '.join(BACKENDS)}, auto")
    return env


def _load(spec: str) -> Callable:
    mod, _, attr = spec.partition(":")
    return getattr(importlib.import_module(mod), attr)


def _choose(op: str, forced: str | None) -> str:
    impls = _TABLE[op]
    if forced is None:
        for b in BACKENDS:
            if b in impls and not backend_error(b):
                return b
        raise RuntimeError(f"no backend of operation {op!r} can load")  # pragma: no cover
    err = backend_error(forced)
    if err:
        raise RuntimeError(f"FASTNAS_BACKEND={forced} was requested but it cannot load: {err}")
    if forced in impls:
        return forced
    if forced in _COMPILED:
        for b in _COMPILED:
            if b in impls and not backend_error(b):
                return b
        raise RuntimeError(f"operation {op!r} has no compiled implementation (FASTNAS_BACKEND={forced})")
    raise RuntimeError(f"operation {op!r} has no {forced} implementation")


def get(op: str) -> Callable:
    """The implementation of ``op`` under the current backend selection.

    Hot path of every one-cell call: one dict lookup. ``FASTNAS_BACKEND`` is read when an op is first
    resolved and the choice is remembered until ``use()`` changes the selection or ``refresh()`` is
    called (reading ``os.environ`` on every call cost about half a microsecond).
    """
    fn = _resolved.get(op)
    if fn is not None:
        return fn
    fn = _resolve(op)
    _resolved[op] = fn
    return fn


def refresh() -> None:
    """Forget the resolved implementations, so the next ``get`` reads ``FASTNAS_BACKEND`` again."""
    _resolved.clear()


def _resolve(op: str) -> Callable:
    if op not in _TABLE:
        raise KeyError(f"unknown operation {op!r}")
    forced = requested()
    key = (op, forced or "auto")
    fn = _cache.get(key)
    if fn is None:
        fn = _load(_TABLE[op][_choose(op, forced)])
        _cache[key] = fn
    return fn


def selected(op: str) -> str:
    """Name of the backend ``get(op)`` uses now."""
    return _choose(op, requested())


def implementations(op: str) -> dict[str, Callable]:
    """Every implementation of ``op`` whose backend loads (for parity tests)."""
    out = {}
    for b, spec in _TABLE[op].items():
        if not backend_error(b):
            out[b] = _load(spec)
    return out


def ops() -> list[str]:
    return sorted(_TABLE)


def table() -> dict[str, dict[str, str]]:
    return {k: dict(v) for k, v in _TABLE.items()}


@contextlib.contextmanager
def use(backend: str | None):
    """Force a backend inside a ``with`` block (tests, benchmarks). ``None`` means automatic."""
    global _override
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
    old = _override
    _override = backend
    _resolved.clear()
    try:
        yield
    finally:
        _override = old
        _resolved.clear()


def config() -> dict:
    """What loaded: per backend the load error (or ''), and per op the backend in use."""
    try:
        forced = requested()
    except RuntimeError as exc:
        forced = str(exc)
    backends = {b: (backend_error(b) or "ok") for b in BACKENDS}
    per_op = {}
    for op in ops():
        try:
            per_op[op] = selected(op)
        except RuntimeError as exc:
            per_op[op] = f"ERROR: {exc}"
    return {"requested": forced or "auto", "backends": backends, "ops": per_op}

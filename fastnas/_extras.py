"""Optional extras: which pip extra provides which module, and the error that says so.

fastnas installs without torch, xgboost, lightgbm or Ray; the features that need one raise
:class:`MissingExtraError` (an ``ImportError``) naming the command that installs it, e.g.
``pip install "fastnas[torch]"``, never a bare ``ModuleNotFoundError``. The extras are declared in
``pyproject.toml`` (``[project.optional-dependencies]``).
"""
from __future__ import annotations

import importlib
import importlib.util

__all__ = ["EXTRAS", "PREDICTOR_NEEDS", "MissingExtraError", "install_hint", "require", "missing_extra",
           "predictor_missing"]

#: top-level module -> the fastnas extra that installs it
EXTRAS: dict[str, str] = {
    "torch": "torch",
    "xgboost": "boost",
    "lightgbm": "boost",
    "ray": "ray",
    "onnxruntime": "nb301",
    "onnx": "nb301",
    "nas_bench_graph": "benchdata",
    "ot": "nasbot",
}

#: registered predictor name -> the optional module it cannot work without (the others need only the core
#: dependencies; tests/unit/test_extras.py fits every other model-based predictor with the extras blocked)
PREDICTOR_NEEDS: dict[str, str] = {
    "xgb": "xgboost", "lgb": "lightgbm",
    "mlp": "torch", "bananas": "torch", "gcn": "torch", "gcn_wen": "torch", "bonas": "torch", "bonas_gcn": "torch", "dngo": "torch", "seminas": "torch",
    "nao": "torch", "omni_seminas": "torch", "bohamiann": "torch", "var_sparse_gp": "torch", "zc_live": "torch",
}


class MissingExtraError(ModuleNotFoundError):
    """An optional dependency is not installed; the message says which extra installs it."""


def install_hint(module: str) -> str:
    """The pip command that installs ``module`` with fastnas.

    >>> install_hint("xgboost")
    'pip install "fastnas[boost]"'
    """
    root = module.split(".")[0]
    extra = EXTRAS.get(root)
    return f'pip install "fastnas[{extra}]"' if extra else f"pip install {root}"


def _error(module: str, feature: str) -> MissingExtraError:
    root = module.split(".")[0]
    return MissingExtraError(f"{feature} needs {root}, which is not installed: {install_hint(root)}", name=root)


def require(module: str, feature: str):
    """Import ``module`` or raise :class:`MissingExtraError` saying that ``feature`` needs it and how to install it.

    >>> require("math", "arithmetic").sqrt(4.0)
    2.0
    >>> require("torch_that_is_not_there", "this demo")
    Traceback (most recent call last):
    ...
    fastnas._extras.MissingExtraError: this demo needs torch_that_is_not_there, which is not installed: pip install torch_that_is_not_there
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == module.split(".")[0]:
            raise _error(module, feature) from None
        raise


def missing_extra(exc: BaseException, feature: str) -> MissingExtraError | None:
    """The :class:`MissingExtraError` for a ``ModuleNotFoundError`` of an optional module, else None."""
    if isinstance(exc, MissingExtraError):
        return exc
    if isinstance(exc, ModuleNotFoundError) and exc.name and exc.name.split(".")[0] in EXTRAS:
        return _error(exc.name, feature)
    return None


def predictor_missing(name: str) -> str | None:
    """Why predictor ``name`` cannot run here (the module it needs and the install command), or None.

    Checks only that the module is installed (``importlib.util.find_spec``), without importing it.
    """
    module = PREDICTOR_NEEDS.get(str(name).lower())
    if module is None:
        return None
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    return None if found else f"needs {module}: {install_hint(module)}"

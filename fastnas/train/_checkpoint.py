"""Per-epoch checkpoints: ``state.pt`` (torch.save of plain state dicts, loadable with ``weights_only=True``)
and ``curves.json`` (the learning curves for people and other tools), both written atomically."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

__all__ = ["save_checkpoint", "load_checkpoint"]

STATE, CURVES = "state.pt", "curves.json"


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_checkpoint(directory: Path, state: dict[str, Any]) -> None:
    """Write ``state`` (model/optimizer state dicts, curves dict, config dict, flags) to ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    _atomic_write(directory / STATE, lambda f: torch.save(state, f))
    text = json.dumps({"config": state["config"], "stopped_early": state["stopped_early"], **state["curves"]},
                      indent=1)
    _atomic_write(directory / CURVES, lambda f: f.write(text.encode()))


def load_checkpoint(directory: Path) -> dict[str, Any] | None:
    """The saved state, or None when the directory holds no checkpoint. Uses ``weights_only=True``: only
    tensors and plain containers are unpickled."""
    p = directory / STATE
    if not p.exists():
        return None
    from .._safeload import torch_load_plain

    return torch_load_plain(p, "checkpoint")  # ValueError naming what fastnas accepts, never unsafe advice

"""The AutoML run's checkpoint: a JSON file of plain values (never pickle), rewritten atomically."""
from __future__ import annotations

import json
import os
from pathlib import Path


def load_state(path: Path) -> dict | None:
    """The saved state, or None when there is none."""
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as f:
        state = json.load(f)
    if not isinstance(state, dict) or state.get("format") != "fastnas-automl-1":
        raise ValueError(f"{path} is not a fastnas automl checkpoint")
    return state


def save_state(path: Path, state: dict) -> None:
    """Write ``state`` to ``path`` via a temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(state, f)
    os.replace(tmp, path)

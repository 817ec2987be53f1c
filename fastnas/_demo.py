"""``make demo``: a tour on real work (grows with each capability)."""
from __future__ import annotations

import os


def run(out: str = "demo-out", progress: bool = True) -> None:
    os.makedirs(out, exist_ok=True)
    import fastnas

    fastnas.show_config()

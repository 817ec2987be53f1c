"""One entry point for converting official benchmark files: ``convert(path)`` detects the format.

>>> from fastnas.nasbench.convert import detect
>>> detect("nasbench_only108.tfrecord"), detect("NATS-tss-v1_0-3ffb9.pickle.pbz2")
('nb101', 'nb201')
"""
from __future__ import annotations

from pathlib import Path

KINDS = ("nb101", "nb201")


def detect(path) -> str:
    """``"nb101"`` for TFRecord files, ``"nb201"`` for ``.pth`` / ``.pickle.pbz2`` / NATS archive directories."""
    p = Path(path)
    name = p.name.lower()
    if name.endswith(".tfrecord"):
        return "nb101"
    if name.endswith(".pth") or name.endswith(".pickle.pbz2") or (p.is_dir() and (p / "meta.pickle.pbz2").exists()):
        return "nb201"
    raise ValueError(f"{path}: cannot tell the benchmark from the name; pass kind= one of {KINDS}")


def convert(path, kind: str = "auto", root=None, *, progress: bool = True, **options) -> list[Path]:
    """Convert an official file into stores under ``root`` (default: the user cache); returns their paths."""
    kind = detect(path) if kind == "auto" else kind
    if kind == "nb101":
        from .nb101_tfrecord import convert_nb101

        return [convert_nb101(path, root, progress=progress, **options)]
    if kind == "nb201":
        from .nb201_official import convert_nb201

        return convert_nb201(path, root, progress=progress, **options)
    raise ValueError(f"unknown kind {kind!r}; valid: auto, {', '.join(KINDS)}")


def parse_cells(bench, texts):
    """Cells of ``bench``'s space from command-line text: NB201 arch strings or official indices; NB101 specs
    as JSON ``{"matrix": [[...]], "ops": [...]}``; DARTS (NB301) NAS-Bench-Suite-Zero keys."""
    import json

    import numpy as np

    space = bench.space
    if space.name == "nb201":
        parts = []
        for t in texts:
            if t.strip().lstrip("+-").isdigit():  # an official index (a negative one is out of range, not a string)
                try:
                    parts.append(space.from_index(np.array([int(t)])))
                except ValueError as exc:
                    raise ValueError(str(exc).removeprefix("row 0: ")) from None
            else:
                parts.append(space.from_strings([t]))
        return space.cells_type.concat(parts)
    if space.name == "nb101":
        mats, ops = [], []
        for t in texts:
            try:
                d = json.loads(t)
                mats.append(d["matrix"])
                ops.append(d["ops"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"NB101 cells are JSON specs with 'matrix' and 'ops', got {t!r}") from exc
        return space.from_specs(mats, ops)
    if space.name == "darts":  # NB301: NAS-Bench-Suite-Zero keys "[[(0, 3), (1, 5), ...], [...]]"
        return space.from_zc_keys(list(texts))
    raise ValueError(f"the CLI cannot parse cells of space {space.name!r}; use the Python API")

"""Build ``fastnas/data/nb201_index.npy``: the official NAS-Bench-201 / NATS-Bench (topology search space)
architecture index order in a compact form.

Input: ``../shared/data/nb201/nats_tss_arch_strings.json`` (the 15,625 arch strings of NATS-Bench
``NATS-tss-v1_0-3ffb9``, index order; NATS-Bench is MIT licensed). Output: a ``uint16`` array of length
15,625 whose entry ``i`` is the base-5 code of benchmark index ``i`` (code = sum_e ops[e] * 5**(5 - e), edges
in arch-string order, official op codes; see ``fastnas/spaces/nb201.py``).

Run from the repository root: ``.venv/bin/python scripts/build_nb201_index.py [path/to/strings.json]``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
# positions of (edge, expected source node) in the arch-string: |e01~0|+|e02~0|e12~1|+|e03~0|e13~1|e23~2|
_SRC = (0, 0, 1, 0, 1, 2)


def parse(s: str) -> list[int]:
    nodes = s.split("+")
    if len(nodes) != 3 or not all(n.startswith("|") and n.endswith("|") for n in nodes):
        raise ValueError(f"malformed arch string {s!r}")
    terms = [t for n in nodes for t in n[1:-1].split("|")]
    if len(terms) != 6:
        raise ValueError(f"malformed arch string {s!r}")
    ops = []
    for t, src in zip(terms, _SRC):
        name, _, j = t.partition("~")
        if name not in OPS or j != str(src):
            raise ValueError(f"bad term {t!r} in {s!r}")
        ops.append(OPS.index(name))
    return ops


def main(argv: list[str]) -> None:
    root = Path(__file__).resolve().parents[1]
    src = Path(argv[1]) if len(argv) > 1 else root.parent / "shared/data/nb201/nats_tss_arch_strings.json"
    strings = json.loads(src.read_text())
    if len(strings) != 15625:
        raise SystemExit(f"expected 15625 strings, got {len(strings)}")
    ops = np.array([parse(s) for s in strings], dtype=np.int64)
    codes = (ops * (5 ** np.arange(5, -1, -1))).sum(axis=1)
    if len(np.unique(codes)) != 15625:
        raise SystemExit("the index is not a permutation of the space")
    out = root / "fastnas/data/nb201_index.npy"
    np.save(out, codes.astype(np.uint16), allow_pickle=False)
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv)

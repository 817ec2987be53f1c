"""Compare a pytest-benchmark JSON run with the committed baseline by speed-up ratios, not times.

Each benchmark group pairs a fastnas call with its reference twin (``extra_info["role"]`` of
``"fastnas"`` / ``"reference"``, or, in the older suites, a test named ``*reference*`` / parametrised
``python`` beside ``cpp``). The tracked number of a group is reference time per cell / fastnas time per
cell, from the ``min`` of each (per-cell: ``extra_info["cells"]``, 1 if absent). A machine that is
loaded slows both sides alike, so the ratio stays put while absolute times do not; a code change that
slows fastnas shows as a ratio that dropped.

    python benchmarks/compare.py benchmarks/baseline.json .benchmarks/current.json [--tolerance 0.4] [--fail]
    python benchmarks/compare.py --write-baseline RUN.json [MORE.json ...] benchmarks/baseline.json
"""
from __future__ import annotations

import argparse
import json
import sys


def _role(b: dict) -> str | None:
    info = b.get("extra_info") or {}
    if "role" in info:
        return info["role"]
    name = b.get("name", "")
    if "reference" in name or "python" in name.split("[", 1)[-1]:
        return "reference"
    if "fastnas" in name or "cpp" in name.split("[", 1)[-1]:
        return "fastnas"
    return None


def ratios(doc: dict) -> dict[str, float]:
    """group -> reference per-cell time / fastnas per-cell time."""
    per: dict[str, dict[str, float]] = {}
    for b in doc.get("benchmarks", []):
        role = _role(b)
        if role not in ("fastnas", "reference"):
            continue
        info = b.get("extra_info") or {}
        group = info.get("pair") or b.get("group") or b.get("name")
        cells = float(info.get("cells", 1) or 1)
        per.setdefault(group, {})[role] = float(b["stats"]["min"]) / cells
    return {g: r["reference"] / r["fastnas"] for g, r in per.items() if {"fastnas", "reference"} <= set(r)}


def reduce(doc: dict) -> dict:
    """The fields the comparison reads (a small file to commit)."""
    keep = []
    for b in doc.get("benchmarks", []):
        keep.append({"name": b["name"], "group": b.get("group"), "extra_info": b.get("extra_info") or {},
                     "stats": {"min": b["stats"]["min"], "median": b["stats"]["median"]}})
    return {"machine_info": {k: doc.get("machine_info", {}).get(k) for k in ("node", "processor", "cpu")},
            "datetime": doc.get("datetime"), "benchmarks": keep}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("paths", nargs="+", metavar="JSON",
                   help="BASELINE CURRENT; with --write-baseline: RUN.json [MORE.json ...] OUT.json")
    p.add_argument("--tolerance", type=float, default=0.4,
                   help="flag a group whose ratio fell by more than this fraction (default 0.4: two runs on the loaded 2-core VM differed by up to 30 %)")
    p.add_argument("--fail", action="store_true", help="exit 1 when a group regressed")
    p.add_argument("--write-baseline", action="store_true",
                   help="merge the runs (later ones win per benchmark name), write their reduced form to the "
                        "last path and stop")
    a = p.parse_args(argv)
    if a.write_baseline:
        if len(a.paths) < 2:
            p.error("--write-baseline needs at least one run and an output path")
        merged: dict[str, dict] = {}
        doc = None
        for path in a.paths[:-1]:
            with open(path) as f:
                doc = reduce(json.load(f))
            merged.update({b["name"]: b for b in doc["benchmarks"]})
        doc["benchmarks"] = [merged[k] for k in sorted(merged)]
        with open(a.paths[-1], "w") as f:
            json.dump(doc, f, indent=1)
        print(f"wrote {len(doc['benchmarks'])} benchmarks to {a.paths[-1]}")
        return 0
    if len(a.paths) != 2:
        p.error("give BASELINE and CURRENT")
    with open(a.paths[0]) as f:
        base = ratios(json.load(f))
    with open(a.paths[1]) as f:
        cur = ratios(json.load(f))
    worse = []
    print(f"{'group':60s} {'baseline':>10s} {'current':>10s} {'change':>8s}")
    for g in sorted(set(base) | set(cur)):
        b, c = base.get(g), cur.get(g)
        if b is None or c is None:
            print(f"{g:60s} {'-' if b is None else f'{b:.2f}x':>10s} {'-' if c is None else f'{c:.2f}x':>10s}"
                  f" {'new' if b is None else 'missing':>8s}")
            continue
        change = c / b - 1.0
        flag = "  REGRESSION" if change < -a.tolerance else ""
        if flag:
            worse.append(g)
        print(f"{g:60s} {b:9.2f}x {c:9.2f}x {change:+7.0%}{flag}")
    print(f"\n{len(worse)} group(s) whose speed-up over the reference fell by more than {a.tolerance:.0%}")
    return 1 if (worse and a.fail) else 0


if __name__ == "__main__":
    sys.exit(main())

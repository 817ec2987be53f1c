"""Cross-check of the NB301 surrogate (YAHPO Gym) against the NAS-Bench-Suite-Zero table's ``val_accuracy``
(itself from the NAS-Bench-301 surrogate) on its 725 DARTS cells; writes the figure of docs/nb301.md.

    .venv/bin/python benchmarks/nb301_crosscheck.py [--out docs/nb301_suite_zero.png]

Prints the Spearman and Kendall correlations at several epochs, and what a wrong op order or exchanged
normal/reduction cells does to them (the mapping test of tests/unit/test_nasbench_nb301.py asserts a floor).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "docs" / "nb301_suite_zero.png"))
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import kendalltau, spearmanr

    from fastnas.nasbench import load, load_zc
    from fastnas.spaces.darts import DARTS

    bench = load("nb301")
    table = load_zc("nb301", "cifar10")
    cells, y = table.cells, np.asarray(table.val_accuracy)
    print("| surrogate epoch | Spearman | Kendall tau |")
    print("|---:|---:|---:|")
    for e in (10, 25, 50, 75, 98):
        p = bench.query(cells, epoch=e)
        print(f"| {e} | {spearmanr(p, y)[0]:.3f} | {kendalltau(p, y)[0]:.3f} |")
    p98 = bench.query(cells, epoch=98)
    ops, inputs = np.asarray(cells.ops), np.asarray(cells.inputs)
    wrong = {"op order permuted (2,4,3,6,5,0,1)": DARTS.from_arrays(inputs, np.array([2, 4, 3, 6, 5, 0, 1])[ops]),
             "normal and reduction cells exchanged": DARTS.from_arrays(inputs[:, ::-1], ops[:, ::-1])}
    for name, c in wrong.items():
        print(f"{name}: Spearman {spearmanr(bench.query(c, epoch=98), y)[0]:.3f}")
    rho = spearmanr(p98, y)[0]
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.scatter(y, p98, s=6, alpha=0.6, label=f"725 cells, Spearman {rho:.2f}")
    lo, hi = min(y.min(), p98.min()), max(y.max(), p98.max())
    ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, label="y = x")
    ax.set_xlabel("NAS-Bench-Suite-Zero val_accuracy (%, NB301 surrogate)")
    ax.set_ylabel("YAHPO NB301 surrogate accuracy at epoch 98 (%)")
    ax.set_title("fastnas load('nb301') vs Suite-Zero (both surrogates)", fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print("wrote", args.out)


if __name__ == "__main__":
    main()

"""fisher before and after the fan-in fix (issue 10 §1): Spearman vs accuracy on a fixed set of NB201 cells.

Cells: the first ``n`` (default 150) rows of ``numpy.random.default_rng(0).permutation`` over the 724 NB201
cells of the vendored NAS-Bench-Suite-Zero CIFAR-10 table (``fastnas.nasbench.load_zc``), so any prefix
is a uniform random subset; the figures are printed for the first 80 and for all ``n``. Networks:
``fastnas.models.build("nb201", cell)`` at full size (C=16, N=5), initialised by ``fastnas.zerocost``'s
per-cell seed (seed 0). Data: 64 synthetic CIFAR-shaped samples N(0, 1) with uniform labels 0..9 from a
torch generator seeded 0 (``data="synthetic"`` in the printed source line; no CIFAR-10 is available here).

"new" is ``fastnas.zerocost.score(..., "fisher")`` (the reference code's definition, each channel's F_k
times its fan-in); "old" is the pre-fix definition (sum of F_k without the factor), computed here on the
same networks and batch. Run: ``python benchmarks/zerocost_fisher_compare.py [n]`` (one torch thread;
about 2 x 0.5-1.5 s per cell on a 2-core CPU). Writes ``zerocost_fisher_compare.csv`` in the current folder.
"""
from __future__ import annotations

import sys
import time

import numpy as np
import torch
from torch import nn


def old_fisher(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """The pre-fix definition: sum over layers and channels of 0.5 * mean_n (sum_pos a * dL/da)^2."""
    acts = []

    def keep(_m, _i, out):
        out.retain_grad()
        acts.append(out)

    model.train()
    hs = [m.register_forward_hook(keep) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        nn.functional.cross_entropy(model(x), y).backward()
    finally:
        for h in hs:
            h.remove()
    total = 0.0
    for a in acts:
        if a.grad is not None:
            p = (a.detach() * a.grad).double()
            p = p.sum(dim=tuple(range(2, p.ndim))) if p.ndim > 2 else p
            total += float((0.5 * p.pow(2).mean(0)).sum())
    return total


def main(n: int = 150) -> None:
    import pandas as pd
    from scipy.stats import spearmanr
    from tqdm.auto import tqdm

    import fastnas.zerocost as zc
    from fastnas import models
    from fastnas.nasbench import load, load_zc

    torch.set_num_threads(1)
    table = load_zc("nb201", dataset="cifar10")
    rows = np.random.default_rng(0).permutation(len(table))[:n]
    cells = table.cells[rows]
    g = torch.Generator().manual_seed(0)
    X = torch.randn((64, 3, 32, 32), generator=g)
    y = torch.randint(0, 10, (64,), generator=g)
    t0 = time.perf_counter()
    new = zc.score("nb201", cells, "fisher", data=(X.numpy(), y.numpy()), num_classes=10, progress=True)
    t_new = time.perf_counter() - t0
    keys = zc.cell_keys(cells)
    old = np.empty(n)
    t0 = time.perf_counter()
    for i in tqdm(range(n), desc="pre-fix fisher", unit="net"):
        net = models.build("nb201", cells[i], seed=zc.row_seed(0, int(keys[i])))  # the same network as score's
        old[i] = old_fisher(net, X, y)
    t_old = time.perf_counter() - t0
    acc_valid = np.asarray(load("nb201", dataset="cifar10-valid").query(cells, metric="accuracy", split="valid"),
                           dtype=np.float64)
    df = pd.DataFrame({"table_row": rows, "fisher_new": new, "fisher_old": old,
                       "fisher_nas_bench_suite_zero": np.asarray(table.scores("fisher"))[rows],
                       "val_acc_suite_zero": table.val_accuracy[rows], "cifar10_valid_acc": acc_valid,
                       "data": "synthetic: 64 x N(0,1) 3x32x32, labels U{0..9}, torch seed 0"})
    df.to_csv("zerocost_fisher_compare.csv", index=False)
    print(f"\ndata: synthetic (no CIFAR-10 here); {n} cells; wall {t_new:.0f} s new, {t_old:.0f} s old")
    for m in (80, n):
        d = df.iloc[:m]
        print(f"first {m} cells: Spearman vs cifar10-valid accuracy (bundled): "
              f"old {spearmanr(d.fisher_old, d.cifar10_valid_acc).statistic:+.3f}  "
              f"new {spearmanr(d.fisher_new, d.cifar10_valid_acc).statistic:+.3f}; "
              f"vs Suite-Zero val acc: old {spearmanr(d.fisher_old, d.val_acc_suite_zero).statistic:+.3f}  "
              f"new {spearmanr(d.fisher_new, d.val_acc_suite_zero).statistic:+.3f}; "
              f"vs Suite-Zero's own fisher: old "
              f"{spearmanr(d.fisher_old, d.fisher_nas_bench_suite_zero).statistic:+.3f}  "
              f"new {spearmanr(d.fisher_new, d.fisher_nas_bench_suite_zero).statistic:+.3f}")
    ref = df.fisher_nas_bench_suite_zero
    print(f"Suite-Zero's fisher vs its val acc (all {n}): {spearmanr(ref, df.val_acc_suite_zero).statistic:+.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 150)

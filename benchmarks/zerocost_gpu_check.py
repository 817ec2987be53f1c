"""GPU check for the zero-cost proxies (issue 12): grouped passes on CUDA equal the CPU, and per-cell times.

Prepared for a session that is lent a GPU (about 1-3 minutes there); never needed by CI. On CUDA it
scores ``n`` random NB201 cells (full size, C=16, N=5, batch 64 synthetic CIFAR-shaped) with every proxy
one network at a time on the CPU (the reference values), then on the GPU one at a time and grouped
(``group_size=B``), and checks both GPU results against the CPU ones (float32 networks: rtol 1e-3 for
gradient proxies; NaN where the CPU has NaN). Prints seconds per cell for each run.

``python benchmarks/zerocost_gpu_check.py [n_cells] [group] [device]`` (defaults 8, 8, cuda). With
``device=cpu`` it runs the same comparison on the CPU (a dry run of the script; slow at full size, so pass
a small ``n_cells``). Exit status 1 if a value disagrees, 2 if the device is missing.
"""
from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import torch


def main(n: int = 8, group: int = 8, device: str = "cuda") -> int:
    import fastnas.zerocost as zc
    from fastnas.spaces import NB201

    if device.startswith("cuda") and not torch.cuda.is_available():
        print("no CUDA device: nothing to check")
        return 2
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", RuntimeWarning)
    cells = NB201().sample(n, seed=0)
    names = sorted(zc.PROXIES)
    runs = {}
    for label, dev, g in (("reference: cpu, one at a time", "cpu", 1), (f"{device}, one at a time", device, 1),
                          (f"{device}, grouped {group}", device, group)):
        t0 = time.perf_counter()
        runs[label] = zc.score_table("nb201", cells, names, data="synthetic", device=dev, group_size=g)
        wall = time.perf_counter() - t0
        tab = runs[label]
        print(f"{label}: {wall / n:.3f} s/cell wall incl. build; per proxy s/cell: "
              + "  ".join(f"{p} {tab['time_' + p].mean():.3f}" for p in names), flush=True)
    ref = runs["reference: cpu, one at a time"]
    ok = True
    for label, tab in runs.items():
        if label.startswith("reference"):
            continue
        for p in names:
            a, b = tab[p].to_numpy(), ref[p].to_numpy()
            same_nan = np.array_equal(np.isnan(a), np.isnan(b))
            close = np.allclose(a, b, rtol=1e-3, atol=1e-6, equal_nan=True)
            if not (same_nan and close):
                ok = False
                rel = np.nanmax(np.abs(a - b) / np.maximum(np.abs(b), 1e-12))
                print(f"MISMATCH {label} {p}: max relative difference {rel:.2e}")
    print("all proxies agree with the CPU" if ok else "some proxies disagree (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(main(int(args[0]) if args else 8, int(args[1]) if len(args) > 1 else 8,
                  args[2] if len(args) > 2 else "cuda"))

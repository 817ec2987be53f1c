"""GPU check for the zero-cost proxies (issue 12): grouped passes on CUDA equal the CPU, and per-cell times.

Prepared for a session that is lent a GPU (estimated 2-4 minutes there, not yet run on one); never needed by
CI. On CUDA it scores, for each space with grouped passes,

* ``n`` random NB201 cells (full size, C=16, N=5),
* ``--darts`` random DARTS cells (``layers=8`` as NAS-Bench-301, C=``--darts-width``, default 16),
* ``--nb101`` random NB101 cells (3 stacks of ``--nb101-cells`` cells, stem ``--nb101-width``; defaults 1
  and 32, a reduced NB101: the full one, 3 x 3 cells at 128, would take minutes per cell for the CPU
  reference),

with every proxy (batch 64 synthetic CIFAR-shaped) one network at a time on the CPU (the reference values,
one thread), then on the GPU one at a time and grouped (``group_size=B``), and checks both GPU results against
the CPU ones (float32 networks: rtol 1e-3 for gradient proxies; NaN where the CPU has NaN). Prints seconds per
cell for each run.

``python benchmarks/zerocost_gpu_check.py [n_cells] [group] [device] [--darts 4] [--nb101 4] ...`` (defaults
8, 8, cuda). With ``device=cpu`` it runs the same comparison on the CPU (a dry run of the script; slow at
full size, so pass small sizes, e.g. ``2 2 cpu --darts 2 --darts-width 4 --darts-layers 3 --nb101 2
--nb101-width 8``). A count of 0 skips that space. Exit status 1 if a value disagrees, 2 if the device is
missing.
"""
from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import torch


def _check_space(space: str, cells, names, device: str, group: int, build_kw: dict) -> bool:
    import fastnas.zerocost as zc

    n = len(cells)
    runs = {}
    for label, dev, g in (("reference: cpu, one at a time", "cpu", 1), (f"{device}, one at a time", device, 1),
                          (f"{device}, grouped {group}", device, group)):
        t0 = time.perf_counter()
        runs[label] = zc.score_table(space, cells, names, data="synthetic", device=dev, group_size=g, **build_kw)
        wall = time.perf_counter() - t0
        tab = runs[label]
        print(f"{space} {label}: {wall / n:.3f} s/cell wall incl. build; per proxy s/cell: "
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
                print(f"MISMATCH {space} {label} {p}: max relative difference {rel:.2e}")
    return ok


def main(n: int = 8, group: int = 8, device: str = "cuda", n_darts: int = 4, darts_width: int = 16,
         darts_layers: int = 8, n_nb101: int = 4, nb101_width: int = 32, nb101_cells: int = 1) -> int:
    import fastnas.zerocost as zc
    from fastnas.spaces import DARTS, NB101, NB201

    if device.startswith("cuda") and not torch.cuda.is_available():
        print("no CUDA device: nothing to check")
        return 2
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", RuntimeWarning)
    names = sorted(zc.PROXIES)
    ok = True
    if n > 0:
        ok &= _check_space("nb201", NB201().sample(n, seed=0), names, device, min(group, n), {})
    if n_darts > 0:
        ok &= _check_space("darts", DARTS().sample(n_darts, seed=0), names, device, min(group, n_darts),
                           dict(width=darts_width, layers=darts_layers))
    if n_nb101 > 0:
        ok &= _check_space("nb101", NB101().sample(n_nb101, seed=0), names, device, min(group, n_nb101),
                           dict(width=nb101_width, cells_per_stack=nb101_cells))
    print("all proxies agree with the CPU" if ok else "some proxies disagree (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n_cells", nargs="?", type=int, default=8, help="NB201 cells (0: skip)")
    ap.add_argument("group", nargs="?", type=int, default=8, help="networks per grouped pass")
    ap.add_argument("device", nargs="?", default="cuda")
    ap.add_argument("--darts", type=int, default=4, help="DARTS cells (0: skip)")
    ap.add_argument("--darts-width", type=int, default=16)
    ap.add_argument("--darts-layers", type=int, default=8)
    ap.add_argument("--nb101", type=int, default=4, help="NB101 cells (0: skip)")
    ap.add_argument("--nb101-width", type=int, default=32)
    ap.add_argument("--nb101-cells", type=int, default=1, help="cells per stack")
    a = ap.parse_args()
    sys.exit(main(a.n_cells, a.group, a.device, a.darts, a.darts_width, a.darts_layers, a.nb101, a.nb101_width,
                  a.nb101_cells))

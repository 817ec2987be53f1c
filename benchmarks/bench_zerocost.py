"""Zero-cost proxy benchmarks.

CI-sized (``pytest benchmarks/bench_zerocost.py --benchmark-only``):
  * every proxy through ``fastnas.zerocost.score`` on NB201 networks at the benchmark's size
    (C=16, N=5, CIFAR-shaped random batch of 64), beside
  * a definition-level synflow written inline here (no fastnas code: deep copy, BN -> identity, |theta|,
    float64, ones input, sum |theta * grad| over Conv2d/Linear weights) -- the "reference" row; the
    ratio is the overhead of the API, not a kernel speed-up (both are torch);
  * all 12 proxies with a twin per cell: the reference code's protocol (a fresh copy and one proxy at a
    time, ``tests/unit/_zerocost_reference.py``) beside ``score_table`` (shared passes) one network at a
    time and grouped two per pass. ``benchmarks/zerocost_sweep_timing.py`` runs the same on more cells
    and extrapolates the full sweep.

Not in CI (long; results go to benchmarks/README.md):
  * ``FASTNAS_FULL_SWEEP=1``: synflow of all 15,625 NB201 cells (or ``FASTNAS_SWEEP_SUBSET=n`` random
    cells), time per cell on CPU (one torch thread) or the GPU, Spearman vs bundled cifar10-valid
    accuracy; writes ``zerocost_sweep.npz`` in the current folder.
  * ``FASTNAS_ZC_COMPARE=n``: all 13 proxies on n cells of the vendored NAS-Bench-Suite-Zero CIFAR-10
    table (``fastnas.nasbench.load_zc``), rank correlation with its scores per proxy, on a random
    CIFAR-10-shaped batch (no CIFAR-10 here).
"""
from __future__ import annotations

import copy
import os
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import fastnas.zerocost as zc  # noqa: E402
from fastnas.spaces import NB201  # noqa: E402

CELLS = NB201.from_strings([
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
])


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@pytest.mark.parametrize("proxy", sorted(zc.PROXIES))
def test_bench_proxy_nb201(benchmark, proxy):
    benchmark.group = "zerocost NB201 C=16 N=5, 2 cells, batch 64"
    out = benchmark.pedantic(zc.score, args=("nb201", CELLS, proxy), kwargs={"data": "synthetic"}, rounds=2,
                             iterations=1)
    assert out.shape == (2,)


def _synflow_by_definition(net: nn.Module) -> float:
    net = copy.deepcopy(net)

    def strip(m):
        for name, ch in list(m.named_children()):
            if isinstance(ch, nn.BatchNorm2d):
                setattr(m, name, nn.Identity())
            else:
                strip(ch)

    strip(net)
    net = net.double()
    with torch.no_grad():
        for t in net.state_dict().values():
            t.abs_()
    net(torch.ones((1, 3, 32, 32), dtype=torch.float64)).sum().backward()
    return float(sum((m.weight * m.weight.grad).abs().sum() for m in net.modules()
                     if isinstance(m, (nn.Conv2d, nn.Linear)) and m.weight.grad is not None))


def test_bench_synflow_reference(benchmark):
    from fastnas.models import build

    benchmark.group = "zerocost NB201 C=16 N=5, 2 cells, batch 64"

    def run():
        out = []
        for i in range(len(CELLS)):
            out.append(_synflow_by_definition(build("nb201", CELLS[i],
                                                    seed=zc.row_seed(0, int(zc.cell_keys(CELLS[i])[0])))))
        return np.array(out)

    ref = benchmark.pedantic(run, rounds=2, iterations=1)
    # same networks, same definition: the same numbers as the library
    np.testing.assert_allclose(ref, zc.score("nb201", CELLS, "synflow"), rtol=1e-9)


def _reference_protocol():
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "unit"))
    from _zerocost_reference import REFERENCE

    return REFERENCE


def test_bench_all_proxies_reference_protocol(benchmark):
    """The reference code's protocol: per cell and proxy a fresh network copy and that proxy alone (the
    float64-capable twin of zero-cost-nas / NASLib in tests/unit/_zerocost_reference.py; 12 proxies)."""
    from fastnas.models import build

    benchmark.group = "zerocost NB201 C=16 N=5, 2 cells, all proxies"
    ref = _reference_protocol()
    x, y = zc._data.minibatch("synthetic", batch_size=64, input_shape=(3, 32, 32), num_classes=10, seed=0,
                              device="cpu")

    def run():
        for i in range(len(CELLS)):
            net = build("nb201", CELLS[i], seed=zc.row_seed(0, int(zc.cell_keys(CELLS[i])[0])))
            for p, fn in ref.items():
                fn(copy.deepcopy(net), x, y, **({"num_classes": 10} if p == "epe_nas" else {}))

    benchmark.pedantic(run, rounds=1, iterations=1)


@pytest.mark.parametrize("group", [1, 2])
def test_bench_all_proxies_fastnas(benchmark, group):
    benchmark.group = "zerocost NB201 C=16 N=5, 2 cells, all proxies"
    names = list(_reference_protocol())
    out = benchmark.pedantic(zc.score_table, args=("nb201", CELLS, names), rounds=1, iterations=1,
                             kwargs=dict(data="synthetic", group_size=group))
    assert len(out) == 2


def _spearman(a, b) -> float:
    from scipy.stats import spearmanr

    ok = np.isfinite(a) & np.isfinite(b)
    return float(spearmanr(a[ok], b[ok]).statistic)


@pytest.mark.skipif(os.environ.get("FASTNAS_FULL_SWEEP") != "1", reason="long: set FASTNAS_FULL_SWEEP=1")
def test_full_nb201_synflow_sweep():
    from fastnas.nasbench import load

    cells = NB201().enumerate()
    subset = int(os.environ.get("FASTNAS_SWEEP_SUBSET", "0"))
    rows = np.arange(len(cells))
    if subset:
        rows = np.sort(np.random.default_rng(0).choice(len(cells), size=subset, replace=False))
    t0 = time.perf_counter()
    syn, secs = zc.score("nb201", cells[rows], "synflow", return_time=True, progress=True)
    wall = time.perf_counter() - t0
    acc = load("nb201", dataset="cifar10-valid").query(cells[rows], metric="accuracy", split="valid")
    rho = _spearman(syn, np.asarray(acc, dtype=np.float64))
    np.savez("zerocost_sweep.npz", rows=rows, synflow=syn, seconds=secs, accuracy=acc,
             data=np.array("none (data-free proxy)"))
    print(f"\nsynflow sweep: {len(rows)} cells, {wall:.0f}s wall, {secs.mean() * 1e3:.1f} ms/cell proxy, "
          f"{wall / len(rows) * 1e3:.1f} ms/cell incl. build; Spearman vs cifar10-valid {rho:.3f}; "
          f"NaN {int(np.isnan(syn).sum())}")
    assert 0.6 < rho < 0.85  # published 0.737 (vs test accuracy); NAS-Bench-Suite-Zero 0.74 (valid)


@pytest.mark.skipif(not os.environ.get("FASTNAS_ZC_COMPARE"), reason="long: set FASTNAS_ZC_COMPARE=<cells>")
def test_rank_correlation_with_nas_bench_suite_zero():
    from fastnas.nasbench import load_zc

    table = load_zc("nb201", dataset="cifar10")
    n = int(os.environ["FASTNAS_ZC_COMPARE"])
    rows = np.sort(np.random.default_rng(0).choice(len(table), size=min(n, len(table)), replace=False))
    cells = table.cells[rows]
    g = torch.Generator().manual_seed(0)
    X = torch.randn((64, 3, 32, 32), generator=g).numpy()
    y = torch.randint(0, 10, (64,), generator=g).numpy()
    ours = zc.score_table("nb201", cells, data=(X, y), progress=True)
    print(f"\ndata: {ours.attrs['data']} (random CIFAR-10-shaped stand-in, torch seed 0)")
    acc = table.val_accuracy[rows]
    for p in zc.PROXIES:
        name = zc.NASLIB_NAMES.get(p, p)
        vs_theirs = "  n/a " if name not in table.proxies else \
            f"{_spearman(ours[p].to_numpy(), np.asarray(table.scores(name)[rows], dtype=np.float64)):+.3f}"
        print(f"{p:10s} Spearman vs NAS-Bench-Suite-Zero {vs_theirs}  vs val acc "
              f"{_spearman(ours[p].to_numpy(), acc):+.3f}  ms/cell {ours['time_' + p].mean() * 1e3:.0f}")

"""NAS-Bench-201 (NATS-Bench topology search space) networks and their exact parameter counts.

Macro skeleton (Dong & Yang, "NAS-Bench-201", ICLR 2020, section 2.1; NATS-Bench ``TinyNetwork``):
stem conv3x3 (C channels) + BN; three stages of N cells at C, 2C, 4C channels with a residual reduction
block (ResNet basic block, stride 2) between stages; BN + ReLU; global average pooling; a linear
classifier. The cell has 4 nodes; node j is the sum over i < j of op_ij(node i) and the cell output is
node 3. Edge order (0,1), (0,2), (1,2), (0,3), (1,3), (2,3); op codes 0 none, 1 skip_connect,
2 nor_conv_1x1, 3 nor_conv_3x3, 4 avg_pool_3x3 (ReLU-Conv-BN convolutions; 3x3 average pooling with
stride 1, padding 1 and ``count_include_pad=False``).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from ._layers import ReLUConvBN, ResidualReduction, Zero
from ._seed import seeded_init

__all__ = ["NB201Network", "NB201Cell", "nb201_param_counts", "NB201_OPS", "NB201_EDGES"]

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NB201_EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))


def _nb201_op(code: int, c: int) -> nn.Module:
    if code == 0:
        return Zero(1)
    if code == 1:
        return nn.Identity()
    if code == 2:
        return ReLUConvBN(c, c, 1, 1, 0)
    if code == 3:
        return ReLUConvBN(c, c, 3, 1, 1)
    if code == 4:
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(f"NB201 op code {code} is not in 0..4")


def check_nb201_ops(ops) -> np.ndarray:
    """Validate one cell's op codes: 6 integers in 0..4 (returns them as an int64 array)."""
    a = np.asarray(ops)
    if a.ndim == 2 and a.shape[0] == 1:
        a = a[0]
    if a.shape != (6,):
        raise ValueError(f"an NB201 cell has 6 edge ops, got an array of shape {a.shape}")
    if a.dtype.kind not in "iu":
        raise TypeError(f"NB201 op codes must be integers, got dtype {a.dtype}")
    bad = np.flatnonzero((a < 0) | (a > 4))
    if bad.size:
        e = int(bad[0])
        raise ValueError(f"NB201 edge {e} {NB201_EDGES[e]}: op code {int(a[e])} is not in 0..4 "
                         f"({', '.join(NB201_OPS)})")
    return a.astype(np.int64)


class NB201Cell(nn.Module):
    """One NB201 cell at ``c`` channels (stride 1). Every edge holds its op module (``none`` edges too,
    as in the benchmark), so parameter counts include convolutions on edges whose input is unused."""

    def __init__(self, ops: Sequence[int], c: int):
        super().__init__()
        self.codes = tuple(int(v) for v in check_nb201_ops(ops))
        self.edges = nn.ModuleList(_nb201_op(code, c) for code in self.codes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for j in range(1, 4):
            acc = None
            for e, (i, jj) in enumerate(NB201_EDGES):
                if jj != j or self.codes[e] == 0:
                    continue  # a none edge adds zeros
                out = self.edges[e](nodes[i])
                acc = out if acc is None else acc + out
            nodes.append(torch.zeros_like(x) if acc is None else acc)
        return nodes[3]


@seeded_init
class NB201Network(nn.Module):
    """The NAS-Bench-201 network of one cell.

    Parameters
    ----------
    ops : sequence of 6 ints
        Edge op codes (0 none, 1 skip_connect, 2 nor_conv_1x1, 3 nor_conv_3x3, 4 avg_pool_3x3) in edge
        order (0,1), (0,2), (1,2), (0,3), (1,3), (2,3), e.g. ``NB201Cells.ops[i]``.
    C : int
        Channels of the first stage (16 in the benchmark); stages use C, 2C, 4C.
    N : int
        Cells per stage (5 in the benchmark).
    num_classes, in_channels : int
        Classifier outputs and input image channels.

    seed : int >= 0 or numpy Generator, keyword-only
        Initial weights (default 0): drawn under ``torch.random.fork_rng`` from this seed alone; torch's global
        RNG is left as it was (see ``fastnas/models/_seed.py``).

    Examples
    --------
    >>> import torch
    >>> net = NB201Network([3, 3, 3, 1, 3, 2], C=4, N=1, num_classes=3)
    >>> net(torch.zeros(2, 3, 8, 8)).shape
    torch.Size([2, 3])
    """

    def __init__(self, ops: Sequence[int], C: int = 16, N: int = 5, num_classes: int = 10, in_channels: int = 3):
        super().__init__()
        _check_positive(C=C, N=N, num_classes=num_classes, in_channels=in_channels)
        self.ops = tuple(int(v) for v in check_nb201_ops(ops))
        self.stem = nn.Sequential(nn.Conv2d(in_channels, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        layers: list[nn.Module] = []
        c_prev = C
        for stage, c in enumerate((C, 2 * C, 4 * C)):
            if stage > 0:
                layers.append(ResidualReduction(c_prev, c, 2))
            layers.extend(NB201Cell(self.ops, c) for _ in range(N))
            c_prev = c
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=False))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.lastact(self.cells(self.stem(x)))
        return self.classifier(torch.flatten(self.pool(x), 1))


def nb201_param_counts(ops, C: int = 16, N: int = 5, num_classes: int = 10, in_channels: int = 3) -> np.ndarray:
    """Exact trainable-parameter counts of ``NB201Network`` for a batch of cells, without building them.

    Vectorised over rows: the skeleton (stem, two reduction blocks, last BN, classifier) is fixed and each
    cell adds ``c*c + 2c`` per nor_conv_1x1 edge and ``9*c*c + 2c`` per nor_conv_3x3 edge at each of the
    stage widths c in (C, 2C, 4C), N times. At C=16, N=5 and 10 classes these equal the benchmark's
    ``params`` column (in MB: divide by 1e6).

    Parameters
    ----------
    ops : int array (n, 6) or ``NB201Cells``
        Edge op codes per row.

    Returns
    -------
    int64 array (n,)

    Examples
    --------
    >>> nb201_param_counts([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 3]]).tolist()
    [73306, 316346]
    """
    _check_positive(C=C, N=N, num_classes=num_classes, in_channels=in_channels)
    a = np.asarray(getattr(ops, "ops", ops))
    if a.ndim != 2 or a.shape[1] != 6:
        raise ValueError(f"ops must have shape (n, 6), got {a.shape}")
    if a.dtype.kind not in "iu":
        raise TypeError(f"NB201 op codes must be integers, got dtype {a.dtype}")
    bad = np.argwhere((a < 0) | (a > 4))
    if bad.size:
        r, e = (int(v) for v in bad[0])
        raise ValueError(f"row {r}, edge {e}: op code {int(a[r, e])} is not in 0..4")

    def bn(c):
        return 2 * c

    def reduction(ci, co):  # conv_a 3x3, conv_b 3x3 (each + BN) and the 1x1 shortcut conv
        return 9 * ci * co + bn(co) + 9 * co * co + bn(co) + ci * co

    widths = (C, 2 * C, 4 * C)
    fixed = 9 * in_channels * C + bn(C) + reduction(C, 2 * C) + reduction(2 * C, 4 * C)
    fixed += bn(4 * C) + 4 * C * num_classes + num_classes
    n1 = (a == 2).sum(axis=1).astype(np.int64)
    n3 = (a == 3).sum(axis=1).astype(np.int64)
    per_cell = sum(n1 * (c * c + bn(c)) + n3 * (9 * c * c + bn(c)) for c in widths)
    return fixed + N * per_cell


def _check_positive(**values) -> None:
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(v).__name__}")
        if v < 1:
            raise ValueError(f"{name} must be >= 1, got {v}")

"""NAS-Bench-101 networks (Ying et al., "NAS-Bench-101", ICML 2019, section 2.2 and the benchmark's model
builder; facts only).

Skeleton: stem conv3x3-BN-ReLU (128 channels); 3 stacks of 3 cells; before stacks 2 and 3 a 2x2 max-pool with
stride 2 halves the resolution and the cell output channels double; global average pooling; a dense layer.

A cell (pruned first: only vertices on an input -> output path remain) computes, for each interior vertex t in
topological order, the sum of its inputs (tensors of earlier interior vertices, truncated to t's channels, and a
1x1 conv-BN-ReLU projection of the cell input when the input feeds t) and applies t's op (conv3x3-BN-ReLU,
conv1x1-BN-ReLU or 3x3 max-pool with stride 1). The output concatenates the vertices that feed it and adds a
projection of the cell input when the input feeds the output directly. Channels: the output channels are split
evenly among the vertices that feed the output (the first ``C mod k`` get one extra); every other interior vertex
takes the maximum of its successors' channels.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ._layers import ConvBNReLU
from ._seed import seeded_init
from ..spaces.nb101_channels import nb101_vertex_channels  # noqa: F401 - re-exported

__all__ = ["NB101Network", "NB101Cell", "nb101_prune", "nb101_vertex_channels", "nb101_param_counts"]

INPUT, OUTPUT, CONV3X3, CONV1X1, MAXPOOL, PAD = -1, -2, 0, 1, 2, -3


def nb101_prune(matrix, ops) -> tuple[np.ndarray, np.ndarray]:
    """One cell's (matrix, ops) checked and pruned to the vertices on an input -> output path.

    ``matrix`` (V, V) strictly upper-triangular 0/1, ``ops`` (V,) with input -1 first, output -2 at the last real
    vertex, inner ops in {0, 1, 2}; trailing padding vertices (op -3, no edges) are dropped.

    >>> m, o = nb101_prune([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]], [-1, 0, 2, -2])
    >>> o.tolist()
    [-1, 0, -2]
    """
    m = np.asarray(matrix)
    o = np.asarray(ops)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or o.shape != (m.shape[0],):
        raise ValueError(f"an NB101 cell needs a square matrix and one op per vertex, got {m.shape} and {o.shape}")
    if m.dtype.kind not in "biu" or o.dtype.kind not in "iu":
        raise TypeError(f"NB101 matrix and ops must be integer arrays, got {m.dtype} and {o.dtype}")
    v = int(np.sum(o != PAD))
    if (o[v:] != PAD).any() or m[v:].any() or m[:, v:].any():
        raise ValueError("NB101 padding vertices (op -3) must come last and have no edges")
    m, o = m[:v, :v].astype(np.int64), o[:v].astype(np.int64)
    if v < 2 or o[0] != INPUT or o[-1] != OUTPUT:
        raise ValueError("an NB101 cell starts with the input (-1) and ends with the output (-2), "
                         f"got ops {o.tolist()}")
    if not np.isin(m, (0, 1)).all() or np.tril(m).any():
        raise ValueError("the NB101 matrix must be strictly upper-triangular with 0/1 entries")
    bad = [i for i in range(1, v - 1) if o[i] not in (CONV3X3, CONV1X1, MAXPOOL)]
    if bad:
        raise ValueError(f"NB101 vertex {bad[0]}: op {o[bad[0]]} is not conv3x3 (0), conv1x1 (1) or maxpool (2)")
    fwd = np.zeros(v, bool)
    fwd[0] = True
    for j in range(1, v):
        fwd[j] = bool((m[:j, j] & fwd[:j]).any())
    bwd = np.zeros(v, bool)
    bwd[v - 1] = True
    for i in range(v - 2, -1, -1):
        bwd[i] = bool((m[i, i + 1:] & bwd[i + 1:]).any())
    if not fwd[v - 1]:
        raise ValueError("the NB101 cell's input does not reach its output")
    keep = np.flatnonzero(fwd & bwd)
    return m[np.ix_(keep, keep)], o[keep]


class NB101Cell(nn.Module):
    """One NB101 cell (a pruned ``matrix``/``ops`` pair) from ``c_in`` to ``c_out`` channels."""

    def __init__(self, matrix: np.ndarray, ops: np.ndarray, c_in: int, c_out: int):
        super().__init__()
        self.matrix = matrix
        v = matrix.shape[0]
        self.ch = nb101_vertex_channels(c_in, c_out, matrix)
        self.proj = nn.ModuleDict()
        self.vertex_ops = nn.ModuleDict()
        for t in range(1, v - 1):
            if matrix[0, t]:
                self.proj[str(t)] = ConvBNReLU(c_in, self.ch[t], 1)
            op = int(ops[t])
            if op == CONV3X3:
                self.vertex_ops[str(t)] = ConvBNReLU(self.ch[t], self.ch[t], 3)
            elif op == CONV1X1:
                self.vertex_ops[str(t)] = ConvBNReLU(self.ch[t], self.ch[t], 1)
            else:
                self.vertex_ops[str(t)] = nn.MaxPool2d(3, stride=1, padding=1)
        if matrix[0, v - 1]:
            self.proj[str(v - 1)] = ConvBNReLU(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m, v = self.matrix, self.matrix.shape[0]
        tensors = [x]
        out_in = []
        for t in range(1, v - 1):
            add = [tensors[s][:, : self.ch[t]] for s in range(1, t) if m[s, t]]
            if m[0, t]:
                add.append(self.proj[str(t)](x))
            h = add[0]
            for a in add[1:]:
                h = h + a
            tensors.append(self.vertex_ops[str(t)](h))
            if m[t, v - 1]:
                out_in.append(tensors[t])
        if not out_in:
            return self.proj[str(v - 1)](x)
        out = out_in[0] if len(out_in) == 1 else torch.cat(out_in, 1)
        if m[0, v - 1]:
            out = out + self.proj[str(v - 1)](x)
        return out


@seeded_init
class NB101Network(nn.Module):
    """The NAS-Bench-101 network of one cell.

    Parameters
    ----------
    matrix : (V, V) 0/1 array
        Adjacency of the cell (``NB101Cells.matrix[i]``; padded 7x7 accepted).
    ops : (V,) int array
        Op codes: input -1, output -2, conv3x3 0, conv1x1 1, maxpool3x3 2, padding -3.
    stem_channels : int
        Stem width (128 in the benchmark); stack s has ``stem_channels * 2**s`` output channels.
    stacks, cells_per_stack : int
        3 and 3 in the benchmark.

    seed : int >= 0 or numpy Generator, keyword-only
        Initial weights (default 0): drawn under ``torch.random.fork_rng`` from this seed alone; torch's global
        RNG is left as it was (see ``fastnas/models/_seed.py``).

    Examples
    --------
    >>> import torch
    >>> m = [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    >>> net = NB101Network(m, [-1, 0, -2], stem_channels=4, stacks=2, cells_per_stack=1)
    >>> net(torch.zeros(2, 3, 8, 8)).shape
    torch.Size([2, 10])
    """

    def __init__(self, matrix, ops, stem_channels: int = 128, stacks: int = 3, cells_per_stack: int = 3,
                 num_classes: int = 10, in_channels: int = 3):
        super().__init__()
        from .nb201 import _check_positive

        _check_positive(stem_channels=stem_channels, stacks=stacks, cells_per_stack=cells_per_stack,
                        num_classes=num_classes, in_channels=in_channels)
        self.matrix, self.ops = nb101_prune(matrix, ops)
        self.stem = ConvBNReLU(in_channels, stem_channels, 3)
        layers: list[nn.Module] = []
        c = stem_channels
        c_prev = c
        for s in range(stacks):
            if s > 0:
                layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))  # TF 'same' padding
                c *= 2
            for _ in range(cells_per_stack):
                layers.append(NB101Cell(self.matrix, self.ops, c_prev, c))
                c_prev = c
        self.cells = nn.Sequential(*layers)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.cells(self.stem(x))
        return self.classifier(x.mean(dim=(2, 3)))


def _cell_params(matrix: np.ndarray, ops: np.ndarray, c_in: int, c_out: int) -> int:
    v = matrix.shape[0]
    ch = nb101_vertex_channels(c_in, c_out, matrix)
    total = 0
    for t in range(1, v - 1):
        if matrix[0, t]:
            total += c_in * ch[t] + 2 * ch[t]  # 1x1 projection conv + BN
        if ops[t] == CONV3X3:
            total += 9 * ch[t] * ch[t] + 2 * ch[t]
        elif ops[t] == CONV1X1:
            total += ch[t] * ch[t] + 2 * ch[t]
    if matrix[0, v - 1]:
        total += c_in * c_out + 2 * c_out
    return total


def nb101_param_counts(matrix, ops, stem_channels: int = 128, stacks: int = 3, cells_per_stack: int = 3,
                       num_classes: int = 10, in_channels: int = 3) -> np.ndarray:
    """Trainable-parameter counts of ``NB101Network`` for a batch of cells, without building networks.

    ``matrix`` (n, V, V) and ``ops`` (n, V) as ``NB101Cells`` stores them (or an ``NB101Cells`` as ``matrix``).
    A loop over rows in Python (about 6,000 cells/s); each cell is pruned first.

    >>> m = [[0, 1, 0, 0, 1, 1, 0], [0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 1], [0, 0, 0, 0, 0, 1, 0],
    ...      [0, 0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]]
    >>> nb101_param_counts([m], [[-1, 0, 2, 0, 0, 1, -2]]).tolist()  # the nasbench README cell
    [8555530]
    """
    if hasattr(matrix, "arrays"):
        matrix, ops = matrix.matrix, matrix.ops
    mats, opss = np.asarray(matrix), np.asarray(ops)
    if mats.ndim != 3 or opss.ndim != 2 or mats.shape[0] != opss.shape[0]:
        raise ValueError(f"matrix must be (n, V, V) and ops (n, V), got {mats.shape} and {opss.shape}")
    fixed = 9 * in_channels * stem_channels + 2 * stem_channels
    out = np.empty(len(mats), dtype=np.int64)
    for r in range(len(mats)):
        total, c_prev, c = fixed, stem_channels, stem_channels
        try:
            m, o = nb101_prune(mats[r], opss[r])
            for s in range(stacks):
                if s > 0:
                    c *= 2
                for _ in range(cells_per_stack):
                    total += _cell_params(m, o, c_prev, c)
                    c_prev = c
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"row {r}: {exc}") from None
        out[r] = total + c_prev * num_classes + num_classes
    return out

"""DARTS / NAS-Bench-301 evaluation networks (Liu et al., "DARTS", ICLR 2019, section 2 and appendix; the
NAS-Bench-301 models are trained with this network; facts only).

A genotype is a normal and a reduction cell, each 8 (input, op) pairs: pairs 2i and 2i+1 feed intermediate
node i (i = 0..3); input 0 is c_{k-2}, 1 is c_{k-1}, 2 + j is intermediate node j. Op codes:
0 max_pool_3x3, 1 avg_pool_3x3, 2 skip_connect, 3 sep_conv_3x3, 4 sep_conv_5x5, 5 dil_conv_3x3,
6 dil_conv_5x5 (the NAS-Bench-Suite-Zero order). The cell preprocesses c_{k-2} (1x1 ReLU-conv-BN, or a
factorized reduction after a reduction cell) and c_{k-1} (1x1 ReLU-conv-BN) to C channels, sums the two op
outputs of every node, and concatenates the four intermediate nodes (4C channels). In reduction cells the ops
reading c_{k-2} or c_{k-1} use stride 2 (skip becomes a factorized reduction). The network: stem conv3x3 to
3C + BN, ``layers`` cells with reduction cells at layers//3 and 2*layers//3 (doubling C), global average
pooling, a linear classifier.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._layers import ReLUConvBN
from ._seed import seeded_init

__all__ = ["DARTSNetwork", "DARTSCell", "DARTS_OPS", "check_darts_genotype", "darts_param_counts"]

DARTS_OPS = ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3",
             "dil_conv_5x5")


class SepConv(nn.Sequential):
    """Separable convolution applied twice: (ReLU, depthwise k x k, pointwise 1x1, BN) x 2."""

    def __init__(self, c_in: int, c_out: int, k: int, stride: int, pad: int, affine: bool = True):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, k, stride, pad, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_in, 1, bias=False), nn.BatchNorm2d(c_in, affine=affine),
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, k, 1, pad, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out, affine=affine),
        )


class DilConv(nn.Sequential):
    """Dilated separable convolution: ReLU, depthwise k x k with dilation 2, pointwise 1x1, BN."""

    def __init__(self, c_in: int, c_out: int, k: int, stride: int, pad: int, dilation: int = 2,
                 affine: bool = True):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, k, stride, pad, dilation=dilation, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out, affine=affine),
        )


class FactorizedReduce(nn.Module):
    """Halve the resolution with two stride-2 1x1 convolutions on offset grids, concatenated, then BN.
    (The offset grid is padded on the far side so odd sizes work; for even sizes this is the DARTS op.)"""

    def __init__(self, c_in: int, c_out: int, affine: bool = True):
        super().__init__()
        if c_out % 2:
            raise ValueError(f"FactorizedReduce needs an even number of output channels, got {c_out}")
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)
        # a module, not F.relu: activation-hooking proxies (nwot) must see this ReLU, as in the
        # official DARTS / NASLib FactorizedReduce
        self.relu = nn.ReLU(inplace=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        shifted = F.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(shifted)], dim=1))


def _op(code: int, c: int, stride: int, pool_bn: bool, affine: bool = True) -> nn.Module:
    if code in (0, 1):
        pool = (nn.MaxPool2d(3, stride, padding=1) if code == 0
                else nn.AvgPool2d(3, stride, padding=1, count_include_pad=False))
        return nn.Sequential(pool, nn.BatchNorm2d(c, affine=False)) if pool_bn else pool
    if code == 2:
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c, affine)
    if code == 3:
        return SepConv(c, c, 3, stride, 1, affine)
    if code == 4:
        return SepConv(c, c, 5, stride, 2, affine)
    if code == 5:
        return DilConv(c, c, 3, stride, 2, affine=affine)
    return DilConv(c, c, 5, stride, 4, affine=affine)


def check_darts_genotype(cell, name: str = "cell") -> np.ndarray:
    """Validate one DARTS cell: an (8, 2) integer array of (input, op) pairs; returns it as int64."""
    a = np.asarray(cell)
    if a.shape != (8, 2):
        raise ValueError(f"{name}: a DARTS cell is 8 (input, op) pairs, shape (8, 2); got {a.shape}")
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name}: DARTS genotypes are integer arrays, got dtype {a.dtype}")
    for e in range(8):
        node = e // 2
        inp, op = int(a[e, 0]), int(a[e, 1])
        if not 0 <= inp < node + 2:
            raise ValueError(f"{name}: edge {e} of node {node} reads input {inp}; valid inputs are 0..{node + 1}")
        if not 0 <= op < len(DARTS_OPS):
            raise ValueError(f"{name}: edge {e} has op code {op}, not in 0..{len(DARTS_OPS) - 1}")
    return a.astype(np.int64)


class DARTSCell(nn.Module):
    """One DARTS cell: inputs (c_{k-2}, c_{k-1}) with ``c_pp`` and ``c_p`` channels, output ``4 * c``."""

    def __init__(self, genotype: np.ndarray, c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool,
                 pool_bn: bool = False, op_affine: bool = True):
        super().__init__()
        self.pre0 = FactorizedReduce(c_pp, c) if reduction_prev else ReLUConvBN(c_pp, c, 1, 1, 0)
        self.pre1 = ReLUConvBN(c_p, c, 1, 1, 0)
        self.inputs = tuple(int(i) for i in genotype[:, 0])
        self.ops = nn.ModuleList(
            _op(int(op), c, 2 if (reduction and int(inp) < 2) else 1, pool_bn, op_affine) for inp, op in genotype)
        self.reduction = reduction
        self.drop_path_prob = 0.0

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        for node in range(4):
            total = 0
            for e in (2 * node, 2 * node + 1):
                h = self.ops[e](states[self.inputs[e]])
                if self.training and self.drop_path_prob > 0 and not isinstance(self.ops[e], nn.Identity):
                    keep = 1.0 - self.drop_path_prob
                    mask = torch.bernoulli(torch.full((h.shape[0], 1, 1, 1), keep, device=h.device, dtype=h.dtype))
                    h = h / keep * mask
                total = total + h
            states.append(total)
        return torch.cat(states[2:], dim=1)


@seeded_init
class DARTSNetwork(nn.Module):
    """The DARTS evaluation network of a genotype (normal and reduction cell).

    Parameters
    ----------
    normal, reduce : (8, 2) int arrays
        (input, op) pairs of the normal and reduction cells (see the module docstring for the codes).
    C : int
        Initial channels (NAS-Bench-301 trained C=32, layers=8; the DARTS paper's CIFAR-10 model C=36,
        layers=20).
    layers : int
        Number of cells (>= 3; reduction cells at layers//3 and 2*layers//3).
    pool_bn : bool
        Add a non-affine BN after the pooling ops, as in the DARTS search network (the evaluation network,
        the default, has none).
    drop_path_prob : float
        Drop-path probability in training mode (DARTS trains with 0.2; default 0).
    op_affine : bool
        Learnable scale/shift in the BNs inside the cell ops (DARTS evaluation network: True). NASLib's
        NAS-Bench-301 graph uses non-affine BNs there: with ``op_affine=False`` (C=32, 8 layers) the parameter
        counts equal NAS-Bench-Suite-Zero's ``params`` for all 725 of its DARTS cells.

    seed : int >= 0 or numpy Generator, keyword-only
        Initial weights (default 0): drawn under ``torch.random.fork_rng`` from this seed alone; torch's global
        RNG is left as it was (see ``fastnas/models/_seed.py``).

    Examples
    --------
    >>> import numpy as np, torch
    >>> g = np.array([[0, 3], [1, 3], [0, 3], [1, 3], [1, 3], [0, 2], [0, 2], [1, 5]])
    >>> net = DARTSNetwork(g, g, C=4, layers=3)
    >>> net(torch.zeros(2, 3, 8, 8)).shape
    torch.Size([2, 10])
    """

    def __init__(self, normal, reduce, C: int = 32, layers: int = 8, num_classes: int = 10, in_channels: int = 3,
                 pool_bn: bool = False, drop_path_prob: float = 0.0, op_affine: bool = True):
        super().__init__()
        from .nb201 import _check_positive

        _check_positive(C=C, layers=layers, num_classes=num_classes, in_channels=in_channels)
        if layers < 3:
            raise ValueError(f"layers must be >= 3 (two reduction cells and a normal cell), got {layers}")
        if not 0.0 <= drop_path_prob < 1.0:
            raise ValueError(f"drop_path_prob must be in [0, 1), got {drop_path_prob}")
        self.normal = check_darts_genotype(normal, "normal cell")
        self.reduce = check_darts_genotype(reduce, "reduction cell")
        self.stem = nn.Sequential(nn.Conv2d(in_channels, 3 * C, 3, padding=1, bias=False), nn.BatchNorm2d(3 * C))
        c_pp, c_p, c = 3 * C, 3 * C, C
        cells = []
        reduction_prev = False
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c *= 2
            geno = self.reduce if reduction else self.normal
            cells.append(DARTSCell(geno, c_pp, c_p, c, reduction, reduction_prev, pool_bn, op_affine))
            reduction_prev = reduction
            c_pp, c_p = c_p, 4 * c
        self.cells = nn.ModuleList(cells)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)
        self.drop_path_prob = drop_path_prob

    @property
    def drop_path_prob(self) -> float:
        return self._drop_path_prob

    @drop_path_prob.setter
    def drop_path_prob(self, p: float) -> None:
        self._drop_path_prob = float(p)
        for cell in self.cells:
            cell.drop_path_prob = float(p)

    @classmethod
    def from_cell(cls, cell, **kw) -> "DARTSNetwork":
        """From a batch of one DARTS cell (``fastnas.spaces.DARTS`` cells) or an (2, 8, 2) array."""
        normal, reduce = _genotype_of(cell)
        return cls(normal, reduce, **kw)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(torch.flatten(self.pool(s1), 1))


def _genotype_of(cell) -> tuple[np.ndarray, np.ndarray]:
    """(normal, reduce) (8, 2) arrays of a single DARTS cell given as Cells or an array (2, 8, 2)."""
    from ._build import single_row

    if hasattr(cell, "arrays"):
        arrays = cell.arrays()
        if len(cell) != 1:
            raise ValueError(f"build takes a single cell (a batch of one), got a batch of {len(cell)}")
        if "normal" in arrays and "reduce" in arrays:
            return np.asarray(arrays["normal"][0]), np.asarray(arrays["reduce"][0])
        for inputs, ops in (("inputs", "ops"), ("nodes", "ops")):
            if inputs in arrays and ops in arrays:
                i, o = np.asarray(arrays[inputs][0]), np.asarray(arrays[ops][0])
                g = np.stack([i.reshape(2, 8), o.reshape(2, 8)], axis=-1)
                return g[0], g[1]
        if "genotype" in arrays:
            g = np.asarray(arrays["genotype"][0]).reshape(2, 8, 2)
            return g[0], g[1]
        raise TypeError(f"cannot read a DARTS genotype from {type(cell).__name__} fields {sorted(arrays)}")
    g = np.asarray(single_row(cell, "genotype"))
    if g.shape != (2, 8, 2):
        raise ValueError(f"a DARTS genotype array has shape (2, 8, 2) (normal, reduce), got {g.shape}")
    return g[0], g[1]


def darts_param_counts(genotypes, C: int = 32, layers: int = 8, num_classes: int = 10, in_channels: int = 3,
                       op_affine: bool = True) -> np.ndarray:
    """Trainable-parameter counts of ``DARTSNetwork`` for a batch of genotypes, without building networks.

    ``genotypes``: (n, 2, 8, 2) integer array of (input, op) pairs (normal, reduction) or a DARTS ``Cells``
    batch (fields ``inputs``, ``ops``). Vectorised over rows. Per op at c channels: sep_conv_k
    ``2 (k^2 c + c^2)``, dil_conv_k ``k^2 c + c^2``, skip with stride 2 (factorized reduce) ``c^2``, pools 0, plus
    2c per BN when ``op_affine``; each cell's two 1x1 preprocessings ``(c_pp + c_p) c + 4c``.

    >>> g = [[[0, 3], [1, 3], [0, 3], [1, 3], [1, 3], [0, 2], [0, 2], [2, 5]],
    ...      [[0, 0], [1, 0], [2, 2], [1, 0], [0, 0], [2, 2], [2, 2], [1, 0]]]
    >>> darts_param_counts([g], C=36, layers=20).tolist()  # DARTS_V2, as logged by DARTS
    [3349342]
    """
    if hasattr(genotypes, "arrays"):
        a = genotypes.arrays()
        g = np.stack([np.asarray(a["inputs"]), np.asarray(a["ops"])], axis=-1)
    else:
        g = np.asarray(genotypes)
    if g.ndim != 4 or g.shape[1:] != (2, 8, 2):
        raise ValueError(f"genotypes must have shape (n, 2, 8, 2), got {g.shape}")
    if g.dtype.kind not in "iu":
        raise TypeError(f"DARTS genotypes are integer arrays, got dtype {g.dtype}")
    limit = np.arange(8) // 2 + 2  # edge e of node e // 2 reads inputs 0..node + 1
    bad = (g[..., 0] < 0) | (g[..., 0] >= limit) | (g[..., 1] < 0) | (g[..., 1] >= len(DARTS_OPS))
    if bad.any():  # report the first offending row with the single-cell message
        r, k = (int(v) for v in np.argwhere(bad.any(axis=2))[0])
        try:
            check_darts_genotype(g[r, k], ("normal cell", "reduction cell")[k])
        except ValueError as exc:
            raise ValueError(f"row {r}: {exc}") from None
    g = g.astype(np.int64)
    inputs, ops = g[..., 0], g[..., 1]
    bn = 2 if op_affine else 0

    def op_params(op, stride2, c):  # arrays (n, 8) -> (n,) summed
        p = np.zeros(op.shape, dtype=np.int64)
        for code, k in ((3, 3), (4, 5)):
            p += (op == code) * (2 * (k * k * c + c * c) + 2 * bn * c)
        for code, k in ((5, 3), (6, 5)):
            p += (op == code) * (k * k * c + c * c + bn * c)
        p += ((op == 2) & stride2) * (c * c + bn * c)
        return p.sum(axis=1)

    total = np.full(len(g), 9 * in_channels * 3 * C + 2 * 3 * C, dtype=np.int64)
    c_pp, c_p, c = 3 * C, 3 * C, C
    for i in range(layers):
        reduction = i in (layers // 3, 2 * layers // 3)
        if reduction:
            c *= 2
        k = 1 if reduction else 0
        total += (c_pp + c_p) * c + 4 * c
        total += op_params(ops[:, k], (inputs[:, k] < 2) & reduction, c)
        c_pp, c_p = c_p, 4 * c
    return total + c_p * num_classes + num_classes

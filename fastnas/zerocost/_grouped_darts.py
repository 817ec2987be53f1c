"""Zero-cost proxies of many DARTS networks in ONE forward/backward pass (grouped convolutions).

The B networks (``fastnas.models.DARTSNetwork``, the DARTS evaluation network of Liu et al. 2019, "DARTS:
Differentiable Architecture Search", ICLR, official code ``quark0/darts`` ``cnn/model.py``) share their macro
settings (C, layers, reduction positions, classes, input channels) and differ in their genotypes. Every feature
map is stacked by network (network b owns channels ``b*c .. (b+1)*c - 1``), so every convolution is one grouped
convolution (``groups = B * groups of the network's conv``: a depthwise conv stays depthwise), every batch norm
one batch norm over the stacked channels (batch statistics are per channel, hence per network) and the
classifier one batched matrix product.

Cells: the preprocessings run on all B networks at once. A node has two slots (its two (input, op) picks; a
genotype may pick the same input, even the same op, twice: the slots stay separate, as the two op modules of the
network are). For each slot, the networks are grouped by the branch they use there (input state and the
op module's structure); each branch runs once, as a grouped op over the channels of just the networks that use
it (``index_select`` of their channels), with those networks' own weights, and the branch outputs are put back
in network order (a permutation). So no network computes an op it does not have, no weights are padded, and
networks never mix: the sum over networks of their losses (or outputs) differentiates to each network's own
gradient, and per-network quantities are read off per-network weight blocks and channel slices.

The proxy definitions are those of ``_gradient`` (synflow, snip, plain, grad_norm, fisher, grasp) and
``_activation`` (jacob_cov, epe_nas, nwot), which name the papers (Abdelfattah et al. 2021; Tanaka et al. 2020;
Lee et al. 2019; Wang et al. 2020; Theis et al. 2018; Mellor et al. 2020/2021; Lopes et al. 2021) and the
official code (zero-cost-nas ``foresight/pruners/measures``, NASLib); ``tests/unit/test_zerocost_grouped_darts.py``
checks every value against the one-network-at-a-time path in float64 to 1e-9 on genotypes covering every op on
normal and reduction cells and a repeated input. Networks this module cannot group raise ``TypeError`` (the
caller then scores them one at a time): other classes, other macro settings, drop path in use (its random masks
come from the global RNG one network at a time, so they are refused rather than changed), frozen parameters,
modules it does not know. The stacking machinery and the proxies' read-out live in ``_grouped_base``.
"""
from __future__ import annotations
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ._grouped_base import GROUPED_PROXIES, GroupedBase, _Ctx, _Op, _pick, _signature, grouped_proxies

__all__ = ["GROUPED_PROXIES", "GroupedDARTS", "grouped_darts_proxies"]


class GroupedDARTS(GroupedBase):
    """B ``DARTSNetwork`` instances as one stacked network (see the module docstring).

    ``synflow=True`` builds synflow's network: batch norms removed, |weights| and |biases|, float64.
    """

    def __init__(self, nets: list, device, *, synflow: bool = False):
        from ..models.darts import DARTSCell, DARTSNetwork

        if not nets or not all(type(n) is DARTSNetwork for n in nets):
            raise TypeError("grouped DARTS proxies need DARTSNetwork instances")
        if any(n.drop_path_prob > 0 or any(c.drop_path_prob > 0 for c in n.cells) for n in nets):
            raise TypeError("drop path draws random masks per network: not grouped")
        super().__init__(nets, device, synflow=synflow)
        everyone = list(range(self.B))
        if len({len(n.cells) for n in nets}) != 1:
            raise TypeError("networks differ in depth")
        self.in_channels = nets[0].stem[0].in_channels
        self.stem = _Op([n.stem for n in nets], everyone, self)
        self.cells = []
        for pos in range(len(nets[0].cells)):
            cells = [n.cells[pos] for n in nets]
            if not all(type(c) is DARTSCell for c in cells) or len({c.reduction for c in cells}) != 1:
                raise TypeError("networks differ in their cell sequence")
            pre0 = _Op([c.pre0 for c in cells], everyone, self)
            pre1 = _Op([c.pre1 for c in cells], everyone, self)
            slots = []
            for e in range(8):
                branches: dict[tuple, list[int]] = {}
                for b, c in enumerate(cells):
                    branches.setdefault((c.inputs[e], _signature(c.ops[e])), []).append(b)
                ops = [(key[0], members, _Op([cells[b].ops[e] for b in members], members, self))
                       for key, members in branches.items()]
                order = [b for _, members, _ in ops for b in members]
                inv = torch.tensor(np.argsort(order), dtype=torch.long, device=device)
                slots.append((ops, None if order == everyone else inv))
            self.cells.append((pre0, pre1, slots))
        self._classifier([n.classifier for n in nets])

    def forward(self, x: torch.Tensor, ctx: _Ctx) -> torch.Tensor:
        """x (N, B*C_in, H, W) -> logits (N, B, K)."""
        B, n = self.B, x.shape[0]
        s0 = s1 = self.stem(x, ctx)
        for pre0, pre1, slots in self.cells:
            states = [pre0(s0, ctx), pre1(s1, ctx)]
            for node in range(4):
                total = None
                for ops, inv in slots[2 * node: 2 * node + 2]:
                    outs = [op(_pick(states[i], B, members, self.device), ctx) for i, members, op in ops]
                    h = outs[0] if len(outs) == 1 else torch.cat(
                        [o.reshape(n, -1, o.shape[1] // len(ops[j][1]), *o.shape[2:]) for j, o in enumerate(outs)],
                        dim=1)
                    if inv is not None:
                        h = h.index_select(1, inv)
                    h = h.reshape(n, -1, *h.shape[-2:])
                    total = h if total is None else total + h
                states.append(total)
            hh, ww = states[-1].shape[-2:]
            s0, s1 = s1, torch.stack([s.reshape(n, B, -1, hh, ww) for s in states[2:]], dim=2).reshape(n, -1, hh, ww)
        feat = F.adaptive_avg_pool2d(s1, 1).reshape(n, B, -1)
        return self._head(feat, ctx)


def grouped_darts_proxies(nets: list, x: torch.Tensor, y: torch.Tensor | None, names, *, num_classes: int = 10,
                          device=None) -> dict[str, np.ndarray]:
    """Proxies ``names`` (a subset of ``GROUPED_PROXIES``) of every ``DARTSNetwork`` in ``nets`` from shared
    grouped passes (the networks are read, never modified).

    Parameters
    ----------
    nets : list of DARTSNetwork
        Same macro settings (C, layers, classes, input channels, pool_bn), any genotypes, one dtype.
    x : Tensor (N, C_in, H, W)
        The minibatch (cast to the networks' dtype). synflow only reads its sample shape.
    y : LongTensor (N,)
        Labels in ``0..classes-1`` (unused by synflow, jacob_cov and nwot).
    names : sequence of str
    num_classes : int
        epe_nas's class count (its > 100 branch).
    device : optional
        Where the grouped pass runs (default: ``x``'s device).

    Returns
    -------
    dict name -> ndarray (len(nets),) float64, the value each network gets from its own function in
    ``fastnas.zerocost`` (to round-off).

    Notes
    -----
    A full-size DARTS network (C=32, 8 layers, float32) saves about 32 MB of activations per sample for one
    backward (measured with ``saved_tensors_hooks``; NB201 at C=16, N=5: 2.4 MB), so B networks x 64 samples
    need about 2 GB x B, and grasp's double backward several times that. When a grouped pass runs out of
    device memory (``torch.OutOfMemoryError``), the group is split in halves and each half is scored the
    same way (a network's values do not depend on its group, so the result is the same).

    Raises
    ------
    ValueError
        A name without a grouped form.
    TypeError
        Networks that cannot be grouped (not all ``DARTSNetwork``, other macro settings, drop path > 0).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from fastnas.models import DARTSNetwork
    >>> g = np.array([[0, 3], [1, 2], [0, 0], [1, 5], [1, 1], [0, 2], [0, 6], [1, 4]])
    >>> nets = [DARTSNetwork(g, g, C=2, layers=3, seed=s).double() for s in (0, 1)]
    >>> x = torch.zeros(2, 3, 4, 4, dtype=torch.float64)
    >>> v = grouped_darts_proxies(nets, x, None, ["synflow"])["synflow"]
    >>> from fastnas.zerocost._gradient import synflow
    >>> bool(np.allclose(v, [synflow(n, x) for n in nets], rtol=1e-12))
    True
    """
    return grouped_proxies(GroupedDARTS, nets, x, y, names, num_classes, device)


"""Zero-cost proxies of many NAS-Bench-101 networks in ONE forward/backward pass (grouped convolutions).

The B networks (``fastnas.models.NB101Network``: Ying et al. 2019, "NAS-Bench-101", ICML, the benchmark's
model builder ``google-research/nasbench`` ``nasbench/lib/model_builder.py``) share their skeleton (stem
channels, stacks, cells per stack, classes, input channels) and differ in their cells: topology, ops and the
per-vertex channel counts that follow from the topology (``fastnas.spaces.nb101_channels``). Between cells
every network has the same width, so the cell inputs and outputs, the stem and the down-sampling max-pools are
stacked by network (network b owns channels ``b*c .. (b+1)*c - 1``) and run once for all.

Inside a cell nothing is padded. Modules of the same shape are grouped instead (``_grouped_base._Op``):

* the 1x1 projections of the cell input, of every vertex of every network, grouped by their output
  channel count: one grouped conv-BN-ReLU per count over the input channels of the networks concerned (a
  network with two projections of one count appears twice in the group);
* vertex by vertex (position t in each pruned cell), each network's input sum (its predecessors' tensors
  truncated to its own channel count, plus its projection, in the builder's order) is formed per network,
  then the networks are grouped by the module at t (conv3x3, conv1x1 or max-pool, and its channel count) and
  each group runs once on the concatenation of its members' sums;
* the output concatenates each network's own vertices (plus its output projection).

Every grouped op is a channel-block-diagonal computation over real channels only, so each network's values
equal its own (no padded channels, hence no question of batch norms of zero channels or of masked
projections). The proxy definitions are those of ``_gradient`` and ``_activation``;
``tests/unit/test_zerocost_grouped_nb101.py`` checks every value against the one-network-at-a-time path in
float64 to 1e-9 on cells of every size, op and channel split. Networks this module cannot group raise
``TypeError`` (the caller then scores them one at a time): other classes, another skeleton, mixed dtypes,
frozen parameters, modules it does not know.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ._grouped_base import GROUPED_PROXIES, GroupedBase, _Ctx, _Op, _signature, grouped_proxies

__all__ = ["GROUPED_PROXIES", "GroupedNB101", "grouped_nb101_proxies"]


def _groups(entries) -> list[tuple[nn.Module, list]]:
    """[(module, key, channels)] -> [(modules, keys)] grouped by the module's structure and its channel count
    (a max-pool's structure does not say how many channels it sees), in first-seen order."""
    out: dict[tuple, tuple[list, list]] = {}
    for mod, key, channels in entries:
        mods, keys = out.setdefault((_signature(mod), channels), ([], []))
        mods.append(mod)
        keys.append(key)
    return list(out.values())


class GroupedNB101(GroupedBase):
    """B ``NB101Network`` instances as one stacked network (see the module docstring).

    ``synflow=True`` builds synflow's network: batch norms removed, |weights| and |biases|, float64.
    """

    def __init__(self, nets: list, device, *, synflow: bool = False):
        from ..models.nb101 import NB101Cell, NB101Network

        if not nets or not all(type(n) is NB101Network for n in nets):
            raise TypeError("grouped NB101 proxies need NB101Network instances")
        super().__init__(nets, device, synflow=synflow)
        everyone = list(range(self.B))
        if len({len(n.cells) for n in nets}) != 1:
            raise TypeError("networks differ in depth")
        self.in_channels = nets[0].stem[0].in_channels
        self.stem = _Op([n.stem for n in nets], everyone, self)
        self.plan = []
        for pos in range(len(nets[0].cells)):
            mods = [n.cells[pos] for n in nets]
            if all(type(m) is nn.MaxPool2d for m in mods) and len({repr(m) for m in mods}) == 1:
                self.plan.append(("pool", mods[0]))
            elif all(type(m) is NB101Cell for m in mods) and len({(m.ch[0], m.ch[-1]) for m in mods}) == 1:
                self.plan.append(("cell", self._cell(mods)))
            else:
                raise TypeError("networks differ in their layer sequence")
        self._classifier([n.classifier for n in nets])

    def _cell(self, cells):
        proj = _groups((c.proj[k], (b, int(k)), c.ch[int(k)]) for b, c in enumerate(cells) for k in c.proj)
        proj = [(_Op(mods, [b for b, _ in keys], self), keys) for mods, keys in proj]
        v_max = max(c.matrix.shape[0] for c in cells)
        steps = []
        for t in range(1, v_max - 1):
            here = [(c.vertex_ops[str(t)], b, c.ch[t]) for b, c in enumerate(cells) if t < c.matrix.shape[0] - 1]
            steps.append([(_Op(mods, members, self), members) for mods, members in _groups(here)])
        return proj, steps, [(c.matrix, c.ch) for c in cells]

    def _run_cell(self, x: torch.Tensor, cell, ctx: _Ctx) -> torch.Tensor:
        proj_groups, steps, shapes = cell
        B, n, hh, ww = self.B, x.shape[0], x.shape[2], x.shape[3]
        xs = x.reshape(n, B, -1, hh, ww)
        proj: dict[tuple[int, int], torch.Tensor] = {}
        for op, keys in proj_groups:
            members = [b for b, _ in keys]
            idx = torch.tensor(members, dtype=torch.long, device=x.device)
            out = op(xs.index_select(1, idx).reshape(n, -1, hh, ww), ctx)
            for key, o in zip(keys, out.reshape(n, len(keys), -1, *out.shape[2:]).unbind(1)):
                proj[key] = o
        tensors: list[list[torch.Tensor]] = [[x_b] for x_b in xs.unbind(1)]
        for t, groups in enumerate(steps, start=1):
            sums = {}
            for b, (m, ch) in enumerate(shapes):
                if t >= m.shape[0] - 1:
                    continue
                add = [tensors[b][s][:, : ch[t]] for s in range(1, t) if m[s, t]]
                if m[0, t]:
                    add.append(proj[(b, t)])
                h = add[0]
                for a in add[1:]:
                    h = h + a
                sums[b] = h
            for op, members in groups:
                inp = sums[members[0]] if len(members) == 1 else torch.cat([sums[b] for b in members], dim=1)
                out = op(inp, ctx)
                for b, o in zip(members, out.reshape(n, len(members), -1, *out.shape[2:]).unbind(1)):
                    tensors[b].append(o)
        outs = []
        for b, (m, _ch) in enumerate(shapes):
            v = m.shape[0]
            out_in = [tensors[b][t] for t in range(1, v - 1) if m[t, v - 1]]
            if not out_in:
                outs.append(proj[(b, v - 1)])
                continue
            o = out_in[0] if len(out_in) == 1 else torch.cat(out_in, 1)
            if m[0, v - 1]:
                o = o + proj[(b, v - 1)]
            outs.append(o)
        return torch.cat(outs, dim=1)

    def forward(self, x: torch.Tensor, ctx: _Ctx) -> torch.Tensor:
        """x (N, B*C_in, H, W) -> logits (N, B, K)."""
        x = self.stem(x, ctx)
        for kind, step in self.plan:
            if kind == "pool":
                x = torch.nn.functional.max_pool2d(x, step.kernel_size, step.stride, step.padding, step.dilation,
                                                   step.ceil_mode)
            else:
                x = self._run_cell(x, step, ctx)
        return self._head(x.mean(dim=(2, 3)).reshape(x.shape[0], self.B, -1), ctx)


def grouped_nb101_proxies(nets: list, x: torch.Tensor, y: torch.Tensor | None, names, *, num_classes: int = 10,
                          device=None) -> dict[str, np.ndarray]:
    """Proxies ``names`` (a subset of ``GROUPED_PROXIES``) of every ``NB101Network`` in ``nets`` from shared
    grouped passes (the networks are read, never modified).

    Parameters
    ----------
    nets : list of NB101Network
        Same skeleton (stem channels, stacks, cells per stack, classes, input channels), any cells, one dtype.
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
    ``fastnas.zerocost`` (to round-off). A grouped pass that runs out of device memory is split in halves.

    Raises
    ------
    ValueError
        A name without a grouped form, or labels missing.
    TypeError
        Networks that cannot be grouped (not all ``NB101Network``, another skeleton).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from fastnas.models import NB101Network
    >>> a = NB101Network([[0, 1, 1], [0, 0, 1], [0, 0, 0]], [-1, 0, -2], stem_channels=4, stacks=2,
    ...                  cells_per_stack=1).double()
    >>> b = NB101Network([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [-1, 2, -2], stem_channels=4, stacks=2,
    ...                  cells_per_stack=1).double()
    >>> x = torch.zeros(2, 3, 4, 4, dtype=torch.float64)
    >>> v = grouped_nb101_proxies([a, b], x, None, ["synflow"])["synflow"]
    >>> from fastnas.zerocost._gradient import synflow
    >>> bool(np.allclose(v, [synflow(a, x), synflow(b, x)], rtol=1e-12))
    True
    """
    return grouped_proxies(GroupedNB101, nets, x, y, names, num_classes, device)

"""NAS-Bench-Graph GNNs in plain torch message passing (no torch_geometric).

Architecture (Qin et al., "NAS-Bench-Graph", NeurIPS 2022 Datasets and Benchmarks; README of the benchmark):
4 computing nodes; node i reads one earlier tensor ``link[i]`` (0 the input, j the output of node j) and applies
one op; every leaf node (no successor) feeds the output, where the leaves are concatenated. Optional ``num_pre``
linear pre-processing layer (input -> hidden) and ``num_post`` linear post-processing layers (concat -> hidden,
hidden -> hidden) surround the cell; a linear classifier gives per-node logits.

Ops (codes of the benchmark's ``gnn_list``), each mapping ``c_in`` to ``hidden`` channels; parameter shapes as
the torch_geometric layers the benchmark used, message passing written here from the layers' papers:

==  =====  ============================================================  ==========================
0   gat    GAT, 2 heads of hidden/2 channels, concatenated (Velickovic)   c_in*h + 3h
1   gcn    D^-1/2 (A + I) D^-1/2 X W + b (Kipf & Welling)                 c_in*h + h
2   gin    Linear((1 + eps) x_i + sum_j x_j), eps = 0 (Xu et al.)         c_in*h + h
3   cheb   Chebyshev K = 2: X W0 + L~ X W1 + b, L~ = -D^-1/2 A D^-1/2     2*c_in*h + h
4   sage   lin_l(mean_j x_j) + lin_r(x_i) (Hamilton et al.)               2*c_in*h + h
5   arma   ARMA K = 1, T = 1: relu(A^ X W + X V + b), A^ = D^-1/2 A D^-1/2 2*c_in*h + h*h + h
6   graph  k-GNN GraphConv: lin_rel(sum_j x_j) + lin_root(x_i) (Morris)   2*c_in*h + h
7   fc     Linear                                                         c_in*h + h
8   skip   identity                                                       0
==  =====  ============================================================  ==========================

(ARMA with T = 1 never uses its h x h recurrent weight; torch_geometric allocates it, so the benchmark's parameter
counts include it, and so does this module.) Every node also owns a BatchNorm1d(hidden) (2h parameters, applied
after non-skip ops), which reproduces the benchmark's constant 8h in ``para``. Parameter counts of these networks
equal the benchmark's ``para`` for every architecture of the datasets in ``NBGRAPH_SETTINGS`` (physics: 24,639 of
26,206) (hidden size and pre/post layers read off
that column; see ``tests/unit/test_models_nbgraph.py``).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._seed import seeded_init

__all__ = ["GNNNetwork", "GNN_OPS", "GNN_LINKS", "NBGRAPH_SETTINGS", "nbgraph_param_counts"]

GNN_OPS = ("gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip")
SKIP = 8
GNN_LINKS = ((0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 1), (0, 0, 1, 2), (0, 0, 1, 3), (0, 1, 1, 1), (0, 1, 1, 2),
             (0, 1, 2, 2), (0, 1, 2, 3))

#: per dataset: node features, classes, hidden size, pre-process layers, post-process layers. Features and classes
#: are the public datasets'; hidden / num_pre / num_post are read off the benchmark's ``para`` column (they are the
#: only values for which every architecture's parameter count matches).
NBGRAPH_SETTINGS = {
    "cora": dict(in_channels=1433, num_classes=7, hidden=256, num_pre=0, num_post=1),
    "citeseer": dict(in_channels=3703, num_classes=6, hidden=256, num_pre=0, num_post=1),
    "pubmed": dict(in_channels=500, num_classes=3, hidden=128, num_pre=0, num_post=0),
    "cs": dict(in_channels=6805, num_classes=15, hidden=128, num_pre=1, num_post=0),
    "photo": dict(in_channels=745, num_classes=8, hidden=128, num_pre=0, num_post=0),
    "computers": dict(in_channels=767, num_classes=10, hidden=64, num_pre=1, num_post=1),
    "arxiv": dict(in_channels=128, num_classes=40, hidden=128, num_pre=0, num_post=1),
    "proteins": dict(in_channels=8, num_classes=112, hidden=256, num_pre=1, num_post=1),
    # physics: this setting matches 24,639 of the 26,206 entries; the other 1,567 disagree with every single
    # setting (the benchmark's physics column mixes configurations)
    "physics": dict(in_channels=8415, num_classes=5, hidden=256, num_pre=1, num_post=0),
}


def _check_arch(link: Sequence[int], ops: Sequence[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    link_a, ops_a = np.asarray(link), np.asarray(ops)
    if link_a.shape != (4,) or ops_a.shape != (4,):
        raise ValueError("a NAS-Bench-Graph architecture has 4 links and 4 ops, "
                         f"got shapes {link_a.shape}, {ops_a.shape}")
    if link_a.dtype.kind not in "iu" or ops_a.dtype.kind not in "iu":
        raise TypeError("links and op codes must be integers")
    for i, (lk, op) in enumerate(zip(link_a.tolist(), ops_a.tolist())):
        if not 0 <= lk <= i:
            raise ValueError(f"node {i + 1}: link {lk} must be in 0..{i} (an earlier node or the input 0)")
        if not 0 <= op < len(GNN_OPS):
            raise ValueError(f"node {i + 1}: op code {op} is not in 0..8 ({', '.join(GNN_OPS)})")
    if all(o == SKIP for o in ops_a.tolist()):
        raise ValueError("an all-skip architecture is not in the space")
    return tuple(link_a.tolist()), tuple(ops_a.tolist())


def _graph_norms(edge_index: torch.Tensor, n: int, dtype) -> dict[str, torch.Tensor]:
    src, dst = edge_index[0], edge_index[1]
    ones = torch.ones(src.shape[0], dtype=dtype, device=src.device)
    deg = torch.zeros(n, dtype=dtype, device=src.device).index_add_(0, dst, ones)  # in-degree, no self loops
    inv_sqrt = deg.clamp(min=1).rsqrt() * (deg > 0)
    deg_sl = deg + 1
    return {"deg": deg, "w_sym": inv_sqrt[src] * inv_sqrt[dst], "w_gcn": (deg_sl.rsqrt()[src] * deg_sl.rsqrt()[dst]),
            "self_gcn": 1.0 / deg_sl}


def _scatter(msg: torch.Tensor, dst: torch.Tensor, n: int) -> torch.Tensor:
    return torch.zeros(n, msg.shape[1], dtype=msg.dtype, device=msg.device).index_add_(0, dst, msg)


class GNNOp(nn.Module):
    """One NAS-Bench-Graph op from ``c_in`` to ``hidden`` channels (see the module table)."""

    def __init__(self, code: int, c_in: int, hidden: int):
        super().__init__()
        self.code = int(code)
        name = GNN_OPS[self.code]
        if name == "gat":
            if hidden % 2:
                raise ValueError(f"gat needs an even hidden size (2 heads), got {hidden}")
            self.lin = nn.Linear(c_in, hidden, bias=False)
            self.att_src = nn.Parameter(torch.empty(1, 2, hidden // 2))
            self.att_dst = nn.Parameter(torch.empty(1, 2, hidden // 2))
            self.bias = nn.Parameter(torch.zeros(hidden))
            bound = math.sqrt(6.0 / (1 + hidden // 2))
            nn.init.uniform_(self.att_src, -bound, bound)
            nn.init.uniform_(self.att_dst, -bound, bound)
        elif name in ("gcn", "gin", "fc"):
            self.lin = nn.Linear(c_in, hidden, bias=(name != "gcn"))
            if name == "gcn":
                self.bias = nn.Parameter(torch.zeros(hidden))
        elif name in ("cheb", "sage", "graph"):
            self.lin = nn.Linear(c_in, hidden, bias=True)  # cheb: T0 term; sage: neighbours; graph: relation
            self.lin2 = nn.Linear(c_in, hidden, bias=False)  # cheb: T1 term; sage/graph: root
        elif name == "arma":
            self.init_weight = nn.Linear(c_in, hidden, bias=False)
            self.weight = nn.Linear(hidden, hidden, bias=False)  # recurrent weight, unused with T = 1
            self.root = nn.Linear(c_in, hidden, bias=False)
            self.bias = nn.Parameter(torch.zeros(hidden))

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, norms: dict[str, torch.Tensor]) -> torch.Tensor:
        name = GNN_OPS[self.code]
        n = x.shape[0]
        src, dst = edge_index[0], edge_index[1]
        if name == "skip":
            return x
        if name == "fc":
            return self.lin(x)
        if name == "gcn":
            h = self.lin(x)
            out = _scatter(h[src] * norms["w_gcn"][:, None], dst, n) + h * norms["self_gcn"][:, None]
            return out + self.bias
        if name == "gin":
            return self.lin(x + _scatter(x[src], dst, n))
        if name == "cheb":
            tx1 = -_scatter(x[src] * norms["w_sym"][:, None], dst, n)
            return self.lin(x) + self.lin2(tx1)
        if name == "sage":
            mean = _scatter(x[src], dst, n) / norms["deg"].clamp(min=1)[:, None]
            return self.lin(mean) + self.lin2(x)
        if name == "graph":
            return self.lin(_scatter(x[src], dst, n)) + self.lin2(x)
        if name == "arma":
            prop = _scatter(self.init_weight(x)[src] * norms["w_sym"][:, None], dst, n)
            return F.relu(prop + self.root(x) + self.bias)
        # gat: attention over in-neighbours and the node itself, softmax per target node
        heads, c = 2, self.att_src.shape[-1]
        h = self.lin(x).view(n, heads, c)
        loop = torch.arange(n, device=x.device)
        s, d = torch.cat([src, loop]), torch.cat([dst, loop])
        a_s, a_d = (h * self.att_src).sum(-1), (h * self.att_dst).sum(-1)
        e = F.leaky_relu(a_s[s] + a_d[d], 0.2)
        e_max = torch.full((n, heads), -torch.inf, dtype=e.dtype, device=e.device)
        e_max = e_max.scatter_reduce(0, d[:, None].expand(-1, heads), e, reduce="amax", include_self=True)
        w = torch.exp(e - e_max[d])
        denom = torch.zeros(n, heads, dtype=e.dtype, device=e.device).index_add_(0, d, w)
        alpha = w / denom[d]
        out = torch.zeros(n, heads, c, dtype=h.dtype, device=h.device).index_add_(0, d, h[s] * alpha[..., None])
        return out.reshape(n, heads * c) + self.bias


def _node_dims(link, ops, c0: int, hidden: int) -> tuple[list[int], list[int], list[int]]:
    """Input dim of every node, output dim of every tensor (0 = input), and the leaf nodes (1-based)."""
    dims = [c0]
    in_dims = []
    for lk, op in zip(link, ops):
        in_dims.append(dims[lk])
        dims.append(dims[lk] if op == SKIP else hidden)
    used = set(link)
    leaves = [j for j in range(1, 5) if j not in used]
    return in_dims, dims, leaves


@seeded_init
class GNNNetwork(nn.Module):
    """The NAS-Bench-Graph GNN of one architecture, for node classification.

    Parameters
    ----------
    link : 4 ints
        ``link[i]`` is the input of node i + 1 (0 the graph input, j node j); any of the 24 valid link lists.
    ops : 4 ints
        Op codes 0 gat, 1 gcn, 2 gin, 3 cheb, 4 sage, 5 arma, 6 graph, 7 fc, 8 skip.
    in_channels, num_classes : int
        Node-feature dimension and classes.
    hidden : int
        Hidden size of every op (64 default; the benchmark's per-dataset values are in ``NBGRAPH_SETTINGS``).
    num_pre, num_post : int
        Linear pre-processing layers (0 or 1) and post-processing layers after the concatenated leaves.
    dropout : float
        Dropout after every op and post-processing layer (training mode only).
    seed : int >= 0 or numpy Generator, keyword-only
        Initial weights (default 0): drawn under ``torch.random.fork_rng`` from this seed alone; torch's global
        RNG is left as it was (see ``fastnas/models/_seed.py``).

    ``forward(x, edge_index)``: x (nodes, in_channels) float, edge_index (2, edges) int64 source -> target; returns
    (nodes, num_classes) logits.

    Examples
    --------
    >>> import torch
    >>> net = GNNNetwork([0, 1, 2, 3], [8, 1, 4, 7], in_channels=5, num_classes=3, hidden=8)
    >>> x, edges = torch.randn(6, 5), torch.tensor([[0, 1, 2, 3, 4], [1, 2, 3, 4, 5]])
    >>> net(x, edges).shape
    torch.Size([6, 3])
    """

    def __init__(self, link: Sequence[int], ops: Sequence[int], in_channels: int = 3, num_classes: int = 10,
                 hidden: int = 64, num_pre: int = 0, num_post: int = 1, dropout: float = 0.0):
        super().__init__()
        from .nb201 import _check_positive

        _check_positive(in_channels=in_channels, num_classes=num_classes, hidden=hidden)
        if num_pre not in (0, 1) or not (isinstance(num_post, int) and num_post >= 0):
            raise ValueError(f"num_pre must be 0 or 1 and num_post >= 0, got {num_pre}, {num_post}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.link, self.ops = _check_arch(link, ops)
        self.dropout = float(dropout)
        self.pre = nn.Linear(in_channels, hidden) if num_pre else None
        c0 = hidden if num_pre else in_channels
        in_dims, dims, self.leaves = _node_dims(self.link, self.ops, c0, hidden)
        self.node_ops = nn.ModuleList(GNNOp(op, c, hidden) for op, c in zip(self.ops, in_dims))
        self.norms = nn.ModuleList(nn.BatchNorm1d(hidden) for _ in range(4))
        c = sum(dims[j] for j in self.leaves)
        post = []
        for _ in range(num_post):
            post.append(nn.Linear(c, hidden))
            c = hidden
        self.post = nn.ModuleList(post)
        self.classifier = nn.Linear(c, num_classes)

    @classmethod
    def from_cell(cls, cell, dataset: str | None = None, **kw) -> "GNNNetwork":
        """From a batch of one ``NBGraphCells`` (``link`` pattern index, ``ops``) or a (link list, ops) pair;
        ``dataset`` fills the benchmark's settings for that dataset (explicit keywords win)."""
        if hasattr(cell, "arrays"):
            if len(cell) != 1:
                raise ValueError(f"build takes a single cell (a batch of one), got a batch of {len(cell)}")
            a = cell.arrays()
            if "link" not in a or "ops" not in a:
                raise TypeError(f"{type(cell).__name__} has no link/ops fields; is it a cell of another space?")
            pattern = int(np.asarray(a["link"]).reshape(-1)[0])
            if not 0 <= pattern < len(GNN_LINKS):
                raise ValueError(f"link pattern {pattern} is not in 0..{len(GNN_LINKS) - 1}")
            link, ops = GNN_LINKS[pattern], np.asarray(a["ops"][0])
        else:
            link, ops = cell
        if dataset is not None:
            if dataset not in NBGRAPH_SETTINGS:
                raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(NBGRAPH_SETTINGS)}")
            kw = {**NBGRAPH_SETTINGS[dataset], **kw}
        return cls(link, ops, **kw)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2:
            raise ValueError(f"x must be (nodes, features), got shape {tuple(x.shape)}")
        if edge_index.ndim != 2 or edge_index.shape[0] != 2:
            raise ValueError(f"edge_index must be (2, edges), got shape {tuple(edge_index.shape)}")
        edge_index = edge_index.to(torch.int64)
        if edge_index.numel() and (int(edge_index.min()) < 0 or int(edge_index.max()) >= x.shape[0]):
            raise ValueError(f"edge_index refers to nodes outside 0..{x.shape[0] - 1}")
        norms = _graph_norms(edge_index, x.shape[0], x.dtype)
        h = F.relu(self.pre(x)) if self.pre is not None else x
        tensors = [h]
        for i, (lk, op) in enumerate(zip(self.link, self.ops)):
            t = self.node_ops[i](tensors[lk], edge_index, norms)
            if op != SKIP:
                t = F.dropout(F.relu(self.norms[i](t)), self.dropout, self.training)
            tensors.append(t)
        out = torch.cat([tensors[j] for j in self.leaves], dim=1)
        for layer in self.post:
            out = F.dropout(F.relu(layer(out)), self.dropout, self.training)
        return self.classifier(out)


def nbgraph_param_counts(link, ops, in_channels: int, num_classes: int, hidden: int = 64, num_pre: int = 0,
                         num_post: int = 1) -> np.ndarray:
    """Parameter counts of ``GNNNetwork`` for a batch of architectures, without building them.

    ``link`` (n, 4) link lists or (n,) pattern indices into ``GNN_LINKS``; ``ops`` (n, 4) op codes.

    >>> nbgraph_param_counts([[0, 1, 2, 3]], [[8, 8, 8, 7]], in_channels=500, num_classes=3, hidden=128,
    ...                      num_post=0).tolist()
    [65539]
    """
    link = np.asarray(link)
    if link.ndim == 1:
        link = np.asarray(GNN_LINKS, dtype=np.int64)[link]
    ops = np.asarray(ops)
    h = hidden
    c0 = h if num_pre else in_channels
    out = np.empty(len(ops), dtype=np.int64)
    per_op = {0: lambda c: c * h + 3 * h, 1: lambda c: c * h + h, 2: lambda c: c * h + h,
              3: lambda c: 2 * c * h + h, 4: lambda c: 2 * c * h + h, 5: lambda c: 2 * c * h + h * h + h,
              6: lambda c: 2 * c * h + h, 7: lambda c: c * h + h, 8: lambda c: 0}
    fixed = (in_channels * h + h if num_pre else 0) + 4 * 2 * h
    for r in range(len(ops)):  # 4 nodes per row: cheap; rows are few thousand at most
        lk, op = _check_arch(link[r], ops[r])
        in_dims, dims, leaves = _node_dims(lk, op, c0, h)
        total = fixed + sum(per_op[o](c) for o, c in zip(op, in_dims))
        c = sum(dims[j] for j in leaves)
        for _ in range(num_post):
            total += c * h + h
            c = h
        out[r] = total + c * num_classes + num_classes
    return out

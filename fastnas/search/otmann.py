"""OTMANN: the optimal-transport distance between neural networks of NASBOT (Kandasamy et al. 2018, "Neural
architecture search with Bayesian optimisation and optimal transport", NeurIPS, section 3; official code
kirthevasank/nasbot: ``nn/nn_comparators.py``, ``nn/neural_network.py``, ``utils/graph_utils.py``), for cells.

For two networks with layers ``i`` of masses ``lm(i)`` and labels ``l(i)`` and a transport plan ``Z >= 0``
(row sums <= the masses of G1, column sums <= the masses of G2), for one structural coefficient ``nu_str``:

* label mismatch ``phi_lmm(Z) = <Z, C_lmm>``, ``C_lmm[i, j] = M[l(i), l(j)]`` with the code's CNN penalty
  matrix (``label_penalties``): 0 for equal labels, ``nu_nas * sqrt(2)/10 * sqrt(|k - k'|)`` between
  convolutions of kernel sizes ``k, k'`` of one family, the code's conv-vs-residual rule between two
  families (0.9 of that plus 0.1 ``nu_nas``), ``0.5 nu_nas`` between two poolings, forbidden otherwise;
* structural ``phi_str(Z) = <Z, C_str>``, ``C_str[i, j]`` = the mean of ``|delta(i) - delta(j)|`` over the
  code's 24 path lengths: shortest, longest and random-walk, from the input and to the output, counting the
  layers of each group ``all``, ``conv``, ``pool``, ``fc`` (the code's ``get_struct_cost_matrix``: a path
  counts the group's layers on it, the far end excluded; ``fc`` is empty in cells but kept in the mean);
* non-assignment ``phi_nas(Z)`` = ``nu_nas`` times the mass of G1 plus the mass of G2 left unassigned;

``d = min_Z phi_lmm + nu_str phi_str + phi_nas`` (the code's ``lp`` distance) and ``d_bar = d / (tm(G1) +
tm(G2))`` (its ``emd``; ``tm`` the total mass). NASBOT computes both for each ``nu_str`` of
``STRUCT_COEFFS`` = (0.1, 0.2, 0.4, 0.8) (mislabel coefficient 1), the 8 distances of its kernel
(``fastnas.search.nasbot``). The LP is solved as the code does, as a balanced transport problem with one
dummy node per side (supplies ``[lm(G1), tm(G2)]``, demands ``[lm(G2), tm(G1)]``, cost ``nu_nas`` to or
from a dummy, 0 between the dummies, a forbidden pair the code's 7.65432e5), by a compiled successive
shortest-path solver (``solver="pot"``: POT's network simplex ``emd_c``, the solver behind the code's
``ot.emd``); the tests check both against each other and against the LP in the paper's form solved by
scipy's ``linprog``.

Networks are layer graphs of the cells (``layer_graph``; NB101, NB201, DARTS): every convolution or
pooling is a layer, ``skip_connect`` a direct edge, ``none`` no edge, layers on no input -> output path
removed (functionally identical cells are at distance 0). Masses are the code's (``nasbot_masses``): a
convolution weighs (input channels) x (output channels), a pooling its input channels, the input and
output ``max(0.1 x the layers' total, 100)`` each. Channels are the cells' own (``DEFAULT_CHANNELS``):
NB201 C = 16 (the first stage), DARTS C = 32 (NAS-Bench-301's networks), NB101 the first stack's vertex
channels from 128 by nasbench's split. Every op in a cell maps C -> C channels and a node *sums* its inputs,
so a layer's input has C channels (the code's networks concatenate, summing the parents' channels).
``encoding="gcn"`` keeps the former graphs of the ``gcn`` encoding (op-on-node, ``none``/``skip`` nodes as
layers, masses 1 and 0.1 of the total, unequal labels never matched), for spaces without a layer graph:
not NASBOT's networks.
"""
from __future__ import annotations

import functools

import numpy as np

from ..predictors._base import flatten_gcn
from ..predictors.gcn import infer_layout
from ._otmann_solvers import _distances_kernel, _distances_pot

#: layer labels (the code's ``get_cnn_layer_labels`` plus the cells' 1x1, separable and dilated
#: convolutions and DARTS's second input): ``ip2`` is DARTS's c_{k-1}
LABELS = ("ip", "op", "ip2", "conv1", "conv3", "conv5", "sep3", "sep5", "dil3", "dil5", "max-pool", "avg-pool")
_CONVS = {"conv1": ("conv", 1), "conv3": ("conv", 3), "conv5": ("conv", 5), "sep3": ("sep", 3),
          "sep5": ("sep", 5), "dil3": ("dil", 3), "dil5": ("dil", 5)}
_POOLS = ("max-pool", "avg-pool")
_IO = ("ip", "op", "ip2")
GROUPS = ("all", "conv", "pool", "fc")           # the code's CNN_STRUCTURAL_PENALTY_GROUPS
STRUCT_COEFFS = (0.1, 0.2, 0.4, 0.8)             # the code's default struct_coeffs (nn/nn_gp.py)
CONV_SCALE = np.sqrt(2) / 10                     # nn_comparators: conv_scale
CONV_RES_RAW_COST_FRAC = 0.9                     # nn_comparators: between two convolution families
REPLACE_COST_INF_WITH = 7.65432e5                # nn_comparators: a forbidden pair's transport cost
NON_PROC_MASS_FRAC, NON_PROC_MASS_MIN = 0.1, 100.0   # neural_network.compute_layer_masses
#: op code of each space -> label
SPACE_LABELS = {"nb201": {2: "conv1", 3: "conv3", 4: "avg-pool"},
                "nb101": {0: "conv3", 1: "conv1", 2: "max-pool"},
                "darts": {0: "max-pool", 1: "avg-pool", 3: "sep3", 4: "sep5", 5: "dil3", 6: "dil5"}}
#: channels of a cell's layers: NB201's first stage, NAS-Bench-301's DARTS networks, NB101's stem
DEFAULT_CHANNELS = {"nb201": 16, "darts": 32, "nb101": 128}


def label_penalties(nu_nas: float = 1.0) -> np.ndarray:
    """The code's label mismatch matrix (``get_cnn_layer_label_mismatch_penalties``) over ``LABELS``,
    (12, 12) float64, ``inf`` where two labels may not be matched; all entries scale with ``nu_nas``.

    Two convolutions of kernel sizes ``k, k'``: ``raw = sqrt(2)/10 * sqrt(|k - k'|)``; within one family
    (plain, separable, dilated) the cost is ``raw``; across families the code's conv-vs-residual rule,
    ``raw`` if ``raw > nu_nas`` else ``0.9 raw + 0.1 nu_nas`` (the code has no separable or dilated labels;
    its residual blocks are the nearest kind of "another convolution"). Two poolings: 0.5.

    >>> P = label_penalties()
    >>> i = LABELS.index
    >>> float(P[i("conv1"), i("conv3")]), float(P[i("max-pool"), i("avg-pool")]), float(P[i("conv3"), i("ip")])
    (0.2, 0.5, inf)
    """
    return _label_penalties(float(nu_nas)).copy()


@functools.lru_cache(maxsize=8)
def _label_penalties(nu_nas: float) -> np.ndarray:
    """The matrix of ``label_penalties`` (cached; callers must not modify it)."""
    nu_nas = float(nu_nas)
    if not nu_nas > 0:
        raise ValueError(f"nu_nas must be > 0, got {nu_nas}")
    n = len(LABELS)
    P = np.zeros((n, n))
    for i, a in enumerate(LABELS):
        for j, b in enumerate(LABELS):
            if a == b:
                c = 0.0
            elif a in _CONVS and b in _CONVS:
                (fa, ka), (fb, kb) = _CONVS[a], _CONVS[b]
                raw = CONV_SCALE * np.sqrt(abs(ka - kb))
                c = raw if fa == fb or raw > nu_nas else CONV_RES_RAW_COST_FRAC * raw + \
                    (1 - CONV_RES_RAW_COST_FRAC) * nu_nas
            elif a in _POOLS and b in _POOLS:
                c = 0.5
            else:
                c = np.inf
            P[i, j] = c * nu_nas
    return P


def nasbot_masses(labels, c_in, c_out) -> np.ndarray:
    """The code's layer masses (``compute_layer_masses``), (n,) float64: a convolution weighs
    ``c_in * c_out``, a pooling ``c_in`` (channels), the input and output nodes ``max(0.1 x the layers'
    total, 100)`` each. ``labels``: names or indices of ``LABELS``.

    >>> nasbot_masses(["ip", "conv3", "avg-pool", "op"], [0, 16, 16, 0], [16, 16, 16, 0]).tolist()
    [100.0, 256.0, 16.0, 100.0]
    """
    lab = [LABELS[int(x)] if not isinstance(x, str) else x for x in labels]
    c_in, c_out = np.asarray(c_in, dtype=np.float64), np.asarray(c_out, dtype=np.float64)
    if len(c_in) != len(lab) or len(c_out) != len(lab):
        raise ValueError(f"need one channel count per layer: {len(lab)} labels, {len(c_in)}, {len(c_out)} channels")
    mass = np.zeros(len(lab))
    for k, name in enumerate(lab):
        if name not in LABELS:
            raise ValueError(f"unknown layer label {name!r}; valid: {LABELS}")
        if name in _IO:
            continue
        if not (c_in[k] > 0 and (name in _POOLS or c_out[k] > 0)):
            raise ValueError(f"layer {k} ({name}) needs positive channel counts, got {c_in[k]}, {c_out[k]}")
        mass[k] = c_in[k] if name in _POOLS else c_in[k] * c_out[k]
    io = np.array([name in _IO for name in lab])
    mass[io] = max(NON_PROC_MASS_FRAC * mass.sum(), NON_PROC_MASS_MIN)
    return mass


class CellGraph:
    """One network as OTMANN sees it: labels (n,) int (indices of ``LABELS``, or free op codes when
    ``nasbot=False``), adjacency (n, n) bool (``adj[i, j]``: edge i -> j, nodes in topological order),
    masses (n,) float64, path lengths (n, 24): from the inputs then to the outputs, for each group of
    ``GROUPS`` the shortest, longest and random-walk path length. ``io``: (input nodes, output nodes),
    default ([0], [n - 1]). ``nasbot=False`` (the ``gcn`` graphs): only the ``all`` group is non-empty."""

    __slots__ = ("labels", "adj", "mass", "paths", "nasbot")

    def __init__(self, labels, adj, mass, io=None, nasbot: bool = True):
        labels = [LABELS.index(x) if isinstance(x, str) else int(x) for x in labels]
        self.labels = np.asarray(labels, dtype=np.int64)
        self.adj = np.asarray(adj, dtype=bool)
        self.mass = np.asarray(mass, dtype=np.float64)
        self.nasbot = bool(nasbot)
        n = len(self.labels)
        if self.adj.shape != (n, n) or self.mass.shape != (n,):
            raise ValueError(f"need adj (n, n) and mass (n,) for n = {n} labels, got {self.adj.shape}, "
                             f"{self.mass.shape}")
        if not (np.isfinite(self.mass).all() and (self.mass >= 0).all()):
            raise ValueError("layer masses must be finite and >= 0")
        if self.nasbot and ((self.labels < 0) | (self.labels >= len(LABELS))).any():
            raise ValueError(f"labels must index LABELS (0..{len(LABELS) - 1})")
        ins, outs = io if io is not None else ([0], [n - 1])
        W = np.zeros((n, len(GROUPS)))
        W[:, 0] = 1.0
        if self.nasbot:
            names = [LABELS[x] for x in self.labels]
            W[:, 1] = [x in _CONVS for x in names]
            W[:, 2] = [x in _POOLS for x in names]
        rev = self.adj.T[::-1, ::-1]
        self.paths = np.concatenate([_path_lengths(self.adj, ins, W),
                                     _path_lengths(rev, [n - 1 - o for o in outs], W[::-1])[::-1]], axis=1)

    @property
    def total_mass(self) -> float:
        return float(self.mass.sum())


def _path_lengths(adj: np.ndarray, sources, w: np.ndarray) -> np.ndarray:
    """(n, 3 g): for each column of the node weights ``w`` (n, g), the shortest, longest and random-walk
    length of the paths from the source nodes along edges i -> j (nodes in topological order), a path
    counting the weights of its nodes other than the source (the code's ``compute_nn_path_lengths`` on
    edge weights set by the edge's far node; ``w`` = 1: edge counts). Nodes no path reaches get 0."""
    n, g = w.shape
    out = np.zeros((n, g, 3))
    reached = np.zeros(n, dtype=bool)
    reached[list(sources)] = True
    src = set(int(s) for s in sources)
    for u in range(n):
        if u in src:
            continue
        parents = np.flatnonzero(adj[:, u] & reached)
        if len(parents) == 0:
            continue
        reached[u] = True
        d = out[parents]
        out[u, :, 0] = w[u] + d[:, :, 0].min(axis=0)
        out[u, :, 1] = w[u] + d[:, :, 1].max(axis=0)
        out[u, :, 2] = w[u] + d[:, :, 2].mean(axis=0)
    return out.reshape(n, 3 * g)


# labels of layer graphs: 0 the (first) input, 1 the output, 2 DARTS's second input c_{k-1}, 3 + op code
_IN, _OUT, _IN2, _OP = 0, 1, 2, 3


def _edge_cell_layers(n_nodes, inputs, edges, outputs):
    """Layer graph of a cell whose operations sit on edges (NB201, DARTS), as NASBOT sees a network: every
    computing operation is a layer; ``skip_connect`` is a direct connection (no layer) and ``none`` no
    connection. ``inputs``: {cell node: input label}; ``edges``: (src, dst, op) with op an int label, "skip"
    or "none"; ``outputs``: the cell nodes summed/concatenated into the output. Returns (labels, parents),
    layer 0.. the inputs, then the layers in edge order, the output last; parents[i] lists i's inputs."""
    labels = [lab for _, lab in sorted(inputs.items())]
    feeds = {v: {k} for k, v in enumerate(sorted(inputs))}  # cell node -> layer nodes summed into it
    parents = [set() for _ in labels]
    for v in range(n_nodes):
        if v in feeds:
            continue
        feeds[v] = set()
        for s, d, op in edges:
            if d != v or op == "none":
                continue
            if op == "skip":
                feeds[v] |= feeds[s]
            else:
                labels.append(_OP + int(op))
                parents.append(set(feeds[s]))
                feeds[v].add(len(labels) - 1)
    labels.append(_OUT)
    parents.append(set().union(*(feeds[o] for o in outputs)))
    return labels, parents


def _pruned(labels, parents, n_io_in, keep_out=None):
    """Drop the layers on no input -> output path (NASBOT's networks have none); adjacency in topological
    order. The inputs (the first ``n_io_in`` nodes) and the output (last) are always kept; ``keep_out``
    (a list) receives the kept node indices."""
    n = len(labels)
    fwd = [False] * n
    for i in range(n):
        fwd[i] = i < n_io_in or any(fwd[p] for p in parents[i])
    bwd = [False] * n
    bwd[-1] = True
    for i in range(n - 1, -1, -1):
        if bwd[i]:
            for p in parents[i]:
                bwd[p] = True
    keep = [i for i in range(n) if i < n_io_in or i == n - 1 or (fwd[i] and bwd[i])]
    if keep_out is not None:
        keep_out[:] = keep
    pos = {v: k for k, v in enumerate(keep)}
    adj = np.zeros((len(keep), len(keep)), dtype=bool)
    for i in keep:
        for p in parents[i]:
            if p in pos:
                adj[pos[p], pos[i]] = True
    return np.array([labels[i] for i in keep]), adj


def layer_graph(space, cell, channels=None) -> tuple[np.ndarray, np.ndarray, list[int], list[int]]:
    """One cell (a batch of one) of NB101, NB201 or DARTS as NASBOT's layer graph: (labels, adjacency,
    input nodes, output nodes). Every computing operation is a layer, labelled ``3 + op code`` (input 0,
    output 1, DARTS's second input 2); ``skip_connect`` is a direct connection, ``none`` no connection;
    layers on no input -> output path are removed. DARTS's normal and reduction cells become one graph of
    two components, each with its own inputs and output. ``channels`` (NB101 only, a one-element list
    ``[C]``): replaced by the channels of every kept vertex of the first stack's cell (input and output
    ``C``; nasbench's ``compute_vertex_channels`` split).

    >>> from fastnas.spaces import get_space
    >>> sp = get_space("nb201")
    >>> # edges 0->1 conv3x3, 0->2 skip, 1->2 conv1x1, 0->3 none, 1->3 none, 2->3 avg_pool
    >>> labels, adj, ins, outs = layer_graph(sp, sp.from_ops([[3, 1, 2, 0, 0, 4]]))
    >>> labels.tolist()   # input, conv3x3, conv1x1, pool, output
    [0, 6, 5, 7, 1]
    >>> [tuple(e) for e in np.argwhere(adj).tolist()]   # the skip joins the input straight to the pool
    [(0, 1), (0, 3), (1, 2), (2, 3), (3, 4)]
    """
    name = space.name
    if name == "nb201":
        ops = [int(o) for o in space._ops(cell)[0]]
        from ..spaces.nb201 import EDGES
        edges = [(s, d, "none" if o == 0 else "skip" if o == 1 else o) for (s, d), o in zip(EDGES, ops)]
        lab, A = _pruned(*_edge_cell_layers(4, {0: _IN}, edges, [3]), 1)
        return lab, A, [0], [len(lab) - 1]
    if name == "darts":
        labels, blocks, ins, outs = [], [], [], []
        for c in range(2):
            inp, ops = cell._arrays["inputs"][0, c], cell._arrays["ops"][0, c]
            edges = [(int(inp[e]), 2 + e // 2, "skip" if int(ops[e]) == 2 else int(ops[e])) for e in range(8)]
            lab, A = _pruned(*_edge_cell_layers(6, {0: _IN, 1: _IN2}, edges, [2, 3, 4, 5]), 2)
            off = sum(len(x) for x in labels)
            labels.append(lab)
            blocks.append(A)
            ins += [off, off + 1]
            outs.append(off + len(lab) - 1)
        n = sum(len(x) for x in labels)
        adj = np.zeros((n, n), dtype=bool)
        adj[:len(blocks[0]), :len(blocks[0])] = blocks[0]
        adj[len(blocks[0]):, len(blocks[0]):] = blocks[1]
        return np.concatenate(labels), adj, ins, outs
    if name == "nb101":
        cell = space.prune(cell)
        m, o, v = (cell._arrays[k][0] for k in ("matrix", "ops", "n_vertices"))
        v = int(v)
        labels = [_IN if int(x) == -1 else _OUT if int(x) == -2 else _OP + int(x) for x in o[:v]]
        parents = [set(np.flatnonzero(m[:v, i]).tolist()) for i in range(v)]
        kept = []
        lab, A = _pruned(labels, parents, 1, kept)
        if channels is not None:
            ch = _nb101_vertex_channels(int(channels[0]), np.asarray(m[:v, :v], dtype=np.int64))
            channels[:] = [ch[i] for i in kept]
        return lab, A, [0], [len(lab) - 1]
    raise ValueError(f"no layer graph for space {name!r}; pass encoding='gcn'")




def _nb101_vertex_channels(c: int, matrix: np.ndarray) -> list[int]:
    """nasbench's ``compute_vertex_channels`` for a pruned cell with input and output ``c`` channels
    (``fastnas.spaces.nb101_channels.nb101_vertex_channels``)."""
    from ..spaces.nb101_channels import nb101_vertex_channels

    return nb101_vertex_channels(c, c, matrix)


def cell_graphs(space, cells, encoding: str | None = None, channels: int | None = None) -> list[CellGraph]:
    """The cells of a batch as ``CellGraph`` objects.

    ``encoding=None`` (NB101, NB201, DARTS): NASBOT's layer graphs (``layer_graph``), labels mapped by
    ``SPACE_LABELS``, the code's masses from the cells' channels (``channels``: default
    ``DEFAULT_CHANNELS[space]``). ``encoding="gcn"`` (any space with that encoding, e.g. ``nbgraph``): the
    op-on-node graph of the encoding, which keeps ``none`` and ``skip_connect`` nodes as layers, masses 1
    (inputs/outputs 0.1 of the total), labels matched only when equal -- not NASBOT's networks.

    >>> from fastnas.spaces import get_space
    >>> sp = get_space("nb201")
    >>> g = cell_graphs(sp, sp.from_ops([[3, 1, 2, 0, 0, 4]]))[0]   # conv3x3, skip, conv1x1, pool
    >>> [LABELS[i] for i in g.labels], g.mass.tolist()
    (['ip', 'conv3', 'conv1', 'avg-pool', 'op'], [100.0, 256.0, 256.0, 16.0, 100.0])
    """
    if encoding is None and space.name in SPACE_LABELS:
        C = DEFAULT_CHANNELS[space.name] if channels is None else channels
        if isinstance(C, bool) or not isinstance(C, (int, np.integer)) or C < 1:
            raise ValueError(f"channels must be a positive int, got {channels!r}")
        ops = SPACE_LABELS[space.name]
        io_names = {0: "ip", 1: "op", 2: "ip2"}
        out = []
        for i in range(len(cells)):
            ch = [int(C)]
            raw, adj, ins, outs = layer_graph(space, cells[i:i + 1], channels=ch)
            names = [io_names[x] if x < 3 else ops[int(x) - 3] for x in raw]
            c = np.array(ch if space.name == "nb101" else [int(C)] * len(names), dtype=np.float64)
            out.append(CellGraph(names, adj, nasbot_masses(names, c, c), io=(ins, outs)))
        return out
    return _gcn_cell_graphs(space, cells, encoding or "gcn")


def _gcn_cell_graphs(space, cells, encoding: str, zeta: float = 0.1) -> list[CellGraph]:
    """Graphs from the space's graph encoding (one-hot operations and adjacency; padded nodes dropped;
    rows with two graphs become one graph of two components)."""
    F, V = flatten_gcn(space.encode(cells, encoding))
    try:
        g, V2 = infer_layout(F)
        V = V or V2
    except ValueError:
        g = 1
        V = V or getattr(space, "gcn_nodes", None)
        if V is None:
            raise
    per = F.shape[1] // g
    nf = per - V * V
    out = []
    for row in F:
        labels, blocks, ins, outs, off = [], [], [], [], 0
        for j in range(g):
            part = row[j * per:(j + 1) * per]
            ops = part[:nf].reshape(V, -1)
            A = (part[nf:].reshape(V, V) > 0) & ~np.eye(V, dtype=bool)
            real = np.flatnonzero(ops.sum(axis=1) > 0)
            labels.append(ops[real].argmax(axis=1))
            blocks.append(A[np.ix_(real, real)])
            ins.append(off)
            outs.append(off + len(real) - 1)
            off += len(real)
        adj = np.zeros((off, off), dtype=bool)
        o = 0
        for b in blocks:
            adj[o:o + len(b), o:o + len(b)] = b
            o += len(b)
        is_io = np.zeros(off, dtype=bool)
        is_io[ins + outs] = True
        mass = np.where(is_io, zeta * max(int((~is_io).sum()), 1), 1.0)
        out.append(CellGraph(np.concatenate(labels), adj, mass, io=(ins, outs), nasbot=False))
    return out




def _label_cost(G, nu_nas, label_cost):
    if label_cost is not None:
        lc = np.asarray(label_cost, dtype=np.float64)
        top = max((int(g.labels.max()) for g in G if len(g.labels)), default=0)
        if lc.ndim != 2 or lc.shape[0] != lc.shape[1] or lc.shape[0] <= top:
            raise ValueError(f"label_cost must be a square matrix covering label {top}, got shape {lc.shape}")
        if np.isnan(lc).any() or (lc < 0).any():
            raise ValueError("label_cost entries must be >= 0 (inf: never matched), not NaN")
        return lc
    if all(g.nasbot for g in G):
        return _label_penalties(float(nu_nas))
    n = 1 + max(int(g.labels.max()) for g in G if len(g.labels))
    return np.where(np.eye(n, dtype=bool), 0.0, np.inf)   # gcn graphs: equal labels only


def _check(struct_coeffs, nu_nas):
    s = np.atleast_1d(np.asarray(struct_coeffs, dtype=np.float64))
    if s.ndim != 1 or len(s) == 0 or not (np.isfinite(s).all() and (s >= 0).all()):
        raise ValueError(f"need one or more finite structural coefficients >= 0, got {struct_coeffs!r}")
    if not (np.isfinite(nu_nas) and nu_nas > 0):
        raise ValueError(f"need nu_nas > 0, got {nu_nas}")
    return s


def cost_matrix(g1: CellGraph, g2: CellGraph, nu_str: float, label_cost=None, nu_nas: float = 1.0) -> np.ndarray:
    """``C_lmm + nu_str * C_str`` (n1, n2); ``inf`` where the labels may not be matched."""
    C_str = np.abs(g1.paths[:, None, :] - g2.paths[None, :, :]).mean(axis=2)
    lc = _label_cost([g1, g2], nu_nas, label_cost)
    return lc[np.ix_(g1.labels, g2.labels)] + nu_str * C_str


def _big(nu_nas):
    """A forbidden pair's cost: the code's constant; any cost above ``2 nu_nas`` is never optimal (the mass
    can go to both dummies instead), so the distance does not depend on it."""
    return max(REPLACE_COST_INF_WITH, 4.0 * nu_nas)


def otmann(g1: CellGraph, g2: CellGraph, nu_str: float = 1.0, nu_nas: float = 1.0, label_cost=None,
           normalised: bool = False) -> float:
    """The OTMANN distance ``d`` for one structural coefficient (see the module docstring);
    ``normalised`` returns ``d_bar = d / (tm(G1) + tm(G2))``. ``label_cost``: a label penalty matrix
    (default ``label_penalties(nu_nas)``; ``gcn`` graphs: equal labels only).

    >>> a = CellGraph(["ip", "conv3", "op"], [[0, 1, 0], [0, 0, 1], [0, 0, 0]], [100, 256, 100])
    >>> b = CellGraph(["ip", "avg-pool", "op"], [[0, 1, 0], [0, 0, 1], [0, 0, 0]], [100, 16, 100])
    >>> # conv and pool cannot be matched: 256 + 16 unassigned; the inputs (and the outputs) are matched at
    >>> # 100 x 6/24 (their conv and pool path counts, 3 path types each, differ by 1): 2 x 25
    >>> otmann(a, a), otmann(a, b)
    (0.0, 322.0)
    """
    _check(nu_str, nu_nas)
    return float(distance_matrix([g1], [g2], (nu_str,), nu_nas, label_cost)[int(normalised)][0, 0, 0])


def _padded(G, V):
    N = len(G)
    P = np.zeros((N, V, G[0].paths.shape[1]))
    L = np.zeros((N, V), dtype=np.int64)
    M = np.zeros((N, V))
    n = np.zeros(N, dtype=np.int64)
    for k, g in enumerate(G):
        n[k] = len(g.labels)
        P[k, :n[k]], L[k, :n[k]], M[k, :n[k]] = g.paths, g.labels, g.mass
    return P, L, M, n


def distance_matrix(G1, G2, struct_coeffs=STRUCT_COEFFS, nu_nas: float = 1.0, label_cost=None,
                    symmetric: bool = False, solver: str = "ssp"):
    """(D, D_bar): OTMANN distances ``d`` and ``d_bar`` between two lists of ``CellGraph``, each
    (len(struct_coeffs), len1, len2) float64, one slice per structural coefficient (the code's
    ``lp`` and ``emd`` distances, ``OTMANNDistanceComputer.evaluate``).

    The structural and label costs of a row against all columns are built at once; each pair's transport
    problem is solved at its own size (so a distance never depends on the other graphs of the call).
    ``symmetric`` (G1 is G2) solves each unordered pair once. ``solver``: ``"ssp"`` (default) a compiled
    successive-shortest-path solver of the transport LP (numba; everything in one call, about 10x faster),
    ``"pot"`` POT's network simplex (``emd_c``, the code's solver); both are exact, the tests check them
    against each other and against scipy's ``linprog``.
    """
    s = _check(struct_coeffs, nu_nas)
    if solver not in ("ssp", "pot"):
        raise ValueError(f"solver must be 'ssp' or 'pot', got {solver!r}")
    G1, G2 = list(G1), list(G2)
    bad = [type(g).__name__ for g in G1 + G2 if not isinstance(g, CellGraph)]
    if bad:
        raise TypeError(f"distance_matrix needs lists of CellGraph, got {bad[0]}")
    n1, n2 = len(G1), len(G2)
    D = np.zeros((len(s), n1, n2))
    if n1 == 0 or n2 == 0:
        return D, D.copy()
    lc = _label_cost(list(G1) + list(G2), nu_nas, label_cost)
    V = max(max(len(g.labels) for g in G1), max(len(g.labels) for g in G2))
    P1, L1, M1, k1 = _padded(G1, V)
    P2, L2, M2, k2 = _padded(G2, V)
    tm1, tm2 = M1.sum(axis=1), M2.sum(axis=1)
    big = _big(nu_nas)
    lcb = np.where(np.isfinite(lc), lc, big)
    if solver == "ssp":
        _distances_kernel(P1, L1, M1, k1, P2, L2, M2, k2, lcb, s, float(nu_nas), bool(symmetric), D)
    else:
        _distances_pot(P1, L1, M1, k1, P2, L2, M2, k2, lcb, s, float(nu_nas), bool(symmetric), D)
    if symmetric:
        D = np.triu(D, 1)
        D = D + D.transpose(0, 2, 1)
    return D, D / (tm1[:, None] + tm2[None, :])

"""NAS-Bench-Graph GNNs: every op against a dense reference, shapes, the benchmark's parameter counts."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fastnas.models import build  # noqa: E402
from fastnas.models.nbgraph import (GNN_LINKS, NBGRAPH_SETTINGS, GNNNetwork, GNNOp, _graph_norms,  # noqa: E402
                                    nbgraph_param_counts)




def n_params(net) -> int:
    return sum(p.numel() for p in net.parameters())


def graph(n=7, e=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(0, n, (e,), generator=g)
    dst = (src + torch.randint(1, n, (e,), generator=g)) % n  # no self loops
    ei = torch.stack([src, dst])
    A = torch.zeros(n, n, dtype=torch.float64)
    A.index_put_((dst, src), torch.ones(e, dtype=torch.float64), accumulate=True)  # A[i, j]: edges j -> i
    return ei, A


def dense_reference(op: GNNOp, x: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    """The op written from its paper's dense matrix formula (float64)."""
    name = ("gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip")[op.code]
    n = x.shape[0]
    I = torch.eye(n, dtype=x.dtype)
    deg = A.sum(1)
    dinv = torch.where(deg > 0, deg.clamp(min=1) ** -0.5, torch.zeros_like(deg))
    A_sym = dinv[:, None] * A * dinv[None, :]

    def W(lin):
        return lin.weight.double()

    if name == "skip":
        return x
    if name == "fc":
        return x @ W(op.lin).T + op.lin.bias.double()
    if name == "gcn":
        At = A + I
        d = At.sum(1) ** -0.5
        return (d[:, None] * At * d[None, :]) @ x @ W(op.lin).T + op.bias.double()
    if name == "gin":
        return (x + A @ x) @ W(op.lin).T + op.lin.bias.double()
    if name == "cheb":
        return x @ W(op.lin).T + op.lin.bias.double() + (-A_sym @ x) @ W(op.lin2).T
    if name == "sage":
        return ((A @ x) / deg.clamp(min=1)[:, None]) @ W(op.lin).T + op.lin.bias.double() + x @ W(op.lin2).T
    if name == "graph":
        return (A @ x) @ W(op.lin).T + op.lin.bias.double() + x @ W(op.lin2).T
    if name == "arma":
        return torch.relu(A_sym @ x @ W(op.init_weight).T + x @ W(op.root).T + op.bias.double())
    # gat: for each head, alpha_ij = softmax_j over {j -> i} and i itself of leakyrelu(a_s.h_j + a_d.h_i)
    h = (x @ W(op.lin).T).view(n, 2, -1)
    outs = []
    mask = (A + I) > 0
    for k in range(2):
        s = h[:, k] @ op.att_src[0, k].double()
        d = h[:, k] @ op.att_dst[0, k].double()
        e = torch.nn.functional.leaky_relu(d[:, None] + s[None, :], 0.2)
        e = e.masked_fill(~mask, -torch.inf)
        # multi-edges count once per copy in message passing: weight by multiplicity
        mult = A + I
        w = torch.exp(e - e.max(1, keepdim=True).values) * mult
        outs.append((w / w.sum(1, keepdim=True)) @ h[:, k])
    return torch.cat(outs, 1) + op.bias.double()


@pytest.mark.parametrize("code", range(9))
def test_each_op_matches_dense_reference(code):
    torch.manual_seed(code)
    ei, A = graph()
    op = GNNOp(code, 5, 6).double()
    with torch.no_grad():
        for p in op.parameters():
            p.normal_()
    x = torch.randn(7, 5, dtype=torch.float64)
    with torch.no_grad():
        got = op(x, ei, _graph_norms(ei, 7, torch.float64))
        want = dense_reference(op, x, A)
    assert got.shape == want.shape
    assert torch.allclose(got, want, atol=1e-10), (got - want).abs().max()


def test_network_shapes_and_leaves():
    ei, _ = graph()
    x = torch.randn(7, 5)
    # [0, 0, 1, 1]: nodes 3 and 4 read node 1; leaves 2, 3, 4 are concatenated
    net = GNNNetwork([0, 0, 1, 1], [1, 0, 4, 7], in_channels=5, num_classes=3, hidden=8, num_post=0)
    assert net.leaves == [2, 3, 4] and net.classifier.in_features == 24
    assert net(x, ei).shape == (7, 3)
    net = GNNNetwork([0, 1, 2, 3], [8, 8, 1, 5], in_channels=5, num_classes=4, hidden=6, num_pre=1, num_post=2,
                     dropout=0.5).eval()
    assert net(x, ei).shape == (7, 4)


def test_analytic_counts_match_built_networks():
    rng = np.random.default_rng(3)
    for _ in range(12):
        pattern = int(rng.integers(9))
        ops = rng.integers(0, 9, 4)
        if (ops == 8).all():
            continue
        for pre, post in ((0, 1), (1, 0), (0, 2)):
            net = GNNNetwork(GNN_LINKS[pattern], ops, in_channels=11, num_classes=4, hidden=6, num_pre=pre,
                             num_post=post)
            assert n_params(net) == nbgraph_param_counts([pattern], [ops], in_channels=11, num_classes=4, hidden=6,
                                                         num_pre=pre, num_post=post)[0]


def test_bad_architectures():
    with pytest.raises(ValueError, match="node 3: link 3"):
        GNNNetwork([0, 1, 3, 3], [1, 1, 1, 1])
    with pytest.raises(ValueError, match="node 2: op code 9"):
        GNNNetwork([0, 1, 2, 3], [1, 9, 1, 1])
    with pytest.raises(ValueError, match="all-skip"):
        GNNNetwork([0, 1, 2, 3], [8, 8, 8, 8])
    net = GNNNetwork([0, 1, 2, 3], [1, 1, 1, 1], in_channels=2, num_classes=2, hidden=4)
    with pytest.raises(ValueError, match="outside"):
        net(torch.zeros(3, 2), torch.tensor([[0], [3]]))


def test_build_from_space_cells_and_dataset_settings():
    spaces = pytest.importorskip("fastnas.spaces.nbgraph")
    cells = spaces.NBGraph.from_arch([[0, 1, 2, 3]], [["skip", "skip", "gcn", "gcn"]])
    net = build("nbgraph", cells, dataset="cora")
    assert n_params(net) == 502535  # the benchmark's para for this architecture on Cora (0.502535 M)
    net = build("nbgraph", cells, width=8, in_channels=3, num_classes=2)
    ei, _ = graph()
    assert net(torch.randn(7, 3), ei).shape == (7, 2)


def _load_bench(name: str):
    """The benchmark's light table from the nas-bench-graph PyPI package, unpickled with an allow-list
    (plain containers and numpy scalars only)."""
    pkg = pytest.importorskip("nas_bench_graph")
    allowed = {("numpy.core.multiarray", "scalar"), ("numpy", "dtype"), ("numpy._core.multiarray", "scalar")}

    class Restricted(pickle.Unpickler):
        def find_class(self, module, attr):
            if (module, attr) in allowed:
                return super().find_class(module, attr)
            raise pickle.UnpicklingError(f"{module}.{attr} is not allowed")

    with open(Path(pkg.__file__).parent / "light" / f"{name}.bench", "rb") as f:
        return Restricted(f).load()


@pytest.mark.parametrize("dataset", sorted(NBGRAPH_SETTINGS))
def test_benchmark_params_column(dataset):
    bench = _load_bench(dataset)
    keys = np.array(sorted(bench))
    digits = (keys[:, None] // 10 ** np.arange(4, -1, -1)) % 10  # pattern, then 4 op codes
    published = np.array([round(float(bench[k]["para"]) * 1e6) for k in keys])
    counts = nbgraph_param_counts(digits[:, 0], digits[:, 1:], **NBGRAPH_SETTINGS[dataset])
    if dataset == "physics":
        assert (counts == published).sum() == 24639
    else:
        assert np.array_equal(counts, published)
    k = keys[len(keys) // 2]
    net = GNNNetwork.from_cell((GNN_LINKS[k // 10000], [k // 10 ** i % 10 for i in (3, 2, 1, 0)]), dataset=dataset)
    assert n_params(net) == counts[len(keys) // 2]

"""NAS-Bench-Graph space: canonical form and key against the benchmark's own function on every
architecture, published counts, converters, moves, bad input."""
from __future__ import annotations

import itertools
import pickle
from pathlib import Path

import numpy as np
import pytest

from fastnas.spaces.nbgraph import LINKS, OPS, NBGraph, NBGraphCells

SPACE = NBGraph()
ALL_LINKS = [l for l in itertools.product(range(4), repeat=4) if all(l[i] <= i for i in range(4))]


def test_counts_published():
    assert len(ALL_LINKS) == 24
    e = SPACE.enumerate()
    assert len(e) == 26206
    assert len(NBGraph("proteins").enumerate()) == 2021
    keys = SPACE.key(e)
    assert np.all(np.diff(keys.astype(np.int64)) > 0)  # ascending, distinct
    assert SPACE.canonical(e) == e  # every enumerated cell is its own canonical form
    pr = NBGraph("proteins")
    whole = pr.sample(2021, seed=0, unique=True)  # unique sampling can exhaust the space
    assert np.array_equal(np.sort(pr.key(whole)), pr.key(pr.enumerate()))


def test_every_architecture_matches_the_benchmark_package():
    arch = pytest.importorskip("nas_bench_graph.architecture")
    links = np.array(ALL_LINKS).repeat(9**4, axis=0)
    ops = np.tile(np.array(list(itertools.product(range(9), repeat=4))), (24, 1))
    names = np.array(OPS, dtype=object)[ops].tolist()
    cells = NBGraph.from_arch(links, names)
    ours = NBGraph.to_hash(cells)
    theirs = np.array([arch.Arch(list(l), n).valid_hash() for l, n in zip(links.tolist(), names)])
    assert np.array_equal(ours, theirs)  # all 24 x 9**4 = 157,464 raw architectures


_ALLOWED = {("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"), ("numpy", "dtype")}


class _Restricted(pickle.Unpickler):
    """The tables are plain dicts of numbers: refuse any other class (never a plain pickle.load)."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing {module}.{name}")


def test_keys_of_the_bundled_tables():
    nbg = pytest.importorskip("nas_bench_graph")
    root = Path(nbg.__file__).parent / "light"
    for dataset, n in (("cora", 26206), ("proteins", 2021)):
        with open(root / f"{dataset}.bench", "rb") as f:
            bench = _Restricted(f).load()
        keys = np.array(sorted(bench), dtype=np.int64)
        assert len(keys) == n
        sp = NBGraph(dataset)
        assert np.array_equal(NBGraph.to_hash(sp.enumerate()), keys)
        assert np.array_equal(NBGraph.to_hash(NBGraph.from_hash(keys)), keys)


def test_worked_examples():
    c = NBGraph.from_arch([0, 1, 2, 3], ["skip", "skip", "gcn", "gcn"])
    assert NBGraph.to_hash(c).tolist() == [88811]
    # [0,0,0,2] is pattern [0,0,0,1] with nodes 1 and 2 exchanged (benchmark's regularize)
    r = NBGraph.from_arch([0, 0, 0, 2], ["gcn", "gat", "gin", "fc"])
    assert r.link.tolist() == [1] and r.ops.tolist() == [[0, 1, 2, 7]]
    # pattern [0,0,0,0]: the 4 parallel ops are sorted
    p = NBGraph.from_arch([0, 0, 0, 0], ["fc", "gat", "sage", "gcn"])
    assert NBGraph.to_hash(p).tolist() == [147]  # pattern 0, ops gat gcn sage fc = 0 1 4 7
    assert NBGraph.to_arch(NBGraph.from_hash(88811)) == ([[0, 1, 2, 3]], [["skip", "skip", "gcn", "gcn"]])
    s = NBGraph.to_strings(c)
    assert s == ["link=0,1,2,3 ops=skip,skip,gcn,gcn"] and NBGraph.from_strings(s) == c


def test_sample_mutate_neighbors_encodings():
    for sp in (SPACE, NBGraph("proteins")):
        c = sp.sample(400, seed=2)
        assert sp.is_valid(c).all() and sp.sample(400, seed=2) == c
        m = sp.mutate(c, seed=5)
        assert sp.is_valid(m).all() and (sp.key(m) != sp.key(c)).all()
        nb, parent = sp.neighbors_batch(c[:30])
        assert sp.is_valid(nb).all() and (sp.key(nb) != sp.key(c[:30])[parent]).all()
        u = sp.sample(500, seed=1, unique=True)
        assert len(np.unique(sp.key(u))) == 500
    allowed = {OPS.index(o) for o in NBGraph("proteins").ops_allowed}
    assert set(np.unique(NBGraph("proteins").sample(500, seed=0).ops).tolist()) <= allowed
    c = SPACE.sample(10, seed=0)
    x = SPACE.encode(c, "onehot")
    assert x.shape == (10, 45) and x.sum(axis=1).tolist() == [5.0] * 10
    g = SPACE.encode(c, "gcn")
    assert g.shape == (10, 102) and np.allclose(g[:, 66:].reshape(10, 6, 6).sum(axis=2), 1.0)
    assert SPACE.encode(c, "categorical").shape == (10, 5)


def test_bad_input():
    with pytest.raises(ValueError, match="row 1: link \\[0, 1, 3, 0\\]"):
        NBGraph.from_arch([[0, 0, 0, 0], [0, 1, 3, 0]], [["gcn"] * 4] * 2)
    with pytest.raises(ValueError, match="unknown op 'gnn'"):
        NBGraph.from_arch([0, 0, 0, 0], ["gcn", "gnn", "gcn", "gcn"])
    with pytest.raises(ValueError, match="is not the key of a canonical"):
        NBGraph.from_hash([88811, 1118])
    with pytest.raises(ValueError, match="op digit 9"):
        NBGraph.from_hash([19])
    with pytest.raises(ValueError, match="need 0 <= key"):
        NBGraph.from_hash([90000])
    with pytest.raises(ValueError, match="malformed"):
        NBGraph.from_strings(["link=0,0,0 ops"])
    with pytest.raises(ValueError, match="row 0: link pattern 9"):
        NBGraph.to_hash(NBGraphCells(link=[9], ops=[[0, 0, 0, 0]]))
    with pytest.raises(ValueError, match="row 0: cell is not in the space"):
        NBGraph("proteins").mutate(NBGraphCells(link=[0], ops=[[0, 1, 1, 1]]), seed=0)
    assert NBGraph("proteins").is_valid(NBGraphCells(link=[0, 0], ops=[[0, 1, 1, 1], [1, 1, 1, 1]])).tolist() \
        == [False, True]
    assert SPACE.is_valid(NBGraphCells(link=[3], ops=[[8, 8, 8, 8]])).tolist() == [False]
    with pytest.raises(TypeError):
        SPACE.key(np.zeros(3))
    with pytest.raises(ValueError, match="unknown encoding"):
        SPACE.encode(SPACE.sample(1, seed=0), "path")
    with pytest.raises(ValueError, match="unknown NAS-Bench-Graph dataset 'imagenet'"):
        NBGraph("imagenet").sample(1, seed=0)
    assert NBGraph("Cora").sample(3, seed=0) == SPACE.sample(3, seed=0)

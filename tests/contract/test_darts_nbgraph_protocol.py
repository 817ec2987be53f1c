"""DARTS and NBGraph honour the shared SearchSpace protocol (what search, predictors and benchmarks use)."""
import pickle

import numpy as np
import pytest

from fastnas.spaces import SearchSpace, get_space
from fastnas.spaces.darts import DARTS, DARTSCells
from fastnas.spaces.nbgraph import NBGraph, NBGraphCells


@pytest.mark.parametrize("name, cls, cells_type, finite", [
    ("darts", DARTS, DARTSCells, False), ("nbgraph", NBGraph, NBGraphCells, True)])
def test_lookup(name, cls, cells_type, finite):
    sp = get_space(name)
    assert isinstance(sp, cls) and isinstance(sp, SearchSpace)
    assert sp.cells_type is cells_type and sp.finite is finite and sp.name == name


@pytest.mark.parametrize("sp", [DARTS(), NBGraph(), NBGraph(dataset="proteins")], ids=repr)
def test_protocol_methods_on_a_batch(sp):
    c = sp.sample(64, seed=0)
    assert len(c) == 64 and isinstance(c, sp.cells_type)
    assert sp.key(c).dtype == np.uint64 and sp.is_valid(c).dtype == bool and sp.is_valid(c).all()
    assert sp.is_isomorphic(c, c).all()
    for kind in sp.encodings:
        x = sp.encode(c, kind)
        assert x.shape == (64, sp.encoding_dim(kind)) and x.dtype == np.float32
    u, first = sp.unique(sp.concat([c, c]))
    assert len(u) == len(np.unique(sp.key(c))) and (first < 64).all()
    assert sp.from_strings(sp.to_strings(c)) == c
    assert pickle.loads(pickle.dumps(c)) == c
    nb, parent = sp.neighbors_batch(c[:3])
    assert set(parent.tolist()) == {0, 1, 2} and np.all(np.diff(parent) >= 0)
    one = c[2]
    assert len(one) == 1 and len(sp.mutate(one, seed=0)) == 1 and len(sp.neighbors(one)) == (parent == 2).sum()
    with pytest.raises(ValueError):
        sp.neighbors(c[:2])
    with pytest.raises(TypeError):
        sp.sample(2.5, seed=0)
    with pytest.raises(ValueError):
        sp.sample(-1, seed=0)

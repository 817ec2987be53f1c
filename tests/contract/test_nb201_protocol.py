"""NB201 honours the shared SearchSpace protocol (what search, predictors and benchmarks rely on)."""
import pickle

import numpy as np

import fastnas
from fastnas.spaces import SearchSpace, get_space
from fastnas.spaces.nb201 import NB201, NB201Cells


def test_lookup_and_reexports():
    sp = get_space("nb201")
    assert isinstance(sp, NB201) and isinstance(sp, SearchSpace)
    assert fastnas.NB201 is NB201 and sp.cells_type is NB201Cells
    assert sp.finite and set(sp.encodings) >= {"adjacency", "path", "path_trunc", "path_naslib", "gcn", "categorical"}


def test_protocol_methods_on_a_batch():
    sp = NB201()
    c = sp.sample(64, seed=0)
    assert len(c) == 64 and isinstance(c, NB201Cells)
    assert sp.key(c).dtype == np.uint64 and sp.is_valid(c).dtype == bool
    assert sp.is_isomorphic(c, c).all()
    for kind in sp.encodings:
        x = sp.encode(c, kind)
        assert x.shape == (64, sp.encoding_dim(kind)) and x.dtype == np.float32
    u, first = sp.unique(sp.concat([c, c]))
    assert len(u) == len(np.unique(sp.key(c))) and (first < 64).all()
    assert sp.from_strings(sp.to_strings(c)) == c
    assert pickle.loads(pickle.dumps(c)) == c
    nb, parent = sp.neighbors_batch(c[:3])
    assert len(nb) == 72 and parent.tolist() == [0] * 24 + [1] * 24 + [2] * 24


def test_single_cell_is_a_batch_of_one():
    sp = NB201()
    one = sp.sample(5, seed=1)[2]
    assert len(one) == 1 and len(sp.mutate(one, seed=0)) == 1 and len(sp.neighbors(one)) == 24

"""Graph predictors accept every space's gcn encoding, including NB101's dict form."""
import numpy as np
import pytest

from fastnas import NB101, predictors
from fastnas.predictors._base import flatten_gcn


def test_flatten_gcn_layout():
    s = NB101()
    c = s.sample(5, seed=0)
    enc = s.encode(c, "gcn")
    flat, V = flatten_gcn(enc)
    assert V == 7 and flat.shape == (5, 7 * enc["operations"].shape[2] + 49)
    np.testing.assert_array_equal(flat[:, -49:].reshape(5, 7, 7), enc["adjacency"])


@pytest.mark.parametrize("name", ["gcn", "bonas"])
def test_graph_predictors_on_nb101_cells(name):
    pytest.importorskip("torch")
    s = NB101()
    c = s.sample(40, seed=0)
    y = s.encode(c, "path_trunc").sum(axis=1).astype(float)
    m = predictors.make(name, space=s, encoding="gcn", epochs=30, seed=0).fit(c, y)
    pred = m.predict(c)
    assert pred.shape == (40,) and np.mean((pred - y) ** 2) < np.var(y)

"""NB101 encodings on hand-worked cells, and the fingerprint-table cache."""
import numpy as np
import pytest

from fastnas import NB101
from fastnas.spaces import nb101_table
from fastnas.spaces.nb101 import NB101Cells

I, O, C3, C1, MP = "input", "output", "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"
space = NB101()
# input -> conv1x1 -> maxpool -> output, plus input -> maxpool and the skip input -> output
CELL = NB101.from_specs([[0, 1, 1, 1], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]], [I, C1, MP, O])


def test_path_hand_worked():
    # paths: direct (0); maxpool (3^0 * 3 = 3); conv1x1 then maxpool (2 + 3 * 3 = 11)
    assert space.path_indices(CELL) == [0, 3, 11]
    p = space.encode(CELL, "path")
    assert p.dtype == np.uint8 and p.shape == (1, 364) and p.sum() == 3
    assert space.encode(CELL, "path_trunc").shape == (1, 40)
    assert space.encode(CELL, "path_trunc", k=5)[0].tolist() == [1, 0, 0, 1, 0]
    assert space.encode(CELL, "path_cat")[0].tolist() == [0, 3, 11, -1, -1, -1, -1, -1]
    # the longest paths: 5 inner ops, indices up to 363
    chain = NB101.from_specs(np.eye(7, k=1, dtype=int).tolist(), [I, MP, MP, MP, MP, MP, O])
    assert space.path_indices(chain) == [363]


def test_adjacency_hand_worked():
    a = space.encode(CELL, "adjacency")
    assert a.shape == (1, 36)
    # padded to 7: vertices 0, 1, 2 stay, the output moves to 6
    m7 = np.zeros((7, 7), int)
    m7[0, 1] = m7[0, 2] = m7[0, 6] = m7[1, 2] = m7[2, 6] = 1
    bits = m7[np.triu_indices(7, 1)]
    onehot = [0, 1, 0, 0, 0, 1] + [0] * 9  # conv1x1, maxpool, three padded vertices
    assert a[0].tolist() == bits.tolist() + onehot
    cat = space.encode(CELL, "adjacency_cat")[0]
    edges = np.flatnonzero(bits).tolist()
    assert cat.tolist() == edges + [21] * (9 - len(edges)) + [0.0, 1.0, -1.0, -1.0, -1.0]
    cont = space.encode(CELL, "adjacency_cont")[0]
    assert cont[:21].tolist() == bits.tolist() and cont[21:26].tolist() == [0.0, 1.0, -1, -1, -1]
    assert cont[26] == 5


def test_adjacency_uses_pruned_cell():
    dangling = NB101.from_specs([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]], [I, C3, MP, O])
    pruned = space.prune(dangling)
    for kind in ("adjacency", "adjacency_cat", "adjacency_cont", "path"):
        np.testing.assert_array_equal(space.encode(dangling, kind), space.encode(pruned, kind))


def test_gcn_layout():
    g = space.encode(CELL, "gcn")
    assert g["operations"].shape == (1, 7, 5) and g["adjacency"].shape == (1, 7, 7)
    assert g["operations"][0, :4].argmax(axis=1).tolist() == [0, 2, 3, 4]
    assert not g["operations"][0, 4:].any()
    assert g["mask"][0].tolist() == [True] * 4 + [False] * 3
    adj = g["adjacency"][0]
    np.testing.assert_allclose(adj[:4].sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(adj[0, :4], [0.25] * 4)  # self loop + three successors
    assert not adj[4:].any() and not adj[:, 4:].any()


def test_encode_errors():
    with pytest.raises(ValueError, match="unknown encoding 'paths'"):
        space.encode(CELL, "paths")
    with pytest.raises(ValueError, match="k must be"):
        space.encode(CELL, "path_trunc", k=0)
    with pytest.raises(TypeError, match="unexpected options"):
        space.encode(CELL, "path", depth=2)
    bad = NB101.from_specs([[0, 0], [0, 0]], [I, O])
    with pytest.raises(ValueError, match="row 1: cell is not in the space"):
        space.encode(NB101Cells.concat([CELL, bad]), "adjacency")
    with pytest.raises(ValueError, match="batch of one"):
        space.path_indices(NB101Cells.concat([CELL, CELL]))


def test_table_cache_round_trip_and_corruption(tmp_path):
    s = space.sample(50, seed=1)
    keys = space.key(s)
    _, first = np.unique(keys, return_index=True)
    s, keys = s[np.sort(first)], keys[np.sort(first)]
    hexes = space.hash(s, table=False).astype("S32").view(np.uint8).reshape(-1, 32)
    tbl = nb101_table.HashTable(keys, hexes)
    path = tbl.save(tmp_path / "t.npz")
    back = nb101_table.HashTable.load(path)
    np.testing.assert_array_equal(back.keys, keys)
    assert (back.lookup(keys) == tbl.hashes).all()
    assert back.lookup(np.array([1], np.uint64)).tolist() == [b""]
    assert (back.index_of_hashes(space.hash(s[3:5], table=False)) == [3, 4]).all()
    raw = bytearray(path.read_bytes())
    raw[-200] ^= 0xFF  # flip bits inside the data
    path.write_bytes(bytes(raw))
    with pytest.warns(RuntimeWarning, match="ignoring"):
        assert nb101_table.HashTable.load(path) is None
    assert nb101_table.HashTable.load(tmp_path / "absent.npz") is None
    assert not list(tmp_path.glob("*.tmp"))  # atomic writes leave no temporary files


def test_cache_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv("FASTNAS_CACHE", str(tmp_path))
    assert nb101_table.cache_dir() == tmp_path
    monkeypatch.delenv("FASTNAS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert nb101_table.cache_dir() == tmp_path / "x" / "fastnas"

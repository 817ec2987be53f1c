"""NB101 space: golden fingerprints, published counts, conversions and bad input."""
import numpy as np
import pytest

from fastnas import NB101
from fastnas.spaces.nb101 import COUNTS_BY_VERTICES, N_CELLS, NB101Cells

I, O, C3, C1, MP = "input", "output", "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"
README_M = [[0, 1, 1, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0, 0],
            [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]]
README_OPS = [I, C1, C3, C3, C3, MP, O]
GOLDEN = [
    ([[0, 1], [0, 0]], [I, O], "043721b9c7fe8c5fad811d47d83132ec"),
    ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [I, C3, O], "b49ac8c578b4561d79ac7087988f1c61"),
    ([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]], [I, C3, MP, O], "b49ac8c578b4561d79ac7087988f1c61"),
    (README_M, README_OPS, "28cfc7874f6d200472e1a9dcd8650aa0"),
]
space = NB101()


@pytest.mark.parametrize("table", [False, True])
def test_golden_hashes(table, nb101_cache):
    cells = NB101.from_specs([g[0] for g in GOLDEN], [g[1] for g in GOLDEN])
    assert space.hash(cells, table=table).tolist() == [g[2] for g in GOLDEN]


def test_importable_both_ways():
    import fastnas
    import fastnas.spaces

    assert fastnas.NB101 is fastnas.spaces.NB101 is NB101


def test_prune_hand_worked():
    # the dangling maxpool (vertex 2) is dropped, the order of the rest kept
    c = NB101.from_specs(GOLDEN[2][0], GOLDEN[2][1])
    p = space.prune(c)
    assert NB101.to_specs(p) == ([[[0, 1, 0], [0, 0, 1], [0, 0, 0]]], [[I, C3, O]])
    assert space.is_valid(c).tolist() == [True]


def test_validity_rules():
    disconnected = ([[0, 1, 0], [0, 0, 0], [0, 0, 0]], [I, C3, O])
    # 7 vertices, 10 edges, all on paths: outside the space
    ten = [[0, 1, 1, 1, 1, 1, 0], [0, 0, 1, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1],
           [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0], [0] * 7]
    ten[5][6] = 1
    # 10 ones but one dangling edge pruned away: inside
    nine_after = [row[:] for row in README_M]
    nine_after[0][4] = 1  # 0 -> 4 is on a path: 10 edges... make a dangling vertex instead
    cells = NB101.from_specs([disconnected[0], ten], [disconnected[1], [I, C3, C3, C3, C3, C3, O]])
    assert np.sum(cells.matrix[1]) == 11
    assert space.is_valid(cells).tolist() == [False, False]
    dangling = [[0, 1, 1, 1, 1, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1],
                [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0], [0] * 7]  # vertex 5 dead: 9 edges remain
    dangling[1][5] = dangling[2][5] = 1  # 11 ones, vertex 5 has no way out: pruned to 8 edges
    d = NB101.from_specs(dangling, [I, C3, C3, C3, C3, MP, O])
    assert space.is_valid(d).tolist() == [True]
    assert int(space.prune(d).n_vertices[0]) == 6
    with pytest.raises(ValueError, match="row 0: cell is not in the space"):
        space.hash(cells)
    assert space.hash(cells, invalid="empty").tolist() == ["", ""]
    assert space.key(cells, invalid="zero").tolist() == [0, 0]
    with pytest.raises(ValueError, match="row 1"):
        space.key(NB101Cells.concat([d, cells[1]]))


def test_key_separates_and_joins():
    a = NB101.from_specs([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], [I, C3, C1, O])
    b = NB101.from_specs([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], [I, C1, C3, O])  # swapped
    c = NB101.from_specs([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], [I, C3, C3, O])
    assert space.is_isomorphic(a, b).tolist() == [True]
    assert space.is_isomorphic(a, c).tolist() == [False]
    assert space.hash(a)[0] == space.hash(b)[0] != space.hash(c)[0]
    with pytest.raises(ValueError, match="equal length"):
        space.is_isomorphic(a, NB101Cells.concat([a, b]))


def test_spec_round_trip_and_strings():
    mats, ops = [g[0] for g in GOLDEN], [g[1] for g in GOLDEN]
    cells = NB101.from_specs(mats, ops)
    assert NB101.to_specs(cells) == (mats, ops)
    s = space.to_strings(cells)
    assert s[1] == "i3o:010/001/000"
    assert NB101.from_strings(s) == cells
    assert NB101.from_arrays(cells.matrix, cells.ops) == cells
    assert NB101.from_arrays(cells.matrix, cells.ops, cells.n_vertices) == cells
    # a single spec is a batch of one
    assert len(NB101.from_specs(README_M, README_OPS)) == 1


@pytest.mark.parametrize("matrix,ops,reason", [
    ([[0, 1, 0], [0, 0, 1]], [I, C3, O], "row 0: matrix is not square"),
    ([[0, 1], [1, 0]], [I, O], "row 0: not strictly upper triangular"),
    ([[1, 1], [0, 0]], [I, O], "row 0: not strictly upper triangular"),
    ([[0, 1], [0, 0]], [I, C3, O], "row 0: size mismatch"),
    ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [I, "conv5x5", O], "row 0: unknown op 'conv5x5'"),
    ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [C3, I, O], "row 0: input misplaced"),
    ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [I, O, C3], "row 0: output misplaced"),
    ([[0, 2], [0, 0]], [I, O], "row 0: non-0/1 entries"),
    ([[0]], [I], "row 0: size 1 outside 2..7"),
    (np.triu(np.ones((8, 8), int), 1).tolist(), [I] + [C3] * 6 + [O], "row 0: size 8 outside 2..7"),
])
def test_from_specs_errors(matrix, ops, reason):
    with pytest.raises(ValueError, match=reason):
        NB101.from_specs(matrix, ops)


def test_from_specs_names_the_row():
    with pytest.raises(ValueError, match="row 1: unknown op"):
        NB101.from_specs([[[0, 1], [0, 0]], [[0, 1, 0], [0, 0, 1], [0, 0, 0]]], [[I, O], [I, "conv", O]])
    with pytest.raises(ValueError, match="2 matrices but 1 op lists"):
        NB101.from_specs([[[0, 1], [0, 0]], [[0, 1], [0, 0]]], [[I, O]])


def test_from_arrays_errors():
    m = np.zeros((2, 7, 7), np.uint8)
    m[:, 0, 1] = 1
    o = np.full((2, 7), -3, np.int8)
    o[:, :2] = [-1, -2]
    good = NB101.from_arrays(m, o)
    assert len(good) == 2
    bad = m.copy()
    bad[1, 1, 0] = 1
    with pytest.raises(ValueError, match="row 1: not strictly upper triangular"):
        NB101.from_arrays(bad, o)
    bad = m.copy()
    bad[1, 3, 4] = 1
    with pytest.raises(ValueError, match="row 1: nonzero padding"):
        NB101.from_arrays(bad, o)
    bad = o.copy()
    bad[0, 1] = 5
    bad[0, 2] = -2
    with pytest.raises(ValueError, match="row 0: unknown op"):
        NB101.from_arrays(m, bad, [3, 2])
    with pytest.raises(ValueError, match="row 0: non-0/1"):
        NB101.from_arrays(m * 3, o)
    with pytest.raises(ValueError, match="row 1: size outside"):
        NB101.from_arrays(m, o, [2, 9])
    with pytest.raises(ValueError, match="row 0: output misplaced"):
        NB101.from_arrays(m, np.full((2, 7), -3))
    with pytest.raises(ValueError, match="expected shape"):
        NB101.from_arrays(m[:, :6], o)
    with pytest.raises(TypeError, match="expected integers"):
        NB101.from_arrays(m.astype(float) + 0.5, o)
    with pytest.raises(ValueError, match="row 0: matrix values outside"):
        NB101.from_arrays(m.astype(int) - 1, o)
    with pytest.raises(TypeError, match="expects NB101Cells"):
        space.key(m)


def test_empty_batches():
    e = NB101Cells.empty(0)
    assert len(space.key(e)) == 0 and len(space.hash(e)) == 0
    assert len(space.prune(e)) == 0 and len(space.is_valid(e)) == 0
    assert len(space.mutate(e, seed=0)) == 0 and len(space.sample(0, seed=0)) == 0
    nb, parent = space.neighbors_batch(e)
    assert len(nb) == 0 and parent.shape == (0,)
    assert space.encode(e, "path").shape == (0, 364)
    assert len(NB101.from_strings([])) == 0 and NB101.to_specs(e) == ([], [])


def test_large_batch():
    s = space.sample(200_000, seed=5)
    assert space.is_valid(s).all()
    assert (space.key(s) > 0).all()
    assert space.encode(s, "path_trunc").shape == (200_000, 40)


def test_sample_seeded_and_unique():
    a, b = space.sample(500, seed=3), space.sample(500, seed=3)
    assert a == b and a != space.sample(500, seed=4)
    assert space.sample(10, seed=np.random.default_rng(1)) == space.sample(10, seed=np.random.default_rng(1))
    # row i does not depend on the batch size
    assert space.sample(50, seed=3) == a[:50]
    u = space.sample(3000, seed=3, unique=True)
    assert len(np.unique(space.key(u))) == 3000
    f = space.sample(20, seed=1, distribution="full")
    assert (f.n_vertices == 7).all() and space.prune(f) == f
    with pytest.raises(ValueError, match="distribution"):
        space.sample(2, distribution="uniform")
    with pytest.raises(ValueError, match="only 423,624 distinct"):
        space.sample(N_CELLS + 1, unique=True)


def test_mutate_and_neighbors():
    s = space.sample(2000, seed=11)
    mu = space.mutate(s, rate=1.0, seed=2)
    assert space.is_valid(mu).all()
    assert not space.is_isomorphic(s, mu).any()
    assert space.mutate(s, seed=2) == mu
    with pytest.raises(ValueError, match="rate"):
        space.mutate(s, rate=0.0)
    with pytest.raises(ValueError, match="row 0: parent cell is not in the space"):
        space.mutate(NB101.from_specs([[0, 0], [0, 0]], [I, O]), seed=1)
    one = NB101.from_specs([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [I, C3, O])
    nb = space.neighbors(one)
    # the skip edge input -> output added, or the op changed (removing an edge disconnects the cell)
    expect = NB101.from_specs(
        [[[0, 1, 1], [0, 0, 1], [0, 0, 0]], [[0, 1, 0], [0, 0, 1], [0, 0, 0]], [[0, 1, 0], [0, 0, 1], [0, 0, 0]]],
        [[I, C3, O], [I, C1, O], [I, MP, O]])
    assert len(nb) == 3
    assert sorted(space.key(nb).tolist()) == sorted(space.key(expect).tolist())
    with pytest.raises(ValueError, match="batch of one"):
        space.neighbors(s[:2])
    nbs, parent = space.neighbors_batch(s[:100])
    assert space.is_valid(nbs).all()
    assert not (space.key(nbs) == space.key(s[:100])[parent]).any()


@pytest.fixture(scope="module")
def nb101_cache(tmp_path_factory):
    """Point the fingerprint-table cache at a temporary folder (never the user's)."""
    import os

    import fastnas.spaces.nb101 as mod

    old = os.environ.get("FASTNAS_CACHE")
    os.environ["FASTNAS_CACHE"] = str(tmp_path_factory.mktemp("nb101-cache"))
    old_table = mod._memory_table
    mod._memory_table = None
    yield os.environ["FASTNAS_CACHE"]
    mod._memory_table = old_table
    if old is None:
        del os.environ["FASTNAS_CACHE"]
    else:
        os.environ["FASTNAS_CACHE"] = old


def test_enumeration_counts_and_partitions(nb101_cache):
    """The whole space: published counts, key and fingerprint induce the same partition, published
    numbers of distinct path encodings."""
    cells = space.enumerate(progress=False)
    assert len(cells) == N_CELLS
    assert {v: int(c) for v, c in enumerate(np.bincount(cells.n_vertices)) if c} == COUNTS_BY_VERTICES
    assert space.is_valid(cells).all() and space.prune(cells) == cells
    keys = space.key(cells)
    hashes = space.hash(cells, table=True)
    assert len(np.unique(keys)) == N_CELLS and len(np.unique(hashes)) == N_CELLS
    # every representative is found again from its fingerprint
    assert space.from_hashes(hashes[::997]) == cells[::997]
    direct = space.hash(cells[::101], table=False)
    assert (direct == hashes[::101]).all()
    path = np.packbits(space.encode(cells, "path"), axis=1)
    assert len(np.unique(path.view(f"V{path.shape[1]}"))) == 170_820
    trunc = np.packbits(space.encode(cells, "path_trunc", k=40), axis=1)
    assert len(np.unique(trunc.view(f"V{trunc.shape[1]}"))) == 30_808
    # a second enumeration reuses the cached table (and the file exists)
    import os

    assert os.path.isfile(os.path.join(nb101_cache, "nb101-hash-table-v1.npz"))


# ---------------------------------------------------------------- sample(unique=True) on large n (issue 14)
def test_unique_is_the_first_distinct_classes_of_the_plain_stream():
    """Before any stall, unique sampling = first occurrences in the plain sampler's row streams."""
    space = NB101()
    plain = space.sample(4000, seed=11)
    _, first = np.unique(space.key(plain), return_index=True)
    expect = plain[np.sort(first)[:500]]
    assert space.sample(500, seed=11, unique=True, progress=False) == expect


def test_unique_refuses_more_than_the_space_with_a_clear_error():
    space = NB101()
    with pytest.raises(ValueError, match="only 423,624 distinct NB101 cells"):
        space.sample(423_625, unique=True)
    with pytest.raises(ValueError, match="only 359,082 distinct"):
        space.sample(359_083, unique=True, distribution="full")
    with pytest.raises(TypeError, match="n must be an int"):
        space.sample(2.5)


def test_unique_progress_bar_shows_and_silences(capsys):
    space = NB101()
    space.sample(200, seed=0, unique=True, progress=True)
    assert "nb101 unique cells" in capsys.readouterr().err
    space.sample(200, seed=0, unique=True, progress=False)
    space.sample(200, seed=0, unique=True)  # auto: small n, no bar
    assert capsys.readouterr().err == ""


def test_unique_stall_takes_the_rest_from_the_enumerated_space(monkeypatch):
    """A sampler that only ever yields the 2-vertex cell stalls at once: the other 9 rows must be distinct
    enumerated classes not met before, the same for the same seed."""
    from fastnas.spaces import nb101 as mod

    two = (np.zeros((1, 7, 7), np.uint8), np.array([[-1, -2, -3, -3, -3, -3, -3]], np.int8), np.array([2], np.uint8))
    two[0][0, 0, 1] = 1

    def stuck(seed, start, size, mode):
        return tuple(np.repeat(a, size, axis=0) for a in two)

    space = NB101()
    real_get = mod._backend.get
    monkeypatch.setattr(mod._backend, "get", lambda op: stuck if op == "nb101_sample" else real_get(op))
    a = space.sample(10, seed=4, unique=True, progress=False)
    b = space.sample(10, seed=4, unique=True, progress=False)
    assert a == b and len(np.unique(space.key(a))) == 10
    assert a[0].n_vertices.tolist() == [2]  # the one class the sampler met comes first
    assert space.sample(10, seed=5, unique=True, progress=False) != a  # the rest depends on the seed


@pytest.mark.slow
def test_unique_whole_space_gives_every_class():
    space = NB101()
    c = space.sample(N_CELLS, seed=0, unique=True, progress=False)
    assert len(c) == N_CELLS and len(np.unique(space.key(c))) == N_CELLS


@pytest.mark.slow  # builds the fingerprint table when no other test has (several seconds)
def test_from_hashes_enumerates_the_space_once(monkeypatch):
    """A one-cell from_hashes call must not re-enumerate 423,624 cells each time (it took seconds)."""
    from fastnas.spaces import nb101 as mod

    space = NB101()
    first = space.from_hashes(["28cfc7874f6d200472e1a9dcd8650aa0"])  # README cell, official fingerprint
    calls = []
    real_get = mod._backend.get
    monkeypatch.setattr(mod._backend, "get", lambda op: calls.append(op) or real_get(op))
    again = space.from_hashes(["28cfc7874f6d200472e1a9dcd8650aa0", "043721b9c7fe8c5fad811d47d83132ec"])
    assert "nb101_enumerate" not in calls
    assert again[0] == first and again.n_vertices.tolist() == [7, 2]
    assert space.hash(again).tolist() == ["28cfc7874f6d200472e1a9dcd8650aa0", "043721b9c7fe8c5fad811d47d83132ec"]


@pytest.mark.slow
def test_enumerated_rest_is_the_same_with_and_without_the_space_in_memory(monkeypatch):
    from fastnas.spaces import nb101 as mod

    seen = NB101().sample(300, seed=2, unique=True, progress=False)
    seen_keys = NB101().key(seen)
    monkeypatch.setattr(mod, "_memory_cells", None)
    cold = [mod._enumerated_rest(seen_keys, mode, 50, 9) for mode in (0, 1)]
    parts = [mod._backend.get("nb101_enumerate")(v) for v in range(2, 8)]
    m, o, v, keys = (np.concatenate([p[i] for p in parts]) for i in range(4))

    class Table:  # only .keys is read
        pass

    t = Table()
    t.keys = keys
    monkeypatch.setattr(mod, "_memory_cells", mod._wrap(m, o, v))
    monkeypatch.setattr(mod, "_memory_table", t)
    warm = [mod._enumerated_rest(seen_keys, mode, 50, 9) for mode in (0, 1)]
    assert cold[0] == warm[0] and cold[1] == warm[1]
    assert (warm[1].n_vertices == 7).all() and not np.isin(NB101().key(warm[0]), seen_keys).any()

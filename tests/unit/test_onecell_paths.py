"""One-cell fast paths (issue 12): the shortcuts return exactly what the general paths return, and the
batches they build stay immutable on every backend.

Expected values are written out by hand (a pruned matrix, an arch string's op codes, the official index of
a string, the fingerprint of the 2-vertex cell, a store column read directly), never computed by the path
under test.
"""
from __future__ import annotations

import numpy as np
import pytest

from fastnas import _backend
from fastnas.nasbench import load
from fastnas.spaces import Cells
from fastnas.spaces import nb201_convert as _cv
from fastnas.spaces.nb101 import NB101
from fastnas.spaces.nb201 import NB201

core = pytest.importorskip("fastnas._core")

# input -> conv3x3 -> output plus a dangling maxpool (vertex 2 reaches nothing): pruning drops vertex 2
DANGLING_M = [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]]
DANGLING_OPS = ["input", "conv3x3-bn-relu", "maxpool3x3", "output"]
PRUNED_M = np.zeros((7, 7), np.uint8)
PRUNED_M[0, 1] = PRUNED_M[1, 2] = 1
PRUNED_OPS = [-1, 0, -2, -3, -3, -3, -3]
# NAS-Bench-201 index 0 (NATS-Bench / nas-bench-201 official order) and a hand-decoded string
INDEX0 = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
S010001 = "|none~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|"
BEST_C10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


def _frozen_for_good(a: np.ndarray) -> bool:
    """Read-only, and numpy refuses to make it writeable again."""
    if a.flags.writeable:
        return False
    try:
        a.setflags(write=True)
    except ValueError:
        return True
    return False


# ---------------------------------------------------------------- compiled outputs that become batches
def test_kernel_rows_are_frozen_views():
    m = np.zeros((1, 7, 7), np.uint8)
    m[0, 0, 1] = 1
    o = np.array([[-1, -2, -3, -3, -3, -3, -3]], np.int8)
    v = np.array([2], np.uint8)
    pm, po, pv, ok = core.nb101_prune(m, o, v)
    for a in (pm, po, pv):
        assert a.base is not None and _frozen_for_good(a)
    assert ok.flags.writeable and ok.tolist() == [True]  # not a batch field: an ordinary array
    for a in core.nb101_parse_specs([[[0, 1], [0, 0]]], [["input", "output"]]):
        assert _frozen_for_good(a)
    assert _frozen_for_good(core.nb201_parse_strings([S010001]))
    assert _frozen_for_good(core.nb201_from_code(np.array([7], np.int64)))
    # the inputs are untouched (still writeable: the caller's arrays)
    assert m.flags.writeable and o.flags.writeable and v.flags.writeable


@pytest.mark.parametrize("backend", ["cpp", "python"])
def test_one_cell_batches_are_immutable_and_right(backend):
    with _backend.use(backend):
        cells = NB101.from_specs(DANGLING_M, DANGLING_OPS)
        pruned = NB101().prune(cells)
        nb201 = NB201.from_strings(S010001)
        parsed = NB201.from_strings([S010001, INDEX0])
        batches = (cells, pruned, nb201, parsed, NB201.from_index([0]), NB101().sample(1, seed=0))
        for batch in batches:
            for name, a in batch.arrays().items():
                assert not a.flags.writeable, (backend, type(batch).__name__, name)
                with pytest.raises(ValueError):
                    a[...] = 0
                if backend == "cpp":  # a Python twin may return a view of its own temporary, which stays
                    # writeable underneath (Cells' documented rule for views); compiled outputs never do
                    assert _frozen_for_good(a), (backend, type(batch).__name__, name)
    np.testing.assert_array_equal(pruned.matrix[0], PRUNED_M)
    assert pruned.ops.tolist() == [PRUNED_OPS] and pruned.n_vertices.tolist() == [3]
    assert cells.n_vertices.tolist() == [4] and cells.ops[0, :4].tolist() == [-1, 0, 2, -2]
    assert nb201.ops.tolist() == [[0, 1, 0, 0, 0, 1]]
    assert parsed.ops.tolist() == [[0, 1, 0, 0, 0, 1], [4, 2, 1, 2, 1, 1]]


class Toy(Cells):
    FIELDS = (("ops", np.int8, (3,)), ("n", np.uint8, ()))
    SPACE = "toy"


def test_trusted_rows_freezes_whatever_it_gets():
    owner = np.zeros((2, 3), np.int8)  # a writeable owner (a Python twin's output)
    ro_owner = np.zeros(2, np.uint8)
    ro_owner.setflags(write=False)  # read-only but its own data: could be made writeable again, so not taken as is
    c = Toy._trusted_rows(owner, ro_owner)
    assert _frozen_for_good(c.ops) and _frozen_for_good(c.n)
    assert c.n is not ro_owner
    buf = np.zeros((2, 3), np.int8)  # a read-only view of someone else's writeable buffer: stays theirs
    view = buf.view()
    view.setflags(write=False)
    d = Toy._trusted_rows(view, np.zeros(2, np.uint8))
    assert not d.ops.flags.writeable and buf.flags.writeable
    buf[0, 0] = 3  # the owner may still write (the documented rule for views of a caller's buffer)
    assert d.ops[0, 0] == 3


# ---------------------------------------------------------------- NB201 strings
def test_strings_to_index_one_string():
    for s, want in ((INDEX0, 0), (BEST_C10, 6111)):  # BEST_C10: index 6111 (NATS-Bench), ops code 11667
        got = NB201.strings_to_index(s)
        assert type(got) is np.ndarray and got.dtype == np.int64 and got.shape == (1,)
        assert got.tolist() == [want]
        with pytest.raises(ValueError):
            got[0] = 5
        assert NB201.strings_to_index(s).tolist() == [want]  # a shared array was not edited
    assert NB201.strings_to_index([INDEX0, BEST_C10]).tolist() == [0, 6111]
    assert NB201.strings_to_index((BEST_C10,)).tolist() == [6111]
    assert NB201.strings_to_index(iter([BEST_C10])).tolist() == [6111]
    with pytest.raises(ValueError, match="malformed"):
        NB201.strings_to_index("|none~0|")
    with pytest.raises(ValueError):
        NB201.strings_to_index(["|none~0|"])


def test_one_string_tables_built_on_first_use(monkeypatch):
    """A fresh process has no string tables yet: the first one-string call builds them and answers right."""
    saved = (dict(_cv.ONE_INDEX), dict(_cv.ONE_OPS))
    monkeypatch.setattr(_cv, "_INDEX_OF_STRING", None)
    _cv.ONE_INDEX.clear()
    _cv.ONE_OPS.clear()
    try:
        assert NB201.from_strings(S010001).ops.tolist() == [[0, 1, 0, 0, 0, 1]]
        _cv.ONE_INDEX.clear()
        _cv.ONE_OPS.clear()
        monkeypatch.setattr(_cv, "_INDEX_OF_STRING", None)
        assert NB201.strings_to_index(BEST_C10).tolist() == [6111]
        assert len(_cv.ONE_INDEX) == len(_cv.ONE_OPS) == 15625
    finally:
        _cv.ONE_INDEX.update(saved[0])
        _cv.ONE_OPS.update(saved[1])


# ---------------------------------------------------------------- NB101 fingerprints
@pytest.mark.parametrize("backend", ["cpp", "python"])
def test_hash_direct_matches_the_string_cast(backend):
    two = NB101.from_specs([[0, 1], [0, 0]], ["input", "output"])
    cut = NB101.from_specs([[0, 0], [0, 0]], ["input", "output"])  # disconnected: not in the space
    cells = type(two).concat([two, cut, two])
    with _backend.use(backend):
        got = NB101().hash(cells, invalid="empty", table=False)
        raw = _backend.get("nb101_hash")(cells.matrix, cells.ops, cells.n_vertices, 1, False)
    assert got.dtype == np.dtype("<U32") and got.shape == (3,)
    assert got.tolist() == ["043721b9c7fe8c5fad811d47d83132ec", "", "043721b9c7fe8c5fad811d47d83132ec"]
    assert got.tolist() == raw.view("S32").reshape(-1).astype("U32").tolist()  # the former conversion
    assert NB101().hash(cells[:0], table=False).shape == (0,)
    for i in range(3):  # one row (its own path) gives the same
        with _backend.use(backend):
            one = NB101().hash(cells[i], invalid="empty", table=False)
        assert one.dtype == np.dtype("<U32") and one.shape == (1,) and one.tolist() == got[i:i + 1].tolist()


# ---------------------------------------------------------------- benchmark queries
@pytest.fixture(scope="module")
def c10():
    return load("nb201", dataset="cifar10-valid")


def test_one_cell_query_equals_the_store(c10):
    store = c10.store
    mean = np.asarray(store.column("accuracy.valid.mean"), np.float64)
    seeds = np.asarray(store.column("accuracy.valid.seeds"), np.float64)
    tt = np.asarray(store.column("train_time"), np.float64)
    best = NB201.from_strings(BEST_C10)
    all_strings = dict(zip(range(15625), NB201.to_strings(NB201.from_code(np.arange(15625)))))  # code -> str
    assert round(float(c10.query(best)[0]), 2) == 91.61  # published (NAS-Bench-201 paper, best cifar10-valid)
    # store rows are keyed by the ops code sum_e ops[e] * 5 ** (5 - e) (a dense store: key = row)
    for ops in ([0, 0, 0, 0, 0, 0], [3, 3, 3, 1, 3, 2], [4, 4, 4, 4, 4, 4], [0, 1, 0, 0, 0, 1]):
        i = sum(op * 5 ** (5 - e) for e, op in enumerate(ops))
        cell = NB201.from_ops(ops)
        assert c10.query(cell).tolist() == [mean[i]]
        assert c10.query(cell, seed=1).tolist() == [seeds[i, 1]]
        assert c10.query(cell, metric="train_time").tolist() == [tt[i]]
        v, cost = c10.query(cell, return_cost=True)
        assert v.tolist() == [mean[i]] and cost.tolist() == [tt[i]]
        assert type(v) is np.ndarray and type(cost) is np.ndarray  # not a view of the memory-mapped column
        assert c10.query(all_strings[i]).tolist() == [mean[i]]  # one arch string
        v, cost = c10.query(cell, return_cost=True, missing="nan")
        assert v.tolist() == [mean[i]] and cost.tolist() == [tt[i]]
    # equal arguments that are other objects than last time give the same answer
    assert c10.query(best, metric="".join(["accu", "racy"]), split="".join(["val", "id"])).tolist() == [mean[11667]]
    # the remembered spec of seed=1 is not reused for seed=True (True == 1, but bool is rejected)
    c10.query(best, seed=1)
    with pytest.raises(ValueError, match="seed"):
        c10.query(best, seed=True)
    with pytest.raises(ValueError, match="seed"):
        c10.query(best, seed=[1])  # unhashable: no caching, the same error


def test_one_key_query_missing_and_errors(c10):
    with pytest.raises(KeyError, match="position 0: key 15625"):
        c10.query_keys(np.array([15625], np.uint64))
    v, cost = c10.query_keys(np.array([15625], np.uint64), missing="nan", return_cost=True)
    assert np.isnan(v).all() and np.isnan(cost).all()
    v = c10.query_keys(np.array([3, 15625], np.uint64), missing="nan")
    assert not np.isnan(v[0]) and np.isnan(v[1])
    with pytest.raises(ValueError, match="1-d"):
        c10.query_keys(np.zeros((1, 1), np.uint64))
    with pytest.raises(TypeError, match="integers"):
        c10.query_keys(np.array([1.5]))
    # a byte-swapped uint64 array is not the kernel's dtype: converted, same answer
    assert c10.query_keys(np.array([11667], ">u8")).tolist() == c10.query_keys([11667]).tolist()


# ---------------------------------------------------------------- NB201 index and code converters
@pytest.mark.parametrize("backend", ["cpp", "python"])
def test_one_index_and_code_paths(backend):
    with _backend.use(backend):
        # index 0 is INDEX0 (official order); code 7 is ops [0, 0, 0, 0, 1, 2] (base 5, most significant first)
        for one in (NB201.from_index(0), NB201.from_index([0]), NB201.from_index(np.array([0]))):
            assert one.ops.tolist() == [[4, 2, 1, 2, 1, 1]] and not one.ops.flags.writeable
        for one in (NB201.from_code(7), NB201.from_code(np.array([7], np.int64)), NB201.from_code([7]),
                    NB201.from_code(np.array([7], np.int8))):
            assert one.ops.tolist() == [[0, 0, 0, 0, 1, 2]] and not one.ops.flags.writeable
        assert NB201.from_code(np.array([7, 15624], np.int64)).ops.tolist() == [[0, 0, 0, 0, 1, 2], [4] * 6]
        for bad in (15625, -1, [15625], np.array([15625], np.int64)):
            with pytest.raises(ValueError, match="out of range"):
                NB201.from_code(bad)
            with pytest.raises(ValueError, match="out of range"):
                NB201.from_index(bad)
        with pytest.raises(ValueError, match="1-dimensional"):
            NB201.from_code(np.zeros((1, 1), np.int64))
        with pytest.raises(ValueError, match="integers"):
            NB201.from_index([1.5])
        with pytest.raises(ValueError, match="integers"):
            NB201.from_index(["a"])


def test_hash_one_cell_from_the_table(monkeypatch):
    """The table path for one cell (a bisection) gives what the batch path and the direct MD5 give."""
    import fastnas.spaces.nb101 as nb101_mod
    from fastnas.spaces.nb101_table import HashTable

    space = NB101()
    two = NB101.from_specs([[0, 1], [0, 0]], ["input", "output"])
    three = NB101.from_specs([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"])
    cut = NB101.from_specs([[0, 0], [0, 0]], ["input", "output"])  # not in the space
    known = type(two).concat([two, three])
    hexes = core.nb101_hash(known.matrix, known.ops, known.n_vertices, 1)
    table = HashTable(space.key(known), hexes)  # a two-cell table stands in for the whole space's
    monkeypatch.setattr(nb101_mod, "_memory_table", table)
    assert space.hash(two, table=True).tolist() == ["043721b9c7fe8c5fad811d47d83132ec"]
    batch = type(two).concat([two, three, cut])
    want = space.hash(batch, table=True, invalid="empty").tolist()
    assert want[0] == "043721b9c7fe8c5fad811d47d83132ec" and want[2] == ""
    assert want == space.hash(batch, table=False, invalid="empty").tolist()
    for i in range(3):
        one = space.hash(batch[i], table=True, invalid="empty")
        assert one.dtype == np.dtype("<U32") and one.tolist() == [want[i]]
    four = NB101.from_specs([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", "conv1x1-bn-relu", "output"])
    assert space.hash(four, table=True).tolist() == [""]  # a valid cell the (partial) table lacks
    with pytest.raises(ValueError, match="not in the space"):
        space.hash(cut, table=True)

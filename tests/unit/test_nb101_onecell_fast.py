"""Issue 12: the one-call paths of ``NB101.hash`` and ``NB101.from_arrays`` equal their general paths.

* ``nb101_hash_text`` (MD5 fingerprints written as ``<U32`` by the kernel, with the row and validity checks
  in its own loop) against ``nb101_ref.nb101_hash`` (hashlib, from nasbench's ``hash_module``) decoded one
  row at a time in Python;
* ``nb101_hash_lookup`` (key, bisection, characters in one call) against a dict built here from the
  reference keys and fingerprints;
* ``nb101_from_arrays`` (the compiled common case) against ``nb101_specs.from_arrays_general`` (the Python
  path that stays the specification and produces every error message): same batches, same exceptions
  with the same messages, read-only results that share no memory with the caller's arrays.

Known values: the published fingerprints of the 2-vertex cell and of the nasbench README cell.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastnas.spaces.nb101 as nb101_mod
from fastnas import _backend
from fastnas.spaces import _nb101_fast as fast
from fastnas.spaces import nb101_ref as ref
from fastnas.spaces import nb101_specs as specs
from fastnas.spaces.nb101 import NB101, NB101Cells
from fastnas.spaces.nb101_table import HashTable

core = pytest.importorskip("fastnas._core")

SPACE = NB101()
BACKENDS = ("cpp", "python")
TWO = ([[0, 1], [0, 0]], ["input", "output"], "043721b9c7fe8c5fad811d47d83132ec")
README = ([[0, 1, 1, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0, 0],
           [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]],
          ["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "maxpool3x3",
           "output"], "28cfc7874f6d200472e1a9dcd8650aa0")
NOT_IN_SPACE = re.escape("cell is not in the space (disconnected or more than 9 edges)")


def raw_rows(n: int, seed: int, density: float = 0.4):
    """Well-formed random rows: some in the space, some prunable, some disconnected or with > 9 edges."""
    rng = np.random.default_rng(seed)
    nv = rng.integers(2, 8, n).astype(np.uint8)
    m = (np.triu(rng.random((n, 7, 7)) < density, 1)).astype(np.uint8)
    o = np.full((n, 7), -3, np.int8)
    for i, v in enumerate(nv):
        m[i, v:, :] = 0
        m[i, :, v:] = 0
        o[i, :v] = [-1, *rng.integers(0, 3, v - 2), -2]
    return m, o, nv


rows_st = st.builds(raw_rows, st.integers(1, 12), st.integers(0, 2**32 - 1), st.sampled_from([0.2, 0.4, 0.6]))


def decoded(hex32: np.ndarray) -> list[str]:
    """(N, 32) ASCII bytes -> one str per row, "" for zero bytes (independent of the code under test)."""
    return [bytes(r).decode("ascii") if r.any() else "" for r in hex32]


def outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # type and text are the contract
        return ("raises", type(exc), str(exc))


def same(a, b) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "raises":
        return a[1:] == b[1:]
    x, y = a[1], b[1]
    if isinstance(x, NB101Cells):
        return isinstance(y, NB101Cells) and x == y
    return x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y)


# ---------------------------------------------------------------- fingerprints computed directly
@pytest.mark.parametrize("backend", BACKENDS)
def test_published_fingerprints_one_cell_and_batch(backend):
    cells = NB101.from_specs([TWO[0], README[0]], [TWO[1], README[1]])
    with _backend.use(backend):
        for i, want in enumerate((TWO[2], README[2])):
            got = SPACE.hash(cells[i], table=False)
            assert got.dtype == np.dtype("<U32") and got.shape == (1,) and got.tolist() == [want]
        assert SPACE.hash(cells, table=False).tolist() == [TWO[2], README[2]]
        assert SPACE.hash(cells[:0], table=False).shape == (0,)


@given(rows_st)
def test_hash_text_equals_the_reference_decoded_row_by_row(rows):
    want = decoded(ref.nb101_hash(*rows))
    valid = ref.nb101_is_valid(*rows)
    for name, fn in _backend.implementations("nb101_hash_text").items():
        got = fn(*rows, 1, False)
        assert got.dtype == np.dtype("<U32") and got.shape == (len(want),) and got.tolist() == want, name
        assert [x == "" for x in want] == (~valid).tolist()
        if valid.all():
            assert fn(*rows, 1, True).tolist() == want
        else:
            with pytest.raises(ValueError, match=f"^row {int(np.flatnonzero(~valid)[0])}: "):
                fn(*rows, 1, True)
    cells = NB101Cells(matrix=rows[0], ops=rows[1], n_vertices=rows[2])
    with _backend.use("cpp"):  # the public call, one cell at a time and as a batch
        assert [SPACE.hash(cells[i], table=False, invalid="empty")[0] for i in range(len(cells))] == want
        assert SPACE.hash(cells, table=False, invalid="empty").tolist() == want


def test_threaded_batch_fuses_checks_in_row_order():
    """Several threads, one pass: the same fingerprints as one thread; the first row outside the space is
    named even when a later thread meets its own first; a malformed row anywhere comes first."""
    m, o, v = raw_rows(600, 7)
    valid = ref.nb101_is_valid(m, o, v)
    ok = np.flatnonzero(valid)
    m, o, v = m[ok], o[ok], v[ok]  # all in the space
    one = core.nb101_hash_text(m, o, v, 1, True)
    assert core.nb101_hash_text(m, o, v, 4, True).tolist() == one.tolist()
    assert np.array_equal(core.nb101_hash(m, o, v, 4, True).view("S32").reshape(-1).astype("U32"), one)
    m = m.copy()
    late, early = len(v) - 5, 40
    m[late, 0, :] = 0  # input without edges: disconnected
    m[early, 0, :] = 0
    for fn in (core.nb101_hash_text, fast.nb101_hash_text):
        with pytest.raises(ValueError, match=f"^row {early}: {NOT_IN_SPACE}"):
            fn(m, o, v, 4, True)
    empty = core.nb101_hash_text(m, o, v, 4, False)
    assert empty[early] == "" and empty[late] == "" and empty[0] == one[0]
    m[late - 1, 3, 1] = 1  # malformed (below the diagonal), after the invalid rows: reported first
    for fn in (core.nb101_hash_text, fast.nb101_hash_text, core.nb101_hash):
        with pytest.raises(ValueError, match=f"^row {late - 1}: not strictly upper triangular"):
            fn(m, o, v, 4, True)
        with pytest.raises(ValueError, match=f"^row {late - 1}: not strictly upper triangular"):
            fn(m, o, v, 4, False)


# ---------------------------------------------------------------- fingerprints from the table
def partial_table(rows, keep_every: int = 2) -> tuple[HashTable, dict[int, str]]:
    """A table of every ``keep_every``-th distinct valid key of ``rows`` (reference key and fingerprint),
    and the dict it stands for."""
    keys = ref.nb101_key(*rows)
    hexes = ref.nb101_hash(*rows)
    uniq, first = np.unique(keys[keys > 0], return_index=True)
    pick = np.flatnonzero(keys > 0)[first][::keep_every]
    truth = {int(keys[i]): bytes(hexes[i]).decode("ascii") for i in pick}
    return HashTable(keys[pick], hexes[pick]), truth


@given(rows_st, st.sampled_from([1, 2, 3]))
def test_hash_lookup_equals_a_dict_of_the_reference(rows, every):
    table, truth = partial_table(rows, every)
    keys = ref.nb101_key(*rows).tolist()
    want = [truth.get(k, "") for k in keys]
    for name, fn in _backend.implementations("nb101_hash_lookup").items():
        got = fn(*rows, table.parts, False)
        assert got.dtype == np.dtype("<U32") and got.tolist() == want, name
        if all(keys):
            assert fn(*rows, table.parts, True).tolist() == want
        else:
            with pytest.raises(ValueError, match=f"^row {keys.index(0)}: {NOT_IN_SPACE}"):
                fn(*rows, table.parts, True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_public_hash_from_a_table_one_cell_and_batch(backend, monkeypatch):
    rows = raw_rows(40, 3)
    table, truth = partial_table(rows, 2)
    monkeypatch.setattr(nb101_mod, "_memory_table", table)
    cells = NB101Cells(matrix=rows[0], ops=rows[1], n_vertices=rows[2])
    want = [truth.get(int(k), "") for k in ref.nb101_key(*rows)]
    with _backend.use(backend):
        assert SPACE.hash(cells, table=True, invalid="empty").tolist() == want
        assert SPACE.hash(cells, invalid="empty").tolist() == want  # "auto": the table is in memory
        for i in range(len(cells)):
            one = SPACE.hash(cells[i], table=True, invalid="empty")
            assert one.dtype == np.dtype("<U32") and one.shape == (1,) and one.tolist() == [want[i]]
        bad = int(np.flatnonzero(ref.nb101_key(*rows) == 0)[0])
        with pytest.raises(ValueError, match=f"^row 0: {NOT_IN_SPACE}"):
            SPACE.hash(cells[bad], table=True)


def test_published_fingerprints_through_a_table():
    cells = NB101.from_specs([TWO[0], README[0]], [TWO[1], README[1]])
    rows = (cells.matrix, cells.ops, cells.n_vertices)
    table = HashTable(ref.nb101_key(*rows), ref.nb101_hash(*rows))
    for fn in _backend.implementations("nb101_hash_lookup").values():
        assert fn(*rows, table.parts, True).tolist() == [TWO[2], README[2]]
        assert fn(*(a[1:] for a in rows), table.parts, True).tolist() == [README[2]]


def test_hash_lookup_refuses_a_table_it_cannot_trust():
    rows = raw_rows(30, 5)
    table, _ = partial_table(rows, 1)
    srt, order, keys, hexd = table.parts
    swapped = np.ascontiguousarray(order[::-1])  # every hit now maps to another cell's row
    cases = [
        ((srt, swapped, keys, hexd), ValueError, "the fingerprint table is inconsistent"),
        ([srt, order, keys, hexd], TypeError, "table: expected a tuple"),
        ((srt, order, keys), TypeError, "table: expected a tuple"),
        ((srt.astype(np.int64), order, keys, hexd), TypeError, "table sorted keys: expected dtype uint64, got int64"),
        ((srt, order, keys, hexd[:, :16]), ValueError, "table hex digits: wrong shape"),
        ((srt[1:], order, keys, hexd), ValueError, "must have the same length"),
    ]
    for table_arg, exc, text in cases:
        results = [outcome(fn, *rows, table_arg, False) for fn in _backend.implementations("nb101_hash_lookup").values()]
        for r in results:
            assert r[0] == "raises" and r[1] is exc and text in r[2], (text, r)
        assert results[0] == results[1]


# ---------------------------------------------------------------- from_arrays
INT_DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]


@given(st.integers(1, 40), st.integers(0, 2**32 - 1), st.sampled_from(INT_DTYPES), st.sampled_from(INT_DTYPES),
       st.sampled_from([None, np.uint8, np.int64, np.uint16]))
def test_from_arrays_fast_path_equals_the_general_path(n, seed, dm, do, dv):
    cells = SPACE.sample(n, seed=seed)
    if do in (np.uint8, np.uint16, np.uint32, np.uint64):  # op codes are negative: unsigned never holds them
        do = np.int16
    m, o = cells.matrix.astype(dm), cells.ops.astype(do)
    v = None if dv is None else cells.n_vertices.astype(dv)
    before = [a.copy() for a in (m, o) + ((v,) if v is not None else ())]
    for name, fn in _backend.implementations("nb101_from_arrays").items():
        got = fn(m, o, v)
        assert got is not None, name  # the common case is taken on every backend
        for a, want in zip(got, (cells.matrix, cells.ops, cells.n_vertices)):
            assert a.dtype == want.dtype and a.shape == want.shape and np.array_equal(a, want), name
            assert not a.flags.writeable and a.flags.c_contiguous
            with pytest.raises(ValueError):
                a.setflags(write=True)
    for backend in BACKENDS:
        with _backend.use(backend):
            batch = NB101.from_arrays(m, o, v)
        assert batch == specs.from_arrays_general(m, o, v) == cells
        for a in batch.arrays().values():
            assert not a.flags.writeable
            for b in (m, o, v):
                assert b is None or not np.shares_memory(a, b)
    for a, b in zip((m, o) + ((v,) if v is not None else ()), before):
        assert a.flags.writeable and np.array_equal(a, b)  # the caller's arrays: untouched, still theirs


def corrupt(kind: str, m, o, v):
    """One way out of the fast path's common case (or out of the space of valid arrays)."""
    m, o, v = m.copy(), o.copy(), v.copy()
    if kind == "matrix_int64_minus_one":
        m = m.astype(np.int64)
        m[-1, 0, 1] = -1
    elif kind == "matrix_uint16_256":
        m = m.astype(np.uint16)
        m[0, 0, 1] = 256
    elif kind == "matrix_2":
        m[-1, 0, 1] = 2
    elif kind == "lower_triangle":
        m[0, 2, 1] = 1
    elif kind == "ops_int16_200":
        o = o.astype(np.int16)
        o[0, 1] = 200
    elif kind == "ops_99":
        o[-1, 1] = 99
    elif kind == "no_output_code":
        o[0, :] = -3
        o[0, 0] = -1
    elif kind == "nv_9":
        v[0] = 9
    elif kind == "nv_int64_minus_one":
        v = v.astype(np.int64)
        v[0] = -1
    elif kind == "nv_wrong":
        v[-1] = 7 if v[-1] != 7 else 6
    elif kind == "matrix_float":
        m = m.astype(np.float64)
    elif kind == "matrix_float_half":
        m = m.astype(np.float64) + 0.5
    elif kind == "matrix_list":
        m = m.tolist()
    elif kind == "ops_list":
        o = o.tolist()
    elif kind == "matrix_strided":
        m = np.repeat(m, 2, axis=0)[::2]
    elif kind == "matrix_fortran":
        m = np.asfortranarray(m)
    elif kind == "matrix_big_endian":
        m = m.astype(">u2")
    elif kind == "matrix_bool":
        m = m.astype(bool)
    elif kind == "matrix_short":
        m = m[:, :6]
    elif kind == "ops_fewer_rows":
        o = o[:-1]
    elif kind == "nv_fewer_rows":
        v = v[:-1]
    elif kind == "matrix_2d":
        m = m.reshape(len(m), 49)
    elif kind == "nv_2d":
        v = v.reshape(-1, 1)
    elif kind == "matrix_subclass":
        m = m.view(np.ma.MaskedArray)
    return m, o, v


KINDS = ["matrix_int64_minus_one", "matrix_uint16_256", "matrix_2", "lower_triangle", "ops_int16_200", "ops_99",
         "no_output_code", "nv_9", "nv_int64_minus_one", "nv_wrong", "matrix_float", "matrix_float_half",
         "matrix_list", "ops_list", "matrix_strided", "matrix_fortran", "matrix_big_endian", "matrix_bool",
         "matrix_short", "ops_fewer_rows", "nv_fewer_rows", "matrix_2d", "nv_2d", "matrix_subclass"]


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=8)
@given(n=st.integers(1, 6), seed=st.integers(0, 2**32 - 1), give_nv=st.booleans())
def test_from_arrays_outside_the_common_case_answers_as_the_general_path(kind, n, seed, give_nv):
    c = SPACE.sample(n, seed=seed)
    m, o, v = corrupt(kind, c.matrix, c.ops, c.n_vertices)
    if not give_nv and kind.startswith("nv_"):
        give_nv = True
    v = v if give_nv else None
    want = outcome(specs.from_arrays_general, m, o, v)
    kernels = {name: fn(m, o, v) for name, fn in _backend.implementations("nb101_from_arrays").items()}
    if want[0] == "raises":  # every error comes from the general path: the kernel declined
        assert all(k is None for k in kernels.values()), (kind, kernels)
    else:
        assert want[1] == c or kind == "nv_wrong"
    assert (kernels["cpp"] is None) == (kernels["python"] is None), kind
    for backend in BACKENDS:
        with _backend.use(backend):
            got = outcome(NB101.from_arrays, m, o, v)
        assert same(got, want), (kind, backend, got, want)


@pytest.mark.parametrize("backend", BACKENDS)
def test_from_arrays_messages_name_the_problem(backend):
    """Hand-written expectations for errors the fast path hands to the Python path."""
    c = NB101.from_specs(README[0], README[1])
    m, o, v = c.matrix.copy(), c.ops.copy(), c.n_vertices.copy()
    m16 = m.astype(np.int16)
    m16[0, 0, 1] = 300
    o2 = o.copy()
    o2[0, 2] = 7
    with _backend.use(backend):
        with pytest.raises(ValueError, match=r"^row 0: matrix values outside 0\.\.255$"):
            NB101.from_arrays(m16, o, v)
        with pytest.raises(ValueError, match=r"^row 0: unknown op \(op code 7 at vertex 2; valid inner codes 0, 1, 2\)$"):
            NB101.from_arrays(m, o2, v)
        with pytest.raises(ValueError, match=r"^matrix has 1 rows, n_vertices has 2$"):
            NB101.from_arrays(m, o, np.array([7, 7], np.uint8))
        with pytest.raises(TypeError, match=r"^ops: expected integers, got dtype float64 with a non-integral"):
            NB101.from_arrays(m, o.astype(float) + 0.5, v)
        assert SPACE.hash(NB101.from_arrays(m, o, v), table=False).tolist() == [README[2]]
        assert SPACE.hash(NB101.from_arrays(m, o), table=False).tolist() == [README[2]]
        empty = NB101.from_arrays(m[:0], o[:0], v[:0])
        assert len(empty) == 0 and empty == specs.from_arrays_general(m[:0], o[:0], v[:0])


def test_hash_threads_argument_is_checked():
    """threads: 0 (all cores) or a count; other values were passed on (negative accepted silently, 2**70 gave
    pybind11's argument dump). Review finding."""
    from fastnas.spaces import NB101

    c = NB101.from_specs([[0, 1], [0, 0]], ["input", "output"])
    assert NB101().hash(c, table=False, threads=np.int64(2)).tolist() == ["043721b9c7fe8c5fad811d47d83132ec"]
    for bad, exc in ((2**70, ValueError), (-1, ValueError), (2.5, TypeError), ("3", TypeError), (True, TypeError)):
        with pytest.raises(exc, match="threads"):
            NB101().hash(c, table=False, threads=bad)

"""Issue 10 section 5: a malformed NB101 batch is an error on every path and every backend, never a number.

The inputs are the issue's, on the README's example cell (official fingerprint
28cfc7874f6d200472e1a9dcd8650aa0). Each one must be refused by the ``NB101Cells`` constructor, by
``from_arrays``, by unpickling, and by every row kernel of every backend (cpp and the Python twin) with
the same ``ValueError`` text, so that arrays that bypassed the constructor still cannot reach a result.
"""
import pickle

import numpy as np
import pytest

from fastnas import _backend
from fastnas.spaces.nb101 import NB101, NB101Cells

README_SPEC = (
    [[0, 1, 1, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0, 0],
     [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]],
    ["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "maxpool3x3", "output"])
README_HASH = "28cfc7874f6d200472e1a9dcd8650aa0"
SPACE = NB101()


def _readme():
    c = NB101.from_specs(*README_SPEC)
    return c.matrix.copy(), c.ops.copy(), c.n_vertices.copy()


def _edit(what):
    m, o, v = _readme()
    if what == "lower":
        m[0, 3, 1] = 1
    elif what == "self_loop":
        m[0, 2, 2] = 1
    elif what == "entry_255":
        m[0, 0, 1] = 255
    elif what == "op_-128":
        o[0, 2] = -128
    elif what == "op_99":
        o[0, 2] = 99
    elif what == "n_vertices_5":
        v[0] = 5
    elif what == "n_vertices_9":
        v[0] = 9
    elif what == "padding_op":
        m, o, v = (a.copy() for a in (NB101.from_specs([[0, 1], [0, 0]], ["input", "output"]).arrays().values()))
        o[0, 4] = 1
    return m, o, v


# the message every path gives: "row 0: <reason> (<where>)", checked by hand against the edit
EXPECTED = {
    "lower": "row 0: not strictly upper triangular (matrix[3][1] = 1 is on or below the diagonal)",
    "self_loop": "row 0: not strictly upper triangular (matrix[2][2] = 1 is on or below the diagonal)",
    "entry_255": "row 0: non-0/1 entries (matrix[0][1] = 255)",
    "op_-128": "row 0: unknown op (op code -128 at vertex 2; valid inner codes 0, 1, 2)",
    "op_99": "row 0: unknown op (op code 99 at vertex 2; valid inner codes 0, 1, 2)",
    "n_vertices_5": "row 0: output misplaced ('output' (-2) must be vertex 4 only; op codes [-1, 1, 0, 0, 0], vertex 4)",
    "n_vertices_9": "row 0: size outside 2..7 (n_vertices = 9)",
    "padding_op": "row 0: nonzero padding beyond n_vertices (matrix entries or ops other than -3) "
                  "(n_vertices = 2 but ops[4] = 1)",
}
ROW_OPS = {
    "nb101_prune": (), "nb101_is_valid": (), "nb101_key": (), "nb101_hash": (1,),
    "nb101_mutate": (1.0, 3), "nb101_neighbors": (), "nb101_path": (364,),
}


def test_readme_cell_is_the_official_one():
    assert SPACE.hash(NB101.from_specs(*README_SPEC), table=False).tolist() == [README_HASH]


@pytest.mark.parametrize("what", sorted(EXPECTED))
def test_constructor_from_arrays_and_unpickling_refuse(what):
    m, o, v = _edit(what)
    with pytest.raises(ValueError) as e1:
        NB101Cells(matrix=m, ops=o, n_vertices=v)
    with pytest.raises(ValueError) as e2:
        NB101.from_arrays(m, o, v)
    obj = NB101Cells.__new__(NB101Cells)
    with pytest.raises(ValueError) as e3:
        obj.__setstate__({"matrix": m, "ops": o, "n_vertices": v})
    assert str(e1.value) == str(e2.value) == str(e3.value) == EXPECTED[what]


@pytest.mark.parametrize("op", sorted(ROW_OPS))
@pytest.mark.parametrize("what", sorted(EXPECTED))
def test_every_kernel_on_every_backend_raises_the_same(op, what):
    m, o, v = _edit(what)
    impls = _backend.implementations(op)
    assert {"cpp", "python"} <= set(impls)
    for name, fn in impls.items():
        with pytest.raises(ValueError) as err:
            fn(m, o, v, *ROW_OPS[op])
        assert str(err.value) == EXPECTED[what], (op, name)


def test_first_bad_row_is_named():
    m, o, v = (np.repeat(a, 5, axis=0) for a in _readme())
    m[3, 0, 1] = 7
    m[4, 2, 2] = 1
    for name, fn in _backend.implementations("nb101_key").items():
        with pytest.raises(ValueError, match=r"^row 3: non-0/1 entries \(matrix\[0\]\[1\] = 7\)$"):
            fn(m, o, v)


@pytest.mark.parametrize("backend", ["cpp", "python"])
def test_public_api_never_answers_for_a_tampered_batch(backend):
    """Arrays smuggled past the constructor (``_trusted`` is private) still fail at the kernel."""
    m, o, v = _edit("op_99")
    c = NB101Cells._trusted(matrix=m, ops=o, n_vertices=v)
    with _backend.use(backend):
        for call in (lambda: SPACE.hash(c, table=False), lambda: SPACE.key(c), lambda: SPACE.is_valid(c),
                     lambda: SPACE.prune(c), lambda: SPACE.encode(c, "path"), lambda: SPACE.mutate(c, seed=0)):
            with pytest.raises(ValueError, match="unknown op"):
                call()


def test_validated_batch_cannot_be_edited_in_place():
    c = NB101.from_specs(*README_SPEC)
    with pytest.raises(ValueError, match="read-only"):
        c.ops[0, 2] = 50
    with pytest.raises(ValueError, match="read-only"):
        c.matrix[0, 3, 1] = 1
    with pytest.raises(ValueError):
        c.ops.flags.writeable = True
    assert SPACE.hash(c, table=False).tolist() == [README_HASH]
    # the documented way to edit: copy, change, rebuild (validated again)
    o = c.ops.copy()
    o[0, 2] = 2
    changed = NB101.from_arrays(c.matrix, o, c.n_vertices)
    assert SPACE.hash(changed, table=False)[0] != README_HASH
    assert c.ops[0, 2] == 0  # the original is untouched


def test_constructor_copies_the_callers_arrays():
    m, o, v = _readme()
    c = NB101Cells(matrix=m, ops=o, n_vertices=v)
    o[0, 2] = 99  # editing the caller's array afterwards does not reach the batch
    assert c.ops[0, 2] == 0 and SPACE.hash(c, table=False).tolist() == [README_HASH]


def test_every_returned_batch_is_read_only():
    c = NB101.from_specs(*README_SPEC)
    for b in (c, c[0], c[[0, 0]], NB101Cells.concat([c, c]), c.copy(), SPACE.prune(c), SPACE.sample(3, seed=0),
              SPACE.mutate(c, seed=1), SPACE.neighbors(c), pickle.loads(pickle.dumps(c))):
        for a in b.arrays().values():
            assert not a.flags.writeable


def test_nasbench_query_refuses_a_tampered_batch(tmp_path):
    """``bench.query`` keys NB101 cells through ``NB101().key``: a malformed row raises there."""
    from fastnas.nasbench import _keys

    m, o, v = _edit("entry_255")
    c = NB101Cells._trusted(matrix=m, ops=o, n_vertices=v)
    with pytest.raises(ValueError, match="non-0/1 entries"):
        _keys.cells_to_keys("nb101-iso-key", SPACE, c)


@pytest.mark.parametrize("op,extra", [("nb101_key", ()), ("nb101_hash", (1,)), ("nb101_path", (364,))])
def test_raise_invalid_names_the_same_row_on_every_backend(op, extra):
    """Well-formed rows outside the space (disconnected): results with the flag off, the first such row
    named with it on."""
    m, o, v = (np.repeat(a, 4, axis=0) for a in _readme())
    m[2, 0, :] = 0  # input with no edge: disconnected
    m[3, 0, :] = 0
    impls = _backend.implementations(op)
    outs = {}
    for name, fn in impls.items():
        outs[name] = fn(m, o, v, *extra, False)
        with pytest.raises(ValueError) as err:
            fn(m, o, v, *extra, True)
        assert str(err.value) == "row 2: cell is not in the space (disconnected or more than 9 edges)", name
    np.testing.assert_array_equal(outs["cpp"], outs["python"])

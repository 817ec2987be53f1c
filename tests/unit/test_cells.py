import numpy as np
import pickle
import pytest

from fastnas.spaces import Cells


class Toy(Cells):
    FIELDS = (("ops", np.int8, (3,)), ("n", np.uint8, ()))
    SPACE = "toy"


def make(n=4):
    return Toy(ops=np.arange(3 * n).reshape(n, 3) % 5, n=np.arange(n))


def test_index_slice_mask_concat_eq():
    c = make()
    assert len(c) == 4
    assert len(c[0]) == 1 and c[-1].ops.tolist() == [[4, 0, 1]]
    assert c[1:3] == Toy.concat([c[1], c[2]])
    assert len(c[np.array([True, False, True, False])]) == 2
    assert Toy.concat([c[:2], c[2:]]) == c
    assert c != c[::-1]
    np.testing.assert_array_equal(c.rows_equal(c[::-1]), [False] * 4)
    assert len(Toy.concat([])) == 0


def test_errors():
    c = make()
    with pytest.raises(IndexError):
        c[4]
    with pytest.raises(ValueError, match="shape"):
        Toy(ops=np.zeros((2, 4)), n=np.zeros(2))
    with pytest.raises(ValueError, match="rows"):
        Toy(ops=np.zeros((2, 3)), n=np.zeros(3))
    with pytest.raises(ValueError, match="out of range"):
        Toy(ops=np.full((1, 3), 300), n=np.zeros(1))
    with pytest.raises(TypeError, match="missing"):
        Toy(ops=np.zeros((1, 3)))
    with pytest.raises(AttributeError):
        c.ops = None


def test_pickle_round_trip():
    c = make()
    assert pickle.loads(pickle.dumps(c)) == c


# ---------------------------------------------------------------- validated, read-only batches (issue 10 §5)
from fastnas.spaces.darts import DARTS, DARTSCells  # noqa: E402
from fastnas.spaces.nb101 import NB101, NB101Cells  # noqa: E402
from fastnas.spaces.nb201 import NB201, NB201Cells  # noqa: E402
from fastnas.spaces.nbgraph import NBGraph, NBGraphCells  # noqa: E402

# per space: a good batch and, per field, an out-of-definition value the constructor must refuse
SPACES = {
    "nb101": (lambda: NB101().sample(3, seed=0), NB101Cells, {"ops": ((0, 1), 7), "matrix": ((0, 1, 0), 1)}),
    "nb201": (lambda: NB201().sample(3, seed=0), NB201Cells, {"ops": ((0, 0), 5)}),
    "darts": (lambda: DARTS().sample(3, seed=0), DARTSCells, {"ops": ((0, 0, 0), 8), "inputs": ((0, 0, 7), 9)}),
    "nbgraph": (lambda: NBGraph().sample(3, seed=0), NBGraphCells, {"ops": ((0, 0), 9), "link": ((0,), 9)}),
}


@pytest.mark.parametrize("name", sorted(SPACES))
def test_constructor_validates_rows(name):
    make_good, cls, bad = SPACES[name]
    good = make_good()
    assert cls(**good.arrays()) == good
    for field, (where, value) in bad.items():
        arrays = {k: v.copy() for k, v in good.arrays().items()}
        arrays[field][where] = value
        with pytest.raises(ValueError, match="row 0"):
            cls(**arrays)
        obj = cls.__new__(cls)
        with pytest.raises(ValueError, match="row 0"):  # a pickle is outside data too
            obj.__setstate__(arrays)


@pytest.mark.parametrize("name", sorted(SPACES))
def test_batches_are_read_only(name):
    make_good, cls, bad = SPACES[name]
    good = make_good()
    field, (where, value) = next(iter(bad.items()))
    for b in (good, good[0], good[1:], good.copy(), cls.concat([good, good]), pickle.loads(pickle.dumps(good)),
              cls(**good.arrays())):
        for k, a in b.arrays().items():
            assert not a.flags.writeable, (name, k)
        with pytest.raises(ValueError, match="read-only"):
            getattr(b, field)[where] = value
    editable = getattr(good, field).copy()  # the documented way to an editable copy
    editable[where] = value
    assert editable.flags.writeable


def test_toy_constructor_does_not_alias_input():
    ops = np.zeros((2, 3), np.int8)
    c = Toy(ops=ops, n=np.zeros(2, np.uint8))
    ops[0, 0] = 4
    assert c.ops[0, 0] == 0


def test_validating_converters_neither_alias_nor_freeze_the_callers_arrays():
    c = NB101().sample(2, seed=0)
    m, o, v = c.matrix.copy(), c.ops.copy(), c.n_vertices.copy()
    b = NB101.from_arrays(m, o, v)
    assert m.flags.writeable and o.flags.writeable and v.flags.writeable
    o[0, 0] = 5  # the caller edits its own array afterwards: the batch keeps the validated value
    assert b.ops[0, 0] == -1
    ops = NB201().sample(1, seed=0).ops[0].copy()  # one row (N=1 is made by a view)
    one = NB201.from_ops(ops)
    ops[0] = (ops[0] + 1) % 5
    assert ops.flags.writeable and one.ops[0, 0] != ops[0]
    darts = DARTS().sample(1, seed=0)
    i, d = darts.inputs.copy(), darts.ops.copy()
    cells = DARTS.from_arrays(i, d)
    d[0, 0, 0] = (d[0, 0, 0] + 1) % 7
    assert cells.ops[0, 0, 0] != d[0, 0, 0] and d.flags.writeable


@pytest.mark.parametrize("name", ["nb201", "darts", "nbgraph"])
@pytest.mark.parametrize("backend", ["cpp", "python"])
def test_other_spaces_kernels_refuse_tampered_batches(name, backend):
    """Arrays smuggled past the constructor (``_trusted`` is private) are refused by the kernels too."""
    from fastnas import _backend

    make_good, cls, bad = SPACES[name]
    space = {"nb201": NB201, "darts": DARTS, "nbgraph": NBGraph}[name]()
    good = make_good()
    for field, (where, value) in bad.items():
        arrays = {k: v.copy() for k, v in good.arrays().items()}
        arrays[field][where] = value
        tampered = cls._trusted(**arrays)
        with _backend.use(backend):
            for call in (space.key, space.is_valid):
                with pytest.raises(ValueError, match="row 0"):
                    call(tampered)

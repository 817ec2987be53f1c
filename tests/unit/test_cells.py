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

"""Every NB101 operation on every backend: identical results and identical exception types."""
import numpy as np
import pytest

from fastnas import _backend
from fastnas.spaces import nb101_ref

OPS = ["nb101_check", "nb101_prune", "nb101_is_valid", "nb101_key", "nb101_hash", "nb101_enumerate",
       "nb101_sample", "nb101_mutate", "nb101_neighbors", "nb101_path"]


def raw_rows(n: int, seed: int, sizes=(2, 7)):
    """Random rows including invalid and prunable ones (random upper-triangular bits, random ops)."""
    rng = np.random.default_rng(seed)
    nv = rng.integers(sizes[0], sizes[1] + 1, n).astype(np.uint8)
    m = np.triu(rng.integers(0, 2, (n, 7, 7)), 1).astype(np.uint8)
    o = np.full((n, 7), -3, np.int8)
    for i, v in enumerate(nv):
        m[i, v:, :] = 0
        m[i, :, v:] = 0
        o[i, :v] = [-1, *rng.integers(0, 3, v - 2), -2]
    return m, o, nv


def valid_rows(n: int, seed: int):
    return _backend.implementations("nb101_sample")["cpp"](seed, 0, n, 0)


def outcome(fn, *args):
    try:
        res = fn(*args)
    except Exception as exc:  # the type is part of the contract
        return ("raises", type(exc))
    return ("ok", res if isinstance(res, tuple) else (res,))


def assert_same(op, *args):
    impls = _backend.implementations(op)
    assert {"cpp", "python"} <= set(impls), op
    ref = outcome(impls["python"], *args)
    for name, fn in impls.items():
        got = outcome(fn, *args)
        assert got[0] == ref[0], (op, name, got, ref)
        if got[0] == "raises":
            assert got[1] is ref[1], (op, name, got[1], ref[1])
        else:
            assert len(got[1]) == len(ref[1])
            for a, b in zip(got[1], ref[1]):
                assert a.dtype == b.dtype and a.shape == b.shape, (op, name)
                np.testing.assert_array_equal(a, b, err_msg=f"{op} on {name}")


def test_table_lists_all_ops():
    for op in OPS:
        assert set(_backend.table()[op]) == {"cpp", "python"}


@pytest.mark.parametrize("op", ["nb101_check", "nb101_prune", "nb101_is_valid", "nb101_key", "nb101_hash"])
def test_row_ops(op):
    args = raw_rows(300, 1)
    assert_same(op, *args) if op != "nb101_hash" else assert_same(op, *args, 0)


def test_path():
    for k in (364, 40, 0, 1):
        assert_same("nb101_path", *raw_rows(200, 2), k)
    assert_same("nb101_path", *raw_rows(3, 2), 365)


@pytest.mark.parametrize("v", [2, 3, 4, 5])
def test_enumerate(v):
    assert_same("nb101_enumerate", v)


def test_enumerate_bad():
    assert_same("nb101_enumerate", 8)
    assert_same("nb101_enumerate", 1)


def test_sample():
    assert_same("nb101_sample", 123, 0, 200, 0)
    assert_same("nb101_sample", 2**64 - 1, 10**9, 50, 0)
    assert_same("nb101_sample", 5, 0, 10, 1)
    assert_same("nb101_sample", 5, 0, -1, 0)
    assert_same("nb101_sample", 5, 0, 3, 2)


@pytest.mark.parametrize("rate", [1.0, 0.3, 4.0])
def test_mutate(rate):
    assert_same("nb101_mutate", *valid_rows(150, 7), rate, 99)


def test_mutate_errors():
    m, o, v = raw_rows(50, 3)
    assert_same("nb101_mutate", m, o, v, 1.0, 1)  # some parents invalid
    assert_same("nb101_mutate", *valid_rows(5, 1), 0.0, 1)
    assert_same("nb101_mutate", *valid_rows(5, 1), 25.0, 1)


def test_neighbors():
    assert_same("nb101_neighbors", *valid_rows(60, 8))
    assert_same("nb101_neighbors", *raw_rows(30, 4))


@pytest.mark.parametrize("op", ["nb101_prune", "nb101_key", "nb101_is_valid", "nb101_check"])
def test_bad_arrays(op):
    m, o, v = raw_rows(4, 5)
    assert_same(op, m.astype(np.int64), o, v)          # wrong dtype: TypeError
    assert_same(op, m[:, :6], o, v)                    # wrong shape: ValueError
    assert_same(op, m, o[:3], v)                       # row counts differ
    assert_same(op, m.tolist(), o, v)                  # not an array
    bad_v = v.copy()
    bad_v[2] = 9
    assert_same(op, m, o, bad_v)                       # n_vertices out of range (check reports it)
    assert_same(op, m[:, :, :][::-1], o, v)            # non-contiguous input


def test_reference_module_is_the_python_backend():
    assert _backend.table()["nb101_key"]["python"] == "fastnas.spaces.nb101_ref:nb101_key"
    assert nb101_ref.PATH_LEN == 364


def test_malformed_parents_rejected_alike():
    m, o, v = valid_rows(20, 3)
    o = o.copy()
    inner = np.flatnonzero(v > 2)[0]
    o[inner, 1] = -3  # a padding code on an inner vertex
    assert_same("nb101_mutate", m, o, v, 1.0, 1)
    assert_same("nb101_neighbors", m, o, v)
    m2 = m.copy()
    m2[0, 6, 6] = 1  # garbage outside the cell
    assert_same("nb101_mutate", m2, o, v, 1.0, 1)

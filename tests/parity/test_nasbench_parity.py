"""Op ``nasbench_query`` on every backend: identical results and identical exception types."""
from __future__ import annotations

import numpy as np
import pytest

from fastnas import _backend

IMPLS = _backend.implementations("nasbench_query")


def _case(dense: bool, n=40, s=3, m=200, seed=0):
    rng = np.random.default_rng(seed)
    keys = np.arange(n, dtype=np.uint64) if dense else np.sort(rng.choice(2**40, n, replace=False)).astype(np.uint64)
    values = rng.normal(size=(n, s))
    ns = rng.integers(1, s + 1, n).astype(np.int8)
    q = np.concatenate([keys[rng.integers(0, n, m)], np.array([keys.max() + 1, 2**64 - 1], np.uint64)])
    return keys, values, ns, q


def test_has_compiled_and_python():
    assert {"cpp", "python"} <= set(IMPLS)


TABLES = _backend.implementations("nasbench_table")


def test_tables_equal():
    keys = _case(False, n=300)[0]
    ref = TABLES["python"](keys)
    assert len(ref) == 1024 and (ref >= 0).sum() == 300
    for name, fn in TABLES.items():
        np.testing.assert_array_equal(fn(keys), ref, err_msg=name)
    for fn in TABLES.values():
        with pytest.raises(TypeError):
            fn(keys.astype(np.int64))


@pytest.mark.parametrize("mode", ["dense", "binary", "hash"])
@pytest.mark.parametrize("seed", [-1, 0, 1, 2])
def test_results_equal(mode, seed):
    dense = mode == "dense"
    keys, values, ns, q = _case(dense)
    table = TABLES["python"](keys) if mode == "hash" else np.zeros(0, np.int64)
    ref = None
    for name, fn in IMPLS.items():
        out, rows = fn(keys, dense, table, values, ns, q, seed, 12345)
        if ref is None:
            ref = (out, rows)
        else:
            np.testing.assert_array_equal(out, ref[0], err_msg=name)
            np.testing.assert_array_equal(rows, ref[1], err_msg=name)
    out, rows = ref
    assert (rows[-2:] == -1).all() and np.isnan(out[-2:]).all()
    ok = rows >= 0
    np.testing.assert_array_equal(keys[rows[ok]], q[ok])


BAD = [
    ("keys float", lambda k, v, n, q: (k.astype(float), v, n, q), TypeError),
    ("table size", lambda k, v, n, q: (k, v, n, q, np.full(5, -1, np.int64)), ValueError),
    ("table corrupt", lambda k, v, n, q: (k, v, n, q, np.full(128, 10**6, np.int64)), ValueError),
    ("table full", lambda k, v, n, q: (k, v, n, q, np.zeros(128, np.int64)), ValueError),
    ("table int32", lambda k, v, n, q: (k, v, n, q, np.full(128, -1, np.int32)), TypeError),
    ("values f32", lambda k, v, n, q: (k, v.astype(np.float32), n, q), TypeError),
    ("values 1-d", lambda k, v, n, q: (k, v[:, 0], n, q), ValueError),
    ("rows differ", lambda k, v, n, q: (k, v[:-1], n, q), ValueError),
    ("n_seeds int64", lambda k, v, n, q: (k, v, n.astype(np.int64), q), TypeError),
    ("n_seeds zero", lambda k, v, n, q: (k, v, np.zeros_like(n), q), ValueError),
    ("queries list", lambda k, v, n, q: (k, v, n, list(q)), TypeError),
]


@pytest.mark.parametrize("label,mutate,exc", BAD, ids=[b[0] for b in BAD])
def test_errors_equal(label, mutate, exc):
    args = mutate(*_case(False, n=40))
    table = args[4] if len(args) > 4 else np.zeros(0, np.int64)
    for name, fn in IMPLS.items():
        with pytest.raises(exc):
            fn(args[0], False, table, args[1], args[2], args[3], -1, 1)


def test_bad_seed_argument():
    keys, values, ns, q = _case(True)
    for fn in IMPLS.values():
        with pytest.raises(ValueError):
            fn(keys, True, np.zeros(0, np.int64), values, ns, q, -2, 1)

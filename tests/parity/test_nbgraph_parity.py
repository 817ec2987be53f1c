"""Every NBGraph op on every backend: identical results and identical exception types."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from fastnas import _backend
from fastnas.spaces import nbgraph_ref as R

OPS = [op for op in _backend.ops() if op.startswith("nbgraph_")]
MASKS = (R.ALL_OPS_MASK, R.PROTEINS_MASK)


def _all_cells():
    link = np.repeat(np.arange(9, dtype=np.int8), 9**4)
    ops = np.tile(np.array(list(itertools.product(range(9), repeat=4)), np.int8), (9, 1))
    return link, ops


def _valid(mask, n, seed=3):
    return R.nbgraph_sample(seed, 0, n, mask)


def _same(a, b):
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


def test_table_has_both_backends():
    assert len(OPS) == 9
    for op in OPS:
        assert set(_backend.table()[op]) == {"cpp", "python"}


@pytest.mark.parametrize("op", ["nbgraph_canonical", "nbgraph_hash", "nbgraph_onehot", "nbgraph_gcn"])
def test_pure_functions_on_every_raw_cell(op):
    link, ops = _all_cells()  # all 59,049 (pattern, ops) rows
    impls = _backend.implementations(op)
    ref = impls["python"](link, ops)
    for name, fn in impls.items():
        assert _same(fn(link, ops), ref), name


def test_unhash_is_valid_sample_mutate_neighbors_equal():
    keys = np.unique(R.nbgraph_hash(*_all_cells()))
    impls = _backend.implementations("nbgraph_unhash")
    assert _same(impls["cpp"](keys), impls["python"](keys))
    for mask in MASKS:
        l, o = _valid(mask, 400)
        for op, call in (
            ("nbgraph_is_valid", lambda f: f(*_all_cells(), mask)),
            ("nbgraph_sample", lambda f: f(9, 5, 300, mask)),
            ("nbgraph_mutate", lambda f: f(l, o, mask, 1.0, 4)),
            ("nbgraph_mutate", lambda f: f(l, o, mask, 5.0, 4)),
            ("nbgraph_neighbors", lambda f: f(l[:80], o[:80], mask)),
        ):
            impls = _backend.implementations(op)
            assert _same(call(impls["cpp"]), call(impls["python"])), op


def _bad():
    l, o = _valid(R.ALL_OPS_MASK, 3)
    a = l.copy(); a[1] = 9
    b = o.copy(); b[2, 3] = 9
    c = o.copy(); c[0] = 8  # all skip: in range, outside the space
    return [(a, o), (l, b), (l.astype(np.int32), o), (l, o[:, :3].copy()), (l[:2].copy(), o), ([0, 1, 2], o),
            (l, c)]


@pytest.mark.parametrize("op", [op for op in OPS if op not in ("nbgraph_sample", "nbgraph_unhash")])
@pytest.mark.parametrize("case", range(7))
def test_exceptions_equal(op, case):
    l, o = _bad()[case]
    kinds = {}
    for name, fn in _backend.implementations(op).items():
        args = (l, o)
        if op in ("nbgraph_is_valid", "nbgraph_neighbors"):
            args += (R.ALL_OPS_MASK,)
        if op == "nbgraph_mutate":
            args += (R.ALL_OPS_MASK, 1.0, 0)
        try:
            fn(*args)
            kinds[name] = None
        except Exception as exc:
            kinds[name] = type(exc)
    assert len(set(kinds.values())) == 1, kinds
    if case < 6:
        assert set(kinds.values()) <= {ValueError, TypeError}


@pytest.mark.parametrize("bad", [np.array([90000]), np.array([-1]), np.array([19]), np.array([1.0]),
                                 np.array([[1]])])
def test_unhash_errors_equal(bad):
    kinds = set()
    for fn in _backend.implementations("nbgraph_unhash").values():
        with pytest.raises(Exception) as err:
            fn(bad)
        kinds.add(type(err.value))
    assert len(kinds) == 1 and kinds <= {ValueError, TypeError}


@pytest.mark.parametrize("mask", [0, 1 << 8, (1 << 8) | 1, 1 << 9])
def test_bad_masks_equal(mask):
    l, o = _valid(R.ALL_OPS_MASK, 2)
    for op, call in (("nbgraph_sample", lambda f: f(1, 0, 3, mask)), ("nbgraph_is_valid", lambda f: f(l, o, mask))):
        for fn in _backend.implementations(op).values():
            with pytest.raises(ValueError):
                call(fn)


from hypothesis import given, strategies as st  # noqa: E402


@given(st.integers(1, 8), st.integers(0, 2**32 - 1),
       st.sampled_from([op for op in OPS if op not in ("nbgraph_sample", "nbgraph_unhash")]),
       st.sampled_from(MASKS))
def test_fuzzed_arrays_agree(n, seed, op, mask):
    """Arbitrary codes (mostly in range): the same result or the same exception type on every backend."""
    rng = np.random.default_rng(seed)
    l = rng.integers(0, 10 if rng.random() < 0.2 else 9, size=n).astype(np.int8)
    o = rng.integers(0, 10 if rng.random() < 0.2 else 9, size=(n, 4)).astype(np.int8)
    args = (l, o)
    if op in ("nbgraph_is_valid", "nbgraph_neighbors"):
        args += (mask,)
    elif op == "nbgraph_mutate":
        args += (mask, 1.0, seed)
    outs = []
    for fn in _backend.implementations(op).values():
        try:
            outs.append(("ok", fn(*args)))
        except Exception as exc:
            outs.append(("err", type(exc)))
    assert outs[0][0] == outs[1][0]
    if outs[0][0] == "ok":
        assert _same(outs[0][1], outs[1][1])
    else:
        assert outs[0][1] == outs[1][1]

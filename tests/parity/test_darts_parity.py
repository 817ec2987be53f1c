"""Every DARTS op on every backend: identical results and identical exception types."""
from __future__ import annotations

import numpy as np
import pytest

from fastnas import _backend
from fastnas.spaces import darts_ref as R

OPS = [op for op in _backend.ops() if op.startswith("darts_")]


def _cells(n=150, seed=11):
    return R.darts_sample(seed, 0, n)


def _bad_inputs():
    i, o = _cells(3)
    out = []
    a = i.copy(); a[2, 1, 0] = 2; out.append((a, o))            # input out of range
    b = o.copy(); b[1, 0, 5] = 7; out.append((i, b))            # op out of range
    c = o.copy(); c[0, 1, 3] = -1; out.append((i, c))
    out.append((i.astype(np.int16), o))                          # dtype
    out.append((i[:, :, :7].copy(), o[:, :, :7].copy()))          # shape
    out.append((i, o[:2].copy()))                                 # row count
    out.append(([[0] * 8] * 2, o))                                # not arrays
    d = i.copy(); d[1, 0, 3] = d[1, 0, 2]; out.append((d, o))    # duplicate inputs (key/mutate/neighbors)
    return out


def _call(op, fn, i, o):
    if op == "darts_sample":
        return fn(5, 3, len(i))
    if op == "darts_mutate":
        return fn(i, o, 1.5, 77)
    if op == "darts_path":
        return fn(i, o, 400)
    return fn(i, o)


def _same(a, b):
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


def test_table_has_both_backends():
    assert len(OPS) == 8
    for op in OPS:
        assert set(_backend.table()[op]) == {"cpp", "python"}


@pytest.mark.parametrize("op", OPS)
def test_results_equal(op):
    impls = _backend.implementations(op)
    assert "python" in impls and "cpp" in impls
    i, o = _cells()
    ref = _call(op, impls["python"], i, o)
    for name, fn in impls.items():
        assert _same(_call(op, fn, i, o), ref), f"{op}: {name} differs from the reference"


def test_path_full_and_k_errors_equal():
    i, o = _cells(40)
    impls = _backend.implementations("darts_path")
    assert _same(impls["cpp"](i, o, 11204), impls["python"](i, o, 11204))
    for k in (0, 11205, -3):
        kinds = set()
        for fn in impls.values():
            with pytest.raises(Exception) as err:
                fn(i, o, k)
            kinds.add(type(err.value))
        assert kinds == {ValueError}


@pytest.mark.parametrize("op", [op for op in OPS if op != "darts_sample"])
@pytest.mark.parametrize("case", range(8))
def test_exceptions_equal(op, case):
    i, o = _bad_inputs()[case]
    kinds = {}
    for name, fn in _backend.implementations(op).items():
        try:
            _call(op, fn, i, o)
            kinds[name] = None
        except Exception as exc:  # the type is what is compared
            kinds[name] = type(exc)
    assert len(set(kinds.values())) == 1, kinds
    if case < 7:
        assert set(kinds.values()) <= {ValueError, TypeError}, kinds


def test_sample_and_mutate_errors_equal():
    i, o = _cells(4)
    for fn in _backend.implementations("darts_sample").values():
        with pytest.raises(ValueError):
            fn(1, 0, -1)
    for fn in _backend.implementations("darts_mutate").values():
        with pytest.raises(ValueError):
            fn(i, o, 0.0, 1)

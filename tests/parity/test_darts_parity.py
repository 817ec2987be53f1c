"""Every DARTS op on every backend: identical results and identical exception types."""
from __future__ import annotations

import numpy as np
import pytest

from fastnas import _backend
from fastnas.spaces import darts_ref as R

OPS = [op for op in _backend.ops() if op.startswith("darts_")]
ARRAY_OPS = [op for op in OPS if not op.endswith("_zc") and op != "darts_parse_genotypes"]  # genotypes: own file


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
    assert len(OPS) == 11  # darts_parse_genotypes: tests/parity/test_darts_genotype_parity.py
    for op in OPS:
        assert set(_backend.table()[op]) == {"cpp", "python"}


@pytest.mark.parametrize("op", ARRAY_OPS)
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
    assert _same(impls["cpp"](i, o, 11204, True), impls["python"](i, o, 11204, True))
    assert not _same(impls["cpp"](i, o, 11204, True), impls["cpp"](i, o, 11204, False))
    for k in (0, 11205, -3):
        kinds = set()
        for fn in impls.values():
            with pytest.raises(Exception) as err:
                fn(i, o, k)
            kinds.add(type(err.value))
        assert kinds == {ValueError}


@pytest.mark.parametrize("op", [op for op in ARRAY_OPS if op != "darts_sample"] + ["darts_format_zc"])
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


# ---------------------------------------------------------------- NAS-Bench-Suite-Zero key text
from pathlib import Path  # noqa: E402

from hypothesis import given, strategies as st  # noqa: E402

KEYS = [l.rstrip("\n") for l in (Path(__file__).parent.parent / "data" / "nb301_keys.txt").open()
        if not l.startswith("#")]


def _outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # compared by type
        return ("err", type(exc))


def _agree(op, *args):
    impls = _backend.implementations(op)
    outs = [_outcome(fn, *args) for fn in impls.values()]
    ref = outs[0]
    for o in outs[1:]:
        assert o[0] == ref[0]
        if o[0] == "ok":
            assert _same(o[1], ref[1]) if isinstance(o[1], tuple) else o[1] == ref[1]
        else:
            assert o[1] == ref[1]
    return ref


def test_zc_parse_and_format_on_real_keys():
    kind, (i, o) = _agree("darts_parse_zc", KEYS)
    assert kind == "ok"
    kind, text = _agree("darts_format_zc", i, o)
    assert kind == "ok" and text == KEYS
    assert _agree("darts_format_zc", *_cells(300))[0] == "ok"


@pytest.mark.parametrize("bad", [
    "", "[[]]", KEYS[0] + " ", " " + KEYS[0], KEYS[0].replace(", ", ",", 1), KEYS[0].replace("(0, 0)", "(2, 0)", 1),
    KEYS[0].replace("(1, 5)", "(1, 7)", 1), KEYS[0].replace("(1, 5)", "(01, 05)", 1), KEYS[0][:-2],
    KEYS[0].replace("0", "\u0660", 1), KEYS[0].replace("(0, 0)", "(00000000000000000000000000, 0)", 1), 5, None,
])
def test_zc_parse_bad_rows_agree(bad):
    kind, val = _agree("darts_parse_zc", [KEYS[1], bad])
    if bad == KEYS[0].replace("(1, 5)", "(01, 05)", 1) or bad == KEYS[0].replace(
            "(0, 0)", "(00000000000000000000000000, 0)", 1):
        assert kind == "ok"  # leading zeros read as int() reads them
    else:
        assert kind == "err" and val in (ValueError, TypeError)


def test_zc_parse_not_a_list():
    assert _agree("darts_parse_zc", (KEYS[0],)) == ("err", TypeError)


@given(st.integers(0, 724), st.integers(0, 200), st.sampled_from(["del", "ins", "rep"]),
       st.sampled_from(list("0123456789(), []x")))
def test_zc_parse_fuzz_agrees(row, pos, how, ch):
    k = KEYS[row]
    pos = pos % len(k)
    k = {"del": k[:pos] + k[pos + 1:], "ins": k[:pos] + ch + k[pos:], "rep": k[:pos] + ch + k[pos + 1:]}[how]
    _agree("darts_parse_zc", [k])


@given(st.integers(1, 6), st.integers(0, 2**32 - 1), st.sampled_from(ARRAY_OPS))
def test_fuzzed_arrays_agree(n, seed, op):
    """Arbitrary int8 codes (mostly in range, some not, duplicates likely): same result or same error."""
    rng = np.random.default_rng(seed)
    i = rng.integers(-1, 6, size=(n, 2, 8)).astype(np.int8)
    i = np.minimum(i, np.arange(8) // 2 + 1 + (rng.random((n, 2, 8)) < 0.05)).astype(np.int8)
    o = rng.integers(0, 7, size=(n, 2, 8)).astype(np.int8)
    o[rng.random((n, 2, 8)) < 0.02] = 7
    if op == "darts_sample":
        return
    _agree(op, *([i, o] + ([1.0, seed] if op == "darts_mutate" else [50] if op == "darts_path" else [])))

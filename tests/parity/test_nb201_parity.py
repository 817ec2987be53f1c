"""Every nb201 operation on every backend: identical results and identical exception types."""
import itertools

import numpy as np
import pytest

from fastnas import _backend

ALL = np.array(list(itertools.product(range(5), repeat=6)), dtype=np.int8)  # all 15,625 cells
RNG = np.random.default_rng(0)
SOME = ALL[RNG.choice(len(ALL), 600, replace=False)]
NB201_OPS = [op for op in _backend.ops() if op.startswith("nb201_")]


def _impls(op):
    impls = _backend.implementations(op)
    assert {"cpp", "python"} <= set(impls), f"{op}: missing a backend ({sorted(impls)})"
    return impls


def _same(a, b, msg):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b), msg
        for x, y in zip(a, b):
            _same(x, y, msg)
        return
    assert a.dtype == b.dtype and a.shape == b.shape, f"{msg}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
    np.testing.assert_array_equal(a, b, err_msg=msg)


def _check(op, *args):
    impls = _impls(op)
    ref = impls["python"](*args)
    for name, fn in impls.items():
        _same(fn(*args), ref, f"{op} on {name}")


def _check_raises(op, *args):
    kinds = {}
    for name, fn in _impls(op).items():
        with pytest.raises((ValueError, TypeError)) as info:
            fn(*args)
        kinds[name] = info.type
    assert len(set(kinds.values())) == 1, f"{op}: exception types differ {kinds}"


def test_every_nb201_op_is_covered():
    covered = {
        "nb201_to_code", "nb201_from_code", "nb201_remap", "nb201_to_matrix", "nb201_from_matrix",
        "nb201_is_valid", "nb201_key", "nb201_encode_adjacency", "nb201_encode_path", "nb201_encode_gcn",
        "nb201_sample", "nb201_mutate", "nb201_neighbors", "nb201_parse_strings",
    }
    assert set(NB201_OPS) == covered


GOOD = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
BAD_STRINGS = [
    "", "|", "+", "++", "|||+|||+||||", GOOD + "+", GOOD[:-1], GOOD.replace("+", "", 1), "|" + GOOD,
    GOOD.replace("~1", "~2", 1), GOOD.replace("~0", "", 1), GOOD.replace("nor_conv_3x3", "conv", 1),
    GOOD.replace("~0|", "~00|", 1), GOOD.replace("|+|", "|+", 1), GOOD.upper(), GOOD.replace("~", "~~", 1),
    GOOD.replace("skip_connect", "skip_connect ", 1), "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|none~3|",
    "|none~0|+|none~0|+|none~0|none~1|none~2|", "|é~0|+|none~0|none~1|+|none~0|none~1|none~2|",
]


def test_parse_strings():
    from fastnas._kernels.nb201_ref import format_string

    strings = [format_string(r) for r in ALL.tolist()]
    _check("nb201_parse_strings", strings)
    _check("nb201_parse_strings", tuple(strings[:5]))
    _check("nb201_parse_strings", [])
    for bad in BAD_STRINGS:
        _check_raises("nb201_parse_strings", [GOOD, bad])
    for bad in ([GOOD, 3], [GOOD, None], GOOD, np.array([GOOD]), {GOOD}):
        _check_raises("nb201_parse_strings", bad)


def test_conversions():
    _check("nb201_to_code", ALL)
    _check("nb201_from_code", np.arange(15625, dtype=np.int64))
    _check("nb201_to_matrix", ALL)
    _check("nb201_from_matrix", _backend.get("nb201_to_matrix")(ALL))
    for perm, lut in [((0, 1, 3, 2, 4, 5), (1, 0, 3, 2, 4)), ((0, 1, 2, 3, 4, 5), (3, 4, 1, 2, 0))]:
        _check("nb201_remap", ALL, np.array(perm, dtype=np.int64), np.array(lut, dtype=np.int8))


@pytest.mark.parametrize("treat_none_as_op", [False, True])
@pytest.mark.parametrize("kind", ["nats", "dag"])
def test_key_and_validity(treat_none_as_op, kind):
    _check("nb201_key", ALL, treat_none_as_op, kind)
    _check("nb201_is_valid", ALL)


def test_encodings():
    _check("nb201_encode_adjacency", ALL)
    for quirk, k in [(False, 155), (True, 155), (False, 30), (True, 7)]:
        _check("nb201_encode_path", SOME, quirk, k)
    _check("nb201_encode_gcn", SOME)


@pytest.mark.parametrize("seed", [0, 12345, 2**64 - 1])
def test_random_moves(seed):
    s = np.uint64(seed)
    for valid_only, unique in itertools.product([False, True], repeat=2):
        _check("nb201_sample", 300, s, valid_only, unique)
    for rate, one_edge, valid_only in [(1.0, False, False), (0.3, False, True), (4.0, False, False), (1.0, True, False)]:
        _check("nb201_mutate", SOME, rate, s, one_edge, valid_only)


def test_neighbors():
    for dedup in (False, True):
        _check("nb201_neighbors", SOME[:100], dedup)
        _check("nb201_neighbors", SOME[:0], dedup)


def test_empty_batches():
    empty = np.zeros((0, 6), dtype=np.int8)
    for op in ["nb201_to_code", "nb201_to_matrix", "nb201_is_valid", "nb201_encode_adjacency", "nb201_encode_gcn"]:
        _check(op, empty)
    _check("nb201_key", empty, False, "nats")
    _check("nb201_from_code", np.zeros(0, dtype=np.int64))
    _check("nb201_sample", 0, np.uint64(1), False, False)
    _check("nb201_mutate", empty, 1.0, np.uint64(1), False, False)


BAD_OPS = [
    np.array([[0, 0, 0, 0, 0, 5]], dtype=np.int8),
    np.array([[0, 0, 0, 0, 0, 0], [0, -1, 0, 0, 0, 0]], dtype=np.int8),
    np.zeros((2, 5), dtype=np.int8),
    np.zeros((2, 6), dtype=np.int64),
    np.zeros(6, dtype=np.int8),
    [[0, 0, 0, 0, 0, 0]],
]


@pytest.mark.parametrize("bad", range(len(BAD_OPS)))
def test_bad_ops_raise_alike(bad):
    x = BAD_OPS[bad]
    for op in ["nb201_to_code", "nb201_to_matrix", "nb201_is_valid", "nb201_encode_adjacency", "nb201_encode_gcn"]:
        _check_raises(op, x)
    _check_raises("nb201_key", x, False, "nats")
    _check_raises("nb201_encode_path", x, False, 155)
    _check_raises("nb201_mutate", x, 1.0, np.uint64(0), False, False)
    _check_raises("nb201_neighbors", x, False)
    _check_raises("nb201_remap", x, np.arange(6, dtype=np.int64), np.arange(5, dtype=np.int8))


def test_other_bad_arguments_raise_alike():
    ok = ALL[:3]
    _check_raises("nb201_from_code", np.array([0, 15625], dtype=np.int64))
    _check_raises("nb201_from_code", np.array([-1], dtype=np.int64))
    _check_raises("nb201_from_code", np.array([1.0]))
    _check_raises("nb201_key", ok, False, "wl")
    _check_raises("nb201_encode_path", ok, False, 0)
    _check_raises("nb201_encode_path", ok, False, 156)
    for rate in (0.0, -1.0, 4.5, float("nan")):
        _check_raises("nb201_mutate", ok, rate, np.uint64(0), False, False)
    _check_raises("nb201_sample", -1, np.uint64(0), False, False)
    _check_raises("nb201_sample", 6467, np.uint64(0), False, True)
    _check_raises("nb201_sample", 6466, np.uint64(0), True, True)  # 6,461 classes of valid cells
    _check_raises("nb201_remap", ok, np.arange(5, dtype=np.int64), np.arange(5, dtype=np.int8))
    _check_raises("nb201_remap", ok, np.array([0, 1, 2, 3, 4, 6], dtype=np.int64), np.arange(5, dtype=np.int8))
    m = _backend.get("nb201_to_matrix")(ok)
    for bad in (np.tril(np.ones((1, 4, 4), dtype=np.int8)), m + np.int8(5) * np.triu(np.ones((4, 4), np.int8), 1),
                m.astype(np.int64), m[:, :3]):
        _check_raises("nb201_from_matrix", bad)

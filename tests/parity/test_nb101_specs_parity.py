"""``NB101.from_specs``: the compiled list walker (``_core.nb101_parse_specs``) against ``parse_specs``, the
Python specification, on random nasbench-style specs and on every kind of malformed spec."""
import numpy as np
import pytest

from fastnas import _backend
from fastnas.spaces import nb101_specs
from fastnas.spaces.nb101 import NB101

NAMES = ["conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"]


def random_specs(n: int, seed: int):
    rng = np.random.default_rng(seed)
    mats, ops = [], []
    for _ in range(n):
        v = int(rng.integers(2, 8))
        m = np.triu(rng.integers(0, 2, (v, v)), 1)
        mats.append(m.tolist())
        ops.append(["input", *[NAMES[k] for k in rng.integers(0, 3, v - 2)], "output"])
    return mats, ops


def test_compiled_parser_equals_the_specification():
    mats, ops = random_specs(500, 0)
    fast = _backend.implementations("nb101_parse_specs")["cpp"](mats, ops)
    spec = nb101_specs.parse_specs(mats, ops)
    assert fast is not None
    for a, b in zip(fast, spec):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    # tuples, bools and a known hand-checked cell
    one = _backend.implementations("nb101_parse_specs")["cpp"](((( 0, True), (0, 0)),), (("input", "output"),))
    np.testing.assert_array_equal(one[0][0, :2, :2], [[0, 1], [0, 0]])
    assert one[1][0].tolist() == [-1, -2, -3, -3, -3, -3, -3] and one[2].tolist() == [2]


BAD = {
    "not square": ([[[0, 1, 0], [0, 0]]], [["input", "conv3x3-bn-relu", "output"]]),
    "entry 2": ([[[0, 2], [0, 0]]], [["input", "output"]]),
    "lower": ([[[0, 1, 0], [1, 0, 1], [0, 0, 0]]], [["input", "conv3x3-bn-relu", "output"]]),
    "unknown op": ([[[0, 1, 0], [0, 0, 1], [0, 0, 0]]], [["input", "conv5x5", "output"]]),
    "input misplaced": ([[[0, 1, 0], [0, 0, 1], [0, 0, 0]]], [["conv3x3-bn-relu", "input", "output"]]),
    "output twice": ([[[0, 1, 0], [0, 0, 1], [0, 0, 0]]], [["input", "output", "output"]]),
    "size 8": ([np.triu(np.ones((8, 8), int), 1).tolist()], [["input", *["maxpool3x3"] * 6, "output"]]),
    "size mismatch": ([[[0, 1], [0, 0]]], [["input", "maxpool3x3", "output"]]),
    "float entry": ([[[0, 1.5], [0, 0]]], [["input", "output"]]),
    "ops a string": ([[[0, 1], [0, 0]]], ["io"]),
    "second row bad": ([[[0, 1], [0, 0]], [[0, 1], [1, 0]]], [["input", "output"], ["input", "output"]]),
}


@pytest.mark.parametrize("what", sorted(BAD))
def test_malformed_specs_raise_the_same_on_every_backend(what):
    mats, ops = BAD[what]
    msgs = {}
    for backend in ("cpp", "python"):
        with _backend.use(backend):
            with pytest.raises((ValueError, TypeError)) as err:
                NB101.from_specs(mats, ops)
            msgs[backend] = (type(err.value), str(err.value))
    assert msgs["cpp"] == msgs["python"]
    assert msgs["cpp"][1].startswith("row ") or "ops" in msgs["cpp"][1]


def test_from_specs_result_is_validated_and_read_only():
    mats, ops = random_specs(50, 1)
    with _backend.use("cpp"):
        c = NB101.from_specs(mats, ops)
    with _backend.use("python"):
        d = NB101.from_specs(mats, ops)
    assert c == d
    assert not c.matrix.flags.writeable and not c.ops.flags.writeable
    assert NB101.from_arrays(c.matrix, c.ops, c.n_vertices) == c  # passes the full row check


def test_numpy_inputs_take_the_specification_path():
    mats, ops = random_specs(20, 2)
    arrs = [np.array(m) for m in mats]
    assert _backend.implementations("nb101_parse_specs")["cpp"](arrs, ops) is None
    assert NB101.from_specs(arrs, ops) == NB101.from_specs(mats, ops)

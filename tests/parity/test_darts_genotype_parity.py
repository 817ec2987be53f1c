"""``DARTS.from_genotype``: the compiled walker (``_core.darts_parse_genotypes``) against
``parse_genotypes``, the Python specification (``ast`` for text), on objects, repr text and malformed rows."""
from collections import namedtuple

import numpy as np
import pytest

from fastnas import _backend
from fastnas.spaces import darts_convert as cv
from fastnas.spaces.darts import DARTS

# DARTS's own genotypes.py entry (DARTS_V2), written out by hand: normal pairs (op, input)
DARTS_V2 = ("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
            "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
            "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
            "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
            "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])")


def test_darts_v2_by_hand():
    inputs, ops = _backend.implementations("darts_parse_genotypes")["cpp"]([DARTS_V2])
    assert inputs[0, 0].tolist() == [0, 1, 0, 1, 1, 0, 0, 2]
    assert ops[0, 0].tolist() == [3, 3, 3, 3, 3, 2, 2, 5]  # OPS: sep_conv_3x3 = 3, skip 2, dil_conv_3x3 5
    assert inputs[0, 1].tolist() == [0, 1, 2, 1, 0, 2, 2, 1] and ops[0, 1].tolist() == [0, 0, 2, 0, 0, 2, 2, 0]
    spec = cv.parse_genotypes([DARTS_V2])
    np.testing.assert_array_equal(inputs, spec[0])
    np.testing.assert_array_equal(ops, spec[1])


def test_compiled_equals_specification_on_objects_and_text():
    cells = DARTS().sample(300, seed=0)
    objs = DARTS.to_genotype(cells)
    texts = DARTS.to_genotype(cells, as_strings=True)
    other = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")  # DARTS's own namedtuple
    foreign = [other(*g) for g in objs]
    ranged = [t.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=range(2, 6)") for t in texts]
    fast = _backend.implementations("darts_parse_genotypes")["cpp"]
    for batch in (objs, texts, foreign, ranged):
        got = fast(list(batch))
        assert got is not None
        spec = cv.parse_genotypes(list(batch))
        np.testing.assert_array_equal(got[0], spec[0])
        np.testing.assert_array_equal(got[1], spec[1])
        np.testing.assert_array_equal(got[0], cells.inputs)
        np.testing.assert_array_equal(got[1], cells.ops)


BAD = {
    "unknown op": DARTS_V2.replace("dil_conv_3x3", "conv_7x7"),
    "input out of range": DARTS_V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)"),
    "concat": DARTS_V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=[2, 3, 4]"),
    "leading zero": DARTS_V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 02)"),
    "not a genotype": "Genotype(normal=[1, 2])",
    "garbage": "import os",
}


@pytest.mark.parametrize("what", sorted(BAD))
def test_malformed_rows_raise_the_same_on_every_backend(what):
    msgs = {}
    for backend in ("cpp", "python"):
        with _backend.use(backend):
            with pytest.raises((ValueError, TypeError)) as err:
                DARTS.from_genotype([DARTS_V2, BAD[what]])
            msgs[backend] = (type(err.value), str(err.value))
    assert msgs["cpp"] == msgs["python"]
    assert msgs["cpp"][1].startswith("row 1")


def test_other_spellings_take_the_specification_path():
    spaced = DARTS_V2.replace("Genotype(", "Genotype( ").replace("reduce_concat=[2, 3, 4, 5]", "reduce_concat=(2, 3, 4, 5)")
    assert DARTS.from_genotype(spaced) == DARTS.from_genotype(DARTS_V2)

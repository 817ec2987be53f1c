"""NB201 lookup keys: the one-string and validated-batch fast paths of ``cells_to_keys`` give the base-5 code
(``sum_e ops[e] * 5 ** (5 - e)``, written out here) for every one of the 15,625 cells."""
import numpy as np

from fastnas.nasbench import _keys
from fastnas.spaces.nb201 import NB201


def test_fast_paths_equal_the_definition_on_every_cell():
    space = NB201()
    cells = NB201.from_index(np.arange(15625))
    ops = cells.ops.astype(np.int64)
    want = (ops * 5 ** np.arange(5, -1, -1)).sum(axis=1).astype(np.uint64)
    got = _keys.cells_to_keys("nb201-ops-code", space, cells)
    assert got.dtype == np.uint64
    np.testing.assert_array_equal(got, want)
    strings = NB201.to_strings(cells)
    np.testing.assert_array_equal(_keys.cells_to_keys("nb201-ops-code", space, strings), want)
    for i in (0, 1003, 4480, 15624):
        assert _keys.cells_to_keys("nb201-ops-code", space, strings[i]).tolist() == [int(want[i])]
        assert _keys.cells_to_keys("nb201-ops-code", space, cells[i]).tolist() == [int(want[i])]

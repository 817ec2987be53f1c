import numpy as np
import pytest

from fastnas._rng import base_seed


def test_int_seed_is_identity():
    assert int(base_seed(7)) == 7


def test_generator_seed_advances_and_is_reproducible():
    a = np.random.default_rng(1)
    b = np.random.default_rng(1)
    assert base_seed(a) == base_seed(b)
    assert base_seed(a) != base_seed(np.random.default_rng(1))


@pytest.mark.parametrize("bad", [-1, 2**64, 1.5, "3", True])
def test_bad_seeds(bad):
    with pytest.raises((ValueError, TypeError)):
        base_seed(bad)


def test_global_state_untouched():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    base_seed(None)
    base_seed(np.random.default_rng(3))
    assert (np.random.get_state()[1] == before).all()

"""Properties of zero-cost scoring on random NB201 cells (hypothesis; few examples: each builds networks)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import fastnas.zerocost as zc  # noqa: E402
from fastnas.spaces import NB201  # noqa: E402

KW = dict(width=2, N=1, input_shape=(1, 4, 4), batch_size=4, num_classes=3)
ops = st.lists(st.lists(st.integers(0, 4), min_size=6, max_size=6), min_size=1, max_size=4)


def _cells(rows):
    return NB201().cells_type(ops=np.array(rows, dtype=np.int8))


@settings(max_examples=8)
@given(rows=ops, perm_seed=st.integers(0, 2**32 - 1))
def test_scores_follow_their_cells_under_permutation(rows, perm_seed):
    cells = _cells(rows)
    perm = np.random.default_rng(perm_seed).permutation(len(cells))
    a = zc.score("nb201", cells, "synflow", **KW)
    b = zc.score("nb201", cells[perm], "synflow", **KW)
    np.testing.assert_array_equal(a[perm], b)
    assert np.all(a >= 0)  # |theta * grad| sums


@settings(max_examples=8)
@given(rows=ops)
def test_params_and_flops_match_structure(rows):
    from fastnas.models import nb201_param_counts

    cells = _cells(rows)
    p = zc.score("nb201", cells, "params", **KW)
    np.testing.assert_array_equal(p, nb201_param_counts(cells, C=2, N=1, num_classes=3, in_channels=1))
    f = zc.score("nb201", cells, "flops", **KW)
    # every conv edge runs (even fed by a dead node); c^2 * H * W = 64 in each of the 3 stages at C=2 on
    # 4x4 inputs (16 positions x 2^2, 4 x 4^2, 1 x 8^2), times k^2, one cell per stage
    # -> flops = skeleton + 192 * (n_conv1x1 + 9 n_conv3x3)
    w = (cells.ops == 2).sum(axis=1) + 9 * (cells.ops == 3).sum(axis=1)
    skeleton = f - 192 * w
    assert np.all(skeleton == skeleton[0]) and skeleton[0] > 0


@settings(max_examples=20)
@given(n=st.integers(2, 12), drop=st.integers(1, 3))
def test_mismatched_lengths_always_named(n, drop):
    X = np.zeros((n, 1, 4, 4), dtype=np.float32)
    y = np.zeros(n - drop if n - drop >= 0 else 0, dtype=int)
    with pytest.raises(ValueError, match=f"X has {n} rows, y has {len(y)}"):
        zc.check_xy(X, y)


@settings(max_examples=5, deadline=None)
@given(rows=st.lists(st.lists(st.integers(0, 4), min_size=6, max_size=6), min_size=2, max_size=4),
       seed=st.integers(0, 2**31 - 1))
def test_grouped_pass_equals_each_network(rows, seed):
    """Any set of NB201 cells: the grouped passes give each network's own value of every grouped proxy
    (float64; NaN where one network at a time gives NaN, e.g. jacob_cov without an input-output path)."""
    import copy
    import warnings

    from fastnas import models
    from fastnas.zerocost._grouped_nb201 import GROUPED_PROXIES, grouped_nb201_proxies

    cells = _cells(rows)
    nets = [models.build("nb201", cells[i], width=2, N=1, num_classes=3, in_channels=1, seed=seed).double()
            for i in range(len(cells))]
    rng = np.random.default_rng(seed)
    x, y = torch.from_numpy(rng.normal(size=(4, 1, 4, 4))), torch.from_numpy(rng.integers(0, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = grouped_nb201_proxies(nets, x, y, GROUPED_PROXIES, num_classes=3)
        for p in GROUPED_PROXIES:
            kw = {"num_classes": 3} if p == "epe_nas" else {}
            one = np.array([zc.PROXIES[p][0](copy.deepcopy(n), x, y, **kw) for n in nets])
            np.testing.assert_allclose(got[p], one, rtol=1e-10, atol=1e-14, err_msg=p)

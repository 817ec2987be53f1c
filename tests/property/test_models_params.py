"""Property: analytic NB201 / NAS-Bench-Graph parameter counts equal those of the built networks."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from fastnas.models.nb201 import NB201Network, nb201_param_counts  # noqa: E402
from fastnas.models.nbgraph import GNN_LINKS, GNNNetwork, nbgraph_param_counts  # noqa: E402


def n_params(net) -> int:
    return sum(p.numel() for p in net.parameters())


@settings(max_examples=25)
@given(ops=st.lists(st.integers(0, 4), min_size=6, max_size=6), C=st.integers(1, 4), N=st.integers(1, 2),
       classes=st.integers(1, 5), cin=st.integers(1, 3))
def test_nb201_counts(ops, C, N, classes, cin):
    net = NB201Network(ops, C=C, N=N, num_classes=classes, in_channels=cin)
    assert n_params(net) == nb201_param_counts([ops], C=C, N=N, num_classes=classes, in_channels=cin)[0]


@settings(max_examples=25)
@given(pattern=st.integers(0, 8), ops=st.lists(st.integers(0, 8), min_size=4, max_size=4),
       hidden=st.sampled_from([2, 4, 6]), pre=st.integers(0, 1), post=st.integers(0, 2), cin=st.integers(1, 5))
def test_nbgraph_counts(pattern, ops, hidden, pre, post, cin):
    if all(o == 8 for o in ops):
        ops = [8, 8, 8, 1]
    net = GNNNetwork(GNN_LINKS[pattern], ops, in_channels=cin, num_classes=3, hidden=hidden, num_pre=pre,
                     num_post=post)
    want = nbgraph_param_counts(np.array([pattern]), [ops], in_channels=cin, num_classes=3, hidden=hidden,
                                num_pre=pre, num_post=post)[0]
    assert n_params(net) == want


@settings(max_examples=30)
@given(bits=st.lists(st.integers(0, 1), min_size=21, max_size=21), inner=st.lists(st.integers(0, 2), min_size=5,
       max_size=5), stem=st.integers(1, 6), stacks=st.integers(1, 3))
def test_nb101_counts(bits, inner, stem, stacks):
    from fastnas.models.nb101 import NB101Network, nb101_param_counts

    m = np.zeros((7, 7), np.uint8)
    m[np.triu_indices(7, 1)] = bits
    ops = np.array([-1, *inner, -2], np.int8)
    try:
        net = NB101Network(m, ops, stem_channels=stem, stacks=stacks, cells_per_stack=2, num_classes=3)
    except ValueError:
        with pytest.raises(ValueError, match="row 0"):
            nb101_param_counts(m[None], ops[None], stem_channels=stem, stacks=stacks, cells_per_stack=2)
        return
    want = nb101_param_counts(m[None], ops[None], stem_channels=stem, stacks=stacks, cells_per_stack=2,
                              num_classes=3)[0]
    assert n_params(net) == want

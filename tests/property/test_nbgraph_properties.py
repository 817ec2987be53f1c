"""Hypothesis properties of the NBGraph space: canonical form is idempotent and key-preserving,
converters round-trip, moves stay in the space."""
from __future__ import annotations

import numpy as np
from hypothesis import given, strategies as st

from fastnas.spaces.nbgraph import NBGraph, NBGraphCells

seeds = st.integers(0, 2**64 - 1)
raw = st.lists(st.tuples(st.integers(0, 8), st.lists(st.integers(0, 8), min_size=4, max_size=4)),
               min_size=1, max_size=30)
spaces = st.sampled_from([NBGraph(), NBGraph("proteins")])


def _cells(rows) -> NBGraphCells:
    return NBGraphCells(link=[r[0] for r in rows], ops=[r[1] for r in rows])


@given(raw)
def test_canonical_idempotent_and_keyed(rows):
    sp = NBGraph()
    c = _cells(rows)
    k = sp.canonical(c)
    assert sp.canonical(k) == k
    assert np.array_equal(sp.key(k), sp.key(c))
    assert NBGraph.from_hash(NBGraph.to_hash(c)) == k
    # ops are only permuted by the canonical form
    assert np.array_equal(np.sort(k.ops, axis=1), np.sort(c.ops, axis=1))


@given(raw)
def test_arch_and_string_round_trip(rows):
    c = _cells(rows)
    links, ops = NBGraph.to_arch(c)
    assert NBGraph.from_arch(links, ops) == c
    assert NBGraph.from_strings(NBGraph.to_strings(c)) == c


@given(spaces, seeds, seeds, st.floats(0.05, 5.0))
def test_moves_in_space(sp, seed, seed2, rate):
    c = sp.sample(30, seed=seed)
    assert sp.is_valid(c).all()
    m = sp.mutate(c, rate=rate, seed=seed2)
    assert sp.is_valid(m).all() and (sp.key(m) != sp.key(c)).all()
    nb = sp.neighbors(c[:1])
    assert sp.is_valid(nb).all() and len(np.unique(sp.key(nb))) == len(nb)
    assert not np.isin(sp.key(nb), sp.key(c[:1])).any()

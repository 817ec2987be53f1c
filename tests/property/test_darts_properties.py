"""Hypothesis properties of the DARTS space: converters round-trip, the key is invariant under the
documented symmetries and agrees with a brute-force isomorphism test, moves stay in the space."""
from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, strategies as st

from fastnas.spaces.darts import DARTS, DARTSCells

SPACE = DARTS()
seeds = st.integers(0, 2**64 - 1)


def _edges(inp, op, perm):
    """Cell relabelled by perm (old node k -> perm[k]) as a tuple of sorted per-node pair lists."""
    where = {p: k for k, p in enumerate(perm)}
    nodes = []
    for p in range(4):
        k = where[p]
        pairs = sorted((inp[e] if inp[e] < 2 else perm[inp[e] - 2] + 2, op[e]) for e in (2 * k, 2 * k + 1))
        nodes.append(tuple(pairs))
    return tuple(nodes)


def brute_isomorphic(a: DARTSCells, b: DARTSCells) -> bool:
    """Slow definition: some DAG-respecting relabelling of a's nodes gives b's nodes, in both cells."""
    for c in range(2):
        ia, oa = a.inputs[0, c].tolist(), a.ops[0, c].tolist()
        ib, ob = b.inputs[0, c].tolist(), b.ops[0, c].tolist()
        target = _edges(ib, ob, (0, 1, 2, 3))
        ok = False
        for perm in itertools.permutations(range(4)):
            if all(ia[e] < 2 or perm[ia[e] - 2] < perm[e // 2] for e in range(8)) and _edges(ia, oa, perm) == target:
                ok = True
                break
        if not ok:
            return False
    return True


def relabel(cells: DARTSCells, rng: np.random.Generator) -> DARTSCells:
    """A random isomorphic copy: a random DAG-respecting relabelling per cell and random edge swaps."""
    inp, op = cells.inputs.copy(), cells.ops.copy()
    for c in range(2):
        i0, o0 = inp[0, c].tolist(), op[0, c].tolist()
        perms = [p for p in itertools.permutations(range(4))
                 if all(i0[e] < 2 or p[i0[e] - 2] < p[e // 2] for e in range(8))]
        perm = perms[rng.integers(len(perms))]
        where = {p: k for k, p in enumerate(perm)}
        for p in range(4):
            k = where[p]
            pairs = [(i0[e] if i0[e] < 2 else perm[i0[e] - 2] + 2, o0[e]) for e in (2 * k, 2 * k + 1)]
            if rng.integers(2):
                pairs.reverse()
            for t, (x, o) in enumerate(pairs):
                inp[0, c, 2 * p + t], op[0, c, 2 * p + t] = x, o
    return DARTSCells(inputs=inp, ops=op)


@given(seeds, seeds)
def test_key_invariant_under_relabelling(seed, seed2):
    c = SPACE.sample(1, seed=seed)
    r = relabel(c, np.random.default_rng(seed2 % 2**32))
    assert SPACE.is_valid(r).all()
    assert SPACE.key(r)[0] == SPACE.key(c)[0]
    assert np.array_equal(SPACE.encode(r, "path"), SPACE.encode(c, "path"))  # path encoding is invariant


def _raw_neighbors(c: DARTSCells) -> DARTSCells:
    from fastnas.spaces import darts_ref

    i, o, _ = darts_ref.darts_neighbors(c.inputs, c.ops)
    return DARTSCells(inputs=i, ops=o)


def _agreement(c: DARTSCells) -> int:
    """Check key equality == brute-force isomorphism on (parent, neighbour) and (neighbour, next
    neighbour) pairs of all 120 raw single changes; return how many pairs were isomorphic."""
    nb = _raw_neighbors(c)
    keys = SPACE.key(nb)
    k0 = SPACE.key(c)[0]
    iso = 0
    for t in range(len(nb)):
        same = bool(keys[t] == k0)
        assert same == brute_isomorphic(c, nb[t])
        iso += same
        if t + 1 < len(nb):
            same = bool(keys[t] == keys[t + 1])
            assert same == brute_isomorphic(nb[t], nb[t + 1])
            iso += same
    return iso


@given(seeds, st.booleans())
def test_key_equality_is_isomorphism(seed, small):
    c = SPACE.sample(1, seed=seed)
    if small:  # two ops only: many symmetric cells, so many isomorphic neighbour pairs
        c = DARTSCells(inputs=c.inputs, ops=(c.ops % 2).astype(np.int8))
    _agreement(c)


def _all_structures(op_of_edge) -> DARTSCells:
    """Every normal cell wiring (1 * 3 * 6 * 10 = 180 unordered distinct input pairs) with ops
    ``op_of_edge(e)``; the reduction cell fixed."""
    choices = [list(itertools.combinations(range(k + 2), 2)) for k in range(4)]
    rows = [sum((list(p) for p in combo), []) for combo in itertools.product(*choices)]
    inp = np.array([[r, [0, 1] * 4] for r in rows], np.int8)
    ops = np.zeros_like(inp)
    ops[:, 0] = [op_of_edge(e) for e in range(8)]
    return DARTSCells(inputs=inp, ops=ops)


def test_key_partition_equals_brute_force_on_all_wirings():
    for op_of_edge in (lambda e: 0, lambda e: e % 2, lambda e: e // 4):
        c = _all_structures(op_of_edge)
        assert len(c) == 180
        keys = SPACE.key(c)
        iso_pairs = 0
        for a in range(len(c)):
            for b in range(a + 1, len(c)):
                same = bool(keys[a] == keys[b])
                assert same == brute_isomorphic(c[a], c[b]), (a, b)
                iso_pairs += same
        assert iso_pairs > 0  # both outcomes are exercised
        assert len(np.unique(keys)) < 180


@given(seeds, st.integers(1, 40))
def test_converters_round_trip(seed, n):
    c = SPACE.sample(n, seed=seed)
    assert DARTS.from_zc_keys(DARTS.to_zc_keys(c)) == c
    assert DARTS.from_genotype(DARTS.to_genotype(c)) == c
    assert DARTS.from_genotype(DARTS.to_genotype(c, as_strings=True)) == c
    assert DARTS.from_strings(DARTS.to_strings(c)) == c


@given(seeds, st.floats(0.05, 16.0), seeds)
def test_mutation_valid_and_new(seed, rate, seed2):
    c = SPACE.sample(20, seed=seed)
    m = SPACE.mutate(c, rate=rate, seed=seed2)
    assert SPACE.is_valid(m).all()
    assert (SPACE.key(m) != SPACE.key(c)).all()
    assert SPACE.mutate(c, rate=rate, seed=seed2) == m


@given(seeds)
def test_neighbors_are_single_changes(seed):
    c = SPACE.sample(1, seed=seed)
    nb = SPACE.neighbors(c)
    diff = (nb.inputs != c.inputs).sum(axis=(1, 2)) + (nb.ops != c.ops).sum(axis=(1, 2))
    assert (diff == 1).all()
    assert len(np.unique(SPACE.key(nb))) == len(nb)
    assert 60 <= len(nb) <= 120

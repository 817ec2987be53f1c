"""DARTS / NAS-Bench-301 space: converters on the 725 real NAS-Bench-Suite-Zero keys, hand-worked keys
and encodings, moves, bad input."""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from fastnas.spaces.darts import DARTS, DARTSCells, Genotype

KEYS = [l.rstrip("\n") for l in (Path(__file__).parent.parent / "data" / "nb301_keys.txt").open()
        if not l.startswith("#")]
SPACE = DARTS()

# DARTS_V2 as published in the DARTS repository (genotypes.py), pairs (op, input)
DARTS_V2 = Genotype(
    normal=[("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
            ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2)],
    normal_concat=[2, 3, 4, 5],
    reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
            ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)],
    reduce_concat=[2, 3, 4, 5],
)


def cells(normal, reduce=None) -> DARTSCells:
    """From [(input, op) x 8] lists (the zc key order)."""
    reduce = normal if reduce is None else reduce
    return DARTS.from_arrays([[i for i, _ in normal], [i for i, _ in reduce]],
                             [[o for _, o in normal], [o for _, o in reduce]])


def test_all_725_real_keys_parse_and_round_trip_exactly():
    assert len(KEYS) == 725
    c = DARTS.from_zc_keys(KEYS)
    assert len(c) == 725 and SPACE.is_valid(c).all()
    assert DARTS.to_zc_keys(c) == KEYS
    assert len(np.unique(SPACE.key(c))) == 725  # distinct architectures, as the benchmark sampled them
    # first key decoded by hand: normal edge 1 = (1, 5) -> input c_{k-1}, dil_conv_3x3
    assert c.inputs[0, 0, :2].tolist() == [0, 1] and c.ops[0, 0, :2].tolist() == [0, 5]
    assert c.inputs[0, 1, 7] == 3 and c.ops[0, 1, 7] == 6


def test_genotype_round_trip_and_darts_v2():
    c = DARTS.from_genotype(DARTS_V2)
    assert c.inputs[0, 0].tolist() == [0, 1, 0, 1, 1, 0, 0, 2]
    assert c.ops[0, 0].tolist() == [3, 3, 3, 3, 3, 2, 2, 5]
    assert DARTS.to_genotype(c)[0] == DARTS_V2
    text = repr(DARTS_V2).replace("normal_concat=[2, 3, 4, 5]", "normal_concat=range(2, 6)")
    assert DARTS.from_genotype(text) == c
    real = DARTS.from_zc_keys(KEYS)
    assert DARTS.from_genotype(DARTS.to_genotype(real, as_strings=True)) == real
    assert DARTS.from_genotype(DARTS.to_genotype(real)) == real


def test_key_invariances_worked_examples():
    base = [(0, 3), (1, 4), (0, 1), (1, 2), (2, 5), (0, 6), (3, 0), (1, 3)]
    swapped = [base[1], base[0]] + base[2:]  # edges of node 0 exchanged
    assert SPACE.key(cells(base))[0] == SPACE.key(cells(swapped))[0]
    # nodes 0 and 1 both read only the cell inputs: exchange their labels (2 <-> 3 in references)
    relab = [base[2], base[3], base[0], base[1], (3, 5), (0, 6), (2, 0), (1, 3)]
    assert SPACE.key(cells(relab))[0] == SPACE.key(cells(base))[0]
    # c_{k-2} and c_{k-1} are NOT interchangeable
    other = [(1 - i if i < 2 else i, o) for i, o in base]
    assert SPACE.key(cells(other))[0] != SPACE.key(cells(base))[0]
    # normal and reduction cells are not interchangeable
    a, b = cells(base, relab[:6] + [(0, 0), (1, 3)]), cells(relab[:6] + [(0, 0), (1, 3)], base)
    assert SPACE.key(a)[0] != SPACE.key(b)[0]


def test_key_separates_cells_with_equal_path_encodings():
    # nodes 0 and 1 identical; nodes 2 and 3 read (node 0, node 1) in one cell and (node 0, node 0) in
    # the other: same paths, same multiset of node "unfoldings", yet not isomorphic.
    x = [(0, 3), (1, 3), (0, 3), (1, 3), (2, 5), (0, 1), (3, 5), (0, 1)]
    y = [(0, 3), (1, 3), (0, 3), (1, 3), (2, 5), (0, 1), (2, 5), (0, 1)]
    cx, cy = cells(x), cells(y)
    assert np.array_equal(SPACE.encode(cx, "path"), SPACE.encode(cy, "path"))
    assert SPACE.key(cx)[0] != SPACE.key(cy)[0]


def test_path_encoding_hand_worked_and_all_eight_edges():
    # node k reads c_{k-2} with op k and c_{k-1} with op k, except node 1 edge 2 reads node 0 with op 3
    normal = [(0, 0), (1, 0), (2, 3), (1, 1), (0, 2), (1, 2), (0, 3), (1, 6)]
    c = cells(normal)
    idx = set(np.nonzero(SPACE.encode(c, "path")[0])[0].tolist())
    expect = set()
    for cell in (0, 1):
        b0, b1 = (2 * cell) * 2801, (2 * cell + 1) * 2801
        expect |= {b0 + 1, b1 + 1}  # node 0: c_{k-2} -max_pool-, c_{k-1} -max_pool-
        expect |= {b0 + 1 + 7 * 4, b1 + 1 + 7 * 4}  # through node 0 then sep_conv_3x3 (code 3)
        expect |= {b1 + 2, b0 + 3, b1 + 3, b0 + 4}  # nodes 1..3 direct edges (edge 7 included)
        expect |= {b1 + 7}  # edge 7: c_{k-1} -dil_conv_5x5- (NASLib's 7-edge loop misses it)
    assert idx == expect
    assert SPACE.encode(c, "path").shape == (1, 11204)
    assert np.array_equal(SPACE.encode(c, "path_trunc"), SPACE.encode(c, "path")[:, :100])
    assert SPACE.encode(c, "path_trunc", k=40).shape == (1, 40)
    # NASLib's compatibility kind drops edge 7's paths (here only the direct c_{k-1} -dil_conv_5x5-)
    naslib = set(np.nonzero(SPACE.encode(c, "path_naslib")[0])[0].tolist())
    assert naslib == expect - {2801 + 7, 3 * 2801 + 7}


def test_adjacency_and_gcn_layouts():
    c = DARTS.from_genotype(DARTS_V2)
    adj = SPACE.encode(c, "adjacency")
    assert adj.shape == (1, 210)
    m = adj[0, :49].reshape(7, 7)
    assert m[:, 6].tolist() == [0, 0, 1, 1, 1, 1, 0]  # intermediates -> output
    assert m[2, 5] == 1 and m[0, 2] == 1 and m[1, 2] == 1
    assert adj[0, 49:105].reshape(8, 7).argmax(axis=1).tolist() == [3, 3, 3, 3, 3, 2, 2, 5]
    nl = SPACE.encode(c, "adjacency_naslib")
    assert nl.shape == (1, 114)
    assert nl[0, 49:57].tolist() == [3, 3, 3, 3, 3, 2, 2, 5] and nl[0, 106:114].tolist() == [0, 0, 2, 0, 0, 2, 2, 0]
    assert np.array_equal(nl[0, :49], adj[0, :49]) and np.array_equal(nl[0, 57:106], adj[0, 105:154])
    g = SPACE.encode(c, "gcn")
    assert g.shape == (1, 462)
    adjn = g[0, 110:231].reshape(11, 11)
    assert np.allclose(adjn.sum(axis=1), 1.0)
    assert g[0, :110].reshape(11, 10).sum(axis=1).tolist() == [1.0] * 11
    assert SPACE.encode(c, "categorical").shape == (1, 32)


def test_sample_mutate_neighbors():
    c = SPACE.sample(300, seed=4)
    assert SPACE.is_valid(c).all()
    assert SPACE.sample(300, seed=4) == c
    assert SPACE.sample(10, seed=4) == c[:10]  # row i uses stream i
    for rate in (0.5, 1.0, 4.0):
        m = SPACE.mutate(c, rate=rate, seed=1)
        assert SPACE.is_valid(m).all() and (SPACE.key(m) != SPACE.key(c)).all()
    n1 = SPACE.mutate(c, rate=1.0, seed=1)
    changed = (n1.inputs != c.inputs).sum(axis=(1, 2)) + (n1.ops != c.ops).sum(axis=(1, 2))
    assert 1.0 <= changed.mean() <= 2.0  # about rate edits (redraws of zero-edit draws push it above 1)
    nb, parent = SPACE.neighbors_batch(c[:20])
    assert SPACE.is_valid(nb).all() and (SPACE.key(nb) != SPACE.key(c[:20])[parent]).all()
    for i in range(20):
        k = SPACE.key(nb[parent == i])
        assert len(np.unique(k)) == len(k) <= 120
    u = SPACE.sample(50, seed=3, unique=True)
    assert len(np.unique(SPACE.key(u))) == 50


def test_neighbors_dedup_hand_count():
    # every node reads (c_{k-2}, sep_conv_3x3) and (c_{k-1}, sep_conv_3x3): the 4 nodes are interchangeable.
    # Per cell, up to isomorphism: an op change is fixed by (which input's edge, new op) = 2 x 6 = 12; an
    # input change makes some node read an earlier node j on its c_{k-2} or its c_{k-1} edge = 2.
    # So 14 per cell, 28 in all, out of 120 raw single changes.
    sym = cells([(0, 3), (1, 3)] * 4)
    assert len(SPACE.neighbors(sym)) == 28
    # a cell with no symmetry keeps all 120
    rigid = cells([(0, 0), (1, 1), (0, 2), (2, 3), (1, 4), (3, 5), (0, 6), (4, 1)])
    assert len(SPACE.neighbors(rigid)) == 120


@pytest.mark.parametrize("bad, match", [
    ("[[(0, 0)]]", "malformed"),
    (KEYS[0].replace("(0, 0)", "(2, 0)", 1), "row 1: cell 0 edge 0: input 2 out of range 0..1"),
    (KEYS[0].replace("(3, 2)", "(5, 2)", 1), "edge 7: input 5 out of range 0..4"),
    (KEYS[0].replace("(1, 5)", "(1, 7)", 1), "op 7 out of range"),
    (KEYS[0][:-1], "malformed"),
])
def test_bad_keys(bad, match):
    with pytest.raises(ValueError, match=match):
        DARTS.from_zc_keys([KEYS[1], bad])


def test_bad_genotypes_and_arrays():
    with pytest.raises(ValueError, match="unknown op 'conv_7x7'"):
        DARTS.from_genotype(DARTS_V2._replace(normal=[("conv_7x7", 0)] + DARTS_V2.normal[1:]))
    with pytest.raises(ValueError, match="normal_concat"):
        DARTS.from_genotype(DARTS_V2._replace(normal_concat=[2, 3, 4]))
    with pytest.raises(ValueError, match="8 \\(op, input\\) pairs"):
        DARTS.from_genotype(DARTS_V2._replace(reduce=DARTS_V2.reduce[:7]))
    with pytest.raises(ValueError, match="malformed genotype"):
        DARTS.from_genotype("Genotype(normal=[")
    with pytest.raises(ValueError, match="not a literal"):
        DARTS.from_genotype(repr(DARTS_V2).replace("[2, 3, 4, 5]", "__import__('os')", 1))
    with pytest.raises(TypeError):
        DARTS.from_genotype([3])
    with pytest.raises(ValueError, match="shape"):
        DARTSCells(inputs=np.zeros((2, 2, 7)), ops=np.zeros((2, 2, 7)))
    dup = DARTS.from_zc_keys(KEYS[:2])
    inp = dup.inputs.copy()
    inp[1, 0, 1] = inp[1, 0, 0]
    bad = DARTSCells(inputs=inp, ops=dup.ops)
    assert SPACE.is_valid(bad).tolist() == [True, False]
    with pytest.raises(ValueError, match="row 1"):
        SPACE.key(bad)
    with pytest.raises(ValueError, match="row 1"):
        SPACE.mutate(bad, seed=0)
    with pytest.raises(ValueError, match="unknown encoding"):
        SPACE.encode(dup, "onehot")
    with pytest.raises(TypeError):
        SPACE.key(np.zeros((1, 2, 8)))
    with pytest.raises(ValueError, match="rate"):
        SPACE.mutate(dup, rate=0.0, seed=0)

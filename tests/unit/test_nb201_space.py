"""NB201 space: published counts, worked examples of every convention, round trips over all cells."""
import numpy as np
import pytest

from fastnas.spaces.nb201 import EDGES, OPS, NB201, NB201Cells

BEST_C10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


@pytest.fixture(scope="module")
def space():
    return NB201()


@pytest.fixture(scope="module")
def everything(space):
    return space.enumerate()


def test_constants():
    assert OPS == ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
    assert EDGES == ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
    assert NB201Cells.SPACE == "nb201" and NB201.name == "nb201" and NB201.finite


# ---------------------------------------------------------------- published counts
def test_enumerate_has_every_cell_once(everything):
    assert len(everything) == 15625
    assert len(np.unique(NB201.to_code(everything))) == 15625


def test_published_valid_count(space, everything):
    assert int(space.is_valid(everything).sum()) == 15284


def test_published_isomorphism_counts(space, everything):
    assert len(np.unique(space.key(everything))) == 6466
    assert len(np.unique(space.key(everything, treat_none_as_op=True))) == 12751
    assert len(np.unique(space.key(everything, kind="dag"))) == 8765
    assert len(np.unique(space.key(everything, treat_none_as_op=True, kind="dag"))) == 15625


@pytest.mark.parametrize("kind", ["nats", "dag"])
@pytest.mark.parametrize("treat_none_as_op", [False, True])
def test_key_is_smallest_code_of_class(space, everything, kind, treat_none_as_op):
    keys = space.key(everything, treat_none_as_op, kind).astype(np.int64)
    codes = NB201.to_code(everything)
    smallest = {}
    for kk, c in zip(keys.tolist(), codes.tolist()):
        smallest[kk] = min(smallest.get(kk, c), c)
    assert all(kk == c for kk, c in smallest.items())
    # validity is constant on every class
    valid = space.is_valid(everything)
    assert not set(keys[valid].tolist()) & set(keys[~valid].tolist())


def test_enumerate_is_official_index_order(everything):
    np.testing.assert_array_equal(NB201.to_index(everything), np.arange(15625))
    # the first entries of NATS-Bench's arch-string list (index order)
    assert NB201.to_strings(everything[:2]) == [
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
    ]


# ---------------------------------------------------------------- worked examples
def test_official_indices_pinned():
    # values read from NATS-Bench's arch-string list (index order) when the index file was vendored
    assert NB201.to_index(NB201.from_strings(BEST_C10)).tolist() == [6111]
    assert NB201.to_strings(NB201.from_index([15624, 7690])) == [
        "|nor_conv_1x1~0|+|none~0|nor_conv_1x1~1|+|none~0|nor_conv_1x1~1|nor_conv_1x1~2|",
        "|none~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|",
    ]


def test_docs_tour_runs():
    import pathlib
    import re

    doc = pathlib.Path(__file__).resolve().parents[2] / "docs" / "nb201.md"
    if not doc.exists():
        pytest.skip("docs/nb201.md not shipped")
    code = re.search(r"## Tour\n\n```python\n(.*?)```", doc.read_text(), re.S).group(1)
    exec(compile(code, str(doc), "exec"), {})


def test_best_cifar10_cell():
    c = NB201.from_strings(BEST_C10)
    # edges (0,1),(0,2),(1,2),(0,3),(1,3),(2,3) = conv3x3, conv3x3, conv3x3, skip, conv3x3, conv1x1
    assert c.ops.tolist() == [[3, 3, 3, 1, 3, 2]]
    # NASLib reorders edges to (0,1),(0,2),(0,3),(1,2),(1,3),(2,3) and codes skip 0, conv3x3 2, conv1x1 3:
    # conv3x3 conv3x3 skip conv3x3 conv3x3 conv1x1 -> 2 2 0 2 2 3 (the data table's key "220223")
    assert NB201.to_naslib(c).tolist() == [[2, 2, 0, 2, 2, 3]]
    assert NB201.to_strings(c) == [BEST_C10]


def test_naslib_key_worked_example():
    # NASLib key (4, 3, 3, 3, 2, 3) by hand: NASLib edges (0,1)=4 avg_pool, (0,2)=3 conv1x1, (0,3)=3 conv1x1,
    # (1,2)=3 conv1x1, (1,3)=2 conv3x3, (2,3)=3 conv1x1. In string order (0,1),(0,2),(1,2),(0,3),(1,3),(2,3):
    # avg_pool, conv1x1, conv1x1, conv1x1, conv3x3, conv1x1.
    expected = "|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_1x1~2|"
    for form in ("(4, 3, 3, 3, 2, 3)", ["(4, 3, 3, 3, 2, 3)"], [(4, 3, 3, 3, 2, 3)], np.array([[4, 3, 3, 3, 2, 3]])):
        assert NB201.to_strings(NB201.from_naslib(form)) == [expected]
    assert NB201.to_naslib(NB201.from_strings(expected), as_strings=True) == ["(4, 3, 3, 3, 2, 3)"]


def test_naszilla_worked_example():
    # alphabetical: avg_pool 0, conv1x1 1, conv3x3 2, none 3, skip 4; string edge order kept
    c = NB201.from_strings(BEST_C10)
    assert NB201.to_naszilla(c).tolist() == [[2, 2, 2, 4, 2, 1]]
    names = [["nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_3x3", "nor_conv_1x1"]]
    assert NB201.from_naszilla(names) == c


def test_code_convention():
    # ops[0] is the most significant base-5 digit
    c = NB201.from_ops([[1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 4], [4, 4, 4, 4, 4, 4]])
    assert NB201.to_code(c).tolist() == [3125, 4, 15624]


def test_matrix_convention():
    c = NB201.from_strings(BEST_C10)
    m = NB201.to_matrix(c)[0]
    assert m.tolist() == [[0, 3, 3, 1], [0, 0, 3, 3], [0, 0, 0, 2], [0, 0, 0, 0]]
    assert NB201.from_matrix(m) == c


def test_validity_examples(space):
    # only a none path: input->1 conv, 1->3 none, everything else none -> disconnected
    cells = NB201.from_ops([[3, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0], [0, 3, 0, 0, 0, 2], [3, 0, 3, 0, 0, 3]])
    assert space.is_valid(cells).tolist() == [False, True, True, True]


def test_key_examples(space):
    k = lambda rows, **kw: space.key(NB201.from_ops(rows), **kw).tolist()
    # a conv on (0,1) that feeds nothing (edges out of node 1 are none) is removed
    a, b = k([[3, 0, 0, 2, 0, 0], [0, 0, 0, 2, 0, 0]])
    assert a == b
    # ... but not when none is an ordinary op
    a, b = k([[3, 0, 0, 2, 0, 0], [0, 0, 0, 2, 0, 0]], treat_none_as_op=True)
    assert a != b
    # skip_connect is the identity: in->1 skip, 1->out conv3 computes the same as in->out conv3
    a, b = k([[1, 0, 0, 0, 3, 0], [0, 0, 0, 3, 0, 0]])
    assert a == b
    # NATS-Bench keeps the zero summand of node 2 (which always has two inputs), so swapping the inner
    # nodes' roles is NOT merged: in->1 conv3, 1->out conv1 vs in->2 conv3, 2->out conv1 ("#" + ... at node 2)
    a2, b2 = k([[3, 0, 0, 0, 2, 0], [0, 3, 0, 0, 0, 2]])
    assert a2 != b2
    # the key is the smallest code of the class: at most both codes, and a fixed point
    assert a <= min(NB201.to_code(NB201.from_ops([[1, 0, 0, 0, 3, 0], [0, 0, 0, 3, 0, 0]])).tolist())
    assert space.key(NB201.from_code(a)).tolist() == [a]
    # kind="dag": plain labelled-DAG isomorphism, where swapping the inner nodes IS merged ...
    a3, b3 = k([[3, 0, 0, 0, 2, 0], [0, 3, 0, 0, 0, 2]], kind="dag")
    assert a3 == b3
    # ... and skip_connect is an ordinary op
    a4, b4 = k([[1, 0, 0, 0, 3, 0], [0, 0, 0, 3, 0, 0]], kind="dag")
    assert a4 != b4
    # different ops are never merged
    a, b = k([[3, 0, 0, 0, 2, 0], [2, 0, 0, 0, 3, 0]])
    assert a != b


# ---------------------------------------------------------------- round trips over all cells
def test_round_trips_all(everything):
    ops = everything
    assert NB201.from_strings(NB201.to_strings(ops)) == ops
    assert NB201.from_index(NB201.to_index(ops)) == ops
    assert NB201.from_code(NB201.to_code(ops)) == ops
    assert NB201.from_naslib(NB201.to_naslib(ops)) == ops
    assert NB201.from_naslib(NB201.to_naslib(ops, as_strings=True)) == ops
    assert NB201.from_naszilla(NB201.to_naszilla(ops)) == ops
    assert NB201.from_matrix(NB201.to_matrix(ops)) == ops
    assert len({tuple(r) for r in NB201.to_naslib(ops).tolist()}) == 15625


# ---------------------------------------------------------------- moves
def test_sample_is_deterministic_and_in_range(space):
    a = space.sample(1000, seed=3)
    assert a == space.sample(1000, seed=3)
    assert a[:10] == space.sample(10, seed=3)  # row i depends on i only
    assert a != space.sample(1000, seed=4)
    v = space.sample(500, seed=1, valid_only=True)
    assert space.is_valid(v).all()


def test_sample_unique(space):
    u = space.sample(6466, seed=0, unique=True)
    assert len(np.unique(space.key(u))) == 6466
    uv = space.sample(100, seed=0, unique=True, valid_only=True)
    assert len(np.unique(space.key(uv))) == 100 and space.is_valid(uv).all()
    with pytest.raises(ValueError, match="unique"):
        space.sample(6467, seed=0, unique=True)
    # validity is constant on a class: the 341 invalid cells form 5 of the 6,466 classes
    assert len(space.sample(6461, seed=0, unique=True, valid_only=True)) == 6461
    with pytest.raises(ValueError, match="valid"):
        space.sample(6462, seed=0, unique=True, valid_only=True)


@pytest.mark.parametrize("one_edge", [False, True])
def test_mutate_differs_up_to_isomorphism(space, everything, one_edge):
    m = space.mutate(everything, rate=1.0, seed=5, one_edge=one_edge)
    assert not space.is_isomorphic(m, everything).any()
    changed = (m.ops != everything.ops).sum(axis=1)
    if one_edge:
        assert (changed == 1).all()
    assert m == space.mutate(everything, rate=1.0, seed=5, one_edge=one_edge)


def test_mutate_valid_only(space, everything):
    m = space.mutate(everything, rate=2.0, seed=1, valid_only=True)
    assert space.is_valid(m).all()


def test_mutate_rate_semantics(space):
    # rate r: each of the 6 edges changes with probability r/4 (then rejections for isomorphic children)
    cells = NB201.from_ops(np.full((20000, 6), 3))  # all conv3x3: any change makes a different class
    m = space.mutate(cells, rate=1.0, seed=2)
    changed = (m.ops != 3).sum(axis=1)
    # conditional on >= 1 change: mean = 6p / (1 - (1-p)^6), p = 1/4
    p = 0.25
    assert abs(changed.mean() - 6 * p / (1 - (1 - p) ** 6)) < 0.03


def test_neighbors(space):
    c = NB201.from_strings(BEST_C10)
    nb = space.neighbors(c)
    assert len(nb) == 24
    assert ((nb.ops != c.ops).sum(axis=1) == 1).all()
    assert len(np.unique(NB201.to_code(nb))) == 24
    d = space.neighbors(c, dedup=True)
    keys = space.key(d)
    assert len(np.unique(keys)) == len(d) and space.key(c)[0] not in keys
    cells = space.sample(50, seed=9)
    allnb, parent = space.neighbors_batch(cells)
    assert len(allnb) == 24 * 50 and (np.bincount(parent) == 24).all()
    dd, dparent = space.neighbors_batch(cells, dedup=True)
    for i in range(50):
        assert dd[dparent == i] == space.neighbors(cells[i], dedup=True)


# ---------------------------------------------------------------- encodings
def test_encodings_shapes_and_examples(space):
    c = NB201.from_strings(BEST_C10)
    adj = space.encode(c, "adjacency")
    assert adj.shape == (1, 30) and adj.sum() == 6 and adj[0, 5 * 3 + 1] == 1  # edge (0,3) = skip
    path = space.encode(c, "path")
    # naszilla op indices (string order) 2 2 2 4 2 1; paths: [e3]=4 -> 4; [e0,e4]=2,2 -> 5+2+10=17;
    # [e1,e5]=2,1 -> 5+2+5=12; [e0,e2,e5]=2,2,1 -> 30+2+10+25=67
    assert np.flatnonzero(path[0]).tolist() == [4, 12, 17, 67]
    assert np.array_equal(space.encode(c, "path_trunc"), path[:, :30])
    assert space.encode(c, "path_trunc", k=10).shape == (1, 10)
    # NASLib's quirk: naslib ops 2 2 0 2 2 3 read at naszilla positions [3], [0,4], [1,5], [0,2,5]:
    # 2 -> 2; 2,2 -> 5+2+10=17; 2,3 -> 5+2+15=22; 2,0,3 -> 30+2+0+75=107
    assert np.flatnonzero(space.encode(c, "path_naslib")[0]).tolist() == [2, 17, 22, 107]
    gcn = space.encode(c, "gcn")
    assert gcn.shape == (1, 120)
    assert np.allclose(gcn[0, 56:].reshape(8, 8).sum(axis=1), 1.0)
    assert space.encode(c, "categorical").tolist() == [[3, 3, 3, 1, 3, 2]]


def test_path_encoding_distinct_counts(space, everything):
    p = space.encode(everything, "path")
    assert (p.sum(axis=1) >= 3).all() and (p.sum(axis=1) <= 4).all()
    assert len(np.unique(p, axis=0)) == 15625  # the 4 path-index tuple recovers all 6 ops


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "bad,match",
    [
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|", "malformed"),
        ("|conv~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "unknown op"),
        ("|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "node 0"),
        ("nor_conv_3x3~0+", "malformed"),
        ("|nor_conv_3x3|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "op~node"),
    ],
)
def test_bad_strings(bad, match):
    with pytest.raises(ValueError, match=match):
        NB201.from_strings([BEST_C10, bad])
    with pytest.raises(ValueError, match="row 1"):
        NB201.from_strings([BEST_C10, bad])


def test_bad_numbers(space):
    with pytest.raises(ValueError, match="row 1.*15625"):
        NB201.from_index([0, 15625])
    with pytest.raises(ValueError, match="row 0"):
        NB201.from_index([-1])
    with pytest.raises(ValueError, match="row 0"):
        NB201.from_code([20000])
    with pytest.raises(ValueError, match="row 1"):
        NB201.from_ops([[0] * 6, [0, 0, 5, 0, 0, 0]])
    with pytest.raises(ValueError, match=r"shape \(N, 6\)"):
        NB201.from_ops(np.zeros((2, 5), dtype=np.int8))
    with pytest.raises(ValueError, match="integers"):
        NB201.from_index([0.5])
    with pytest.raises(ValueError, match="malformed NASLib"):
        NB201.from_naslib("(4, 3, 3, 3, 2)")
    with pytest.raises(ValueError, match="row 0"):
        NB201.from_naslib("(4, 3, 3, 3, 2, 7)")
    with pytest.raises(ValueError, match="unknown op"):
        NB201.from_naszilla([["none"] * 5 + ["conv"]])
    with pytest.raises(ValueError, match=r"\[1, 0\]"):
        NB201.from_matrix(np.tril(np.ones((4, 4), dtype=np.int8), -1))
    with pytest.raises(ValueError, match="not an op code"):
        NB201.from_matrix(np.triu(np.full((4, 4), 7, dtype=np.int8), 1))
    with pytest.raises(ValueError, match="rate"):
        space.mutate(space.sample(2, seed=0), rate=0.0)
    with pytest.raises(ValueError, match="unknown encoding"):
        space.encode(space.sample(2, seed=0), "zcp")
    with pytest.raises(TypeError):
        space.key(np.zeros((2, 6), dtype=np.int8))
    with pytest.raises(ValueError, match="batch of one"):
        space.neighbors(space.sample(2, seed=0))
    with pytest.raises(ValueError, match="row 0"):
        space.key(NB201Cells(ops=np.full((1, 6), 9, dtype=np.int8)))


# ---------------------------------------------------------------- one-cell string fast paths (issue 12)
def test_strings_to_index_equals_the_batched_route_on_every_cell():
    from fastnas.spaces.nb201 import NB201 as _NB201

    cells = _NB201.from_index(np.arange(15625))
    strings = _NB201.to_strings(cells)
    np.testing.assert_array_equal(_NB201.strings_to_index(strings), np.arange(15625))
    for i in (0, 1003, 4480, 15624):
        assert _NB201.strings_to_index(strings[i]).tolist() == [i]
        one = _NB201.from_strings(strings[i])
        assert one == cells[i] and not one.ops.flags.writeable
    # the official string of index 0 (NATS-Bench tss), checked by hand
    assert _NB201.strings_to_index("|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|"
                                   "skip_connect~1|skip_connect~2|").tolist() == [0]


def test_strings_to_index_refuses_what_is_not_a_cell():
    from fastnas.spaces.nb201 import NB201 as _NB201

    with pytest.raises(ValueError):
        _NB201.strings_to_index("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    with pytest.raises(ValueError):
        _NB201.strings_to_index(["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "garbage"])
    with pytest.raises((TypeError, ValueError)):
        _NB201.from_strings([3])

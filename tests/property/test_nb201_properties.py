"""Hypothesis properties of every NB201 converter and kernel (compiled against the Python twins)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fastnas import _backend
from fastnas.spaces.nb201 import EDGES, OPS, NB201, NB201Cells

SPACE = NB201()
ops_arrays = st.integers(0, 40).flatmap(lambda n: arrays(np.int8, (n, 6), elements=st.integers(0, 4)))
seeds = st.integers(0, 2**64 - 1)
# naszilla cell_201.py OPS: "alphabetical" but with none after the nor_conv ops (not sorted(OPS))
NASZILLA_ALPHA = ["avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3", "none", "skip_connect"]


def cells(a):
    return NB201Cells(ops=a)


def both(op, *args):
    impls = _backend.implementations(op)
    ref = impls["python"](*args)
    got = impls["cpp"](*args)
    if isinstance(ref, tuple):
        for r, g in zip(ref, got):
            np.testing.assert_array_equal(g, r)
    else:
        assert got.dtype == ref.dtype
        np.testing.assert_array_equal(got, ref)
    return ref


# ---------------------------------------------------------------- converters round-trip
@given(ops_arrays)
def test_every_converter_round_trips(a):
    c = cells(a)
    assert NB201.from_strings(NB201.to_strings(c)) == c
    assert NB201.from_index(NB201.to_index(c)) == c
    assert NB201.from_code(NB201.to_code(c)) == c
    assert NB201.from_naslib(NB201.to_naslib(c)) == c
    assert NB201.from_naslib(NB201.to_naslib(c, as_strings=True)) == c
    assert NB201.from_naslib([tuple(r) for r in NB201.to_naslib(c).tolist()]) == c
    assert NB201.from_naszilla(NB201.to_naszilla(c)) == c
    assert NB201.from_matrix(NB201.to_matrix(c)) == c


@given(ops_arrays)
def test_converters_agree_with_definitions(a):
    c = cells(a)
    for row, s, code, nl, nz, m in zip(a.tolist(), NB201.to_strings(c), NB201.to_code(c).tolist(),
                                       NB201.to_naslib(c).tolist(), NB201.to_naszilla(c).tolist(),
                                       NB201.to_matrix(c).tolist()):
        names = [OPS[v] for v in row]
        assert s == "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*names)
        assert code == int("".join(map(str, row)), 5)
        by_edge = dict(zip(EDGES, names))
        naslib_edges = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
        naslib_ops = ["skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3"]
        assert nl == [naslib_ops.index(by_edge[e]) for e in naslib_edges]
        assert nz == [NASZILLA_ALPHA.index(n) for n in names]
        for (i, j), v in zip(EDGES, row):
            assert m[i][j] == v
        assert sum(map(sum, m)) == sum(row)


@given(st.lists(st.integers(-10**6, 10**6), max_size=30))
def test_index_and_code_ranges(xs):
    bad = [x for x in xs if not 0 <= x < 15625]
    for conv in (NB201.from_index, NB201.from_code):
        if bad:
            with pytest.raises(ValueError, match=f"row {next(i for i, x in enumerate(xs) if not 0 <= x < 15625)}"):
                conv(xs)
        else:
            assert len(conv(np.array(xs, dtype=np.int64))) == len(xs)


@given(st.text(max_size=120))
def test_garbage_strings_raise_value_error(s):
    try:
        c = NB201.from_strings([s])
    except ValueError:
        return
    assert NB201.to_strings(c) == [s]  # only a real arch string parses


ARCH_ALPHABET = "|+~0123 " + "".join(sorted(set("".join(OPS))))




@st.composite
def edited_arch_strings(draw):
    """A valid arch string with a short span replaced: mostly near-misses of the grammar."""
    row = draw(st.lists(st.integers(0, 4), min_size=6, max_size=6))
    s = "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*(OPS[v] for v in row))
    i = draw(st.integers(0, len(s)))
    j = draw(st.integers(i, min(len(s), i + 4)))
    return s[:i] + draw(st.text(alphabet=ARCH_ALPHABET, max_size=3)) + s[j:]


@given(st.lists(st.one_of(st.text(max_size=100), edited_arch_strings()), max_size=4))
def test_string_parser_parity_on_garbage(strings):
    impls = _backend.implementations("nb201_parse_strings")
    outcomes = {}
    for name, fn in impls.items():
        try:
            outcomes[name] = ("ok", fn(strings).tolist())
        except ValueError as exc:
            outcomes[name] = ("ValueError", str(exc).split(":")[0])  # same failing row
    assert outcomes["cpp"] == outcomes["python"]


@given(st.text(alphabet="(), 0123456789[]x", max_size=30))
def test_garbage_naslib_keys_raise_value_error(s):
    try:
        c = NB201.from_naslib(s)
    except ValueError:
        return
    assert len(c) == 1


@given(arrays(np.int8, st.tuples(st.integers(0, 5), st.just(4), st.just(4)), elements=st.integers(-3, 7)))
def test_matrices_validated(m):
    ok = all(
        (m[:, i, j] == 0).all() if j <= i else ((m[:, i, j] >= 0) & (m[:, i, j] <= 4)).all()
        for i in range(4) for j in range(4)
    )
    if ok:
        assert NB201.to_matrix(NB201.from_matrix(m)).tolist() == m.tolist()
    else:
        with pytest.raises(ValueError, match="row"):
            NB201.from_matrix(m)


# ---------------------------------------------------------------- kernels: compiled == reference
@given(ops_arrays, st.booleans(), st.sampled_from(["nats", "dag"]))
def test_key_validity_parity(a, none_op, kind):
    both("nb201_key", a, none_op, kind)
    both("nb201_is_valid", a)


@given(ops_arrays, st.booleans(), st.integers(1, 155))
def test_encoding_parity(a, quirk, k):
    both("nb201_encode_adjacency", a)
    both("nb201_encode_path", a, quirk, k)
    both("nb201_encode_gcn", a)


@given(ops_arrays, st.floats(0.01, 4.0), seeds, st.booleans(), st.booleans())
def test_mutate_parity_and_contract(a, rate, seed, one_edge, valid_only):
    out = both("nb201_mutate", a, rate, np.uint64(seed), one_edge, valid_only)
    k_par = SPACE.key(cells(a))
    assert (SPACE.key(cells(out)) != k_par).all()
    if one_edge:
        assert ((out != a).sum(axis=1) == 1).all()
    if valid_only:
        assert SPACE.is_valid(cells(out)).all()


@given(st.integers(0, 300), seeds, st.booleans(), st.booleans())
def test_sample_parity(n, seed, valid_only, unique):
    out = both("nb201_sample", n, np.uint64(seed), valid_only, unique)
    assert out.shape == (n, 6) and ((out >= 0) & (out <= 4)).all()
    if unique:
        assert len(np.unique(SPACE.key(cells(out)))) == n
    if valid_only:
        assert SPACE.is_valid(cells(out)).all()


@given(ops_arrays.filter(lambda a: len(a) <= 10), st.booleans())
def test_neighbors_parity(a, dedup):
    out, parent = both("nb201_neighbors", a, dedup)
    assert ((out != a[parent]).sum(axis=1) == 1).all()
    if not dedup:
        assert len(out) == 24 * len(a)


# ---------------------------------------------------------------- invariances of the key
@given(ops_arrays)
def test_dag_key_invariant_under_inner_swap(a):
    a = a.copy()
    a[:, 2] = 0  # no edge between the inner nodes: swapping their names is an isomorphism
    swapped = a[:, [1, 0, 2, 3, 5, 4]]
    assert (SPACE.key(cells(a), kind="dag") == SPACE.key(cells(swapped), kind="dag")).all()


@given(ops_arrays, st.integers(0, 4), st.integers(0, 4))
def test_dead_edges_do_not_change_keys(a, x, y):
    a = a.copy()
    a[:, 0] = 0  # node 1 receives nothing: the edges it feeds are dead in both key kinds
    b = a.copy()
    b[:, 2], b[:, 4] = x, y
    for kind in ("nats", "dag"):
        assert (SPACE.key(cells(a), kind=kind) == SPACE.key(cells(b), kind=kind)).all()


@given(ops_arrays)
def test_skip_is_identity_in_nats_key(a):
    a = a.copy()
    a[:, 0], a[:, 2], a[:, 4] = 1, 0, 0  # in -> 1 skip, node 1 feeds nothing but ...
    b = a.copy()
    # ... moving the (1,3) edge's op onto (0,3) is equivalent when node 1 == input and (0,3) is none
    a[:, 3], a[:, 4] = 0, 3
    b[:, 0], b[:, 3], b[:, 4] = 0, 3, 0
    assert (SPACE.key(cells(a)) == SPACE.key(cells(b))).all()


@given(ops_arrays, st.booleans())
def test_key_exact_matches_reference_strings(a, none_op):
    from fastnas._kernels.nb201_ref import unique_string

    keys = SPACE.key(cells(a), treat_none_as_op=none_op)
    strs = [unique_string(r, none_op) for r in a.tolist()]
    for i in range(len(a)):
        for j in range(i):
            assert (keys[i] == keys[j]) == (strs[i] == strs[j])

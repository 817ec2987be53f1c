"""Hypothesis properties of the NB101 space against the pure-Python reference."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from fastnas import NB101, _backend
from fastnas.spaces import nb101_ref as ref

space = NB101()
NAMES = ["conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"]


@st.composite
def specs(draw, min_v=2, max_v=7):
    """A raw nasbench spec: random strictly upper-triangular 0/1 matrix (often invalid or prunable)."""
    v = draw(st.integers(min_v, max_v))
    density = draw(st.sampled_from([0.2, 0.4, 0.6]))
    bits = draw(st.lists(st.floats(0, 1), min_size=v * v, max_size=v * v))
    m = [[int(j > i and bits[i * v + j] < density) for j in range(v)] for i in range(v)]
    ops = ["input"] + [draw(st.sampled_from(NAMES)) for _ in range(v - 2)] + ["output"]
    return m, ops


batches = st.lists(specs(), min_size=1, max_size=12)


def cells_of(batch):
    return NB101.from_specs([b[0] for b in batch], [b[1] for b in batch])


def args(cells):
    return cells.matrix, cells.ops, cells.n_vertices


@given(batches)
def test_compiled_equals_reference(batch):
    c = cells_of(batch)
    a = args(c)
    np.testing.assert_array_equal(_backend.get("nb101_key")(*a), ref.nb101_key(*a))
    np.testing.assert_array_equal(_backend.get("nb101_is_valid")(*a), ref.nb101_is_valid(*a))
    np.testing.assert_array_equal(_backend.get("nb101_hash")(*a, 0), ref.nb101_hash(*a))
    np.testing.assert_array_equal(_backend.get("nb101_path")(*a, 364), ref.nb101_path(*a, 364))
    for x, y in zip(_backend.get("nb101_prune")(*a), ref.nb101_prune(*a)):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(_backend.get("nb101_check")(*a), ref.nb101_check(*a))


@given(batches)
def test_spec_and_string_round_trips(batch):
    mats, ops = [b[0] for b in batch], [b[1] for b in batch]
    c = NB101.from_specs(mats, ops)
    assert NB101.to_specs(c) == (mats, ops)
    assert NB101.from_strings(space.to_strings(c)) == c
    assert NB101.from_arrays(c.matrix, c.ops) == c


def topological_relabel(m, ops, data):
    """A random topological order of the vertices with input first and output last."""
    v = len(m)
    remaining = set(range(1, v - 1))
    order = [0]
    while remaining:
        ready = sorted(w for w in remaining if all(u in order for u in range(v) if m[u][w]))
        pick = data.draw(st.sampled_from(ready))
        order.append(pick)
        remaining.remove(pick)
    order.append(v - 1)
    new = {old: k for k, old in enumerate(order)}
    m2 = [[0] * v for _ in range(v)]
    for i in range(v):
        for j in range(v):
            if m[i][j]:
                m2[new[i]][new[j]] = 1
    return m2, [ops[old] for old in order]


@given(specs(min_v=3), st.data())
def test_hash_and_key_invariant_under_relabelling(spec, data):
    m2, ops2 = topological_relabel(spec[0], spec[1], data)
    a, b = NB101.from_specs(*spec), NB101.from_specs(m2, ops2)
    assert space.key(a, invalid="zero")[0] == space.key(b, invalid="zero")[0]
    assert space.hash(a, invalid="empty", table=False)[0] == space.hash(b, invalid="empty", table=False)[0]
    assert space.is_valid(a)[0] == space.is_valid(b)[0]
    if space.is_valid(a)[0]:
        np.testing.assert_array_equal(space.encode(a, "path"), space.encode(b, "path"))


@given(st.integers(0, 2**64 - 1), st.floats(0.05, 6.0), st.integers(1, 40))
def test_mutate_and_neighbors_valid_and_different(seed, rate, n):
    s = space.sample(n, seed=seed)
    mu = space.mutate(s, rate=rate, seed=seed)
    assert space.is_valid(mu).all()
    assert not space.is_isomorphic(s, mu).any()
    assert space.prune(mu) == mu
    nb, parent = space.neighbors_batch(s[:5])
    assert space.is_valid(nb).all()
    keys = space.key(nb)
    assert not (keys == space.key(s[:5])[parent]).any()
    for p in range(min(5, n)):  # deduplicated within each parent
        k = keys[parent == p]
        assert len(np.unique(k)) == len(k)


@given(st.lists(specs(), min_size=1, max_size=6), st.integers(0, 2**32))
def test_mutation_matches_reference(batch, seed):
    c = cells_of(batch)
    c = c[space.is_valid(c)]
    if len(c):
        a = args(c)
        for x, y in zip(_backend.get("nb101_mutate")(*a, 1.0, seed), ref.nb101_mutate(*a, 1.0, seed)):
            np.testing.assert_array_equal(x, y)


# ---------------------------------------------------------------- the row check at the compiled boundary
@st.composite
def raw_rows(draw):
    """One raw row that is usually almost valid: a valid cell with zero to two random byte edits (matrix
    entries anywhere, op codes, n_vertices), so every check rule and its position is exercised."""
    v = draw(st.integers(2, 7))
    m = np.zeros((7, 7), np.uint8)
    for i in range(v):
        for j in range(i + 1, v):
            m[i, j] = draw(st.integers(0, 1))
    o = np.full(7, -3, np.int8)
    o[:v] = [-1, *[draw(st.integers(0, 2)) for _ in range(v - 2)], -2]
    n = v
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["matrix", "ops", "n"]))
        if kind == "matrix":
            m[draw(st.integers(0, 6)), draw(st.integers(0, 6))] = draw(st.sampled_from([0, 1, 2, 255]))
        elif kind == "ops":
            o[draw(st.integers(0, 6))] = draw(st.sampled_from([-128, -3, -2, -1, 0, 1, 2, 3, 99, 127]))
        else:
            n = draw(st.integers(0, 9))
    return m, o, np.uint8(n)


@given(st.lists(raw_rows(), min_size=1, max_size=6))
def test_row_check_and_its_message_agree_on_every_backend(rows):
    m = np.stack([r[0] for r in rows])
    o = np.stack([r[1] for r in rows])
    v = np.array([r[2] for r in rows], np.uint8)
    codes = {name: fn(m, o, v) for name, fn in _backend.implementations("nb101_check").items()}
    np.testing.assert_array_equal(codes["cpp"], codes["python"])
    bad = np.flatnonzero(codes["python"])
    for name, fn in _backend.implementations("nb101_key").items():
        if bad.size:
            i = int(bad[0])
            expect = f"row {i}: {ref.describe_row(m[i], o[i], v[i])}"
            try:
                fn(m, o, v)
            except ValueError as exc:
                assert str(exc) == expect, name
            else:
                raise AssertionError(f"{name}: no error for a malformed row")
        else:
            fn(m, o, v)  # well-formed rows: no error (validity is a separate question)

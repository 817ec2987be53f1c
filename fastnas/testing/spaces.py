"""Contract of a ``SearchSpace`` (see ``fastnas/spaces/_protocol.py``)."""
from __future__ import annotations

import pickle

import numpy as np

from ..spaces import SearchSpace


def _eq_encoding(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    return np.array_equal(a, b)


def check_space(space: SearchSpace, n: int = 64, seed: int = 0, check_enumerate: bool = True) -> None:
    """Raise ``AssertionError`` naming the first broken promise of ``space``.

    Checks sampling (validity, determinism under a seed and a Generator, no global RNG use), keys,
    mutation (valid, non-isomorphic to the parent, deterministic), neighbours (single and batched agree),
    every encoding (one row per cell, finite, deterministic), string round trips, ``unique``, pickling,
    empty batches, type errors on foreign input and, for finite spaces, that samples lie in ``enumerate()``.
    """
    assert isinstance(space, SearchSpace), f"{type(space).__name__} does not subclass SearchSpace"
    name = type(space).__name__
    global_state = np.random.get_state()  # snapshot only: the suite must not move it either

    c = space.sample(n, seed=seed)
    assert isinstance(c, space.cells_type) and len(c) == n, f"{name}.sample(n) gave {len(c)} cells"
    assert space.sample(n, seed=seed) == c, f"{name}.sample is not deterministic under an int seed"
    g1, g2 = np.random.default_rng(seed), np.random.default_rng(seed)
    assert space.sample(n, seed=g1) == space.sample(n, seed=g2), f"{name}.sample ignores the Generator state"
    valid = space.is_valid(c)
    assert valid.dtype == bool and valid.shape == (n,), f"{name}.is_valid must give (N,) bool"
    strict = not getattr(space, "includes_invalid", False)
    assert valid.all() or not strict, f"{name}.sample gave invalid cells"

    keys = space.key(c)
    assert keys.dtype == np.uint64 and keys.shape == (n,), f"{name}.key must give (N,) uint64"
    assert np.array_equal(space.key(c), keys), f"{name}.key is not deterministic"
    assert space.is_isomorphic(c, c).all(), f"{name}.is_isomorphic(c, c) is not all True"

    kids = space.mutate(c, rate=1.0, seed=seed + 1)
    assert isinstance(kids, space.cells_type) and len(kids) == n, f"{name}.mutate changed the batch size"
    assert space.mutate(c, rate=1.0, seed=seed + 1) == kids, f"{name}.mutate is not deterministic"
    assert space.is_valid(kids).all() or not strict, f"{name}.mutate gave invalid cells"
    assert not space.is_isomorphic(c, kids).any(), f"{name}.mutate returned a cell isomorphic to its parent"

    nb, parent = space.neighbors_batch(c[:3])
    assert len(nb) == len(parent) and isinstance(nb, space.cells_type), f"{name}.neighbors_batch shapes"
    assert np.all(np.diff(parent) >= 0) and set(np.unique(parent).tolist()) <= {0, 1, 2}
    single = space.neighbors(c[1])
    assert len(single) == int((parent == 1).sum()), f"{name}.neighbors and neighbors_batch disagree"
    assert space.is_valid(single).all() or not strict, f"{name}.neighbors gave invalid cells"

    for kind in space.encodings:
        x = space.encode(c, kind)
        arrays = x.values() if isinstance(x, dict) else [x]
        for a in arrays:
            a = np.asarray(a)
            assert a.shape[0] == n, f"{name}.encode(kind={kind!r}) gave {a.shape[0]} rows for {n} cells"
            assert np.isfinite(a.astype(np.float64)).all(), f"{name}.encode(kind={kind!r}) is not finite"
        assert _eq_encoding(x, space.encode(c, kind)), f"{name}.encode(kind={kind!r}) is not deterministic"
    try:
        space.encode(c, "no-such-encoding")
    except (ValueError, KeyError):
        pass
    else:
        raise AssertionError(f"{name}.encode accepted an unknown kind")

    assert type(space).from_strings(space.to_strings(c)) == c, f"{name}: from_strings(to_strings(c)) != c"
    u, first = space.unique(space.concat([c, c]))
    assert len(np.unique(space.key(u))) == len(u) == len(np.unique(keys)), f"{name}.unique left duplicates"
    assert (first < n).all(), f"{name}.unique did not keep first appearances"
    # round trip of bytes this suite just wrote itself (safe): batches cross process boundaries
    assert pickle.loads(pickle.dumps(c)) == c, f"{name} cells do not survive pickling"  # safe: own bytes

    empty = c[:0]
    assert len(space.key(empty)) == 0 and len(space.is_valid(empty)) == 0, f"{name}: empty batch"
    assert len(space.sample(0, seed=seed)) == 0, f"{name}.sample(0) is not empty"
    for bad in (np.zeros((3, 3)), "cell"):
        try:
            space.key(bad)
        except (TypeError, ValueError):
            pass
        else:
            raise AssertionError(f"{name}.key accepted {type(bad).__name__}")

    if space.finite and check_enumerate:
        every = space.enumerate()
        assert len(every) > 0 and isinstance(every, space.cells_type)
        assert np.isin(keys, space.key(every)).all(), f"{name}: sampled cells missing from enumerate()"
    now = np.random.get_state()
    assert np.array_equal(now[1], global_state[1]) and now[2] == global_state[2], f"{name} touched numpy's global RNG"

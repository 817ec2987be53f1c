"""NPENAS-NP (Wei et al. 2022): the GIN predictor's forward pass against a slow reference written from the
official definition, its training determinism, and the candidate generation."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from fastnas.predictors.gcn import GINPredictor  # noqa: E402
from fastnas.search import make  # noqa: E402
from fastnas.spaces import get_space  # noqa: E402


def _slow_gin(m, F):
    """GINConv (sum over predecessors, eps 0) + MLP, ReLU, BN (running stats), mean pool, head."""
    W = [w.astype(np.float64) for w in m.weights_]
    V = m.n_nodes_
    nf = F.shape[1] - V * V
    out = []
    for row in F:
        ops = row[:nf].reshape(V, -1)
        A = (row[nf:].reshape(V, V) > 0) & ~np.eye(V, dtype=bool)
        real = ops.sum(axis=1) > 0
        x = ops
        for i in range(3):
            W1, b1, W2, b2, g, beta = W[6 * i:6 * i + 6]
            agg = np.array([x[v] + sum(x[u] for u in range(V) if A[u, v]) for v in range(V)])
            h = np.maximum(np.maximum(agg @ W1 + b1, 0) @ W2 + b2, 0)
            mu, var = m.bn_stats_[i]
            x = ((h - mu) / np.sqrt(var + 1e-5) * g + beta) * real[:, None]
        pooled = x[real].mean(axis=0)
        z = np.maximum(pooled @ W[18] + W[19], 0)
        err = m.rate / (1 + np.exp(-(z @ W[20] + W[21])[0]))
        out.append(m.target_offset - err)
    return np.array(out)


def test_gin_forward_matches_slow_reference_and_is_seeded():
    sp = get_space("nb201")
    c = sp.sample(14, seed=0)
    y = np.linspace(70, 92, 14)
    m = GINPredictor(space=sp, epochs=5, seed=0).fit(c, y)
    F = m._features(c)
    np.testing.assert_allclose(m.predict(c), _slow_gin(m, F), rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(GINPredictor(space=sp, epochs=5, seed=0).fit(c, y).predict(c), m.predict(c))
    assert not np.array_equal(GINPredictor(space=sp, epochs=5, seed=1).fit(c, y).predict(c), m.predict(c))


def test_candidates_are_new_distinct_mutations_of_the_best():
    sp = get_space("nb201")
    opt = make("npenas", sp, seed=0, n_init=10, epochs=2)
    cells = opt.ask(10)
    vals = np.arange(10.0) + 80
    opt.tell(cells, vals)
    cands = opt._candidates(10)
    keys = sp.key(cands)
    assert len(cands) == 100 and len(np.unique(keys)) == 100
    assert not np.isin(keys, sp.key(cells)).any()
    got = opt.ask(10)
    assert len(got) == 10


def test_npenas_takes_another_predictor():
    from fastnas.testing import check_optimizer

    check_optimizer("npenas", get_space("nb201"), n_init=4, n_candidates=10, predictor="blr", n_members=1)

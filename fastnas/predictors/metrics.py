"""Predictor quality metrics (White et al. 2021, "How powerful are performance predictors", section 3).

All are vectorised numpy; ``kendall_tau`` is the tau-b variant (ties in either ranking corrected), equal
to ``scipy.stats.kendalltau`` (its default, ``variant="b"``).
"""
from __future__ import annotations

import numpy as np


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(y_true, dtype=np.float64).reshape(-1)
    b = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    if len(a) != len(b):
        raise ValueError(f"y_true has {len(a)} values but y_pred has {len(b)}")
    if len(a) < 2:
        raise ValueError(f"metrics need at least 2 values, got {len(a)}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        bad = "y_true" if not np.isfinite(a).all() else "y_pred"
        raise ValueError(f"{bad} contains NaN or inf (row {int(np.flatnonzero(~np.isfinite(a if bad == 'y_true' else b))[0])})")
    return a, b


def mae(y_true, y_pred) -> float:
    """Mean absolute error.

    >>> mae([1, 2], [1, 4])
    1.0
    """
    a, b = _pair(y_true, y_pred)
    return float(np.mean(np.abs(a - b)))


def rmse(y_true, y_pred) -> float:
    """Root mean squared error.

    >>> rmse([0, 0], [3, 4]) == (12.5) ** 0.5
    True
    """
    a, b = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((a - b) ** 2)))


def pearson(y_true, y_pred) -> float:
    """Pearson correlation (NaN when either input is constant).

    >>> round(pearson([1, 2, 3], [2, 4, 7]), 4)
    0.9934
    """
    a, b = _pair(y_true, y_pred)
    a = a - a.mean()
    b = b - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else float("nan")


def _rankdata(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean rank), as ``scipy.stats.rankdata``."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    new = np.r_[True, xs[1:] != xs[:-1]]
    grp = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], len(x)]
    avg = (starts + ends - 1) / 2.0 + 1.0
    r = np.empty(len(x))
    r[order] = avg[grp]
    return r


def spearman(y_true, y_pred) -> float:
    """Spearman rank correlation (Pearson of average ranks).

    >>> spearman([1, 2, 3], [1, 5, 4])
    0.5
    """
    a, b = _pair(y_true, y_pred)
    return pearson(_rankdata(a), _rankdata(b))


def kendall_tau(y_true, y_pred) -> float:
    """Kendall tau-b: (concordant - discordant) / sqrt((n0 - ties_a) (n0 - ties_b)).

    O(n^2) memory-light pair counting in blocks (n is a few hundred test cells in the protocol).

    >>> kendall_tau([1, 2, 3, 4], [1, 2, 4, 3])
    0.6666666666666666
    """
    a, b = _pair(y_true, y_pred)
    n = len(a)
    s = 0.0
    ta = 0.0
    tb = 0.0
    block = 512
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        da = np.sign(a[lo:hi, None] - a[None, :])
        db = np.sign(b[lo:hi, None] - b[None, :])
        s += float((da * db).sum())
        ta += float(np.count_nonzero(da != 0))
        tb += float(np.count_nonzero(db != 0))
    # each unordered pair counted twice in s, ta, tb: the ratio is unaffected
    den = np.sqrt(ta * tb)
    return float(s / den) if den > 0 else float("nan")


def precision_at_k(y_true, y_pred, k: int = 10) -> float:
    """Fraction of the true top-``k`` (largest ``y_true``) among the predicted top-``k``.

    Ties are broken by row order (stable sort), so the value is deterministic.

    >>> precision_at_k([1, 2, 3, 4], [4, 3, 2, 1], k=2)
    0.0
    """
    a, b = _pair(y_true, y_pred)
    k = int(k)
    if k < 1 or k > len(a):
        raise ValueError(f"k must be in [1, {len(a)}], got {k}")
    top_true = np.argsort(-a, kind="stable")[:k]
    top_pred = np.argsort(-b, kind="stable")[:k]
    return float(len(np.intersect1d(top_true, top_pred)) / k)


def all_metrics(y_true, y_pred, ks=(10, 20)) -> dict[str, float]:
    """Every metric of the protocol in one dict (precision@k only for k <= n)."""
    a, b = _pair(y_true, y_pred)
    out = {
        "mae": mae(a, b),
        "rmse": rmse(a, b),
        "pearson": pearson(a, b),
        "spearman": spearman(a, b),
        "kendall_tau": kendall_tau(a, b),
    }
    for k in ks:
        if k <= len(a):
            out[f"precision@{k}"] = precision_at_k(a, b, k)
    return out

"""Acquisition functions, all on a value to *maximise* (e.g. validation accuracy).

Every function takes the predicted ``mean`` and ``std`` of the value per candidate and returns a score;
the optimizers query the candidates with the largest scores. ``"its"`` is BANANAS's independent
Thompson sampling: one draw per candidate from N(mean, std**2) (White et al. 2021, section 4).
"""
from __future__ import annotations

import numpy as np
from scipy.special import ndtr

ACQUISITIONS = ("its", "ucb", "ei", "pi", "mean")


def acquire(kind: str, mean, std, best: float, rng: np.random.Generator | None = None,
            ucb_beta: float = 0.5, xi: float = 0.0) -> np.ndarray:
    """Score candidates (larger is better).

    Parameters
    ----------
    kind : "its" (independent Thompson sampling), "ucb" (mean + ucb_beta * std), "ei" (expected
        improvement over ``best`` + xi), "pi" (probability of improvement), "mean" (exploitation)
    mean, std : predicted value and its standard deviation per candidate
    best : best value observed so far (for "ei" and "pi")
    rng : Generator for "its"

    >>> import numpy as np
    >>> acquire("ucb", np.array([1.0, 0.5]), np.array([0.0, 2.0]), best=1.0).tolist()
    [1.0, 1.5]
    """
    mean = np.asarray(mean, dtype=np.float64)
    std = np.maximum(np.asarray(std, dtype=np.float64), 0.0)
    if kind == "its":
        if rng is None:
            raise ValueError("independent Thompson sampling needs rng")
        return mean + std * rng.standard_normal(len(mean))
    if kind == "ucb":
        return mean + ucb_beta * std
    if kind == "mean":
        return mean.copy()
    if kind in ("ei", "pi"):
        imp = mean - (best + xi)
        safe = np.where(std > 1e-12, std, 1.0)
        z = imp / safe
        if kind == "pi":
            return np.where(std > 1e-12, ndtr(z), (imp > 0).astype(np.float64))
        ei = imp * ndtr(z) + safe * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
        return np.where(std > 1e-12, ei, np.maximum(imp, 0.0))
    raise ValueError(f"unknown acquisition {kind!r}; valid: {', '.join(ACQUISITIONS)}")


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores (stable: earlier candidates win ties)."""
    order = np.argsort(-np.asarray(scores), kind="stable")
    return order[:k]

"""LCE-fast: a closed-form, batched stand-in for learning-curve extrapolation by a weighted ensemble of
parametric curve models, after Domhan, Springenberg & Hutter 2015 ("Speeding up automatic hyperparameter
optimization of deep neural networks by extrapolation of learning curves"). NOT the paper's method:
five families instead of eleven and likelihood weights instead of the paper's MCMC posterior over the
weighted combination -- that method is ``fastnas.predictors.lce_m.LCEM`` (registry name ``lce``); this
one is registered as ``lce_fast``. ``LCE`` remains an alias of ``LCEFast`` for existing imports.

Each model ``f_k(x; theta)`` of the validation accuracy (as a fraction) over epoch ``x`` is fitted to
the observed part of every curve by least squares, all curves at once: a batched Levenberg-Marquardt
loop whose iterations are vectorised over cells (Jacobians by forward differences, one ``(p, p)`` solve
per cell via ``numpy.linalg.solve`` on a stack). Models whose extrapolation leaves [0, 1] or falls
below the last observation by more than the noise are discarded (the paper's constraints); the rest are
combined with weights proportional to their Gaussian likelihood with the maximum-likelihood noise
(``exp(-T/2 log mse)``), a closed-form stand-in for the paper's MCMC over the weighted combination.
The prediction is the ensemble value at ``final_epoch``.
"""
from __future__ import annotations

import numpy as np

from .lc import CurvePredictor, Curves

# Each model: (name, f(x, P) with P (N, p) -> (N, T), initial parameters (N, p) from the observed curve).
# Positive-constrained parameters are stored as logs.


def _pow3(x, P):  # c - a * x^-alpha
    c, a, al = P[:, :1], np.exp(P[:, 1:2]), np.exp(P[:, 2:3])
    return c - a * x ** (-al)


def _ilog2(x, P):  # c - a / log(x + 1)
    return P[:, :1] - P[:, 1:2] / np.log(x + 1.0)


def _mmf(x, P):  # alpha - (alpha - beta) / (1 + (kappa x)^delta)
    a, b, k, d = P[:, :1], P[:, 1:2], np.exp(P[:, 2:3]), np.exp(P[:, 3:4])
    return a - (a - b) / (1.0 + (k * x) ** d)


def _weibull(x, P):  # alpha - (alpha - beta) exp(-(kappa x)^delta)
    a, b, k, d = P[:, :1], P[:, 1:2], np.exp(P[:, 2:3]), np.exp(P[:, 3:4])
    return a - (a - b) * np.exp(-((k * x) ** d))


def _exp3(x, P):  # c - exp(-a x + b)
    c, a, b = P[:, :1], np.exp(P[:, 1:2]), P[:, 2:3]
    return c - np.exp(np.clip(-a * x + b, -50, 50))


def _init(y):
    last = y[:, -1:]
    first = y[:, :1]
    span = np.maximum(last - first, 1e-3)
    n = len(y)
    one = np.ones((n, 1))
    return {
        "pow3": np.hstack([last + 0.05, np.log(span + 0.05), np.log(0.5) * one]),
        "ilog2": np.hstack([last + 0.1, 0.2 * one]),
        "mmf": np.hstack([last + 0.05, first, np.log(0.2) * one, np.log(1.0) * one]),
        "weibull": np.hstack([last + 0.05, first, np.log(0.1) * one, np.log(1.0) * one]),
        "exp3": np.hstack([last + 0.02, np.log(0.1) * one, np.log(span + 0.05)]),
    }


MODELS = {"pow3": _pow3, "ilog2": _ilog2, "mmf": _mmf, "weibull": _weibull, "exp3": _exp3}


def fit_curves(f, x, y, P0, iters: int = 60):
    """Batched Levenberg-Marquardt: least-squares ``f(x, P) ~ y`` for every row; returns (P, mse)."""
    P = P0.copy()
    n, p = P.shape
    lam = np.full(n, 1e-2)

    def sse(P):
        with np.errstate(all="ignore"):
            r = f(x, P) - y
        s = (r * r).sum(axis=1)
        return np.where(np.isfinite(s), s, np.inf), r

    cur, r = sse(P)
    eps = 1e-6
    for _ in range(iters):
        J = np.empty((n, y.shape[1], p))
        with np.errstate(all="ignore"):
            for j in range(p):  # loop over parameters (<= 4), vectorised over cells
                Q = P.copy()
                Q[:, j] += eps
                J[:, :, j] = (f(x, Q) - y - r) / eps
        J = np.nan_to_num(J, nan=0.0, posinf=0.0, neginf=0.0)
        r0 = np.nan_to_num(r, nan=0.0, posinf=0.0, neginf=0.0)
        JtJ = J.transpose(0, 2, 1) @ J
        g = (J.transpose(0, 2, 1) @ r0[:, :, None])[:, :, 0]
        A = JtJ + lam[:, None, None] * (np.eye(p)[None] * (np.diagonal(JtJ, axis1=1, axis2=2)[:, :, None] + 1e-9))
        try:
            step = np.linalg.solve(A, -g[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = -g * 1e-3
        step = np.nan_to_num(step, nan=0.0, posinf=0.0, neginf=0.0)
        new, rn = sse(P + step)
        ok = new < cur
        P = np.where(ok[:, None], P + step, P)
        cur = np.where(ok, new, cur)
        r = np.where(ok[:, None], rn, r)
        lam = np.clip(np.where(ok, lam * 0.3, lam * 10.0), 1e-9, 1e9)
    return P, cur / y.shape[1]


class LCEFast(CurvePredictor):
    """Parametric learning-curve ensemble extrapolated to ``final_epoch`` (closed-form weights; see the
    module docstring for how it differs from Domhan et al.'s MCMC method).

    Parameters
    ----------
    final_epoch : epoch whose validation accuracy is predicted (200 for NAS-Bench-201).
    models : names from ``MODELS`` (default all five).
    scale : the accuracy unit (100 for percentages, 1 for fractions).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(1, 21.0)
    >>> acc = np.vstack([90 - 60 * x ** -0.7, 80 - 50 * x ** -0.7])
    >>> p = LCEFast(final_epoch=200).predict(Curves(val_acc=acc))
    >>> bool(p[0] > p[1] and abs(p[0] - (90 - 60 * 200 ** -0.7)) < 1.0)
    True
    """

    def __init__(self, *, final_epoch: int = 200, models: tuple = tuple(MODELS), scale: float = 100.0,
                 iters: int = 60):
        self.final_epoch = final_epoch
        self.models = models
        self.scale = scale
        self.iters = iters

    def _score(self, C: Curves) -> np.ndarray:
        acc = C.require("val_acc", "LCE") / float(self.scale)
        T = acc.shape[1]
        if T < 3:
            # too few points to fit any model: the last observation is the best estimate
            return acc[:, -1] * float(self.scale)
        unknown = [m for m in self.models if m not in MODELS]
        if unknown:
            raise ValueError(f"unknown LCE models {unknown}; valid: {', '.join(MODELS)}")
        x = np.arange(1, T + 1, dtype=np.float64)[None, :]
        xf = np.array([[float(self.final_epoch)]])
        inits = _init(acc)
        preds, logw = [], []
        for name in self.models:
            f = MODELS[name]
            P, mse = fit_curves(f, x, acc, inits[name], iters=int(self.iters))
            with np.errstate(all="ignore"):
                yf = f(xf, P)[:, 0]
            noise = np.sqrt(np.maximum(mse, 1e-12))
            valid = np.isfinite(yf) & (yf >= 0) & (yf <= 1) & (yf >= acc[:, -1] - 3 * noise) & np.isfinite(mse)
            preds.append(np.where(valid, yf, 0.0))
            logw.append(np.where(valid, -0.5 * T * np.log(np.maximum(mse, 1e-12)), -np.inf))
        preds = np.array(preds)
        logw = np.array(logw)
        best = logw.max(axis=0)
        anyv = np.isfinite(best)
        w = np.exp(logw - np.where(anyv, best, 0.0)[None])
        w = np.where(np.isfinite(w), w, 0.0)
        tot = w.sum(axis=0)
        ens = np.where(anyv, (w * preds).sum(axis=0) / np.where(tot > 0, tot, 1.0), acc[:, -1])
        return ens * float(self.scale)


#: alias kept for existing imports (``fastnas.search.lc_extrapolation``): the fast variant, not Domhan et al.'s
LCE = LCEFast

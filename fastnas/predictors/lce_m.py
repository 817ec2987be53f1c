"""LCE with MCMC over the weighted curve combination (Domhan, Springenberg & Hutter 2015, "Speeding up
Automatic Hyperparameter Optimization of Deep Neural Networks by Extrapolation of Learning Curves",
IJCAI; official code github.com/automl/pylearningcurvepredictor, continued in github.com/automl/pybnn
``pybnn/lc_extrapolation/learning_curves.py``, which NASLib copies as ``naslib/predictors/lce_m``).

Model: ``f_comb(x) = sum_k w_k f_k(x; theta_k) / sum_k w_k`` over parametric families ``f_k``, with
observations ``y_t ~ N(f_comb(t), sigma^2)``. Fitting one curve (pybnn ``MCMCCurveModelCombination``):

1. every family is fitted alone by least squares (``scipy.optimize.leastsq`` from pybnn's default
   parameters); a family is kept when the fit succeeds, its value at ``xlim = final_epoch + 1`` lies in
   [0, 100] and its ML parameters satisfy the prior;
2. the joint vector ``theta = (theta_1, ..., theta_K, sigma, w_1..w_K)`` starts at the ML parameters,
   ``sigma`` = std of the residuals of the equal-weight combination, every ``w_k = 10``;
3. ``emcee``'s affine-invariant ensemble sampler (``nwalkers``, ``nsamples`` steps, walkers in a 1e-6 ball
   around the start) samples ``log p = log prior + sum_t log N(y_t - f_comb(t); 0, sigma)``; the prior is
   -inf when a weight is negative or a family is not monotonically increasing on ``linspace(2, xlim, 50)``
   or leaves [0, 100] at ``xlim`` (pybnn's ``monotonicity_constraint`` and sanity check), else 0;
4. the prediction is the mean over the samples after ``burn_in`` of ``f_comb(final_epoch)`` with the
   weights normalised per sample.

``LCEM`` uses the paper's 11 families (``PAPER_FAMILIES``: vap, ilog2, weibull, pow3, pow4, loglog_linear,
mmf, janoschek, dr_hill_zero_background, log_power, exp4) and pybnn's sampler defaults (100 walkers,
2,500 steps, burn-in 500). ``LCEMNASLib`` is White et al. 2021's "LCE-M": NASLib's 4 families (mmf,
loglog_linear, dr_hill_zero_background, log_power; "removing some of the models was found to improve
performance"), 50 walkers, 800 steps, burn-in 500.

Curves are validation accuracies in percent (``scale`` 100) and are fitted as fractions, like NASLib.
When no family can be fitted the prediction is the last observed value (NASLib returns a default guess
plus uniform noise instead); ``n_fallback_`` counts such curves after ``predict``.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import leastsq

from .._rng import as_generator
from .lc import CurvePredictor, Curves


# The curve families of pybnn's curvefunctions.py: f(x, *params) with params broadcast as (W, 1) columns.
def vap(x, a, b, c):
    return np.exp(a + b / x + c * np.log(x))


def ilog2(x, c, a):
    return c - a / np.log(x + 1.0)


def weibull(x, alpha, beta, kappa, delta):
    return alpha - (alpha - beta) * np.exp(-(kappa * x) ** delta)


def pow3(x, c, a, alpha):
    return c - a * x ** (-alpha)


def pow4(x, c, a, b, alpha):
    return c - (a * x + b) ** -alpha


def loglog_linear(x, a, b):
    return np.log(a * np.log(x) + b)


def mmf(x, alpha, beta, kappa, delta):
    return alpha - (alpha - beta) / (1.0 + (kappa * x) ** delta)


def janoschek(x, a, beta, k, delta):
    return a - (a - beta) * np.exp(-k * x ** delta)


def dr_hill_zero_background(x, theta, eta, kappa):
    x_eta = x ** eta
    return (theta * x_eta) / (kappa ** eta + x_eta)


def log_power(x, a, b, c):
    return a / (1.0 + (x / np.exp(b)) ** c)


def exp4(x, c, a, b, alpha):
    return c - np.exp(-a * (x ** alpha) + b)


# (function, default parameters in argument order); a parameter without a pybnn default starts at 1.0
FAMILIES = {
    "vap": (vap, (-0.622028, -0.470050, 0.042322)),
    "ilog2": (ilog2, (0.78, 0.43)),
    "weibull": (weibull, (0.7, 0.1, 0.01, 1.0)),
    "pow3": (pow3, (0.84, 0.52, 0.01)),
    "pow4": (pow4, (0.8, 200.0, 0.0, 0.1)),
    "loglog_linear": (loglog_linear, (1.0, 1.0)),
    "mmf": (mmf, (0.7, 0.1, 0.01, 5.0)),
    "janoschek": (janoschek, (0.73, 0.07, 0.355, 0.46)),
    "dr_hill_zero_background": (dr_hill_zero_background, (0.772320, 0.586449, 2.460843)),
    "log_power": (log_power, (0.77, 2.98, -0.51)),
    "exp4": (exp4, (0.7, 0.8, -0.8, 0.3)),
}
PAPER_FAMILIES = ("vap", "ilog2", "weibull", "pow3", "pow4", "loglog_linear", "mmf", "janoschek",
                  "dr_hill_zero_background", "log_power", "exp4")
NASLIB_FAMILIES = ("mmf", "loglog_linear", "dr_hill_zero_background", "log_power")


def _call(f, x, P):
    with np.errstate(all="ignore"):
        return f(x, *[P[:, i:i + 1] for i in range(P.shape[1])])


class _Combination:
    """The posterior of one curve (pybnn's ``MCMCCurveModelCombination`` without recency weighting)."""

    def __init__(self, families, xlim):
        self.families = [FAMILIES[k] for k in families]
        self.names = list(families)
        self.xlim = float(xlim)
        self.x_mon = np.linspace(2.0, self.xlim, 50)[None, :]

    def model_prior(self, k, P) -> np.ndarray:
        """0 or -inf per parameter row of family ``k``: monotone on x_mon and 0 <= f(xlim) <= 100."""
        y = _call(self.families[k][0], self.x_mon, P)
        ok = ~np.any(np.diff(y, axis=1) < 0, axis=1)
        ylim = y[:, -1]
        ok &= np.isfinite(ylim) & (ylim >= 0.0) & (ylim <= 100.0)
        return np.where(ok, 0.0, -np.inf)

    def fit_ml(self, x, y):
        kept, params = [], []
        for k, (f, p0) in enumerate(self.families):
            def resid(p, f=f):
                with np.errstate(all="ignore"):
                    return f(x, *p) - y
            try:
                popt, _, info, _, status = leastsq(resid, x0=np.array(p0, dtype=np.float64), full_output=True)
            except Exception:  # noqa: BLE001 - pybnn treats any failure of the fit as "not fitted"
                continue
            if status not in (1, 2, 3, 4) or np.any(np.isnan(info["fjac"])) or np.any(np.isnan(popt)):
                continue
            with np.errstate(all="ignore"):
                ylim = f(self.xlim, *popt)
            if not np.isfinite(ylim) or ylim < 0 or ylim > 100:
                continue
            if not np.isfinite(self.model_prior(k, popt[None])[0]):
                continue
            kept.append(k)
            params.append(popt)
        return kept, params

    def predict(self, x, theta, kept) -> np.ndarray:
        """f_comb at x for each row of theta (W, ndim) -> (W, len(x))."""
        x = np.atleast_1d(np.asarray(x, dtype=np.float64))[None, :]
        W = theta.shape[0]
        w = theta[:, -len(kept):]
        w = w / w.sum(axis=1, keepdims=True)
        out = np.zeros((W, x.shape[1]))
        pos = 0
        for j, k in enumerate(kept):
            n = len(self.families[k][1])
            out += w[:, j:j + 1] * _call(self.families[k][0], x, theta[:, pos:pos + n])
            pos += n
        return out

    def log_prob(self, theta, x, y, kept) -> np.ndarray:
        theta = np.atleast_2d(theta)
        lp = np.where(np.any(theta[:, -len(kept):] < 0, axis=1), -np.inf, 0.0)
        pos = 0
        for k in kept:
            n = len(self.families[k][1])
            m = np.isfinite(lp)
            if m.any():
                lp[m] += self.model_prior(k, theta[m, pos:pos + n])
            pos += n
        sigma = theta[:, pos]
        m = np.isfinite(lp)
        if m.any():
            with np.errstate(all="ignore"):
                r = y[None, :] - self.predict(x, theta[m], kept)
                s = sigma[m][:, None]
                ll = (-0.5 * np.log(2 * np.pi) - np.log(s) - 0.5 * (r / s) ** 2).sum(axis=1)
            lp[m] += np.where(np.isfinite(ll), ll, -np.inf)
        return np.where(np.isfinite(lp), lp, -np.inf)


def extrapolate(y, final_epoch, families, nwalkers, nsamples, burn_in, rng) -> float:
    """Posterior mean of one curve's value at ``final_epoch`` (fractions), or NaN when nothing fits."""
    import emcee

    x = np.arange(1, len(y) + 1, dtype=np.float64)
    comb = _Combination(families, final_epoch + 1)
    kept, params = comb.fit_ml(x, y)
    if not kept:
        return float("nan")
    w0 = np.full(len(kept), 10.0)
    start_pred = comb.predict(x, np.concatenate([*params, [1.0], w0])[None], kept)[0]
    sigma = float((y - start_pred).std())
    theta0 = np.concatenate([*params, [sigma], w0])
    ndim = len(theta0)
    nw = max(int(nwalkers), 2 * ndim)
    pos = theta0[None, :] + 1e-6 * rng.standard_normal((nw, ndim))
    sampler = emcee.EnsembleSampler(nw, ndim, comb.log_prob, args=(x, y, kept), vectorize=True)
    sampler.random_state = np.random.RandomState(int(rng.integers(2**31 - 1))).get_state()
    with np.errstate(invalid="ignore"):  # -inf - -inf for walkers outside the prior: rejected, as intended
        sampler.run_mcmc(pos, int(nsamples), progress=False)
    samples = sampler.get_chain(discard=int(burn_in), flat=True)
    return float(np.mean(comb.predict([float(final_epoch)], samples, kept)[:, 0]))


class LCEM(CurvePredictor):
    """Domhan et al. 2015's MCMC learning-curve extrapolation (see the module docstring).

    Parameters
    ----------
    final_epoch : epoch whose validation accuracy is predicted (200 for NB201).
    families : curve families (names in ``FAMILIES``).
    nwalkers, nsamples, burn_in : emcee ensemble size, steps and discarded steps.
    scale : the accuracy unit (100 for percentages).
    seed : int or Generator (walker start and emcee's own RandomState; numpy's global state is untouched).

    Examples
    --------
    >>> x = np.arange(1, 21.0)
    >>> acc = np.vstack([90 - 60 * x ** -0.7, 80 - 50 * x ** -0.7])
    >>> p = LCEM(final_epoch=200, nwalkers=20, nsamples=60, burn_in=30, seed=0).predict(Curves(val_acc=acc))
    >>> bool(p[0] > p[1] > 75)
    True
    """

    def __init__(self, *, final_epoch: int = 200, families: tuple = PAPER_FAMILIES, nwalkers: int = 100,
                 nsamples: int = 2500, burn_in: int = 500, scale: float = 100.0, seed=0):
        self.final_epoch = final_epoch
        self.families = families
        self.nwalkers = nwalkers
        self.nsamples = nsamples
        self.burn_in = burn_in
        self.scale = scale
        self.seed = seed

    def _score(self, C: Curves) -> np.ndarray:
        unknown = [f for f in self.families if f not in FAMILIES]
        if unknown or not self.families:
            raise ValueError(f"unknown or no curve families {unknown}; valid: {', '.join(FAMILIES)}")
        if not 0 <= int(self.burn_in) < int(self.nsamples):
            raise ValueError(f"burn_in ({self.burn_in}) must be in [0, nsamples={self.nsamples})")
        acc = C.require("val_acc", type(self).__name__) / float(self.scale)
        if int(self.final_epoch) < acc.shape[1]:
            raise ValueError(f"final_epoch {self.final_epoch} is before the last observed epoch {acc.shape[1]}")
        rng = as_generator(self.seed)
        out = np.empty(len(acc))
        for i, y in enumerate(acc):
            out[i] = extrapolate(y, int(self.final_epoch), tuple(self.families), self.nwalkers, self.nsamples,
                                 self.burn_in, rng) if len(y) >= 3 else np.nan
        bad = ~np.isfinite(out)
        self.n_fallback_ = int(bad.sum())
        out[bad] = acc[bad, -1]
        return out * float(self.scale)


class LCEMNASLib(LCEM):
    """White et al. 2021's LCE-M: ``LCEM`` with NASLib's 4 families, 50 walkers, 800 steps, burn-in 500.

    >>> LCEMNASLib().families
    ('mmf', 'loglog_linear', 'dr_hill_zero_background', 'log_power')
    """

    def __init__(self, *, final_epoch: int = 200, families: tuple = NASLIB_FAMILIES, nwalkers: int = 50,
                 nsamples: int = 800, burn_in: int = 500, scale: float = 100.0, seed=0):
        super().__init__(final_epoch=final_epoch, families=families, nwalkers=nwalkers, nsamples=nsamples,
                         burn_in=burn_in, scale=scale, seed=seed)


__all__ = ["LCEM", "LCEMNASLib", "FAMILIES", "PAPER_FAMILIES", "NASLIB_FAMILIES", "extrapolate"]

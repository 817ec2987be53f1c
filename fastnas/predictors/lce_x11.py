"""NASLib's learning-curve extrapolator, as NAS-Bench-x11 runs it: an equal-weight ensemble of 11 parametric
curve families, each fitted alone by maximum likelihood, followed by a short Metropolis chain.

Sources: NASLib ``naslib/predictors/lce/parametric_model.py`` and ``parametric_ensemble.py`` (github.com/automl/NASLib,
which credits Domhan's pylearningcurvepredictor), used by NASLib's ``LCEPredictor`` (``lce.py``) and by
NAS-Bench-x11's REA-LCE / BANANAS-LCE (Yan, White, Savani & Hutter 2021, "NAS-Bench-x11 and the power of learning
curves", NeurIPS; github.com/automl/nas-bench-x11, ``naslib/optimizers/discrete/rea_lce/optimizer.py``). It
descends from Domhan, Springenberg & Hutter 2015 (IJCAI) but is not that paper's sampler (which is
``fastnas.predictors.lce_m.LCEM``).

For one curve ``y`` (validation accuracy as a fraction, at ``x = 1..n``):

1. every family ``f_k(x; theta_k)`` (``FAMILIES``: vapor_pressure, pow3, logloglinear, logpower, pow4, mmf, exp4,
   janoschek, weibull, ilog2, hill3, written exactly as NASLib writes them) is fitted alone by minimising the
   Gaussian negative log-likelihood ``n/2 log(2 pi) + n/2 log(s^2) + sum_t (y_t - f_k(t))^2 / (2 s^2)`` over
   ``(theta_k, s)`` with scipy's L-BFGS-B from an all-ones start, the family's bounds and scipy's default
   finite-difference gradient (NASLib's ``optimize_model_class``);
2. weights ``w_k = 1/11``; ``sigma^2`` = mean squared residual of the weighted ensemble ``sum_k w_k f_k``;
3. ``n_steps`` Metropolis steps (x11: ``N = 10``; NASLib's ``LCEPredictor``: 1000 on DARTS, 300 on NB201): each
   stores the current state, perturbs every family parameter (not the families' own ``s``), every weight and
   ``sigma^2`` with ``N(0, step^2)`` noise (``step = 1e-4``, NASLib's ``var`` passed as the normal's scale), and
   rejects the candidate when ``sigma^2 <= 0``, when a point likelihood ``N(y_t - ens(t); 0, sigma^2)`` vanishes,
   or when ``ens(n + 1) <= ens(1)``; otherwise it is accepted with probability
   ``min(1, exp(loglik' - loglik))`` (a current point likelihood of 0 counts as 1e-10, as in NASLib);
4. the prediction is the mean over the ``n_steps`` stored states of ``ens(final_epoch)``, times ``scale``.

NASLib bug, corrected here (``chain="metropolis"``, the default): ``perturb_params`` copies the parameter dict
shallowly and adds the noise in place, so in NASLib the family parameters random-walk whether or not a step is
accepted, and every stored sample shares the final parameter arrays (only the weights and ``sigma^2`` follow the
Metropolis rule). ``chain="naslib"`` reproduces that behaviour for comparison. Measured on 60 NB301 surrogate
curves x 3 seeds (epochs 1-20 extrapolated to 48): the unconstrained walk ends where some family evaluates to
NaN for 16 of 180 predictions (non-finite; x11 then guesses U[0, 1) and stops the cell), against 0 for the
intended chain; where both are finite they differ by 0.32 pp on average (at most 2.6 pp). Not nil, so the
intended chain is the default.

hill3 is NASLib's ``ymax x^eta / (kappa eta + x^eta)`` (the Hill function has ``kappa^eta``); vapor_pressure is
NASLib's ``a + b/x + c log x`` (the log of Domhan's vapor pressure). Both are kept as NASLib writes them, because
this class promises NASLib's extrapolator.

Speed without changing a bit: ``fit_families`` drives scipy's own L-BFGS-B routine for all (curve, family)
problems in lockstep and evaluates the objective with scipy's forward differences for all waiting problems of a
family in one vectorised call; ``**`` uses the C library's scalar ``pow`` as NASLib's ``np.vectorize`` does.
Measured (contended 2-core machine, 20-epoch NB301 curves, same run): ``minimize`` per problem 3.3 s per
curve; lockstep one curve at a time 0.73 s; 8 curves in one ``predict`` 0.37 s per curve.

A curve whose prediction is not finite gets ``default_guess + U[0, 1)`` (NASLib; x11 uses ``default_guess = 0``),
counted in ``n_fallback_``.
"""
from __future__ import annotations

import warnings

import numba
import numpy as np
from scipy.optimize import minimize

from .._rng import as_generator
from .lc import CurvePredictor, Curves


@numba.njit(cache=True)
def _pow_kernel(a, b):  # pragma: no cover - compiled (the Python twin is the ** in the test's families)
    R = max(a.shape[0], b.shape[0])
    C = max(a.shape[1], b.shape[1])
    out = np.empty((R, C))
    for i in range(R):
        ia = i if a.shape[0] > 1 else 0
        ib = i if b.shape[0] > 1 else 0
        for j in range(C):
            out[i, j] = a[ia, j if a.shape[1] > 1 else 0] ** b[ib, j if b.shape[1] > 1 else 0]
    return out


def _pow(a, b):
    """``a ** b`` elementwise with the C library's scalar ``pow``: what NASLib's ``np.vectorize``-d scalar
    functions compute. numpy's array power uses SIMD code (AVX-512 here) that differs from it in the last bit
    for ~5% of inputs, and L-BFGS-B's finite differences turn such bits into another optimisation path."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    shape = np.broadcast_shapes(a.shape, b.shape)
    if len(shape) > 2:
        raise ValueError(f"_pow takes up to 2-D operands, got shapes {a.shape} and {b.shape}")
    out = _pow_kernel(np.ascontiguousarray(a.reshape((1,) * (2 - a.ndim) + a.shape)),
                      np.ascontiguousarray(b.reshape((1,) * (2 - b.ndim) + b.shape)))
    return out.reshape(shape)


# The families as NASLib writes them: f(p, x) with p = (curve parameters..., s); s (the fit's noise) is unused.
# ``_pow`` is ``**`` with the scalar pow NASLib's np.vectorize evaluates.
def vapor_pressure(p, x):
    a, b, c, _ = p
    return a + b / x + c * np.log(x)


def pow3(p, x):
    a, c, alpha, _ = p
    return c - a * _pow(1. * x, -alpha)


def logloglinear(p, x):
    a, b, _ = p
    return np.log(a * np.log(x) + b)


def hill3(p, x):
    ymax, eta, kappa, _ = p
    return ymax * _pow(x, eta) / (kappa * eta + _pow(x, eta))


def logpower(p, x):
    a, b, c, _ = p
    return a / (1 + _pow(x / np.exp(b), c))


def pow4(p, x):
    a, b, c, alpha, _ = p
    return c - _pow(a * x + b, -1 * alpha)


def mmf(p, x):
    alpha, beta, delta, kappa, _ = p
    return alpha - (alpha - beta) / (1 + _pow(kappa * x, delta))


def exp4(p, x):
    a, b, c, alpha, _ = p
    return c - np.exp(- a * _pow(x, alpha) + b)


def janoschek(p, x):
    alpha, beta, kappa, delta, _ = p
    return alpha - (alpha - beta) * np.exp(- kappa * _pow(x, delta))


def weibull(p, x):
    alpha, beta, kappa, delta, _ = p
    return alpha - (alpha - beta) * np.exp(- _pow(kappa * x, delta))


def ilog2(p, x):
    a, c, _ = p
    return c - (a / np.log(x + 1))


_POS = (np.finfo(float).eps, np.inf)
_FREE = (-np.inf, np.inf)
#: name -> (function, number of curve parameters, L-BFGS-B bounds incl. the noise parameter), NASLib's order
FAMILIES = {
    "vapor_pressure": (vapor_pressure, 3, None),
    "pow3": (pow3, 3, ((0, 2), _POS, _POS, _POS)),
    "logloglinear": (logloglinear, 2, (_POS,) * 3),
    "logpower": (logpower, 3, None),
    "pow4": (pow4, 4, (_POS,) * 5),
    "mmf": (mmf, 4, None),
    "exp4": (exp4, 4, None),
    "janoschek": (janoschek, 4, None),
    "weibull": (weibull, 4, (_FREE, _FREE, _POS, _FREE, _POS)),
    "ilog2": (ilog2, 2, (_POS,) * 3),
    "hill3": (hill3, 3, (_POS, _FREE, _POS, _POS)),
}
_LOG2PI = np.log(2 * np.pi)
_SQRT2PI = np.sqrt(2 * np.pi)
_EPS_SQRT = np.finfo(np.float64).eps ** 0.5


def _bounds(name):
    m = FAMILIES[name][1] + 1
    b = FAMILIES[name][2]
    if b is None:
        return np.full(m, -np.inf), np.full(m, np.inf)
    return np.array([v[0] for v in b], dtype=np.float64), np.array([v[1] for v in b], dtype=np.float64)


def _fd_steps(X, lb, ub):
    """scipy's forward-difference steps for L-BFGS-B's default gradient, one row per point ``X`` (r, m):
    ``approx_derivative(method="2-point", abs_step=1e-8, bounds=...)`` (scipy.optimize._numdiff): 1e-8, a
    relative step where that vanishes, flipped or shortened to stay inside the bounds."""
    h = np.full(X.shape, 1e-8)
    if not np.abs(X).max() < 1e7:  # below 1e7 (or for NaN), x + 1e-8 != x: the absolute step stands
        zero = ((X + h) - X) == 0
        sign = (X >= 0).astype(float) * 2 - 1
        h = np.where(zero, _EPS_SQRT * sign * np.maximum(1.0, np.abs(X)), h)
    if np.isinf(lb).all() and np.isinf(ub).all():
        return h
    lower, upper = X - lb, ub - X
    xs = X + h
    violated = (xs < lb) | (xs > ub)
    fitting = np.abs(h) <= np.maximum(lower, upper)
    h[violated & fitting] *= -1
    forward = (upper >= lower) & ~fitting
    h[forward] = upper[forward]
    backward = (upper < lower) & ~fitting
    h[backward] = -lower[backward]
    return h


def _nll_rows(f, T, Y, half_n, x):
    """NASLib's objective for parameter rows ``T`` (r, m) against curves ``Y`` (r, n) -> (r,)."""
    # s**2 and log(s**2) as scalars: numpy's array square (x*x) and SIMD log can differ from the scalar pow/log
    # NASLib evaluates in the last bit, which L-BFGS-B's finite differences amplify into another path
    s2 = np.array([v ** 2 for v in T[:, -1]])
    logs2 = np.array([np.log(v) for v in s2])
    r = Y - f(T.T[:, :, None], x)
    # cumsum adds left to right like NASLib's builtin sum (np.sum's pairwise order differs in the last bits)
    return half_n * _LOG2PI + half_n * logs2 + 1 / (2 * s2) * np.cumsum(r * r, axis=1)[:, -1]


def _values_and_grads(name, X, Y):
    """Objective and scipy's finite-difference gradient at points ``X`` (P, m) for curves ``Y`` (P, n)."""
    f = FAMILIES[name][0]
    P, m = X.shape
    n = Y.shape[1]
    lb, ub = _bounds(name)
    h = _fd_steps(X, lb, ub)
    T = np.repeat(X[:, None, :], m + 1, axis=1)  # (P, m + 1, m): the point, then one step per coordinate
    idx = np.arange(m)
    T[:, idx + 1, idx] = X + h
    v = _nll_rows(f, T.reshape(-1, m), np.repeat(Y, m + 1, axis=0), n / 2, np.arange(1, n + 1, dtype=np.float64))
    v = v.reshape(P, m + 1)
    dx = (X + h) - X
    return v[:, 0], (v[:, 1:] - v[:, :1]) / dx


def _lbfgsb_available() -> bool:
    try:
        from scipy.optimize import _lbfgsb

        return hasattr(_lbfgsb, "setulb") and _scipy_version() >= (1, 15)
    except ImportError:  # pragma: no cover - scipy layout changed
        return False


def _scipy_version():
    import scipy

    return tuple(int(p) for p in scipy.__version__.split(".")[:2])


def fit_families(names, Y) -> list:
    """NASLib's ML fits (``optimize_model_class``) of every family in ``names`` to every curve of ``Y``
    (N, n) fractions at x = 1..n: ``out[i][k]`` is family ``names[k]``'s parameter vector (incl. the noise ``s``)
    for curve ``i``.

    All (curve, family) problems run L-BFGS-B in lockstep through scipy's own routine (``_lbfgsb.setulb``, the
    loop of ``scipy.optimize._lbfgsb_py._minimize_lbfgsb`` with its defaults), and every round evaluates the
    objective with scipy's forward-difference gradient for all waiting problems of a family in one vectorised
    call -- so each problem follows the path ``minimize(..., method="L-BFGS-B")`` takes (tested bit for bit),
    at a fraction of the Python overhead. Falls back to ``scipy.optimize.minimize`` per problem on a scipy
    without that routine (< 1.15).

    >>> th = fit_families(["pow3"], [0.9 - 0.5 * np.arange(1, 21.0) ** -0.5])
    >>> th[0][0].shape
    (4,)
    """
    Y = np.atleast_2d(np.asarray(Y, dtype=np.float64))
    names = list(names)
    if _lbfgsb_available():
        try:
            return _fit_lockstep(names, Y)
        except TypeError:  # pragma: no cover - scipy changed setulb's arguments: take the reference path
            pass
    return [[fit_family(nm, y) for nm in names] for y in Y]  # pragma: no cover - scipy < 1.15


def _fit_lockstep(names, Y) -> list:
    from scipy.optimize import _lbfgsb

    N = len(Y)
    out = [[None] * len(names) for _ in range(N)]
    mc, factr, pgtol, maxls, maxiter, maxfun = 10, 2.2204460492503131e-09 / np.finfo(float).eps, 1e-5, 20, 15000, 15000
    for k, nm in enumerate(names):
        m = FAMILIES[nm][1] + 1
        lb, ub = _bounds(nm)
        nbd = np.zeros(m, np.int32)
        low = np.where(np.isinf(lb), 0.0, lb)
        up = np.where(np.isinf(ub), 0.0, ub)
        nbd[~np.isinf(lb) & np.isinf(ub)] = 1
        nbd[~np.isinf(lb) & ~np.isinf(ub)] = 2
        nbd[np.isinf(lb) & ~np.isinf(ub)] = 3
        x0 = np.clip(np.ones(m), lb, ub)
        with np.errstate(all="ignore"):
            f0, g0 = _values_and_grads(nm, np.repeat(x0[None], N, axis=0), Y)
        st = []
        for i in range(N):
            st.append({"x": x0.copy(), "f": float(f0[i]), "g": g0[i].copy(), "last": x0.copy(),
                       "wa": np.zeros(2 * mc * m + 5 * m + 11 * mc * mc + 8 * mc), "iwa": np.zeros(3 * m, np.int32),
                       "task": np.zeros(2, np.int32), "ln": np.zeros(2, np.int32), "lsave": np.zeros(4, np.int32),
                       "isave": np.zeros(44, np.int32), "dsave": np.zeros(29), "nfev": 1 + m, "nit": 0})
        active = list(range(N))
        while active:
            waiting = []
            for i in active:
                s = st[i]
                while True:
                    g = s["g"].astype(np.float64)
                    _lbfgsb.setulb(mc, s["x"], low, up, nbd, s["f"], g, factr, pgtol, s["wa"], s["iwa"], s["task"],
                                   s["lsave"], s["isave"], s["dsave"], maxls, s["ln"])
                    s["g"] = g
                    t = s["task"]
                    if t[0] == 3:
                        if np.array_equal(s["x"], s["last"]):  # ScalarFunction's memo: no new evaluation
                            continue
                        waiting.append(i)
                        break
                    if t[0] == 1:
                        s["nit"] += 1
                        if s["nit"] >= maxiter:
                            t[0], t[1] = 5, 504
                        elif s["nfev"] > maxfun:
                            t[0], t[1] = 5, 502
                        continue
                    out[i][k] = s["x"].copy()
                    break
            if waiting:
                X = np.array([st[i]["x"] for i in waiting])
                with np.errstate(all="ignore"):
                    fv, gv = _values_and_grads(nm, X, Y[waiting])
                for j, i in enumerate(waiting):
                    s = st[i]
                    s["f"], s["g"], s["last"] = float(fv[j]), gv[j].copy(), s["x"].copy()
                    s["nfev"] += 1 + m  # scipy counts the point and its m finite-difference evaluations
            active = waiting
    return out


def fit_family(name: str, y: np.ndarray) -> np.ndarray:
    """NASLib's ML fit of one family to one curve through ``scipy.optimize.minimize`` (the reference path;
    ``fit_families`` reproduces it in bulk): the parameters incl. the noise ``s``.

    >>> p = fit_family("pow3", 0.9 - 0.5 * np.arange(1, 21.0) ** -0.5)
    >>> p.shape
    (4,)
    """
    f, dof, bounds = FAMILIES[name]
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    x = np.arange(1, n + 1, dtype=np.float64)

    def nll(theta):
        return float(_nll_rows(f, theta[None, :], y[None, :], n / 2, x)[0])

    with np.errstate(all="ignore"):
        res = minimize(nll, np.ones(dof + 1), method="L-BFGS-B", bounds=bounds)
    return np.asarray(res.x, dtype=np.float64)


def _ensemble(names, thetas, w, x) -> np.ndarray:
    out = 0
    for k, name in enumerate(names):  # summed in NASLib's order, starting from 0
        out = out + w[k] * FAMILIES[name][0](thetas[k], x)
    return out


def _pdf(err, s2):
    if not s2 > 0:  # scipy's norm.pdf gives NaN for a non-positive or NaN scale
        return np.full(np.shape(err), np.nan)
    s = np.sqrt(s2)
    z = err / s
    return np.exp(-z ** 2 / 2.0) / _SQRT2PI / s


def extrapolate(y, final_epoch: int, rng: np.random.Generator, n_steps: int = 10, step: float = 1e-4,
                chain: str = "metropolis", families: tuple = tuple(FAMILIES), return_fit: bool = False,
                thetas=None):
    """The ensemble's prediction (a fraction) for one curve ``y`` (fractions at x = 1..n) at ``final_epoch``.

    With ``return_fit=True`` also returns ``(thetas, sigma_sq)``: the per-family ML fits and the initial
    ``sigma^2``. Draws ``rng.normal`` (size ``1 + K + sum dof``) each step and ``rng.random()`` for each candidate
    that passes the checks, in NASLib's order.
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    x = np.arange(1, n + 1, dtype=np.float64)
    names = list(families)
    K = len(names)
    if thetas is None:
        thetas = fit_families(names, y[None, :])[0]
    w = [1 / K] * K
    with np.errstate(all="ignore"):
        res = y - _ensemble(names, thetas, w, x)
        sigma_sq = (1 / n) * np.cumsum(res * res)[-1]
        fit = ([t.copy() for t in thetas], float(sigma_sq))
        dofs = [FAMILIES[nm][1] for nm in names]
        D = 1 + K + sum(dofs)
        ends = np.array([1.0 + n, 1.0])
        samples = []
        cur = [t.copy() for t in thetas]
        for _ in range(int(n_steps)):
            samples.append((cur, w))
            pl = _pdf(_ensemble(names, cur, w, x) - y, sigma_sq)
            pl = np.where(pl > 0, pl, 1e-10)
            cur_ll = np.cumsum(np.log(pl))[-1]
            pert = rng.normal(loc=0, scale=step, size=(D,))
            pos = 0
            cand = []
            for k, d in enumerate(dofs):
                delta = np.concatenate([pert[pos:pos + d], np.zeros((1,))])
                if chain == "naslib":
                    cur[k] += delta  # NASLib's in-place update: shared by the state, the candidate, every sample
                    cand.append(cur[k])
                else:
                    cand.append(cur[k] + delta)
                pos += d
            cand_w = list(w)
            for k in range(K):
                cand_w[k] += pert[pos]
                pos += 1
            cand_s2 = sigma_sq + pert[-1]
            if cand_s2 <= 0:
                continue
            pl = _pdf(_ensemble(names, cand, cand_w, x) - y, cand_s2)
            seen = pl[~np.isnan(pl)]
            if seen.size and min(1.0, float(seen.min())) == 0:
                continue
            pos_pl = pl[pl > 0]
            cand_ll = np.cumsum(np.log(pos_pl))[-1] if pos_pl.size else 0.0
            e = np.exp(cand_ll - cur_ll)
            acc = e if e < 1 else 1  # Python's min(1, e), as NASLib (NaN -> 1)
            at = _ensemble(names, cand, cand_w, ends)
            if at[0] > at[1]:
                if rng.random() < acc:
                    cur, w, sigma_sq = cand, cand_w, cand_s2
        xf = np.array([float(final_epoch)])
        total = 0
        for p, ww in samples:  # in NASLib's chain every p is the same (final) list of arrays
            total = total + _ensemble(names, p, ww, xf)
        pred = float((total / len(samples))[0]) if samples else float("nan")
    return (pred, fit) if return_fit else pred


def _user_stacklevel() -> int:
    """``stacklevel`` pointing ``warnings.warn`` (called by the caller of this function) at the first frame
    outside the fastnas package: the user's line."""
    import os
    import sys

    pkg = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(pkg):
        frame, level = frame.f_back, level + 1
    return level


class LCEParametricEnsemble(CurvePredictor):
    """NASLib's ``LCEPredictor`` extrapolator as NAS-Bench-x11 runs it (see the module docstring).

    Parameters
    ----------
    final_epoch : int, default 98
        Epoch ``x`` (1-based, x = 1 is the first observed value) whose accuracy is predicted.
    n_steps : int, default 10
        Metropolis steps (x11's ``N``; NASLib's ``LCEPredictor`` uses 1000 on DARTS, 300 on NB201).
    step : float, default 1e-4
        Standard deviation of each perturbation (NASLib's ``var``).
    chain : {"metropolis", "naslib"}, default "metropolis"
        ``"naslib"`` reproduces NASLib's in-place parameter update (see the module docstring).
    default_guess : float, default 0.0
        A non-finite prediction becomes ``default_guess + U[0, 1)`` in ``scale`` units (x11: 0; NASLib's
        ``LCEPredictor``: 93 on DARTS, 85 on NB201).
    scale : float, default 100.0
        Unit of the curves (100 for percent); curves are fitted as fractions.
    seed : int, numpy Generator or None
        Source of the chain's noise (a Generator is used and advanced as is).

    Attributes
    ----------
    n_fallback_ : int
        Curves of the last ``predict`` whose prediction was not finite.

    Raises
    ------
    TypeError : input that is not ``Curves``.
    ValueError : curves without ``val_acc``, with NaN/inf (``Curves``), fewer than 3 epochs, a bad parameter.

    Examples
    --------
    >>> x = np.arange(1, 21.0)
    >>> acc = np.vstack([90 - 60 * x ** -0.7, 80 - 50 * x ** -0.7])
    >>> p = LCEParametricEnsemble(final_epoch=48, seed=0).predict(Curves(val_acc=acc))
    >>> p.shape, bool(p[0] > p[1])
    ((2,), True)
    """

    def __init__(self, *, final_epoch: int = 98, n_steps: int = 10, step: float = 1e-4, chain: str = "metropolis",
                 default_guess: float = 0.0, scale: float = 100.0, seed=0):
        self.final_epoch = final_epoch
        self.n_steps = n_steps
        self.step = step
        self.chain = chain
        self.default_guess = default_guess
        self.scale = scale
        self.seed = seed

    def _check(self) -> None:
        for name in ("final_epoch", "n_steps"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if self.chain not in ("metropolis", "naslib"):
            raise ValueError(f"chain must be 'metropolis' or 'naslib', got {self.chain!r}")
        for name in ("step", "scale"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float, np.floating)) and np.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a positive finite number, got {v!r}")
        if not np.isfinite(float(self.default_guess)):
            raise ValueError(f"default_guess must be finite, got {self.default_guess!r}")

    def _score(self, C: Curves) -> np.ndarray:
        self._check()
        raw = C.require("val_acc", type(self).__name__)
        if float(self.scale) >= 100 and raw.size and float(np.max(raw)) <= 1.0:
            # percent curves that never exceed 1 % are possible (a diverged ImageNet16-120 network sits at
            # 0.83 %), fractions read as percent are the likelier cause: say so rather than guess
            warnings.warn(f"every val_acc value is <= 1 while scale={self.scale!r} reads them as percent; if the "
                          "curves are fractions in [0, 1], pass scale=1 (predictions would be off by 100x)",
                          RuntimeWarning, stacklevel=_user_stacklevel())
        acc = raw / float(self.scale)
        if acc.shape[1] < 3:
            raise ValueError(f"{type(self).__name__} needs at least 3 observed epochs, got {acc.shape[1]}")
        rng = as_generator(self.seed)
        out = np.empty(len(acc))
        bad = 0
        if not len(acc):
            self.n_fallback_ = 0
            return out
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):  # L-BFGS-B on tiny vectors: threads only spin
            fits = fit_families(tuple(FAMILIES), acc)  # every curve's ML fits in one lockstep run
            for i, y in enumerate(acc):
                v = extrapolate(y, int(self.final_epoch), rng, int(self.n_steps), float(self.step), self.chain,
                                thetas=fits[i])
                v = v * float(self.scale)
                if not np.isfinite(v):
                    bad += 1
                    v = float(self.default_guess) + rng.random()
                out[i] = v
        self.n_fallback_ = bad
        return out


__all__ = ["LCEParametricEnsemble", "FAMILIES", "extrapolate", "fit_family", "fit_families"]

"""BOHAMIANN: a Bayesian neural network sampled by adaptive stochastic-gradient Hamiltonian Monte Carlo
(Springenberg, Klein, Falkner & Hutter 2016, "Bayesian Optimization with Robust Bayesian Neural
Networks", NeurIPS; official code github.com/automl/pybnn ``pybnn/bohamiann.py`` and
``pybnn/sampler/adaptive_sghmc.py``, which NASLib's ``naslib/predictors/bnn/bohamiann.py`` wraps).

Model (pybnn ``get_default_network``): 3 hidden layers of 50 tanh units, a linear mean output and one
learned homoscedastic log-variance (initial ``log 1e-3``); weights Kaiming-normal (fan-in, linear
gain), biases 0; float64. Inputs as given, targets standardised.

Potential (per minibatch of ``batch_size`` out of N points; the sampler multiplies gradients by N):
``U = NLL_batch - log p(log sigma^2) / N - log p(w) / N`` with the Gaussian NLL averaged over the batch
(no 2 pi constant), ``log p(w)`` = the mean over parameters of ``log N(w; 0, 1)`` and the log-variance
prior ``N(log sigma^2; log 1e-6, 0.01)`` (pybnn ``weight_prior`` and ``log_variance_prior``).

Adaptive SGHMC step (Springenberg et al. 2016, eqs. 8-10; ``sghmc_step``): with the scaled gradient
``g_t = N * dU``, during burn-in ``tau <- tau - tau g^2/(v + eps) + 1``, ``g <- g - g/(tau+1) + g_t/(tau+1)``,
``v <- v - v/(tau+1) + g_t^2/(tau+1)`` (``1/(tau+1)`` taken before the tau update); always
``M^-1 = 1/(sqrt(v) + eps)``, ``momentum <- momentum - lr^2 M^-1 g_t - mdecay momentum + N(0, 2 lr^2
mdecay M^-1 - lr^4)``, ``theta <- theta + momentum``. A sample of the weights is kept every
``keep_every`` steps after ``num_burn_in_steps``; the prediction mixes the samples: mean of the means,
variance = variance of the means + mean noise variance.

The sampler defaults are pybnn's (13,000 steps, 3,000 burn-in, keep every 100, mdecay 0.05, batch 20;
lr 1e-2 as pybnn's ``train_and_evaluate``, whose ``train`` alone defaults to 1e-5); the ``white2021`` preset uses NASLib's 100 steps / 10 burn-in / keep every 5. One difference
from pybnn's defaults remains: inputs are used as given, while pybnn's default ``normalize_input=True``
standardises every feature by the training mean and std (targets are
standardised in both; NASLib's wrapper also passes ``normalize_input=False``, so the ``white2021`` preset
matches it). As pybnn, each shuffled pass keeps its last partial minibatch, and a weight sample is kept after
update ``s + 1`` for ``s > num_burn_in_steps`` with ``(s - num_burn_in_steps) % keep_every == 0`` (pybnn's
0-based step counter; 17 samples with NASLib's 100 / 10 / 5).
"""
from __future__ import annotations

import numpy as np

from .._rng import as_generator
from . import _torchnet as tn
from ._base import Predictor

_EPS = 1e-10  # pybnn AdaptiveSGHMC epsilon


def sghmc_step(theta, momentum, grad, tau, g, v_hat, *, lr: float, mdecay: float, burn_in: bool, noise):
    """One adaptive SGHMC update (in place on torch tensors or numpy arrays); ``grad`` already scaled
    by N and ``noise`` a standard-normal draw of the same shape. Returns nothing."""
    tau_inv = 1.0 / (tau + 1.0)
    if burn_in:
        tau += -tau * (g * g / (v_hat + _EPS)) + 1.0
        g += -g * tau_inv + tau_inv * grad
        v_hat += -v_hat * tau_inv + tau_inv * grad**2
    minv = 1.0 / ((v_hat ** 0.5) + _EPS)
    var = 2.0 * lr**2 * mdecay * minv - lr**4
    sigma = (var.clip(min=1e-16) if hasattr(var, "clip") else np.clip(var, 1e-16, None)) ** 0.5
    momentum += -(lr**2) * minv * grad - mdecay * momentum + sigma * noise
    theta += momentum


class BOHAMIANN(Predictor):
    """Bayesian neural network by adaptive SGHMC (see the module docstring).

    Parameters
    ----------
    hidden : hidden layer widths (pybnn: (50, 50, 50), tanh).
    num_steps, num_burn_in_steps, keep_every : sampler schedule (steps = minibatch updates).
    lr, mdecay : SGHMC step size and momentum decay.
    batch_size : minibatch size.
    space, encoding : used when given ``Cells`` (NASLib: adjacency one-hot).
    seed : int or Generator (weights, minibatches, sampler noise); torch's global RNG is never used.
    n_threads : torch threads during fit/predict.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((40, 3)); y = X @ [1.0, 2.0, -1.0]
    >>> m = BOHAMIANN(num_steps=400, num_burn_in_steps=100, keep_every=20, seed=0).fit(X, y)
    >>> mean, std = m.predict(X[:5], return_std=True)
    >>> bool(np.corrcoef(mean, y[:5])[0, 1] > 0.8), bool(np.all(std > 0))
    (True, True)
    """

    has_uncertainty = True
    min_train_size = 2

    def __init__(self, *, hidden: tuple = (50, 50, 50), num_steps: int = 13000, num_burn_in_steps: int = 3000,
                 keep_every: int = 100, lr: float = 1e-2, mdecay: float = 0.05, batch_size: int = 20,
                 space=None, encoding: str = "adjacency", seed=0, n_threads: int = 1):
        self.hidden = hidden
        self.num_steps = num_steps
        self.num_burn_in_steps = num_burn_in_steps
        self.keep_every = keep_every
        self.lr = lr
        self.mdecay = mdecay
        self.batch_size = batch_size
        self.space = space
        self.encoding = encoding
        self.seed = seed
        self.n_threads = n_threads

    def _init(self, d, rng):
        sizes = [d, *[int(h) for h in self.hidden], 1]
        out = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            out.append(rng.normal(0.0, 1.0 / np.sqrt(a), size=(a, b)))  # Kaiming normal, fan-in, linear gain
            out.append(np.zeros(b))
        out.append(np.array([np.log(1e-3)]))  # the appended log-variance
        return out

    @staticmethod
    def _forward(params, X):
        import torch

        h = X
        n_layers = (len(params) - 1) // 2
        for i in range(n_layers):
            h = h @ params[2 * i] + params[2 * i + 1]
            if i < n_layers - 1:
                h = torch.tanh(h)
        return h[:, 0], params[-1].expand(len(X))

    def _check(self):
        if int(self.num_steps) < 1 or int(self.keep_every) < 1 or int(self.num_burn_in_steps) < 0:
            raise ValueError("num_steps and keep_every must be >= 1 and num_burn_in_steps >= 0")
        if int(self.num_burn_in_steps) >= int(self.num_steps):
            raise ValueError(f"num_burn_in_steps ({self.num_burn_in_steps}) must be below num_steps ({self.num_steps})")
        if not (float(self.lr) > 0 and 0 < float(self.mdecay) < 1):
            raise ValueError("lr must be > 0 and mdecay in (0, 1)")

    def _fit(self, F, y):
        import torch

        self._check()
        rng = as_generator(self.seed)
        self.y_mean_ = float(y.mean())
        self.y_std_ = float(y.std()) or 1.0
        yn = torch.as_tensor((y - self.y_mean_) / self.y_std_)
        X = torch.as_tensor(F)
        N = len(F)
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        with tn.threads(self.n_threads):
            params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in self._init(F.shape[1], rng)]
            n_par = sum(p.numel() for p in params)
            state = [(torch.zeros_like(p), torch.ones_like(p), torch.ones_like(p), torch.ones_like(p)) for p in params]
            bs = max(1, min(int(self.batch_size), N))
            order, pos = rng.permutation(N), 0
            samples = []
            for step in range(1, int(self.num_steps) + 1):
                if pos >= N:  # a new shuffled pass; the last batch of a pass may be partial (pybnn's DataLoader)
                    order, pos = rng.permutation(N), 0
                idx = torch.as_tensor(order[pos:pos + bs])
                pos += bs
                mu, logv = self._forward(params, X[idx])
                nll = (0.5 * (yn[idx] - mu) ** 2 / (torch.exp(logv) + 1e-16) + 0.5 * logv).mean()
                lv_prior = (-((logv - np.log(1e-6)) ** 2) / (2 * 0.01) - 0.5 * np.log(0.01)).mean()
                w_prior = sum((-0.5 * p**2 - 0.5 * np.log(2 * np.pi)).sum() for p in params) / (n_par + 1e-16)
                loss = nll - lv_prior / N - w_prior / N
                grads = torch.autograd.grad(loss, params)
                with torch.no_grad():
                    for p, gr, (mom, tau, g, v) in zip(params, grads, state):
                        sghmc_step(p, mom, gr * N, tau, g, v, lr=float(self.lr), mdecay=float(self.mdecay),
                                   burn_in=step <= int(self.num_burn_in_steps),
                                   noise=torch.randn(p.shape, generator=gen, dtype=torch.float64))
                # pybnn counts steps from 0: it keeps after update s + 1 when s > burn-in and
                # (s - burn-in) % keep_every == 0
                s_py, burn = step - 1, int(self.num_burn_in_steps)
                if s_py > burn and (s_py - burn) % int(self.keep_every) == 0:
                    samples.append([p.detach().numpy().copy() for p in params])
        if not samples:
            samples.append([p.detach().numpy().copy() for p in params])
        self.samples_ = samples

    def _predict_dist(self, F):
        import torch

        X = torch.as_tensor(F)
        means, noise = [], []
        with tn.threads(self.n_threads), torch.no_grad():
            for s in self.samples_:
                mu, logv = self._forward([torch.as_tensor(p) for p in s], X)
                means.append(mu.numpy())
                noise.append(np.exp(logv.numpy()))
        means, noise = np.array(means), np.array(noise)
        m = means.mean(0)
        var = means.var(0) + noise.mean(0)
        return m * self.y_std_ + self.y_mean_, np.sqrt(var) * self.y_std_

    def _predict(self, F):
        return self._predict_dist(F)[0]

    # persistence: a list of samples is stored as one stacked array per parameter
    def _fitted_state(self) -> dict:
        st = {"y_mean_": self.y_mean_, "y_std_": self.y_std_, "n_features_in_": self.n_features_in_}
        for i in range(len(self.samples_[0])):
            st[f"sample_param_{i}"] = np.stack([s[i] for s in self.samples_])
        return st

    def _set_fitted_state(self, state: dict) -> None:
        keys = sorted((k for k in state if k.startswith("sample_param_")), key=lambda k: int(k.rsplit("_", 1)[1]))
        stacks = [np.asarray(state[k]) for k in keys]
        self.samples_ = [[st[j] for st in stacks] for j in range(len(stacks[0]))]
        for k in ("y_mean_", "y_std_", "n_features_in_"):
            setattr(self, k, state[k])


__all__ = ["BOHAMIANN", "sghmc_step"]

"""Numba kernel: train an ensemble of ReLU MLPs with Adam on minibatches, forward and backward by hand.

Why hand-written: BANANAS trains 5 MLPs of 10 hidden layers x 20 units for 150 epochs at every round;
at batch 32 each step is a few microseconds of arithmetic, and torch's per-step overhead (autograd graph,
optimizer bookkeeping) dominated it. Here one call trains the whole ensemble with no Python in the loop.

Definition (the same as ``torch.nn.Linear`` stacks with ``torch.optim.Adam``, which
``tests/unit/test_search_bananas_fast.py`` checks step for step against torch autograd):

* member ``e`` has layers ``h_{l+1} = relu(h_l W_l + b_l)`` (no ReLU after the last layer), output width 1;
* loss per member and minibatch: mean over the batch of ``|pred - y|`` (``loss=0``, MAE) or
  ``(pred - y)**2`` (``loss=1``, MSE); the gradient of ``|x|`` at 0 is 0 (torch's ``sign``);
* Adam (Kingma & Ba 2015, torch's formulation): ``m = b1 m + (1-b1) g``, ``v = b2 v + (1-b2) g^2``,
  ``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``, one step count per member;
* minibatches: rows ``perm[epoch, e, s:s+batch]`` (the caller draws the permutations).

Parameters live in one flat float32 vector per member, layer by layer: ``W_l`` (fan_in, fan_out) row-major,
then ``b_l`` (fan_out). Activations are (batch, units) row-major, so a minibatch is a contiguous slice and
the three products per layer (forward ``H W``, weight gradient ``H^T G``, input gradient ``G W^T``) are
single-precision BLAS calls (``np.dot``, which numba lowers to scipy's BLAS): at 20 x 20 x 32 that is
several times faster than hand-written loops.

The module's functions are plain Python when numba is unavailable (``.py_func`` is the reference twin).
"""
from __future__ import annotations

import numpy as np

from ._jit import njit

_FM = {"reassoc", "contract", "nsz", "arcp"}


def layer_sizes(d: int, n_layers: int, width: int) -> np.ndarray:
    """Layer widths ``[d, width x n_layers, 1]`` as int64."""
    return np.array([d] + [width] * n_layers + [1], dtype=np.int64)


def n_params(sizes: np.ndarray) -> int:
    return int(sum(int(a) * int(b) + int(b) for a, b in zip(sizes[:-1], sizes[1:])))


def glorot_init(sizes: np.ndarray, n_members: int, rng: np.random.Generator) -> np.ndarray:
    """(n_members, P) float32: Glorot-uniform weights (the Keras default), zero biases."""
    P = n_params(sizes)
    out = np.zeros((n_members, P), dtype=np.float32)
    for e in range(n_members):
        o = 0
        for a, b in zip(sizes[:-1], sizes[1:]):
            lim = np.sqrt(6.0 / (a + b))
            out[e, o:o + a * b] = rng.uniform(-lim, lim, size=a * b)
            o += a * b + b
    return out


@njit(fastmath=_FM)
def _forward(p, sizes, X, rows, acts):
    """Forward pass of one member on ``X[rows]``; ``acts[l]`` (len(rows), units) receives layer l's output."""
    nb = rows.shape[0]
    L = sizes.shape[0] - 1
    d = sizes[0]
    a0 = acts[0]
    for b in range(nb):
        r = rows[b]
        for k in range(d):
            a0[b, k] = X[r, k]
    o = 0
    for l in range(L):
        fi = sizes[l]
        fo = sizes[l + 1]
        W = p[o:o + fi * fo].reshape((fi, fo))
        bias = p[o + fi * fo:o + fi * fo + fo]
        hout = acts[l + 1]
        np.dot(acts[l], W, hout)
        relu = l < L - 1
        for b in range(nb):
            for j in range(fo):
                z = hout[b, j] + bias[j]
                if relu and z < 0.0:
                    z = 0.0
                hout[b, j] = z
        o += fi * fo + fo


@njit(fastmath=_FM)
def fit_ensemble(params, sizes, X, y, perms, batch, lr, beta1, beta2, eps, loss):
    """Train every member in place and return ``params``.

    params (E, P) float32, sizes (L+1,) int64, X (n, d) float32 C-contiguous, y (n,) float32,
    perms (epochs, E, n) int64 row orders, batch int, lr/beta1/beta2/eps floats, loss 0 (MAE) or 1 (MSE).
    """
    E = params.shape[0]
    P = params.shape[1]
    L = sizes.shape[0] - 1
    n = X.shape[0]
    epochs = perms.shape[0]
    bs = min(batch, n)
    # activations and gradients per layer, one set per distinct minibatch size (full and remainder), so
    # every BLAS operand is contiguous
    full = [np.zeros((bs, sizes[l]), dtype=np.float32) for l in range(L + 1)]
    gfull = [np.zeros((bs, sizes[l]), dtype=np.float32) for l in range(L + 1)]
    rem = n % bs if n % bs else bs
    part = [np.zeros((rem, sizes[l]), dtype=np.float32) for l in range(L + 1)]
    gpart = [np.zeros((rem, sizes[l]), dtype=np.float32) for l in range(L + 1)]
    grad = np.zeros(P, dtype=np.float32)
    b1 = np.float32(beta1)
    b2 = np.float32(beta2)
    ep32 = np.float32(eps)
    one = np.float32(1.0)
    for e in range(E):
        p = params[e]
        m = np.zeros(P, dtype=np.float32)
        v = np.zeros(P, dtype=np.float32)
        t = 0
        for ep in range(epochs):
            order = perms[ep, e]
            for s in range(0, n, bs):
                rows = order[s:min(s + bs, n)]
                nb = rows.shape[0]
                acts = full if nb == bs else part
                gs = gfull if nb == bs else gpart
                _forward(p, sizes, X, rows, acts)
                out = acts[L]
                gout = gs[L]
                inv = np.float32(1.0 / nb)
                for b in range(nb):
                    diff = out[b, 0] - y[rows[b]]
                    if loss == 0:
                        if diff > 0.0:
                            gout[b, 0] = inv
                        elif diff < 0.0:
                            gout[b, 0] = -inv
                        else:
                            gout[b, 0] = 0.0
                    else:
                        gout[b, 0] = 2.0 * diff * inv
                # backward from the top: gs[l + 1] = dLoss / d(pre-activation of layer l + 1)
                o_end = P
                for l in range(L - 1, -1, -1):
                    fi = sizes[l]
                    fo = sizes[l + 1]
                    o = o_end - fi * fo - fo
                    G = gs[l + 1]
                    hin = acts[l]
                    np.dot(hin.T, G, grad[o:o + fi * fo].reshape((fi, fo)))
                    gb = grad[o + fi * fo:o + fi * fo + fo]
                    for j in range(fo):
                        gb[j] = 0.0
                    for b in range(nb):
                        for j in range(fo):
                            gb[j] += G[b, j]
                    if l > 0:
                        W = p[o:o + fi * fo].reshape((fi, fo))
                        gin = gs[l]
                        np.dot(G, W.T, gin)
                        for b in range(nb):  # ReLU of layer l's output
                            for k in range(fi):
                                if hin[b, k] <= 0.0:
                                    gin[b, k] = 0.0
                    o_end = o
                t += 1
                step = np.float32(lr / (1.0 - beta1 ** t))
                inv_c2 = np.float32(1.0 / np.sqrt(1.0 - beta2 ** t))
                for i in range(P):
                    g = grad[i]
                    m[i] = b1 * m[i] + (one - b1) * g
                    v[i] = b2 * v[i] + (one - b2) * g * g
                    p[i] -= step * m[i] / (np.sqrt(v[i]) * inv_c2 + ep32)
    return params


@njit(fastmath=_FM)
def predict_ensemble(params, sizes, X):
    """(E, N) float64 predictions of every member on X (N, d) float32 C-contiguous."""
    E = params.shape[0]
    N = X.shape[0]
    L = sizes.shape[0] - 1
    acts = [np.zeros((N, sizes[l]), dtype=np.float32) for l in range(L + 1)]
    rows = np.arange(N)
    out = np.zeros((E, N), dtype=np.float64)
    for e in range(E):
        _forward(params[e], sizes, X, rows, acts)
        for b in range(N):
            out[e, b] = acts[L][b, 0]
    return out

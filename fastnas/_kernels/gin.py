"""Numba kernel: train NPENAS's GIN predictors (NPENAS-NP and NPENAS-BO) with Adam, forward and backward
by hand.

Why hand-written: NPENAS retrains its GIN from scratch every round for 1,000 epochs on batches of 10-16
graphs of 8 nodes (hidden 32). A step is a few hundred kFLOP; torch's per-step overhead (autograd graph,
optimizer bookkeeping, about 3 ms) was almost the whole cost of a search trial. Here one call runs the whole
training with no Python in the loop.

Definition (that of ``fastnas.predictors.gcn.GINPredictor`` / ``GaussianGINPredictor``, which follow the
official code auroua/NPENASv1 ``nas_lib/models/gin_predictor.py``, ``gin_uncertainty_predictor.py``,
``eigen/trainer_predictor.py``, ``eigen/trainer_uncertainty_predictor.py``, ``layers/loss_gausian.py``;
``tests/unit/test_gin_numba.py`` checks loss, gradients, Adam steps and BatchNorm statistics against torch
autograd on that class's own torch forward pass):

* three GIN layers: ``agg = x + A^T x`` (sum over predecessors), ``h = act(act(agg W1 + b1) W2 + b2)``,
  BatchNorm over the batch's real nodes (training: batch mean and biased variance, running statistics
  updated with momentum 0.1 and the unbiased variance; prediction: running statistics), eps 1e-5, affine,
  output multiplied by the node mask; ``act`` is ReLU (NP) or CELU (BO, alpha 1);
* mean pooling over each graph's real nodes;
* NP head: ``rate * sigmoid(dropout(relu(x Wb + bb)) Wm + bm)``, loss MSE;
  BO heads: ``mu = dropout(celu(x Wb + bb)) Wm + bm``, ``s = exp(celu(celu(x Wbs + bbs) Ws + bs) / 2)``,
  loss ``mean(0.5 (t - mu)^2 / s^2 + log(sqrt(2 pi) s))``; dropout masks ``keep`` are inputs, kept units
  scaled by ``1 / (1 - p)``;
* Adam in torch's formulation with L2-style weight decay ``g += wd p`` and a learning rate and weight decay
  per parameter (vectors ``lr_vec``, ``wd_vec``); after optimizer step ``s`` (1-based) the learning rate is
  ``lr_vec * 0.5 (1 + cos(pi (s + 2) / T))`` (the code's CosineLR), the first step uses ``lr_vec``.

Parameters live in one flat vector (float32, or float64 for tests), tensor by tensor in the order of
``param_shapes`` (that of the torch class's parameter list; matrices (fan_in, fan_out) row-major).
Graphs: ``ops`` (N, V, F) node features, ``AT`` (N, V, V) transposed 0/1 adjacency (``AT[b, u, v] = 1`` for
an edge v -> u), ``mask`` (N, V) 1 for real nodes, 0 for padding. The functions are plain Python when numba
is missing.
"""
from __future__ import annotations

import math

import numpy as np

from ._jit import njit

_FM = {"reassoc", "contract", "nsz", "arcp"}


def param_shapes(n_feat: int, hidden: int, head: int, gauss: bool) -> list[tuple[int, ...]]:
    """Shapes of the parameter tensors in the torch class's order (22 for NP, 26 for the Gaussian GIN)."""
    H, D = int(hidden), int(head)
    shapes: list[tuple[int, ...]] = []
    for i in range(3):
        shapes += [(int(n_feat) if i == 0 else H, H), (H,), (H, H), (H,), (H,), (H,)]
    shapes += [(H, D), (D,), (D, 1), (1,)]
    if gauss:
        shapes += [(H, D), (D,), (D, 1), (1,)]
    return shapes


def flatten(weights, dtype=np.float32) -> np.ndarray:
    """One flat vector from a list of arrays (the ``weights_`` list of the predictor)."""
    return np.concatenate([np.asarray(w, dtype=dtype).ravel() for w in weights])


def unflatten(p: np.ndarray, shapes) -> list[np.ndarray]:
    """The list of arrays (copies) with ``shapes`` from a flat vector."""
    out, o = [], 0
    for s in shapes:
        k = int(np.prod(s))
        out.append(p[o:o + k].reshape(s).copy())
        o += k
    if o != len(p):
        raise ValueError(f"{len(p)} parameters do not match the shapes ({o})")
    return out


def init_params(n_feat: int, hidden: int, head: int, gauss: bool, rng: np.random.Generator,
                dtype=np.float32) -> np.ndarray:
    """Flat initial parameters, distributed as in the torch class: the GIN MLPs torch.nn.Linear's default
    (weight and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))), BN scale 1 and shift 0, the head layers
    Kaiming-uniform with a = 1 (U(-sqrt(3/fan_in), sqrt(3/fan_in))) and zero biases."""
    parts = []
    shapes = param_shapes(n_feat, hidden, head, gauss)
    for i, s in enumerate(shapes):
        if i < 18:
            k = i % 6
            if k in (0, 2):
                parts.append(rng.uniform(-1, 1, size=s) / np.sqrt(s[0]))
            elif k in (1, 3):
                fan_in = shapes[i - 1][0]
                parts.append(rng.uniform(-1, 1, size=s) / np.sqrt(fan_in))
            elif k == 4:
                parts.append(np.ones(s))
            else:
                parts.append(np.zeros(s))
        elif len(s) == 2:
            parts.append(rng.uniform(-1, 1, size=s) * np.sqrt(3.0 / s[0]))
        else:
            parts.append(np.zeros(s))
    return flatten(parts, dtype)


def group_vectors(shapes, lr: float, weight_decay: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-parameter (lr, weight decay) float64 vectors: biases and BN shifts 2 x lr and no decay (the
    code's ``bias`` groups); weights and BN scales lr and ``weight_decay``."""
    lrs, wds = [], []
    for i, s in enumerate(shapes):
        bias = len(s) == 1 and not (i < 18 and i % 6 == 4)
        k = int(np.prod(s))
        lrs.append(np.full(k, float(lr) * (2.0 if bias else 1.0)))
        wds.append(np.full(k, 0.0 if bias else float(weight_decay)))
    return np.concatenate(lrs), np.concatenate(wds)


@njit
def _offsets(Fin, H, D, gauss):
    """Start of each tensor in the flat vector (26 entries; the last 4 unused without ``gauss``) and P."""
    offs = np.zeros(27, dtype=np.int64)
    o = 0
    for i in range(3):
        fi = Fin if i == 0 else H
        sizes = (fi * H, H, H * H, H, H, H)
        for k in range(6):
            offs[6 * i + k] = o
            o += sizes[k]
    nh = 8 if gauss else 4
    hs = (H * D, D, D, 1, H * D, D, D, 1)
    for k in range(nh):
        offs[18 + k] = o
        o += hs[k]
    offs[26] = o
    return offs


@njit(fastmath=_FM)
def _act(z, celu):
    if z > 0:
        return z
    if celu:
        return math.expm1(z)
    return z * 0


@njit(fastmath=_FM)
def _dact(z, a, celu):
    """Derivative of the activation at pre-activation z with value a (CELU: exp(z) = a + 1 for z <= 0)."""
    if z > 0:
        return z * 0 + 1
    if celu:
        return a + 1
    return z * 0


@njit
def _run(p, Fin, H, D, gauss, X0, ATb, mb, keep, drop_scale, rate, target, stats, train, grad):
    """Forward (and, with ``train``, loss, backward into ``grad`` and the BN-statistics update) of one batch.

    X0 (nb*V, Fin) gathered node features, ATb (nb, V, V), mb (nb, V) mask, keep (nb, D) dropout keep mask
    (ignored unless ``train``), target (nb,), stats (3, 2, H) running mean / variance.
    Returns (out (nb, 2): prediction (NP: rate * sigmoid; BO: mu) and s (BO), loss).
    """
    nb, V = mb.shape
    R = nb * V
    dt = p.dtype
    offs = _offsets(Fin, H, D, gauss)
    cnt = 0.0
    for b in range(nb):
        for u in range(V):
            cnt += mb[b, u]
    # every layer's intermediate values, kept for the backward pass
    OUT = np.empty((3, R, H), dtype=dt)
    AGG0 = np.empty((R, Fin), dtype=dt)
    AGGH = np.empty((2, R, H), dtype=dt)
    Z1 = np.empty((3, R, H), dtype=dt)
    A1 = np.empty((3, R, H), dtype=dt)
    Z2 = np.empty((3, R, H), dtype=dt)
    HH = np.empty((3, R, H), dtype=dt)
    XH = np.empty((3, R, H), dtype=dt)
    INV = np.empty((3, H), dtype=dt)
    for i in range(3):
        x = X0 if i == 0 else OUT[i - 1]
        agg = AGG0 if i == 0 else AGGH[i - 1]
        fi = Fin if i == 0 else H
        W1 = p[offs[6 * i]:offs[6 * i] + fi * H].reshape((fi, H))
        b1 = p[offs[6 * i + 1]:offs[6 * i + 1] + H]
        W2 = p[offs[6 * i + 2]:offs[6 * i + 2] + H * H].reshape((H, H))
        b2 = p[offs[6 * i + 3]:offs[6 * i + 3] + H]
        gam = p[offs[6 * i + 4]:offs[6 * i + 4] + H]
        bet = p[offs[6 * i + 5]:offs[6 * i + 5] + H]
        for r in range(R):
            for c in range(fi):
                agg[r, c] = x[r, c]
        for b in range(nb):
            for u in range(V):
                for v in range(V):
                    if ATb[b, u, v] != 0:
                        w = ATb[b, u, v]
                        for c in range(fi):
                            agg[b * V + u, c] += w * x[b * V + v, c]
        z1 = Z1[i]
        np.dot(agg, W1, z1)
        a1 = A1[i]
        for r in range(R):
            for c in range(H):
                z1[r, c] += b1[c]
                a1[r, c] = _act(z1[r, c], gauss)
        z2 = Z2[i]
        np.dot(a1, W2, z2)
        h = HH[i]
        for r in range(R):
            for c in range(H):
                z2[r, c] += b2[c]
                h[r, c] = _act(z2[r, c], gauss)
        mu = np.zeros(H, dtype=dt)
        var = np.zeros(H, dtype=dt)
        if train:
            for b in range(nb):
                for u in range(V):
                    if mb[b, u] != 0:
                        for c in range(H):
                            mu[c] += h[b * V + u, c]
            for c in range(H):
                mu[c] /= cnt
            for b in range(nb):
                for u in range(V):
                    if mb[b, u] != 0:
                        for c in range(H):
                            d = h[b * V + u, c] - mu[c]
                            var[c] += d * d
            for c in range(H):
                var[c] /= cnt
                # running statistics: momentum 0.1, unbiased variance (torch's BatchNorm)
                stats[i, 0, c] = 0.9 * stats[i, 0, c] + 0.1 * mu[c]
                stats[i, 1, c] = 0.9 * stats[i, 1, c] + 0.1 * var[c] * cnt / max(cnt - 1.0, 1.0)
        else:
            for c in range(H):
                mu[c] = stats[i, 0, c]
                var[c] = stats[i, 1, c]
        inv = INV[i]
        for c in range(H):
            inv[c] = 1.0 / math.sqrt(var[c] + 1e-5)
        xhat = XH[i]
        out = OUT[i]
        for b in range(nb):
            for u in range(V):
                r = b * V + u
                for c in range(H):
                    xhat[r, c] = (h[r, c] - mu[c]) * inv[c]
                    out[r, c] = (xhat[r, c] * gam[c] + bet[c]) * mb[b, u]
    # mean pooling over real nodes
    pooled = np.zeros((nb, H), dtype=dt)
    ncount = np.zeros(nb, dtype=dt)
    x3 = OUT[2]
    for b in range(nb):
        for u in range(V):
            ncount[b] += mb[b, u]
            for c in range(H):
                pooled[b, c] += x3[b * V + u, c]
        for c in range(H):
            pooled[b, c] /= ncount[b]
    # heads
    Wb = p[offs[18]:offs[18] + H * D].reshape((H, D))
    bb = p[offs[19]:offs[19] + D]
    Wm = p[offs[20]:offs[20] + D]
    bm = p[offs[21]]
    zb = np.dot(pooled, Wb)
    ad = np.empty((nb, D), dtype=dt)
    for b in range(nb):
        for k in range(D):
            zb[b, k] += bb[k]
            a = _act(zb[b, k], gauss)
            if train:
                a = a * keep[b, k] / drop_scale
            ad[b, k] = a
    res = np.zeros((nb, 2), dtype=dt)
    u_out = np.empty(nb, dtype=dt)
    for b in range(nb):
        s = bm
        for k in range(D):
            s += ad[b, k] * Wm[k]
        u_out[b] = s
    zs1 = np.empty((nb, D), dtype=dt)
    zs2 = np.empty(nb, dtype=dt)
    if gauss:
        Wbs = p[offs[22]:offs[22] + H * D].reshape((H, D))
        bbs = p[offs[23]:offs[23] + D]
        Ws = p[offs[24]:offs[24] + D]
        bs_ = p[offs[25]]
        zs1 = np.dot(pooled, Wbs)
        for b in range(nb):
            s = bs_
            for k in range(D):
                zs1[b, k] += bbs[k]
                s += _act(zs1[b, k], True) * Ws[k]
            zs2[b] = s
            res[b, 0] = u_out[b]
            res[b, 1] = math.exp(_act(s, True) / 2)
    else:
        for b in range(nb):
            res[b, 0] = rate / (1.0 + math.exp(-u_out[b]))
    if not train:
        return res, 0.0
    # loss and its gradient with respect to the head outputs
    loss = 0.0
    du = np.empty(nb, dtype=dt)
    dzs2 = np.zeros(nb, dtype=dt)
    for b in range(nb):
        if gauss:
            mu_b = res[b, 0]
            s_b = res[b, 1]
            e = target[b] - mu_b
            loss += 0.5 * e * e / (s_b * s_b) + math.log(math.sqrt(2 * math.pi) * s_b)
            du[b] = -e / (s_b * s_b) / nb
            ds = (-e * e / (s_b * s_b * s_b) + 1.0 / s_b) / nb
            dzs2[b] = ds * s_b * 0.5 * _dact(zs2[b], 2 * math.log(s_b), True)
        else:
            o = res[b, 0]
            d = o - target[b]
            loss += d * d
            sig = o / rate
            du[b] = 2.0 * d / nb * rate * sig * (1.0 - sig)
    loss /= nb
    for j in range(grad.shape[0]):
        grad[j] = 0.0
    gWb = grad[offs[18]:offs[18] + H * D].reshape((H, D))
    gbb = grad[offs[19]:offs[19] + D]
    gWm = grad[offs[20]:offs[20] + D]
    dzb = np.empty((nb, D), dtype=dt)
    gbm = 0.0
    for b in range(nb):
        gbm += du[b]
        for k in range(D):
            gWm[k] += ad[b, k] * du[b]
            dzb[b, k] = du[b] * Wm[k] * keep[b, k] / drop_scale * _dact(zb[b, k], _act(zb[b, k], gauss), gauss)
    grad[offs[21]] = gbm
    np.dot(pooled.T, dzb, gWb)
    for b in range(nb):
        for k in range(D):
            gbb[k] += dzb[b, k]
    dpooled = np.dot(dzb, Wb.T)
    if gauss:
        Wbs = p[offs[22]:offs[22] + H * D].reshape((H, D))
        Ws = p[offs[24]:offs[24] + D]
        gWbs = grad[offs[22]:offs[22] + H * D].reshape((H, D))
        gbbs = grad[offs[23]:offs[23] + D]
        gWs = grad[offs[24]:offs[24] + D]
        dzs1 = np.empty((nb, D), dtype=dt)
        gbs = 0.0
        for b in range(nb):
            gbs += dzs2[b]
            for k in range(D):
                a = _act(zs1[b, k], True)
                gWs[k] += a * dzs2[b]
                dzs1[b, k] = dzs2[b] * Ws[k] * _dact(zs1[b, k], a, True)
                gbbs[k] += dzs1[b, k]
        grad[offs[25]] = gbs
        np.dot(pooled.T, dzs1, gWbs)
        dpooled += np.dot(dzs1, Wbs.T)
    # back through the pooling and the three GIN layers
    dy = np.empty((R, H), dtype=dt)
    for b in range(nb):
        for u in range(V):
            for c in range(H):
                dy[b * V + u, c] = dpooled[b, c] / ncount[b] * mb[b, u]
    for i in range(2, -1, -1):
        fi = Fin if i == 0 else H
        W1 = p[offs[6 * i]:offs[6 * i] + fi * H].reshape((fi, H))
        W2 = p[offs[6 * i + 2]:offs[6 * i + 2] + H * H].reshape((H, H))
        gam = p[offs[6 * i + 4]:offs[6 * i + 4] + H]
        gW1 = grad[offs[6 * i]:offs[6 * i] + fi * H].reshape((fi, H))
        gb1 = grad[offs[6 * i + 1]:offs[6 * i + 1] + H]
        gW2 = grad[offs[6 * i + 2]:offs[6 * i + 2] + H * H].reshape((H, H))
        gb2 = grad[offs[6 * i + 3]:offs[6 * i + 3] + H]
        ggam = grad[offs[6 * i + 4]:offs[6 * i + 4] + H]
        gbet = grad[offs[6 * i + 5]:offs[6 * i + 5] + H]
        xhat = XH[i]
        inv = INV[i]
        z1 = Z1[i]
        a1 = A1[i]
        z2 = Z2[i]
        h = HH[i]
        # BatchNorm backward over the real nodes (dy is already zero on padding)
        sdx = np.zeros(H, dtype=dt)
        sdxx = np.zeros(H, dtype=dt)
        for r in range(R):
            for c in range(H):
                ggam[c] += dy[r, c] * xhat[r, c]
                gbet[c] += dy[r, c]
                dxh = dy[r, c] * gam[c]
                sdx[c] += dxh
                sdxx[c] += dxh * xhat[r, c]
        dz2 = np.empty((R, H), dtype=dt)
        for b in range(nb):
            for u in range(V):
                r = b * V + u
                for c in range(H):
                    if mb[b, u] != 0:
                        dh = inv[c] / cnt * (cnt * dy[r, c] * gam[c] - sdx[c] - xhat[r, c] * sdxx[c])
                        dz2[r, c] = dh * _dact(z2[r, c], h[r, c], gauss)
                    else:
                        dz2[r, c] = 0.0
        np.dot(a1.T, dz2, gW2)
        for r in range(R):
            for c in range(H):
                gb2[c] += dz2[r, c]
        dz1 = np.dot(dz2, W2.T)
        for r in range(R):
            for c in range(H):
                dz1[r, c] *= _dact(z1[r, c], a1[r, c], gauss)
                gb1[c] += dz1[r, c]
        agg = AGG0 if i == 0 else AGGH[i - 1]
        np.dot(agg.T, dz1, gW1)
        if i > 0:
            dagg = np.dot(dz1, W1.T)
            dx = dagg.copy()
            for b in range(nb):
                for u in range(V):
                    for v in range(V):
                        if ATb[b, u, v] != 0:
                            w = ATb[b, u, v]
                            for c in range(fi):
                                dx[b * V + v, c] += w * dagg[b * V + u, c]
            # the layer's input was multiplied by the mask
            for b in range(nb):
                for u in range(V):
                    for c in range(H):
                        dx[b * V + u, c] *= mb[b, u]
            dy = dx
    return res, loss


@njit(fastmath=_FM)
def _gather(ops, AT, mask, rows):
    nb = rows.shape[0]
    V = ops.shape[1]
    Fin = ops.shape[2]
    X0 = np.empty((nb * V, Fin), dtype=ops.dtype)
    ATb = np.empty((nb, V, V), dtype=ops.dtype)
    mb = np.empty((nb, V), dtype=ops.dtype)
    for b in range(nb):
        r = rows[b]
        for u in range(V):
            mb[b, u] = mask[r, u]
            for c in range(Fin):
                X0[b * V + u, c] = ops[r, u, c]
            for v in range(V):
                ATb[b, u, v] = AT[r, u, v]
    return X0, ATb, mb


@njit(fastmath=_FM)
def loss_grad(p, H, D, gauss, ops, AT, mask, rows, keep, dropout, rate, target, stats, grad):
    """Loss of the batch ``rows`` (training mode); fills ``grad`` (P,) and updates ``stats`` (3, 2, H).

    ``target`` (len(rows),) are the batch's targets, ``keep`` (len(rows), D) its dropout keep mask.
    Returns (out (nb, 2), loss).
    """
    X0, ATb, mb = _gather(ops, AT, mask, rows)
    return _run(p, ops.shape[2], H, D, gauss, X0, ATb, mb, keep, 1.0 - dropout, rate, target, stats,
                rows.shape[0] >= 0, grad)


@njit(fastmath=_FM)
def fit_gin(p, H, D, gauss, ops, AT, mask, y, perms, keep, batch, dropout, rate, lr_vec, wd_vec, T,
            beta1, beta2, eps, stats):
    """Train ``p`` (P,) in place; return the per-step losses (float64).

    ops (n, V, F), AT (n, V, V), mask (n, V) of p's dtype; y (n,) targets (errors); perms (epochs, n) int64
    row orders; keep (epochs, n, D) dropout keep masks (row ``perms[e, j]`` uses ``keep[e, j]``); batch;
    dropout p; rate (NP's output scale); lr_vec / wd_vec (P,) base learning rates and weight decays; T the
    cosine schedule's period; Adam beta1, beta2, eps; stats (3, 2, H) running BN statistics (in place).
    """
    n = ops.shape[0]
    E = perms.shape[0]
    P = p.shape[0]
    bs = min(batch, n)
    nsteps = E * ((n + bs - 1) // bs)
    losses = np.zeros(nsteps, dtype=np.float64)
    m = np.zeros(P, dtype=p.dtype)
    v = np.zeros(P, dtype=p.dtype)
    grad = np.zeros(P, dtype=p.dtype)
    t = 0
    fac = 1.0
    for ep in range(E):
        for s in range(0, n, bs):
            e_ = min(s + bs, n)
            # contiguous copies, so that _run is compiled once per dtype (the same types as predict_gin)
            rows = perms[ep, s:e_].copy()
            nb = e_ - s
            tgt = np.empty(nb, dtype=p.dtype)
            kb = np.empty((nb, D), dtype=p.dtype)
            for b in range(nb):
                tgt[b] = y[rows[b]]
                for k in range(D):
                    kb[b, k] = keep[ep, s + b, k]
            X0, ATb, mb = _gather(ops, AT, mask, rows)
            _, loss = _run(p, ops.shape[2], H, D, gauss, X0, ATb, mb, kb, 1.0 - dropout, rate, tgt, stats, n > 0,
                           grad)
            losses[t] = loss
            t += 1
            c1 = 1.0 - beta1 ** t
            c2 = math.sqrt(1.0 - beta2 ** t)
            for j in range(P):
                g = grad[j] + wd_vec[j] * p[j]
                m[j] = beta1 * m[j] + (1.0 - beta1) * g
                v[j] = beta2 * v[j] + (1.0 - beta2) * g * g
                p[j] -= (lr_vec[j] * fac / c1) * m[j] / (math.sqrt(v[j]) / c2 + eps)
            fac = 0.5 * (1.0 + math.cos(math.pi * (t + 2) / T))  # the code's CosineLR, after step t
    return losses


@njit(fastmath=_FM)
def predict_gin(p, H, D, gauss, ops, AT, mask, stats, rate):
    """(N, 2) outputs in prediction mode (running BN statistics, no dropout): column 0 the NP prediction
    ``rate * sigmoid`` or the BO mean, column 1 the BO spread ``s`` (0 for NP)."""
    rows = np.arange(ops.shape[0])
    X0, ATb, mb = _gather(ops, AT, mask, rows)
    keep = np.ones((1, 1), dtype=p.dtype)
    tgt = np.zeros(1, dtype=p.dtype)
    grad = np.zeros(1, dtype=p.dtype)
    # ``rows.shape[0] < 0`` is False, written as a run-time value so that this call has the same types as
    # fit_gin's (a literal False would compile _run a second time)
    out, _ = _run(p, ops.shape[2], H, D, gauss, X0, ATb, mb, keep, 1.0 - 0.0 * rate, rate, tgt, stats,
                  rows.shape[0] < 0, grad)
    return out

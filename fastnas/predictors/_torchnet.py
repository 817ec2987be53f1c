"""Small fully connected networks in plain torch, with weights drawn from a seeded numpy Generator.

Weights are created from ``numpy.random.Generator`` draws and minibatches are shuffled by it, so a
predictor's result depends only on its ``seed`` (torch's global RNG is never used). Fitted weights are
plain arrays, which makes persistence safe.
"""
from __future__ import annotations

import contextlib

import numpy as np


@contextlib.contextmanager
def threads(n: int):
    """Run torch with ``n`` intra-op threads, restoring the previous setting afterwards (small networks
    gain nothing from many threads, and on shared machines oversubscription slows everything)."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def init_mlp(sizes, rng: np.random.Generator) -> list[np.ndarray]:
    """Glorot-uniform weights and zero biases for layer sizes ``[d_in, h1, ..., d_out]``."""
    out = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        lim = np.sqrt(6.0 / (a + b))
        out.append(rng.uniform(-lim, lim, size=(a, b)))
        out.append(np.zeros(b))
    return out


def to_torch(arrays):
    import torch

    return [torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=True) for a in arrays]


def to_numpy(params) -> list[np.ndarray]:
    return [p.detach().cpu().numpy().copy() for p in params]


def forward(params, x, act: str = "relu", upto: int | None = None):
    """Apply the layers (``upto`` = number of layers, default all; no activation after the last)."""
    import torch

    f = {"relu": torch.relu, "tanh": torch.tanh}[act]
    n_layers = len(params) // 2
    upto = n_layers if upto is None else upto
    h = x
    for i in range(upto):
        h = h @ params[2 * i] + params[2 * i + 1]
        if i < n_layers - 1:
            h = f(h)
    return h


def train(params, loss_fn, n: int, *, epochs: int, batch_size: int, lr: float, rng: np.random.Generator,
          weight_decay: float = 0.0):
    """Adam over shuffled minibatches; ``loss_fn(index_tensor) -> scalar`` on the rows of one batch."""
    import torch

    opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    bs = max(1, min(int(batch_size), n))
    for _ in range(int(epochs)):
        perm = rng.permutation(n)
        for lo in range(0, n, bs):
            idx = torch.as_tensor(perm[lo:lo + bs])
            opt.zero_grad()
            loss = loss_fn(idx)
            loss.backward()
            opt.step()
    return params

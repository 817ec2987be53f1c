"""Minibatches for the proxies: validation of a user's (X, y), torch datasets, synthetic data."""
from __future__ import annotations

import numpy as np
import torch


def check_xy(X, y, *, num_classes: int | None = None, min_samples: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Validate an image dataset: ``X`` (N, C, H, W) finite floats, ``y`` (N,) integer labels.

    Returns ``(X float32, y int64)``. Raises ``ValueError``/``TypeError`` naming the problem (wrong
    shapes, NaN/inf, mismatched lengths, non-integer or out-of-range labels).

    >>> X, y = check_xy(np.zeros((4, 1, 8, 8)), [0, 1, 0, 1])
    >>> X.shape, y.dtype
    ((4, 1, 8, 8), dtype('int64'))
    """
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    X = np.asarray(X)
    y = np.asarray(y)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must be numeric, got dtype {X.dtype}")
    if X.ndim != 4:
        raise ValueError(f"X must have shape (N, C, H, W) (images, channels first), got shape {X.shape}")
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of integer labels, got shape {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y disagree on the number of samples: X has {X.shape[0]} rows, y has {y.shape[0]}")
    if X.shape[0] < min_samples:
        raise ValueError(f"need at least {min_samples} samples, got {X.shape[0]}")
    if X.dtype.kind == "f":
        bad = ~np.isfinite(X.reshape(X.shape[0], -1)).all(axis=1)
        if bad.any():
            rows = np.flatnonzero(bad)
            raise ValueError(f"X has NaN or inf values in {rows.size} sample(s), first rows {rows[:5].tolist()}")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            row = int(np.flatnonzero(~np.isfinite(y) | (y != np.round(y)))[0])
            raise ValueError(f"y must hold integer class labels; row {row} is {y[row]!r}")
    elif y.dtype.kind not in "iub":
        raise TypeError(f"y must hold integer class labels, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.min() < 0:
        row = int(np.argmin(y))
        raise ValueError(f"labels must be >= 0; row {row} has label {y[row]}")
    if num_classes is not None and y.max() >= num_classes:
        row = int(np.argmax(y))
        raise ValueError(f"label {y[row]} in row {row} is out of range for num_classes={num_classes}")
    return X.astype(np.float32, copy=False), y


def _from_dataset(ds, n: int) -> tuple[np.ndarray, np.ndarray]:
    if not hasattr(ds, "__getitem__") or not hasattr(ds, "__len__"):
        raise TypeError(f"data must be (X, y) arrays or a map-style torch dataset, got {type(ds).__name__}")
    n = min(n, len(ds))
    xs, ys = [], []
    for i in range(n):
        item = ds[i]
        if not isinstance(item, (tuple, list)) or len(item) < 2:
            raise ValueError(f"dataset item {i} must be an (input, label) pair, got {type(item).__name__}")
        xs.append(np.asarray(item[0].numpy() if isinstance(item[0], torch.Tensor) else item[0]))
        ys.append(int(item[1]))
    return np.stack(xs), np.asarray(ys)


def minibatch(data, *, batch_size: int, input_shape: tuple[int, ...], num_classes: int, seed: int,
              device) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``batch_size`` samples of ``data``, or, when ``data`` is None, synthetic inputs
    ``N(0, 1)`` of ``input_shape`` with uniform random labels drawn from a generator seeded by ``seed``.
    """
    if batch_size < 2:
        raise ValueError(f"batch_size must be >= 2 (correlation proxies need two samples), got {batch_size}")
    if data is None:
        gen = torch.Generator().manual_seed(int(seed) & 0x7FFFFFFFFFFFFFFF)
        x = torch.randn((batch_size, *input_shape), generator=gen)
        y = torch.randint(0, num_classes, (batch_size,), generator=gen)
        return x.to(device), y.to(device)
    if isinstance(data, (tuple, list)) and len(data) == 2:
        X, y = data
        X, y = check_xy(X, y, num_classes=num_classes)
        X, y = X[:batch_size], y[:batch_size]
    else:
        X, y = _from_dataset(data, batch_size)
        X, y = check_xy(X, y, num_classes=num_classes)
    return torch.from_numpy(np.ascontiguousarray(X)).to(device), torch.from_numpy(y).to(device)

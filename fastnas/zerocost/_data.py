"""Minibatches for the proxies: validation of a user's (X, y), torch datasets, synthetic data.

The published data-dependent proxies are computed on one real minibatch. Without ``data=`` fastnas
uses a synthetic N(0, 1) batch with random labels, which changes what some proxies measure (jacob_cov
loses most of its correlation with accuracy on noise), so that choice is announced: a ``UserWarning``
once per process at the first call that falls back to it, unless the caller asked for it by name
(``data="synthetic"``). ``describe_data`` gives the one-line source recorded in result tables.
"""
from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import torch

#: the value of ``data=`` that asks for the synthetic batch explicitly (no warning)
SYNTHETIC = "synthetic"
_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_warned_synthetic = False  # once per process


def check_data_arg(data) -> None:
    """Reject a string other than ``"synthetic"`` where ``data`` enters (a typo must not fall back)."""
    if isinstance(data, str) and data != SYNTHETIC:
        raise ValueError(f"data={data!r}: pass (X, y) arrays, a map-style torch dataset, None, or "
                         f"{SYNTHETIC!r} (an explicit synthetic N(0, 1) batch)")


def is_synthetic(data) -> bool:
    """True when the proxies will run on the synthetic batch (``data`` None or ``"synthetic"``)."""
    check_data_arg(data)
    return data is None or data == SYNTHETIC


def _user_stacklevel() -> int:
    """``stacklevel`` for ``warnings.warn`` called from the function that calls this one, pointing at
    the first frame outside the fastnas package (the user's call)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PKG_DIR):
        frame, level = frame.f_back, level + 1
    return level


def warn_synthetic_once(proxies, data) -> None:
    """The once-per-process ``UserWarning`` when data-dependent ``proxies`` fall back to synthetic data
    because ``data`` is None (``data="synthetic"`` is a deliberate choice and stays silent)."""
    global _warned_synthetic
    if data is not None or _warned_synthetic:
        return
    _warned_synthetic = True
    warnings.warn(
        f"no data= given: the data-dependent zero-cost proxies {', '.join(proxies)} run on a synthetic "
        "N(0, 1) batch with random labels, not on a real minibatch as in the published proxies (their "
        "correlation with accuracy changes). Pass data=(X, y) or a torch dataset, or data='synthetic' to "
        "choose synthetic inputs explicitly; shown once per process.",
        UserWarning,
        stacklevel=_user_stacklevel(),
    )


def describe_data(data, *, batch_size: int, input_shape, num_classes: int, seed: int, needed: bool) -> str:
    """One line naming the minibatch the proxies saw (recorded in result tables)."""
    if not needed:
        return "none (data-free proxies)"
    if data is None or (isinstance(data, str) and data == SYNTHETIC):
        return (f"synthetic: N(0, 1) inputs ({batch_size}, {', '.join(map(str, input_shape))}), uniform labels "
                f"0..{num_classes - 1}, seed {seed}")
    if isinstance(data, (tuple, list)) and len(data) == 2:
        n = len(data[0])
        return f"user (X, y) arrays: first {min(batch_size, n)} of {n} samples"
    return f"user dataset {type(data).__name__}: first {min(batch_size, len(data))} samples"


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
            raise ValueError(f"y must hold integer class labels; row {row} is {y[row].item()!r}")
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
    """The first ``batch_size`` samples of ``data``, or, when ``data`` is None or ``"synthetic"``, inputs
    ``N(0, 1)`` of ``input_shape`` with uniform random labels drawn from a generator seeded by ``seed``.
    """
    if batch_size < 2:
        raise ValueError(f"batch_size must be >= 2 (correlation proxies need two samples), got {batch_size}")
    if is_synthetic(data):
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

"""A user's image dataset for AutoML: validation, channel axis, train/validation split, scaling."""
from __future__ import annotations

import numpy as np

from .._rng import as_generator
from ..zerocost._data import check_xy


def prepare(X, y, *, val_fraction: float, seed) -> dict:
    """Validate ``(X, y)``, split off a validation set and standardise with training statistics.

    ``X``: (N, C, H, W), or (N, H, W) for single-channel images; ``y``: (N,) integer labels 0..K-1.
    Returns a dict with ``X_train, y_train, X_val, y_val`` (float32 / int64), ``num_classes``,
    ``mean``, ``std`` (per channel) and the split's ``val_index``.

    >>> d = prepare(np.arange(80.).reshape(10, 2, 2, 2), [0, 1] * 5, val_fraction=0.2, seed=0)
    >>> d["X_train"].shape, d["X_val"].shape, d["num_classes"]
    ((8, 2, 2, 2), (2, 2, 2, 2), 2)
    """
    X = np.asarray(X) if not hasattr(X, "detach") else X.detach().cpu().numpy()
    if X.ndim == 3:
        X = X[:, None]
    X, y = check_xy(X, y, min_samples=4)
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    num_classes = int(y.max()) + 1
    if num_classes < 2:
        raise ValueError("y holds a single class; classification needs at least two")
    missing = np.setdiff1d(np.arange(num_classes), y)
    if missing.size:
        raise ValueError(f"labels must be 0..K-1 with every class present; missing classes {missing[:10].tolist()}")
    n = X.shape[0]
    n_val = max(1, int(round(n * val_fraction)))
    if n - n_val < 2:
        raise ValueError(f"{n} samples leave too few for training with val_fraction={val_fraction}")
    perm = as_generator(seed).permutation(n)
    val_index, train_index = np.sort(perm[:n_val]), np.sort(perm[n_val:])
    Xtr = X[train_index]
    mean = Xtr.mean(axis=(0, 2, 3), dtype=np.float64)
    std = Xtr.std(axis=(0, 2, 3), dtype=np.float64)
    std[std == 0] = 1.0

    def scale(a):
        return ((a - mean[None, :, None, None]) / std[None, :, None, None]).astype(np.float32)

    return {
        "X_train": scale(Xtr), "y_train": y[train_index], "X_val": scale(X[val_index]), "y_val": y[val_index],
        "num_classes": num_classes, "mean": mean, "std": std, "val_index": val_index,
    }

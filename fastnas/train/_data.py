"""Training data in any of the accepted forms, validated up front with clear errors.

Accepted: ``(X, y)`` numpy arrays or torch tensors (X: (n, ...) floats, y: (n,) integer labels), or a
map-style ``torch.utils.data.Dataset`` whose items are ``(x, y)`` pairs.
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np
import torch

__all__ = ["TensorData", "DatasetData", "as_data"]


class TensorData:
    """In-memory samples: batches are index slices of two tensors (no DataLoader overhead)."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor):
        self.X, self.y = X, y

    def __len__(self) -> int:
        return int(self.X.shape[0])

    def batches(self, order: np.ndarray, batch_size: int, device) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        idx = torch.from_numpy(np.ascontiguousarray(order, dtype=np.int64))
        for s in range(0, len(idx), batch_size):
            b = idx[s:s + batch_size]
            yield self.X[b].to(device, non_blocking=True), self.y[b].to(device, non_blocking=True)

    def max_label(self) -> int | None:
        return int(self.y.max()) if len(self) else None


class DatasetData:
    """A map-style torch dataset, read through a DataLoader in a given sample order."""

    def __init__(self, ds, name: str):
        self.ds, self.name = ds, name

    def __len__(self) -> int:
        return len(self.ds)

    def batches(self, order: np.ndarray, batch_size: int, device):
        from torch.utils.data import DataLoader

        chunks = [order[s:s + batch_size].tolist() for s in range(0, len(order), batch_size)]
        # a private generator: the loader's base-seed draw must not advance the global torch RNG
        loader = DataLoader(self.ds, batch_sampler=chunks, num_workers=0, generator=torch.Generator())
        for k, (xb, yb) in enumerate(loader):
            xb, yb = torch.as_tensor(xb), torch.as_tensor(yb)
            _check_batch(xb, yb, self.name, chunks[k][0])
            yield xb.to(device), yb.to(device)

    def max_label(self) -> int | None:
        return None  # checked per batch


def _check_batch(xb: torch.Tensor, yb: torch.Tensor, name: str, first: int) -> None:
    if not torch.is_floating_point(xb):
        raise TypeError(f"{name}: samples must be floating point, got {xb.dtype} (batch from sample {first})")
    if yb.ndim != 1 or yb.shape[0] != xb.shape[0]:
        raise ValueError(f"{name}: labels of batch from sample {first} have shape {tuple(yb.shape)}, "
                         f"expected ({xb.shape[0]},)")
    if yb.dtype.is_floating_point or yb.dtype == torch.bool:
        raise TypeError(f"{name}: labels must be integers, got {yb.dtype}")
    if not torch.isfinite(xb).all():
        bad = int(torch.nonzero(~torch.isfinite(xb.reshape(xb.shape[0], -1)).any(1))[0, 0])
        raise ValueError(f"{name}: sample {first + bad} contains NaN or inf")
    if (yb < 0).any():
        raise ValueError(f"{name}: negative label in batch from sample {first}")


def as_data(data: Any, name: str):
    """Validate and wrap ``data`` (``name`` is "train_data" or "val_data" for the messages)."""
    if isinstance(data, torch.utils.data.Dataset) and not isinstance(data, torch.utils.data.TensorDataset):
        if not hasattr(data, "__len__"):
            raise TypeError(f"{name}: an iterable-style dataset has no length; pass a map-style dataset")
        if len(data) == 0:
            raise ValueError(f"{name}: the dataset is empty")
        return DatasetData(data, name)
    if isinstance(data, torch.utils.data.TensorDataset):
        if len(data.tensors) != 2:
            raise ValueError(f"{name}: a TensorDataset must hold exactly (X, y), got {len(data.tensors)} tensors")
        data = tuple(data.tensors)
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{name}: expected (X, y) arrays/tensors or a torch Dataset, got {type(data).__name__}")
    X, y = (_to_tensor(v, f"{name}[{k}]") for k, v in zip("01", data))
    if X.ndim < 2:
        raise ValueError(f"{name}: X must have a sample axis and feature axes, got shape {tuple(X.shape)}")
    if y.ndim != 1:
        raise ValueError(f"{name}: y must be 1-D (one integer label per sample), got shape {tuple(y.shape)}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"{name}: X has {X.shape[0]} samples but y has {y.shape[0]} labels")
    if X.shape[0] == 0:
        raise ValueError(f"{name}: no samples")
    if not torch.is_floating_point(X):
        X = X.to(torch.float32)
    if X.dtype == torch.float16 or X.dtype == torch.bfloat16:
        X = X.to(torch.float32)
    finite = torch.isfinite(X.reshape(X.shape[0], -1)).all(1)
    if not finite.all():
        bad = int(torch.nonzero(~finite)[0, 0])
        raise ValueError(f"{name}: X contains NaN or inf (first at sample {bad})")
    if y.dtype.is_floating_point:
        if not torch.isfinite(y).all() or not torch.equal(y, torch.round(y)):
            raise ValueError(f"{name}: y must hold integer class labels, got non-integer values")
    elif y.dtype == torch.bool:
        raise TypeError(f"{name}: y must hold integer class labels, not bool")
    y = y.to(torch.int64)
    if (y < 0).any():
        bad = int(torch.nonzero(y < 0)[0, 0])
        raise ValueError(f"{name}: label {int(y[bad])} of sample {bad} is negative")
    return TensorData(X.contiguous(), y.contiguous())


def _to_tensor(v: Any, name: str) -> torch.Tensor:
    if isinstance(v, torch.Tensor):
        return v.detach().cpu()
    a = np.asarray(v)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a numeric array, got dtype {a.dtype}")
    if a.dtype.kind == "f" and a.dtype != np.float32:
        a = a.astype(np.float32)
    return torch.from_numpy(np.ascontiguousarray(a))

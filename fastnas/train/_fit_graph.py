"""``fit_graph``: full-batch node classification for the NAS-Bench-Graph GNNs (or any model called as
``model(x, edge_index)``), with the same learning curves, callbacks and determinism as ``fit``."""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Iterable

import numpy as np
import torch
from torch import nn

from .._rng import base_seed
from ._fit import _check_args, _epoch_rng, _lr_at, _make_optimizer, _resolve_device
from ._result import Curves, TrainResult

__all__ = ["fit_graph"]


def _as_tensor(v, name: str) -> torch.Tensor:
    if isinstance(v, torch.Tensor):
        return v.detach().cpu()
    a = np.asarray(v)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a numeric array, got dtype {a.dtype}")
    return torch.from_numpy(np.ascontiguousarray(a))


def _check_graph(x, edge_index, y, train_mask, val_mask):
    x = _as_tensor(x, "x")
    if x.ndim != 2:
        raise ValueError(f"x must be (nodes, features), got shape {tuple(x.shape)}")
    x = x.to(torch.float32)
    n = x.shape[0]
    bad = ~torch.isfinite(x).all(1)
    if bad.any():
        raise ValueError(f"x contains NaN or inf (first at node {int(torch.nonzero(bad)[0, 0])})")
    ei = _as_tensor(edge_index, "edge_index")
    if ei.ndim != 2 or ei.shape[0] != 2:
        raise ValueError(f"edge_index must be (2, edges), got shape {tuple(ei.shape)}")
    if ei.dtype.is_floating_point or ei.dtype == torch.bool:
        raise TypeError(f"edge_index must hold integer node ids, got {ei.dtype}")
    ei = ei.to(torch.int64)
    if ei.numel() and (int(ei.min()) < 0 or int(ei.max()) >= n):
        raise ValueError(f"edge_index refers to nodes outside 0..{n - 1}")
    y = _as_tensor(y, "y")
    if y.shape != (n,):
        raise ValueError(f"y must have one label per node, shape ({n},), got {tuple(y.shape)}")
    if y.dtype.is_floating_point or y.dtype == torch.bool:
        raise TypeError(f"y must hold integer class labels, got {y.dtype}")
    y = y.to(torch.int64)
    masks = []
    for name, m in (("train_mask", train_mask), ("val_mask", val_mask)):
        if m is None:
            masks.append(None)
            continue
        m = _as_tensor(m, name)
        if m.dtype != torch.bool:
            idx = m.to(torch.int64)
            if idx.ndim != 1 or (idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= n)):
                raise ValueError(f"{name}: a boolean mask of shape ({n},) or node indices in 0..{n - 1} expected")
            m = torch.zeros(n, dtype=torch.bool)
            m[idx] = True
        elif m.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},), got {tuple(m.shape)}")
        if not m.any():
            raise ValueError(f"{name} selects no node")
        masks.append(m)
    if (y[masks[0]] < 0).any():
        raise ValueError("train_mask selects nodes with negative labels")
    return x, ei, y, masks[0], masks[1]


def fit_graph(model: nn.Module, x, edge_index, y, train_mask, val_mask=None, *, epochs: int,
              optimizer: str = "adam", lr: float = 0.01, momentum: float = 0.9, weight_decay: float = 5e-4,
              schedule: str = "constant", seed=0, device=None,
              callbacks: Iterable[Callable[[Curves], Any]] = (), progress: bool = True) -> TrainResult:
    """Full-batch node classification: one optimiser step per epoch on the nodes of ``train_mask``.

    Parameters
    ----------
    model : torch.nn.Module
        Called as ``model(x, edge_index)``, returning (nodes, classes) logits (e.g. ``GNNNetwork``).
    x : (nodes, features) float array or tensor
    edge_index : (2, edges) int array or tensor, source -> target
    y : (nodes,) int labels (nodes outside the masks may hold any value, e.g. -1)
    train_mask, val_mask : bool masks of shape (nodes,) or node-index arrays; ``val_mask=None`` leaves the
        validation curves NaN.
    epochs, optimizer, lr, momentum, weight_decay, schedule, seed, device, callbacks, progress :
        as in ``fit`` (defaults here: Adam, lr 0.01, constant schedule). Dropout randomness of every epoch
        derives from ``(seed, epoch)``; the caller's global torch RNG is restored.

    Returns
    -------
    TrainResult (train curves from the training-mode forward pass of each step; validation in eval mode)

    Examples
    --------
    >>> import torch
    >>> from fastnas.models import GNNNetwork
    >>> x, ei = torch.randn(6, 3), torch.tensor([[0, 1, 2, 3, 4], [1, 2, 3, 4, 5]])
    >>> y = torch.tensor([0, 1, 0, 1, 0, 1])
    >>> net = GNNNetwork([0, 1, 2, 3], [1, 1, 7, 8], in_channels=3, num_classes=2, hidden=4)
    >>> res = fit_graph(net, x, ei, y, torch.arange(4), torch.arange(4, 6), epochs=3, progress=False)
    >>> res.val_acc.shape
    (3,)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    _check_args(epochs, optimizer, lr, momentum, weight_decay, 1, schedule)
    callbacks = list(callbacks)
    for i, cb in enumerate(callbacks):
        if not callable(cb):
            raise TypeError(f"callbacks[{i}] is a {type(cb).__name__}, not callable")
    x, ei, y, tm, vm = _check_graph(x, edge_index, y, train_mask, val_mask)
    dev = _resolve_device(device)
    model.to(dev)
    x, ei, y = x.to(dev), ei.to(dev), y.to(dev)
    tm = tm.to(dev)
    vm = vm.to(dev) if vm is not None else None
    base = int(base_seed(seed))
    opt = _make_optimizer(model, optimizer, lr, momentum, weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    curves, stopped = Curves(epochs=int(epochs)), False
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, desc="train", unit="epoch")
    fork = [dev] if dev.type == "cuda" else []
    n_out = None
    with torch.random.fork_rng(devices=fork):
        for epoch in range(epochs):
            t0 = time.perf_counter()
            torch.manual_seed(int(_epoch_rng(base, epoch).integers(0, 2**63 - 1)))
            lr_e = _lr_at(lr, epoch, epochs, schedule)
            for g in opt.param_groups:
                g["lr"] = lr_e
            model.train()
            out = model(x, ei)
            if n_out is None:
                if not isinstance(out, torch.Tensor):
                    raise TypeError(f"the model must return a (nodes, classes) logits tensor, got {type(out).__name__}")
                if out.ndim != 2 or out.shape[0] != x.shape[0]:
                    raise ValueError(f"the model must output (nodes, classes) logits, got {tuple(out.shape)}")
                n_out = int(out.shape[1])
                for name, m in (("train_mask", tm), ("val_mask", vm)):
                    if m is not None and ((y[m] < 0) | (y[m] >= n_out)).any():
                        raise ValueError(f"{name} selects labels outside 0..{n_out - 1}")
            loss = loss_fn(out[tm], y[tm])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tl = float(loss.detach())
            if not math.isfinite(tl):
                raise FloatingPointError(f"training loss became {tl} in epoch {epoch + 1}; lower lr")
            ta = 100.0 * float((out.detach()[tm].argmax(1) == y[tm]).float().mean())
            vl = va = math.nan
            if vm is not None:
                model.eval()
                with torch.no_grad():
                    o = model(x, ei)
                    vl = float(loss_fn(o[vm], y[vm]))
                    va = 100.0 * float((o[vm].argmax(1) == y[vm]).float().mean())
            for k, v in (("train_loss", tl), ("train_acc", ta), ("val_loss", vl), ("val_acc", va), ("lr", lr_e),
                         ("epoch_time", time.perf_counter() - t0)):
                getattr(curves, k).append(float(v))
            if bar is not None:
                bar.update(1)
            votes = [bool(cb(curves)) for cb in callbacks]
            if any(votes) and epoch + 1 < epochs:
                stopped = True
                break
    if bar is not None:
        bar.close()
    model.eval()
    return TrainResult(model=model, curves=curves, stopped_early=stopped, device=str(dev))

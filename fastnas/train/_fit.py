"""``fit``: train a classifier for a number of epochs and record learning curves.

Determinism: every epoch draws its sample order and its torch seed from ``(seed, epoch)`` alone, so a run is
reproducible on CPU and a run resumed from a checkpoint continues exactly as the uninterrupted run would
(the checkpoint holds the model and optimizer state; the learning rate is a function of the epoch). The
caller's global torch RNG state is saved and restored. On CUDA, results depend on cuDNN's algorithm choice
unless the caller enables ``torch.backends.cudnn.deterministic``.
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch
from torch import nn

from .._rng import base_seed
from ._checkpoint import load_checkpoint, save_checkpoint
from ._data import TensorData, as_data
from ._result import Curves, TrainResult

__all__ = ["fit"]

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("cosine", "constant")


def _resolve_device(device) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available")
    return dev


def _lr_at(lr: float, epoch: int, epochs: int, schedule: str) -> float:
    if schedule == "cosine":  # per-epoch cosine annealing to 0 (Loshchilov & Hutter 2017, no restarts)
        return lr * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))
    return lr


def _epoch_rng(base: int, epoch: int) -> np.random.Generator:
    return np.random.default_rng([int(base), int(epoch)])


def _check_args(epochs, optimizer, lr, momentum, weight_decay, batch_size, schedule) -> None:
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    for name, v in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
        if not isinstance(v, (int, float, np.floating, np.integer)) or not math.isfinite(v) or v < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")


def _make_optimizer(model: nn.Module, name: str, lr: float, momentum: float, weight_decay: float):
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay,
                               nesterov=momentum > 0)
    return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)


def _n_outputs(model: nn.Module, data, device) -> int:
    """Classifier width from one eval-mode forward pass of one sample (no state changes)."""
    x, _ = next(iter(data.batches(np.arange(1), 1, device)))
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(x)
    finally:
        model.train(was)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"the model must return a (batch, classes) logits tensor, got {type(out).__name__}")
    if out.ndim != 2:
        raise ValueError(f"the model must output (batch, classes) logits, got shape {tuple(out.shape)}")
    return int(out.shape[1])


def _check_labels(data, n_out: int, name: str) -> None:
    m = data.max_label()
    if m is not None and m >= n_out:
        bad = int(torch.nonzero(data.y >= n_out)[0, 0])
        raise ValueError(f"{name}: label {int(data.y[bad])} of sample {bad} is out of range for a model with "
                         f"{n_out} outputs (labels must be in 0..{n_out - 1})")


def _run_epoch(model, data, order, batch_size, device, n_out, opt=None, name="train_data"):
    """One pass; trains when ``opt`` is given. Returns (mean loss, accuracy %)."""
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    total, correct, count = 0.0, 0, 0
    model.train(opt is not None)
    ctx = torch.enable_grad() if opt is not None else torch.no_grad()
    with ctx:
        for xb, yb in data.batches(order, batch_size, device):
            if not isinstance(data, TensorData) and int(yb.max()) >= n_out:
                raise ValueError(f"{name}: label {int(yb.max())} is out of range for a model with {n_out} outputs")
            out = model(xb)
            loss = loss_fn(out, yb)
            if opt is not None:
                opt.zero_grad(set_to_none=True)
                (loss / xb.shape[0]).backward()
                opt.step()
            total += float(loss.detach())
            correct += int((out.detach().argmax(1) == yb).sum())
            count += int(xb.shape[0])
    return total / count, 100.0 * correct / count


def fit(model: nn.Module, train_data, val_data=None, *, epochs: int, optimizer: str = "sgd", lr: float = 0.1,
        momentum: float = 0.9, weight_decay: float = 5e-4, batch_size: int = 64, schedule: str = "cosine",
        seed=0, device=None, checkpoint: str | Path | None = None, resume: bool = True,
        callbacks: Iterable[Callable[[Curves], Any]] = (), progress: bool = True) -> TrainResult:
    """Train a classifier with cross-entropy, recording per-epoch learning curves.

    Parameters
    ----------
    model : torch.nn.Module
        Maps a batch of samples to (batch, classes) logits; trained in place (moved to ``device``).
    train_data, val_data : (X, y) numpy arrays or torch tensors, or a map-style torch Dataset of (x, y)
        X floating point (n, ...), y integer labels (n,) in 0..classes-1. ``val_data=None`` leaves the
        validation curves NaN. Shapes, NaN/inf, label types and range, and lengths are checked first.
    epochs : int
        Planned number of epochs (the cosine schedule spans them).
    optimizer : {"sgd", "adam"}
        SGD uses Nesterov momentum when ``momentum > 0`` (as NAS-Bench-201 training does).
    lr, momentum, weight_decay, batch_size :
        Optimiser settings (defaults as NAS-Bench-201: 0.1, 0.9, 5e-4; batch size 64 here).
    schedule : {"cosine", "constant"}
        Per-epoch learning rate: ``lr * (1 + cos(pi * epoch / epochs)) / 2`` or constant.
    seed : int, numpy Generator or None
        Sample order and torch randomness (dropout etc.) of every epoch derive from it.
    device : str or torch.device, optional
        Default CUDA when available, else CPU.
    checkpoint : path, optional
        A directory: after every epoch ``state.pt`` and ``curves.json`` are written atomically there.
    resume : bool
        Continue from the checkpoint in ``checkpoint`` if there is one (its settings must match these).
    callbacks : iterable of callables
        Each is called after every epoch with the ``Curves`` so far; a truthy return stops the run
        (early stopping, e.g. a learning-curve predictor's verdict; see ``PatienceStop``).
    progress : bool
        A tqdm bar over epochs.

    Returns
    -------
    TrainResult

    Examples
    --------
    >>> import numpy as np, torch
    >>> X = np.random.default_rng(0).normal(size=(64, 1, 4, 4)).astype("float32")
    >>> y = (X.mean(axis=(1, 2, 3)) > 0).astype(int)
    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))
    >>> res = fit(net, (X, y), (X, y), epochs=3, lr=0.05, seed=0, progress=False)
    >>> res.val_acc.shape
    (3,)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    _check_args(epochs, optimizer, lr, momentum, weight_decay, batch_size, schedule)
    callbacks = list(callbacks)
    for i, cb in enumerate(callbacks):
        if not callable(cb):
            raise TypeError(f"callbacks[{i}] is a {type(cb).__name__}, not callable")
    train = as_data(train_data, "train_data")
    val = as_data(val_data, "val_data") if val_data is not None else None
    dev = _resolve_device(device)
    model.to(dev)
    n_out = _n_outputs(model, train, dev)
    for d, name in ((train, "train_data"), (val, "val_data")):
        if d is not None and isinstance(d, TensorData):
            _check_labels(d, n_out, name)

    ckpt_dir = Path(checkpoint) if checkpoint is not None else None
    if ckpt_dir is not None and ckpt_dir.exists() and not ckpt_dir.is_dir():
        raise ValueError(f"checkpoint must be a directory; {ckpt_dir} is a file")
    saved = load_checkpoint(ckpt_dir) if (ckpt_dir is not None and resume) else None
    base = int(saved["config"]["seed"]) if (saved is not None and seed is None) else int(base_seed(seed))
    config = {"epochs": int(epochs), "optimizer": optimizer, "lr": float(lr), "momentum": float(momentum),
              "weight_decay": float(weight_decay), "batch_size": int(batch_size), "schedule": schedule,
              "seed": base, "n_train": len(train), "n_val": len(val) if val is not None else 0,
              "n_params": int(sum(p.numel() for p in model.parameters()))}
    opt = _make_optimizer(model, optimizer, lr, momentum, weight_decay)
    curves, stopped, start = Curves(epochs=int(epochs)), False, 0
    if saved is not None:
        diff = sorted(k for k in config if saved["config"].get(k) != config[k])
        if diff:
            raise ValueError(f"checkpoint {ckpt_dir} was made with other settings ({', '.join(diff)}); "
                             "pass resume=False to start over or use another directory")
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        curves, stopped = Curves.from_dict(saved["curves"]), bool(saved["stopped_early"])
        start = len(curves)

    epochs_iter = range(start, epochs)
    bar = None
    if progress and start < epochs and not stopped:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, initial=start, desc="train", unit="epoch")
    fork = [dev] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=fork):
        for epoch in epochs_iter:
            if stopped:
                break
            t0 = time.perf_counter()
            rng = _epoch_rng(base, epoch)
            order = rng.permutation(len(train))
            if len(order) % batch_size == 1 and len(order) > 1:
                order = order[:-1]  # a trailing batch of one breaks batch norm in training mode
            torch.manual_seed(int(rng.integers(0, 2**63 - 1)))
            lr_e = _lr_at(lr, epoch, epochs, schedule)
            for g in opt.param_groups:
                g["lr"] = lr_e
            tl, ta = _run_epoch(model, train, order, batch_size, dev, n_out, opt)
            if not math.isfinite(tl):
                raise FloatingPointError(f"training loss became {tl} in epoch {epoch + 1}; lower lr")
            vl, va = (_run_epoch(model, val, np.arange(len(val)), batch_size, dev, n_out, name="val_data")
                      if val is not None else (math.nan, math.nan))
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)
            for k, v in (("train_loss", tl), ("train_acc", ta), ("val_loss", vl), ("val_acc", va), ("lr", lr_e),
                         ("epoch_time", time.perf_counter() - t0)):
                getattr(curves, k).append(float(v))
            votes = [bool(cb(curves)) for cb in callbacks]  # every callback sees every epoch
            stopped = any(votes) and epoch + 1 < epochs
            if ckpt_dir is not None:
                save_checkpoint(ckpt_dir, {"model": model.state_dict(), "optimizer": opt.state_dict(),
                                           "curves": curves.to_dict(), "config": config, "stopped_early": stopped})
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{tl:.3f}", val_acc=f"{va:.1f}")
    if bar is not None:
        bar.close()
    model.eval()
    return TrainResult(model=model, curves=curves, stopped_early=stopped, resumed_from=start, device=str(dev))

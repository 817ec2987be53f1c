"""Training one AutoML candidate with ``fastnas.train.fit``: early-stopping and deadline callback,
checkpoint directory, saved weights."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def _weights_path(checkpoint: Path) -> Path:
    return checkpoint.with_name(checkpoint.name + ".weights.pt")


def train_candidate(space, cells, d: dict, *, num_classes: int, in_channels: int, build_kw: dict, epochs: int,
                    optimizer: str, lr: float, batch_size: int, seed: int, device, deadline: float, stopper,
                    checkpoint: Path | None) -> dict:
    """Build and train one cell's network; returns ``{"model", "record"}`` where ``record`` holds the
    learning curves (accuracies as fractions), the stop reason (``completed``, ``early``, ``budget``)
    and the training seconds. ``deadline`` is a ``time.time()`` value (comparable across worker processes)."""
    import torch

    from .. import models, train

    model = models.build(space, cells, num_classes=num_classes, in_channels=in_channels, seed=seed, **build_kw)
    reason = {"why": "completed"}

    def callback(curves) -> bool:
        acc = np.asarray(curves.val_acc, dtype=np.float64) / 100.0
        if len(acc) < epochs and time.time() >= deadline:
            reason["why"] = "budget"
            return True
        if stopper is not None and len(acc) < epochs and stopper.should_stop(acc):
            reason["why"] = "early"
            return True
        return False

    t0 = time.perf_counter()
    res = train.fit(model, (d["X_train"], d["y_train"]), (d["X_val"], d["y_val"]), epochs=epochs,
                    optimizer=optimizer, lr=lr, batch_size=batch_size, schedule="cosine", seed=seed, device=device,
                    checkpoint=checkpoint, resume=True, callbacks=(callback,), progress=False)
    seconds = time.perf_counter() - t0
    if not res.stopped_early:
        reason["why"] = "completed"
    elif reason["why"] == "completed":  # stopped by a callback we did not see fire (resumed run)
        reason["why"] = "early"
    if checkpoint is not None:
        torch.save({k: v.detach().cpu() for k, v in res.model.state_dict().items()}, _weights_path(checkpoint))
    record = {
        "train_loss": [float(v) for v in res.curves.train_loss],
        "train_acc": [float(v) / 100.0 for v in res.curves.train_acc],
        "val_loss": [float(v) for v in res.curves.val_loss],
        "val_acc": [float(v) / 100.0 for v in res.curves.val_acc],
        "stopped": reason["why"],
        "seconds": seconds,
    }
    return {"model": res.model, "record": record}


def load_trained(space, cells, rec: dict, *, num_classes: int, in_channels: int, build_kw: dict,
                 checkpoint: Path | None):
    """Rebuild a candidate trained in an earlier session and load its saved weights (``weights_only``)."""
    from .. import models
    from .._safeload import torch_load_plain

    model = models.build(space, cells, num_classes=num_classes, in_channels=in_channels, **build_kw)
    if checkpoint is None:
        raise RuntimeError("the best candidate was trained in an earlier session but no out_dir holds its weights")
    path = _weights_path(checkpoint / f"cand{rec['index']:04d}_{rec['key']}.pt")
    model.load_state_dict(torch_load_plain(path, "saved weights"))
    return model.eval()

"""``run``: AutoML on a user's image dataset -- zero-cost pre-screening, a NAS optimizer with real
training, learning-curve early stopping, a wall-clock budget, checkpoint and resume, a report."""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._rng import base_seed
from ..zerocost._score import row_seed
from ._budget import parse_budget
from ._data import prepare
from ._report import tables, write_report
from ._state import load_state, save_state
from ._stopping import MedianStopping
from ._train import train_candidate

_FORMAT = "fastnas-automl-1"


@dataclasses.dataclass
class AutoMLResult:
    """What ``run`` returns.

    Attributes
    ----------
    best_cell : Cells
        The best candidate (a batch of one) by best validation accuracy.
    best_arch : str
        Its string form (``space.to_strings``).
    best_val_acc : float
    model : torch.nn.Module
        The best network with its trained weights.
    table : DataFrame
        One row per trained candidate (arch, proxy score, epochs, stop reason, accuracies, seconds).
    curves : DataFrame
        Learning curves, one row per candidate and epoch (train/val loss and accuracy).
    files : dict
        Paths of the report files (empty without ``out_dir``).
    prescreen : DataFrame
        Every pre-screened cell with its proxy score, best first.
    """

    best_cell: Any
    best_arch: str
    best_val_acc: float
    model: Any
    table: pd.DataFrame
    curves: pd.DataFrame
    files: dict
    prescreen: pd.DataFrame


def _cells_to_json(cells) -> dict:
    return {k: v.tolist() for k, v in cells.arrays().items()}


def _cells_from_json(space, obj: dict):
    return space.cells_type(**{k: np.asarray(v) for k, v in obj.items()})


def _make_optimizer(algorithm, space, seed: int):
    if not isinstance(algorithm, str):
        return algorithm  # an optimizer instance with ask/tell
    from .. import search

    return search.make(algorithm, space, seed=seed)


def run(X, y, space="nb201", budget="30m", algorithm="bananas", *, epochs: int = 12, width: int = 8,
        cells_per_stage: int = 1, proxy: str = "synflow", n_prescreen: int = 200, keep_fraction: float = 0.25,
        n_initial: int = 4, max_candidates: int | None = None, early_stop: bool = True,
        grace_epochs: int | None = None, val_fraction: float = 0.2, batch_size: int = 64, optimizer: str = "sgd",
        lr: float = 0.05, max_idle_proposals: int = 200, out_dir=None, resume: bool = True, seed=0, device=None,
        workers: int = 1, threads: int | None = None, progress: bool = True) -> AutoMLResult:
    """Search a cell space for a network for ``(X, y)`` within a wall-clock budget.

    1. Split off ``val_fraction`` of the data for validation; standardise per channel.
    2. Zero-cost pre-screening: sample ``n_prescreen`` distinct cells, score each with ``proxy`` on a
       training minibatch; the top ``keep_fraction`` form the pool and set the admission threshold.
    3. The ``n_initial`` best pre-screened cells are trained first; then the optimizer (``algorithm``:
       a ``fastnas.search`` name such as ``"bananas"``, or a fresh ask/tell instance) proposes cells one
       at a time. A proposal scoring below the threshold is told the worst accuracy seen, untrained
       (zero-cost rejection); a proposal trained already is told its recorded accuracy; the others are
       trained for ``epochs`` with ``fastnas.train.fit`` and told their best validation accuracy.
    4. With ``early_stop``, a candidate whose best validation accuracy falls below the median of the
       completed candidates' curves at the same epoch is stopped (median stopping rule, after
       ``grace_epochs``, default ``epochs // 3``).
    5. Stops when the budget is spent (a running candidate is cut at the deadline), after
       ``max_candidates`` trained candidates, or after ``max_idle_proposals`` proposals in a row that
       were all rejected or already trained.

    ``workers > 1`` trains that many candidates at a time on Ray workers (``ray`` installed; a local
    Ray instance is started if none is running): the optimizer asks for ``workers`` cells per round and
    the early-stopping rule of each worker sees the curves completed before its round started.

    ``threads`` sets torch's CPU thread count for the run (restored afterwards); on a shared machine
    ``threads=1`` avoids oversubscription, which can slow small networks tenfold.

    With ``out_dir``, the run state is checkpointed after each candidate (``state.json``; training
    checkpoints per candidate under ``ckpt/``) and a later call with the same arguments resumes it;
    the report (tables, learning-curve and proxy plots, ``report.md``) is written there too.

    Examples
    --------
    >>> from sklearn.datasets import load_digits  # doctest: +SKIP
    >>> d = load_digits()  # doctest: +SKIP
    >>> res = run(d.images / 16.0, d.target, budget="3m", epochs=8, out_dir="automl-digits")  # doctest: +SKIP
    >>> res.best_arch, res.best_val_acc  # doctest: +SKIP
    """
    if threads is None:
        return _run(X, y, space, budget, algorithm, **_kw(locals()))
    import torch

    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int or None, got {threads!r}")
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _run(X, y, space, budget, algorithm, **_kw(locals()))
    finally:
        torch.set_num_threads(old)


def _kw(scope: dict) -> dict:
    skip = {"X", "y", "space", "budget", "algorithm", "threads", "torch", "old"}
    return {k: v for k, v in scope.items() if k not in skip}


def _run(X, y, space, budget, algorithm, *, epochs, width, cells_per_stage, proxy, n_prescreen, keep_fraction,
         n_initial, max_candidates, early_stop, grace_epochs, val_fraction, batch_size, optimizer, lr,
         max_idle_proposals, out_dir, resume, seed, device, workers, progress) -> AutoMLResult:
    from ..spaces import SearchSpace, get_space
    from ..zerocost import score

    t_start = time.monotonic()
    seconds = parse_budget(budget)
    sp = space if isinstance(space, SearchSpace) else get_space(space)
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    if not 0.0 < keep_fraction <= 1.0:
        raise ValueError(f"keep_fraction must be in (0, 1], got {keep_fraction}")
    base = int(base_seed(seed))
    d = prepare(X, y, val_fraction=val_fraction, seed=row_seed(base, 0))
    nc, in_ch = d["num_classes"], d["X_train"].shape[1]
    build_kw = {"width": width}
    if sp.name == "nb201":
        build_kw["N"] = cells_per_stage
    out = Path(out_dir) if out_dir is not None else None
    state_path = out / "state.json" if out is not None else None
    config = {"space": sp.name, "algorithm": algorithm if isinstance(algorithm, str) else type(algorithm).__name__,
              "epochs": epochs, "width": width, "cells_per_stage": cells_per_stage, "proxy": proxy,
              "n_prescreen": n_prescreen, "keep_fraction": keep_fraction, "n_initial": n_initial,
              "val_fraction": val_fraction, "batch_size": batch_size, "optimizer": optimizer, "lr": lr,
              "seed": base, "early_stop": early_stop, "n": int(len(d["y_train"]) + len(d["y_val"]))}
    state = load_state(state_path) if (state_path is not None and resume) else None
    if state is not None and state["config"] != config:
        raise ValueError(f"{state_path} was written by a run with other settings; use another out_dir or "
                         f"resume=False (saved {state['config']}, now {config})")
    if state is None:
        state = {"format": _FORMAT, "config": config, "elapsed": 0.0, "candidates": [], "rounds": [],
                 "prescreen": None}
    # wall-clock deadline (time.time), comparable in Ray worker processes
    deadline = time.time() + max(seconds - state["elapsed"], 0.0)

    def checkpoint():
        if state_path is not None:
            state["elapsed"] = elapsed0 + (time.monotonic() - t_start)
            save_state(state_path, state)

    elapsed0 = state["elapsed"]

    # -- 2. zero-cost pre-screening ------------------------------------------------------------
    if state["prescreen"] is None:
        cand = sp.sample(n_prescreen, seed=row_seed(base, 1), unique=True)
        zc = score(sp, cand, proxy, data=(d["X_train"], d["y_train"]), seed=row_seed(base, 2),
                   batch_size=min(batch_size, len(d["y_train"])), num_classes=nc, progress=progress, **build_kw)
        order = np.argsort(np.where(np.isnan(zc), -np.inf, -zc), kind="stable")
        state["prescreen"] = {"cells": _cells_to_json(cand[order]), "scores": [float(v) for v in zc[order]]}
        checkpoint()
    pre_cells = _cells_from_json(sp, state["prescreen"]["cells"])
    pre_scores = np.asarray(state["prescreen"]["scores"], dtype=np.float64)
    n_keep = max(1, int(np.ceil(keep_fraction * len(pre_scores))))
    # keep_fraction=1 admits every proposal with a finite score (no zero-cost rejection)
    threshold = -np.inf if keep_fraction >= 1.0 else pre_scores[min(n_keep, len(pre_scores)) - 1]
    known = {int(k): float(v) for k, v in zip(np.asarray(sp.key(pre_cells)), pre_scores)}

    def proxy_of(cells) -> np.ndarray:
        keys = [int(k) for k in np.asarray(sp.key(cells))]
        todo = [i for i, k in enumerate(keys) if k not in known]
        if todo:
            new = score(sp, cells[np.asarray(todo)], proxy, data=(d["X_train"], d["y_train"]),
                        seed=row_seed(base, 2), batch_size=min(batch_size, len(d["y_train"])), num_classes=nc,
                        **build_kw)
            for i, v in zip(todo, new):
                known[keys[i]] = float(v)
        return np.array([known[k] for k in keys], dtype=np.float64)

    stopper = MedianStopping(grace_epochs=grace_epochs or max(1, epochs // 3), min_completed=3)
    for c in state["candidates"]:
        if c["stopped"] == "completed":
            stopper.add_completed(c["val_acc"])
    trained_keys = {c["key"] for c in state["candidates"]}
    models: dict[int, Any] = {}

    pool = _RayPool(workers) if workers > 1 else None

    def train_many(jobs: list) -> list[dict]:
        """Train (cells, proxy_score) jobs: in this process, or on Ray workers in parallel."""
        idx0 = len(state["candidates"])
        args = []
        for j, (cells, _) in enumerate(jobs):
            key = format(int(np.asarray(sp.key(cells))[0]), "x")
            args.append(dict(
                num_classes=nc, in_channels=in_ch, build_kw=build_kw, epochs=epochs, optimizer=optimizer, lr=lr,
                batch_size=batch_size, seed=row_seed(base, 1000 + idx0 + j), device=device, deadline=deadline,
                stopper=stopper if early_stop else None,
                checkpoint=(out / "ckpt" / f"cand{idx0 + j:04d}_{key}.pt") if out is not None else None))
        if pool is None:
            results = [train_candidate(sp, cells, d, **a) for (cells, _), a in zip(jobs, args)]
        else:
            results = pool.map(sp, [c for c, _ in jobs], d, args)
        recs = []
        for j, ((cells, proxy_score), res) in enumerate(zip(jobs, results)):
            idx = idx0 + j
            key = format(int(np.asarray(sp.key(cells))[0]), "x")
            rec = {"index": idx, "key": key, "arch": sp.to_strings(cells)[0], "cells": _cells_to_json(cells),
                   "proxy_score": proxy_score, **res["record"]}
            models[idx] = res["model"]
            state["candidates"].append(rec)
            trained_keys.add(key)
            if rec["stopped"] == "completed":
                stopper.add_completed(rec["val_acc"])
            if progress:
                print(f"[automl] candidate {idx}: {rec['arch']}  best val acc "
                      f"{max(rec['val_acc'], default=np.nan):.4f}  ({rec['stopped']}, {len(rec['val_acc'])} epochs, "
                      f"{rec['seconds']:.1f}s)")
            recs.append(rec)
        checkpoint()
        return recs

    def done() -> bool:
        return time.time() >= deadline or (
            max_candidates is not None and len(state["candidates"]) >= max_candidates)

    try:
        # -- 3a. the best pre-screened cells first ---------------------------------------------------
        todo = []
        for i in range(min(n_initial, len(pre_cells))):
            key = format(int(np.asarray(sp.key(pre_cells[i]))[0]), "x")
            if key not in trained_keys:
                todo.append((pre_cells[i], float(pre_scores[i])))
        step = max(1, workers)
        while todo and not done():
            room = len(todo) if max_candidates is None else max_candidates - len(state["candidates"])
            batch, todo = todo[:min(step, room)], todo[min(step, room):]
            train_many(batch)

        # -- 3b. optimizer proposals, zero-cost admission --------------------------------------------
        opt = _make_optimizer(algorithm, sp, row_seed(base, 3))
        # the optimizer only accepts values of cells it asked for: the pre-screened candidates above are not
        # told; when it proposes one of them, it is told the recorded accuracy without retraining
        for r in state["rounds"]:  # replay finished rounds (proposals are deterministic under the seed)
            asked = opt.ask(len(r["values"]))
            opt.tell(asked, np.asarray(r["values"], dtype=np.float64))
        idle = 0  # proposals in a row that trained nothing (seen or rejected)
        while not done() and idle < max_idle_proposals:
            room = step if max_candidates is None else min(step, max_candidates - len(state["candidates"]))
            asked = opt.ask(room)
            zc = proxy_of(asked)
            keys = [format(int(k), "x") for k in np.asarray(sp.key(asked))]
            values = np.zeros(len(asked))
            floor = min((max(c["val_acc"], default=0.0) for c in state["candidates"]), default=0.0)
            jobs, slots = [], []
            for j, key in enumerate(keys):
                seen = [c for c in state["candidates"] if c["key"] == key]
                if seen:
                    values[j] = max(seen[0]["val_acc"], default=0.0)
                elif not (zc[j] >= threshold):  # NaN proxies are rejected too
                    values[j] = floor
                else:
                    jobs.append((asked[j], float(zc[j])))
                    slots.append(j)
            for j, rec in zip(slots, train_many(jobs) if jobs else []):
                values[j] = max(rec["val_acc"], default=0.0)
            opt.tell(asked, values)
            idle = 0 if jobs else idle + len(asked)
            state["rounds"].append({"values": [float(v) for v in values], "trained": len(jobs)})
            checkpoint()
    finally:
        if pool is not None:
            pool.close()

    # -- 5. the result ---------------------------------------------------------------------------
    if not state["candidates"]:
        raise RuntimeError(f"the budget ({seconds:.0f}s) ended before any candidate was trained; raise it")
    table, curves = tables(state["candidates"])
    best_i = int(table["best_val_acc"].idxmax())
    best = state["candidates"][best_i]
    model = models.get(best["index"])
    if model is None:  # trained in an earlier session: rebuild and load its saved weights
        from ._train import load_trained

        model = load_trained(sp, _cells_from_json(sp, best["cells"]), best, num_classes=nc, in_channels=in_ch,
                             build_kw=build_kw, checkpoint=out / "ckpt" if out is not None else None)
    prescreen = pd.DataFrame({"arch": sp.to_strings(pre_cells), "proxy_score": pre_scores})
    files = {}
    if out is not None:
        files = write_report(out, table, curves, proxy=proxy, title=f"fastnas automl ({sp.name})")
        prescreen.to_csv(out / "prescreen.csv", index=False)
        files["prescreen"] = str(out / "prescreen.csv")
    return AutoMLResult(best_cell=_cells_from_json(sp, best["cells"]), best_arch=best["arch"],
                        best_val_acc=float(table.loc[best_i, "best_val_acc"]), model=model, table=table,
                        curves=curves, files=files, prescreen=prescreen)


class _RayPool:
    """Ray tasks training candidates in parallel (started lazily; shut down if we started Ray)."""

    def __init__(self, workers: int):
        try:
            import ray
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError('workers > 1 needs ray: pip install "fastnas[ray]"') from exc
        self._ray = ray
        self._started = not ray.is_initialized()
        if self._started:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
        self._task = ray.remote(num_cpus=1)(train_candidate)

    def map(self, space, cells_list, d, args):
        data_ref = self._ray.put(d)
        futures = [self._task.remote(space, cells, data_ref, **a) for cells, a in zip(cells_list, args)]
        return self._ray.get(futures)

    def close(self):
        if self._started:
            self._ray.shutdown()

"""``score``: zero-cost proxies for a batch of cells (or of torch networks), one value per row."""
from __future__ import annotations

import copy
import time
import warnings
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from .._kernels.rng import PyRng
from .._rng import base_seed
from . import _activation, _gradient, _static
from ._layers import logits_of
from ._data import _user_stacklevel, check_data_arg, describe_data, is_synthetic, minibatch, warn_synthetic_once

# name -> (function(model, x, y) -> float, needs real data). Data-free proxies ignore ``data``.
PROXIES: dict[str, tuple[Callable, bool]] = {
    "synflow": (_gradient.synflow, False),
    "snip": (_gradient.snip, True),
    "grasp": (_gradient.grasp, True),
    "fisher": (_gradient.fisher, True),
    "grad_norm": (_gradient.grad_norm, True),
    "plain": (_gradient.plain, True),
    "jacob_cov": (_activation.jacob_cov, True),
    "nwot": (_activation.nwot, True),
    "epe_nas": (_activation.epe_nas, True),
    "zen": (_activation.zen, False),
    "l2_norm": (_static.l2_norm, False),
    "params": (_static.params, False),
    "flops": (_static.flops, False),
}
#: the NAS-Bench-Suite-Zero name of each proxy where it differs (``jacov``)
NASLIB_NAMES = {"jacob_cov": "jacov"}


def _check_proxy(proxy: str) -> str:
    if not isinstance(proxy, str) or proxy.lower() not in PROXIES:
        raise ValueError(f"unknown proxy {proxy!r}; valid: {', '.join(sorted(PROXIES))}")
    return proxy.lower()


def _device(device) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def row_seed(base: int, row: int) -> int:
    """The torch seed of row ``row``: first splitmix64 draw of stream ``row`` (63 bits), so a cell's
    network and score do not depend on which batch it came in."""
    return PyRng(int(base), row).next() >> 1


def cell_keys(cells) -> np.ndarray:
    """A 63-bit content key per row (blake2b of the row's field bytes): a cell's network seed is
    ``row_seed(base, key)``, so the same cell gets the same network and score in any batch."""
    import hashlib

    if not callable(getattr(cells, "arrays", None)):
        raise TypeError(f"cells must be a Cells batch (e.g. NB201Cells), got {type(cells).__name__}")
    arrays = cells.arrays()
    out = np.empty(len(cells), dtype=np.int64)
    for i in range(len(cells)):
        h = hashlib.blake2b(digest_size=8)
        for name in sorted(arrays):
            h.update(name.encode())
            h.update(np.ascontiguousarray(arrays[name][i]).tobytes())
        out[i] = int.from_bytes(h.digest(), "little") >> 1
    return out


def _plan(proxies: Sequence[str]) -> list[tuple[str, ...]]:
    """Proxies that read the same pass run together: snip/plain/grad_norm/fisher share one loss
    forward/backward, jacob_cov/epe_nas/nwot one input-Jacobian pass; the others run alone."""
    fams = (_gradient.LOSS_FAMILY, _activation.JACOBIAN_FAMILY)
    plan: list[tuple[str, ...]] = []
    for p in proxies:
        fam = next((f for f in fams if p in f), None)
        if fam is None:
            plan.append((p,))
        elif not any(g[0] in fam for g in plan):
            plan.append(tuple(q for q in proxies if q in fam))
    return plan


def _param_dtype(model: nn.Module) -> torch.dtype | None:
    """The floating dtype of a network's first floating parameter (None: it has none)."""
    return next((p.dtype for p in model.parameters() if p.is_floating_point()), None)


def _as_model_dtype(x: torch.Tensor, model: nn.Module) -> torch.Tensor:
    """The minibatch in the network's parameter dtype (a float64 network gets float64 inputs)."""
    dt = _param_dtype(model)
    return x if dt is None or x.dtype == dt else x.to(dt)


def output_width(model: nn.Module, input_shape: tuple[int, ...], where: str = "the network") -> int:
    """The number of class logits a network returns: one forward pass in eval mode, without gradients, on
    two zero samples of ``input_shape`` (the modules' train/eval flags are restored afterwards).

    Raises ``ValueError`` when the network fails on that input or does not return ``(batch, classes)``.

    >>> import torch.nn as nn
    >>> output_width(nn.Sequential(nn.Flatten(), nn.Linear(12, 3)), (3, 2, 2))
    3
    """
    p = next(iter(model.parameters()), None)
    x = torch.zeros((2, *input_shape), dtype=_param_dtype(model) or torch.get_default_dtype(),
                    device=p.device if p is not None else "cpu")
    flags = [m.training for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            out = logits_of(model(x))
    except Exception as e:  # noqa: BLE001 - any failure here is a wrong input shape or a broken network
        raise ValueError(f"{where} fails on an input of shape {tuple(x.shape)} (input_shape={tuple(input_shape)}):"
                         f" {type(e).__name__}: {e}") from e
    finally:
        for m, f in zip(model.modules(), flags):
            m.training = f
    if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[0] != 2:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"{where} must return (batch, classes) logits, got {shape} for a batch of 2")
    return int(out.shape[1])


def _apply_group(names: tuple[str, ...], model: nn.Module, x, y, num_classes: int, seed: int) -> dict:
    x = _as_model_dtype(x, model)
    if len(names) > 1 and names[0] in _gradient.LOSS_FAMILY:
        return _gradient.loss_gradient_proxies(model, x, y, names)
    if len(names) > 1:
        return _activation.jacobian_proxies(model, x, y, names, num_classes=num_classes)
    return {names[0]: _apply(names[0], model, x, y, num_classes, seed)}


def _apply(name: str, model: nn.Module, x, y, num_classes: int, seed: int) -> float:
    fn, _ = PROXIES[name]
    if name == "epe_nas":
        return fn(model, x, y, num_classes=num_classes)
    if name == "zen":
        return fn(model, x, y, seed=seed)
    return fn(model, x, y)


def _report_nonfinite(name: str, values: np.ndarray) -> np.ndarray:
    bad = ~np.isfinite(values)
    if bad.any():
        rows = np.flatnonzero(bad)
        warnings.warn(
            f"proxy {name!r} is not finite (NaN/inf) for {rows.size} of {values.size} rows "
            f"(first rows {rows[:8].tolist()}); reported as NaN",
            RuntimeWarning,
            stacklevel=_user_stacklevel(),  # the user's call of score / score_models / score_table
        )
        values = values.copy()
        values[bad] = np.nan
    return values


def _resolve_group(group_size, dev: torch.device) -> int:
    if group_size is None:
        return 64 if dev.type == "cuda" else 1  # grouped convs pay off on a GPU; on CPU they are slower
    if isinstance(group_size, bool) or not isinstance(group_size, (int, np.integer)) or group_size < 1:
        raise ValueError(f"group_size must be a positive int or None, got {group_size!r}")
    return int(group_size)


def _grouped_loop(make_model, n, proxies, x, y, *, dev, base, keys, group, input_shape, num_classes, progress):
    """``group`` networks per grouped pass: synflow (``_grouped``) and the proxies of
    ``_grouped_nb201.GROUPED_PROXIES`` on NB201 networks, the same set on DARTS and NB101 networks
    (``_grouped_darts``, ``_grouped_nb101``); any other proxy, and networks of another structure
    (``TypeError`` from the grouped builders), one network at a time."""
    from ._grouped import synflow_nb201_grouped
    from ._grouped_darts import grouped_darts_proxies
    from ._grouped_nb101 import grouped_nb101_proxies
    from ._grouped_nb201 import GROUPED_PROXIES, grouped_nb201_proxies

    def first_that_groups(calls):  # each builder raises TypeError for networks it cannot group
        for call in calls:
            try:
                return call()
            except TypeError:
                continue
        raise TypeError("no grouped form for these networks")

    def synflow_grouped(nets):
        x1 = torch.zeros((1, *input_shape), dtype=torch.float64, device=dev)
        return first_that_groups([lambda: synflow_nb201_grouped(nets, input_shape, dev)] + [
            lambda f=f: f(nets, x1, None, ["synflow"], device=dev)["synflow"]
            for f in (grouped_darts_proxies, grouped_nb101_proxies)])

    def proxies_grouped(nets, xx):
        return first_that_groups([lambda f=f: f(nets, xx, y, together, num_classes=num_classes, device=dev)
                                  for f in (grouped_nb201_proxies, grouped_darts_proxies, grouped_nb101_proxies)])

    values = {p: np.full(n, np.nan) for p in proxies}
    times = {p: np.zeros(n) for p in proxies}
    together = [p for p in proxies if p in GROUPED_PROXIES]
    fork_devices = [dev] if dev.type == "cuda" else []
    starts = range(0, n, group)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc=f"zero-cost {','.join(proxies)} (groups of {group})", unit="group")

    def timed(fn):
        t0 = time.perf_counter()
        out = fn()
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        return out, time.perf_counter() - t0

    for start in starts:
        idx = list(range(start, min(start + group, n)))
        nets, seeds, states = [], [], []
        for i in idx:
            s = row_seed(base, i if keys is None else int(keys[i]))
            with torch.random.fork_rng(devices=fork_devices):
                torch.manual_seed(s)
                nets.append(make_model(i, s))
                # the generator state a one-at-a-time run continues from (dropout, drop path draw from it)
                states.append((torch.get_rng_state(),
                               torch.cuda.get_rng_state(dev) if dev.type == "cuda" else None))
            seeds.append(s)
        rest = [p for p in proxies if p not in together and p != "synflow"]
        if "synflow" in proxies:
            try:
                v, dt = timed(lambda: synflow_grouped(nets))
                values["synflow"][idx], times["synflow"][idx] = v, dt / len(nets)
            except TypeError:  # not a set of NB201 networks: the one-at-a-time definition
                rest.insert(0, "synflow")
        if together:
            try:
                got, dt = timed(lambda: proxies_grouped(nets, _as_model_dtype(x, nets[0])))
                for p in together:
                    values[p][idx], times[p][idx] = got[p], dt / (len(nets) * len(together))
            except TypeError:
                rest = together + rest
        plan = _plan([p for p in proxies if p in rest])  # the order of the one-at-a-time path
        for k, (i, s) in enumerate(zip(idx, seeds)):
            model = nets[k].to(dev)
            # exactly as _score_loop's one-at-a-time path: the network's own seeded stream, continued from
            # its construction, inside fork_rng (the caller's global torch generator is left untouched)
            with torch.random.fork_rng(devices=fork_devices):
                torch.set_rng_state(states[k][0])
                if states[k][1] is not None:
                    torch.cuda.set_rng_state(states[k][1], dev)
                for names in plan:
                    got, dt = timed(lambda: _apply_group(names, copy.deepcopy(model), x, y, num_classes, s))
                    for p in names:
                        values[p][i], times[p][i] = got[p], dt / len(names)
    return {p: _report_nonfinite(p, values[p]) for p in proxies}, times


def _score_loop(make_model: Callable[[int, int], nn.Module], n: int, proxies: Sequence[str], data, *,
                device, seed, batch_size, progress, num_classes, input_shape, keys=None, group_size=None,
                check_batch=None):
    check_data_arg(data)
    dev = _device(device)
    base = int(base_seed(seed))
    group = _resolve_group(group_size, dev)
    uses_data = [p for p in proxies if PROXIES[p][1]]
    if uses_data:
        warn_synthetic_once(uses_data, data)
    source = describe_data(data, batch_size=batch_size, input_shape=input_shape, num_classes=num_classes,
                           seed=base, needed=bool(uses_data))
    x, y = minibatch(data, batch_size=batch_size, input_shape=input_shape, num_classes=num_classes,
                     seed=row_seed(base, 2**63), device=dev)
    if check_batch is not None:
        check_batch(x, y)
    if group > 1:
        return (*_grouped_loop(make_model, n, list(proxies), x, y, dev=dev, base=base, keys=keys, group=group,
                               input_shape=input_shape, num_classes=num_classes, progress=progress), source)
    values = {p: np.full(n, np.nan) for p in proxies}
    times = {p: np.zeros(n) for p in proxies}
    plan = _plan(proxies)
    rows = range(n)
    if progress:
        from tqdm.auto import tqdm

        rows = tqdm(rows, desc="zero-cost " + ",".join(proxies), unit="net")
    fork_devices = [dev] if dev.type == "cuda" else []
    for i in rows:
        s = row_seed(base, i if keys is None else int(keys[i]))
        with torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(s)
            model = make_model(i, s).to(dev)
            for names in plan:
                net = copy.deepcopy(model) if len(plan) > 1 else model
                t0 = time.perf_counter()
                got = _apply_group(names, net, x, y, num_classes, s)
                if dev.type == "cuda":
                    torch.cuda.synchronize(dev)
                dt = (time.perf_counter() - t0) / len(names)  # a shared pass's time, split evenly
                for p in names:
                    values[p][i] = got[p]
                    times[p][i] = dt
    return {p: _report_nonfinite(p, values[p]) for p in proxies}, times, source


def _infer_shapes(data, num_classes, input_shape, in_channels):
    check_data_arg(data)
    if data is not None and isinstance(data, (tuple, list)) and len(data) == 2:
        X = np.asarray(data[0].shape if isinstance(data[0], torch.Tensor) else np.shape(data[0]))
        if input_shape is None and X.size == 4:
            input_shape = tuple(int(v) for v in X[1:])
        if num_classes is None:
            yy = data[1].detach().cpu().numpy() if isinstance(data[1], torch.Tensor) else np.asarray(data[1])
            if yy.size and yy.dtype.kind in "iuf" and np.all(np.isfinite(yy)):
                num_classes = max(int(yy.max()) + 1, 2)
    if input_shape is None:
        input_shape = (in_channels, 32, 32)
    return (10 if num_classes is None else int(num_classes)), tuple(input_shape)


def score(space, cells, proxy: str, data=None, device=None, seed=0, batch_size: int = 64,
          progress: bool = False, *, num_classes: int | None = None, input_shape: tuple[int, ...] | None = None,
          return_time: bool = False, group_size: int | None = None, **build_kw):
    """Zero-cost proxy score of every cell of a batch.

    Parameters
    ----------
    space : SearchSpace or str
        The cells' space (``"nb201"``, ``NB201()``, ...); networks come from ``fastnas.models.build``.
    cells : Cells
        The batch to score; each row's network is initialised from a seed derived from ``seed`` and the
        row's content (``cell_keys``), so a cell gets the same score in any batch and any position.
    proxy : str
        One of ``PROXIES``: synflow, snip, grasp, jacob_cov, fisher, grad_norm, nwot, plain, l2_norm,
        epe_nas, zen, params, flops.
    data : (X, y) arrays, a map-style torch dataset, "synthetic", or None
        The minibatch source (its first ``batch_size`` samples). ``"synthetic"``: ``N(0, 1)`` inputs of
        ``input_shape`` with uniform random labels, drawn from ``seed``. None: the same synthetic batch,
        with a ``UserWarning`` (once per process) for a data-dependent proxy, since the published proxies
        use a real minibatch. Data-free proxies (synflow, zen, params, flops, l2_norm) never look at it.
    device : str or torch.device, optional
        Default: CUDA when available, else CPU.
    seed : int, Generator or None
        Network initialisation and synthetic data; same seed, same scores.
    num_classes, input_shape : optional
        Default: from ``data`` (labels' max + 1, ``X.shape[1:]``), else 10 and ``(3, 32, 32)``.
    return_time : bool
        Also return the per-cell compute time of the proxy in seconds (network construction excluded;
        in grouped mode each cell gets its group's time divided by the group's size).
    group_size : int, optional
        Score this many NB201, DARTS or NB101 networks per grouped forward/backward pass (channels stacked,
        ``groups=B`` convolutions; ``_grouped.py`` for synflow, ``_grouped_nb201.py`` for snip, plain,
        grad_norm, fisher, jacob_cov, epe_nas, nwot and grasp on NB201; ``_grouped_darts.py`` and
        ``_grouped_nb101.py`` for all nine). Same values as one network at a time (to round-off: float64
        tests agree to 1e-12 on NB201, 1e-9 on DARTS and NB101); zen and the static proxies, and networks
        of other kinds or of mixed macro settings, are still computed one at a time. Default 64 on CUDA,
        1 (off) on CPU, where grouped convolutions measured slower (see benchmarks/README.md); full-size
        DARTS and NB101 networks need a smaller group on most GPUs (docs/zerocost.md).
    **build_kw
        Passed to ``fastnas.models.build`` (e.g. ``width=``).

    Returns
    -------
    ndarray of float64, shape (len(cells),)
        Higher is better for every proxy except where the literature says otherwise (plain, flops,
        params are raw quantities). Non-finite values are NaN, with a ``RuntimeWarning`` naming rows.

    Examples
    --------
    >>> from fastnas.spaces import NB201
    >>> cells = NB201.from_strings(["|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    ...                             "+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"])  # doctest: +SKIP
    >>> score("nb201", cells, "synflow", width=4)  # doctest: +SKIP
    array([...])
    """
    name = _check_proxy(proxy)
    from .. import models

    sp = space  # a SearchSpace or a name: models.build dispatches on it
    in_channels = build_kw.pop("in_channels", None)
    nc, shape = _infer_shapes(data, num_classes, input_shape, in_channels or 3)

    def make(i, _s):
        return models.build(sp, cells[i], num_classes=nc, in_channels=shape[0], seed=_s, **build_kw)

    vals, times, _ = _score_loop(make, len(cells), [name], data, device=device, seed=seed, batch_size=batch_size,
                                 progress=progress, num_classes=nc, input_shape=shape, keys=cell_keys(cells),
                                 group_size=group_size)
    return (vals[name], times[name]) if return_time else vals[name]


#: proxies defined by gradients with respect to the weights (a network without trainable weights has none)
_WEIGHT_GRADIENT_PROXIES = frozenset({"synflow", "snip", "grasp", "fisher", "grad_norm", "plain"})


def score_models(models_: Sequence[nn.Module], proxy: str, data=None, device=None, seed=0, batch_size: int = 64,
                 progress: bool = False, *, num_classes: int | None = None,
                 input_shape: tuple[int, ...] | None = None, return_time: bool = False,
                 group_size: int | None = None):
    """``score`` for networks you built yourself (any ``nn.Module`` whose output is (batch, classes)
    logits). The networks are copied, never modified; their weights are used as given (only zen draws
    fresh weights, from the seed of the network's position in the list). Inputs are cast to each network's
    parameter dtype (a float64 network sees float64 data).

    For the data-dependent proxies the networks' output width is read from one forward pass each: labels
    (the data's, or ``num_classes``) that a network has no logit for raise ``ValueError``, and without
    ``num_classes`` or labelled data the synthetic labels are drawn from ``0..width-1`` (the smallest
    width in the list).

    >>> import torch.nn as nn
    >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    >>> score_models([net], "params", input_shape=(1, 8, 8), num_classes=3)
    array([475.])
    """
    name = _check_proxy(proxy)
    models_ = list(models_)
    for i, m in enumerate(models_):
        if not isinstance(m, nn.Module):
            raise TypeError(f"models[{i}] is a {type(m).__name__}, not a torch.nn.Module")
    if name in _WEIGHT_GRADIENT_PROXIES:
        for i, m in enumerate(models_):
            if not any(p.requires_grad for p in m.parameters()):
                raise ValueError(f"models[{i}] has no trainable parameter (requires_grad is False for all): "
                                 f"{name!r} is computed from gradients with respect to the weights")
    nc, shape = _infer_shapes(data, num_classes, input_shape, 3)
    check = None
    if PROXIES[name][1]:  # the proxy reads labels: they must be logits the networks have
        if num_classes is None and is_synthetic(data):  # synthetic labels: drawn within the networks' width
            nc = min(output_width(m, shape, f"models[{i}]") for i, m in enumerate(models_))

        def check(x, y):  # the minibatch as read (a dataset's shape is known only now)
            for i, m in enumerate(models_):
                w = output_width(m, tuple(x.shape[1:]), f"models[{i}]")
                if num_classes is not None and int(num_classes) > w:
                    what = f"num_classes={int(num_classes)}"
                elif int(y.max()) >= w:
                    row = int(torch.argmax(y))
                    what = f"the data holds label {int(y[row])} (row {row})"
                else:
                    continue
                raise ValueError(f"labels out of range: models[{i}] outputs {w} class logits "
                                 f"(labels 0..{w - 1}), but {what}")
    vals, times, _ = _score_loop(lambda i, _s: copy.deepcopy(models_[i]), len(models_), [name], data,
                                 device=device, seed=seed, batch_size=batch_size, progress=progress,
                                 num_classes=nc, input_shape=shape, group_size=group_size, check_batch=check)
    return (vals[name], times[name]) if return_time else vals[name]


def score_table(space, cells, proxies: Sequence[str] = tuple(PROXIES), data=None, device=None, seed=0,
                batch_size: int = 64, progress: bool = False, *, num_classes: int | None = None,
                input_shape: tuple[int, ...] | None = None, group_size: int | None = None, **build_kw):
    """Several proxies at once (each network built once): a pandas DataFrame with one column per proxy,
    a ``time_<proxy>`` column of seconds, and a ``data`` column (also ``df.attrs["data"]``) naming the
    minibatch the data-dependent proxies saw (e.g. ``"synthetic: N(0, 1) inputs (64, 3, 32, 32), ..."``
    or ``"user (X, y) arrays: first 64 of 500 samples"``). Same values as ``score`` for each proxy;
    arguments as in ``score`` (``data=None`` warns once per process for data-dependent proxies).

    >>> score_table("nb201", cells, ["synflow", "nwot"], width=4)  # doctest: +SKIP
    """
    import pandas as pd

    from .. import models

    if isinstance(proxies, str):
        raise TypeError(f"proxies must be a sequence of proxy names, got the string {proxies!r}")
    names = [_check_proxy(p) for p in proxies]
    if len(set(names)) != len(names) or not names:
        raise ValueError(f"proxies must be distinct and non-empty, got {list(proxies)!r}")
    sp = space  # a SearchSpace or a name: models.build dispatches on it
    in_channels = build_kw.pop("in_channels", None)
    nc, shape = _infer_shapes(data, num_classes, input_shape, in_channels or 3)

    def make(i, _s):
        return models.build(sp, cells[i], num_classes=nc, in_channels=shape[0], seed=_s, **build_kw)

    vals, times, source = _score_loop(make, len(cells), names, data, device=device, seed=seed,
                                      batch_size=batch_size, progress=progress, num_classes=nc, input_shape=shape,
                                      keys=cell_keys(cells), group_size=group_size)
    cols = {p: vals[p] for p in names}
    cols.update({f"time_{p}": times[p] for p in names})
    df = pd.DataFrame(cols)
    df["data"] = source
    df.attrs["data"] = source
    return df

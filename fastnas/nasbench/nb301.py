"""NAS-Bench-301 as YAHPO Gym's *surrogate*: validation accuracy, loss and runtime of any DARTS cell at any
epoch 1..98, predicted by a neural network (not measured).

Source: YAHPO Gym (Pfisterer et al., AutoML 2022; github.com/slds-lmu/yahpo_gym, Apache-2.0), model
``nb301/model_v2.onnx`` of slds-lmu/yahpo_data, fitted to the NAS-Bench-301 training logs (Siems, Zimmer, Zela,
Lukasik, Keuper, Hutter, "NAS-Bench-301 and the Case for Surrogate Benchmarks for Neural Architecture Search";
data: Zimmer 2020, figshare 13286105, CIFAR-10). Vendored by ``scripts/build_nb301.py`` into
``fastnas/data/nb301/cifar10/`` with a checksummed manifest; every file is checked on first use.

The ONNX graph is evaluated here in numpy (float32, BLAS): 34 embedding lookups + the scaled epoch -> a linear
layer -> 5 residual blocks ``h += W1 (a * relu(g))`` with ``[a, g] = W0 BN(h) + b0`` -> ``relu(BN(h))`` -> a
4-unit head -> sigmoid -> per-target back-transform (``[0, 1]`` clamp for accuracy, ``exp`` for the two runtime
targets). Inference-mode batch norms are folded into the following linear layer and the categorical half of
the first layer into per-column tables; the results equal onnxruntime's to float32 round-off (tested on
random cells and epochs). Output order (YAHPO Gym ``nb301`` ``y_names`` of the v2 model): ``val_accuracy``
(fraction), ``val_cross_entropy``, ``runtime`` (seconds of training up to the epoch), ``runtime_increase``
(seconds). Note: the PyPI release ``yahpo-gym==1.0.2`` still lists the v1 names ``["val_accuracy",
"runtime"]`` and would label the v2 model's second output (the loss) "runtime"; fastnas follows the v2 names.

Speed: each cell-epoch costs one pass through the network (about 1.3 MFLOP: five 128x684 and 342x128
matrix products), so throughput is bounded by single-precision matrix-multiply speed, about 10^5
cell-epochs per second per core -- well below the 10^6 the issue hoped for; see ``benchmarks/bench_nb301.py``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ._store import _crc32, _sha256
from .nb301_encoding import cells_to_x_cat, check_encoding

FORMAT = "fastnas-surrogate"
N_BLOCKS = 5
EPOCHS = (1, 98)
#: metric name -> (output column, scale to fastnas units, unit)
METRICS = {"accuracy": (0, 100.0, "percent"), "loss": (1, 1.0, "cross-entropy (nats)"),
           "runtime": (2, 1.0, "seconds (training up to the epoch)"),
           "runtime_increase": (3, 1.0, "seconds (YAHPO's runtime_increase target)")}


class SurrogateError(ValueError):
    """The vendored surrogate files are missing, damaged or of an unknown format (the message names the file)."""


def _bn_fold(w, prefix, eps):
    s = w[f"{prefix}.weight"].astype(np.float64) / np.sqrt(w[f"{prefix}.running_var"].astype(np.float64) + eps)
    t = w[f"{prefix}.bias"].astype(np.float64) - w[f"{prefix}.running_mean"].astype(np.float64) * s
    return s, t


def prepare(w: dict) -> dict:
    """Evaluation-ready float32 arrays from the raw weights (``weights.npz``): batch norms folded into the next
    linear layer (in float64, then rounded once), the categorical part of the first layer as per-column tables.
    """
    eps = float(np.asarray(w["bn_eps"]).reshape(-1)[0])
    first_W = w["first.W"].astype(np.float64)  # (128, 169)
    tables, col = [], 0
    for k in range(34):
        e = w[f"emb.{k}"].astype(np.float64)  # (vocab, d_k)
        d = e.shape[1]
        tables.append(e @ first_W[:, col: col + d].T)  # (vocab, 128)
        col += d
    if col + 1 != first_W.shape[1]:
        raise SurrogateError(f"embedding widths sum to {col}, the first layer takes {first_W.shape[1] - 1} + epoch")
    vocab = max(t.shape[0] for t in tables)
    table = np.zeros((34, vocab, first_W.shape[0]))
    for k, t in enumerate(tables):
        table[k, : t.shape[0]] = t
    p = {"table": table.astype(np.float32), "vocab": np.array([t.shape[0] for t in tables]),
         "w_epoch": first_W[:, col].astype(np.float32), "b_first": w["first.b"].astype(np.float32),
         "epoch_scale": w["epoch_scale"].astype(np.float32), "blocks": []}
    for b in range(N_BLOCKS):
        s, t = _bn_fold(w, f"block{b}.bn", eps)
        W0 = w[f"block{b}.W0"].astype(np.float64)
        p["blocks"].append(((W0 * s[None, :]).T.astype(np.float32),  # (128, 684) for x @ W
                            (W0 @ t + w[f"block{b}.b0"]).astype(np.float32),
                            w[f"block{b}.W1"].T.astype(np.float32).copy(),  # (342, 128)
                            w[f"block{b}.b1"].astype(np.float32)))
    s, t = _bn_fold(w, "last.bn", eps)
    p["last_s"], p["last_t"] = s.astype(np.float32), t.astype(np.float32)
    p["head_W"], p["head_b"] = w["head.W"].T.astype(np.float32).copy(), w["head.b"].astype(np.float32)
    p["out_affine"], p["out_bounds"] = w["out_affine"].astype(np.float32), w["out_bounds"].astype(np.float32)
    p["out_exp"] = w["out_exp"].astype(bool)
    return p


def _epoch_feature(p, epochs: np.ndarray) -> np.ndarray:
    c = p["epoch_scale"]
    e = epochs.astype(np.float32)
    return ((e - c[0]) * c[1] / c[2] + c[3]) * c[4] - c[5]


def _first_cat(p, x_cat: np.ndarray) -> np.ndarray:
    """The categorical part of the first layer plus its bias, (N, 128) float32."""
    h = np.broadcast_to(p["b_first"], (len(x_cat), p["b_first"].size)).copy()
    for k in range(34):
        h += p["table"][k][x_cat[:, k]]
    return h


def _trunk(p, h: np.ndarray) -> np.ndarray:
    """Residual blocks, last norm, head, sigmoid and back-transform: (M, 128) first-layer output -> (M, 4).

    Every row goes through a matrix-matrix product (BLAS gemm, whose per-row result does not depend on the other
    rows): a single row is evaluated as two, since numpy sends a one-row product to gemv, which sums in another
    order. So a (cell, epoch) gets the same float32 outputs in any batch (``query`` and ``curves`` agree bit for
    bit)."""
    if len(h) == 1:
        return _trunk(p, np.concatenate([h, h]))[:1]
    half = p["blocks"][0][0].shape[1] // 2
    for W0, b0, W1, b1 in p["blocks"]:
        u = h @ W0
        u += b0
        a, g = u[:, :half], u[:, half:]
        np.maximum(g, 0.0, out=g)
        a *= g
        h = h + a @ W1
        h += b1
    z = h * p["last_s"]
    z += p["last_t"]
    np.maximum(z, 0.0, out=z)
    y = z @ p["head_W"]
    y += p["head_b"]
    y = 1.0 / (1.0 + np.exp(-y))
    A = p["out_affine"]
    y = ((y - A[:, 0]) / A[:, 1] * A[:, 2] + A[:, 3]) * A[:, 4] + A[:, 5]
    ex = p["out_exp"]
    y[:, ex] = np.exp(y[:, ex])
    return np.clip(y, p["out_bounds"][:, 0], p["out_bounds"][:, 1]).astype(np.float32, copy=False)


#: cell-epochs above which ``progress=None`` shows a progress bar (~20 s of work)
PROGRESS_MIN = 1_000_000


def _scaled(out: np.ndarray, col: int, scale: float) -> np.ndarray:
    """One output column of ``forward``/``_trunk`` in the metric's unit, float64 (the product in float64 for
    ``query`` and ``curves`` alike: a float32 product would round differently)."""
    return out[..., col].astype(np.float64) * scale


def _bar(total: int, progress, unit: str):
    from tqdm.auto import tqdm

    show = total >= PROGRESS_MIN if progress is None else bool(progress)
    return tqdm(total=total, disable=not show, desc="nb301 surrogate", unit=unit, unit_scale=True)


def forward(p: dict, x_cat: np.ndarray, epochs: np.ndarray, chunk: int = 1024, progress=None) -> np.ndarray:
    """The surrogate's raw outputs ``(N, 4)`` float32 for ``x_cat`` ``(N, 34)`` and epochs ``(N,)``, in YAHPO's
    order (val_accuracy fraction, val_cross_entropy, runtime, runtime_increase). ``progress``: a tqdm bar
    (None: only for at least ``PROGRESS_MIN`` rows)."""
    x_cat = np.asarray(x_cat, dtype=np.int64)
    epochs = np.asarray(epochs)
    out = np.empty((len(x_cat), 4), np.float32)
    bar = _bar(len(x_cat), progress, "cell-epoch")
    for s in range(0, len(x_cat), chunk):
        bar.update(min(chunk, len(x_cat) - s))
        h = _first_cat(p, x_cat[s: s + chunk])
        h += _epoch_feature(p, epochs[s: s + chunk])[:, None] * p["w_epoch"]
        out[s: s + chunk] = _trunk(p, h)
    bar.close()
    return out


def _check_epochs(epochs, name="epoch") -> np.ndarray:
    e = np.asarray(epochs)
    if e.dtype == bool or (e.size and e.dtype.kind not in "iuf"):
        raise TypeError(f"{name} must be integers in {EPOCHS[0]}..{EPOCHS[1]}, got {e.dtype}")
    if e.size and (not np.isfinite(e).all() or (e != np.round(e)).any()):
        raise ValueError(f"{name} must be whole epochs in {EPOCHS[0]}..{EPOCHS[1]}")
    if e.size and (e.min() < EPOCHS[0] or e.max() > EPOCHS[1]):
        bad = e.min() if e.min() < EPOCHS[0] else e.max()
        raise ValueError(f"{name} must be in {EPOCHS[0]}..{EPOCHS[1]} (the surrogate's training range), got {bad}")
    return e.astype(np.int64)


class NB301Surrogate:
    """NAS-Bench-301 on CIFAR-10 as YAHPO Gym's surrogate model (predictions, never measurements).

    Obtain one with ``fastnas.nasbench.load("nb301")``. Cells are ``DARTSCells`` of :attr:`space` (a
    ``DARTS()``); every valid cell can be queried (the space is not a table), at any epoch 1..98.

    Examples
    --------
    >>> from fastnas.nasbench import load
    >>> bench = load("nb301")
    >>> cells = bench.space.sample(3, seed=0)
    >>> acc, cost = bench.query(cells, epoch=98, return_cost=True)
    >>> acc.shape, bool((acc > 80).all()), bool((cost > 0).all())
    ((3,), True, True)
    >>> bench.curves(cells, [1, 10, 98]).shape
    (3, 3)
    """

    name = "nb301"
    dataset = "cifar10"

    def __init__(self, path):
        self.path = Path(path)
        try:
            self.manifest = json.loads((self.path / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            raise SurrogateError(f"{self.path / 'manifest.json'}: cannot read the surrogate manifest: {exc}") from exc
        if not isinstance(self.manifest, dict) or self.manifest.get("format") != FORMAT:
            raise SurrogateError(f"{self.path / 'manifest.json'}: not a {FORMAT} manifest")
        self._p = None
        self._space = None

    # ------------------------------------------------------------------ data
    def _file(self, name: str) -> Path:
        meta = self.manifest.get("files", {}).get(name)
        if not isinstance(meta, dict) or not meta.get("crc32"):
            raise SurrogateError(f"{self.path / 'manifest.json'}: no checksum recorded for {name!r}")
        f = self.path / name
        if not f.is_file():
            raise SurrogateError(f"{f}: missing")
        got = _crc32(f)
        if got != meta["crc32"]:
            raise SurrogateError(f"{f}: damaged or replaced: crc32 is {got}, the manifest expects {meta['crc32']}")
        return f

    def verify(self) -> list[str]:
        """Recompute every file's SHA-256 and CRC-32; the list of problems (empty when intact)."""
        problems = []
        files = self.manifest.get("files")
        if not isinstance(files, dict) or not files:
            return [f"{self.path / 'manifest.json'}: lists no files"]
        for name, meta in files.items():
            f = self.path / name
            if Path(name).name != name:
                problems.append(f"{self.path / 'manifest.json'}: file {name!r} points outside the folder; refused")
            elif not f.is_file():
                problems.append(f"{f}: missing")
            elif _sha256(f) != meta.get("sha256") or _crc32(f) != meta.get("crc32"):
                problems.append(f"{f}: checksum mismatch (damaged or replaced)")
        return problems

    def _params(self) -> dict:
        if self._p is None:
            check_encoding(json.loads(self._file("encoding_v2.json").read_text()))
            f = self._file("weights.npz")
            with np.load(f, allow_pickle=False) as z:
                w = {k: z[k] for k in z.files}
            self._p = prepare(w)
        return self._p

    def golden(self) -> dict[str, np.ndarray]:
        """onnxruntime's outputs on 512 random inputs, recorded by the build script (``x_cat``, ``epoch``,
        ``output``): the reference that needs no onnxruntime."""
        with np.load(self._file("golden.npz"), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

    def onnx_path(self) -> Path:
        """The vendored YAHPO ONNX model (for ``onnxruntime``, the optional reference)."""
        return self._file("model_v2.onnx")

    # ------------------------------------------------------------------ description
    @property
    def space(self):
        """A ``DARTS()`` search space."""
        if self._space is None:
            from ..spaces.darts import DARTS

            self._space = DARTS()
        return self._space

    def __repr__(self) -> str:
        return "NB301Surrogate('nb301', dataset='cifar10', surrogate, epochs 1..98)"

    def metrics(self) -> dict[str, list[str | None]]:
        """metric -> splits: ``accuracy`` and ``loss`` on ``valid``; ``runtime``, ``runtime_increase`` static."""
        return {"accuracy": ["valid"], "loss": ["valid"], "runtime": [None], "runtime_increase": [None]}

    def info(self) -> dict:
        """A JSON-able summary; ``kind`` says ``"surrogate"``: the values are model predictions."""
        return {"benchmark": "nb301", "dataset": "cifar10", "space": "darts", "kind": "surrogate",
                "measured": False, "epochs": list(EPOCHS),
                "metrics": {k: {"unit": u, "surrogate_output": c} for k, (c, _, u) in METRICS.items()},
                "source": self.manifest.get("source", ""), "notes": self.manifest.get("notes", ""),
                "path": str(self.path)}

    # ------------------------------------------------------------------ queries
    def _metric(self, metric, split):
        if metric not in METRICS:
            raise ValueError(f"nb301 has no metric {metric!r}; the surrogate predicts {sorted(METRICS)}")
        if metric in ("accuracy", "loss") and split not in ("valid", None):
            raise ValueError(f"the nb301 surrogate predicts {metric} on the validation split only, not {split!r}")
        if split not in ("valid", None):  # a runtime has no split: refused rather than ignored
            raise ValueError(f"nb301's {metric} has no split; pass split=None (or the default 'valid'), "
                             f"not {split!r}")
        return METRICS[metric]

    def x_cat(self, cells) -> np.ndarray:
        """The surrogate's categorical input ``(N, 34)`` int32 of a batch of cells (see ``nb301_encoding``)."""
        return cells_to_x_cat(cells)

    def query(self, cells, metric: str = "accuracy", split: str | None = "valid", seed="mean", epoch=None,
              missing: str = "raise", rng=None, return_cost: bool = False):
        """Surrogate predictions, one per cell, at one epoch or one epoch per cell.

        Parameters
        ----------
        cells : DARTSCells (N cells; every valid cell of the space).
        metric : ``"accuracy"`` (percent), ``"loss"`` (validation cross-entropy), ``"runtime"`` (seconds of
            training up to ``epoch``) or ``"runtime_increase"`` (seconds).
        split : ``"valid"`` (the only split the surrogate predicts); for the runtimes None or the default
            ``"valid"`` (another split raises ``ValueError``).
        seed : ``"mean"`` only: the surrogate is deterministic and has no per-seed values (``"sample"`` or a
            seed position raise ``ValueError``). Present so that calls written for ``Benchmark.query`` work.
        epoch : int or (N,) ints in 1..98; ``None`` (default) means 98, the last one. Outside is a
            ``ValueError``.
        missing : ``"raise"`` or ``"nan"``; every valid DARTS cell has a prediction, so nothing is missing
            (invalid cells raise either way).
        rng : unused (no sampling); accepted for the same reason as ``seed``.
        return_cost : also return the surrogate's runtime up to ``epoch`` (seconds, float64).

        Returns
        -------
        values : float64 ndarray (N,), or ``(values, runtime_seconds)`` with ``return_cost=True``.

        Raises
        ------
        TypeError
            ``cells`` not a DARTSCells batch; non-integer epochs.
        ValueError
            Unknown metric or split, epochs outside 1..98, invalid cells, an epoch array of the wrong length.
        """
        col, scale, _ = self._metric(metric, split)
        if not (isinstance(seed, str) and seed == "mean"):
            raise ValueError(f"the nb301 surrogate is deterministic and holds no per-seed values: seed must be "
                             f"'mean', not {seed!r}")
        if missing not in ("raise", "nan"):
            raise ValueError(f"missing must be 'raise' or 'nan', got {missing!r}")
        e = _check_epochs(EPOCHS[1] if epoch is None else epoch)
        x = cells_to_x_cat(cells)
        if e.ndim == 0:
            e = np.full(len(x), int(e))
        elif e.shape != (len(x),):
            raise ValueError(f"epoch must be one int or one per cell ({len(x)}), got shape {e.shape}")
        out = forward(self._params(), x, e)  # a progress bar only for >= PROGRESS_MIN cells
        values = _scaled(out, col, scale)
        if return_cost:
            return values, _scaled(out, 2, 1.0)
        return values

    def curves(self, cells, epochs=None, metric: str = "accuracy", split: str | None = "valid", *,
               return_cost: bool = False, progress=None):
        """Surrogate learning curves: ``(N, E)`` float64 values of every cell at every epoch of ``epochs``.

        Parameters
        ----------
        cells : DARTSCells (N).
        epochs : ints in 1..98 (E of them, any order); default all 98.
        metric, split : as in :meth:`query`.
        return_cost : also return the ``(N, E)`` runtimes (seconds up to each epoch).
        progress : tqdm progress bar; None (default) shows it only for at least ``PROGRESS_MIN`` cell-epochs
            (about 20 s of work), False silences it.

        Examples
        --------
        >>> from fastnas.nasbench import load
        >>> bench = load("nb301")
        >>> c = bench.curves(bench.space.sample(2, seed=1))
        >>> c.shape, bool(c[:, -1].mean() > c[:, 0].mean())
        ((2, 98), True)
        """
        col, scale, _ = self._metric(metric, split)
        ep = _check_epochs(np.arange(EPOCHS[0], EPOCHS[1] + 1) if epochs is None else epochs, "epochs")
        ep = np.atleast_1d(ep)
        if ep.ndim != 1:
            raise ValueError(f"epochs must be 1-d, got shape {ep.shape}")
        x = cells_to_x_cat(cells)
        p = self._params()
        n, E = len(x), len(ep)
        vals = np.empty((n, E))
        cost = np.empty((n, E)) if return_cost else None
        feat = _epoch_feature(p, ep)[:, None] * p["w_epoch"]  # (E, 128)
        step = max(1, 1024 // max(E, 1))
        bar = _bar(n * E, progress, "cell-epoch")
        for s in range(0, n, step):
            bar.update(min(step, n - s) * E)
            h0 = _first_cat(p, x[s: s + step])  # once per cell
            h = (h0[:, None, :] + feat[None]).reshape(-1, h0.shape[1])
            out = _trunk(p, h).reshape(len(h0), E, 4)
            vals[s: s + step] = _scaled(out, col, scale)
            if cost is not None:
                cost[s: s + step] = _scaled(out, 2, 1.0)
        bar.close()
        return (vals, cost) if return_cost else vals


def open_surrogate(path) -> NB301Surrogate:
    """Open a ``fastnas-surrogate`` folder (reads only the manifest; files are checksummed on first use)."""
    return NB301Surrogate(path)


def is_surrogate(path) -> bool:
    """True when ``path/manifest.json`` declares the ``fastnas-surrogate`` format."""
    try:
        return json.loads((Path(path) / "manifest.json").read_text()).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


__all__ = ["NB301Surrogate", "SurrogateError", "open_surrogate", "is_surrogate", "forward", "prepare", "METRICS",
           "EPOCHS"]

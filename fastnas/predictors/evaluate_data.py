"""``EvalData``: the architectures, targets and costs a predictor evaluation draws from.

One row per cell: the target (final validation accuracy), its simulated full-training cost in seconds,
and optionally the cells (with their space), a feature matrix, zero-cost scores (and their compute
times) and full learning curves (a fidelity ``f`` shows predictors the first ``f`` epochs and costs
``f / total_epochs`` of the training time). Constructors: ``from_benchmark`` (a tabular benchmark),
``from_zc_table`` (the NAS-Bench-Suite-Zero subset with every proxy), ``from_lc_file`` (real learning
curves saved by the AutoML pipeline), ``synthetic`` (known ground truth, for tests).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._rng import as_generator
from ._batch import Batch
from .lc import Curves


@dataclass(eq=False)
class EvalData:
    """Evaluation pool (see the module docstring).

    >>> d = EvalData.synthetic(50, seed=0)
    >>> len(d), d.curves.epochs, sorted(d.zc)
    (50, 20, ['proxy'])
    """

    y: np.ndarray
    cost: np.ndarray
    cells: object = None
    space: object = None
    features: np.ndarray | None = None
    zc: dict = field(default_factory=dict)
    zc_time: dict = field(default_factory=dict)
    curves: Curves | None = None
    name: str = "data"

    def __post_init__(self):
        self.y = np.asarray(self.y, dtype=np.float64).reshape(-1)
        n = len(self.y)
        if not np.isfinite(self.y).all():
            raise ValueError(f"EvalData.y row {int(np.flatnonzero(~np.isfinite(self.y))[0])} is NaN or inf")
        self.cost = np.broadcast_to(np.asarray(self.cost, dtype=np.float64), (n,)).copy()
        for name, v in (("cells", self.cells), ("features", self.features), ("curves", self.curves)):
            if v is not None and len(v) != n:
                raise ValueError(f"EvalData.{name} has {len(v)} rows but y has {n}")
        self.zc = {k: np.asarray(v, dtype=np.float64).reshape(-1) for k, v in self.zc.items()}
        self.zc_time = {k: np.asarray(v, dtype=np.float64).reshape(-1) for k, v in self.zc_time.items()}
        for k, v in {**self.zc, **self.zc_time}.items():
            if len(v) != n:
                raise ValueError(f"EvalData zero-cost column {k!r} has {len(v)} rows but y has {n}")
        if self.features is not None:
            self.features = np.asarray(self.features, dtype=np.float64)

    def __len__(self) -> int:
        return len(self.y)

    @property
    def total_epochs(self) -> int:
        return 0 if self.curves is None else self.curves.epochs

    def batch(self, idx, fidelity: int = 0) -> Batch:
        """A ``Batch`` of rows ``idx`` with curves truncated to ``fidelity`` epochs (none when 0)."""
        idx = np.asarray(idx, dtype=np.int64)
        curves = None
        if self.curves is not None and fidelity > 0:
            curves = self.curves[idx].truncate(fidelity)
        return Batch(
            cells=None if self.cells is None else self.cells[idx],
            curves=curves,
            features=None if self.features is None else self.features[idx],
            zc={k: v[idx] for k, v in self.zc.items()},
        )

    # -- constructors -----------------------------------------------------------------------
    @classmethod
    def from_benchmark(cls, bench, cells=None, *, metric: str = "accuracy", split: str = "valid",
                       name: str | None = None) -> "EvalData":
        """All cells of a tabular benchmark (or ``cells``): mean final ``metric`` and training time.

        >>> from fastnas.nasbench import load
        >>> d = EvalData.from_benchmark(load("nb201", dataset="cifar10-valid"))  # doctest: +SKIP
        """
        cells = bench.cells() if cells is None else cells
        y, cost = bench.query(cells, metric=metric, split=split, seed="mean", return_cost=True)
        return cls(y=y, cost=cost, cells=cells, space=bench.space,
                   name=name or f"{bench.space.name}/{getattr(bench, 'dataset', '')}")

    @classmethod
    def from_zc_table(cls, table, bench=None, *, name: str | None = None) -> "EvalData":
        """The cells of a ``fastnas.nasbench.ZCTable`` with every proxy's scores and times; targets
        and costs from ``bench`` when given (else the table's recorded accuracy and unit cost)."""
        cells = table.cells
        if bench is not None:
            y, cost = bench.query(cells, metric="accuracy", split="valid", seed="mean", return_cost=True)
            space = bench.space
        else:
            from ..spaces import get_space

            y, cost = table.val_accuracy, np.ones(len(table))
            space = get_space(table.space)
        zc = {p: table.scores(p) for p in table.proxies}
        zt = {p: np.nan_to_num(table.times(p), nan=0.0) for p in table.proxies}
        return cls(y=y, cost=cost, cells=cells, space=space, zc=zc, zc_time=zt,
                   name=name or f"{table.space}/{table.dataset} zc")

    @classmethod
    def from_lc_file(cls, path, *, name: str | None = None) -> "EvalData":
        """Real learning curves saved as ``.npz`` (``ops``, ``train_loss``, ``val_loss``, ``val_acc``,
        ``train_seconds``; e.g. ``fastnas/data/lc_digits.npz``); target = the last epoch's val acc."""
        from ..spaces import get_space

        with np.load(path, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
        space = get_space("nb201")
        cells = space.cells_type(ops=d["ops"])
        val_acc = np.asarray(d["val_acc"], dtype=np.float64) * (100.0 if d["val_acc"].max() <= 1.0 else 1.0)
        curves = Curves(train_loss=d["train_loss"], val_acc=val_acc, val_loss=d.get("val_loss"))
        zc = {"synflow": d["synflow"]} if "synflow" in d else {}
        return cls(y=val_acc[:, -1], cost=d["train_seconds"], cells=cells, space=space, curves=curves, zc=zc,
                   name=name or "lc")

    @classmethod
    def synthetic(cls, n: int = 500, *, d: int = 20, epochs: int = 20, noise: float = 0.5,
                  seed=0) -> "EvalData":
        """Synthetic pool with known structure: binary features, ``y`` linear in them (a stand-in for a
        linear function of the path encoding), saturating learning curves that end at ``y``, training
        loss curves ordered by ``y``, and a noisy zero-cost ``proxy`` correlated with ``y``."""
        rng = as_generator(seed)
        F = (rng.random((n, d)) < 0.3).astype(np.float64)
        w = rng.normal(0.0, 1.0, d)
        s = F @ w
        y = 70.0 + 20.0 * (s - s.min()) / max(np.ptp(s), 1e-9)
        rate = rng.uniform(0.4, 0.9, n)
        x = np.arange(1, epochs + 1, dtype=np.float64)
        final_epoch = 200.0
        a = (y - 10.0) / (1.0 - final_epoch ** -rate)
        val_acc = (y[:, None] + 0 * x[None]) - a[:, None] * (x[None] ** -rate[:, None] - final_epoch ** -rate[:, None])
        val_acc = val_acc + rng.normal(0.0, noise, (n, epochs))
        train_loss = (2.5 * np.exp(-x[None] / 6.0) + (100.0 - y[:, None]) / 20.0
                      + rng.normal(0.0, 0.02, (n, epochs)))
        val_loss = (100.0 - val_acc) / 25.0
        zc = y + rng.normal(0.0, 3.0, n)
        cost = rng.uniform(1000.0, 3000.0, n)
        return cls(y=y, cost=cost, features=F, zc={"proxy": zc}, zc_time={"proxy": np.full(n, 0.5)},
                   curves=Curves(train_loss=train_loss, val_acc=val_acc, val_loss=val_loss), name="synthetic")

"""Dense graph convolutional network predictor in plain torch, and its BONAS embedding.

Input: the ``gcn`` encoding of a space, a flat row ``[node features (V*F), adjacency (V*V)]`` (the
layout of ``NB201.encode(cells, "gcn")``); ``n_nodes`` gives V (default: the space's ``gcn_nodes``
attribute, else inferred from the data: the smallest V with one-hot node features and an adjacency
block in [0, 1]). Each layer computes H' = relu(A_hat H W) with
A_hat the row-normalised A + A^T + I (information flows both ways, as in BONAS, Shi et al. 2020); the
graph embedding is the mean of the last layer's node states, and a linear head predicts the target.
``embed(X)`` returns that embedding (BONAS fits Bayesian linear regression on it).
"""
from __future__ import annotations

import numpy as np

from .._rng import base_seed
from ._base import GraphEncoded, Predictor, flatten_gcn  # noqa: F401 (flatten_gcn re-exported)
from .mlp import _torch


def _one_hot_nodes(F: np.ndarray, V: int) -> bool:
    rest = F.shape[1] - V * V
    if rest <= 0 or rest % V:
        return False
    feats = F[:, :rest].reshape(len(F), V, rest // V)
    A = F[:, rest:]
    return bool(np.allclose(feats.sum(axis=2), 1.0) and ((A >= 0) & (A <= 1)).all())


def infer_nodes(F: np.ndarray) -> int:
    """V for flat ``[node features (V*F), adjacency (V*V)]`` rows: the smallest V whose feature block
    is one-hot per node (every node row sums to 1) and whose adjacency block lies in [0, 1]."""
    return infer_layout(F)[1]


def infer_layout(F: np.ndarray) -> tuple[int, int]:
    """(graphs per row, V): rows may hold several graphs side by side (DARTS: normal, reduction cell)."""
    d = F.shape[1]
    for g in (1, 2):
        if d % g:
            continue
        parts = [F[:, i * d // g:(i + 1) * d // g] for i in range(g)]
        for V in range(2, int(np.sqrt(d // g)) + 1):
            if all(_one_hot_nodes(P, V) for P in parts):
                return g, V
    raise ValueError(f"cannot infer the number of nodes from {d} gcn features; pass n_nodes")


class GCNPredictor(GraphEncoded, Predictor):
    """Dense GCN regressor (see the module docstring).

    Parameters
    ----------
    space, encoding : used when given ``Cells`` (default encoding ``gcn``)
    n_nodes : V, or None (the space's ``gcn_nodes``, else inferred)
    n_graphs : graphs per row (DARTS: 2, normal and reduction cell; they share the GCN weights and their
        embeddings are concatenated), or None (inferred)
    hidden, n_layers : width and number of graph-convolution layers (BONAS: 64, 4)
    lr, epochs, batch_size, weight_decay : Adam training schedule (MSE loss on standardised targets)
    seed, n_threads : seed and torch threads (restored after use)

    >>> from fastnas.sim.synthetic import ToySpace, SyntheticBenchmark
    >>> b = SyntheticBenchmark(ToySpace(4, 3)); c = b.space.sample(20, seed=0)
    >>> m = GCNPredictor(space=b.space, epochs=5, seed=0).fit(c, b.query(c))
    >>> m.embed(c).shape
    (20, 64)
    """

    has_uncertainty = False
    min_train_size = 2

    def __init__(self, *, space=None, encoding="gcn", n_nodes=None, n_graphs=None, hidden=64, n_layers=4, lr=1e-3,
                 epochs=100, batch_size=32, weight_decay=0.0, seed=None, n_threads=1):
        self.space = space
        self.encoding = encoding
        self.n_nodes = n_nodes
        self.n_graphs = n_graphs
        self.hidden = hidden
        self.n_layers = n_layers
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.seed = seed
        self.n_threads = n_threads

    def _split(self, torch, F):
        """(A, H) with the graphs of a row stacked: A (N*g, V, V), H (N*g, V, F)."""
        V, g = self.n_nodes_, self.n_graphs_
        X = torch.as_tensor(F, dtype=torch.float32).reshape(len(F) * g, -1)
        rest = X.shape[1] - V * V
        H = X[:, :rest].reshape(len(X), V, -1)
        A = X[:, rest:].reshape(-1, V, V)
        A = A + A.transpose(1, 2) + torch.eye(V)
        A = A / A.sum(dim=2, keepdim=True)
        return A, H

    def _embed_t(self, torch, params, A, H):
        for i in range(int(self.n_layers)):
            H = torch.relu(A @ (H @ params[2 * i]) + params[2 * i + 1])
        Z = H.mean(dim=1)
        return Z.reshape(-1, self.n_graphs_ * Z.shape[1])

    def _fit(self, F, y):
        torch = _torch()
        V = self.n_nodes or getattr(self, "_enc_nodes", None) or getattr(self.space, "gcn_nodes", None)
        g = self.n_graphs
        if V is None or g is None:
            g_inf, V_inf = infer_layout(F) if V is None else (1, V)
            V, g = V or V_inf, g or g_inf
        self.n_nodes_, self.n_graphs_ = int(V), int(g)
        per = F.shape[1] // g if F.shape[1] % g == 0 else 0
        if per - V * V <= 0 or (per - V * V) % V:
            raise ValueError(f"{F.shape[1]} features do not split into {g} graph(s) of a {V}x{V} adjacency "
                             "and node features")
        self.y_mean_ = float(y.mean())
        self.y_scale_ = float(y.std()) or 1.0
        old = torch.get_num_threads()
        torch.set_num_threads(int(self.n_threads))
        try:
            gen = torch.Generator().manual_seed(int(base_seed(self.seed)) & (2**63 - 1))
            A, H = self._split(torch, F)
            Y = torch.as_tensor((y - self.y_mean_) / self.y_scale_, dtype=torch.float32)
            sizes = [H.shape[2]] + [int(self.hidden)] * int(self.n_layers)
            z_dim = int(self.hidden) * self.n_graphs_
            params = []
            for a, b in zip(sizes[:-1], sizes[1:]):
                lim = np.sqrt(6.0 / (a + b))
                params += [((torch.rand(a, b, generator=gen) * 2 - 1) * lim).requires_grad_(),
                           torch.zeros(b).requires_grad_()]
            lim = np.sqrt(6.0 / (z_dim + 1))
            params += [((torch.rand(z_dim, generator=gen) * 2 - 1) * lim).requires_grad_(),
                       torch.zeros(()).requires_grad_()]
            opt = torch.optim.Adam(params, lr=float(self.lr), weight_decay=float(self.weight_decay))
            n, bs = len(F), int(self.batch_size)
            for _ in range(int(self.epochs)):
                perm = torch.randperm(n, generator=gen)
                for s in range(0, n, bs):
                    idx = perm[s:s + bs]
                    sub = (idx[:, None] * self.n_graphs_ + torch.arange(self.n_graphs_)).reshape(-1)
                    z = self._embed_t(torch, params, A[sub], H[sub])
                    loss = ((z @ params[-2] + params[-1] - Y[idx]) ** 2).mean()
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
            self.weights_ = [p.detach().numpy().copy() for p in params]
        finally:
            torch.set_num_threads(old)

    def _embed_np(self, F):
        torch = _torch()
        old = torch.get_num_threads()
        torch.set_num_threads(int(self.n_threads))
        try:
            with torch.no_grad():
                params = [torch.as_tensor(w) for w in self.weights_]
                A, H = self._split(torch, F)
                return self._embed_t(torch, params, A, H).numpy().astype(np.float64)
        finally:
            torch.set_num_threads(old)

    def embed(self, X) -> np.ndarray:
        """The graph embedding (N, hidden * graphs) of the last layer (mean over nodes)."""
        F = self._features(X)
        self._check_fitted(F)
        return self._embed_np(F)

    def _predict(self, F):
        Z = self._embed_np(F)
        return (Z @ self.weights_[-2] + self.weights_[-1]) * self.y_scale_ + self.y_mean_

    def _fitted_state(self) -> dict:
        return {"weights_": list(self.weights_), "n_features_in_": self.n_features_in_, "n_nodes_": self.n_nodes_,
                "n_graphs_": self.n_graphs_, "y_mean_": self.y_mean_, "y_scale_": self.y_scale_}

    def _set_fitted_state(self, state: dict) -> None:
        self.weights_ = [np.asarray(w, dtype=np.float32) for w in state["weights_"]]
        for k in ("n_features_in_", "n_nodes_", "n_graphs_"):
            setattr(self, k, int(state[k]))
        self.y_mean_, self.y_scale_ = float(state["y_mean_"]), float(state["y_scale_"])


class NeuralPredictorGCN(GraphEncoded, Predictor):
    """The GCN of the Neural Predictor (Wen et al. 2020, "Neural predictor for neural architecture search",
    ECCV), as written in ultmaster/neuralpredictor.pytorch and used by naszilla (``gcn/model.py``,
    ``gcn/train_gcn.py``) and NASLib (the ``gcn`` predictor).

    Definition: the propagation matrix is ``P = rownorm(A + I)`` (``A[i, j] = 1`` for an edge i -> j); each
    of ``n_layers`` = 4 directed graph convolutions of width 144 computes
    ``x <- dropout((relu(P x W1) + relu(rownorm(P^T) x W2)) / 2)`` (Xavier-uniform ``W1, W2``, no bias,
    dropout 0.1); the graph feature is the sum over nodes divided by the number of real vertices; the head
    is ``Linear(144, 128, bias=False) -> dropout -> Linear(128, 1, bias=False)`` (torch's default init).
    Training: MSE on standardised targets (the training mean and standard deviation, as NASLib; the original
    used fixed NB101 constants), Adam lr 1e-4, weight decay 3e-4, batch 7 with the last incomplete batch
    dropped, 300 epochs, cosine annealing of the learning rate per epoch.

    Input: a ``gcn`` encoding (one-hot operations and adjacency; a row-normalised adjacency with self-loops
    is turned back into 0/1 edges). Randomness (weights, shuffles, dropout) comes only from ``seed``.

    Parameters
    ----------
    space, encoding : used when given ``Cells``
    hidden, n_layers, linear_hidden, dropout : network (144, 4, 128, 0.1)
    lr, weight_decay, epochs, batch_size : training (1e-4, 3e-4, 300, 7)
    accumulate_grad : False (default: gradients zeroed before every step, as the original
        ultmaster/neuralpredictor.pytorch training). True reproduces NASLib's ``gcn.py``, whose training loop
        never calls ``optimizer.zero_grad()``: every Adam step then uses the sum of all gradients since the
        start of training (White et al. 2021 ran that code; the ``white2021`` preset sets it).
    seed : int, numpy Generator or None
    n_threads : torch threads during fit/predict

    Raises
    ------
    ValueError
        Fewer training cells than ``batch_size`` (no complete batch), or features that are not a gcn
        encoding.

    >>> from fastnas.spaces import get_space
    >>> sp = get_space("nb201"); c = sp.sample(20, seed=0)
    >>> import numpy as np; y = np.linspace(80, 90, 20)
    >>> NeuralPredictorGCN(space=sp, epochs=2, seed=0).fit(c, y).predict(c[:3]).shape
    (3,)
    """

    has_uncertainty = False
    min_train_size = 2

    def __init__(self, *, space=None, encoding="gcn", hidden=144, n_layers=4, linear_hidden=128, dropout=0.1,
                 lr=1e-4, weight_decay=3e-4, epochs=300, batch_size=7, accumulate_grad=False, seed=None,
                 n_threads=1):
        self.space = space
        self.encoding = encoding
        self.hidden = hidden
        self.n_layers = n_layers
        self.linear_hidden = linear_hidden
        self.dropout = dropout
        self.lr = lr
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.batch_size = batch_size
        self.accumulate_grad = accumulate_grad
        self.seed = seed
        self.n_threads = n_threads

    def _graphs(self, F):
        """(ops (N, V, F), P (N, V, V), P_inv (N, V, V), n_vertices (N,)) float32."""
        V = self.n_nodes_
        nf = F.shape[1] - V * V
        ops = F[:, :nf].reshape(len(F), V, nf // V).astype(np.float32)
        A = F[:, nf:].reshape(-1, V, V)
        adj = ((A > 0) & ~np.eye(V, dtype=bool)).astype(np.float64)
        P = adj + np.eye(V)
        P = P / P.sum(axis=2, keepdims=True)
        PT = P.transpose(0, 2, 1)
        Pinv = PT / PT.sum(axis=2, keepdims=True)
        nv = np.maximum((ops.sum(axis=2) > 0).sum(axis=1), 1).astype(np.float32)
        return ops, P.astype(np.float32), Pinv.astype(np.float32), nv

    def _init(self, torch, n_feat, gen):
        H, L, M = int(self.hidden), int(self.n_layers), int(self.linear_hidden)
        params = []
        for i in range(L):
            fi = n_feat if i == 0 else H
            lim = np.sqrt(6.0 / (fi + H))
            for _ in range(2):
                params.append(((torch.rand(fi, H, generator=gen) * 2 - 1) * lim).requires_grad_())
        b1, b2 = 1.0 / np.sqrt(H), 1.0 / np.sqrt(M)
        params.append(((torch.rand(H, M, generator=gen) * 2 - 1) * b1).requires_grad_())
        params.append(((torch.rand(M, 1, generator=gen) * 2 - 1) * b2).requires_grad_())
        return params

    def _forward(self, torch, params, ops, P, Pinv, nv, gen=None):
        p = float(self.dropout)

        def drop(x):
            if gen is None or p == 0:
                return x
            return x * (torch.rand(x.shape, generator=gen) >= p) / (1 - p)

        x = ops
        for i in range(int(self.n_layers)):
            W1, W2 = params[2 * i], params[2 * i + 1]
            x = drop((torch.relu(P @ (x @ W1)) + torch.relu(Pinv @ (x @ W2))) / 2)
        g = x.sum(dim=1) / nv[:, None]
        return (drop(g @ params[-2]) @ params[-1])[:, 0]

    def _fit(self, F, y):
        import torch

        from .._rng import as_generator
        from ._torchnet import threads

        V = getattr(self, "_enc_nodes", None) or getattr(self.space, "gcn_nodes", None)
        if V is None:
            g, V = infer_layout(F)
            if g != 1:
                raise ValueError("NeuralPredictorGCN takes one graph per row (not DARTS's two cells)")
        if F.shape[1] - V * V <= 0 or (F.shape[1] - V * V) % V:
            raise ValueError(f"{F.shape[1]} features are not a gcn encoding with {V} nodes")
        self.n_nodes_ = int(V)
        bs = int(self.batch_size)
        if len(F) < bs:
            raise ValueError(f"NeuralPredictorGCN drops incomplete batches: needs at least batch_size={bs} "
                             f"training cells, got {len(F)}")
        rng = as_generator(self.seed)
        gen = torch.Generator().manual_seed(int(rng.integers(0, 2**63)))
        self.y_mean_, self.y_scale_ = float(y.mean()), float(y.std()) or 1.0
        ops, P, Pinv, nv = (torch.as_tensor(a) for a in self._graphs(F))
        Y = torch.as_tensor((y - self.y_mean_) / self.y_scale_, dtype=torch.float32)
        with threads(self.n_threads):
            params = self._init(torch, ops.shape[2], gen)
            opt = torch.optim.Adam(params, lr=float(self.lr), weight_decay=float(self.weight_decay))
            n, E = len(F), int(self.epochs)
            for ep in range(E):
                for grp in opt.param_groups:  # CosineAnnealingLR(T_max=epochs), stepped per epoch
                    grp["lr"] = float(self.lr) * (1 + np.cos(np.pi * ep / E)) / 2
                perm = torch.as_tensor(rng.permutation(n))
                for s in range(0, n - bs + 1, bs):  # drop_last
                    idx = perm[s:s + bs]
                    pred = self._forward(torch, params, ops[idx], P[idx], Pinv[idx], nv[idx], gen)
                    loss = ((pred - Y[idx]) ** 2).mean()
                    if not self.accumulate_grad:  # NASLib's gcn.py never zeroes (accumulate_grad=True)
                        opt.zero_grad()
                    loss.backward()
                    opt.step()
        self.weights_ = [q.detach().numpy().copy() for q in params]

    def _predict(self, F):
        import torch

        from ._torchnet import threads

        ops, P, Pinv, nv = (torch.as_tensor(a) for a in self._graphs(F))
        with threads(self.n_threads), torch.no_grad():
            params = [torch.as_tensor(w) for w in self.weights_]
            out = self._forward(torch, params, ops, P, Pinv, nv).numpy().astype(np.float64)
        return out * self.y_scale_ + self.y_mean_

    def _fitted_state(self) -> dict:
        return {"weights_": list(self.weights_), "n_features_in_": self.n_features_in_, "n_nodes_": self.n_nodes_,
                "y_mean_": self.y_mean_, "y_scale_": self.y_scale_}

    def _set_fitted_state(self, state: dict) -> None:
        self.weights_ = [np.asarray(w, dtype=np.float32) for w in state["weights_"]]
        self.n_features_in_, self.n_nodes_ = int(state["n_features_in_"]), int(state["n_nodes_"])
        self.y_mean_, self.y_scale_ = float(state["y_mean_"]), float(state["y_scale_"])


class GINPredictor(GraphEncoded, Predictor):
    """NPENAS-NP's graph neural predictor (Wei et al. 2022, "NPENAS: neural predictor guided evolution for
    neural architecture search", IEEE TNNLS; official code auroua/NPENASv1, ``nas_lib/models/gin_predictor.py``
    and ``nas_lib/eigen/trainer_predictor.py``).

    Definition: three GIN layers ``x <- BN(relu(MLP(x + A^T x)))`` (sum over predecessors, GIN eps 0; each MLP
    ``Linear(in, 32) -> ReLU -> Linear(32, 32)``; BatchNorm over the nodes of the batch), mean pooling over a
    graph's real nodes, ``Linear(32, 16) -> ReLU -> dropout 0.1 -> Linear(16, 1) -> sigmoid``, times ``rate``.
    The two head layers use Kaiming-uniform weights (a = 1) and zero biases; the GIN MLPs torch's defaults.
    Training: MSE, Adam betas (0, 0.9), lr 0.01 (biases: 2 x lr, no weight decay; weights: weight decay
    1e-4), 1,000 epochs, batch 10 when there are at most 10 training cells else 16, and the code's cosine
    schedule: after optimizer step s the lr is ``0.5 lr0 (1 + cos(pi (s + 2) / T))``,
    ``T = int(epochs * n / batch)``. Targets are errors ``target_offset - value`` (the code regresses validation
    error and queries the smallest predictions); ``rate`` = 100 so that errors in percent fit the sigmoid's
    range (the code's 10 suits NB101's errors below 10 %: a documented deviation).

    A row holding several cell graphs (DARTS: normal and reduction cell) is treated as one graph made of the
    disjoint cells (not in the code, which has its own DARTS graph). Randomness (weights, shuffles, dropout)
    comes only from ``seed``.

    ``engine="numba"`` (default) trains and predicts with the compiled kernel ``fastnas._kernels.gin``
    (the same network, loss, Adam groups, schedule and BatchNorm statistics written out by hand, float32;
    16-31x faster per fit at NPENAS's sizes, benchmarks/README.md); ``engine="torch"`` runs torch autograd
    and is the reference (``tests/unit/test_gin_numba.py`` checks gradients and Adam steps of the two
    against each other). The engines draw their random numbers differently (the kernel's initial weights,
    shuffles and dropout masks all come from one numpy Generator), so equal seeds give different, equally
    distributed models. Both store the same fitted state (``weights_``, ``bn_stats_``), so either can
    predict from the other's fit.

    Raises
    ------
    ValueError
        Unknown ``engine``, non-positive sizes, ``epochs`` or ``lr``, ``dropout`` outside [0, 1), or
        features that are not a gcn encoding.

    >>> from fastnas.spaces import get_space
    >>> sp = get_space("nb201"); c = sp.sample(12, seed=0)
    >>> import numpy as np; y = np.linspace(80, 90, 12)
    >>> GINPredictor(space=sp, epochs=2, seed=0).fit(c, y).predict(c[:3]).shape
    (3,)
    """

    has_uncertainty = False
    min_train_size = 2

    def __init__(self, *, space=None, encoding="gcn", hidden=32, head=16, dropout=0.1, lr=0.01, weight_decay=1e-4,
                 epochs=1000, batch_size=None, rate=100.0, target_offset=100.0, seed=None, n_threads=1,
                 engine="numba"):
        self.space = space
        self.encoding = encoding
        self.hidden = hidden
        self.head = head
        self.dropout = dropout
        self.lr = lr
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.batch_size = batch_size
        self.rate = rate
        self.target_offset = target_offset
        self.seed = seed
        self.n_threads = n_threads
        self.engine = engine

    _gauss = False  # the Gaussian (NPENAS-BO) network: CELU, spread head, Gaussian likelihood

    def _check_params(self):
        if self.engine not in ("numba", "torch"):
            raise ValueError(f"engine must be 'numba' or 'torch', got {self.engine!r}")
        for k in ("hidden", "head", "epochs"):
            if int(getattr(self, k)) < 1:
                raise ValueError(f"{k} must be >= 1, got {getattr(self, k)!r}")
        if self.batch_size is not None and int(self.batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1 or None, got {self.batch_size!r}")
        if not float(self.lr) > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")
        if not 0 <= float(self.dropout) < 1:
            raise ValueError(f"dropout must lie in [0, 1), got {self.dropout!r}")
        if not float(self.rate) > 0:
            raise ValueError(f"rate must be > 0, got {self.rate!r}")

    def _graphs(self, F):
        """Rows with g graphs (DARTS: normal and reduction cell) become one block-diagonal graph."""
        V, g = self.n_nodes_, self.n_graphs_
        rows = F.reshape(len(F) * g, -1)
        nf = rows.shape[1] - V * V
        ops1 = rows[:, :nf].reshape(len(rows), V, nf // V)
        A1 = ((rows[:, nf:].reshape(-1, V, V) > 0) & ~np.eye(V, dtype=bool))
        ops = ops1.reshape(len(F), g * V, -1).astype(np.float32)
        AT = np.zeros((len(F), g * V, g * V), dtype=np.float32)
        A1 = A1.reshape(len(F), g, V, V)
        for j in range(g):
            AT[:, j * V:(j + 1) * V, j * V:(j + 1) * V] = A1[:, j].transpose(0, 2, 1)
        mask = ops.sum(axis=2) > 0
        mask[~mask.any(axis=1), 0] = True
        return ops, AT, mask

    def _init(self, torch, n_feat, gen):
        def linear(fi, fo, kaiming_a1=False):
            if kaiming_a1:  # kaiming_uniform_(a=1): bound sqrt(6 / ((1 + a^2) fan_in)) = sqrt(3 / fan_in)
                W = (torch.rand(fi, fo, generator=gen) * 2 - 1) * np.sqrt(3.0 / fi)
                b = torch.zeros(fo)
            else:  # torch.nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
                W = (torch.rand(fi, fo, generator=gen) * 2 - 1) / np.sqrt(fi)
                b = (torch.rand(fo, generator=gen) * 2 - 1) / np.sqrt(fi)
            return [W.requires_grad_(), b.requires_grad_()]

        H, D = int(self.hidden), int(self.head)
        params = []
        for i in range(3):
            params += linear(n_feat if i == 0 else H, H) + linear(H, H)
            params += [torch.ones(H).requires_grad_(), torch.zeros(H).requires_grad_()]  # BN affine
        params += linear(H, D, True) + linear(D, 1, True)
        params += self._extra_head(torch, linear, H, D)
        return params

    def _extra_head(self, torch, linear, H, D):
        return []

    def _forward(self, torch, params, ops, AT, mask, stats, train, keep=None):
        """stats: per layer [running_mean, running_var] (updated in training, momentum 0.1); keep: the head's
        dropout keep mask (nb, head) bool, or None (no dropout)."""
        x = ops
        for i in range(3):
            W1, b1, W2, b2, g, beta = params[6 * i:6 * i + 6]
            act = self._act(torch)
            h = act(act((x + AT @ x) @ W1 + b1) @ W2 + b2)
            real = h[mask]  # BN over the real nodes of the batch
            if train:
                mu, var = real.mean(dim=0), real.var(dim=0, unbiased=False)
                with torch.no_grad():
                    n = real.shape[0]
                    stats[i][0].mul_(0.9).add_(0.1 * mu)
                    stats[i][1].mul_(0.9).add_(0.1 * var * n / max(n - 1, 1))
            else:
                mu, var = stats[i]
            x = ((h - mu) / torch.sqrt(var + 1e-5) * g + beta) * mask[..., None]
        pooled = x.sum(dim=1) / mask.sum(dim=1, keepdim=True)
        return self._head(torch, params, pooled, train, keep)

    def _act(self, torch):
        return torch.relu

    def _head(self, torch, params, pooled, train, keep):
        Wb, bb, Wm, bm = params[18:22]
        z = torch.relu(pooled @ Wb + bb)
        if train and keep is not None:
            z = z * keep / (1 - float(self.dropout))
        return torch.sigmoid(z @ Wm + bm)[:, 0] * float(self.rate)

    def _loss(self, out, target):
        return ((out - target) ** 2).mean()

    def _fit(self, F, y):
        import math

        import torch

        from .._rng import as_generator
        from ._torchnet import threads

        try:
            g, V = infer_layout(F)
        except ValueError:  # padded graphs (NB101): the encoding's node count
            V = getattr(self, "_enc_nodes", None) or getattr(self.space, "gcn_nodes", None)
            if V is None:
                raise
            g = 1
        if (F.shape[1] // g) - V * V <= 0 or ((F.shape[1] // g) - V * V) % V:
            raise ValueError(f"{F.shape[1]} features are not a gcn encoding with {V} nodes")
        self._check_params()
        self.n_nodes_, self.n_graphs_ = int(V), int(g)
        rng = as_generator(self.seed)
        n = len(F)
        bs = int(self.batch_size) if self.batch_size is not None else (10 if n <= 10 else 16)
        if self.engine == "numba":
            return self._fit_numba(self._graphs(F), y, rng, bs)
        gen = torch.Generator().manual_seed(int(rng.integers(0, 2**63)))
        ops, AT, mask = (torch.as_tensor(a) for a in self._graphs(F))
        Y = torch.as_tensor(float(self.target_offset) - y, dtype=torch.float32)
        H = int(self.hidden)
        with threads(self.n_threads):
            params = self._init(torch, ops.shape[2], gen)
            groups = []
            for i, p in enumerate(params):
                is_bias = p.dim() == 1  # biases and BN shifts/scales ("bias" / BN weight in the code)
                is_bias = is_bias and not (i < 18 and i % 6 == 4)  # BN scale is a "weight" there
                groups.append({"params": [p], "lr": float(self.lr) * (2.0 if is_bias else 1.0),
                               "weight_decay": 0.0 if is_bias else float(self.weight_decay)})
            opt = torch.optim.Adam(groups, float(self.lr), betas=(0.0, 0.9))
            base = [grp["lr"] for grp in opt.param_groups]
            T = max(int(int(self.epochs) * n / bs), 1)
            stats = [[torch.zeros(H), torch.ones(H)] for _ in range(3)]
            step = 0
            for _ in range(int(self.epochs)):
                perm = torch.as_tensor(rng.permutation(n))
                for s in range(0, n, bs):
                    idx = perm[s:s + bs]
                    keep = None
                    if float(self.dropout) > 0:  # the trunk draws nothing: the same stream as a draw in the head
                        keep = torch.rand((len(idx), int(self.head)), generator=gen) >= float(self.dropout)
                    pred = self._forward(torch, params, ops[idx], AT[idx], mask[idx], stats, True, keep)
                    loss = self._loss(pred, Y[idx])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    step += 1
                    for grp, b0 in zip(opt.param_groups, base):  # the code's CosineLR
                        grp["lr"] = 0.5 * b0 * (1 + math.cos(math.pi * (step + 2) / T))
        self.weights_ = [q.detach().numpy().copy() for q in params]
        self.bn_stats_ = [np.stack([m.numpy(), v.numpy()]) for m, v in stats]

    def _fit_numba(self, graphs, y, rng, bs):
        """The same training by the compiled kernel; every random number from ``rng``."""
        from .._kernels.gin import fit_gin, group_vectors, init_params, param_shapes, unflatten

        ops, AT, mask = graphs
        n, E, H, D = len(ops), int(self.epochs), int(self.hidden), int(self.head)
        shapes = param_shapes(ops.shape[2], H, D, self._gauss)
        p = init_params(ops.shape[2], H, D, self._gauss, rng)
        perms = rng.permuted(np.broadcast_to(np.arange(n, dtype=np.int64), (E, n)), axis=1)
        keep = (rng.random((E, n, D), dtype=np.float32) >= float(self.dropout)).astype(np.float32)
        lr_vec, wd_vec = group_vectors(shapes, float(self.lr), float(self.weight_decay))
        stats = np.stack([np.stack([np.zeros(H), np.ones(H)])] * 3).astype(np.float32)
        Y = (float(self.target_offset) - np.asarray(y, dtype=np.float64)).astype(np.float32)
        fit_gin(p, H, D, self._gauss, ops, AT, mask.astype(np.float32), Y, np.ascontiguousarray(perms), keep, bs,
                float(self.dropout), float(self.rate), lr_vec, wd_vec, float(max(int(E * n / bs), 1)), 0.0, 0.9,
                1e-8, stats)
        self.weights_ = unflatten(p, shapes)
        self.bn_stats_ = [stats[i].copy() for i in range(3)]

    def _outputs(self, F):
        """(N, 2) float64 network outputs in prediction mode (column 1: the spread, Gaussian GIN only)."""
        ops, AT, mask = self._graphs(F)
        if self.engine == "numba":
            from .._kernels.gin import flatten, predict_gin

            H, D = self.weights_[2].shape[0], self.weights_[18].shape[1]
            out = predict_gin(flatten(self.weights_), H, D, self._gauss, ops, AT, mask.astype(np.float32),
                              np.stack(self.bn_stats_).astype(np.float32), float(self.rate))
            return out.astype(np.float64)
        import torch

        from ._torchnet import threads

        ops, AT, mask = (torch.as_tensor(a) for a in (ops, AT, mask))
        with threads(self.n_threads), torch.no_grad():
            params = [torch.as_tensor(w) for w in self.weights_]
            stats = [[torch.as_tensor(s[0]), torch.as_tensor(s[1])] for s in self.bn_stats_]
            out = self._forward(torch, params, ops, AT, mask, stats, False).numpy().astype(np.float64)
        return out.reshape(len(out), -1)

    def _predict(self, F):
        return float(self.target_offset) - self._outputs(F)[:, 0]

    def _fitted_state(self) -> dict:
        return {"weights_": list(self.weights_), "bn_stats_": list(self.bn_stats_),
                "n_features_in_": self.n_features_in_, "n_nodes_": self.n_nodes_, "n_graphs_": self.n_graphs_}

    def _set_fitted_state(self, state: dict) -> None:
        self.weights_ = [np.asarray(w, dtype=np.float32) for w in state["weights_"]]
        self.bn_stats_ = [np.asarray(s, dtype=np.float32) for s in state["bn_stats_"]]
        self.n_features_in_, self.n_nodes_ = int(state["n_features_in_"]), int(state["n_nodes_"])
        self.n_graphs_ = int(state["n_graphs_"])


class GaussianGINPredictor(GINPredictor):
    """NPENAS-BO's graph uncertainty predictor (Wei et al. 2022; auroua/NPENASv1
    ``nas_lib/models/gin_uncertainty_predictor.py``, ``eigen/trainer_uncertainty_predictor.py``,
    ``layers/loss_gausian.py``).

    The GIN trunk of ``GINPredictor`` with CELU activations; two heads on the pooled embedding: the mean
    ``Linear(32, 16) -> CELU -> dropout 0.1 -> Linear(16, 1)`` and the spread
    ``s = exp(CELU(Linear(16, 1)(CELU(Linear(32, 16)(x)))) / 2)`` (all four Kaiming-uniform a = 1, zero
    bias). Loss: the Gaussian negative log likelihood ``mean(0.5 (y - mu)^2 / s^2 + log(sqrt(2 pi) s))`` on
    errors ``target_offset - value`` (no output scaling); optimizer and schedule as ``GINPredictor``.
    ``predict_dist`` gives the value's mean ``target_offset - mu`` and ``s`` (the code samples
    ``mu + s eps`` once per candidate and queries the smallest: independent Thompson sampling).

    >>> from fastnas.spaces import get_space
    >>> import numpy as np
    >>> sp = get_space("nb201"); c = sp.sample(12, seed=0)
    >>> m, s = GaussianGINPredictor(space=sp, epochs=2, seed=0).fit(c, np.linspace(80, 90, 12)).predict_dist(c[:2])
    >>> m.shape, bool((s > 0).all())
    ((2,), True)
    """

    has_uncertainty = True
    _gauss = True

    def _act(self, torch):
        return torch.nn.functional.celu

    def _extra_head(self, torch, linear, H, D):
        return linear(H, D, True) + linear(D, 1, True)

    def _head(self, torch, params, pooled, train, keep):
        celu = torch.nn.functional.celu
        Wb, bb, Wm, bm, Wbs, bbs, Ws, bs = params[18:26]
        z = celu(pooled @ Wb + bb)
        if train and keep is not None:
            z = z * keep / (1 - float(self.dropout))
        mean = (z @ Wm + bm)[:, 0]
        std = torch.exp(celu(celu(pooled @ Wbs + bbs) @ Ws + bs)[:, 0] / 2)
        return torch.stack([mean, std], dim=1)

    def _loss(self, out, target):
        mu, s = out[:, 0], out[:, 1]
        return (0.5 * (target - mu) ** 2 / s ** 2 + torch_log(np.sqrt(2 * np.pi) * s)).mean()

    def _dist(self, F):
        out = self._outputs(F)
        return float(self.target_offset) - out[:, 0], out[:, 1]

    def _predict(self, F):
        return self._dist(F)[0]

    def _predict_dist(self, F):
        return self._dist(F)


def torch_log(x):
    import torch

    return torch.log(x)

"""BONAS surrogate (Shi et al. 2020, "Bridging the gap between sample-based and one-shot neural architecture
search with BONAS", NeurIPS; official code pipilurj/BONAS): a GCN with a global node embeds each cell, and
Bayesian linear regression on the embedding (in logit space) gives a Gaussian predictive distribution.

Followed from the official code (``predictors/models.py``, ``predictors/layers.py``,
``predictors/utils/gcn_utils.py``, ``BO_tools/neural_net_gcn.py``, ``BO_tools/alpha_beta.py``,
``BO_tools/linear_regressor.py``, ``opendomain_utils/loss_function.py``):

* **graph**: the cell's 0/1 adjacency ``A`` (``A[i, j] = 1`` for an edge i -> j, padded nodes all zero) and
  one-hot operations; ``add_global_node`` appends a node that every node feeds (a column of ones), sets the
  diagonal to 1 and transposes, so row i of the propagation matrix sums node i's predecessors, itself and,
  for the global node, every node. The operation matrix gains one column, set only for the global node.
  No further normalisation of the adjacency (the official data loader never calls its ``normalize``).
* **GCN**: 4 layers ``x <- relu(BN(A_g (x W) + b))`` of width 64 (``W ~ U(-0.05, 0.05)``,
  ``b ~ U(-1/8, 1/8)``; ``BatchNorm1d`` over the channels, statistics over batch and nodes, running
  estimates with momentum 0.1 used in evaluation); the embedding is the global node's state; the head is
  ``sigmoid(Linear(64, 1))`` (torch's default init).
* **training**: targets are accuracies in [0, 1] (``value / target_scale``, clipped to
  [``TARGET_EPS``, 1 - ``TARGET_EPS``] so that the logit is finite), loss ``weighted_exp``
  ``mean(exp(y - 1) * (pred - y)^2)`` (``lossnum=3``, the default), Adam lr 1e-3, batch 128 (shuffled,
  last partial batch kept), 100 epochs.
* **regression head** (``alpha_beta.fit``): on the embeddings (no intercept) and ``logit(y)``
  (``ifTransformSigmoid``), evidence maximisation from ``alpha = beta = 1e-5``: posterior
  ``S_N^-1 = alpha I + beta Phi^T Phi``, ``m_N = beta S_N Phi^T t``, ``gamma = sum(l_i / (l_i + alpha))``
  (``l_i`` the eigenvalues of ``beta Phi^T Phi``), ``alpha = gamma / |m_N|^2``,
  ``beta = (N - gamma) / |t - Phi m_N|^2``, until both change by < 1e-5 relative (at most 200 rounds);
  prediction ``mu = phi m_N``, ``s = sqrt(1 / beta + phi S_N phi^T)`` (logit space).

``predict`` returns ``target_scale * sigmoid(mu)`` (with ``target_transform="minmax"``, a variant for
objectives that are not accuracies, the training range replaces ``[0, target_scale]``); ``predict_dist`` maps ``s`` to value units with the
delta method (``target_scale * sigmoid'(mu) * s``, an approximation: the BONAS optimizer works in logit space
with ``predict_logit``). The GCN uses torch with a local ``torch.Generator`` (weights) and the numpy
Generator from ``seed`` (shuffles).
"""
from __future__ import annotations

import numpy as np

from .._rng import as_generator
from ._base import GraphEncoded, Predictor
from .gcn import infer_layout


#: accuracies are clipped to [TARGET_EPS, 1 - TARGET_EPS] before the logit (not in the official code, whose
#: DARTS accuracies are never exactly 0 or 1)
TARGET_EPS = 1e-3
_TINY = 1e-10


def global_node_graphs(ops: np.ndarray, adj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BONAS's ``add_global_node`` on a batch.

    ops (N, V, F) one-hot operations (padded nodes zero), adj (N, V, V) 0/1 with ``adj[i, j]`` = edge i -> j.
    Returns (features (N, V+1, F+1), propagation matrix (N, V+1, V+1)), float32.
    """
    ops = np.asarray(ops, dtype=np.float32)
    adj = np.asarray(adj, dtype=np.float32)
    N, V, F = ops.shape
    A = np.zeros((N, V + 1, V + 1), dtype=np.float32)
    A[:, :V, :V] = adj
    A[:, :V, V] = 1.0  # every node feeds the global node
    idx = np.arange(V + 1)
    A[:, idx, idx] = 1.0
    A = np.ascontiguousarray(A.transpose(0, 2, 1))
    X = np.zeros((N, V + 1, F + 1), dtype=np.float32)
    X[:, :V, :F] = ops
    X[:, V, F] = 1.0
    return X, A


def evidence_blr(Phi: np.ndarray, t: np.ndarray, alpha0: float = 1e-5, beta0: float = 1e-5, max_iter: int = 200,
                 rtol: float = 1e-5) -> tuple[np.ndarray, np.ndarray, float, float, int]:
    """BONAS's ``alpha_beta.fit``: (m_N, S_N, beta, alpha, rounds) -- see the module docstring.

    As in the official code, the returned posterior (m_N, S_N) is the one computed with the precisions of
    the last round *before* their final update, and the returned beta is the updated one.

    >>> m, S, beta, alpha, k = evidence_blr(np.eye(3), np.array([1.0, 2.0, 3.0]), max_iter=1)
    >>> k
    1
    """
    Phi = np.asarray(Phi, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    N, M = Phi.shape
    # one eigendecomposition G = Q diag(e) Q^T serves every round: (alpha I + beta G)^-1 = Q diag(1 / (alpha
    # + beta e)) Q^T, the official np.linalg.inv up to round-off, without a matrix inverse per round
    eig0, Q = np.linalg.eigh(Phi.T @ Phi)
    eig0 = np.maximum(eig0, 0.0)
    b = Q.T @ (Phi.T @ t)
    alpha, beta = float(alpha0), float(beta0)
    m = S = None
    for i in range(int(max_iter)):
        a_prev, b_prev = alpha, beta
        d = 1.0 / (alpha + beta * eig0)
        m = Q @ (beta * d * b)
        lam = eig0 * beta
        gamma = float(np.sum(lam / (lam + alpha)))
        # floors (not in the official code, which divides by zero on an exact fit of few points)
        alpha = gamma / max(float(np.sum(m ** 2)), _TINY)
        beta = max(N - gamma, _TINY) / max(float(np.sum((t - Phi @ m) ** 2)), _TINY)
        if np.isclose(a_prev, alpha, rtol=rtol) and np.isclose(b_prev, beta, rtol=rtol):
            return m, (Q * d) @ Q.T, beta, alpha, i + 1
    return m, (Q * d) @ Q.T, beta, alpha, int(max_iter)


class BONAS(GraphEncoded, Predictor):
    """BONAS surrogate: GCN with a global node + evidence BLR in logit space (see the module docstring).

    Parameters
    ----------
    space, encoding : used when given ``Cells`` (encoding ``gcn``: one-hot operations and adjacency; a
        row-normalised adjacency with self-loops is turned back into 0/1 edges)
    hidden, n_layers : GCN width and depth (64, 4)
    lr, epochs, batch_size : Adam schedule (1e-3, 100, 128)
    target_scale : values are divided by it to give accuracies in [0, 1] (100 for percentages)
    target_transform : "accuracy" (the paper: ``value / target_scale``) or "minmax" (not in the paper: the
        training targets rescaled to [0, 1] by their range, for objectives that are not accuracies)
    seed : int, numpy Generator or None
    n_threads : torch threads during fit/predict

    Raises
    ------
    ValueError
        Targets outside [0, target_scale], features that are not a gcn encoding.

    Examples
    --------
    >>> from fastnas.spaces import get_space
    >>> sp = get_space("nb201"); c = sp.sample(12, seed=0)
    >>> y = 80 + 10 * np.random.default_rng(0).random(12)
    >>> m = BONAS(space=sp, epochs=3, seed=0).fit(c, y)
    >>> mu, s = m.predict_logit(c[:2]); mu.shape, bool((s > 0).all())
    ((2,), True)
    """

    has_uncertainty = True
    min_train_size = 3

    def __init__(self, *, space=None, encoding: str = "gcn", hidden: int = 64, n_layers: int = 4, lr: float = 1e-3,
                 epochs: int = 100, batch_size: int = 128, target_scale: float = 100.0, target_transform: str = "accuracy",
                 seed=None, n_threads: int = 1):
        self.space = space
        self.encoding = encoding
        self.hidden = hidden
        self.n_layers = n_layers
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.target_scale = target_scale
        self.target_transform = target_transform
        self.seed = seed
        self.n_threads = n_threads

    # -- graphs ----------------------------------------------------------------------------------
    def _graphs(self, F: np.ndarray):
        V, g = self.n_nodes_, self.n_graphs_
        rows = F.reshape(len(F) * g, -1)
        nf = rows.shape[1] - V * V
        ops = rows[:, :nf].reshape(len(rows), V, nf // V)
        A = rows[:, nf:].reshape(-1, V, V)
        adj = ((A > 0) & ~np.eye(V, dtype=bool)).astype(np.float32)
        return global_node_graphs(ops, adj)

    def _layout(self, F):
        try:
            g, V = infer_layout(F)
        except ValueError:  # padded graphs (NB101): the encoding's node count
            V = getattr(self, "_enc_nodes", None) or getattr(self.space, "gcn_nodes", None)
            if V is None:
                raise
            g = 1
        per = F.shape[1] // g
        if per - V * V <= 0 or (per - V * V) % V:
            raise ValueError(f"{F.shape[1]} features are not a gcn encoding of {g} graph(s) with {V} nodes")
        self.n_nodes_, self.n_graphs_ = int(V), int(g)

    # -- network ---------------------------------------------------------------------------------
    def _net(self, torch, n_feat: int, gen):
        nn = torch.nn
        H, L = int(self.hidden), int(self.n_layers)

        class _GCN(nn.Module):
            def __init__(self):
                super().__init__()
                self.W = nn.ParameterList()
                self.b = nn.ParameterList()
                self.bn = nn.ModuleList()
                for i in range(L):
                    fi = n_feat if i == 0 else H
                    W = torch.empty(fi, H)
                    nn.init.uniform_(W, -0.05, 0.05, generator=gen)
                    b = torch.empty(H)
                    nn.init.uniform_(b, -1.0 / np.sqrt(H), 1.0 / np.sqrt(H), generator=gen)
                    self.W.append(nn.Parameter(W))
                    self.b.append(nn.Parameter(b))
                    self.bn.append(nn.BatchNorm1d(H))
                self.fc = nn.Linear(H * self_g, 1)
                bound = 1.0 / np.sqrt(H * self_g)
                with torch.no_grad():
                    self.fc.weight.uniform_(-bound, bound, generator=gen)
                    self.fc.bias.uniform_(-bound, bound, generator=gen)

            def embed(self, X, A):
                x = X
                for W, b, bn in zip(self.W, self.b, self.bn):
                    x = torch.bmm(A, x @ W) + b
                    x = torch.relu(bn(x.transpose(2, 1))).transpose(1, 2)
                z = x[:, -1, :]
                return z.reshape(-1, self_g * z.shape[1])

            def forward(self, X, A):
                return torch.sigmoid(self.fc(self.embed(X, A)))[:, 0]

        self_g = self.n_graphs_
        return _GCN()

    def _fit(self, F, y):
        import torch

        from ._torchnet import threads

        for k in ("hidden", "n_layers", "epochs", "batch_size"):
            if int(getattr(self, k)) < 1:
                raise ValueError(f"{k} must be >= 1, got {getattr(self, k)!r}")
        if self.target_transform == "accuracy":
            self.y_lo_, self.y_span_ = 0.0, float(self.target_scale)
            if not self.y_span_ > 0:
                raise ValueError(f"target_scale must be > 0, got {self.target_scale!r}")
        elif self.target_transform == "minmax":
            self.y_lo_, self.y_span_ = float(y.min()), float(y.max() - y.min()) or 1.0
        else:
            raise ValueError(f"target_transform must be 'accuracy' or 'minmax', got {self.target_transform!r}")
        t = (y - self.y_lo_) / self.y_span_
        if not ((t >= 0) & (t <= 1)).all():
            raise ValueError(f"BONAS needs targets in [0, target_scale={self.target_scale}] (accuracies); got range "
                             f"[{y.min()}, {y.max()}] (target_transform='minmax' rescales other objectives)")
        # logit(0) is -inf: accuracies of exactly 0 or 1 (NB201's disconnected cells score 0) are clipped
        t = np.clip(t, TARGET_EPS, 1.0 - TARGET_EPS)
        self._layout(F)
        rng = as_generator(self.seed)
        gen = torch.Generator().manual_seed(int(rng.integers(0, 2**63)))
        X, A = self._graphs(F)
        g = self.n_graphs_
        with threads(self.n_threads):
            net = self._net(torch, X.shape[2], gen)
            Xt, At = torch.as_tensor(X), torch.as_tensor(A)
            Yt = torch.as_tensor(t, dtype=torch.float32)
            opt = torch.optim.Adam(net.parameters(), lr=float(self.lr))
            n, bs = len(F), int(self.batch_size)
            net.train()
            for _ in range(int(self.epochs)):
                perm = rng.permutation(n)
                for s in range(0, n, bs):
                    idx = perm[s:s + bs]
                    if len(idx) == 1 and g * X.shape[1] == 1:  # pragma: no cover - BN needs > 1 value
                        continue
                    sub = torch.as_tensor((idx[:, None] * g + np.arange(g)).reshape(-1))
                    pred = net(Xt[sub], At[sub])
                    yb = Yt[torch.as_tensor(idx)]
                    loss = (torch.exp(yb - 1) * (pred - yb) ** 2).mean()  # weighted_exp
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
            net.eval()
            self.net_ = net
            Z = self._embed(F)
        logit = np.log(t / (1 - t))
        self.m_, self.S_, self.beta_, self.alpha_, self.n_iter_ = evidence_blr(Z, logit)
        self.best_logit_ = float(logit.max())

    def _embed(self, F):
        import torch

        from ._torchnet import threads

        X, A = self._graphs(F)
        with threads(self.n_threads), torch.no_grad():
            return self.net_.embed(torch.as_tensor(X), torch.as_tensor(A)).numpy().astype(np.float64)

    def embed(self, X) -> np.ndarray:
        """The GCN embedding (N, hidden * graphs): the global node's last state (evaluation mode)."""
        F = self._validated_test(X)
        return self._embed(F)

    def predict_logit(self, X) -> tuple[np.ndarray, np.ndarray]:
        """(mu, s) of the BLR head in logit space, each (N,) float64 (what BONAS's EI uses)."""
        return self._logit(self._validated_test(X))

    def _logit(self, F):
        Z = self._embed(F)
        mu = Z @ self.m_
        s = np.sqrt(1.0 / self.beta_ + np.einsum("ij,jk,ik->i", Z, self.S_, Z))
        return mu, s

    def _predict(self, F):
        return self.y_lo_ + self.y_span_ * (1.0 / (1.0 + np.exp(-self._logit(F)[0])))

    def _predict_dist(self, F):
        mu, s = self._logit(F)
        p = 1.0 / (1.0 + np.exp(-mu))
        return self.y_lo_ + self.y_span_ * p, self.y_span_ * p * (1 - p) * s

    def _fitted_state(self) -> dict:  # the torch module is rebuilt from its state dict
        return {"net_state": {k: v.numpy() for k, v in self.net_.state_dict().items()},
                "m_": self.m_, "S_": self.S_, "beta_": self.beta_, "alpha_": self.alpha_, "n_iter_": self.n_iter_,
                "best_logit_": self.best_logit_, "y_lo_": self.y_lo_, "y_span_": self.y_span_, "n_nodes_": self.n_nodes_, "n_graphs_": self.n_graphs_,
                "n_features_in_": self.n_features_in_}

    def _set_fitted_state(self, state: dict) -> None:
        import torch

        self.n_nodes_, self.n_graphs_ = int(state["n_nodes_"]), int(state["n_graphs_"])
        self.n_features_in_ = int(state["n_features_in_"])
        sd = {k: torch.as_tensor(np.asarray(v)) for k, v in state["net_state"].items()}
        n_feat = sd["W.0"].shape[0]
        self.net_ = self._net(torch, n_feat, torch.Generator().manual_seed(0))
        self.net_.load_state_dict(sd)
        self.net_.eval()
        for k in ("m_", "S_"):
            setattr(self, k, np.asarray(state[k], dtype=np.float64))
        self.beta_, self.alpha_ = float(state["beta_"]), float(state["alpha_"])
        self.n_iter_, self.best_logit_ = int(state["n_iter_"]), float(state["best_logit_"])
        self.y_lo_, self.y_span_ = float(state["y_lo_"]), float(state["y_span_"])

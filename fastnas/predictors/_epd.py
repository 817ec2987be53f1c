"""The encoder-predictor-decoder (EPD) of NAO (Luo, Tian, Qin, Chen & Liu 2018, "Neural Architecture
Optimization", NeurIPS; official code github.com/renqianluo/NAO_pytorch) as used by SemiNAS (Luo et al.
2020, github.com/renqianluo/SemiNAS) and by NASLib's ``naslib/predictors/seminas.py`` (White et al.
2021's NAO, SemiNAS and OMNI-SemiNAS).

Architecture (NASLib's constants, "default parameters from the paper"): token embedding (``hidden``
64) -> dropout 0.1 -> one-layer bidirectional LSTM -> linear 2H->H, residual, L2-normalised outputs; the
architecture embedding is their normalised mean; predictor: ``mlp_layers`` 2 ReLU layers (H->16->H)
with dropout, residual ``(x + mlp(x)) sqrt(1/2)``, linear -> 1. Decoder: one-layer LSTM started from
(embedding, embedding), teacher forcing on ``[SOS] + tokens[:-1]``, residual ``sqrt(1/2)`` mixes, dot
attention over the encoder outputs (``tanh(W [context; x])``), log-softmax over the vocabulary. Loss
``trade_off * MSE(prediction, standardised target) + (1 - trade_off) * NLL(reconstruction)``; Adam
(``lr``, weight decay 1e-4), gradient norm clipped at 5, minibatches of 100.

NB201 token sequence (NASLib ``encode_seminas_nasbench201`` + ``convert_arch_to_seq``, ``max_n`` 8):
the fixed 8-node op graph (input, six ops, output); for each node ``col = 1..7`` the tokens
``adj[row, col] + 1`` for ``row < col`` then ``op[col] + 2``: 35 tokens, vocabulary 9 (0 is SOS).
Ops use NASLib's NB201 numbering (input 0, skip 1, none 2, conv3x3 3, conv1x1 4, avgpool 5, output 6).

Randomness: module initialisation and dropout run inside ``torch.random.fork_rng`` seeded from the
predictor's seed (torch's global state is restored afterwards); minibatch order from a numpy Generator.
"""
from __future__ import annotations

import math

import numpy as np

# fastnas NB201 op codes (none, skip, conv1x1, conv3x3, avgpool) -> NASLib op index + 1
_NASLIB_OP = np.array([2, 1, 4, 3, 5])
_NB201_ADJ = np.zeros((8, 8), dtype=np.int64)
for _a, _b in ((0, 1), (0, 2), (0, 4), (1, 3), (1, 5), (2, 6), (3, 6), (4, 7), (5, 7), (6, 7)):
    _NB201_ADJ[_a, _b] = 1
NB201_VOCAB = 9
NB201_LENGTH = 35


def arch_to_seq(adj, ops, max_n: int) -> list[int]:
    """NASLib's ``convert_arch_to_seq`` (adjacency ``(n, n)``, op ids ``(n,)``; padded to ``max_n``)."""
    n = len(adj)
    seq = []
    for col in range(1, max_n):
        if col >= n:
            seq += [0] * (col + 1)
        else:
            seq += [int(adj[row][col]) + 1 for row in range(col)]
            seq.append(int(ops[col]) + 2)
    return seq


def nb201_tokens(ops_batch) -> np.ndarray:
    """(N, 35) int64 token sequences of NB201 cells given as (N, 6) fastnas op codes.

    >>> nb201_tokens([[0, 1, 2, 3, 4, 0]])[0].tolist()[:6]
    [2, 4, 2, 1, 3, 1]
    """
    ops_batch = np.asarray(ops_batch, dtype=np.int64)
    if ops_batch.ndim != 2 or ops_batch.shape[1] != 6 or ops_batch.min() < 0 or ops_batch.max() > 4:
        raise ValueError(f"NB201 cells are (N, 6) op codes in 0..4, got shape {ops_batch.shape}")
    out = np.empty((len(ops_batch), NB201_LENGTH), dtype=np.int64)
    for i, o in enumerate(ops_batch):
        out[i] = arch_to_seq(_NB201_ADJ, [0, *_NASLIB_OP[o], 6], max_n=8)
    return out


def build(vocab: int, hidden: int, mlp_hidden: int, mlp_layers: int, dropout: float):
    """The NAO EPD as a torch module."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab, hidden)
            self.rnn = nn.LSTM(hidden, hidden, 1, batch_first=True, bidirectional=True)
            self.out_proj = nn.Linear(2 * hidden, hidden)
            sizes = [hidden] + [mlp_hidden] * (mlp_layers - 1) + [hidden]
            self.mlp = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
            self.regressor = nn.Linear(hidden, 1)

        def forward(self, x):
            x = F.dropout(self.embedding(x), dropout, training=self.training)
            res = x
            x, _ = self.rnn(x)
            x = F.normalize(res + self.out_proj(x), 2, dim=-1)
            outputs = x
            emb = F.normalize(x.mean(dim=1), 2, dim=-1)
            h = emb
            for layer in self.mlp:
                h = F.dropout(F.relu(layer(h)), dropout, training=self.training)
            pred = self.regressor((emb + h) * math.sqrt(0.5))[:, 0]
            return outputs, emb, pred

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab, hidden)
            self.rnn = nn.LSTM(hidden, hidden, 1, batch_first=True)
            self.input_proj = nn.Linear(hidden, hidden, bias=False)
            self.output_proj = nn.Linear(2 * hidden, hidden, bias=False)
            self.out = nn.Linear(hidden, vocab)

        def forward(self, x, emb, enc_out):
            state = (emb.unsqueeze(0).contiguous(), emb.unsqueeze(0).contiguous())
            x = F.dropout(self.embedding(x), dropout, training=self.training)
            res = x
            x, _ = self.rnn(x, state)
            x = (res + x) * math.sqrt(0.5)
            res = x
            attn = torch.softmax(torch.bmm(self.input_proj(x), enc_out.transpose(1, 2)), dim=-1)
            mix = torch.bmm(attn, enc_out)
            x = torch.tanh(self.output_proj(torch.cat((mix, x), dim=2)))
            x = (res + x) * math.sqrt(0.5)
            return F.log_softmax(self.out(x), dim=-1)

    class EPD(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = Encoder()
            self.decoder = Decoder()

        def forward(self, seq):
            enc_out, emb, pred = self.encoder(seq)
            dec_in = torch.cat([torch.zeros_like(seq[:, :1]), seq[:, :-1]], dim=1)  # SOS = 0
            return pred, self.decoder(dec_in, emb, enc_out)

    return EPD()


def epd_loss(model, seq, target, trade_off: float):
    """``trade_off * MSE + (1 - trade_off) * NLL`` of one minibatch (the NAO/SemiNAS objective)."""
    from torch.nn import functional as F

    pred, logp = model(seq)
    mse = F.mse_loss(pred, target)
    nll = F.nll_loss(logp.reshape(-1, logp.shape[-1]), seq.reshape(-1))
    return trade_off * mse + (1.0 - trade_off) * nll


def train_epd(model, seqs: np.ndarray, targets: np.ndarray, *, epochs: int, batch_size: int, lr: float,
              weight_decay: float, trade_off: float, grad_bound: float, rng: np.random.Generator):
    """NASLib's ``train_controller``: a fresh Adam, ``epochs`` passes of shuffled minibatches."""
    import torch

    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    S = torch.as_tensor(seqs, dtype=torch.long)
    T = torch.as_tensor(targets, dtype=torch.float32)
    n = len(S)
    bs = max(1, min(int(batch_size), n))
    model.train()
    for _ in range(int(epochs)):
        perm = torch.as_tensor(rng.permutation(n))
        for lo in range(0, n, bs):
            idx = perm[lo:lo + bs]
            opt.zero_grad()
            loss = epd_loss(model, S[idx], T[idx], trade_off)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_bound)
            opt.step()


def predict_epd(model, seqs: np.ndarray) -> np.ndarray:
    import torch

    model.eval()
    with torch.no_grad():
        return model.encoder(torch.as_tensor(seqs, dtype=torch.long))[2].double().numpy()

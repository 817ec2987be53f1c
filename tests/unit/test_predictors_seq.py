"""NAO and SemiNAS (LSTM encoder-predictor-decoder on token sequences, as NASLib's seminas.py)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fastnas.predictors import make  # noqa: E402
from fastnas.predictors._epd import arch_to_seq, build, epd_loss, nb201_tokens  # noqa: E402
from fastnas.predictors.nao import NAO  # noqa: E402
from fastnas.predictors.seminas import SemiNAS  # noqa: E402
from fastnas.spaces import get_space  # noqa: E402


def test_arch_to_seq_by_hand():
    # 3-node chain 0 -> 1 -> 2 with ops (0, 5, 6), max_n 4: col 1: [adj01+1, op1+2] = [2, 7];
    # col 2: [adj02+1, adj12+1, op2+2] = [1, 2, 8]; col 3 (padding): four zeros
    adj = [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    assert arch_to_seq(adj, [0, 5, 6], max_n=4) == [2, 7, 1, 2, 8, 0, 0, 0, 0]


def test_nb201_tokens_naslib_layout():
    # all conv3x3 (fastnas code 3 -> NASLib ReLUConvBN3x3, id 2 + 1 = 3 -> token 5)
    t = nb201_tokens([[3] * 6])[0]
    assert len(t) == 35 and t.max() <= 8 and t.min() >= 1
    # op tokens sit at positions 1, 4, 8, 13, 19, 26 (nodes 1..6) and 34 (output: 6 + 2)
    assert t[[1, 4, 8, 13, 19, 26]].tolist() == [5] * 6 and t[34] == 8
    # the fixed NB201 op-graph edges: node 2 reads only the input (tokens for rows 0, 1 = 2, 1)
    assert t[2:4].tolist() == [2, 1]
    with pytest.raises(ValueError):
        nb201_tokens([[5, 0, 0, 0, 0, 0]])


def test_epd_loss_is_the_weighted_sum():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = build(9, 8, 4, 2, 0.0).eval()
    seq = torch.as_tensor(nb201_tokens(get_space("nb201").sample(4, seed=0).ops))
    y = torch.tensor([0.5, -0.5, 1.0, 0.0])
    with torch.no_grad():
        pred, logp = model(seq)
    mse = float(((pred - y) ** 2).mean())
    nll = float(-logp.gather(2, seq[:, :, None]).mean())  # mean negative log-probability of each token
    with torch.no_grad():
        l8, l1 = float(epd_loss(model, seq, y, 0.8)), float(epd_loss(model, seq, y, 1.0))
    assert l8 == pytest.approx(0.8 * mse + 0.2 * nll, rel=1e-6)
    assert l1 == pytest.approx(mse, rel=1e-6)


def test_nao_learns_and_is_seeded(tmp_path):
    s = get_space("nb201")
    cells = s.sample(120, seed=1)
    y = 60 + 5.0 * (cells.ops == 3).sum(1) - 3.0 * (cells.ops == 0).sum(1)
    m = make("nao", preset="white2021", space=s, seed=0, epochs=40)
    p = m.fit(cells[:80], y[:80]).predict(cells[80:])
    from fastnas.predictors.metrics import kendall_tau

    assert kendall_tau(y[80:], p) > 0.4
    a = make("nao", space=s, seed=5, epochs=2).fit(cells[:20], y[:20]).predict(cells[80:])
    b = make("nao", space=s, seed=5, epochs=2).fit(cells[:20], y[:20]).predict(cells[80:])
    np.testing.assert_array_equal(a, b)
    m.save(tmp_path / "nao.npz")
    np.testing.assert_allclose(NAO.load(tmp_path / "nao.npz").predict(cells[80:]), p, rtol=1e-6)


def test_seminas_pseudo_labels_and_token_input():
    s = get_space("nb201")
    cells = s.sample(40, seed=2)
    y = 60 + 5.0 * (cells.ops == 3).sum(1)
    m = make("seminas", preset="white2021", space=s, seed=0, epochs=5, semi_epochs=2).fit(cells, y)
    assert m.n_unlabeled_used_ == 40  # synthetic_factor 1
    T = nb201_tokens(cells.ops)
    U = nb201_tokens(s.sample(30, seed=3).ops)
    m2 = SemiNAS(epochs=5, semi_epochs=2, synthetic_factor=1, seed=0).fit(T, y, X_unlabeled=U)
    assert m2.n_unlabeled_used_ == 30 and m2.predict(T).shape == (40,)
    with pytest.raises(ValueError, match="unlabelled"):
        SemiNAS(epochs=2, semi_epochs=1, seed=0).fit(T, y)


def test_seq_input_errors():
    s = get_space("nb201")
    c = s.sample(5, seed=0)
    with pytest.raises(ValueError, match="NB201"):
        NAO(epochs=1).fit(c, np.arange(5.0))
    with pytest.raises(ValueError, match="integers"):
        NAO(epochs=1).fit(np.full((5, 3), 0.5), np.arange(5.0))
    with pytest.raises(ValueError, match="vocabulary"):
        NAO(epochs=1, vocab_size=3).fit(np.full((5, 3), 4), np.arange(5.0))
    with pytest.raises(ValueError, match="trade_off"):
        NAO(epochs=1, trade_off=2).fit(np.ones((5, 3), int), np.arange(5.0))
    with pytest.raises(RuntimeError):
        NAO().predict(np.ones((5, 3), int))

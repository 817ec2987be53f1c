"""OMNI-SemiNAS (White et al. 2021): SemiNAS tokens + one-hot zero-cost bin tokens."""
import numpy as np
import pytest

pytest.importorskip("torch")

from fastnas.predictors import EvalData, evaluate, make  # noqa: E402
from fastnas.predictors._batch import Batch  # noqa: E402
from fastnas.predictors.omni_seminas import OMNISemiNAS, one_hot_bins  # noqa: E402
from fastnas.spaces import get_space  # noqa: E402


def test_one_hot_bins_as_naslib_discretize():
    # NASLib: the first i with x < upper_bounds[i], else the last bin
    edges = [-3, -2, -1, 0, 1, 2, 3]
    got = one_hot_bins([-10, -3, -2.5, 0, 2.99, 3, 100], edges).argmax(1).tolist()
    assert got == [0, 1, 1, 4, 6, 7, 7]
    assert one_hot_bins([0.0], edges).sum() == 1


def test_tokens_extend_the_sequence():
    s = get_space("nb201")
    c = s.sample(50, seed=0)
    y = 60 + 5.0 * (c.ops == 3).sum(1)
    b = Batch(cells=c, zc={"jacov": np.random.default_rng(4).permutation(np.arange(50.0))})
    m = OMNISemiNAS(epochs=2, semi_epochs=1, synthetic_factor=1, space=s, seed=0).fit(b, y, X_unlabeled=b)
    assert m.seq_len_ == 45 and m.vocab_size_ == 11
    T = m._tokens(b)
    assert set(np.unique(T[:, 35:])) == {9, 10} and (T[:, 35:] == 10).sum(1).tolist() == [1] * 50
    # deciles of the training scores: five cells per bin
    assert np.bincount((T[:, 35:] == 10).argmax(1), minlength=10).tolist() == [5] * 10
    with pytest.raises(ValueError, match="zero-cost"):
        m.predict(Batch(cells=c))
    with pytest.raises(ValueError, match="unlabelled"):
        OMNISemiNAS(epochs=1, space=s).fit(b, y)
    with pytest.raises(ValueError, match="bins"):
        OMNISemiNAS(epochs=1, space=s, bins=[1, 0]).fit(b, y, X_unlabeled=b)


def test_zero_cost_tokens_help_and_harness_passes_pool():
    s = get_space("nb201")
    c = s.sample(400, seed=1)
    rng = np.random.default_rng(0)
    y = rng.normal(70, 5, 400)  # the cells say nothing; the score is informative
    data = EvalData(y=y, cost=1.0, cells=c, space=s, zc={"jacov": y + rng.normal(0, 1, 400)})
    df = evaluate({"omni_seminas": make("omni_seminas", preset="white2021", epochs=40, semi_epochs=5),
                   "nao": make("nao", preset="white2021", epochs=40)}, data, train_sizes=[60], test_size=100,
                  seeds=1, progress=False)
    assert (df["error"] == "").all(), df["error"].tolist()
    tau = df.set_index("predictor")["kendall_tau"]
    assert tau["omni_seminas"] > 0.4 and tau["omni_seminas"] > tau["nao"] + 0.2

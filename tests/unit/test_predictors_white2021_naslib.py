"""white2021 runs what White et al. 2021 ran (NASLib's code) under every name, or says what differs; and the
NASLib quirks it reproduces are computed as NASLib computes them."""
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from fastnas.predictors import make
from fastnas.predictors._registry import PREDICTORS
from fastnas.predictors.presets import DEVIATIONS, SUBSTITUTES, WHITE2021, preset_name


def test_every_registered_name_has_a_white2021_entry_or_a_deviation_line():
    silent = [n for n in PREDICTORS if preset_name(n, "white2021") not in WHITE2021 and n not in DEVIATIONS]
    assert silent == []
    for name, target in SUBSTITUTES["white2021"].items():
        assert target in PREDICTORS and target in WHITE2021 and name in DEVIATIONS, name


def test_white2021_substitutes_the_model_white_et_al_ran():
    pytest.importorskip("torch")
    from fastnas.predictors.bonas_gcn import BONASGCN
    from fastnas.predictors.gcn import GCNPredictor, NeuralPredictorGCN
    from fastnas.predictors.lc import SoTLEMA, SoTLEMANASLib
    from fastnas.predictors.lce_m import NASLIB_FAMILIES, LCEMNASLib

    g = make("gcn", preset="white2021")
    assert type(g) is NeuralPredictorGCN
    assert (g.hidden, g.linear_hidden, g.lr, g.epochs, g.batch_size, g.weight_decay) == (144, 128, 1e-4, 300, 7, 3e-4)
    assert g.accumulate_grad is True and type(make("gcn")) is GCNPredictor
    assert NeuralPredictorGCN().accumulate_grad is False  # Wen et al.'s own training zeroes the gradients
    b = make("bonas", preset="white2021")
    assert type(b) is BONASGCN and not b.has_uncertainty
    assert (b.hidden, b.lr, b.batch_size, b.epochs, b.weight_decay) == (64, 1e-4, 128, 100, 0.0)
    from fastnas.predictors.lce_x11 import LCEParametricEnsemble

    # NASLib's predictor table: "lce" is LCEPredictor (ParametricEnsemble, mcmc N 300), "lce_m" LCEMPredictor
    lce = make("lce", preset="white2021")
    assert type(lce) is LCEParametricEnsemble
    assert (lce.n_steps, lce.default_guess, lce.chain, lce.final_epoch) == (300, 85.0, "naslib", 200)
    lcem = make("lce_m", preset="white2021")
    assert type(lcem) is LCEMNASLib and tuple(lcem.families) == NASLIB_FAMILIES
    assert (lcem.nwalkers, lcem.nsamples, lcem.burn_in, lcem.final_epoch) == (50, 800, 500, 200)
    assert type(make("sotl_ema", preset="white2021")) is SoTLEMANASLib and type(make("sotl_ema")) is SoTLEMA
    assert make("lgb", preset="white2021").bagging_freq == 5 and make("lgb").bagging_freq == 1
    assert make("xgb", preset="white2021").tree_method == "exact" and make("xgb").tree_method == "hist"


class _Recorder:
    """Stands in for torch.optim.Adam: records each step's .grad and leaves the weights unchanged, so every
    batch's gradient is a fixed function of the batch."""
    log = []

    def __init__(self, params, lr=0.0, weight_decay=0.0, **kw):
        self.params = list(params)
        self.param_groups = [{"lr": lr, "params": self.params}]
        _Recorder.log.append([])

    def zero_grad(self, set_to_none=True):
        for p in self.params:
            p.grad = None

    def step(self):
        _Recorder.log[-1].append([p.grad.detach().clone() for p in self.params if p.grad is not None])


@pytest.mark.parametrize("name", ["gcn_wen", "bonas_gcn"])
def test_accumulate_grad_sums_the_batch_gradients_as_naslib(name, monkeypatch):
    torch = pytest.importorskip("torch")
    from fastnas.spaces import get_space

    sp = get_space("nb201")
    c = sp.sample(14, seed=1)
    y = np.linspace(80.0, 90.0, 14)
    extra = {"dropout": 0.0} if name == "gcn_wen" else {}
    monkeypatch.setattr(torch.optim, "Adam", _Recorder)
    logs = {}
    for acc in (False, True):
        _Recorder.log = []
        make(name, space=sp, epochs=1, batch_size=7, accumulate_grad=acc, seed=0, **extra).fit(c, y)
        logs[acc] = _Recorder.log[0]
    plain, summed = logs[False], logs[True]
    assert len(plain) == len(summed) == 2  # two batches of 7
    for a, b in zip(plain[0], summed[0]):
        torch.testing.assert_close(a, b)
    # NASLib's loop (no zero_grad): the second step sees g1 + g2, where zeroing gives g2
    for g1, g2, s2 in zip(plain[0], plain[1], summed[1]):
        torch.testing.assert_close(s2, g1 + g2, rtol=1e-5, atol=1e-6)
        assert not torch.allclose(s2, g2)


def test_predict_after_a_failed_fit_raises_not_fitted():
    pytest.importorskip("torch")
    from fastnas.spaces import get_space

    sp = get_space("nb201")
    c = sp.sample(10, seed=0)
    y = np.linspace(80.0, 90.0, 10)
    m = make("gcn_wen", space=sp, epochs=1, seed=0)
    with pytest.raises(ValueError, match="batch_size"):
        m.fit(c[:3], y[:3])  # 3 cells, batch 7: no complete batch
    with pytest.raises(NotFittedError):
        m.predict(c[:2])
    m.fit(c, y)
    assert m.predict(c[:2]).shape == (2,)
    with pytest.raises(ValueError, match="batch_size"):
        m.fit(c[:3], y[:3])  # a failed refit does not leave the old state looking fitted
    with pytest.raises(NotFittedError):
        m.predict(c[:2])


def test_lce_m_prior_bound_is_naslibs_100_on_fractions():
    """Why LCE-M ranks short digits curves badly (benchmarks/README.md): NASLib's sanity bound on f(xlim)
    is 100 while the curves are fractions, so extrapolations to 10x the observed accuracy are in the prior."""
    from fastnas.predictors.lce_m import _Combination

    comb = _Combination(("mmf",), xlim=13)
    # mmf(x) = alpha - (alpha - beta) / (1 + (kappa x)^delta): increasing, tends to alpha
    P = np.array([[5.0, 0.1, 1.0, 2.0], [99.0, 0.1, 1.0, 2.0], [101.0, 0.1, 1.0, 2.0], [-1.0, 0.1, 1.0, 2.0]])
    assert comb.model_prior(0, P).tolist() == [0.0, 0.0, -np.inf, -np.inf]


def test_gp_wl_raw_kernel_as_naslib_graphgp():
    """white2021's GP-WL uses the raw WL sum (NASLib's fit_transform): predictions equal a GP written by hand
    on the raw kernel of an independent WL count; the default (normalised) kernel gives other predictions."""
    from fastnas.predictors.gp_wl import GPWL, nb201_graph
    from fastnas.spaces import get_space

    sp = get_space("nb201")
    cells = sp.sample(16, seed=5)
    y = 60 + 5.0 * (cells.ops == 3).sum(1) + 2.0 * (cells.ops == 2).sum(1)
    assert make("gp_wl", preset="white2021").normalize is False and GPWL().normalize is True
    kw = dict(h=1, optimal_assignment=True, optimize_noise=False, noise=1e-2, target_transform="none", space=sp)
    m = GPWL(normalize=False, **kw).fit(cells[:12], y[:12])
    mean, std = m.predict(cells[12:], return_std=True)

    # independent: WL label counts (h = 0, 1) by explicit signatures over each node's successors (grakel's
    # edge dictionary), histogram intersection, no normalisation
    graphs = [nb201_graph(o) for o in cells.ops]
    assert all(len(lab) for _, lab in graphs)
    feats = []
    for succ, lab in graphs:
        f = {}
        for v in lab:
            f[("0", lab[v])] = f.get(("0", lab[v]), 0) + 1
            sig = ("1", lab[v] + "|" + ",".join(sorted(lab[u] for u in succ[v])))
            f[sig] = f.get(sig, 0) + 1
        feats.append(f)
    K = np.array([[sum(min(a[k], b[k]) for k in set(a) & set(b)) for b in feats] for a in feats], dtype=float)
    t = y[:12]
    mu, sd = t.mean(), t.std(ddof=1)
    Ktr, Ks, kss = K[:12, :12], K[:12, 12:], np.diag(K)[12:]
    A = np.linalg.solve(Ktr + 1e-2 * np.eye(12), np.column_stack([(t - mu) / sd, Ks]))
    want_mean = Ks.T @ A[:, 0] * sd + mu
    want_std = np.sqrt(np.maximum(kss + 1e-2 - np.sum(Ks * A[:, 1:], axis=0), 1e-2)) * sd
    np.testing.assert_allclose(mean, want_mean, rtol=1e-8)
    np.testing.assert_allclose(std, want_std, rtol=1e-8)
    assert not np.allclose(GPWL(**kw).fit(cells[:12], y[:12]).predict(cells[12:]), mean)


def test_bohamiann_minibatches_and_kept_samples_as_pybnn():
    """pybnn's DataLoader keeps each pass's partial last batch; its 0-based step counter keeps a sample after
    steps 15, 20, ..., 95 with NASLib's 100 steps / burn-in 10 / keep every 5: 17 samples."""
    pytest.importorskip("torch")
    from fastnas.predictors.bohamiann import BOHAMIANN

    X = np.random.default_rng(0).random((30, 4))
    y = X.sum(1)
    m = BOHAMIANN(num_steps=100, num_burn_in_steps=10, keep_every=5, batch_size=20, hidden=(8, 8), seed=0)
    sizes = []
    fwd = m._forward
    m._forward = lambda params, x: (sizes.append(len(x)), fwd(params, x))[1]
    m.fit(X, y)
    train_sizes = sizes[:100]  # the fit's steps (predictions come after)
    assert train_sizes[:4] == [20, 10, 20, 10] and sum(train_sizes[:2]) == 30
    assert len(m.samples_) == 17

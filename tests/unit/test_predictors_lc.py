"""Learning-curve predictors on synthetic curves with a known ordering, against loop references."""
from __future__ import annotations

import numpy as np
import pytest

from fastnas.predictors import make
from fastnas.predictors.lc import Curves, SoTL, SoTLE, SoTLEMA, SoTLEMANASLib, EarlyStopValAcc, EarlyStopValLoss
from fastnas.predictors.lce import LCE
from fastnas.predictors.lcsvr import LcSVR, curve_features
from fastnas.predictors.metrics import kendall_tau


def _ordered(n=40, T=15, seed=0):
    """Curves whose every point is ordered by cell quality q (q ascending along rows)."""
    rng = np.random.default_rng(seed)
    q = np.sort(rng.uniform(0.0, 1.0, n))
    x = np.arange(1, T + 1.0)
    train_loss = (1.0 - q)[:, None] + np.exp(-x / 4.0)[None]
    val_acc = 50.0 + 40.0 * q[:, None] - 30.0 * x[None] ** -0.8
    val_loss = (100.0 - val_acc) / 50.0
    return q, Curves(train_loss=train_loss, val_acc=val_acc, val_loss=val_loss)


@pytest.mark.parametrize("cls", [SoTL, SoTLE, SoTLEMA, SoTLEMANASLib, EarlyStopValAcc, EarlyStopValLoss, LCE])
def test_training_free_scores_recover_known_order(cls):
    q, C = _ordered()
    s = cls().predict(C.truncate(8))
    assert kendall_tau(q, s) == pytest.approx(1.0)


def test_scores_hand_values():
    C = Curves(train_loss=[[2.0, 1.0, 0.5]], val_acc=[[10.0, 20.0, 25.0]], val_loss=[[3.0, 2.0, 1.5]])
    assert SoTL().predict(C).tolist() == [-3.5]
    assert SoTLE().predict(C).tolist() == [-0.5]
    assert EarlyStopValAcc().predict(C).tolist() == [25.0]
    assert EarlyStopValLoss().predict(C).tolist() == [-1.5]
    # TSE-EMA (Ru et al. 2021), gamma 0.5: 0.25 * 2 + 0.5 * 1 + 1 * 0.5 = 1.5
    assert SoTLEMA(gamma=0.5).predict(C).tolist() == [-1.5]
    # NASLib sotlema, mu 0.5: ema = 2, 0.5 * 1 + 0.5 * 2 = 1.5, 0.5 * 0.5 + 0.5 * 1.5 = 1.0; sum 4.5
    assert SoTLEMANASLib(mu=0.5).predict(C).tolist() == [-4.5]
    # default gamma 0.999 (the paper's): 0.998001 * 2 + 0.999 * 1 + 0.5
    assert SoTLEMA().predict(C)[0] == pytest.approx(-(0.998001 * 2 + 0.999 + 0.5), rel=1e-14)


def _ref_tse_ema(row, gamma):
    """Ru et al. 2021, TSE-EMA = sum_{t=1..T} gamma^(T-t) L_t, written as the plain sum."""
    T = len(row)
    return sum(gamma ** (T - t) * row[t - 1] for t in range(1, T + 1))


def _ref_naslib_sotlema(row, mu):
    """NASLib SoLosspredictor(sum_option="SoTLEMA"): sum of the EMA series."""
    series = []
    for se, v in enumerate(row):
        ema = v if se == 0 else ema * (1 - mu) + mu * v
        series.append(ema)
    return sum(series)


def test_sotl_ema_matches_paper_sum_and_naslib_series():
    L = np.random.default_rng(1).random((7, 11))
    C = Curves(train_loss=L)
    for g in (0.999, 0.9, 0.3, 0.0, 1.0):
        ref = [-_ref_tse_ema(r, g) for r in L.tolist()]
        np.testing.assert_allclose(SoTLEMA(gamma=g).predict(C), ref, rtol=1e-12)
    np.testing.assert_allclose(SoTLEMA(gamma=1.0).predict(C), SoTL().predict(C), rtol=1e-12)
    np.testing.assert_allclose(SoTLEMA(gamma=0.0).predict(C), SoTLE().predict(C), rtol=1e-12)
    for m in (0.99, 0.5, 1.0):
        ref = [-_ref_naslib_sotlema(r, m) for r in L.tolist()]
        np.testing.assert_allclose(SoTLEMANASLib(mu=m).predict(C), ref, rtol=1e-12)
    # mu = 1: every ema_t = L_t, so the NASLib variant is SoTL
    np.testing.assert_allclose(SoTLEMANASLib(mu=1.0).predict(C), SoTL().predict(C), rtol=1e-12)
    assert make("sotl_ema_naslib").mu == 0.99 and make("sotl_ema").gamma == 0.999


def test_sotl_ema_no_longer_ranks_like_sotle_on_digits():
    from importlib import resources

    with resources.as_file(resources.files("fastnas") / "data" / "lc_digits.npz") as p:
        L = np.load(p)["train_loss"]
    taus = []
    for T in (3, 6, 12):
        C = Curves(train_loss=L[:, :T])
        taus.append(kendall_tau(SoTLEMA().predict(C), SoTLE().predict(C)))
    # the old "last EMA value" gave tau 0.997-1.0 against SoTL-E at every fidelity
    assert max(taus) < 0.99, taus


def test_lce_extrapolates_power_law():
    x = np.arange(1, 31.0)
    fin = np.array([92.0, 85.0, 70.0])
    acc = fin[:, None] - 60.0 * x[None] ** -0.6
    p = LCE(final_epoch=200).predict(Curves(val_acc=acc))
    truth = fin - 60.0 * 200 ** -0.6
    np.testing.assert_allclose(p, truth, atol=0.5)
    # better than the last observation, which underestimates every curve
    assert np.all(np.abs(p - truth) < np.abs(acc[:, -1] - truth))


def test_lce_short_curve_falls_back_to_last_value():
    acc = np.array([[10.0, 20.0], [15.0, 18.0]])
    assert LCE().predict(Curves(val_acc=acc)).tolist() == [20.0, 18.0]


def test_lcsvr_beats_constant_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    n, T = 120, 12
    fin = rng.uniform(60, 95, n)
    rate = rng.uniform(0.3, 1.0, n)
    x = np.arange(1, T + 1.0)
    acc = fin[:, None] - (fin[:, None] - 10) * x[None] ** -rate[:, None] + rng.normal(0, 0.3, (n, T))
    C = Curves(val_acc=acc)
    m = LcSVR(n_iter=8, seed=0).fit(C[:80], fin[:80])
    p = m.predict(C[80:])
    assert np.sqrt(np.mean((p - fin[80:]) ** 2)) < 0.5 * fin[80:].std()
    m.save(tmp_path / "m.npz")
    np.testing.assert_allclose(LcSVR.load(tmp_path / "m.npz").predict(C[80:]), p)
    # the stored support-vector model equals scikit-learn's prediction with the chosen parameters
    from sklearn.svm import NuSVR

    F = curve_features(C)
    Fs = (F - m.x_mean_) / m.x_scale_
    ref = NuSVR(kernel="rbf", **m.best_params_).fit(Fs[:80], fin[:80]).predict(Fs[80:])
    np.testing.assert_allclose(p, ref, rtol=1e-8, atol=1e-8)


def test_curve_features_hand_values():
    F = curve_features(Curves(val_acc=[[1.0, 2.0, 4.0]], train_loss=[[3.0, 2.0, 2.0]]))
    # val: mean 7/3, std, diff1 [1, 2], diff2 [1]; train: mean 7/3, ..., sum 7
    assert F.shape == (1, 13)  # 6 statistics per curve + the training-loss sum
    np.testing.assert_allclose(F[0, [0, 2, 3, 4, 5]], [7 / 3, 1.5, 0.5, 1.0, 0.0])
    assert F[0, -1] == 7.0


def test_calibration_keeps_ranking():
    q, C = _ordered()
    m = make("sotle").fit(C, 50 + 40 * q)
    p = m.predict(C)
    assert kendall_tau(q, p) == pytest.approx(1.0)
    assert np.abs(p - (50 + 40 * q)).mean() < 1.0


def test_curves_validation_errors():
    with pytest.raises(ValueError, match="at least one"):
        Curves()
    with pytest.raises(ValueError, match="val_acc has shape"):
        Curves(train_loss=np.ones((3, 4)), val_acc=np.ones((3, 5)))
    with pytest.raises(ValueError, match="row 1"):
        Curves(train_loss=[[1.0, 2.0], [np.nan, 1.0]])
    with pytest.raises(ValueError, match="epochs must be in"):
        Curves(train_loss=np.ones((2, 3))).truncate(4)
    with pytest.raises(ValueError, match="needs Curves.train_loss"):
        SoTL().predict(Curves(val_acc=np.ones((2, 3))))
    with pytest.raises(TypeError, match="expects Curves"):
        SoTL().predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match="gamma"):
        SoTLEMA(gamma=1.5).predict(Curves(train_loss=np.ones((2, 3))))
    with pytest.raises(ValueError, match="mu"):
        SoTLEMANASLib(mu=0.0).predict(Curves(train_loss=np.ones((2, 3))))
    with pytest.raises(ValueError, match="at least 6"):
        LcSVR().fit(Curves(val_acc=np.ones((4, 3))), np.arange(4.0))

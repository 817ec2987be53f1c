"""Why ``lce_m`` (NASLib's LCE-M) ranks the real digits curves badly: posterior samples far above 100 %.

    .venv/bin/python benchmarks/lce_m_digits_diagnosis.py

For 20 test cells of ``fastnas/data/lc_digits.npz`` (12 epochs, seed-0 split) and 3 / 6 observed epochs:
the Kendall tau of the posterior mean, of the posterior median and of the last observed value against the
epoch-12 accuracy, the share of posterior samples above 100 % accuracy, and the range of the posterior means.
Same sampler as ``LCEMNASLib`` (50 walkers, 800 steps, burn-in 500, 4 families, xlim = 13).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def main():
    import emcee
    from scipy.stats import kendalltau

    from fastnas.predictors import lce_m as L

    d = np.load(Path(__file__).resolve().parents[1] / "fastnas" / "data" / "lc_digits.npz")
    acc = d["val_acc"].astype(float)  # fractions, as NASLib fits them
    idx = np.random.default_rng(0).permutation(len(acc))[:20]
    y = acc[idx, -1]
    E = acc.shape[1]
    for T in (3, 6):
        means, meds, frac = [], [], []
        for i in idx:
            yy, x = acc[i, :T], np.arange(1, T + 1.0)
            comb = L._Combination(L.NASLIB_FAMILIES, E + 1)
            kept, params = comb.fit_ml(x, yy)
            w0 = np.full(len(kept), 10.0)
            start = comb.predict(x, np.concatenate([*params, [1.0], w0])[None], kept)[0]
            th = np.concatenate([*params, [float((yy - start).std())], w0])
            nd = len(th)
            nw = max(50, 2 * nd)
            s = emcee.EnsembleSampler(nw, nd, comb.log_prob, args=(x, yy, kept), vectorize=True)
            s.random_state = np.random.RandomState(0).get_state()
            with np.errstate(all="ignore"):
                s.run_mcmc(th[None] + 1e-6 * np.random.default_rng(0).standard_normal((nw, nd)), 800, progress=False)
            p = comb.predict([float(E)], s.get_chain(discard=500, flat=True), kept)[:, 0]
            means.append(p.mean()); meds.append(np.median(p)); frac.append((p > 1).mean())
        means, meds, frac = map(np.array, (means, meds, frac))
        print(f"{T} epochs: tau(mean) {kendalltau(means, y)[0]:.3f}, tau(median) {kendalltau(meds, y)[0]:.3f}, "
              f"tau(last value) {kendalltau(acc[idx, T - 1], y)[0]:.3f}; samples > 100 %: median cell "
              f"{np.median(frac):.2f}, max {frac.max():.2f}; posterior means {means.min() * 100:.0f}-"
              f"{means.max() * 100:.0f} %, truth {y.min() * 100:.1f}-{y.max() * 100:.1f} %")


if __name__ == "__main__":
    main()

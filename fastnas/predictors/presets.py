"""Named settings of the predictors: ``"white2021"`` reproduces White et al. 2021, "How Powerful are
Performance Predictors in Neural Architecture Search?" (NeurIPS 2021), whose experiments ran the
predictors of NASLib (github.com/automl/NASLib) with NASLib's default hyper-parameters.

Every value below is taken from NASLib's code (file named beside each entry; ``naslib/predictors/``
unless stated; runner: ``naslib/benchmarks/predictors/runner.py``, which sets each predictor's encoding).
``None`` (no preset) keeps each class's own defaults, which follow the predictor's *own* paper.

Where fastnas has no knob for a NASLib setting, the preset cannot reproduce it: ``DEVIATIONS`` says so
for each such name, and ``docs/methods.md`` repeats it.
"""
from __future__ import annotations

#: NASLib defaults used in White et al. 2021 (NB201: encodings ``adjacency`` = NASLib's
#: ``adjacency_one_hot``, ``path`` = the full path encoding, ``gcn``, ``seminas`` token sequences)
WHITE2021: dict[str, dict] = {
    # mlp.py MLPPredictor.default_hyperparams: 20 layers x 20 units, batch 32, lr 1e-3, Adam betas
    # (0.9, 0.99), fit(epochs=500, loss="mae"); runner: adjacency_one_hot
    "mlp": {"encoding": "adjacency", "n_layers": 20, "width": 20, "lr": 1e-3, "betas": (0.9, 0.99),
            "epochs": 500, "batch_size": 32, "loss": "mae"},
    # runner: Ensemble(predictor_type="bananas", num_ensemble=3); ensemble.py: each member a
    # feedforward net on the full path encoding with the MLP defaults above
    "bananas": {"encoding": "path", "n_members": 3, "n_layers": 20, "width": 20, "lr": 1e-3,
                "betas": (0.9, 0.99), "epochs": 500, "batch_size": 32, "loss": "mae"},
    # gcn.py GCNPredictor.default_hyperparams: gcn_hidden 144, batch_size 7, lr 1e-4, wd 3e-4;
    # fit(epochs=300)
    "gcn": {"encoding": "gcn", "hidden": 144, "batch_size": 7, "lr": 1e-4, "weight_decay": 3e-4, "epochs": 300},
    # gp/gp.py GPPredictor: pyro RBF kernel on adjacency_one_hot
    "gp": {"encoding": "adjacency", "kernel": "rbf"},
    # gp/sparse_gp.py: pyro SparseGPRegression (approx "VFE" = Titsias 2009) with 20 inducing points
    "sparse_gp": {"encoding": "adjacency", "num_inducing": 20},
    # gp/var_sparse_gp.py: pyro VariationalSparseGP, 10 inducing points, whitened
    "var_sparse_gp": {"encoding": "adjacency", "num_inducing": 10, "inducing_init": "naslib", "steps": 200},
    # gp/gpwl.py via runner: kernel_type "wloa", h "auto" (0..max_h=3 by marginal likelihood),
    # optimize_gp_hyper=True (noise by Adam, 200 steps, max noise 0.1); targets log(1 - acc/100)
    "gp_wl": {"h": "auto", "max_h": 3, "optimal_assignment": True, "noise_steps": 200},
    # bnn/bayesian_linear_reg.py on adjacency_one_hot
    "blr": {"encoding": "adjacency"},
    # bnn/dngo.py on adjacency_one_hot (pybnn DNGO defaults: 50-50-50 tanh basis)
    "dngo": {"encoding": "adjacency", "hidden": (50, 50, 50)},
    # bnn/bohamiann.py + bnn_base.py: adaptive SGHMC, num_steps 100, burn-in 10, keep_every 5, lr 1e-2
    "bohamiann": {"encoding": "adjacency", "num_steps": 100, "num_burn_in_steps": 10, "keep_every": 5,
                  "lr": 1e-2},
    # trees/random_forest.py (copied from NB301): 116 trees, max_features 0.1706, min_samples_leaf 2
    "rf": {"encoding": "adjacency", "n_estimators": 116, "max_features": 0.17055852159745608,
           "min_samples_leaf": 2},
    # trees/xgb.py default_hyperparams, num_boost_round 500
    "xgb": {"encoding": "adjacency", "n_estimators": 500, "max_depth": 6, "min_child_weight": 1.0,
            "colsample_bytree": 1.0, "learning_rate": 0.3, "subsample": 1.0},
    # trees/lgb.py default_hyperparams (Luo et al. 2020), num_boost_round 500
    "lgb": {"encoding": "adjacency", "n_estimators": 500, "learning_rate": 0.05, "num_leaves": 31,
            "min_data_in_leaf": 5, "feature_fraction": 0.9, "bagging_fraction": 0.8},
    # trees/ngb.py default_hyperparams
    "ngb": {"encoding": "adjacency", "n_estimators": 505, "learning_rate": 0.08127053060223186,
            "minibatch_frac": 0.5081694143793387, "max_depth": 6, "max_features": 0.7920456318712875},
    # seminas.py via runner "nao": SemiNASPredictor(semi=False): hidden 64, batch 100, lr 1e-3,
    # pretrain_epochs 50, trade_off 0.8, l2 1e-4, dropout 0.1, grad clip 5
    "nao": {"hidden": 64, "batch_size": 100, "lr": 1e-3, "epochs": 50, "trade_off": 0.8},
    # runner "seminas": SemiNASPredictor(semi=True): as NAO, then pseudo-labels synthetic_factor x n
    # unlabelled cells, up-samples the labelled ones 10x and trains 50 more epochs
    "seminas": {"hidden": 64, "batch_size": 100, "lr": 1e-3, "epochs": 50, "semi_epochs": 50,
                "trade_off": 0.8, "synthetic_factor": 1, "up_sample_ratio": 10},
    # omni_seminas.py: SemiNAS with the jacov score appended as one-hot bin tokens (SoTL-E: see DEVIATIONS)
    "omni_seminas": {"hidden": 64, "batch_size": 100, "lr": 1e-3, "epochs": 50, "semi_epochs": 50,
                     "trade_off": 0.8, "synthetic_factor": 1, "up_sample_ratio": 10, "zc": "jacov"},
    # omni_ngb.py: n_hypers 35, its random-search ranges, 3-fold CV; adjacency_one_hot, jacov, sotle
    "omni": {"encoding": "adjacency", "zc": "jacov", "n_iter": 35, "cv": 3, "search_space": "naslib"},
    # lcsvr.py SVR_Estimator: random search over nu-SVR hyper-parameters, 3-fold CV
    "lcsvr": {"cv": 3},
}

#: what a preset cannot reproduce, per name
DEVIATIONS: dict[str, str] = {
    "mlp": "NASLib adds an L1 penalty 0.2 * |w_out|_1 on the output layer; fastnas's MLP has no such term",
    "bananas": "NASLib adds an L1 penalty 0.2 * |w_out|_1 on each member's output layer; not available",
    "rf": "NASLib sets bootstrap=False and min_samples_split=2; fastnas's RandomForest keeps bootstrap",
    "ngb": "NASLib sets min_samples_leaf=min(n//2, 15), min_samples_split=min(n//2, 20) from the training "
           "size n; fastnas uses a fixed min_samples_leaf",
    "gp": "NASLib optimises the RBF hyper-parameters with pyro/Adam; fastnas picks them from a grid by the "
          "marginal likelihood",
    "dngo": "pybnn trains the basis net for 10,000 steps (batch 10); fastnas uses its own epochs/batch",
    "omni_seminas": "jacov bins from the training deciles (NASLib's fixed edges are on another jacov scale); "
                    "NASLib's SoTL-E token (a float cast to an integer token) is left out",
    "omni": "NASLib scores the search by R^2 and keeps the WORST configuration (a bug); fastnas keeps the "
            "best Kendall tau; min_samples_split is not searched",
    "gcn": "NASLib's GCN (Wen et al. 2020) uses a global node and gelu/dropout head; see gcn.py for fastnas's",
}

PRESETS: dict[str, dict[str, dict] | None] = {"white2021": WHITE2021, "paper": None}


def preset_params(name: str, preset: str | None) -> dict:
    """Keyword arguments a preset sets for predictor ``name`` (empty when it sets none).

    >>> preset_params("mlp", "white2021")["n_layers"]
    20
    >>> preset_params("mlp", None)
    {}
    >>> preset_params("mlp", "nope")
    Traceback (most recent call last):
    ...
    ValueError: unknown preset 'nope'; valid: paper, white2021
    """
    if preset is None:
        return {}
    key = str(preset).lower()
    if key not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; valid: {', '.join(sorted(PRESETS))}")
    table = PRESETS[key]
    return {} if table is None else dict(table.get(str(name).lower(), {}))


__all__ = ["WHITE2021", "DEVIATIONS", "PRESETS", "preset_params"]

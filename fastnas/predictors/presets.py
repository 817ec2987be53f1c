"""Named settings of the predictors: ``"white2021"`` reproduces White et al. 2021, "How Powerful are
Performance Predictors in Neural Architecture Search?" (NeurIPS 2021), whose experiments ran the
predictors of NASLib (github.com/automl/NASLib) with NASLib's default hyper-parameters.

Every value below is taken from NASLib's code (file named beside each entry; ``naslib/predictors/``
unless stated; runner: ``naslib/benchmarks/predictors/runner.py``, which sets each predictor's encoding).
``None`` (no preset) keeps each class's own defaults, which follow the predictor's *own* paper.

Where White et al. ran a different model under a name than fastnas's class of that name, the preset
substitutes the fastnas name that computes what they ran (``SUBSTITUTES``: e.g. ``make("lce",
preset="white2021")`` is ``lce_naslib``). Every registered name either has a ``WHITE2021`` entry (after
substitution) or a ``DEVIATIONS`` line; where fastnas has no knob for a NASLib setting, the preset cannot
reproduce it, and ``DEVIATIONS`` says so; ``docs/methods.md`` repeats it.
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
    # "gcn" -> gcn_wen (SUBSTITUTES): gcn.py GCNPredictor = Wen et al.'s NeuralPredictorModel (4 directed
    # graph convolutions of 144, mean pooling over vertices, Linear(144, 128, no bias) -> dropout 0.1 ->
    # Linear(128, 1, no bias)); fit(gcn_hidden=144, batch_size=7, epochs=300, lr=1e-4, wd=3e-4): Adam,
    # CosineAnnealingLR(epochs), DataLoader(shuffle, drop_last=True), MSE on (y - mean) / std (np.std);
    # the loop never calls optimizer.zero_grad(): accumulate_grad=True reproduces it
    "gcn_wen": {"encoding": "gcn", "hidden": 144, "n_layers": 4, "linear_hidden": 128, "dropout": 0.1,
                "batch_size": 7, "lr": 1e-4, "weight_decay": 3e-4, "epochs": 300, "accumulate_grad": True},
    # "bonas" -> bonas_gcn (SUBSTITUTES): bonas.py BonasPredictor: GCN(gcn_hidden 64), no sigmoid, no BLR
    # head, MSE on (y - mean) / std, Adam lr 1e-4 wd 0, batch 128 (drop_last=False), fit(epochs=100),
    # CosineAnnealingLR(epochs, eta_min=0); no optimizer.zero_grad() either
    "bonas_gcn": {"encoding": "gcn", "hidden": 64, "n_layers": 4, "lr": 1e-4, "weight_decay": 0.0,
                  "batch_size": 128, "epochs": 100, "accumulate_grad": True},
    # gp/gp.py GPPredictor: pyro RBF kernel on adjacency_one_hot
    "gp": {"encoding": "adjacency", "kernel": "rbf"},
    # gp/sparse_gp.py: pyro SparseGPRegression (approx "VFE" = Titsias 2009) with 20 inducing points
    "sparse_gp": {"encoding": "adjacency", "num_inducing": 20},
    # gp/var_sparse_gp.py: pyro VariationalSparseGP, 10 inducing points, whitened
    "var_sparse_gp": {"encoding": "adjacency", "num_inducing": 10, "inducing_init": "naslib", "steps": 200},
    # gp/gpwl.py via runner: kernel_type "wloa", h "auto" (0..max_h=3 by marginal likelihood),
    # optimize_gp_hyper=True (noise by Adam, 200 steps, max noise 0.1); targets log(1 - acc/100)
    # gpwl.py GraphGP.fit/forward use WeisfeilerLehman.fit_transform: the raw kernel (normalize=False)
    "gp_wl": {"h": "auto", "max_h": 3, "optimal_assignment": True, "noise_steps": 200, "normalize": False},
    # bnn/bayesian_linear_reg.py on adjacency_one_hot
    "blr": {"encoding": "adjacency"},
    # bnn/dngo.py on adjacency_one_hot (pybnn DNGO defaults: 50-50-50 tanh basis)
    "dngo": {"encoding": "adjacency", "hidden": (50, 50, 50)},
    # bnn/bohamiann.py + bnn_base.py: adaptive SGHMC, num_steps 100, burn-in 10, keep_every 5, lr 1e-2,
    # pybnn Bohamiann(normalize_input=False, normalize_output=True) (fastnas: inputs as given, targets
    # standardised; partial minibatches and pybnn's sample-keeping rule as pybnn)
    "bohamiann": {"encoding": "adjacency", "num_steps": 100, "num_burn_in_steps": 10, "keep_every": 5,
                  "lr": 1e-2},
    # trees/random_forest.py (copied from NB301): 116 trees, max_features 0.1706, min_samples_leaf 2
    "rf": {"encoding": "adjacency", "n_estimators": 116, "max_features": 0.17055852159745608,
           "min_samples_leaf": 2},
    # trees/xgb.py default_hyperparams, num_boost_round 500; tree_method unset there (xgboost 1.x: "auto",
    # which is the exact method on data of this size)
    "xgb": {"encoding": "adjacency", "n_estimators": 500, "max_depth": 6, "min_child_weight": 1.0,
            "colsample_bytree": 1.0, "learning_rate": 0.3, "subsample": 1.0, "tree_method": "exact"},
    # trees/lgb.py default_hyperparams (Luo et al. 2020), num_boost_round 500; bagging_freq 5;
    # min_data_in_bin not set there (LightGBM's default 3)
    "lgb": {"encoding": "adjacency", "n_estimators": 500, "learning_rate": 0.05, "num_leaves": 31,
            "min_data_in_leaf": 5, "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 5,
            "min_data_in_bin": 3},
    # trees/ngb.py default_hyperparams; its train() builds DecisionTreeRegressor(criterion="friedman_mse", the
    # same splits as squared error: an alias in scikit-learn 1.9) with leaf sizes from the training size
    "ngb": {"encoding": "adjacency", "n_estimators": 505, "learning_rate": 0.08127053060223186,
            "minibatch_frac": 0.5081694143793387, "max_depth": 6, "max_features": 0.7920456318712875,
            "leaf_rule": "naslib"},
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
    # omni_ngb.py: n_hypers 35, its random-search ranges, 3-fold CV at every training size (min_train_size 0);
    # adjacency_one_hot, jacov, sotle
    "omni": {"encoding": "adjacency", "zc": "jacov", "n_iter": 35, "cv": 3, "search_space": "naslib",
             "min_search": 0},
    # lcsvr.py SVR_Estimator: random search over nu-SVR hyper-parameters, 3-fold CV
    "lcsvr": {"cv": 3},
    # learning-curve scores without settings: soloss.py (SoTL = sum, SoTLE = last training loss, negated),
    # early_stopping.py (valacc / valloss = last observed value); the classes compute exactly these
    "sotl": {}, "sotle": {}, "early_stop_acc": {}, "early_stop_loss": {},
    # "sotl_ema" -> sotl_ema_naslib (SUBSTITUTES): soloss.py 'SoTLEMA' (ema <- (1 - mu) ema + mu loss,
    # mu 0.99, summed); fastnas's sotl_ema is Ru et al.'s TSE-EMA, a different formula
    "sotl_ema_naslib": {"mu": 0.99},
    # lce_m/lce_m.py LCEMPredictor (White et al.'s "LcE-m"): MCMCCurveModelCombination(final_epoch + 1, nwalkers 50,
    # nsamples 800, burn_in 500, 4 families of curvefunctions.curve_combination_models); final_epoch 200
    # for NB201 (the class defaults are these values)
    "lce_m": {"final_epoch": 200, "nwalkers": 50, "nsamples": 800, "burn_in": 500},
    # "lce" -> lce_naslib (SUBSTITUTES): NASLib's predictor table maps "lce" to lce/lce.py LCEPredictor (White et
    # al.'s "LcE") and "lce_m" to LCEMPredictor. On NB201: final_epoch 200, mcmc N 300, default_guess 85, NASLib's
    # in-place chain
    "lce_naslib": {"final_epoch": 200, "n_steps": 300, "default_guess": 85.0, "chain": "naslib"},
    # zero-cost tables/live proxies: NAS-Bench-Suite-Zero's scores, no settings
    "zc_table": {}, "zc_live": {},
}

#: under a preset, the registered name that runs in place of another: what White et al. ran under that name
SUBSTITUTES: dict[str, dict[str, str]] = {
    "white2021": {"gcn": "gcn_wen", "bonas": "bonas_gcn", "lce": "lce_naslib", "sotl_ema": "sotl_ema_naslib"},
}

#: what a preset cannot reproduce, per name
DEVIATIONS: dict[str, str] = {
    "mlp": "NASLib adds an L1 penalty 0.2 * |w_out|_1 on the output layer; fastnas's MLP has no such term",
    "bananas": "NASLib adds an L1 penalty 0.2 * |w_out|_1 on each member's output layer; not available",
    "rf": "NASLib sets bootstrap=False and min_samples_split=2; fastnas's RandomForest keeps bootstrap",
    "gp": "NASLib optimises the RBF hyper-parameters with pyro/Adam; fastnas picks them from a grid by the "
          "marginal likelihood",
    "dngo": "pybnn trains the basis net for 10,000 steps (batch 10); fastnas uses its own epochs/batch",
    "omni_seminas": "jacov bins from the training deciles (NASLib's fixed edges are on another jacov scale); "
                    "NASLib's SoTL-E token (a float cast to an integer token) is left out",
    "omni": "NASLib scores the search by R^2 and keeps the WORST configuration (a bug); fastnas keeps the "
            "best Kendall tau (cross-validation folds are shuffled: NASLib's are contiguous blocks of its randomly "
            "ordered training set); a configuration whose minibatch is empty on a small fold is skipped (ngboost's line "
            "search would never end there)",
    "gcn_wen": "NASLib with fewer training cells than the batch size (7) trains on no batch (drop_last) and "
               "predicts with the untrained network; fastnas raises ValueError (at the 5-cell training size)",
    "gcn": "under white2021 'gcn' runs gcn_wen (NeuralPredictorGCN, Wen et al.'s model as NASLib's gcn.py) with "
           "NASLib's settings, including the missing optimizer.zero_grad() (accumulate_grad=True); fastnas's "
           "own GCNPredictor (the 'gcn' name without a preset) is a different, plainer GCN",
    "bonas": "under white2021 'bonas' runs bonas_gcn (BONASGCN): NASLib's BonasPredictor is the BONAS GCN alone "
             "(no BLR head, no sigmoid, standardised targets, MSE, lr 1e-4, 100 epochs, batch 128, no zero_grad: "
             "accumulate_grad=True), not the BONAS surrogate of the 'bonas' class",
    "bonas_gcn": "graph input as fastnas's BONAS (global node), NASLib's 'bonas' encoding not compared entry by "
                 "entry",
    "lce": "under white2021 'lce' runs lce_naslib (NASLib's LCEPredictor, which White et al. ran as LcE: 11 families "
           "fitted by maximum likelihood, equal weights, 300 Metropolis steps with NASLib's in-place chain), not "
           "Domhan et al.'s MCMC over the weighted combination",
    "lce_m": "a family whose leastsq fit fails is dropped (NASLib/pybnn then retry with L-BFGS-B); a curve no "
             "family fits predicts its last value (NASLib: 85 + U(0, 1) on NB201)",
    "sotl_ema": "under white2021 'sotl_ema' runs sotl_ema_naslib (NASLib's SoTLEMA, mu 0.99), not Ru et al.'s "
                "TSE-EMA",
    "lce_fast": "not in White et al. 2021 (a fastnas variant); the preset sets nothing",
    "stack": "not in White et al. 2021 (a fastnas ensemble); the preset sets nothing",
    "gp_wl": "the raw kernel as NASLib (normalize=False), but the noise is fitted by a bounded scalar search "
             "instead of NASLib's 200 Adam steps on the same objective",
    "lgb": "NASLib standardises the targets before LightGBM (predictions are affine-equivalent); otherwise none",
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
    return {} if table is None else dict(table.get(preset_name(name, key), {}))


def preset_name(name: str, preset: str | None) -> str:
    """The registered name a preset runs for ``name`` (``SUBSTITUTES``; ``name`` itself otherwise).

    >>> preset_name("lce", "white2021"), preset_name("lce", None), preset_name("rf", "white2021")
    ('lce_naslib', 'lce', 'rf')
    """
    key = str(name).lower()
    if preset is None:
        return key
    return SUBSTITUTES.get(str(preset).lower(), {}).get(key, key)


__all__ = ["WHITE2021", "DEVIATIONS", "PRESETS", "SUBSTITUTES", "preset_params", "preset_name"]

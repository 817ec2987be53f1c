"""Name -> predictor class, resolved lazily (for the CLI, configs and ``make``)."""
from __future__ import annotations

import importlib

# name -> (module, class, family). Families follow White et al. 2021: model-based, learning-curve,
# zero-cost, hybrid (OMNI / stacks).
PREDICTORS: dict[str, tuple[str, str, str]] = {
    # model-based (gp, blr, mlp, bananas, gcn, bonas: fastnas.predictors.{gp,blr,mlp,gcn}, search area)
    "gp": ("fastnas.predictors.gp", "GaussianProcess", "model-based"),
    "sparse_gp": ("fastnas.predictors.sparse_gp", "SparseGP", "model-based"),
    "blr": ("fastnas.predictors.blr", "BayesianLinearRegression", "model-based"),
    "dngo": ("fastnas.predictors.dngo", "DNGO", "model-based"),
    "rf": ("fastnas.predictors.trees", "RandomForest", "model-based"),
    "xgb": ("fastnas.predictors.trees", "XGBoost", "model-based"),
    "lgb": ("fastnas.predictors.trees", "LightGBM", "model-based"),
    "ngb": ("fastnas.predictors.trees", "NGBoost", "model-based"),
    "mlp": ("fastnas.predictors.mlp", "MLP", "model-based"),
    "bananas": ("fastnas.predictors.mlp", "MLPEnsemble", "model-based"),
    "gcn": ("fastnas.predictors.gcn", "GCNPredictor", "model-based"),
    "bonas": ("fastnas.predictors.bonas", "BONAS", "model-based"),
    "gcn_wen": ("fastnas.predictors.gcn", "NeuralPredictorGCN", "model-based"),
    "bonas_gcn": ("fastnas.predictors.bonas_gcn", "BONASGCN", "model-based"),
    "seminas": ("fastnas.predictors.seminas", "SemiNAS", "model-based"),
    "gp_wl": ("fastnas.predictors.gp_wl", "GPWL", "model-based"),
    "bohamiann": ("fastnas.predictors.bohamiann", "BOHAMIANN", "model-based"),
    "var_sparse_gp": ("fastnas.predictors.var_sparse_gp", "VarSparseGP", "model-based"),
    "nao": ("fastnas.predictors.nao", "NAO", "model-based"),
    # learning-curve
    "sotl": ("fastnas.predictors.lc", "SoTL", "learning-curve"),
    "sotle": ("fastnas.predictors.lc", "SoTLE", "learning-curve"),
    "sotl_ema": ("fastnas.predictors.lc", "SoTLEMA", "learning-curve"),
    "sotl_ema_naslib": ("fastnas.predictors.lc", "SoTLEMANASLib", "learning-curve"),
    "early_stop_acc": ("fastnas.predictors.lc", "EarlyStopValAcc", "learning-curve"),
    "early_stop_loss": ("fastnas.predictors.lc", "EarlyStopValLoss", "learning-curve"),
    "lce": ("fastnas.predictors.lce_m", "LCEM", "learning-curve"),
    "lce_m": ("fastnas.predictors.lce_m", "LCEMNASLib", "learning-curve"),
    "lce_fast": ("fastnas.predictors.lce", "LCEFast", "learning-curve"),
    "lce_naslib": ("fastnas.predictors.lce_x11", "LCEParametricEnsemble", "learning-curve"),
    "lcsvr": ("fastnas.predictors.lcsvr", "LcSVR", "learning-curve"),
    # zero-cost
    "zc_table": ("fastnas.predictors.zerocost", "ZeroCostTable", "zero-cost"),
    "zc_live": ("fastnas.predictors.zerocost", "ZeroCostLive", "zero-cost"),
    # hybrid
    "omni": ("fastnas.predictors.omni", "OMNI", "hybrid"),
    "stack": ("fastnas.predictors.stack", "Stack", "hybrid"),
    "omni_seminas": ("fastnas.predictors.omni_seminas", "OMNISemiNAS", "hybrid"),
}


def _get(name: str) -> type:
    key = str(name).lower()
    if key not in PREDICTORS:
        raise ValueError(f"unknown predictor {name!r}; valid: {', '.join(sorted(PREDICTORS))}")
    mod, cls, _ = PREDICTORS[key]
    from .._extras import MissingExtraError, missing_extra, predictor_missing

    why = predictor_missing(key)  # an optional dependency it needs is not installed: say which extra
    if why is not None:
        raise MissingExtraError(f"predictor {name!r} {why}")
    try:
        module = importlib.import_module(mod)
    except ModuleNotFoundError as exc:
        if exc.name == mod:
            raise ValueError(f"predictor {name!r} is registered but {mod} is not available") from exc
        err = missing_extra(exc, f"predictor {name!r}")
        if err is not None:
            raise err from exc
        raise
    if not hasattr(module, cls):
        raise ValueError(f"predictor {name!r} is registered but {mod} has no class {cls}")
    return getattr(module, cls)


def make(name: str, preset: str | None = None, **params):
    """A predictor instance by name.

    Parameters
    ----------
    name : a registered name (``PREDICTORS``).
    preset : None (each class's own defaults, from its paper) or a name in
        ``fastnas.predictors.presets.PRESETS`` (``"white2021"``: NASLib's settings used by White et al.
        2021; under it some names run the model White et al. ran, ``presets.SUBSTITUTES``: ``gcn`` ->
        ``gcn_wen``, ``bonas`` -> ``bonas_gcn``, ``lce`` -> ``lce_naslib``, ``sotl_ema`` -> ``sotl_ema_naslib``).
        Explicit ``params`` override the preset.
    **params : constructor keyword arguments; ``space`` may be a space name (``"nb201"``, ...), which is
        replaced by that space's instance (``fastnas.spaces.get_space``).

    Raises
    ------
    ValueError : unknown name or preset.

    >>> make("rf", n_estimators=10)
    RandomForest(n_estimators=10)
    >>> make("gp", preset="white2021")
    GaussianProcess(kernel='rbf')
    >>> make("nope")
    Traceback (most recent call last):
    ...
    ValueError: unknown predictor 'nope'; valid: ...

    ``seed`` is accepted for every name: deterministic predictors (no ``seed`` parameter, e.g. ``gp``,
    ``blr``, the learning-curve scores) ignore it, since they give the same result for any seed.

    >>> make("blr", seed=3)
    BayesianLinearRegression()
    """
    from .presets import preset_name, preset_params

    cls = _get(preset_name(name, preset))  # a preset may run another class under this name (SUBSTITUTES)
    params = {**preset_params(name, preset), **params}
    if isinstance(params.get("space"), str):
        from ..spaces import get_space

        params["space"] = get_space(params["space"])
    if "seed" in params and "seed" not in cls._get_param_names():
        params = {k: v for k, v in params.items() if k != "seed"}  # deterministic: nothing to seed
    return cls(**params)


def family(name: str) -> str:
    """Family of a registered predictor name ('model-based', 'learning-curve', 'zero-cost', 'hybrid')."""
    key = str(name).lower()
    if key not in PREDICTORS:
        raise ValueError(f"unknown predictor {name!r}; valid: {', '.join(sorted(PREDICTORS))}")
    return PREDICTORS[key][2]


def available() -> list[str]:
    """Registered names whose module imports here (optional dependencies present, module landed)."""
    out = []
    for name in PREDICTORS:
        try:
            _get(name)
            out.append(name)
        except (ValueError, ImportError):
            pass
    return out

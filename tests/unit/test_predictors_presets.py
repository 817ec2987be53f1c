"""The ``white2021`` preset: NASLib's settings (White et al. 2021) reach each predictor's constructor."""
import pytest
from click.testing import CliRunner

from fastnas.predictors import make
from fastnas.predictors._registry import PREDICTORS, _get, available
from fastnas.predictors.presets import DEVIATIONS, WHITE2021, preset_params


@pytest.mark.parametrize("name", sorted(WHITE2021))
def test_every_preset_key_is_a_constructor_parameter(name):
    if name not in PREDICTORS or name not in available():
        pytest.skip(f"{name} not registered/available here")
    params = set(_get(name)._get_param_names())
    assert set(WHITE2021[name]) <= params, set(WHITE2021[name]) - params
    m = make(name, preset="white2021")
    got = m.get_params(deep=False)
    for k, v in WHITE2021[name].items():
        assert got[k] == v


def test_values_from_naslib():
    # the values the issue names, read from NASLib's code
    assert preset_params("mlp", "white2021")["n_layers"] == 20 and preset_params("mlp", "white2021")["width"] == 20
    assert preset_params("mlp", "white2021")["encoding"] == "adjacency"
    b = preset_params("bananas", "white2021")
    assert (b["n_members"], b["n_layers"], b["width"], b["encoding"]) == (3, 20, 20, "path")
    g = preset_params("gcn", "white2021")
    assert (g["hidden"], g["lr"], g["epochs"]) == (144, 1e-4, 300)
    assert preset_params("gp", "white2021")["kernel"] == "rbf"
    assert preset_params("omni", "white2021")["n_iter"] == 35
    assert set(DEVIATIONS) <= set(PREDICTORS)  # a line per registered name (some have no WHITE2021 entry)


def test_explicit_params_override_preset_and_no_preset_keeps_defaults():
    assert make("rf", preset="white2021", n_estimators=7).n_estimators == 7
    assert make("gp").kernel != "rbf" or make("gp", preset="white2021").kernel == "rbf"
    assert make("mlp").n_layers != make("mlp", preset="white2021").n_layers
    assert make("blr", preset="paper").get_params() == make("blr").get_params()


def test_unknown_preset_raises():
    with pytest.raises(ValueError, match="unknown preset 'x'"):
        make("rf", preset="x")


def test_omni_naslib_search_space_draws_naslib_ranges():
    import numpy as np

    m = make("omni", preset="white2021")
    c = m._candidates(np.random.default_rng(0), n=30)
    assert len(c) == 35
    assert all(128 <= p["n_estimators"] <= 512 and 1e-3 <= p["learning_rate"] <= 0.1 for p in c)
    assert all(1 <= p["max_depth"] <= 24 and 2 <= p["min_samples_leaf"] <= 9 for p in c)
    # NASLib's run_hpo clips both leaf sizes to [2, n/3 - 1] = [2, 9] at n = 30; both are searched
    assert all(2 <= p["min_samples_split"] <= 9 for p in c)
    assert len({p["min_samples_split"] for p in c}) > 3
    assert m.min_search == 0  # NASLib searches at every training size (min_train_size 0)
    with pytest.raises(ValueError, match="search_space"):
        make("omni", search_space="bad")._candidates(np.random.default_rng(0), 30)


def test_cli_evaluate_preset(tmp_path):
    from fastnas.cli import main

    r = CliRunner().invoke(main, ["predictors", "evaluate", "--predictors", "blr,rf", "--data", "synthetic",
                                  "--preset", "white2021", "--train-sizes", "20", "--seeds", "1", "--quiet",
                                  "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "summary.csv").exists()
    r = CliRunner().invoke(main, ["predictors", "evaluate", "--predictors", "rf", "--data", "synthetic",
                                  "--preset", "nope", "--quiet", "--out", str(tmp_path)])
    assert r.exit_code != 0 and "unknown preset" in r.output


def test_space_may_be_given_by_name():
    """make(..., space="nb201") encodes cells like space=NB201() (review finding: a str space reached
    str.encode and raised a confusing TypeError)."""
    import numpy as np

    from fastnas.spaces import NB201

    cells = NB201().sample(30, seed=0)
    y = np.arange(30.0)
    a = make("rf", n_estimators=5, space="nb201", seed=0).fit(cells, y).predict(cells)
    b = make("rf", n_estimators=5, space=NB201(), seed=0).fit(cells, y).predict(cells)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="unknown space"):
        make("rf", space="nb999")

"""Optional extras are honest (issue 14): with torch, xgboost, lightgbm and Ray made unimportable (a meta-path
finder in a fresh interpreter, as after ``pip install fastnas`` without extras), the core works, every feature
that needs an extra says which one (``pip install "fastnas[torch]"``), ``predictors list`` shows what is
unavailable and why, and ``import fastnas`` loads its subpackages lazily."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

BLOCKER = r'''
import importlib.abc, sys
BLOCKED = {"torch", "xgboost", "lightgbm", "ray", "onnxruntime", "onnx", "nas_bench_graph"}
class _NoExtras(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _NoExtras())
'''

SCRIPT = BLOCKER + r'''
import json, warnings
warnings.simplefilter("ignore")
import numpy as np
out = {}

import fastnas
out["lazy_modules_at_import"] = sorted(m for m in sys.modules if m.startswith("fastnas."))
out["best"] = round(fastnas.nasbench.load("nb201", "cifar10-valid").best()[1], 2)

def error_of(fn):
    try:
        fn()
    except BaseException as exc:
        return [type(exc).__name__, isinstance(exc, ImportError), str(exc)]
    return None

import importlib
from fastnas import predictors as P
from fastnas._extras import PREDICTOR_NEEDS
out["make"] = {n: error_of(lambda n=n: P.make(n)) for n in sorted(P.PREDICTORS)}
X = np.random.default_rng(0).integers(0, 2, size=(40, 6)).astype(float)
y = X @ np.arange(1.0, 7.0)
fits = {}
for n in sorted(P.PREDICTORS):
    if n in PREDICTOR_NEEDS or P.family(n) != "model-based":
        continue
    fits[n] = error_of(lambda n=n: P.make(n, seed=0).fit(X, y))
out["fit_unlisted"] = fits
from fastnas.predictors.trees import XGBoost
from fastnas.predictors.dngo import DNGO
from fastnas.predictors.nao import NAO
from fastnas.predictors.seminas import SemiNAS
out["direct"] = {c.__name__: error_of(lambda c=c: c().fit(X, y)) for c in (XGBoost, DNGO, NAO, SemiNAS)}
out["imports"] = {m: error_of(lambda m=m: importlib.import_module(m))
                  for m in ("fastnas.zerocost", "fastnas.train", "fastnas.automl")}
out["attr"] = {a: error_of(lambda a=a: getattr(fastnas, a)) for a in ("zerocost", "train", "automl")}
from fastnas.spaces import NB201
out["build"] = error_of(lambda: fastnas.models.build("nb201", NB201().sample(1, seed=0)))
out["network"] = error_of(lambda: fastnas.models.NB201Network)

from click.testing import CliRunner
from fastnas.cli import main
def cli(*args):
    r = CliRunner().invoke(main, list(args))
    return [r.exit_code, r.output]
out["list"] = cli("predictors", "list")
out["query"] = cli("query", "nb201", "--dataset", "cifar10-valid",
                   "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|")
out["search"] = cli("search", "random", "--budget", "5", "--quiet")
out["nb201"] = cli("nb201", "convert", "--from", "index", "--to", "code", "0")
out["evaluate"] = cli("predictors", "evaluate", "--data", "synthetic", "--train-sizes", "10", "--test-size", "20",
                      "--seeds", "1", "--quiet", "--out", sys.argv[1])
out["evaluate_xgb"] = cli("predictors", "evaluate", "--data", "synthetic", "--predictors", "xgb", "--quiet",
                          "--out", sys.argv[1])
np.savez(sys.argv[1] + ".npz", X=np.zeros((4, 1, 4, 4)), y=np.zeros(4, int))
out["automl"] = cli("automl", "--data", sys.argv[1] + ".npz", "--quiet", "--out", sys.argv[1] + "-automl")
out["torch_loaded"] = "torch" in sys.modules
print("RESULT" + json.dumps(out))
'''


@pytest.fixture(scope="module")
def no_extras(tmp_path_factory):
    out = tmp_path_factory.mktemp("noextras")
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(out / "eval")], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    line = [x for x in r.stdout.splitlines() if x.startswith("RESULT")][-1]
    return json.loads(line[len("RESULT"):])


TORCH = 'pip install "fastnas[torch]"'
BOOST = 'pip install "fastnas[boost]"'


@pytest.mark.slow
def test_core_works_and_loads_lazily(no_extras):
    assert no_extras["lazy_modules_at_import"] == []  # import fastnas loads no subpackage
    assert no_extras["best"] == 91.61  # fastnas.nasbench reached by attribute access
    assert no_extras["query"][0] == 0 and no_extras["query"][1].startswith("91.6067")
    assert no_extras["search"][0] == 0 and "best:" in no_extras["search"][1]
    from fastnas.spaces import NB201

    assert no_extras["nb201"] == [0, f"code\n{int(NB201.to_code(NB201.from_index([0]))[0])}\n"]
    assert no_extras["torch_loaded"] is False


@pytest.mark.slow
def test_features_needing_an_extra_name_it(no_extras):
    from fastnas._extras import PREDICTOR_NEEDS

    make = no_extras["make"]
    for name, module in PREDICTOR_NEEDS.items():
        if name not in make:  # a name reserved for a predictor not registered (yet)
            continue
        kind, is_import_error, msg = make[name]
        assert kind == "MissingExtraError" and is_import_error, (name, make[name])
        assert (TORCH if module == "torch" else BOOST) in msg and f"predictor {name!r}" in msg
    assert make["xgb"][2] == f"predictor 'xgb' needs xgboost: {BOOST}"
    assert no_extras["direct"]["XGBoost"][:2] == ["MissingExtraError", True]  # the class used directly, too
    assert no_extras["direct"]["XGBoost"][2] == f"XGBoost needs xgboost, which is not installed: {BOOST}"
    for cls in ("DNGO", "NAO", "SemiNAS"):  # classes that override fit, used directly
        assert no_extras["direct"][cls][0] == "MissingExtraError" and TORCH in no_extras["direct"][cls][2], cls
    for what in ("imports", "attr"):
        for mod, err in no_extras[what].items():
            assert err[0] == "MissingExtraError" and err[1] and TORCH in err[2], (mod, err)
    assert no_extras["imports"]["fastnas.train"][2] == f"fastnas.train needs torch, which is not installed: {TORCH}"
    for err in (no_extras["build"], no_extras["network"]):
        assert err[0] == "MissingExtraError" and TORCH in err[2]


@pytest.mark.slow
def test_unlisted_predictors_need_no_extra(no_extras):
    """Keeps PREDICTOR_NEEDS honest: every other model-based predictor fits with the extras blocked."""
    for name, err in no_extras["fit_unlisted"].items():
        assert err is None or err[0] not in ("ModuleNotFoundError", "MissingExtraError", "ImportError"), (name, err)
    for name, err in no_extras["make"].items():
        if err is not None:
            assert err[0] == "MissingExtraError", (name, err)


@pytest.mark.slow
def test_cli_says_what_is_unavailable_and_why(no_extras):
    code, text = no_extras["list"]
    rows = {line.split()[0]: line for line in text.strip().splitlines()}
    assert code == 0
    assert rows["xgb"].endswith(f"unavailable: needs xgboost: {BOOST}")
    assert rows["dngo"].endswith(f"unavailable: needs torch: {TORCH}")
    assert rows["rf"].endswith(" ok") and rows["blr"].endswith(" ok")
    code, text = no_extras["evaluate"]  # the default runs what it can and says what it skipped
    assert code == 0, text
    assert f"skipping xgb: needs xgboost: {BOOST}" in text and "skipping lgb" in text
    assert "blr" in text and "rf" in text
    code, text = no_extras["evaluate_xgb"]  # asked for explicitly: an error naming the extra
    assert code != 0 and BOOST in text and "Traceback" not in text
    code, text = no_extras["automl"]
    assert code == 1 and text.strip() == f"Error: fastnas.automl needs torch, which is not installed: {TORCH}"

"""Build the bundled NAS-Bench-301 surrogate ``fastnas/data/nb301/cifar10/`` from YAHPO Gym's ONNX model.

Source: YAHPO Gym (Pfisterer, Schneider, Moosbauer, Binder, Bischl, "YAHPO Gym -- An Efficient Multi-Objective
Multi-Fidelity Benchmark for Hyperparameter Optimization", AutoML 2022), data repository slds-lmu/yahpo_data,
folder ``nb301/`` at commit 0e28806, files ``model_v2.onnx``, ``encoding_v2.json``, ``config_space_v2.json``
(Apache License 2.0). The model is a neural surrogate fitted to the NAS-Bench-301 training logs (Zimmer 2020,
figshare 13286105; Siems/Zela et al., "NAS-Bench-301 and the Case for Surrogate Benchmarks for NAS"). Its
outputs are *surrogate predictions*, not measurements.

What it writes (every file checksummed in ``manifest.json``, format ``fastnas-surrogate``):

* ``model_v2.onnx``, ``encoding_v2.json``, ``config_space_v2.json``, ``LICENSE-2.0.txt`` -- copied unchanged
  (the ONNX file is the reference the tests compare against, through the optional ``onnxruntime``);
* ``weights.npz`` -- the network's float32 arrays read from the ONNX graph (no pickles): 34 embedding tables,
  the epoch scaling constants, the first layer, 5 residual ReGLU blocks with batch norm, the last batch norm,
  the 4-unit head and the per-output back-transform constants, checked against the graph's structure;
* ``golden.npz`` -- onnxruntime's own outputs on 512 random valid inputs at random epochs (the test oracle
  that needs no onnxruntime).

The evaluator in ``fastnas/nasbench/nb301.py`` recomputes the graph from ``weights.npz`` in numpy; this script
checks that it equals onnxruntime to float32 round-off before writing anything.

Needs ``onnx`` and ``onnxruntime`` (``pip install fastnas[nb301]``). Run from the repository root:
``.venv/bin/python scripts/build_nb301.py [--src ../shared/data/yahpo-nb301]``.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FILES = ("model_v2.onnx", "encoding_v2.json", "config_space_v2.json", "LICENSE-2.0.txt")
N_BLOCKS = 5


def _constants(graph) -> dict[str, np.ndarray]:
    from onnx import numpy_helper

    out = {}
    for n in graph.node:
        if n.op_type == "Constant":
            out[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    return out


def extract(onnx_path: Path) -> dict[str, np.ndarray]:
    """The network's arrays, by name, after checking the graph has the structure the evaluator assumes."""
    import onnx
    from onnx import numpy_helper

    g = onnx.load(str(onnx_path)).graph
    init = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    const = _constants(g)
    ops = [n.op_type for n in g.node]
    # structure checks: 34 embedding gathers, 6 batch norms, 1 + 2*5 + 1 Gemms, one sigmoid, 2 exps
    if [i.name for i in g.input] != ["x_cat", "x_cont"] or [o.name for o in g.output] != ["output"]:
        raise SystemExit("unexpected ONNX inputs/outputs")
    if ops.count("BatchNormalization") != N_BLOCKS + 1 or ops.count("Gemm") != 2 + 2 * N_BLOCKS:
        raise SystemExit(f"unexpected layer counts: {ops.count('BatchNormalization')} BN, {ops.count('Gemm')} Gemm")
    if ops.count("Sigmoid") != 1 or ops.count("Exp") != 2:
        raise SystemExit("unexpected output activations")
    w: dict[str, np.ndarray] = {}
    for k in range(34):
        w[f"emb.{k}"] = init[f"embds_fct.{k}.weight"].astype(np.float32)
    # epoch scaling: ((e - c0) * c1 / c2 + c3) * c4 - c5
    w["epoch_scale"] = np.array([const[f"/embds_dbl.0/Constant{s}_output_0"] for s in
                                 ("", "_1", "_2", "_3", "_4", "_5")], dtype=np.float32)
    w["first.W"], w["first.b"] = init["first_layer.weight"], init["first_layer.bias"]
    for b in range(N_BLOCKS):
        for p in ("weight", "bias", "running_mean", "running_var"):
            w[f"block{b}.bn.{p}"] = init[f"layers.{b}.norm.{p}"]
        w[f"block{b}.W0"], w[f"block{b}.b0"] = init[f"layers.{b}.linear0.weight"], init[f"layers.{b}.linear0.bias"]
        w[f"block{b}.W1"], w[f"block{b}.b1"] = init[f"layers.{b}.linear1.weight"], init[f"layers.{b}.linear1.bias"]
    for p in ("weight", "bias", "running_mean", "running_var"):
        w[f"last.bn.{p}"] = init[f"last_normalization.{p}"]
    w["head.W"], w["head.b"] = init["head.weight"], init["head.bias"]
    bns = [n for n in g.node if n.op_type == "BatchNormalization"]
    eps = {float(next(a.f for a in n.attribute if a.name == "epsilon")) for n in bns}
    if len(eps) != 1:
        raise SystemExit(f"batch norms with different epsilons {eps}")
    w["bn_eps"] = np.array(eps.pop(), dtype=np.float32)
    # output back-transform per target k: ((s - a) / b * c + d) * e + f, constants 65..96 in groups
    groups = [(65, 66, 67, 68, 69, 70), (74, 75, 76, 77, 78, 79), (82, 83, 84, 85, 86, 87), (90, 91, 92, 93, 94, 95)]
    w["out_affine"] = np.array([[const[f"/Constant_{i}_output_0"] for i in grp] for grp in groups], np.float32)
    # clamps: target 0 in [0, 1]; target 1 >= 0; targets 2, 3 exp() then >= 0
    w["out_bounds"] = np.array([[const["/Constant_71_output_0"][0], const["/Constant_72_output_0"][0]],
                                [const["/Constant_80_output_0"][0], np.inf],
                                [const["/Constant_88_output_0"][0], np.inf],
                                [const["/Constant_96_output_0"][0], np.inf]], np.float32)
    w["out_exp"] = np.array([0, 0, 1, 1], np.int8)
    return {k: np.ascontiguousarray(v) for k, v in w.items()}


def random_x_cat(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random valid DARTS cells (each node two distinct inputs) and their x_cat rows."""
    from fastnas.nasbench.nb301_encoding import cells_to_x_cat
    from fastnas.spaces.darts import DARTS

    cells = DARTS().sample(n, seed=rng)
    return cells, cells_to_x_cat(cells)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=ROOT.parent / "shared" / "data" / "yahpo-nb301")
    ap.add_argument("--out", type=Path, default=ROOT / "fastnas" / "data" / "nb301" / "cifar10")
    args = ap.parse_args(argv)
    import onnxruntime as ort

    from fastnas.nasbench import nb301
    from fastnas.nasbench._store import _crc32, _sha256

    for f in FILES:
        if not (args.src / f).is_file():
            raise SystemExit(f"{args.src / f} missing")
    w = extract(args.src / "model_v2.onnx")
    rng = np.random.default_rng(301)
    _, x_cat = random_x_cat(512, rng)
    epochs = rng.integers(1, 99, 512).astype(np.float32)
    sess = ort.InferenceSession(str(args.src / "model_v2.onnx"), providers=["CPUExecutionProvider"])
    ref = sess.run(None, {"x_cat": x_cat.astype(np.int32), "x_cont": epochs[:, None]})[0]
    ours = nb301.forward(nb301.prepare(w), x_cat, epochs)
    err = np.abs(ours - ref) / np.maximum(np.abs(ref), 1e-3)
    print(f"max relative difference to onnxruntime on 512 random cells/epochs: {err.max(axis=0)}")
    if err.max() > 1e-4:
        raise SystemExit("the numpy evaluator disagrees with onnxruntime; not writing")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".nb301-", dir=args.out.parent))
    try:
        for f in FILES:
            shutil.copyfile(args.src / f, tmp / f)
        np.savez(tmp / "weights.npz", **w)
        np.savez(tmp / "golden.npz", x_cat=x_cat.astype(np.int32), epoch=epochs, output=ref.astype(np.float32))
        files = {}
        for f in sorted(p.name for p in tmp.iterdir()):
            files[f] = {"sha256": _sha256(tmp / f), "crc32": _crc32(tmp / f), "bytes": (tmp / f).stat().st_size}
        manifest = {
            "format": nb301.FORMAT, "version": 1, "benchmark": "nb301", "dataset": "cifar10", "space": "darts",
            "files": files,
            "outputs": ["val_accuracy", "val_cross_entropy", "runtime", "runtime_increase"],
            "epochs": [1, 98],
            "source": ("YAHPO Gym NAS-Bench-301 surrogate model_v2.onnx (slds-lmu/yahpo_data nb301/, commit "
                       "0e28806, Apache-2.0), fitted to the NAS-Bench-301 training logs (figshare 13286105)"),
            "notes": "surrogate predictions of CIFAR-10 training runs, not measurements",
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
        for p in tmp.iterdir():
            p.chmod(0o644)
        tmp.chmod(0o755)
        if args.out.exists():
            shutil.rmtree(args.out)
        tmp.rename(args.out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""NAS-Bench-301 surrogate: the cell <-> x_cat mapping, equality with the ONNX model, the Suite-Zero
cross-check, the query/curves API and damaged files."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from fastnas.nasbench import load, load_zc
from fastnas.nasbench._registry import BUNDLED, verify
from fastnas.nasbench.nb301 import NB301Surrogate, SurrogateError, forward
from fastnas.nasbench.nb301_encoding import COLUMNS, cells_to_x_cat, x_cat_to_cells
from fastnas.spaces.darts import DARTS


@pytest.fixture(scope="module")
def bench():
    return load("nb301")


def _ref_x_cat(inputs, ops):
    """NAS-Bench-301's convert_genotype_to_config written out per cell with names, then YAHPO's encoding."""
    import json

    enc = json.loads((BUNDLED / "nb301" / "cifar10" / "encoding_v2.json").read_text())
    pre = "NetworkSelectorDatasetInfo_COLON_darts_COLON_"
    config = {}
    for c, kind in enumerate(("normal", "reduce")):
        start, n = 0, 2
        for node in range(4):
            pairs = [(DARTS.OPS[ops[c][2 * node + j]], inputs[c][2 * node + j]) for j in range(2)]
            for op, i in pairs:
                config[f"{pre}edge_{kind}_{start + i}"] = op
            if node:
                config[f"{pre}inputs_node_{kind}_{node + 2}"] = "_".join(str(i) for i in sorted(p[1] for p in pairs))
            start += n
            n += 1
    return [enc[pre + name].get(config.get(pre + name, "#na#")) for name in COLUMNS]


def test_x_cat_matches_named_reference_and_round_trips():
    space = DARTS()
    cells = space.sample(200, seed=3)
    x = cells_to_x_cat(cells)
    ref = np.array([_ref_x_cat(i.tolist(), o.tolist()) for i, o in zip(cells.inputs, cells.ops)])
    np.testing.assert_array_equal(x, ref)
    assert x.dtype == np.int32 and x.shape == (200, 34)
    back = x_cat_to_cells(x)
    # same isomorphism class, and each node's pair sorted by input
    np.testing.assert_array_equal(space.key(back), space.key(cells))
    order = np.argsort(np.asarray(cells.inputs).reshape(200, 2, 4, 2), axis=-1, kind="stable")
    inp = np.take_along_axis(np.asarray(cells.inputs).reshape(200, 2, 4, 2), order, -1).reshape(200, 2, 8)
    ops = np.take_along_axis(np.asarray(cells.ops).reshape(200, 2, 4, 2), order, -1).reshape(200, 2, 8)
    np.testing.assert_array_equal(back.inputs, inp)
    np.testing.assert_array_equal(back.ops, ops)
    np.testing.assert_array_equal(cells_to_x_cat(back), x)  # x_cat -> cells -> x_cat is the identity


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 8))
def test_x_cat_round_trip_property(seed, n):
    space = DARTS()
    cells = space.sample(n, seed=seed)
    x = cells_to_x_cat(cells)
    # exactly 2 active edges per node, 8 per cell; pair codes in range
    assert ((x[:, :14] != 0).sum(1) == 8).all() and ((x[:, 14:28] != 0).sum(1) == 8).all()
    assert ((x[:, 28:] >= 1) & (x[:, 28:] <= np.array([3, 6, 10, 3, 6, 10]))).all()
    back = x_cat_to_cells(x)
    np.testing.assert_array_equal(space.key(back), space.key(cells))
    np.testing.assert_array_equal(cells_to_x_cat(back), x)


def test_x_cat_hand_example():
    # normal: node2 <- (0 max_pool, 1 avg_pool); node3 <- (0 skip, 2 sep3); node4 <- (1 sep5, 3 dil3);
    # node5 <- (2 dil5, 4 max_pool); YAHPO codes: max 4, avg 1, skip 7, sep3 5, sep5 6, dil3 2, dil5 3
    c = DARTS.from_arrays([[0, 1, 0, 2, 1, 3, 2, 4]] * 2, [[0, 1, 2, 3, 4, 5, 6, 0]] * 2)
    x = cells_to_x_cat(c)[0]
    assert x[:14].tolist() == [4, 1, 7, 0, 5, 0, 6, 0, 2, 0, 0, 3, 0, 4]
    assert x[14:28].tolist() == x[:14].tolist()
    assert x[28:].tolist() == [2, 5, 9, 2, 5, 9]  # "0_2", "1_3", "2_4"


def test_x_cat_rejects_bad_input():
    with pytest.raises(TypeError):
        cells_to_x_cat(np.zeros((1, 34)))
    bad = DARTS.from_arrays([[0, 0, 0, 2, 1, 3, 2, 4]] * 2, [[0] * 8] * 2)  # node 2 reads input 0 twice
    with pytest.raises(ValueError, match="row 0"):
        cells_to_x_cat(bad)
    x = cells_to_x_cat(DARTS().sample(3, seed=0))
    y = x.copy()
    y[1, 28] = 0
    with pytest.raises(ValueError, match="row 1 column inputs_node_normal_3"):
        x_cat_to_cells(y)
    y = x.copy()
    y[2, :14] = 0
    with pytest.raises(ValueError, match="row 2"):
        x_cat_to_cells(y)
    y = x.copy()
    y[0, 3] = 9
    with pytest.raises(ValueError, match="out of range"):
        x_cat_to_cells(y)
    with pytest.raises(ValueError, match=r"\(N, 34\)"):
        x_cat_to_cells(np.zeros((2, 33), int))


def test_forward_equals_recorded_onnxruntime_outputs(bench):
    g = bench.golden()
    out = forward(bench._params(), g["x_cat"], g["epoch"])
    np.testing.assert_allclose(out, g["output"], rtol=2e-5, atol=1e-6)


def test_query_equals_onnxruntime_on_random_cells_and_epochs(bench):
    ort = pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(7)
    cells = bench.space.sample(300, seed=rng)
    epochs = rng.integers(1, 99, 300)
    sess = ort.InferenceSession(str(bench.onnx_path()), providers=["CPUExecutionProvider"])
    ref = sess.run(None, {"x_cat": cells_to_x_cat(cells), "x_cont": epochs[:, None].astype(np.float32)})[0]
    acc, cost = bench.query(cells, epoch=epochs, return_cost=True)
    np.testing.assert_allclose(acc, 100 * ref[:, 0].astype(np.float64), rtol=2e-5)
    np.testing.assert_allclose(cost, ref[:, 2], rtol=2e-5)
    np.testing.assert_allclose(bench.query(cells, "loss", epoch=epochs), ref[:, 1], rtol=2e-5)
    np.testing.assert_allclose(bench.query(cells, "runtime_increase", epoch=epochs), ref[:, 3], rtol=2e-5)


def test_suite_zero_cross_check(bench):
    """Final-epoch surrogate accuracy ranks like NAS-Bench-Suite-Zero's val_accuracy (itself from the
    NAS-Bench-301 surrogate) on its 725 cells; a wrong op order collapses it."""
    z = load_zc("nb301", "cifar10")
    y = np.asarray(z.val_accuracy)
    rho = spearmanr(bench.query(z.cells, epoch=98), y)[0]
    assert rho > 0.5, rho  # 0.590 when recorded
    ops = np.asarray(z.cells.ops)
    perm = np.array([2, 4, 3, 6, 5, 0, 1])  # another op order (0.07 when recorded)
    rho_wrong = spearmanr(bench.query(DARTS.from_arrays(z.cells.inputs, perm[ops]), epoch=98), y)[0]
    assert rho_wrong < 0.3, rho_wrong


def test_query_and_curves_api(bench):
    cells = bench.space.sample(5, seed=0)
    c = bench.curves(cells, [1, 50, 98])
    assert c.shape == (5, 3) and c.dtype == np.float64
    for j, e in enumerate((1, 50, 98)):
        np.testing.assert_allclose(c[:, j], bench.query(cells, epoch=e), rtol=1e-5)
    full, cost = bench.curves(cells, return_cost=True)
    assert full.shape == cost.shape == (5, 98)
    np.testing.assert_allclose(cost[:, 97], bench.query(cells, "runtime", epoch=98), rtol=1e-5)
    assert (full[:, -10:].mean(1) > full[:, :3].mean(1)).all()  # the curves learn
    assert bench.query(cells, epoch=None).tolist() == bench.query(cells).tolist()
    np.testing.assert_array_equal(bench.curves(cells, [1, 2], progress=True), bench.curves(cells, [1, 2]))
    info = bench.info()
    assert info["kind"] == "surrogate" and info["measured"] is False and info["epochs"] == [1, 98]
    assert "surrogate" in repr(bench)
    assert isinstance(bench.space, DARTS)
    assert verify("nb301", root=BUNDLED) == [("nb301/cifar10", [])]


@pytest.mark.parametrize("metric", ["accuracy", "loss", "runtime"])
def test_query_and_curves_are_bit_identical(bench, metric):
    """The same (cell, epoch) gives the same float64 value through ``query`` (one epoch, or one per cell, in any
    batch) and through ``curves`` (all 98 epochs, or a few): one evaluation, not two that round differently."""
    cells = bench.space.sample(150, seed=3)
    full, cost = bench.curves(cells, np.arange(1, 99), metric=metric, return_cost=True)
    for e in (1, 2, 37, 98):
        v, c = bench.query(cells, metric=metric, epoch=e, return_cost=True)
        np.testing.assert_array_equal(v, full[:, e - 1])
        np.testing.assert_array_equal(c, cost[:, e - 1])
    np.testing.assert_array_equal(bench.curves(cells, [37, 5], metric=metric), full[:, [36, 4]])
    ep = np.random.default_rng(0).integers(1, 99, len(cells))
    np.testing.assert_array_equal(bench.query(cells, metric=metric, epoch=ep), full[np.arange(len(cells)), ep - 1])
    for i in (0, 77, 149):  # a batch of one (numpy sends a one-row product to gemv)
        np.testing.assert_array_equal(bench.query(cells[i:i + 1], metric=metric, epoch=int(ep[i])),
                                      full[i:i + 1, ep[i] - 1])
        np.testing.assert_array_equal(bench.curves(cells[i:i + 1], [int(ep[i])], metric=metric)[:, 0],
                                      full[i:i + 1, ep[i] - 1])


@pytest.mark.parametrize("epoch", [0, 99, -1, 1000])
def test_epoch_outside_range_is_an_error(bench, epoch):
    cells = bench.space.sample(2, seed=0)
    with pytest.raises(ValueError, match="1..98"):
        bench.query(cells, epoch=epoch)
    with pytest.raises(ValueError, match="1..98"):
        bench.curves(cells, [1, epoch])


def test_bad_arguments(bench):
    cells = bench.space.sample(2, seed=0)
    with pytest.raises(ValueError, match="whole epochs"):
        bench.query(cells, epoch=2.5)
    with pytest.raises(TypeError):
        bench.query(cells, epoch=True)
    with pytest.raises(ValueError, match="one per cell"):
        bench.query(cells, epoch=[1, 2, 3])
    with pytest.raises(ValueError, match="no metric"):
        bench.query(cells, "test_accuracy")
    with pytest.raises(ValueError, match="validation split only"):
        bench.query(cells, split="test")
    with pytest.raises(TypeError):
        bench.query(np.zeros((2, 2, 8)))
    with pytest.raises(ValueError, match="deterministic"):
        bench.query(cells, seed="sample")
    with pytest.raises(ValueError, match="deterministic"):
        bench.query(cells, seed=1)
    # the Benchmark.query signature works positionally too
    np.testing.assert_array_equal(bench.query(cells, "accuracy", "valid", "mean", 10, "raise", None),
                                  bench.query(cells, epoch=10))


def test_damaged_file_is_refused(tmp_path):
    dst = tmp_path / "nb301" / "cifar10"
    shutil.copytree(BUNDLED / "nb301" / "cifar10", dst)
    f = dst / "weights.npz"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    b = load("nb301", root=tmp_path)
    assert isinstance(b, NB301Surrogate)
    with pytest.raises(SurrogateError, match="weights.npz"):
        b.query(b.space.sample(1, seed=0))
    problems = dict(verify("nb301", root=tmp_path))["nb301/cifar10"]
    assert any("weights.npz" in p for p in problems)


def test_docs_python_blocks_run():
    import pathlib
    import re

    doc = pathlib.Path(__file__).resolve().parents[2] / "docs" / "nb301.md"
    ns: dict = {"__name__": "docs_nb301"}
    for i, block in enumerate(re.findall(r"```python\n(.*?)```", doc.read_text(), flags=re.S)):
        exec(compile(block, f"docs/nb301.md block {i}", "exec"), ns)


def test_query_signature_matches_benchmark():
    import inspect

    from fastnas.nasbench import Benchmark

    a, b = inspect.signature(NB301Surrogate.query), inspect.signature(Benchmark.query)
    assert [(p.name, p.default) for p in a.parameters.values()] == [(p.name, p.default) for p in b.parameters.values()]

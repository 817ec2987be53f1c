"""Each zero-cost proxy on tiny networks against a slow float64 reference from the definition."""
from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import fastnas.zerocost as zc  # noqa: E402
from _zerocost_reference import NumpyNet, cross_entropy, input_jacobian, numeric_grads  # noqa: E402




N, C, H = 6, 2, 5
CLASSES = 3


def tiny(seed=0, bn=True):
    torch.manual_seed(seed)
    layers = [nn.Conv2d(C, 3, 3, padding=1)]
    if bn:
        layers.append(nn.BatchNorm2d(3))
    layers += [nn.ReLU(), nn.Conv2d(3, 4, 3, padding=0), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
               nn.Linear(4, CLASSES)]
    net = nn.Sequential(*layers)
    with torch.no_grad():  # non-trivial BN affine parameters, so they are exercised
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return net


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(N, C, H, H))
    y = np.array([0, 1, 2, 0, 1, 1])
    return x, y


def run(proxy, net, x, y, **kw):
    fn, _ = zc.PROXIES[proxy]
    return fn(net.double(), torch.from_numpy(x), torch.from_numpy(y), **kw)


def test_synflow_matches_per_parameter_loop():
    net = tiny(1)
    ref = NumpyNet(net, batchnorm=False)  # synflow: BN off
    for layer in ref.layers:
        for k in (1, 2):
            if layer[0] in ("conv", "linear", "bn") and layer[k] is not None and not np.isscalar(layer[k]):
                layer[k] = np.abs(layer[k])
    ones = np.ones((1, C, H, H))
    weights = [w for _, w in ref.weights()]
    grads = numeric_grads(lambda: ref.forward(ones).sum(), weights)
    expected = sum(float(np.sum(np.abs(w * g))) for w, g in zip(weights, grads))
    got = zc.synflow(net, torch.zeros((N, C, H, H)))
    assert got == pytest.approx(expected, rel=1e-7)
    # float64 and positive: synflow is never negative
    assert got > 0


@pytest.mark.parametrize("proxy", ["snip", "plain", "grad_norm"])
def test_loss_gradient_proxies_match_finite_differences(proxy, batch):
    x, y = batch
    net = tiny(2)
    ref = NumpyNet(net)
    weights = [w for _, w in ref.weights()]
    grads = numeric_grads(lambda: cross_entropy(ref.forward(x), y), weights)
    if proxy == "snip":
        expected = sum(np.abs(w * g).sum() for w, g in zip(weights, grads))
    elif proxy == "plain":
        expected = sum((w * g).sum() for w, g in zip(weights, grads))
    else:
        expected = sum(np.sqrt((g ** 2).sum()) for g in grads)
    assert run(proxy, net, x, y) == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_grasp_matches_finite_difference_hessian_vector_product(batch):
    x, y = batch
    net = tiny(3)
    ref = NumpyNet(net)
    weights = [w for _, w in ref.weights()]

    def loss():
        return cross_entropy(ref.forward(x), y)

    g = numeric_grads(loss, weights)
    eps = 1e-4  # H g = (grad(w + eps g) - grad(w - eps g)) / (2 eps), each grad by finite differences
    for w, gi in zip(weights, g):
        w += eps * gi
    gp = numeric_grads(loss, weights, h=1e-5)
    for w, gi in zip(weights, g):
        w -= 2 * eps * gi
    gm = numeric_grads(loss, weights, h=1e-5)
    for w, gi in zip(weights, g):
        w += eps * gi
    hg = [(a - b) / (2 * eps) for a, b in zip(gp, gm)]
    expected = sum((-w * h).sum() for w, h in zip(weights, hg))
    assert run("grasp", net, x, y) == pytest.approx(expected, rel=1e-3, abs=1e-7)


def tiny_grouped(seed=0):
    """A dense, a depthwise (groups = channels) and a grouped (groups=2) conv: fan-ins 18, 9 and 2."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(C, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.Conv2d(4, 4, 3, padding=1, groups=4), nn.ReLU(),
                         nn.Conv2d(4, 4, 1, groups=2), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, CLASSES))


def _fisher_by_channel_scaling(net, x, y):
    """Fisher from its definition: sum over positions of a * dL/da for (sample n, channel k) is
    d L(a_nk * (1 + t)) / dt at t = 0 (central difference); F_k = 0.5 mean_n of its square; each layer
    adds sum_k F_k times the number of weights per output channel (C_in / groups * k_h * k_w, or
    in_features), as the reference code broadcasts F_k to every weight of channel k."""
    ref = NumpyNet(net)
    h = 1e-6
    expected = 0.0
    for li, w in ref.weights():
        per = np.zeros((N, w.shape[0]))
        for n in range(N):
            for c in range(w.shape[0]):
                fp = cross_entropy(ref.forward(x, scale={(li, n, c): 1 + h}), y)
                fm = cross_entropy(ref.forward(x, scale={(li, n, c): 1 - h}), y)
                per[n, c] = (fp - fm) / (2 * h)
        expected += w[0].size * (0.5 * (per ** 2).mean(axis=0)).sum()
    return expected


@pytest.mark.parametrize("make", [tiny, tiny_grouped], ids=["dense", "grouped"])
def test_fisher_matches_channel_scaling_derivative(make, batch):
    x, y = batch
    net = make(4)
    assert run("fisher", net, x, y) == pytest.approx(_fisher_by_channel_scaling(net, x, y), rel=1e-6)


def test_fisher_hand_computed_value():
    # one Linear(2 -> 2), W = [[1, 0], [1, 0]], b = 0, one sample x = (1, 0), label 0: logits (1, 1),
    # softmax (1/2, 1/2), dL/da = (-1/2, 1/2), a * dL/da = (-1/2, 1/2), F_k = 0.5 * 1/4 = 1/8 per channel;
    # times in_features = 2 -> 1/4 per channel, 1/2 in all (the pre-fix definition gave 1/4)
    lin = nn.Linear(2, 2).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 0.0], [1.0, 0.0]]))
        lin.bias.zero_()
    x = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    assert zc.fisher(lin, x, torch.tensor([0])) == pytest.approx(0.5, rel=1e-15)


def _jacov_ref(jac):
    corr = np.corrcoef(jac)
    lam = np.real(np.linalg.eig(corr)[0])  # general solver as a cross-check of the symmetric one
    k = 1e-5
    return -np.sum(np.log(lam + k) + 1.0 / (lam + k))


def test_jacob_cov_matches_numpy_on_finite_difference_jacobian(batch):
    x, y = batch
    net = tiny(5)
    jac = input_jacobian(NumpyNet(net), x)
    assert run("jacob_cov", net, x, y) == pytest.approx(_jacov_ref(jac), rel=1e-5)


def test_epe_nas_matches_per_class_loop(batch):
    x, y = batch
    net = tiny(6)
    jac = input_jacobian(NumpyNet(net), x)
    expected = 0.0
    for c in sorted(set(y.tolist())):
        rows = jac[y == c]
        corr = np.atleast_2d(np.corrcoef(rows))
        s = 0.0
        for a in range(corr.shape[0]):
            for b in range(corr.shape[1]):
                s += math.log(abs(corr[a, b]) + 1e-5)
        expected += abs(s)
    assert run("epe_nas", net, x, y, num_classes=CLASSES) == pytest.approx(expected, rel=1e-5)


def test_nwot_matches_hamming_kernel(batch):
    x, y = batch
    net = tiny(7)
    trace = {}
    NumpyNet(net).forward(x, trace=trace)
    kmat = np.zeros((N, N))
    for pre in trace["relu_in"]:
        codes = (pre.reshape(N, -1) > 0).astype(int)
        for i in range(N):
            for j in range(N):  # units where samples i and j agree (both on or both off)
                kmat[i, j] += int(np.sum(codes[i] == codes[j]))
    assert run("nwot", net, x, y) == pytest.approx(np.linalg.slogdet(kmat)[1], rel=1e-10)


def test_zen_matches_numpy_forward():
    net = tiny(8).double()
    x = torch.zeros((N, C, H, H), dtype=torch.float64)
    got = zc.zen(net, x, seed=11)
    # replay the documented draws: Conv/Linear weights ~ N(0,1) in module order, then x, then eps
    gen = torch.Generator().manual_seed(11)
    ref = NumpyNet(net)
    for layer in ref.layers:
        if layer[0] in ("conv", "linear"):
            layer[1] = torch.randn(layer[1].shape, generator=gen, dtype=torch.float64).numpy()
            if layer[2] is not None:
                layer[2] = np.zeros_like(layer[2])
        elif layer[0] == "bn":
            layer[1], layer[2] = np.ones_like(layer[1]), np.zeros_like(layer[2])
    xin = torch.randn(x.shape, generator=gen, dtype=torch.float64).numpy()
    eps = torch.randn(x.shape, generator=gen, dtype=torch.float64).numpy()
    t0, t1 = {}, {}
    ref.forward(xin, trace=t0)
    ref.forward(xin + 1e-2 * eps, trace=t1)
    delta = np.abs(t0["pre_gap"] - t1["pre_gap"]).sum(axis=(1, 2, 3)).mean()
    # running_var from reset (1) after two passes with momentum 0.1
    running = [0.9 * (0.9 * 1.0 + 0.1 * v0) + 0.1 * v1 for v0, v1 in zip(t0["bn_var"], t1["bn_var"])]
    expected = np.log(delta) + sum(0.5 * np.log(r.mean()) for r in running)
    assert got == pytest.approx(expected, rel=1e-9)


def test_static_proxies_hand_counted():
    net = tiny(0)
    # conv1 2*3*9 + 3, bn 3 + 3, conv2 3*4*9 + 4, linear 4*3 + 3
    assert zc.params(net) == 57 + 6 + 112 + 15
    x = torch.zeros((N, C, H, H))
    # MACs for one sample: conv1 5*5*3 outputs * 2*9, conv2 3*3*4 outputs * 3*9, linear 4*3
    assert zc.flops(net, x) == 75 * 18 + 36 * 27 + 12
    expected = sum(float(np.linalg.norm(m.weight.detach().double().numpy())) for m in net
                   if isinstance(m, (nn.Conv2d, nn.Linear)))
    assert zc.l2_norm(net) == pytest.approx(expected, rel=1e-12)

"""Issue 12: how close one zero-cost proxy pass (forward + backward, batch 64) comes to this CPU's arithmetic peak.

    python benchmarks/zerocost_cpu_bound.py   # figures of benchmarks/README.md, "zero-cost goals against this CPU"
"""
import time, numpy as np, torch
torch.set_num_threads(1)
from fastnas.spaces import get_space
from fastnas.models import build
from fastnas.zerocost import score
sp = get_space("nb201")
cells = sp.sample(200, seed=1)
# matmul peak, one thread, fp32
a = torch.randn(1024, 1024); b = torch.randn(1024, 1024)
for _ in range(3): a @ b
t = time.process_time(); n = 20
for _ in range(n): a @ b
peak = 2 * 1024**3 * n / (time.process_time() - t) / 1e9
print(f"matmul 1024 fp32 one thread: {peak:.1f} GFLOP/s")
fl = np.asarray(score("nb201", cells, "flops"), dtype=float) / 1e6  # proxy gives FLOPs per image (NB201 convention: multiply-adds)
order = np.argsort(fl); pick = order[[10, 50, 100, 150, 190]]
x = torch.randn(64, 3, 32, 32); y = torch.randint(0, 10, (64,))
for i in pick:
    net = build("nb201", cells[int(i):int(i)+1], seed=0)
    net = net[0] if isinstance(net, (list, tuple)) else net
    for _ in range(2):
        t = time.process_time()
        out = net(x); out = out[-1] if isinstance(out, (tuple, list)) else out
        torch.nn.functional.cross_entropy(out, y).backward()
        dt = time.process_time() - t
    gf = 3 * 2 * fl[i] * 1e6 * 64 / 1e9  # fwd MACs*2 FLOP, backward ~2x forward
    print(f"cell flops {fl[i]:.1f} M/img: fwd+bwd batch 64 {dt*1e3:.0f} ms CPU, ~{gf:.1f} GFLOP -> {gf/dt:.1f} GFLOP/s")
print("mean flops over 200 random cells:", fl.mean())
t = time.process_time(); s = score("nb201", cells[:6], "snip"); print("score snip 6 cells CPU s/cell:", (time.process_time() - t) / 6)

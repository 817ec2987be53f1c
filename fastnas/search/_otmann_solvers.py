"""Solvers of OTMANN's transport problems (``fastnas.search.otmann``): for every pair of padded graph arrays
and every structural coefficient, the balanced dummy-node LP of the code's ``get_ot_cost_matrix``.
``_distances_kernel`` (default): a compiled successive-shortest-path solver; ``_distances_pot``: POT's
network simplex (``emd_c``, the solver behind the official code's ``ot.emd``). Both exact; the tests check
them against each other and against scipy's ``linprog``."""
from __future__ import annotations

import numpy as np

from .._kernels._jit import njit


def _emd():
    """POT's network simplex without ``ot.emd2``'s per-call backend checks (10x less overhead on these
    tiny problems): (a, b, M) -> optimal cost."""
    try:
        from ot.lp.emd_wrap import emd_c
    except ImportError as exc:  # pragma: no cover - optional extra
        raise ImportError('the OTMANN distance needs POT: pip install "fastnas[nasbot]"') from exc

    def solve(a, b, M):
        _, cost, _, _, code = emd_c(a, b, np.ascontiguousarray(M), 100000, 1)
        if code != 1:  # pragma: no cover - tiny balanced problems always solve
            raise RuntimeError(f"POT's network simplex did not reach the optimum (code {code})")
        return float(cost)

    return solve


def _distances_pot(P1, L1, M1, k1, P2, L2, M2, k2, lcb, s, nu_nas, symmetric, D):
    """``_distances_kernel`` with POT's network simplex for each transport problem."""
    solve = _emd()
    n1, n2 = len(P1), len(P2)
    tm1, tm2 = M1.sum(axis=1), M2.sum(axis=1)
    for i in range(n1):
        C_str = np.abs(P1[i][None, :, None, :] - P2[:, None, :, :]).mean(axis=3)  # (n2, V, V)
        C_lmm = lcb[L1[i]][:, L2].transpose(1, 0, 2)                                  # (n2, V, V)
        r = int(k1[i])
        a = np.append(M1[i, :r], 0.0)
        for j in range(n2):
            if symmetric and j <= i:
                continue
            c2 = int(k2[j])
            a[r] = tm2[j]
            b = np.append(M2[j, :c2], tm1[i])
            full = np.empty((r + 1, c2 + 1))
            full[:r, c2] = nu_nas
            full[r, :c2] = nu_nas
            full[r, c2] = 0.0
            cl, cs = C_lmm[j, :r, :c2], C_str[j, :r, :c2]
            for c, nu_str in enumerate(s):
                np.multiply(cs, nu_str, out=full[:r, :c2])
                full[:r, :c2] += cl
                d = solve(a, b, full)
                D[c, i, j] = d if d > 1e-12 else 0.0


@njit
def _transport(a, b, C, tol):
    """Minimum cost of the balanced transport problem (supplies ``a``, demands ``b``, dense costs ``C``) by
    successive shortest paths with node potentials (Dijkstra on reduced costs): an exact LP solver for the
    tiny dummy-node problems of OTMANN; amounts below ``tol`` count as zero."""
    R, S = C.shape
    ra, rb = a.copy(), b.copy()
    flow = np.zeros((R, S))
    pu = np.zeros(R)
    pv = np.empty(S)
    for j in range(S):
        pv[j] = C[0, j]
        for i in range(1, R):
            pv[j] = min(pv[j], C[i, j])
    du, dv = np.empty(R), np.empty(S)
    doneu, donev = np.zeros(R, np.bool_), np.zeros(S, np.bool_)
    prevu, prevv = np.empty(R, np.int64), np.empty(S, np.int64)
    while True:
        any_supply = False
        for i in range(R):
            doneu[i] = False
            prevu[i] = -1
            du[i] = np.inf
            if ra[i] > tol:
                du[i] = 0.0
                any_supply = True
        if not any_supply:
            break
        for j in range(S):
            dv[j] = np.inf
            donev[j] = False
        target = -1
        while True:
            best, bi, side = np.inf, -1, 0
            for i in range(R):
                if not doneu[i] and du[i] < best:
                    best, bi, side = du[i], i, 0
            for j in range(S):
                if not donev[j] and dv[j] < best:
                    best, bi, side = dv[j], j, 1
            if bi < 0:
                break
            if side == 0:
                doneu[bi] = True
                for j in range(S):
                    if not donev[j]:
                        nd = best + max(C[bi, j] + pu[bi] - pv[j], 0.0)
                        if nd < dv[j]:
                            dv[j], prevv[j] = nd, bi
            else:
                if rb[bi] > tol:
                    target = bi
                    break
                donev[bi] = True
                for i in range(R):
                    if not doneu[i] and flow[i, bi] > tol:
                        nd = best + max(pv[bi] - C[i, bi] - pu[i], 0.0)
                        if nd < du[i]:
                            du[i], prevu[i] = nd, bi
        if target < 0:  # pragma: no cover - a balanced problem always has a path
            break
        dt = dv[target]
        for i in range(R):
            pu[i] += min(du[i], dt)
        for j in range(S):
            pv[j] += min(dv[j], dt)
        delta = rb[target]
        j = target
        while True:
            i = prevv[j]
            jb = prevu[i]
            if jb < 0:
                delta = min(delta, ra[i])
                break
            delta = min(delta, flow[i, jb])
            j = jb
        j = target
        rb[target] -= delta
        while True:
            i = prevv[j]
            flow[i, j] += delta
            jb = prevu[i]
            if jb < 0:
                ra[i] -= delta
                break
            flow[i, jb] -= delta
            j = jb
    cost = 0.0
    for i in range(R):
        for j in range(S):
            cost += flow[i, j] * C[i, j]
    return cost


@njit
def _distances_kernel(P1, L1, M1, k1, P2, L2, M2, k2, lcb, s, nu_nas, symmetric, D):
    """D[c, i, j] = the OTMANN distance for structural coefficient ``s[c]`` (padded graph arrays)."""
    F = P1.shape[2]
    for i in range(P1.shape[0]):
        r = k1[i]
        tm1 = M1[i].sum()
        for j in range(P2.shape[0]):
            if symmetric and j <= i:
                continue
            c2 = k2[j]
            tm2 = M2[j].sum()
            a = np.empty(r + 1)
            a[:r] = M1[i, :r]
            a[r] = tm2
            b = np.empty(c2 + 1)
            b[:c2] = M2[j, :c2]
            b[c2] = tm1
            cs = np.empty((r, c2))
            for p in range(r):
                for q in range(c2):
                    acc = 0.0
                    for f in range(F):
                        acc += abs(P1[i, p, f] - P2[j, q, f])
                    cs[p, q] = acc / F
            C = np.empty((r + 1, c2 + 1))
            C[:r, c2] = nu_nas
            C[r, :c2] = nu_nas
            C[r, c2] = 0.0
            tol = 1e-12 * (tm1 + tm2)
            for c in range(s.shape[0]):
                for p in range(r):
                    for q in range(c2):
                        C[p, q] = lcb[L1[i, p], L2[j, q]] + s[c] * cs[p, q]
                d = _transport(a, b, C, tol)
                D[c, i, j] = d if d > 1e-12 else 0.0

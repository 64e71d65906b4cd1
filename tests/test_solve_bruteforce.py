"""The exact table solver against an independent numpy brute force (dense p search with zoom
refinement plus the analytic boundary powers p_needed and p_max). No C++ in the reference."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dvfskit

TOL = 1e-9  # deadline relative tolerance, as documented in dvfskit.solve
LN2 = math.log(2.0)


def random_instance(rng: np.random.Generator, max_blocks: int = 6, max_f: int = 5, max_m: int = 4) -> dict:
    L = int(rng.integers(1, max_blocks + 1))
    nf = int(rng.integers(1, max_f + 1))
    nm = int(rng.integers(1, max_m + 1))
    f = np.sort(rng.uniform(50, 1500, nf))
    m = np.sort(rng.uniform(100, 3200, nm))
    # Non-separable random tables so the Pareto fronts are not trivial.
    base = rng.uniform(0.2, 5.0, (L, 1, 1))
    lat = base * (300.0 / f[None, :, None] + rng.uniform(0, 200, (L, 1, 1)) / m[None, None, :]) * rng.uniform(0.7, 1.3, (L, nf, nm))
    pw = rng.uniform(0.3, 1.0) + rng.uniform(0, 4e-3) * f[None, :, None] * rng.uniform(0.5, 1.5, (L, nf, nm)) + rng.uniform(0, 5e-4) * m[None, None, :]
    if rng.random() < 0.15:
        pw = pw * 50.0  # expensive device: full offload optimal
    bits = rng.uniform(1e3, 2e6, L + 1) * (10.0 if rng.random() < 0.15 else 1.0)  # huge maps: all local
    if rng.random() < 0.2:
        bits[rng.integers(0, L + 1)] = 0.0
    server = np.r_[np.sort(rng.uniform(0.1, 20.0, L))[::-1], 0.0]
    inst = dict(
        block_latency_ms=lat,
        block_power_w=pw,
        compute_freqs_mhz=f,
        mem_freqs_mhz=m,
        out_bits=bits,
        server_latency_ms=server,
        bandwidth_hz=float(rng.uniform(1e5, 2e7)),
        gain=float(10 ** rng.uniform(-9, -5)),
        noise_w_per_hz=float(10 ** rng.uniform(-20, -17)),
        p_max_w=float(rng.uniform(0.05, 2.0)),
        deadline_ms=1.0,
        p_circuit_w=float(rng.choice([0.0, rng.uniform(0.01, 1.0), rng.uniform(1.0, 20.0)])),
        idle_power_w=float(rng.choice([0.0, rng.uniform(0.0, 0.5)])),
    )
    return inst


def cum_tables(inst):
    lat, pw = inst["block_latency_ms"], inst["block_power_w"]
    nc = lat.shape[1] * lat.shape[2]
    t = np.vstack([np.zeros((1, nc)), np.cumsum(lat.reshape(lat.shape[0], nc), axis=0)])
    e = np.vstack([np.zeros((1, nc)), np.cumsum((lat * pw).reshape(lat.shape[0], nc), axis=0)])
    return t, e


def rate(inst, p):
    B = inst["bandwidth_hz"]
    return B * np.log2(1.0 + p * inst["gain"] / (inst["noise_w_per_hz"] * B))


def min_latency(inst) -> float:
    t, _ = cum_tables(inst)
    L = t.shape[0] - 1
    best = math.inf
    for l in range(L + 1):
        bits = inst["out_bits"][l] if l < L else 0.0
        tx = bits / rate(inst, inst["p_max_w"]) * 1e3 if bits > 0 else 0.0
        best = min(best, t[l].min() + tx + inst["server_latency_ms"][l])
    return best


def cost_fn(objective, w):
    if objective == "energy":
        return lambda e, lat: e
    if objective == "latency":
        return lambda e, lat: lat
    if objective == "weighted":
        return lambda e, lat: e + w * lat * 1e-3
    return lambda e, lat: e * lat * 1e-3


def brute_force(inst, objective="energy", w=0.0):
    """(feasible, best cost, energy at best) by enumeration and dense p search."""
    cost = cost_fn(objective, w)
    t, e = cum_tables(inst)
    L = t.shape[0] - 1
    T = inst["deadline_ms"] * (1 + TOL)
    B, g, N0, pmax, pc, pidle = (inst[k] for k in ("bandwidth_hz", "gain", "noise_w_per_hz", "p_max_w", "p_circuit_w", "idle_power_w"))
    best = (math.inf, math.inf)
    for l in range(L + 1):
        bits = inst["out_bits"][l] if l < L else 0.0
        srv = inst["server_latency_ms"][l]
        e0 = e[l] * 1e-3 + pidle * srv * 1e-3
        t0 = t[l] + srv
        if bits <= 0:
            ok = t0 <= T
            for c in np.flatnonzero(ok):
                best = min(best, (cost(e0[c], t0[c]), e0[c]))
            continue
        tau = (T - t0) * 1e-3
        ok = tau >= bits / rate(inst, pmax)
        if not ok.any():
            continue
        e0, t0, tau = e0[ok], t0[ok], tau[ok]

        def total(p):  # p: (n, k)
            s = bits / rate(inst, p)
            en = e0[:, None] + (p + pc) * s
            return cost(en, t0[:, None] + s * 1e3), en

        if objective == "latency":
            cands = np.full((e0.size, 1), pmax)
        else:
            tau_exact = (inst["deadline_ms"] - t0) * 1e-3  # aim at the exact deadline
            with np.errstate(divide="ignore", over="ignore"):
                p_need = np.where(tau_exact > 0, (2.0 ** (bits / (B * np.maximum(tau_exact, 1e-300))) - 1.0) * N0 * B / g, pmax)
            p_need = np.minimum(p_need, pmax)  # analytic boundary
            lo, hi = np.log(p_need), np.full_like(p_need, math.log(pmax))
            cands = [p_need[:, None], np.full((e0.size, 1), pmax)]
            k = np.arange(65) / 64.0
            for _ in range(5):  # dense log grid, zoomed around the best point
                u = lo[:, None] + (hi - lo)[:, None] * k[None, :]
                c, _ = total(np.exp(u))
                j = np.argmin(c, axis=1)
                cands.append(np.exp(u[np.arange(u.shape[0]), j])[:, None])
                lo_new = u[np.arange(u.shape[0]), np.maximum(j - 1, 0)]
                hi = u[np.arange(u.shape[0]), np.minimum(j + 1, 64)]
                lo = lo_new
            cands = np.hstack(cands)
        c, en = total(cands)
        for r in range(c.shape[0]):
            j = int(np.argmin(c[r]))
            best = min(best, (c[r, j], en[r, j]))
    return math.isfinite(best[0]), best[0], best[1]


def with_deadline(inst, rng, kind):
    lmin = min_latency(inst)
    factor = {
        "infeasible": rng.uniform(0.3, 1.0 - 1e-6),
        "tight": 1.0,
        "near": 1.0 + 10 ** rng.uniform(-8, -2),
        "loose": rng.uniform(1.05, 5.0),
        "very_loose": rng.uniform(20.0, 1e4),
    }[kind]
    return {**inst, "deadline_ms": lmin * factor}


KINDS = ("infeasible", "tight", "near", "loose", "loose", "very_loose")


def independent_energy(inst, sol) -> float:
    """Energy of the returned decisions recomputed in numpy."""
    t, e = cum_tables(inst)
    L = t.shape[0] - 1
    l = sol.split
    nm = len(inst["mem_freqs_mhz"])
    c = 0 if l == 0 else int(np.flatnonzero(inst["compute_freqs_mhz"] == sol.compute_freq_mhz)[0]) * nm + int(
        np.flatnonzero(inst["mem_freqs_mhz"] == sol.mem_freq_mhz)[0]
    )
    bits = inst["out_bits"][l] if l < L else 0.0
    tx = (sol.tx_power_w + inst["p_circuit_w"]) * bits / rate(inst, sol.tx_power_w) if bits > 0 else 0.0
    return e[l, c] * 1e-3 + tx + inst["idle_power_w"] * inst["server_latency_ms"][l] * 1e-3


def test_energy_matches_brute_force_on_thousands_of_instances():
    rng = np.random.default_rng(20261125)
    n, max_rel = 3000, 0.0
    seen = {"infeasible": 0, "split0": 0, "splitL": 0, "p_max": 0, "interior_p": 0, "circuit": 0}
    for i in range(n):
        inst = with_deadline(random_instance(rng), rng, KINDS[i % len(KINDS)])
        sol = dvfskit.solve(dvfskit.Problem.from_tables(**inst))
        feasible, _, e_bf = brute_force(inst)
        assert sol.feasible == feasible, (i, sol, inst["deadline_ms"])
        assert sol.min_latency_ms == pytest.approx(min_latency(inst), rel=1e-12)
        if not feasible:
            seen["infeasible"] += 1
            assert sol.reason and sol.min_latency_ms > inst["deadline_ms"]
            continue
        rel = abs(sol.energy_j - e_bf) / max(abs(e_bf), 1e-300)
        max_rel = max(max_rel, rel)
        assert rel <= 1e-6, (i, sol.energy_j, e_bf)
        assert sol.energy_j <= e_bf * (1 + 1e-12)  # exact: never worse than the grid
        assert sol.latency_ms <= inst["deadline_ms"] * (1 + TOL)
        assert independent_energy(inst, sol) == pytest.approx(sol.energy_j, rel=1e-12)
        L = inst["block_latency_ms"].shape[0]
        seen["split0"] += sol.split == 0
        seen["splitL"] += sol.split == L
        seen["p_max"] += sol.tx_power_w == inst["p_max_w"]
        seen["interior_p"] += 0 < sol.tx_power_w < inst["p_max_w"] and inst["p_circuit_w"] > 0
        seen["circuit"] += inst["p_circuit_w"] > 0
    print(f"\n{n} instances, max relative energy error {max_rel:.3g}, coverage {seen}")
    assert all(v >= 20 for v in seen.values()), seen


@pytest.mark.parametrize("objective", ["latency", ("weighted", None), "edp"])
def test_other_objectives_match_brute_force(objective):
    rng = np.random.default_rng(7)
    for i in range(400):
        inst = with_deadline(random_instance(rng), rng, KINDS[i % len(KINDS)])
        problem = dvfskit.Problem.from_tables(**inst)
        if isinstance(objective, tuple):
            w = float(10 ** rng.uniform(-3, 1))
            sol, (feasible, c_bf, _) = dvfskit.solve(problem, ("weighted", w)), brute_force(inst, "weighted", w)
        else:
            sol, (feasible, c_bf, _) = dvfskit.solve(problem, objective), brute_force(inst, objective)
        assert sol.feasible == feasible
        if feasible:
            assert sol.objective_value == pytest.approx(c_bf, rel=1e-6), (i, sol)
            assert sol.objective_value <= c_bf * (1 + 1e-9)


@pytest.mark.parametrize("objective", ["energy", "weighted"])
def test_large_tables_match_brute_force(objective):
    """Up to 20 blocks x 13 x 7 frequencies: many Pareto candidates, branch and bound at work."""
    rng = np.random.default_rng(99)
    max_rel = 0.0
    for i in range(150):
        inst = with_deadline(random_instance(rng, 20, 13, 7), rng, KINDS[i % len(KINDS)])
        problem = dvfskit.Problem.from_tables(**inst)
        w = float(10 ** rng.uniform(-3, 0)) if objective == "weighted" else 0.0
        sol = dvfskit.solve(problem, ("weighted", w)) if objective == "weighted" else dvfskit.solve(problem)
        feasible, c_bf, _ = brute_force(inst, objective, w)
        assert sol.feasible == feasible
        if feasible:
            assert sol.objective_value == pytest.approx(c_bf, rel=1e-6), (i, sol)
            assert sol.objective_value <= c_bf * (1 + 1e-12)
            max_rel = max(max_rel, abs(sol.objective_value - c_bf) / max(c_bf, 1e-300))
    print(f"\nlarge tables, {objective}: max relative error {max_rel:.3g}")

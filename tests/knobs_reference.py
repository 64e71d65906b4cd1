"""An independent numpy brute force for table problems over any configuration set, with partial
offloading (docs/math.rst, "Partial offloading"), written apart from the solver: every (split, offloaded
share, configuration) and a dense, zoomed log grid of transmit powers between the power that
just meets the deadline and p_max. Used by tests/test_solve_knobs.py and benchmarks."""
from __future__ import annotations

import math
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

TOL = 1e-9  # the solver's relative deadline tolerance


def random_configs(rng: np.random.Generator, d: int, density: float, with_label: bool = False) -> pd.DataFrame:
    """A configuration table over d knobs (1 to 4 levels each), keeping each grid point with
    probability ``density`` (at least one); the last knob a label ("core_mask") when asked."""
    levels = [int(rng.integers(1, 5)) for _ in range(d)]
    names = [f"k{j}_mhz" for j in range(d)]
    if with_label:
        names[-1] = "core_mask"
    axes = []
    for j, n in enumerate(levels):
        if names[j] == "core_mask":
            axes.append(["1111", "1100", "1000", "0001"][:n])
        else:
            axes.append(np.sort(rng.choice(np.arange(100.0, 2100.0, 100.0), n, replace=False)))
    grid = pd.MultiIndex.from_product(axes, names=names).to_frame(index=False)
    keep = rng.random(len(grid)) < density
    if not keep.any():
        keep[rng.integers(len(grid))] = True
    return grid[keep].reset_index(drop=True)


def random_tables(rng: np.random.Generator, configs: pd.DataFrame, L: int) -> Tuple[np.ndarray, np.ndarray]:
    """(L, K) latency (ms) and power (W): every frequency knob speeds a block up by its own share."""
    K = len(configs)
    lat = np.full((L, K), 0.0) + rng.uniform(0.05, 0.5, (L, 1))
    pw = np.full((L, K), 0.3)
    for name in configs.columns:
        if name.endswith("_mhz"):
            f = configs[name].to_numpy(float)
            lat += rng.uniform(20, 800, (L, 1)) / f[None, :]
            pw += rng.uniform(0.2e-6, 2e-6) * f[None, :] ** 2
        else:
            cores = configs[name].astype(str).str.count("1").to_numpy(float)
            lat *= (1.0 + 0.2 / cores)[None, :]
            pw += 0.15 * cores[None, :]
    lat *= rng.uniform(0.8, 1.2, (L, K))
    pw *= rng.uniform(0.9, 1.1, (L, K))
    return lat, pw


def random_scenario(rng: np.random.Generator, L: int) -> Dict[str, float]:
    return dict(
        bandwidth_hz=float(rng.uniform(1e5, 2e7)),
        gain=float(10 ** rng.uniform(-9, -5)),
        noise_w_per_hz=float(10 ** rng.uniform(-20, -17)),
        p_max_w=float(rng.uniform(0.05, 2.0)),
        p_circuit_w=float(rng.choice([0.0, rng.uniform(0.01, 1.0), rng.uniform(1.0, 10.0)])),
        idle_power_w=float(rng.choice([0.0, rng.uniform(0.0, 0.5)])),
        deadline_ms=1.0,
    )


def _rate(sc: Dict[str, float], p: np.ndarray) -> np.ndarray:
    B = sc["bandwidth_hz"]
    return B * np.log2(1.0 + p * sc["gain"] / (sc["noise_w_per_hz"] * B))


def _cost(kind: str, w: float, energy: np.ndarray, latency: np.ndarray) -> np.ndarray:
    if kind == "energy":
        return energy
    if kind == "latency":
        return latency
    if kind == "weighted":
        return energy + w * latency * 1e-3
    return energy * latency * 1e-3


def options(L: int, fractions: Optional[Sequence[float]]) -> list:
    """Every (split, share) pair, rho = 0 included explicitly (it must equal split L)."""
    shares = [1.0] if fractions is None else list(fractions)
    return [(l, rho) for l in range(L) for rho in shares] + [(L, 0.0)]


def brute_force(lat: np.ndarray, pw: np.ndarray, out_bits: np.ndarray, server: np.ndarray, sc: Dict[str, float],
                fractions: Optional[Sequence[float]] = None, *, kind: str = "energy", w: float = 0.0,
                allowed: Optional[np.ndarray] = None, split: Optional[int] = None,
                fraction: Optional[float] = None, fixed_max_power: bool = False) -> Tuple[bool, float, float]:
    """(feasible, best objective, energy at the best) over every allowed plan."""
    L, K = lat.shape
    cols = np.arange(K) if allowed is None else np.asarray(allowed)
    t_cum = np.vstack([np.zeros(K), np.cumsum(lat, axis=0)])[:, cols]
    e_cum = np.vstack([np.zeros(K), np.cumsum(lat * pw, axis=0)])[:, cols]
    T = sc["deadline_ms"] * (1 + TOL)
    pmax, pc, idle = sc["p_max_w"], sc["p_circuit_w"], sc["idle_power_w"]
    B, g, N0 = sc["bandwidth_hz"], sc["gain"], sc["noise_w_per_hz"]
    best = (math.inf, math.inf)
    for l, rho in options(L, fractions):
        if split is not None and l != split:
            continue
        if fraction is not None and l < L and rho != fraction:
            continue
        t_loc = t_cum[l]
        t_end = t_loc + (1 - rho) * (t_cum[L] - t_loc)
        srv = rho * server[l] if l < L else 0.0
        e0 = (e_cum[l] + (1 - rho) * (e_cum[L] - e_cum[l])) * 1e-3 + idle * srv * 1e-3
        bits = rho * out_bits[l] if l < L else 0.0
        if bits <= 0:
            lat_plan = np.maximum(t_end, t_loc + srv)
            ok = lat_plan <= T
            if ok.any():
                c = _cost(kind, w, e0[ok], lat_plan[ok])
                j = int(np.argmin(c))
                best = min(best, (float(c[j]), float(e0[ok][j])))
            continue

        def total(p: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
            s = bits / _rate(sc, p)
            latency = np.maximum(t_end[:, None], t_loc[:, None] + s * 1e3 + srv)
            energy = e0[:, None] + (p + pc) * s
            return _cost(kind, w, energy, latency), energy, latency

        tau = (sc["deadline_ms"] - t_loc - srv) * 1e-3
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            p_need = np.where(tau > 0, np.expm1(math.log(2) * bits / (B * np.maximum(tau, 1e-300))) * N0 * B / g, np.inf)
        if fixed_max_power or kind == "latency":
            cands = np.full((cols.size, 1), pmax)
        else:
            lo = np.log(np.minimum(np.maximum(p_need, 1e-300), pmax))
            hi = np.full(cols.size, math.log(pmax))
            found = [np.minimum(p_need, pmax)[:, None], np.full((cols.size, 1), pmax)]
            k = np.arange(65) / 64.0
            for _ in range(6):
                u = lo[:, None] + (hi - lo)[:, None] * k[None, :]
                c, _, latency = total(np.exp(u))
                c = np.where(latency <= T * (1 + 1e-12), c, np.inf)
                j = np.argmin(c, axis=1)
                rows = np.arange(cols.size)
                found.append(np.exp(u[rows, j])[:, None])
                lo, hi = u[rows, np.maximum(j - 1, 0)], u[rows, np.minimum(j + 1, 64)]
            cands = np.hstack(found)
        c, energy, latency = total(cands)
        c = np.where((latency <= T * (1 + 1e-12)) & (cands <= pmax * (1 + 1e-12)), c, np.inf)
        flat = int(np.argmin(c))
        if np.isfinite(c.flat[flat]):
            best = min(best, (float(c.flat[flat]), float(energy.flat[flat])))
    return math.isfinite(best[0]), best[0], best[1]


def min_latency(lat: np.ndarray, out_bits: np.ndarray, server: np.ndarray, sc: Dict[str, float],
                fractions: Optional[Sequence[float]] = None) -> float:
    """The smallest latency of any plan (transmitting at p_max)."""
    L, K = lat.shape
    t_cum = np.vstack([np.zeros(K), np.cumsum(lat, axis=0)])
    r = float(_rate(sc, np.array(sc["p_max_w"])))
    best = math.inf
    for l, rho in options(L, fractions):
        t_loc = t_cum[l]
        t_end = t_loc + (1 - rho) * (t_cum[L] - t_loc)
        bits = rho * out_bits[l] if l < L else 0.0
        srv = rho * server[l] if l < L else 0.0
        best = min(best, float(np.min(np.maximum(t_end, t_loc + bits / r * 1e3 + srv))))
    return best


def at_maxima(configs: pd.DataFrame, knobs: Sequence[str]) -> np.ndarray:
    """The configurations with the given knobs at their maxima (lexicographic in sparse sets):
    written with pandas, independently of dvfskit._baselines."""
    part = configs
    for k in knobs:
        part = part[part[k] == part[k].max()]
    return part.index.to_numpy()

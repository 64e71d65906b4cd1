"""The built-in models as numpy functions for scipy and lmfit, synthetic grouped data and
near-truth starting values, shared by bench_fit.py and bench_group_fit.py."""
from __future__ import annotations

from typing import Callable, Dict, List, Tuple

import numpy as np
import pandas as pd

import dvfskit

INF = np.inf


def _roofline(f, m, W, Q, k, c):
    return (np.abs(W / f) ** k + np.abs(Q / m) ** k) ** (1 / k) + c


# name -> (numpy function of (f, m in GHz, *parameters), truth sampler, uses the memory frequency)
FUNCTIONS: Dict[str, Tuple[Callable[..., np.ndarray], Callable[[np.random.Generator], List[float]], bool]] = {
    "cpu_dvfs": (lambda f, m, W: W / f, lambda r: [r.uniform(5, 50)], False),
    "cpu_dvfs_offset": (lambda f, m, W, t0: W / f + t0, lambda r: [r.uniform(5, 50), r.uniform(1, 10)], False),
    "gpu_dvfs": (lambda f, m, a, b, c: a * f ** -b + c,
                 lambda r: [r.uniform(5, 50), r.uniform(0.5, 2.0), r.uniform(1, 10)], False),
    "joint_mem_comp": (lambda f, m, l, beta, u, gamma, c: l * m ** -beta + u * f ** -gamma + c,
                       lambda r: [r.uniform(5, 40), r.uniform(0.5, 2), r.uniform(10, 50), r.uniform(0.5, 2),
                                  r.uniform(1, 10)], True),
    "joint_mem_comp_nc": (lambda f, m, l, beta, u, gamma: l * m ** -beta + u * f ** -gamma,
                          lambda r: [r.uniform(5, 40), r.uniform(0.5, 2), r.uniform(10, 50), r.uniform(0.5, 2)], True),
    "roofline_smooth": (_roofline, lambda r: [r.uniform(10, 50), r.uniform(10, 60), r.uniform(1.5, 8),
                                              r.uniform(1, 10)], True),
    "cmos": (lambda f, m, Ps, kf, alpha, km, delta: Ps + kf * f ** alpha + km * m ** delta,
             lambda r: [r.uniform(1, 5), r.uniform(1, 5), r.uniform(1.5, 3.5), r.uniform(0.5, 2), r.uniform(1, 2.5)],
             True),
    "cmos_compute": (lambda f, m, Ps, kf, alpha: Ps + kf * f ** alpha,
                     lambda r: [r.uniform(1, 5), r.uniform(1, 5), r.uniform(1.5, 3.5)], False),
    "cubic": (lambda f, m, Ps, kappa: Ps + kappa * f ** 3, lambda r: [r.uniform(1, 5), r.uniform(0.5, 3)], False),
}


def bounds_of(name: str) -> Tuple[np.ndarray, np.ndarray]:
    model = dvfskit.models.get(name)
    lo = np.array([model.bounds[p][0] for p in model.parameters], dtype=float)
    hi = np.array([model.bounds[p][1] for p in model.parameters], dtype=float)
    return lo, hi


def make_groups(name: str, groups: int, seed: int = 0, sizes: Tuple[int, int] = (10, 24),
                noise: float = 0.01) -> Tuple[pd.DataFrame, np.ndarray]:
    """Groups of 10 to 24 points (random frequencies, 1 % noise): the frame (group, MHz columns,
    y) and the true parameters (groups x parameters)."""
    func, sample, _ = FUNCTIONS[name]
    rng = np.random.default_rng(seed)
    truth = np.array([sample(rng) for _ in range(groups)])
    n = rng.integers(sizes[0], sizes[1] + 1, groups)
    gid = np.repeat(np.arange(groups), n)
    f = rng.uniform(0.1, 1.4, gid.size)
    m = rng.uniform(0.4, 2.0, gid.size)
    y = func(f, m, *truth[gid].T) * (1 + noise * rng.standard_normal(gid.size))
    frame = pd.DataFrame({"group": gid, "compute_freq_mhz": f * 1000, "mem_freq_mhz": m * 1000, "y": y})
    return frame, truth


def near_truth(name: str, truth: np.ndarray, seed: int = 1, spread: float = 0.1) -> np.ndarray:
    """Starting values near the truth (each parameter off by up to +-spread), inside the bounds."""
    lo, hi = bounds_of(name)
    rng = np.random.default_rng(seed)
    p0 = truth * (1 + rng.uniform(-spread, spread, truth.shape))
    return np.clip(p0, lo + 1e-9 * np.maximum(1, np.abs(lo)), np.where(np.isfinite(hi), hi - 1e-9, hi))


def parts(frame: pd.DataFrame) -> List[Tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(f GHz, m GHz, y) per group, in group order."""
    groups = frame.groupby("group", sort=True)
    return [(g.compute_freq_mhz.to_numpy() / 1000, g.mem_freq_mhz.to_numpy() / 1000, g.y.to_numpy())
            for _, g in groups]

"""Built-in DVFS latency and power models (see the model catalogue in README.md).

Every model reads the canonical measurement columns ``compute_freq_mhz`` (f) and, where it says
so, ``mem_freq_mhz`` (m), in MHz, and converts them to GHz inside the expression so that the
parameters are O(1). Latency models predict ``latency_ms`` (ms); power models predict
``power_w`` (W). Each model has physical bounds and a data-driven ``guess`` (a grid over the
exponents with a non-negative linear least-squares solve for the linear coefficients), so
``dvfskit.fit(models.gpu_dvfs, df, "latency_ms")`` needs no starting values. The families are
defined in :ref:`math-models`; the documentation's :ref:`model-catalogue` lists every model
with its units and bounds.

=====================  ====================================================  ===================
name                   formula (f, m in GHz)                                 output
=====================  ====================================================  ===================
``cpu_dvfs``           t = W / f                                             latency, ms
``cpu_dvfs_offset``    t = W / f + t0                                        latency, ms
``gpu_dvfs``           t = a f^-b + c                                        latency, ms
``joint_mem_comp``     t = l m^-beta + u f^-gamma + c                        latency, ms
``joint_mem_comp_nc``  t = l m^-beta + u f^-gamma                            latency, ms
``roofline_smooth``    ``t = (|W/f|^k + |Q/m|^k)^(1/k) + c``                  latency, ms
``cmos``               P = Ps + kf f^alpha + km m^delta                      power, W
``cmos_compute``       P = Ps + kf f^alpha                                   power, W
``cubic``              P = Ps + kappa f^3                                    power, W
=====================  ====================================================  ===================
"""
from __future__ import annotations

import math
from typing import Callable, Dict, List, Mapping, Sequence, Tuple

import numpy as np

from ._fit_table import group_ids
from ._model import Model, _single_group

_REGISTRY: Dict[str, Model] = {}

F = "compute_freq_mhz"
M = "mem_freq_mhz"
INF = math.inf


def _interior(guess: Callable[[Mapping[str, np.ndarray], np.ndarray, np.ndarray], Mapping[str, np.ndarray]],
              bounds: Mapping[str, Tuple[float, float]], units: Mapping[str, str]
              ) -> Callable[[Mapping[str, np.ndarray], np.ndarray, np.ndarray], Dict[str, np.ndarray]]:
    """Wrap a grouped guess so that its values lie strictly inside the bounds (the solver would
    otherwise move a value on a bound by an arbitrary step): a coefficient at its lower bound 0
    becomes 1e-3 x the group's mean |y|, an exponent 0.01 above its bound."""
    def wrapped(columns: Mapping[str, np.ndarray], y: np.ndarray, offsets: np.ndarray) -> Dict[str, np.ndarray]:
        values = {p: np.asarray(v, dtype=float).copy() for p, v in guess(columns, y, offsets).items()}
        ids = group_ids(offsets)
        groups = len(offsets) - 1
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.bincount(ids, weights=np.abs(y), minlength=groups) / np.bincount(ids, minlength=groups)
        scale = np.where(scale > 0, scale, 1.0)
        for p, v in values.items():
            lo, hi = bounds.get(p, (-INF, INF))
            step = 0.01 if units.get(p) == "1" else 1e-3 * scale
            v[:] = np.where(np.isfinite(v) & (v <= lo), lo + step, v)
            v[:] = np.where(np.isfinite(v) & (v >= hi), hi - step, v)
        return values

    wrapped.__doc__ = guess.__doc__
    return wrapped


def register(model: Model) -> Model:
    """Add ``model`` to the catalogue under ``model.name`` (used by ``get`` and the CLI)."""
    _REGISTRY[model.name] = model
    return model


def _builtin(model: Model) -> Model:
    if model.guess_groups is not None:
        model.guess_groups = _interior(model.guess_groups, model.bounds, model.units)
        model.guess = _single_group(model.guess_groups)
    return register(model)


def get(name: str) -> Model:
    """The built-in model called ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; built-in models: {available()}") from None


def available() -> List[str]:
    """Names of the built-in models."""
    return sorted(_REGISTRY)


# ----------------------------------------------------------------------------------------------
# Starting values: the models below declare the parameters they are linear in and a grid for
# the exponents; the C++ core tries every grid point with the linear coefficients solved by
# bounded least squares (fast enough for thousands of grouped fits).

# Coarse grids suffice: each grid point's basin is refined by the solver, which starts from the
# grid's best local minima (and from the best point on each end of an axis where the cost is flat).
EXPONENTS = tuple(np.round(np.linspace(0.1, 4.0, 5), 6))
COMPUTE_EXPONENTS = tuple(np.round(np.linspace(0.1, 4.0, 8), 6))  # gamma of the joint models
POWER_EXPONENTS = tuple(np.round(np.linspace(0.25, 6.0, 6), 6))
COARSE_POWER_EXPONENTS = tuple(np.round(np.linspace(0.25, 6.0, 5), 6))

def _ghz(columns: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    return np.asarray(columns[name], dtype=float) / 1000.0


_ROOFLINE_K = (1.5, 3.0, 8.0)
_ROOFLINE_SHARES = (0.0, 0.7)
_BLOCK_ROWS = 20_000  # rows of groups handled at once (memory: candidates x rows doubles a temporary)


def _guess_roofline(columns: Mapping[str, np.ndarray], y: np.ndarray, offsets: np.ndarray) -> Dict[str, np.ndarray]:
    """Starting values of the smooth roofline for every group at once. For a given k and c,
    (t - c)^k = W^k f^-k + Q^k m^-k is linear in W^k and Q^k: solved (non-negative) by least
    squares for k in 1.5, 3, 8 and c 0 or 0.7 x the group's smallest time, the candidate with the
    lowest residual sum of squares in t wins (a group without any: W, Q at half their largest
    values min(t f), min(t m), k = 2, c = 0)."""
    f, m = _ghz(columns, F), _ghz(columns, M)
    offsets = np.asarray(offsets, dtype=np.int64)
    groups = len(offsets) - 1
    best = {name: np.full(groups, np.nan) for name in ("W", "Q", "k", "c")}
    g0 = 0
    while g0 < groups:
        g1 = min(groups, max(g0 + 1, int(np.searchsorted(offsets, offsets[g0] + _BLOCK_ROWS, side="right")) - 1))
        r0, r1 = offsets[g0], offsets[g1]
        part = _roofline_block(f[r0:r1], m[r0:r1], y[r0:r1], offsets[g0:g1 + 1] - r0)
        for name, values in part.items():
            best[name][g0:g1] = values
        g0 = g1
    for g in np.flatnonzero(~np.isfinite(best["W"])):
        rows = slice(offsets[g], offsets[g + 1])
        if rows.stop > rows.start:
            best["W"][g], best["Q"][g] = np.min(y[rows] * f[rows]) / 2, np.min(y[rows] * m[rows]) / 2
            best["k"][g], best["c"][g] = 2.0, 0.0
    return best


def _roofline_block(f: np.ndarray, m: np.ndarray, y: np.ndarray, offsets: np.ndarray) -> Dict[str, np.ndarray]:
    """_guess_roofline for one block of groups: every candidate (k, share of min t) at once,
    arrays of candidates x rows (NaN for a group without a usable candidate)."""
    k = np.repeat(_ROOFLINE_K, len(_ROOFLINE_SHARES))[:, None]
    share = np.tile(_ROOFLINE_SHARES, len(_ROOFLINE_K))[:, None]
    groups = len(offsets) - 1
    ids = group_ids(offsets)
    sizes = offsets[1:] - offsets[:-1]

    def sums(values: np.ndarray) -> np.ndarray:  # per group, along the last axis (empty groups: 0)
        running = np.concatenate([np.zeros(values.shape[:-1] + (1,)), np.cumsum(values, axis=-1)], axis=-1)
        return running[..., offsets[1:]] - running[..., offsets[:-1]]

    t_min = np.full(groups, np.inf)
    filled = sizes > 0
    if filled.any():
        t_min[filled] = np.minimum.reduceat(y, offsets[:-1][filled])
    with np.errstate(all="ignore"):
        log_f, log_m = np.log(f), np.log(m)  # powers as exponentials: much cheaper in numpy
        u, v = np.exp(-k * log_f), np.exp(-k * log_m)
        z = np.exp(k * np.log(np.maximum(y - (share * np.maximum(t_min, 0.0))[:, ids], 0.0)))
        suu, svv, suv, suz, svz = sums(u * u), sums(v * v), sums(u * v), sums(u * z), sums(v * z)
        det = suu * svv - suv * suv
        a = np.where(det > 0, (svv * suz - suv * svz) / det, 0.0)
        b = np.where(det > 0, (suu * svz - suv * suz) / det, 0.0)
        # the non-negative solution: one coefficient alone where the pair is not
        a_only, b_only = np.where(suu > 0, suz / suu, 0.0), np.where(svv > 0, svz / svv, 0.0)
        a, b = np.where(b < 0, np.maximum(a_only, 0), a), np.where(b < 0, 0.0, b)
        a, b = np.where(a < 0, 0.0, a), np.where(a < 0, np.maximum(b_only, 0), b)
        a, b = np.maximum(a, 0.0), np.maximum(b, 0.0)  # W^k and Q^k
        w, q = a ** (1 / k), b ** (1 / k)
        shape = np.exp(np.log(a[:, ids] * u + b[:, ids] * v) / k)  # (W^k f^-k + Q^k m^-k)^(1/k)
        c_fit = np.maximum(sums(y - shape) / np.maximum(sizes, 1), 0.0)
        rss = sums((y - shape - c_fit[:, ids]) ** 2)
    rss = np.where(np.isfinite(rss) & (w > 0) & (q > 0), rss, np.inf)
    pick = np.argmin(rss, axis=0)
    at = np.arange(groups)
    ok = np.isfinite(rss[pick, at])
    return {name: np.where(ok, value[pick, at], np.nan)
            for name, value in (("W", w), ("Q", q), ("k", np.broadcast_to(k, w.shape)), ("c", c_fit))}


cpu_dvfs = _builtin(Model(
    "W / (compute_freq_mhz / 1000)",
    [F],
    name="cpu_dvfs",
    description="Classic CPU DVFS latency: t = W / f, time inversely proportional to the compute "
                "frequency. t in ms, f in GHz (from compute_freq_mhz); W in ms*GHz (= 1e6 cycles).",
    bounds={"W": (0.0, INF)},
    units={"W": "ms*GHz (1e6 cycles)"},
    linear=["W"],
))

cpu_dvfs_offset = _builtin(Model(
    "W / (compute_freq_mhz / 1000) + t0",
    [F],
    name="cpu_dvfs_offset",
    description="CPU DVFS latency with a frequency-insensitive part: t = W / f + t0. t, t0 in ms; "
                "f in GHz; W in ms*GHz.",
    bounds={"W": (0.0, INF), "t0": (0.0, INF)},
    units={"W": "ms*GHz (1e6 cycles)", "t0": "ms"},
    linear=["W", "t0"],
))

gpu_dvfs = _builtin(Model(
    "a * (compute_freq_mhz / 1000)**(-b) + c",
    [F],
    name="gpu_dvfs",
    description="GPU DVFS-aware latency: t = a f^-b + c with sub-linear frequency scaling b and a "
                "frequency-insensitive part c (memory, launch, host). t, c in ms; f in GHz; "
                "a in ms*GHz^b (the scalable time at 1 GHz); b dimensionless, 0..4.",
    bounds={"a": (0.0, INF), "b": (0.0, 4.0), "c": (0.0, INF)},
    units={"a": "ms*GHz^b", "b": "1", "c": "ms"},
    linear=["a", "c"],
    grid={"b": EXPONENTS},
))

joint_mem_comp = _builtin(Model(
    "l * (mem_freq_mhz / 1000)**(-beta) + u * (compute_freq_mhz / 1000)**(-gamma) + c",
    [F, M],
    parameters=["l", "beta", "u", "gamma", "c"],
    name="joint_mem_comp",
    description="Memory- and compute-frequency latency terms: t = l m^-beta + u f^-gamma + c. "
                "t, c in ms; f, m in GHz; l in ms*GHz^beta (memory time at 1 GHz EMC), u in "
                "ms*GHz^gamma (compute time at 1 GHz); beta, gamma dimensionless, 0..4.",
    bounds={"l": (0.0, INF), "beta": (0.0, 4.0), "u": (0.0, INF), "gamma": (0.0, 4.0), "c": (0.0, INF)},
    units={"l": "ms*GHz^beta", "beta": "1", "u": "ms*GHz^gamma", "gamma": "1", "c": "ms"},
    linear=["l", "u", "c"],
    grid={"beta": EXPONENTS, "gamma": COMPUTE_EXPONENTS},
))

joint_mem_comp_nc = _builtin(Model(
    "l * (mem_freq_mhz / 1000)**(-beta) + u * (compute_freq_mhz / 1000)**(-gamma)",
    [F, M],
    parameters=["l", "beta", "u", "gamma"],
    name="joint_mem_comp_nc",
    description="joint_mem_comp without the constant: t = l m^-beta + u f^-gamma. t in ms; f, m in "
                "GHz; l in ms*GHz^beta, u in ms*GHz^gamma; beta, gamma dimensionless, 0..4.",
    bounds={"l": (0.0, INF), "beta": (0.0, 4.0), "u": (0.0, INF), "gamma": (0.0, 4.0)},
    units={"l": "ms*GHz^beta", "beta": "1", "u": "ms*GHz^gamma", "gamma": "1"},
    linear=["l", "u"],
    grid={"beta": EXPONENTS, "gamma": COMPUTE_EXPONENTS},
))

roofline_smooth = _builtin(Model(
    "(abs(W / (compute_freq_mhz / 1000))**k + abs(Q / (mem_freq_mhz / 1000))**k)**(1 / k) + c",
    [F, M],
    parameters=["W", "Q", "k", "c"],
    name="roofline_smooth",
    description="Smooth roofline latency: t = (|W/f|^k + |Q/m|^k)^(1/k) + c, a smooth maximum of "
                "the compute-bound time W/f and the memory-bound time Q/m (k = 1: their sum; "
                "k -> inf: their max). t, c in ms; f, m in GHz; W, Q in ms*GHz; k in 1..50.",
    bounds={"W": (0.0, INF), "Q": (0.0, INF), "k": (1.0, 50.0), "c": (0.0, INF)},
    units={"W": "ms*GHz", "Q": "ms*GHz", "k": "1", "c": "ms"},
    guess_groups=_guess_roofline,
))


# ----------------------------------------------------------------------------------------------
# Power models

cmos = _builtin(Model(
    "Ps + kf * (compute_freq_mhz / 1000)**alpha + km * (mem_freq_mhz / 1000)**delta",
    [F, M],
    parameters=["Ps", "kf", "alpha", "km", "delta"],
    name="cmos",
    description="CMOS power with compute and memory terms: P = Ps + kf f^alpha + km m^delta. "
                "P, Ps (static power) in W; f, m in GHz; kf in W/GHz^alpha, km in W/GHz^delta; "
                "alpha (about 2..3: dynamic power ~ f V^2 with V rising with f) and delta in 0..6.",
    bounds={"Ps": (0.0, INF), "kf": (0.0, INF), "alpha": (0.0, 6.0), "km": (0.0, INF), "delta": (0.0, 6.0)},
    units={"Ps": "W", "kf": "W/GHz^alpha", "alpha": "1", "km": "W/GHz^delta", "delta": "1"},
    linear=["Ps", "kf", "km"],
    grid={"alpha": COARSE_POWER_EXPONENTS, "delta": COARSE_POWER_EXPONENTS},
))

cmos_compute = _builtin(Model(
    "Ps + kf * (compute_freq_mhz / 1000)**alpha",
    [F],
    parameters=["Ps", "kf", "alpha"],
    name="cmos_compute",
    description="CMOS power with a compute term only (no memory frequency): P = Ps + kf f^alpha. "
                "P, Ps in W; f in GHz; kf in W/GHz^alpha; alpha in 0..6.",
    bounds={"Ps": (0.0, INF), "kf": (0.0, INF), "alpha": (0.0, 6.0)},
    units={"Ps": "W", "kf": "W/GHz^alpha", "alpha": "1"},
    linear=["Ps", "kf"],
    grid={"alpha": POWER_EXPONENTS},
))

cubic = _builtin(Model(
    "Ps + kappa * (compute_freq_mhz / 1000)**3",
    [F],
    parameters=["Ps", "kappa"],
    name="cubic",
    description="Cubic power: P = Ps + kappa f^3 (the usual analytical form; energy e = P t). "
                "P, Ps in W; f in GHz; kappa in W/GHz^3.",
    bounds={"Ps": (0.0, INF), "kappa": (0.0, INF)},
    units={"Ps": "W", "kappa": "W/GHz^3"},
    linear=["Ps", "kappa"],
))

LATENCY_MODELS = ("cpu_dvfs", "cpu_dvfs_offset", "gpu_dvfs", "joint_mem_comp", "joint_mem_comp_nc",
                  "roofline_smooth")
POWER_MODELS = ("cmos", "cmos_compute", "cubic")

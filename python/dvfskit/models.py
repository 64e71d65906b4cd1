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

from ._model import Model

_REGISTRY: Dict[str, Model] = {}

F = "compute_freq_mhz"
M = "mem_freq_mhz"
INF = math.inf


def _interior(guess: Callable[[Mapping[str, np.ndarray], np.ndarray], Mapping[str, float]],
              bounds: Mapping[str, Tuple[float, float]], units: Mapping[str, str]
              ) -> Callable[[Mapping[str, np.ndarray], np.ndarray], Dict[str, float]]:
    """Wrap a guess so that its values lie strictly inside the bounds (the solver would otherwise
    move a value on a bound by an arbitrary step): a coefficient at its lower bound 0 becomes
    1e-3 x median|y|, an exponent 0.01 above its bound."""
    def wrapped(columns: Mapping[str, np.ndarray], y: np.ndarray) -> Dict[str, float]:
        values = {p: float(v) for p, v in guess(columns, y).items()}
        scale = max(float(np.median(np.abs(y))), 1e-12)
        for p, v in values.items():
            lo, hi = bounds.get(p, (-INF, INF))
            step = 0.01 if units.get(p) == "1" else 1e-3 * scale
            if not np.isfinite(v):
                continue
            if v <= lo:
                values[p] = lo + step
            elif v >= hi:
                values[p] = hi - step
        return values

    wrapped.__doc__ = guess.__doc__
    return wrapped


def register(model: Model) -> Model:
    """Add ``model`` to the catalogue under ``model.name`` (used by ``get`` and the CLI)."""
    _REGISTRY[model.name] = model
    return model


def _builtin(model: Model) -> Model:
    if model.guess is not None:
        model.guess = _interior(model.guess, model.bounds, model.units)
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

EXPONENTS = tuple(np.round(np.linspace(0.1, 4.0, 40), 6))
COARSE_EXPONENTS = tuple(np.round(np.linspace(0.1, 4.0, 14), 6))
POWER_EXPONENTS = tuple(np.round(np.linspace(0.25, 6.0, 24), 6))

def _ghz(columns: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    return np.asarray(columns[name], dtype=float) / 1000.0


def _guess_roofline(columns: Mapping[str, np.ndarray], y: np.ndarray) -> Dict[str, float]:
    f, m = _ghz(columns, F), _ghz(columns, M)
    w_max = float(np.min(y * f))  # W/f <= t for every row
    q_max = float(np.min(y * m))
    best_rss, best = INF, {"W": w_max / 2, "Q": q_max / 2, "k": 2.0, "c": 0.0}
    shares = np.linspace(0.02, 1.0, 25)
    for k in (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0):
        for sw in shares:
            tw = (sw * w_max / f) ** k
            for sq in shares:
                g = (tw + (sq * q_max / m) ** k) ** (1.0 / k)
                c = max(float(np.mean(y - g)), 0.0)
                rss = float(np.sum((y - g - c) ** 2))
                if rss < best_rss:
                    best_rss = rss
                    best = {"W": float(sw * w_max), "Q": float(sq * q_max), "k": k, "c": c}
    return best


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
    grid={"beta": COARSE_EXPONENTS, "gamma": EXPONENTS},
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
    grid={"beta": COARSE_EXPONENTS, "gamma": EXPONENTS},
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
    guess=_guess_roofline,
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
    grid={"alpha": POWER_EXPONENTS, "delta": POWER_EXPONENTS},
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

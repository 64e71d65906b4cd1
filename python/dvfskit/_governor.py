"""``dvfskit.governor``: what the device does by itself. The Linux cpufreq / devfreq governors and a
SysScale-style coordinated policy, simulated exactly on the same per-block tables the solver
uses, as baselines for the optimum.

The definitions (timeline, sampling, each governor's formula with its integer arithmetic, the
steady state, the snapping rule, the simplifications) are written once in
``docs/math/governors.md``; the C++ core is ``cpp/include/dvfskit/governor_sim.hpp``.

Units: frequencies in MHz, time in ms, power in W, energy in J.
"""
from __future__ import annotations

import hashlib
import html
import math
import pickle
import numbers
import re
import warnings
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _core
from ._configs import ConfigSet, is_frequency_knob
from ._data import json_value, scalar

__all__ = ["GOVERNORS", "GovernorResult", "governor", "governor_batch", "governor_on_tables", "governor_rows",
           "is_governor_name", "memory_busy_share", "schedule_governor_rows", "sweep_governor_columns"]

GovernorSpec = Union[str, Mapping[str, str]]

#: Governor name -> (C++ kind, tunables with the kernel's defaults, kernel source). ``sysscale`` is
#: one name for two roles: memory knobs (low / high point by demand) and compute knobs (maximum,
#: lowered only to fit ``power_budget_w``).
GOVERNORS: Dict[str, Tuple[int, Dict[str, Any], str]] = {
    "performance": (1, {}, "drivers/cpufreq/cpufreq_performance.c (devfreq: governor_performance.c)"),
    "powersave": (2, {}, "drivers/cpufreq/cpufreq_powersave.c (devfreq: governor_powersave.c)"),
    "userspace": (3, {"setspeed_mhz": None}, "drivers/cpufreq/cpufreq_userspace.c"),
    "ondemand": (4, {"up_threshold": 80, "sampling_down_factor": 1},
                 "drivers/cpufreq/cpufreq_ondemand.c, cpufreq_governor.c"),
    "conservative": (5, {"up_threshold": 80, "down_threshold": 20, "sampling_down_factor": 1, "freq_step": 5},
                     "drivers/cpufreq/cpufreq_conservative.c, cpufreq_governor.c"),
    "schedutil": (6, {"rate_limit_us": 1000.0, "frequency_invariant": True}, "kernel/sched/cpufreq_schedutil.c"),
    "simple_ondemand": (7, {"upthreshold": 90, "downdifferential": 5}, "drivers/devfreq/governor_simpleondemand.c"),
    "sysscale": (8, {"high_demand_pct": 40, "low_demand_pct": 30, "low_mhz": None, "high_mhz": None,
                     "power_budget_w": None},
                 "SysScale, ISCA 2020 (thresholds assumed: not public)"),
}
_SYSSCALE_COMPUTE = 9
# Python tunable name -> the C++ field (SysScale's demand thresholds reuse up/down_threshold).
_CORE_NAME = {"high_demand_pct": "up_threshold", "low_demand_pct": "down_threshold"}
_INT_TUNABLES = {"up_threshold", "down_threshold", "sampling_down_factor", "freq_step", "upthreshold",
                 "downdifferential", "high_demand_pct", "low_demand_pct"}
_MEMORY = re.compile(r"(^|_)(mem|memory|emc|ddr|dram)(_|$)")
#: ``name="default"``: the literature's default governors.
DEFAULT = {"compute": "schedutil", "memory": "simple_ondemand"}
_BUSY_DRIVEN = {"ondemand", "conservative", "schedutil", "simple_ondemand", "sysscale"}


def is_memory_knob(knob: str) -> bool:
    """Whether a frequency knob is a memory domain (``mem``, ``memory``, ``emc``, ``ddr``, ``dram``
    as a word of its name, e.g. ``mem_freq_mhz``, ``emc_freq_mhz``)."""
    return bool(_MEMORY.search(knob))


# ---------------------------------------------------------------------------------------------
# Inputs


def _tables(problem: Any) -> Tuple[ConfigSet, np.ndarray, np.ndarray]:
    """The problem's configuration set and (L, K) latency (ms) / power (W) tables (the Problem
    configuration-set contract; model problems have none: ValueError)."""
    return problem.configs, np.asarray(problem.config_latency_ms, dtype=float), \
        np.asarray(problem.config_power_w, dtype=float)


def _governor_names(configs: ConfigSet, name: Any) -> Dict[str, str]:
    """knob -> governor name for the governed knobs (validated)."""
    freq = [k for k in configs.knobs if is_frequency_knob(k)]
    if isinstance(name, str):
        if name == "default":
            chosen = {k: DEFAULT["memory" if is_memory_knob(k) else "compute"] for k in freq}
        else:
            chosen = {k: name for k in freq}
    elif isinstance(name, Mapping):
        chosen = {}
        for knob, gov in name.items():
            if knob not in configs.knobs:
                raise ValueError(f"governor for unknown knob {knob!r}; knobs are {list(configs.knobs)}")
            if not is_frequency_knob(knob):
                raise ValueError(f"knob {knob!r} is not a frequency knob (*_mhz): it cannot have a governor")
            if not isinstance(gov, str):
                raise ValueError(f"governor for {knob!r} must be a name, got {gov!r}")
            chosen[knob] = gov
    else:
        raise ValueError(f"name must be a governor name or a dict knob -> governor name, got {name!r}")
    if not freq:
        raise ValueError(f"the configuration set has no frequency knob (*_mhz) to govern: knobs {list(configs.knobs)}")
    for knob, gov in chosen.items():
        if gov not in GOVERNORS:
            raise ValueError(f"unknown governor {gov!r} for {knob!r}; governors: {sorted(GOVERNORS)} or 'default'")
    return chosen


def _tunables(chosen: Mapping[str, str], given: Mapping[str, Any]) -> Dict[str, Dict[str, Any]]:
    """knob -> {tunable: value}: the kernel's defaults, overridden by ``given`` (a value, or a dict
    knob -> value for one knob only)."""
    accepted = {t for g in chosen.values() for t in GOVERNORS[g][1]}
    unknown = sorted(set(given) - accepted)
    if unknown:
        raise ValueError(f"unknown tunable(s) {unknown} for governors {sorted(set(chosen.values()))}; "
                         f"they accept {sorted(accepted)}")
    out: Dict[str, Dict[str, Any]] = {}
    for knob, gov in chosen.items():
        values = dict(GOVERNORS[gov][1])
        for t, v in given.items():
            if t not in values:
                continue
            if isinstance(v, Mapping):
                if set(v) - set(chosen):
                    raise ValueError(f"{t}: per-knob values for unknown or ungoverned knobs {sorted(set(v) - set(chosen))}")
                if knob not in v:
                    continue
                v = v[knob]
            values[t] = _tunable_value(t, v)
        if gov == "userspace" and values["setspeed_mhz"] is None:
            raise ValueError(f"userspace on {knob!r} needs setspeed_mhz= (MHz)")
        out[knob] = values
    return out


def _tunable_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "frequency_invariant":
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"frequency_invariant must be True or False, got {value!r}")
        return bool(value)
    if name in _INT_TUNABLES:
        if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
            raise ValueError(f"{name} must be a whole number (the kernel's unsigned int), got {value!r}")
        if int(value) < 0:
            raise ValueError(f"{name} must be >= 0, got {value!r}")
        return int(value)
    return scalar(value, name, allow_zero=name == "rate_limit_us")


def _core_spec(knob: str, gov: str, tunables: Mapping[str, Any]) -> Tuple[int, Dict[str, Any]]:
    kind = GOVERNORS[gov][0]
    if gov == "sysscale" and not is_memory_knob(knob):
        kind = _SYSSCALE_COMPUTE
        values = {"power_budget_w": tunables["power_budget_w"]}
    elif gov == "sysscale":
        values = {k: v for k, v in tunables.items() if k != "power_budget_w"}
    else:
        values = dict(tunables)
    return kind, {_CORE_NAME.get(k, k): v for k, v in values.items() if v is not None}


def memory_busy_share(configs: ConfigSet, latency_ms: np.ndarray, *, memory_knob: str = "mem_freq_mhz",
                      compute_knob: Optional[str] = None) -> Tuple[np.ndarray, str]:
    """The memory domain's busy share per configuration, from the fitted joint model
    ``t = l m^-beta + u f^-gamma + c`` (``models.joint_mem_comp``) of the inference latency (the
    sum over blocks): ``share(k) = l m_k^-beta / t_model(k)`` in [0, 1], the same for every block.
    f is ``compute_knob`` (default: ``compute_freq_mhz`` when present, else the first non-memory
    frequency knob); other knobs are not in the model (a RuntimeWarning when R^2 < 0.9). Returns
    the (K,) shares and a note for the assumptions (fit quality included)."""
    from ._fit import fit

    hint = (f"pass busy={{{memory_knob!r}: ...}} (a share, an (L, K) array or a measured counter; command line: "
            f"--busy {memory_knob}=SHARE)")
    candidates = [k for k in configs.knobs if is_frequency_knob(k) and not is_memory_knob(k)]
    compute_knob = compute_knob or ("compute_freq_mhz" if "compute_freq_mhz" in candidates else next(iter(candidates), None))
    if compute_knob is None:
        raise ValueError(f"the memory busy model needs a compute frequency knob besides {memory_knob!r}; {hint}")
    table = configs.table
    df = pd.DataFrame({"compute_freq_mhz": table[compute_knob].to_numpy(float),
                       "mem_freq_mhz": table[memory_knob].to_numpy(float),
                       "latency_ms": np.asarray(latency_ms, dtype=float).sum(axis=0)})
    if df[["compute_freq_mhz", "mem_freq_mhz"]].drop_duplicates().shape[0] < 6:
        raise ValueError(f"the memory busy model needs >= 6 distinct ({compute_knob}, {memory_knob}) pairs to fit "
                         f"joint_mem_comp; {hint}")
    res = fit("joint_mem_comp", df, "latency_ms", max_iterations=10000)
    if not res.success:
        raise ValueError(f"the memory busy model (joint_mem_comp fit) did not converge: {res.message}; {hint}")
    p = res.params
    memory_time = p["l"] * (df["mem_freq_mhz"].to_numpy() / 1000.0) ** (-p["beta"])
    share = np.clip(memory_time / np.maximum(res.predict(df), 1e-300), 0.0, 1.0)
    if res.r2 < 0.9:
        warnings.warn(f"the memory busy model fits the inference latency poorly (joint_mem_comp over ({compute_knob}, "
                      f"{memory_knob}): R^2 = {res.r2:.3f}); {hint} for a meaningful memory governor", RuntimeWarning,
                      stacklevel=4)
    note = (f"memory-bound share l m^-beta / t of a joint_mem_comp fit to the inference latency over "
            f"({compute_knob}, {memory_knob}) (R^2 = {res.r2:.4f}, beta = {p['beta']:.3g}), the same share for "
            f"every block; {100 * share.min():.3g}-{100 * share.max():.3g} % (ASSUMED model)")
    return share, note


def _busy(configs: ConfigSet, latency: np.ndarray, chosen: Mapping[str, str], busy: Optional[Mapping[str, Any]],
          assumptions: Dict[str, str]) -> List[Optional[np.ndarray]]:
    L, K = latency.shape
    busy = dict(busy or {})
    unknown = sorted(set(busy) - set(configs.knobs))
    if unknown:
        raise ValueError(f"busy: unknown knob(s) {unknown}; knobs are {list(configs.knobs)}")
    out: List[Optional[np.ndarray]] = []
    for knob in configs.knobs:
        spec = busy.get(knob, "model" if is_memory_knob(knob) else None)
        needed = chosen.get(knob) in _BUSY_DRIVEN and len(configs.levels(knob)) > 1  # one level: nothing to decide
        if spec is None or not needed:
            out.append(None)
            if needed:
                assumptions[f"busy {knob}"] = "busy whenever a block runs (100 %), idle between inferences (ASSUMED)"
            continue
        if isinstance(spec, str):
            if spec != "model":
                raise ValueError(f"busy[{knob!r}] must be 'model', a share in [0, 1] or an (L, K) / (K,) array")
            share, note = memory_busy_share(configs, latency, memory_knob=knob)
            out.append(np.broadcast_to(share, (L, K)).copy())
            assumptions[f"busy {knob}"] = note
            continue
        try:
            a = np.array(spec, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"busy[{knob!r}] must be numeric") from None
        if a.ndim == 0 or a.shape == (K,):
            a = np.broadcast_to(a, (L, K)).copy()
        if a.shape != (L, K):
            raise ValueError(f"busy[{knob!r}] must be a share, a (K,) = ({K},) or an (L, K) = ({L}, {K}) array, "
                             f"got shape {a.shape}")
        if not np.all(np.isfinite(a)) or a.min() < 0 or a.max() > 1:
            raise ValueError(f"busy[{knob!r}] must lie in [0, 1] (a share of each block's time)")
        out.append(a)
        assumptions[f"busy {knob}"] = f"given by the caller ({a.min():.3g}-{a.max():.3g} of each block's time)"
    return out


def _per_knob(value: Any, configs: ConfigSet, name: str) -> List[float]:
    if value is None:
        return [0.0] * len(configs.knobs)
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(configs.knobs))
        if unknown:
            raise ValueError(f"{name}: unknown knob(s) {unknown}; knobs are {list(configs.knobs)}")
        return [scalar(value.get(k, 0.0), f"{name}[{k!r}]", allow_zero=True) for k in configs.knobs]
    v = scalar(value, name, allow_zero=True)
    return [v if is_frequency_knob(k) else 0.0 for k in configs.knobs]


class _Setup:
    """Validated inputs of one governor configuration on (L, K) tables, with its C++ simulator."""

    def __init__(self, configs: ConfigSet, latency: np.ndarray, power: np.ndarray, name: Any,
                 busy: Optional[Mapping[str, Any]], switch_time_ms: Any, switch_energy_j: Any,
                 tunables: Mapping[str, Any], *, tables_kind: Optional[str] = "measured",
                 switch_any: Tuple[float, float] = (0.0, 0.0)) -> None:
        self.configs, self.latency, self.power = configs, latency, power
        self.chosen = _governor_names(self.configs, name)
        self.label = name if isinstance(name, str) else ",".join(f"{k}={g}" for k, g in self.chosen.items())
        self.tunables = _tunables(self.chosen, tunables)
        self.assumptions: Dict[str, str] = {"tables": f"{tables_kind} per-block latency and power"}
        busy_tables = _busy(self.configs, self.latency, self.chosen, busy, self.assumptions)
        st = _per_knob(switch_time_ms, self.configs, "switch_time_ms")
        se = _per_knob(switch_energy_j, self.configs, "switch_energy_j")
        specs = [(0, {}) if k not in self.chosen else _core_spec(k, self.chosen[k], self.tunables[k])
                 for k in self.configs.knobs]
        for knob in self.configs.knobs:
            if knob not in self.chosen:
                self.assumptions[f"knob {knob}"] = "no governor: held at its maximum level"
        for knob, gov in self.chosen.items():
            if gov == "sysscale":
                self.assumptions["sysscale"] = (
                    "memory at its low point below low_demand_pct, at its high point above high_demand_pct of "
                    "memory-busy time (thresholds ASSUMED: not public); compute at its maximum unless "
                    "power_budget_w is given")
            if gov in ("schedutil", "simple_ondemand") and not is_memory_knob(knob) and knob.startswith(("compute", "gpu")):
                self.assumptions[f"governor {knob}"] = f"{gov} applied to the accelerator (a stand-in for its vendor governor)"
        try:
            self.sim = _core.GovernorSimulator(self.configs._core, self.latency, self.power, busy_tables, st, se, specs,
                                               switch_any[0], switch_any[1])
        except ValueError as exc:
            raise ValueError(f"governor: {exc}") from None

    @classmethod
    def of(cls, problem: Any, name: Any, busy: Optional[Mapping[str, Any]], switch_time_ms: Any,
           switch_energy_j: Any, tunables: Mapping[str, Any]) -> "_Setup":
        """On a problem's tables (the configuration-set contract); switching costs default to the
        problem's ``switch_time_ms`` / ``switch_energy_j`` when it has them."""
        from ._solve import _check_problem

        _check_problem(problem)
        configs, lat, pw = _tables(problem)
        if switch_time_ms is None:
            switch_time_ms = getattr(problem, "switch_time_ms", None)
        if switch_energy_j is None:
            switch_energy_j = getattr(problem, "switch_energy_j", None)
        return cls(configs, lat, pw, name, busy, switch_time_ms, switch_energy_j, tunables,
                   tables_kind=problem.tables_kind)


def _timing(period_ms: Any, sampling_ms: Optional[float], idle_power_w: Any) -> Tuple[float, float, float]:
    period = scalar(period_ms, "period_ms")
    sampling = period if sampling_ms is None else scalar(sampling_ms, "sampling_ms")
    if sampling > period:
        raise ValueError(f"sampling_ms ({sampling:g}) must not exceed period_ms ({period:g})")
    if sampling < 1e-3:
        raise ValueError(f"sampling_ms must be >= 0.001 ms (the kernel counts whole microseconds), got {sampling:g}")
    return period, sampling, scalar(idle_power_w, "idle_power_w", allow_zero=True)


def _run(setup: _Setup, period: float, sampling: float, idle: float, max_inferences: Any) -> "GovernorResult":
    if isinstance(max_inferences, bool) or not isinstance(max_inferences, (numbers.Integral, np.integer)) \
            or int(max_inferences) < 2:
        raise ValueError(f"max_inferences must be a whole number >= 2, got {max_inferences!r}")
    raw = setup.sim.run(period, sampling, idle, True, int(max_inferences))
    result = GovernorResult(setup, raw, period, sampling, idle)
    if not result.converged:
        warnings.warn(f"governor {result.name}: no repeating state within {max_inferences} inferences; means over "
                      f"the second half (converged=False)", RuntimeWarning, stacklevel=3)
    return result


# ---------------------------------------------------------------------------------------------
# Public API


def governor(
    problem: Any,
    name: GovernorSpec,
    *,
    period_ms: Optional[float] = None,
    sampling_ms: Optional[float] = None,
    busy: Optional[Mapping[str, Any]] = None,
    switch_time_ms: Any = None,
    switch_energy_j: Any = None,
    max_inferences: int = 100_000,
    **tunables: Any,
) -> "GovernorResult":
    """Periodic inference of ``problem`` (all blocks on the device) under operating-system governors,
    simulated exactly on its tables (definitions: ``docs/math/governors.md``).

    One inference per period; each inference starts at the later of its release and the end of the
    previous one (a late inference delays the next, no backlog) and misses when its latency exceeds
    the period. The simulation starts at the maximum frequencies and runs until the state at an
    inference start repeats; results are means over that cycle (warm-up excluded).

    Parameters
    ----------
    problem:
        A :class:`dvfskit.Problem` with tables (its configuration set, or its (L, nF, nM) tables
        over ``compute_freq_mhz`` x ``mem_freq_mhz``).
    name:
        A governor for every frequency knob (``"schedutil"``, ``"ondemand"``, ``"conservative"``,
        ``"performance"``, ``"powersave"``, ``"userspace"``, ``"simple_ondemand"``, ``"sysscale"``),
        ``"default"`` (schedutil on compute knobs, simple_ondemand on memory knobs), or a dict knob
        -> governor name. Knobs without a governor stay at their maximum level.
    period_ms:
        Inference period, ms (default: the problem's deadline). The deadline of each inference.
    sampling_ms:
        Sampling window, ms, ``<= period_ms`` (default: the period: one decision per inference,
        at its start, from the previous cycle: the exact steady state). Shorter windows run the
        time-stepped simulation (decisions at every sampling instant, mid-block).
    busy:
        knob -> the domain's busy share of each block's time: a number in [0, 1], a (K,) or an
        (L, K) array (e.g. from a measured counter column), or ``"model"`` (memory knobs'
        default: :func:`memory_busy_share` from a joint_mem_comp fit). Compute knobs default to
        busy whenever a block runs. Every choice is listed in ``result.assumptions``.
    switch_time_ms, switch_energy_j:
        Cost of changing a knob (a number for every frequency knob, or a dict knob -> value), ms of
        stall (nothing runs; idle power) and J on top; a change costs the sum over the changed knobs.
        Default: the problem's ``switch_time_ms`` / ``switch_energy_j`` if it has them, else 0.
    max_inferences:
        Simulation limit; without a repeat by then the means are over the second half and
        ``converged`` is False (with a warning).
    **tunables:
        The governors' tunables with the kernel's names and defaults: ``up_threshold`` (80),
        ``sampling_down_factor`` (1) (ondemand); ``up_threshold`` (80), ``down_threshold`` (20),
        ``sampling_down_factor`` (1), ``freq_step`` (5 % of the maximum) (conservative);
        ``rate_limit_us`` (1000), ``frequency_invariant`` (True) (schedutil); ``upthreshold`` (90),
        ``downdifferential`` (5) (simple_ondemand); ``setspeed_mhz`` (userspace);
        ``high_demand_pct`` (40), ``low_demand_pct`` (30), ``low_mhz``, ``high_mhz``,
        ``power_budget_w`` (sysscale, ASSUMED values). A dict knob -> value sets one knob only.

    Returns
    -------
    GovernorResult
    """
    setup = _Setup.of(problem, name, busy, switch_time_ms, switch_energy_j, tunables)
    scenario = problem.scenario
    period, sampling, idle = _timing(scenario["deadline_ms"] if period_ms is None else period_ms, sampling_ms,
                                     scenario.get("idle_power_w", 0.0))
    return _run(setup, period, sampling, idle, max_inferences)


def governor_on_tables(latency_ms: Any, power_w: Any, configs: ConfigSet, name: GovernorSpec, *, period_ms: float,
                       sampling_ms: Optional[float] = None, idle_power_w: float = 0.0,
                       busy: Optional[Mapping[str, Any]] = None, switch_time_ms: Any = None,
                       switch_energy_j: Any = None, switch_any: Tuple[float, float] = (0.0, 0.0),
                       max_inferences: int = 100_000, **tunables: Any) -> "GovernorResult":
    """:func:`governor` on plain (L, K) latency (ms) and power (W) tables over ``configs`` (a
    :class:`dvfskit.ConfigSet`), for callers without a Problem (``schedule_baselines``).
    ``switch_any`` = (ms, J) paid once per change of configuration on top of the knobs' costs."""
    if not isinstance(configs, ConfigSet):
        raise TypeError(f"configs must be a dvfskit.ConfigSet, not {type(configs).__name__}")
    lat, pw = (np.array(a, dtype=float) for a in (latency_ms, power_w))
    for a, what in ((lat, "latency_ms"), (pw, "power_w")):
        if a.ndim != 2 or a.shape[1] != len(configs):
            raise ValueError(f"{what} must have shape (L, K = {len(configs)}), got {a.shape}")
    any_ms, any_j = (scalar(v, n, allow_zero=True) for v, n in zip(switch_any, ("switch_any[0] (ms)", "switch_any[1] (J)")))
    setup = _Setup(configs, lat, pw, name, busy, switch_time_ms, switch_energy_j, tunables, switch_any=(any_ms, any_j))
    period, sampling, idle = _timing(period_ms, sampling_ms, idle_power_w)
    return _run(setup, period, sampling, idle, max_inferences)


def governor_batch(problem: Any, name: GovernorSpec, period_ms: Any, idle_power_w: Any = None, *,
                   busy: Optional[Mapping[str, Any]] = None, switch_time_ms: Any = None, switch_energy_j: Any = None,
                   threads: int = 0, **tunables: Any) -> pd.DataFrame:
    """Steady states (one decision per inference, sampling window = period) of one governor
    setting for many periods at once, on ``threads`` threads (0: all cores; C++, GIL released,
    Ctrl-C stops it): for sweeps, where the period is each scenario's deadline.

    ``period_ms`` (n,) ms; ``idle_power_w`` (n,) W or None (the problem's). Returns a DataFrame
    with energy_j, latency_ms, miss_rate, converged (one row per period)."""
    setup = _Setup.of(problem, name, busy, switch_time_ms, switch_energy_j, tunables)
    periods = np.array(period_ms, dtype=float).ravel()
    idle = np.full(periods.shape, float(problem.scenario.get("idle_power_w", 0.0))) if idle_power_w is None \
        else np.broadcast_to(np.array(idle_power_w, dtype=float), periods.shape).copy()
    if periods.size and not (np.all(np.isfinite(periods)) and periods.min() > 0):
        raise ValueError("period_ms must be finite and > 0")
    if idle.size and not (np.all(np.isfinite(idle)) and idle.min() >= 0):
        raise ValueError("idle_power_w must be finite and >= 0")
    out = setup.sim.steady_batch(periods, idle, int(threads))
    df = pd.DataFrame(out)
    df["converged"] = df["converged"].astype(bool)
    return df


def governor_rows(problem: Any, governors: Sequence[GovernorSpec], optimum_energy_j: Optional[float] = None,
                  *, optimum_latency_ms: Optional[float] = None, **kwargs: Any) -> pd.DataFrame:
    """Baseline rows for the governors (for :func:`dvfskit.baselines`): one row per governor
    setting, index ``plan`` (its name; a dict is named ``knob=gov,...``), columns energy_j (J per
    period), latency_ms, feasible (no miss), saving_pct, split (L: all local), config and one column
    per knob (the cycle's configuration when it has one, else -1 / NaN), offload_fraction and
    tx_power_w (0), miss_rate, description. ``saving_pct = 100 (E_gov - E_opt) / E_gov`` with
    ``E_opt = optimum_energy_j + idle_power_w (period - optimum_latency_ms)`` (the optimum idles
    for the rest of the period too; pass ``optimum_latency_ms=None`` when ``optimum_energy_j``
    already includes it), NaN when a governor misses deadlines or no optimum is given.
    ``kwargs`` go to :func:`governor`."""
    rows = []
    for g in governors:
        r = governor(problem, g, **kwargs)
        e_opt = math.nan
        if optimum_energy_j is not None and math.isfinite(optimum_energy_j):
            e_opt = optimum_energy_j
            if optimum_latency_ms is not None:
                e_opt += r.idle_power_w * max(r.period_ms - optimum_latency_ms, 0.0) / 1000.0
        feasible = r.miss_rate == 0
        cycle = r.cycle_configs
        single = len(cycle) == 1
        k = int(r.inferences.loc[r.warmup, "config"]) if single else -1
        row: Dict[str, Any] = {
            "plan": r.name,
            "energy_j": r.energy_j,
            "latency_ms": r.latency_ms,
            "feasible": feasible,
            "saving_pct": 100.0 * (r.energy_j - e_opt) / r.energy_j if feasible and r.energy_j > 0 else math.nan,
            "split": problem.num_blocks,
            "config": k,
            **{knob: (cycle[0][knob] if single else (math.nan if is_frequency_knob(knob) else None))
               for knob in r.configs.knobs},
            "offload_fraction": 0.0,
            "tx_power_w": 0.0,
            "miss_rate": r.miss_rate,
            "description": f"{r.name} governor(s), all local, periodic steady state over a cycle of "
                           f"{r.cycle_length} inference(s) incl. idle power to the period's end "
                           f"({GOVERNORS[next(iter(r.governors.values()))][2]})",
        }
        rows.append(row)
    return pd.DataFrame(rows).set_index("plan")


def check_governor_setting(configs: ConfigSet, name: GovernorSpec) -> None:
    """ValueError naming the fault when governor setting ``name`` cannot run on ``configs``."""
    _governor_names(configs, name)


def is_governor_name(name: Any) -> bool:
    """Whether ``name`` names a governor setting (for baselines lists): a governor, ``"default"``
    or a dict knob -> governor name."""
    if isinstance(name, Mapping):
        return all(isinstance(v, str) and v in GOVERNORS for v in name.values())
    return isinstance(name, str) and (name in GOVERNORS or name == "default")


def _cached_setup(problem: Any, name: GovernorSpec, options: Mapping[str, Any]) -> _Setup:
    """One simulator per (problem, governor setting, options), kept on the problem (not pickled)
    so that every sweep chunk reuses it; options are told apart by the hash of their pickle."""
    try:
        fingerprint = hashlib.sha256(pickle.dumps(sorted(options.items()), protocol=4)).hexdigest() if options else ""
    except (pickle.PicklingError, TypeError, AttributeError):  # not picklable: built anew each time
        fingerprint = None
    key: Any = (name if isinstance(name, str) else tuple(sorted(name.items())), fingerprint)
    cache: Dict[Any, _Setup] = problem.__dict__.setdefault("_governor_setups", {})
    setup = cache.get(key) if fingerprint is not None else None
    if setup is None:
        setup = _Setup.of(problem, name, options.get("busy"), options.get("switch_time_ms"),
                          options.get("switch_energy_j"),
                          {k: v for k, v in options.items() if k not in ("busy", "switch_time_ms", "switch_energy_j")})
        if fingerprint is not None:
            cache[key] = setup
    return setup


def sweep_governor_columns(problem: Any, name: GovernorSpec, period_ms: np.ndarray, idle_power_w: np.ndarray,
                           e_opt: np.ndarray, latency_opt: np.ndarray, threads: int,
                           options: Optional[Mapping[str, Any]] = None) -> Dict[str, np.ndarray]:
    """Sweep columns of one governor setting (period = each scenario's deadline): ``<g>_energy_j``,
    ``<g>_latency_ms``, ``<g>_miss_rate``, ``<g>_feasible`` (no miss) and ``saving_vs_<g>_pct`` =
    ``100 (E_g - E_opt - P_idle (P - latency_opt)) / E_g`` (the optimum idles to the period's end
    too; NaN where either misses), ``g`` the setting's name."""
    setup = _cached_setup(problem, name, options or {})
    out = setup.sim.steady_batch(np.ascontiguousarray(period_ms, dtype=float),
                                 np.ascontiguousarray(idle_power_w, dtype=float), int(threads))
    g = setup.label
    e = np.asarray(out["energy_j"])
    miss = np.asarray(out["miss_rate"])
    periodic_opt = e_opt + idle_power_w * np.maximum(period_ms - latency_opt, 0.0) / 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        saving = np.where((miss == 0) & (e > 0), 100.0 * (e - periodic_opt) / e, np.nan)
    return {f"{g}_energy_j": e, f"{g}_latency_ms": np.asarray(out["latency_ms"]), f"{g}_miss_rate": miss,
            f"{g}_feasible": miss == 0, f"saving_vs_{g}_pct": saving}


def schedule_governor_rows(block_latency_ms: Any, block_energy_j: Any, configs: Optional[ConfigSet],
                           labels: pd.DataFrame, deadline_ms: float, idle_power_w: float,
                           switch_time: Tuple[float, Mapping[str, float]],
                           switch_energy: Tuple[float, Mapping[str, float]], governors: Sequence[GovernorSpec],
                           schedule_energy_j: Optional[float] = None, **kwargs: Any) -> pd.DataFrame:
    """Governor rows in :func:`dvfskit.schedule_baselines`' format for (N, K) latency (ms) /
    energy (J) tables over ``configs``, period = ``deadline_ms``: index ``baseline`` (the governor
    name); config and the ``labels`` columns of the cycle's configuration when the cycle has one
    (else config -1 and NaN / None labels); latency_ms, energy_j (idle until the period's end
    included, as the schedule's), feasible (no miss), saving_j, saving_pct, miss_rate. Switching
    costs are the schedule's (cost per change, {knob: cost}); the governors start at their
    maximum (an ``initial_config`` only changes their warm-up). ``kwargs`` go to
    :func:`governor_on_tables` (busy, tunables, sampling_ms)."""
    if configs is None:
        raise ValueError("governor baselines need labelled configurations (configs=... with frequency knobs)")
    lat = np.array(block_latency_ms, dtype=float)
    energy = np.array(block_energy_j, dtype=float)
    if np.any((lat == 0) & (energy > 0)):
        raise ValueError("governor baselines need latency > 0 wherever a block has energy (power = energy / latency)")
    with np.errstate(divide="ignore", invalid="ignore"):
        power = np.where(lat > 0, energy / lat * 1000.0, 0.0)
    rows = []
    for g in governors:
        r = governor_on_tables(lat, power, configs, g, period_ms=deadline_ms, idle_power_w=idle_power_w,
                               switch_time_ms=dict(switch_time[1]), switch_energy_j=dict(switch_energy[1]),
                               switch_any=(switch_time[0], switch_energy[0]), **kwargs)
        single = r.cycle_length == 1
        k = int(r.inferences.loc[r.warmup, "config"]) if single else -1
        feasible = r.miss_rate == 0
        ok = feasible and schedule_energy_j is not None and math.isfinite(schedule_energy_j)
        saving = r.energy_j - schedule_energy_j if ok and schedule_energy_j is not None else math.nan
        if ok and abs(saving) <= 1e-12 * max(abs(r.energy_j), 1.0):
            saving = 0.0  # the same energy up to rounding
        label = {c: (v.item() if isinstance(v, np.generic) else v) for c, v in labels.iloc[k].items()} if single \
            else {c: (math.nan if labels[c].dtype.kind == "f" else None) for c in labels.columns}
        rows.append({"baseline": r.name, "config": k, **label, "latency_ms": r.latency_ms, "energy_j": r.energy_j,
                     "feasible": feasible, "saving_j": saving,
                     "saving_pct": 100.0 * saving / r.energy_j if ok and r.energy_j != 0 else math.nan,
                     "miss_rate": r.miss_rate})
    return pd.DataFrame(rows).set_index("baseline")


class GovernorResult:
    """The outcome of :func:`governor`.

    Attributes
    ----------
    name: the governor name, or ``knob=gov,...`` for a dict; governors: knob -> governor name;
    tunables: knob -> {tunable: value} as used.
    energy_j: mean energy per inference (J): blocks + switching + idle power over the rest of the
    period. latency_ms: mean latency (ms, switching stalls included). miss_rate: share of
    inferences past the period. cycle_ms: mean time between inference starts.
    period_ms, sampling_ms, idle_power_w: the run; exact: one decision per inference
    (sampling_ms == period_ms).
    warmup, cycle_length, converged: the steady state (inferences before the cycle, its length,
    whether a repeating state was found).
    trace: DataFrame, one row per block (part run at one configuration) of the warm-up and the
    cycle: inference, block, start_ms (from the inference's start), time_ms (from the simulation's
    start), duration_ms, config, one column per knob, in_cycle.
    inferences: DataFrame, one row per inference: start_ms, latency_ms, energy_j, cycle_ms,
    missed, switches, config, knobs, in_cycle.
    configs: the ConfigSet; assumptions: pd.Series of what is not measured.
    """

    def __init__(self, setup: _Setup, raw: Dict[str, Any], period_ms: float, sampling_ms: float,
                 idle_power_w: float) -> None:
        self.governors = dict(setup.chosen)
        self.tunables = {k: dict(v) for k, v in setup.tunables.items()}
        self.name = setup.label
        self.energy_j = float(raw["energy_j"])
        self.latency_ms = float(raw["latency_ms"])
        self.miss_rate = float(raw["miss_rate"])
        self.cycle_ms = float(raw["cycle_ms"])
        self.warmup = int(raw["warmup"])
        self.cycle_length = int(raw["cycle_length"])
        self.converged = bool(raw["converged"])
        self.period_ms, self.sampling_ms, self.idle_power_w = period_ms, sampling_ms, idle_power_w
        self.exact = sampling_ms == period_ms
        self.configs = setup.configs
        self.assumptions = pd.Series(dict(setup.assumptions), dtype=object)
        labels = setup.configs.table
        inf = pd.DataFrame(raw["inferences"])
        keep = self.warmup + self.cycle_length
        inf = inf.iloc[:keep].copy()
        inf.insert(0, "start_ms", np.concatenate([[0.0], np.cumsum(inf["cycle_ms"].to_numpy())[:-1]]))
        inf["missed"] = inf["missed"].astype(bool)
        inf["in_cycle"] = inf.index >= self.warmup
        self.inferences = pd.concat([inf.reset_index(drop=True),
                                     labels.iloc[inf["config"].to_numpy()].reset_index(drop=True)], axis=1)
        self.inferences.index.name = "inference"
        seg = pd.DataFrame(raw["segments"])
        seg = seg[seg["inference"] < keep].reset_index(drop=True)
        starts = inf["start_ms"].to_numpy()
        seg.insert(3, "time_ms", starts[seg["inference"].to_numpy()] + seg["start_ms"].to_numpy())
        seg["in_cycle"] = seg["inference"] >= self.warmup
        self.trace = pd.concat([seg, labels.iloc[seg["config"].to_numpy()].reset_index(drop=True)], axis=1)

    @property
    def cycle_configs(self) -> List[Dict[str, Any]]:
        """The configuration at the start of each inference of the cycle, as knob -> value."""
        rows = self.inferences[self.inferences["in_cycle"]]
        return [self.configs.label(int(k)) for k in rows["config"]]

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-safe dict (NaN becomes None): the means, the run, the cycle's configurations and
        the assumptions (the trace is left out: see ``trace``)."""
        return {
            "name": self.name,
            "governors": dict(self.governors),
            "tunables": {k: {t: json_value(v) for t, v in d.items()} for k, d in self.tunables.items()},
            "energy_j": json_value(self.energy_j),
            "latency_ms": json_value(self.latency_ms),
            "miss_rate": json_value(self.miss_rate),
            "cycle_ms": json_value(self.cycle_ms),
            "period_ms": self.period_ms,
            "sampling_ms": self.sampling_ms,
            "idle_power_w": self.idle_power_w,
            "exact": self.exact,
            "warmup": self.warmup,
            "cycle_length": self.cycle_length,
            "converged": self.converged,
            "cycle_configs": [{k: json_value(v) for k, v in c.items()} for c in self.cycle_configs],
            "assumptions": {str(k): str(v) for k, v in self.assumptions.items()},
        }

    def _status(self) -> str:
        steady = f"cycle of {self.cycle_length} after {self.warmup} warm-up" if self.converged else "NOT converged"
        mode = "one decision per inference" if self.exact else f"sampling every {self.sampling_ms:g} ms"
        return f"{steady}, {mode}"

    def _cycle_text(self, limit: int = 6) -> str:
        parts = []
        for c in self.cycle_configs[:limit]:
            parts.append("/".join(f"{v:g}" if isinstance(v, float) else str(v) for v in c.values()))
        more = f", ... ({self.cycle_length - limit} more)" if self.cycle_length > limit else ""
        return ", ".join(parts) + more

    def __repr__(self) -> str:
        lines = [
            f"GovernorResult({self.name}, period {self.period_ms:g} ms, {self._status()})",
            f"  energy {self.energy_j:.6g} J per inference, latency {self.latency_ms:.6g} ms, "
            f"miss rate {100 * self.miss_rate:.3g} %",
            f"  cycle configs ({'/'.join(self.configs.knobs)}): {self._cycle_text()}",
        ]
        for k, v in self.assumptions.items():
            lines.append(f"  assumption [{k}]: {v}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in (("energy_j", f"{self.energy_j:.6g}"), ("latency_ms", f"{self.latency_ms:.6g}"),
                         ("miss_rate", f"{self.miss_rate:.4g}"), ("period_ms", f"{self.period_ms:g}"),
                         ("sampling_ms", f"{self.sampling_ms:g}"), ("cycle", self._status()),
                         ("cycle configs", self._cycle_text())))
        assumptions = "".join(f"<li><b>{html.escape(str(k))}</b>: {html.escape(str(v))}</li>"
                              for k, v in self.assumptions.items())
        return (f"<div><b>GovernorResult</b> &mdash; {html.escape(self.name)}<table>{rows}</table>"
                f"<p>Assumptions</p><ul>{assumptions}</ul><p>Units: MHz, ms, W, J.</p></div>")

    def plot(self, **kw: Any) -> Any:
        """The trace as a timeline of the governed knobs' frequencies (``dvfskit.plots.governor``);
        returns the Axes."""
        from .plots import governor as _plot
        return _plot(self, **kw)

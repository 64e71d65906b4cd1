"""The literature's baselines over any knobs, as restrictions of the one exact solver.

Every baseline is a restriction: a configuration subset (precomputed once per problem with its own
Pareto fronts, so a sweep never enumerates every configuration for it), a split, an offload
fraction, fixed transmit power, or planning on other tables (the CPU-DVFS model).

- ``max_frequency``: every frequency knob (``*_mhz``) at its maximum, the other knobs (core
  masks, power modes) free.
- ``only_<knob>``, one per frequency knob: that knob scaled, every other frequency knob at its
  maximum, the other knobs free. ``compute_dvfs_only`` is another name of
  ``only_compute_freq_mhz``.
- ``cpu_dvfs_model``: plan with the CPU-DVFS latency model t = W / f (f the compute knob) within
  ``only_<compute knob>``, then evaluate that plan on the problem's own tables.
- ``all_local`` (split L), ``full_offload`` (split 0, the largest offload fraction: 1 unless the
  problem's grid excludes it), ``fixed_max_power`` (transmit at p_max).

"At its maximum" is within the measured set: the configurations whose frequency knobs (those
named) are all at the set's maxima. In a sparse set where no configuration has them all, the
lexicographic maximum is used: among the configurations, those with the largest value of the
first such knob (in knob order), among those the largest of the second, and so on.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from . import _core
from ._problem import Problem

#: A baseline as the C++ batch solver takes it: (split, fraction, ConfigSubset | None,
#: fixed_max_power, plan_on TableProblem | None); -1 = free.
Spec = Tuple[int, float, Any, bool, Any]

_ALIASES = {"compute_dvfs_only": "only_compute_freq_mhz"}


def compute_knob(problem: Problem) -> Optional[str]:
    """The knob the CPU-DVFS model scales: ``compute_freq_mhz`` if present, else the first
    frequency knob (None without frequency knobs)."""
    freq = problem.configs.frequency_knobs
    if "compute_freq_mhz" in freq:
        return "compute_freq_mhz"
    return freq[0] if freq else None


def baseline_names(problem: Problem) -> Tuple[str, ...]:
    """The baselines of ``problem``, in the order of :func:`baselines` (the optimum excluded)."""
    freq = problem.configs.frequency_knobs
    names: List[str] = []
    if freq:
        names += ["max_frequency"] + [f"only_{k}" for k in freq]
        if "compute_freq_mhz" in freq:
            names.append("compute_dvfs_only")
        names.append("cpu_dvfs_model")
    return tuple(names + ["all_local", "full_offload", "fixed_max_power"])


def at_maxima(configs: Any, knobs: Sequence[str]) -> np.ndarray:
    """Indices (ascending) of the configurations with ``knobs`` at their maxima within the set
    (lexicographic maximum when no configuration has them all; see the module docstring)."""
    keep = np.ones(len(configs), dtype=bool)
    for knob in knobs:
        values = configs.column(knob)
        keep &= values == values[keep].max()
    return np.flatnonzero(keep)


def _description(name: str, problem: Problem) -> str:
    if name == "optimal":
        return "exact joint optimum (split, configuration, p" + (", offload fraction)" if problem.offload_fractions is not None else ")")
    if name == "max_frequency":
        return "every frequency knob at its maximum (performance governor); other knobs, split and p optimised"
    if name.startswith("only_") or name in _ALIASES:
        varied = _ALIASES.get(name, name)[len("only_"):]
        alias = f" (= only_{varied})" if name in _ALIASES else ""
        return f"{varied} scaled, the other frequency knobs at their maximum{alias}; split and p optimised"
    if name == "cpu_dvfs_model":
        return (f"planned with t = W/f over {compute_knob(problem)} (W fitted with the other frequency knobs at "
                f"their maximum, kept there), plan evaluated on the {problem.tables_kind} tables")
    return {"all_local": "split = L (nothing sent); the configuration optimised",
            "full_offload": "split = 0 (input sent); p optimised",
            "fixed_max_power": "transmit at p_max; split and configuration optimised"}[name]


def _cpu_dvfs_latency(problem: Problem, allowed: np.ndarray, knob: str) -> np.ndarray:
    """(L, K) latency of the CPU-DVFS model t_i(k) = W_i / f(k), W_i fitted by least squares to the
    measured latencies of the ``allowed`` configurations (the other frequency knobs at max)."""
    f_all = problem.configs.column(knob)
    scale = f_all.max()
    f = f_all[allowed] / scale  # scale-free: no under/overflow
    t = problem.config_latency_ms[:, allowed]
    work = (t / f).sum(axis=1) / (1.0 / f ** 2).sum()
    return work[:, None] / (f_all / scale)[None, :]


def _cache(problem: Problem) -> Dict[Any, Any]:
    return problem.__dict__.setdefault("_cache", {})


def subset(problem: Problem, allowed: np.ndarray, tables: Any = None) -> Any:
    """The C++ ConfigSubset of ``allowed`` on the problem's tables (or ``tables``), cached."""
    tables = problem._tables if tables is None else tables
    key = ("subset", id(tables), allowed.tobytes())
    cache = _cache(problem)
    if key not in cache:
        cache[key] = (tables, _core.ConfigSubset(tables, allowed.tolist()))  # keeps `tables` alive with it
    return cache[key][1]


def specs(problem: Problem, names: Sequence[str]) -> List[Spec]:
    """The C++ restriction of each baseline (subsets and plan tables built once per problem)."""
    configs = problem.configs
    freq = configs.frequency_knobs
    L = problem.num_blocks
    fractions = problem.offload_fractions
    out: List[Spec] = []
    for name in names:
        base = _ALIASES.get(name, name)
        if base == "max_frequency":
            out.append((-1, -1.0, subset(problem, at_maxima(configs, freq)), False, None))
        elif base.startswith("only_"):
            knob = base[len("only_"):]
            out.append((-1, -1.0, subset(problem, at_maxima(configs, [k for k in freq if k != knob])), False, None))
        elif base == "cpu_dvfs_model":
            scaled = compute_knob(problem)
            assert scaled is not None
            allowed = at_maxima(configs, [k for k in freq if k != scaled])
            cache = _cache(problem)
            if "cpu_dvfs_tables" not in cache:
                cache["cpu_dvfs_tables"] = _core.TableProblem(
                    configs._core, _cpu_dvfs_latency(problem, allowed, scaled), problem.config_power_w, problem.out_bits,
                    problem.server_latency_ms, [] if fractions is None else fractions.tolist())
            planner = cache["cpu_dvfs_tables"]
            out.append((-1, -1.0, subset(problem, allowed, planner), False, planner))
        elif base == "all_local":
            out.append((L, -1.0, None, False, None))
        elif base == "full_offload":
            out.append((0, 1.0 if fractions is None else float(fractions.max()), None, False, None))
        elif base == "fixed_max_power":
            out.append((-1, -1.0, None, True, None))
        else:
            raise ValueError(f"unknown baseline {name!r}; this problem has {baseline_names(problem)}")
    return out


def check_names(problem: Problem, names: Sequence[str], label: str = "the problem") -> None:
    valid = baseline_names(problem)
    bad = [n for n in names if n not in valid]
    if bad:
        raise ValueError(f"unknown baselines {bad} for {label}; its baselines are {list(valid)}")


def solve_spec(problem: Problem, spec: Spec) -> Any:
    """One baseline's plan (a raw C++ solution) for the problem's scenario, as the sweep computes it."""
    split, fraction, configs, fixed, plan_on = spec
    sc = problem._scenario
    assert problem._tables is not None
    if plan_on is None:
        return _core.solve_table(problem._tables, sc, 0, 0.0, split, fraction, configs, fixed)
    planned = _core.solve_table(plan_on, sc, 0, 0.0, split, fraction, configs, fixed)
    p = planned.tx_power_w if planned.tx_power_w > 0 else sc.p_max_w
    return _core.evaluate_table(problem._tables, sc, planned.split, max(planned.config, 0), p, planned.offload_fraction)


def knob_values(problem: Problem, config: int) -> Dict[str, Any]:
    """The knob columns of a plan (NaN / None when nothing runs locally)."""
    configs = problem.configs
    if config < 0:
        return {k: (math.nan if configs.is_numeric(k) else None) for k in configs.knobs}
    return configs.label(config)


def baselines(problem: Problem, *, governors: Optional[Sequence[Any]] = None,
              governor_options: Optional[Mapping[str, Any]] = None) -> pd.DataFrame:
    """The energy optimum and the literature's baselines on the same problem, all evaluated on
    the problem's tables (:ref:`math-baselines`). One row per plan (index ``plan``):

    - ``optimal``: :func:`dvfskit.solve` with the energy objective.
    - ``max_frequency``: every frequency knob (``*_mhz``) at its maximum, the other knobs, split
      and transmit power optimised.
    - ``only_<knob>`` for each frequency knob: that knob scaled, every other frequency knob at
      its maximum; ``compute_dvfs_only`` is another name of ``only_compute_freq_mhz``.
    - ``cpu_dvfs_model``: a CPU-DVFS latency model ``t_i = W_i / f`` (f the compute knob) is
      fitted by least squares to the latencies with the other frequency knobs at their maximum
      (``W_i = sum t_i(f)/f / sum 1/f^2``); the plan optimal under that model (within those
      configurations, measured power) is then evaluated on the problem's tables; it may miss
      the deadline.
    - ``all_local``: split = L. ``full_offload``: split = 0 (the largest allowed offload
      fraction). ``fixed_max_power``: transmit power fixed at p_max.

    "At its maximum" means within the configuration set (the lexicographic maximum in sparse
    sets: see :mod:`dvfskit._baselines`).

    Columns: energy_j (J), latency_ms (ms), feasible, saving_pct (energy the optimum saves
    relative to this plan, ``100 (E_plan - E_opt) / E_plan``; NaN when the optimum or this plan
    is infeasible), split, config (index k, -1 when nothing runs locally), one column per knob
    (frequencies in MHz), offload_fraction, tx_power_w, description. An infeasible restricted
    baseline shows its fastest plan. ``df.attrs["tables_kind"]``: measured or predicted.

    ``governors``: also one row per governor setting (``"schedutil"``, ``"default"``, a dict knob
    -> name, ...): the device's own governors, all local, one inference per period = the
    deadline (:func:`dvfskit.governor`), their energy including idle power to the period's end and
    the saving against the optimum's energy plus idle power to the period's end; a ``miss_rate``
    column (NaN for the other plans). ``governor_options`` go to :func:`dvfskit.governor`.
    """
    from ._solve import _check_problem

    _check_problem(problem)
    if problem._tables is None:
        raise ValueError("baselines needs a problem with tables (from_tables, from_config_tables, from_measurements, "
                         "from_fits)")
    names = baseline_names(problem)
    plans = {"optimal": _core.solve_table(problem._tables, problem._scenario)}
    for name, spec in zip(names, specs(problem, names)):
        plans[name] = solve_spec(problem, spec)
    e_opt = plans["optimal"].energy_j if plans["optimal"].feasible else math.nan
    rows = []
    for name, s in plans.items():
        rows.append({
            "plan": name,
            "energy_j": s.energy_j,
            "latency_ms": s.latency_ms,
            "feasible": bool(s.feasible),
            "saving_pct": 100.0 * (s.energy_j - e_opt) / s.energy_j if s.energy_j > 0 and s.feasible else math.nan,
            "split": s.split,
            "config": s.config,
            **knob_values(problem, s.config),
            "offload_fraction": s.offload_fraction,
            "tx_power_w": s.tx_power_w,
            "description": _description(name, problem),
        })
    df = pd.DataFrame(rows).set_index("plan")
    if governors:  # the governors' rows (dvfskit._governor)
        from ._governor import governor_rows

        opt = plans["optimal"]
        df = pd.concat([df, governor_rows(problem, governors, opt.energy_j if opt.feasible else None,
                                          optimum_latency_ms=opt.latency_ms, **dict(governor_options or {}))])
    df.attrs["tables_kind"] = problem.tables_kind
    return df

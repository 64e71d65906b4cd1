"""``dvfskit.schedule``: per-block configuration schedule under a deadline.

Run each block of a DNN at its own configuration (any knobs: CPU, GPU and memory frequencies, core
masks, ...) so the inference ends just before its deadline with the least energy ("punctual
laziness"), counting the time and energy of switching between configurations. Exact on the C++
core (Lagrangian multiplier search + Pareto label-setting DP) with a certified optimality gap;
see :func:`schedule`.

Configurations are labelled by a :class:`dvfskit.ConfigSet`. The label columns of earlier
versions, ``f_mhz`` and ``m_mhz``, remain as aliases of the knobs ``compute_freq_mhz`` and
``mem_freq_mhz`` (NaN where that knob does not exist) in ``BlockTables.configs``,
``Schedule.to_dataframe()``, the baselines and ``Schedule.f_mhz`` / ``m_mhz``; the switching-cost
keys ``"compute"`` and ``"memory"`` name those two knobs.

Units: time in ms, energy in J, power in W, frequencies in MHz.
"""
from __future__ import annotations

import html
import math
import numbers
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union, overload

import numpy as np
import pandas as pd

from . import _core
from ._configs import ConfigSet, is_frequency_knob
from ._data import did_you_mean, json_value, numbers_array, scalar

SwitchCost = Union[float, Mapping[str, float], np.ndarray]
ConfigIndex = Union[int, Tuple[Any, ...], Mapping[str, Any]]

COMPUTE = "compute_freq_mhz"
MEMORY = "mem_freq_mhz"
#: Label columns of earlier versions -> the knob they alias.
ALIASES = {"f_mhz": COMPUTE, "m_mhz": MEMORY}
#: Switching-cost keys of earlier versions -> the knob they name.
_LEGACY_KEYS = {"compute": COMPUTE, "memory": MEMORY}
_MEASURED = ("latency_ms", "power_w", "energy_j")
_DEADLINE_TOLERANCE = 1e-9  # as the C++ core: latency <= deadline * (1 + 1e-9) meets the deadline


def _label_columns(configs: Optional[ConfigSet], k: int) -> Dict[str, np.ndarray]:
    """One array of K labels per knob, then the aliases f_mhz and m_mhz."""
    table = configs.table if configs is not None else pd.DataFrame(index=pd.RangeIndex(k))
    columns = {c: table[c].to_numpy() for c in table.columns}
    for alias, knob in ALIASES.items():
        columns[alias] = columns[knob].astype(float) if knob in columns else np.full(k, math.nan)
    return columns


def _labels(configs: Optional[ConfigSet], k: int) -> pd.DataFrame:
    """K rows: one column per knob, then the aliases f_mhz and m_mhz (index ``config``)."""
    return pd.DataFrame(_label_columns(configs, k), index=pd.RangeIndex(k, name="config"))


# ---------------------------------------------------------------------------------------------
# Configuration labels


def _knob_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The knob columns of a label DataFrame: the aliases f_mhz/m_mhz become (or, beside their
    knob, must agree with) compute_freq_mhz/mem_freq_mhz; an all-NaN m_mhz means no memory knob."""
    out = df.reset_index(drop=True)
    for alias, knob in ALIASES.items():
        if alias not in out.columns:
            continue
        values = pd.to_numeric(out[alias], errors="coerce").to_numpy(dtype=float)
        if knob in out.columns:
            if not np.array_equal(values, pd.to_numeric(out[knob], errors="coerce").to_numpy(dtype=float)):
                raise ValueError(f"configs: column {alias!r} (an alias of {knob!r}) differs from {knob!r}")
            out = out.drop(columns=alias)
        elif np.isnan(values).all() and alias == "m_mhz":
            out = out.drop(columns=alias)
        else:
            out = out.rename(columns={alias: knob})
    return out


def _config_set(configs: Any, k: int) -> Optional[ConfigSet]:
    """``configs`` (None, a ConfigSet, a DataFrame or mapping of knob columns, or a (K,) / (K, 2)
    array of (compute, memory) MHz) as a ConfigSet of K configurations."""
    if configs is None:
        return None
    if isinstance(configs, ConfigSet):
        cs = configs
    elif isinstance(configs, (pd.DataFrame, Mapping)):
        df = configs if isinstance(configs, pd.DataFrame) else pd.DataFrame(dict(configs))
        cs = ConfigSet(_knob_frame(df), source="configs")
    else:
        try:
            a = np.array(configs, dtype=float)
        except (TypeError, ValueError):
            raise ValueError("configs must be a ConfigSet, a DataFrame of knob columns or a (K, 2) array of "
                             "(compute, memory) MHz") from None
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2 or a.shape[1] not in (1, 2) or a.shape[0] == 0:
            raise ValueError(f"configs must be a ConfigSet, a DataFrame of knob columns or a (K, 2) array of "
                             f"(compute, memory) MHz, got shape {a.shape}")
        columns = {COMPUTE: a[:, 0]}
        if a.shape[1] == 2 and not np.isnan(a[:, 1]).all():
            columns[MEMORY] = a[:, 1]
        cs = ConfigSet(pd.DataFrame(columns), source="configs")
    if len(cs) != k:
        raise ValueError(f"configs has {len(cs)} configurations but the tables have K={k}")
    return cs


# ---------------------------------------------------------------------------------------------
# Input preparation


def _table(value: Any, name: str) -> np.ndarray:
    a = numbers_array(value, name)  # a copy: inputs are never modified
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{name} must have shape (N blocks, K configurations), got {np.shape(value)}")
    if not np.all(np.isfinite(a)):
        i, k = np.argwhere(~np.isfinite(a))[0]
        raise ValueError(f"{name} contains NaN or infinite values (block {i}, configuration {k}: {a[i, k]!r})")
    if np.any(a < 0):
        i, k = np.argwhere(a < 0)[0]
        raise ValueError(f"{name} must be >= 0 (block {i}, configuration {k}: {a[i, k]!r})")
    return a


class _Switch(NamedTuple):
    """One switching cost: any + per-knob costs, or a (K, K) matrix."""

    any: float
    knobs: Dict[str, float]
    matrix: Optional[np.ndarray]


def _switch_cost(value: Any, name: str, configs: Optional[ConfigSet], k: int) -> _Switch:
    usage = (f"{name} must be a number, a dict of per-knob costs (e.g. {{'compute_freq_mhz': 5.0, "
             f"'mem_freq_mhz': 8.0}}) or a (K, K) matrix")
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise ValueError(f"{usage}, got {value!r}")
    if isinstance(value, Mapping):
        knobs = list(configs.knobs) if configs is not None else []
        valid = ["any"] + knobs + [key for key, knob in _LEGACY_KEYS.items() if knob in knobs]
        any_cost = 0.0
        costs: Dict[str, float] = {}
        for key, v in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{name}: keys must be knob names (strings), got {key!r}")
            cost = scalar(v, f"{name}[{key!r}]", allow_zero=True)
            if key == "any":
                any_cost = cost
                continue
            if configs is None:
                raise ValueError(f"{name}[{key!r}]: per-knob switching costs need labelled configurations "
                                 "(configs=..., or BlockTables.schedule)")
            knob = _LEGACY_KEYS.get(key, key)
            if knob not in knobs:
                meaning = f" ({key!r} means {knob!r})" if knob != key else ""
                raise ValueError(f"{name}: unknown knob {key!r}{meaning}{did_you_mean(key, valid, cutoff=0.0)} "
                                 f"(valid keys: {valid})")
            if knob in costs:
                raise ValueError(f"{name}: knob {knob!r} is given twice")
            costs[knob] = cost
        return _Switch(any_cost, costs, None)
    if isinstance(value, numbers.Real):
        return _Switch(scalar(value, name, allow_zero=True), {}, None)
    a = numbers_array(value, name)
    if a.ndim == 0:
        return _Switch(scalar(float(a), name, allow_zero=True), {}, None)
    if a.shape != (k, k):
        raise ValueError(f"{name} matrix must have shape (K, K) = ({k}, {k}), got {a.shape}")
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ValueError(f"{name} matrix must be finite and >= 0")
    return _Switch(0.0, {}, a)


class _Problem:
    """Validated, normalised inputs shared by the schedule and its baselines."""

    configs: Optional[ConfigSet]
    ts: _Switch
    es: _Switch
    initial: Optional[int]

    def __init__(
        self,
        block_latency_ms: Any,
        block_energy_j: Any,
        deadline_ms: Any,
        switch_time_ms: SwitchCost,
        switch_energy_j: SwitchCost,
        initial_config: Optional[ConfigIndex],
        configs: Any,
        idle_power_w: Any,
    ) -> None:
        self.t = _table(block_latency_ms, "block_latency_ms")
        self.e = _table(block_energy_j, "block_energy_j")
        if self.t.shape != self.e.shape:
            raise ValueError(
                f"block_latency_ms and block_energy_j differ in shape: {self.t.shape} vs {self.e.shape}"
            )
        self.n, self.k = self.t.shape
        self.deadline = scalar(deadline_ms, "deadline_ms")
        self.idle = scalar(idle_power_w, "idle_power_w", allow_zero=True)
        self.configs = _config_set(configs, self.k)
        self.knobs: Tuple[str, ...] = self.configs.knobs if self.configs is not None else ()
        self.codes = self.configs.codes if self.configs is not None else np.zeros((self.k, 0), dtype=int)
        self.labels = _label_columns(self.configs, self.k)
        ts = _switch_cost(switch_time_ms, "switch_time_ms", self.configs, self.k)
        es = _switch_cost(switch_energy_j, "switch_energy_j", self.configs, self.k)
        self.matrix = ts.matrix is not None or es.matrix is not None
        if self.matrix:  # the other one as a matrix too
            ts, es = (_Switch(0.0, {}, s.matrix if s.matrix is not None else self._dense(s)) for s in (ts, es))
        self.ts, self.es = ts, es
        self.initial = self._initial(initial_config)
        self._check_overflow()

    def knob_costs(self, s: _Switch) -> List[float]:
        """Per-knob costs in knob order (for the C++ core)."""
        return [s.knobs.get(knob, 0.0) for knob in self.knobs]

    def _dense(self, s: _Switch) -> np.ndarray:
        idx = np.arange(self.k)
        out = s.any * (idx[:, None] != idx[None, :]).astype(float)
        for j, cost in enumerate(self.knob_costs(s)):
            if cost:
                out = out + cost * (self.codes[:, j][:, None] != self.codes[:, j][None, :])
        return out

    def _check_overflow(self) -> None:
        """Finite inputs whose totals overflow (e.g. 1e308 per block) would give inf/NaN energies."""
        def worst(s: _Switch) -> float:
            return float(np.max(s.matrix)) if s.matrix is not None else s.any + sum(s.knobs.values())

        with np.errstate(over="ignore", invalid="ignore"):
            t_sum = float(self.t.max(axis=1).sum())
            e_sum = float(self.e.max(axis=1).sum())
            st = self.n * worst(self.ts)
            se = self.n * worst(self.es)
            checks = (
                ("block_latency_ms", t_sum),
                ("block_energy_j", e_sum),
                ("switch_time_ms", t_sum + st),
                ("switch_energy_j", e_sum + se),
                ("idle_power_w", e_sum + se + self.idle * max(self.deadline, t_sum + st) / 1000.0),
            )
        for name, total in checks:
            if not math.isfinite(total):
                raise ValueError(f"{name}: values too large, the schedule's totals overflow (rescale the units)")

    def _initial(self, initial_config: Optional[ConfigIndex]) -> Optional[int]:
        if initial_config is None:
            return None
        if isinstance(initial_config, (numbers.Integral, np.integer)) and not isinstance(initial_config, bool):
            i = int(initial_config)
            if not 0 <= i < self.k:
                raise ValueError(f"initial_config must lie in [0, K={self.k}), got {initial_config!r}")
            return i
        if self.configs is not None and isinstance(initial_config, (tuple, Mapping)):
            values = initial_config
            if isinstance(values, tuple):
                if self.knobs == (COMPUTE,) and len(values) == 2 and (values[1] is None or values[1] != values[1]):
                    values = values[:1]  # an (f_mhz, NaN) pair of earlier versions
                if len(values) != len(self.knobs):
                    raise ValueError(f"initial_config {initial_config!r}: give one value per knob {list(self.knobs)}")
                values = dict(zip(self.knobs, values))
            try:
                return self.configs.index(values)
            except (KeyError, ValueError) as exc:
                raise ValueError(f"initial_config {initial_config!r} matches no configuration: {exc}") from None
        raise ValueError(
            f"initial_config must be a configuration index in [0, {self.k}), or a tuple or dict of knob values "
            f"when configs are labelled, got {initial_config!r}"
        )

    def switch(self, a: np.ndarray, b: np.ndarray, *, time: bool) -> np.ndarray:
        """Switching time (ms) or energy (J) from configurations ``a`` to ``b`` (elementwise)."""
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        s = self.ts if time else self.es
        if s.matrix is not None:
            return np.array(s.matrix[a, b], dtype=float)
        out = s.any * (a != b)
        for j, cost in enumerate(self.knob_costs(s)):
            if cost:
                out = out + cost * (self.codes[a, j] != self.codes[b, j])
        return np.asarray(out, dtype=float)

    # Path quantities -----------------------------------------------------------------------
    def steps(self, configs: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Switching time and energy paid before each block (from the previous block / initial)."""
        prev = np.concatenate([[self.initial if self.initial is not None else configs[0]], configs[:-1]])
        st = self.switch(prev, configs, time=True)
        se = self.switch(prev, configs, time=False)
        if self.initial is None:
            st[0] = se[0] = 0.0
        return st, se

    def totals(self, configs: np.ndarray) -> Dict[str, float]:
        rows = np.arange(self.n)
        st, se = self.steps(configs)
        block_t = float(self.t[rows, configs].sum())
        latency = block_t + float(st.sum())
        active = float(self.e[rows, configs].sum())
        idle = self.idle * (max(self.deadline, latency) - block_t) / 1000.0
        return {
            "latency_ms": latency,
            "active_energy_j": active,
            "switch_energy_j": float(se.sum()),
            "idle_energy_j": idle,
            "energy_j": active + float(se.sum()) + idle,
        }

    def blocks(self, configs: np.ndarray) -> pd.DataFrame:
        """One row per block: config, knob values, aliases, switching, times, latency, energy."""
        rows = np.arange(self.n)
        st, se = self.steps(configs)
        lat = self.t[rows, configs]
        end = np.cumsum(st + lat)
        return pd.DataFrame(
            {"config": configs, **{c: v[configs] for c, v in self.labels.items()}, "switch_time_ms": st,
             "switch_energy_j": se, "start_ms": end - lat, "end_ms": end, "latency_ms": lat,
             "energy_j": self.e[rows, configs]},
            index=pd.RangeIndex(self.n, name="block"),
        )

    # Baselines -------------------------------------------------------------------------------
    def uniform(self) -> Tuple[np.ndarray, np.ndarray]:
        """Latency and energy (idle included) of every single-configuration schedule."""
        lat = self.t.sum(axis=0)
        en = self.e.sum(axis=0)
        if self.initial is not None:
            every = np.arange(self.k)
            start = np.full(self.k, self.initial)
            lat = lat + self.switch(start, every, time=True)
            en = en + self.switch(start, every, time=False)
        block_t = self.t.sum(axis=0)
        en = en + self.idle * (np.maximum(self.deadline, lat) - block_t) / 1000.0
        return lat, en

    def _frequency_codes(self) -> Tuple[List[str], np.ndarray]:
        names = [k for k in self.knobs if is_frequency_knob(k)]
        return names, self.codes[:, [self.knobs.index(k) for k in names]]

    def check_governors(self, governors: Sequence[Any]) -> None:
        """Fail before any work on a governor setting these tables cannot run."""
        if self.matrix:
            raise ValueError("governor baselines need per-knob switching costs, not a (K, K) matrix")
        if self.configs is None:
            raise ValueError("governor baselines need labelled configurations (configs=... with frequency knobs)")
        from ._governor import check_governor_setting

        for g in governors:
            check_governor_setting(self.configs, g)

    def governor_baselines(self, governors: Sequence[Any], schedule_energy: Optional[float],
                           options: Optional[Mapping[str, Any]]) -> pd.DataFrame:
        """The governors' rows in the baselines' format (dvfskit._governor), period = the deadline."""
        self.check_governors(governors)
        from ._governor import schedule_governor_rows

        return schedule_governor_rows(
            self.t, self.e, self.configs, pd.DataFrame(self.labels), self.deadline, self.idle,
            (self.ts.any, self.ts.knobs), (self.es.any, self.es.knobs), governors, schedule_energy,
            **dict(options or {}))

    def baselines(self, schedule_energy: Optional[float]) -> pd.DataFrame:
        lat, en = self.uniform()
        ok = lat <= self.deadline * (1.0 + _DEADLINE_TOLERANCE)

        def best(candidates: np.ndarray) -> int:
            """The least-energy candidate meeting the deadline, else the fastest one."""
            feasible = candidates[ok[candidates]]
            if feasible.size:
                return int(feasible[np.argmin(en[feasible])])
            return int(candidates[np.lexsort((en[candidates], lat[candidates]))[0]])

        every = np.arange(self.k)
        fastest = int(np.lexsort((en, lat))[0])
        names, codes = self._frequency_codes()
        # Highest frequencies, compared knob by knob (all at their maxima on a dense grid), then fastest.
        max_freq = int(np.lexsort((lat,) + tuple(-codes[:, j] for j in reversed(range(len(names)))))[0]) if names \
            else fastest
        plans = [("uniform", best(every)), ("race_to_idle", fastest), ("max_frequency", max_freq)]
        if len(names) >= 2:
            top = codes.max(axis=0)
            for j, knob in enumerate(names):
                others = np.delete(np.arange(len(names)), j)
                candidates = np.flatnonzero((codes[:, others] == top[others]).all(axis=1))
                if candidates.size:
                    plans.append((f"only_{knob}", best(candidates)))
        rows = []
        for name, k in plans:
            feasible = bool(ok[k])
            energy = float(en[k])
            ok_both = feasible and schedule_energy is not None and math.isfinite(schedule_energy)
            saving = energy - schedule_energy if ok_both and schedule_energy is not None else math.nan
            if ok_both and abs(saving) <= 1e-12 * max(abs(energy), 1.0):
                saving = 0.0  # the same energy up to rounding (summation order)
            rows.append({
                "baseline": name,
                "config": k,
                **{c: json_value(v[k]) if c not in ALIASES else float(v[k]) for c, v in self.labels.items()},
                "latency_ms": float(lat[k]),
                "energy_j": energy,
                "feasible": feasible,
                "saving_j": saving,
                "saving_pct": 100.0 * saving / energy if ok_both and energy != 0 else math.nan,
            })
        return pd.DataFrame(rows).set_index("baseline")


# ---------------------------------------------------------------------------------------------
# Public API


def schedule(
    block_latency_ms: Any,
    block_energy_j: Any,
    deadline_ms: float,
    switch_time_ms: SwitchCost = 0.0,
    switch_energy_j: SwitchCost = 0.0,
    initial_config: Optional[ConfigIndex] = None,
    *,
    configs: Any = None,
    idle_power_w: float = 0.0,
    max_labels_per_cell: int = 4096,
    label_budget: int = 3_000_000,
    governors: Optional[Sequence[Any]] = None,
    governor_options: Optional[Mapping[str, Any]] = None,
) -> "Schedule":
    """Energy-optimal per-block configuration schedule that meets a deadline.

    Minimises ``sum_i e[i, k_i] + switching energy (+ idle energy)`` subject to
    ``sum_i t[i, k_i] + switching time <= deadline_ms`` over one configuration ``k_i`` per block
    (:ref:`math-schedule`).

    Parameters
    ----------
    block_latency_ms, block_energy_j:
        Arrays of shape (N blocks, K configurations): latency (ms) and energy (J) of block i at
        configuration k, finite and >= 0. Build them, with labelled configurations, from a long
        DataFrame of measurements or from (N, nF, nM) arrays with :func:`block_tables`.
    deadline_ms:
        Time budget for the whole chain (ms), > 0. It is just a number: to schedule the local part
        of a split inference (offloading), pass the time left after transmission and server time,
        e.g. ``deadline_ms = T - t_tx - t_server`` from the offloading solver.
    switch_time_ms, switch_energy_j:
        Cost of changing configuration between consecutive blocks (ms, J):

        - a number: the same cost for every change;
        - a dict knob -> cost: a change costs the sum over the knobs that change, e.g.
          ``switch_time_ms={"cpu_freq_mhz": 1.0, "compute_freq_mhz": 5.0, "mem_freq_mhz": 8.0}``
          (Orin-class boards), plus ``"any"`` for every change; ``"compute"`` and ``"memory"``
          name ``compute_freq_mhz`` and ``mem_freq_mhz``. Needs labelled ``configs``. Exploited
          without a K x K matrix: O(2^d' K) per block and DP pass, d' the knobs with a cost;
        - a (K, K) matrix from row to column configuration (general: O(K^2) per block and pass).

        Strings, booleans, NaN and negative costs are errors.
    initial_config:
        The configuration before the first block: an index, or its knob values (a dict knob ->
        value, or a tuple in knob order such as ``(f_mhz, m_mhz)``) when ``configs`` carries
        labels; switching from it into block 0's configuration costs as any other switch. None:
        the first block starts free.
    configs:
        Optional labels: a :class:`dvfskit.ConfigSet`, a DataFrame (or mapping) with one column
        per knob (``BlockTables.configs``; the old ``f_mhz``/``m_mhz`` columns are read as
        ``compute_freq_mhz``/``mem_freq_mhz``), or a (K, 2) array of (compute, memory) MHz.
    idle_power_w:
        Power drawn whenever no block runs (while switching and after finishing, until the
        deadline), W; the schedule and all baselines then pay ``idle_power_w * idle time``;
        ``switch_energy_j`` is the energy on top of it. Default 0.
    max_labels_per_cell, label_budget:
        Effort limits of the exact label-setting pass (see Notes).
    governors, governor_options:
        Also a baseline row per governor setting (``"schedutil"``, ``"default"``, a dict knob ->
        name), as in :func:`schedule_baselines`; settings are checked before the solve.

    Returns
    -------
    Schedule: per-block configuration (every knob), energy (J), latency (ms), slack, switches,
    feasibility (with the reason and the smallest reachable latency when infeasible), a certified
    lower bound and optimality gap, and the baselines (:func:`schedule_baselines`).

    Notes
    -----
    Algorithm: a Lagrangian relaxation of the deadline (for every lambda >= 0,
    ``min over paths of sum(e + lambda t) - lambda T`` is a lower bound), maximised exactly by a
    breakpoint search whose steps are shortest-path DPs over (block, configuration); then a Pareto
    label-setting DP over (block, configuration) pruned by the deadline, by Lagrangian bounds of
    the remaining blocks and by dominance across configurations. When the exact pass completes
    the schedule is proven optimal (``gap_j == 0``); if it runs out of ``label_budget`` the best
    schedule found is returned with its certified gap to the Lagrangian bound. With per-knob
    costs the cheapest predecessor of configuration k is k itself or the best configuration of
    one of the 2^d' groups sharing k's values on a subset of the d' knobs with a cost (charged
    for the other knobs), so no K x K matrix is built; the label pass is O(labels) (about
    0.1-0.3 s per million labels). A latency within ``deadline_ms * (1 + 1e-9)`` meets the
    deadline. Ctrl-C interrupts a long schedule (``KeyboardInterrupt``).
    """
    prob = _Problem(
        block_latency_ms, block_energy_j, deadline_ms, switch_time_ms, switch_energy_j, initial_config, configs,
        idle_power_w,
    )
    limits = {"max_labels_per_cell": max_labels_per_cell, "label_budget": label_budget}
    for name, value in limits.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
            math.isfinite(value) and value == int(value) and 0 <= value < 2**63
        ):
            raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    if governors:
        prob.check_governors(governors)
    # Idle power is a credit for every block-millisecond: the objective
    # E + P_idle (T - block time) = sum (e - P_idle t) + switching + P_idle T.
    energy = prob.e - prob.idle * prob.t / 1000.0
    kwargs: Dict[str, Any] = {}
    if prob.matrix:
        kwargs.update(switch_time_matrix=prob.ts.matrix, switch_energy_matrix=prob.es.matrix)
        switching = "matrix"
    else:
        kwargs.update(switch_time_any=prob.ts.any, switch_energy_any=prob.es.any)
        per_knob = bool(prob.ts.knobs or prob.es.knobs)
        if per_knob:
            kwargs.update(switch_time_knobs=prob.knob_costs(prob.ts), switch_energy_knobs=prob.knob_costs(prob.es))
        switching = "per-knob" if per_knob else "scalar"
    if prob.configs is not None:
        kwargs["configs"] = prob.configs._core
    raw = _core.solve_schedule(
        prob.t, energy, prob.deadline, initial_config=prob.initial,
        max_labels_per_cell=int(max_labels_per_cell), label_budget=int(label_budget), **kwargs,
    )
    configs_idx = np.asarray(raw["configs"], dtype=np.int64)
    totals = prob.totals(configs_idx)
    feasible = bool(raw["feasible"])
    if feasible:
        lower = float(raw["lower_bound"]) + prob.idle * prob.deadline / 1000.0
        if raw["proven_optimal"]:
            lower = totals["energy_j"]
        lower = min(lower, totals["energy_j"])
    else:
        lower = math.nan
    baselines = prob.baselines(totals["energy_j"] if feasible else None)
    if governors:
        baselines = pd.concat([baselines, prob.governor_baselines(
            governors, totals["energy_j"] if feasible else None, governor_options)])
    return Schedule(
        blocks=prob.blocks(configs_idx),
        knobs=prob.knobs,
        num_configs=prob.k,
        deadline_ms=prob.deadline,
        totals=totals,
        feasible=feasible,
        reason=str(raw["reason"]),
        min_latency_ms=float(raw["min_latency"]),
        lower_bound_j=lower,
        optimal=bool(raw["proven_optimal"]),
        num_switches=int(raw["num_switches"]),
        solver={
            "lambda_j_per_ms": float(raw["lambda"]),
            "lagrange_iterations": int(raw["lagrange_iterations"]),
            "labels": int(raw["labels"]),
            "budget_exhausted": bool(raw["thinned"]),
            "switching": switching,
            "predecessor_groups": int(raw["predecessor_groups"]),
        },
        baselines=baselines,
    )


def schedule_baselines(
    block_latency_ms: Any,
    block_energy_j: Any,
    deadline_ms: float,
    switch_time_ms: SwitchCost = 0.0,
    switch_energy_j: SwitchCost = 0.0,
    initial_config: Optional[ConfigIndex] = None,
    *,
    configs: Any = None,
    idle_power_w: float = 0.0,
    schedule_energy_j: Optional[float] = None,
    governors: Optional[Sequence[Any]] = None,
    governor_options: Optional[Mapping[str, Any]] = None,
) -> pd.DataFrame:
    """The baselines of :func:`schedule` alone (same arguments), one row each, every one a single
    configuration for the whole inference (paying ``initial_config``'s switch and idle power):

    - ``uniform``: the best single configuration (uniform DVFS), or the fastest one when none
      meets the deadline;
    - ``race_to_idle``: the fastest configuration, then idle power until the deadline;
    - ``max_frequency``: every frequency knob (``*_mhz``) at its highest value (compared knob by
      knob in knob order when a sparse set lacks that configuration), the fastest among the
      configurations that differ only in other knobs; the fastest configuration when unlabelled;
    - with two or more frequency knobs, ``only_<knob>`` for each: the best configuration in
      which only that knob is scaled, every other frequency knob at its highest value (other
      knobs free); left out when the set has no such configuration.

    Columns: config, one column per knob, f_mhz and m_mhz (aliases of compute_freq_mhz and
    mem_freq_mhz, NaN when absent), latency_ms, energy_j (idle included), feasible, and, when
    ``schedule_energy_j`` is given, saving_j and saving_pct (positive: the schedule saves).

    ``governors``: also one row per governor setting (a name such as ``"schedutil"`` or
    ``"default"``, or a dict knob -> name), the device's own governors simulated on these tables
    with the period = ``deadline_ms`` (:func:`dvfskit.governor`, ``docs/math/governors.md``; needs
    labelled configurations and per-knob switching costs), with a ``miss_rate`` column;
    ``governor_options`` (busy shares, tunables) go to the simulation.
    """
    prob = _Problem(
        block_latency_ms, block_energy_j, deadline_ms, switch_time_ms, switch_energy_j, initial_config, configs,
        idle_power_w,
    )
    energy = None if schedule_energy_j is None else scalar(schedule_energy_j, "schedule_energy_j", allow_zero=True)
    rows = prob.baselines(energy)
    if governors:
        rows = pd.concat([rows, prob.governor_baselines(governors, energy, governor_options)])
    return rows


def _float(v: Any) -> float:
    return math.nan if v is None else float(v)


class Schedule:
    """A per-block configuration schedule (the result of :func:`schedule`).

    Attributes
    ----------
    configs: configuration index per block (N,). knobs: the knob names (empty when unlabelled);
        knob_values: DataFrame (N rows, one column per knob). f_mhz, m_mhz: aliases of the
        compute_freq_mhz and mem_freq_mhz values per block (NaN when that knob is absent).
    energy_j: total energy (J) = active_energy_j (blocks) + switch_energy_j + idle_energy_j.
    latency_ms: total latency incl. switching (ms); deadline_ms; slack_ms = deadline - latency.
    num_switches: configuration changes (including from ``initial_config``).
    feasible, reason: whether the deadline is met; why not (then the schedule is the fastest one).
    min_latency_ms: the smallest latency reachable (ms).
    lower_bound_j: proven lower bound on the optimal energy (J); gap_j = energy_j - lower_bound_j,
        gap_rel = gap_j / energy_j; optimal: proven optimal (gap 0).
    baselines: DataFrame (uniform, race_to_idle, max_frequency, only_<knob>, and any governor rows)
        with savings.
    solver: multiplier, iterations, labels, whether the label budget ran out, switching form.

    A Schedule pickles, and ``Schedule.from_dict(s.to_dict())`` rebuilds it (JSON-safe).
    """

    def __init__(
        self,
        *,
        blocks: pd.DataFrame,
        knobs: Sequence[str],
        num_configs: int,
        deadline_ms: float,
        totals: Mapping[str, float],
        feasible: bool,
        reason: str,
        min_latency_ms: float,
        lower_bound_j: float,
        optimal: bool,
        num_switches: int,
        solver: Mapping[str, Any],
        baselines: pd.DataFrame,
    ) -> None:
        self._blocks = blocks
        self.knobs: Tuple[str, ...] = tuple(knobs)
        self.num_configs = int(num_configs)
        self.configs = blocks["config"].to_numpy(dtype=np.int64)
        self.knob_values = blocks[list(self.knobs)].copy()
        self.f_mhz = blocks["f_mhz"].to_numpy(dtype=float)
        self.m_mhz = blocks["m_mhz"].to_numpy(dtype=float)
        self.deadline_ms = float(deadline_ms)
        self.latency_ms = float(totals["latency_ms"])
        self.energy_j = float(totals["energy_j"])
        self.active_energy_j = float(totals["active_energy_j"])
        self.switch_energy_j = float(totals["switch_energy_j"])
        self.idle_energy_j = float(totals["idle_energy_j"])
        self.slack_ms = self.deadline_ms - self.latency_ms
        self.num_switches = int(num_switches)
        self.feasible = bool(feasible)
        self.reason = str(reason)
        self.min_latency_ms = float(min_latency_ms)
        self.lower_bound_j = float(lower_bound_j)
        self.gap_j = max(self.energy_j - self.lower_bound_j, 0.0) if self.feasible else math.nan
        self.gap_rel = (self.gap_j / abs(self.energy_j) if self.energy_j != 0 else 0.0) if self.feasible else math.nan
        self.optimal = bool(optimal) and self.feasible
        self.solver = dict(solver)
        self.baselines = baselines

    @property
    def num_blocks(self) -> int:
        return int(self.configs.size)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per block: config, one column per knob, f_mhz and m_mhz (aliases), the switch
        time/energy paid before the block, start/end time (ms), latency (ms) and energy (J)."""
        return self._blocks.copy()

    _TOTALS = ("energy_j", "active_energy_j", "switch_energy_j", "idle_energy_j", "latency_ms")

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-safe dict (NaN becomes None); :meth:`from_dict` rebuilds the schedule."""
        return {
            "knobs": list(self.knobs),
            "num_configs": self.num_configs,
            "configs": [int(k) for k in self.configs],
            "f_mhz": [json_value(v) for v in self.f_mhz],
            "m_mhz": [json_value(v) for v in self.m_mhz],
            **{name: getattr(self, name) for name in self._TOTALS},
            "deadline_ms": self.deadline_ms,
            "slack_ms": self.slack_ms,
            "num_switches": self.num_switches,
            "feasible": self.feasible,
            "reason": self.reason,
            "min_latency_ms": self.min_latency_ms,
            "lower_bound_j": json_value(self.lower_bound_j),
            "gap_j": json_value(self.gap_j),
            "gap_rel": json_value(self.gap_rel),
            "optimal": self.optimal,
            "solver": dict(self.solver),
            "blocks": {c: [json_value(v) for v in self._blocks[c]] for c in self._blocks.columns},
            "baselines": [
                {"baseline": name, **{k: json_value(v) for k, v in row.items()}}
                for name, row in self.baselines.to_dict(orient="index").items()
            ],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Schedule":
        """The schedule a :meth:`to_dict` dict describes."""
        try:
            knobs = list(d["knobs"])
            blocks = pd.DataFrame(d["blocks"])
            for c in blocks.columns:
                if c == "config":
                    blocks[c] = blocks[c].astype(np.int64)
                elif c not in knobs or is_frequency_knob(c):
                    blocks[c] = [_float(v) for v in blocks[c]]
            blocks.index.name = "block"
            baselines = pd.DataFrame(
                [{k: (_float(v) if v is None else v) for k, v in row.items()} for row in d["baselines"]]
            ).set_index("baseline")
            return cls(
                blocks=blocks, knobs=knobs, num_configs=int(d["num_configs"]), deadline_ms=float(d["deadline_ms"]),
                totals={name: float(d[name]) for name in cls._TOTALS}, feasible=bool(d["feasible"]),
                reason=str(d["reason"]), min_latency_ms=float(d["min_latency_ms"]),
                lower_bound_j=_float(d["lower_bound_j"]), optimal=bool(d["optimal"]),
                num_switches=int(d["num_switches"]), solver=dict(d["solver"]), baselines=baselines,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"Schedule.from_dict: not a Schedule.to_dict() dict ({type(exc).__name__}: {exc})") from None

    def _status(self) -> str:
        if not self.feasible:
            return f"INFEASIBLE: {self.reason}"
        return "proven optimal" if self.optimal else f"gap {self.gap_j:.4g} J ({100 * self.gap_rel:.3g} %)"

    def _config_text(self, limit: int = 12) -> str:
        def one(i: int) -> str:
            if not self.knobs:
                return str(int(self.configs[i]))
            return "/".join(f"{v:g}" if isinstance(v, float) else str(v) for v in self.knob_values.iloc[i])

        # run-length encode: "1410/3199 x3, 1200/3199 x5"
        runs: List[Tuple[str, int]] = []
        for i in range(self.num_blocks):
            s = one(i)
            if runs and runs[-1][0] == s:
                runs[-1] = (s, runs[-1][1] + 1)
            else:
                runs.append((s, 1))
        text = ", ".join(f"{s} x{c}" if c > 1 else s for s, c in runs[:limit])
        return text + (f", ... ({len(runs) - limit} more runs)" if len(runs) > limit else "")

    def __repr__(self) -> str:
        lines = [f"Schedule(N={self.num_blocks} blocks, K={self.num_configs} configs, {self._status()})"]
        lines.append(
            f"  energy {self.energy_j:.6g} J"
            + (f" (lower bound {self.lower_bound_j:.6g} J)" if self.feasible else "")
            + f", latency {self.latency_ms:.6g} ms of {self.deadline_ms:.6g} ms (slack {self.slack_ms:.4g} ms),"
            f" {self.num_switches} switch{'' if self.num_switches == 1 else 'es'}"
        )
        if not self.feasible:
            lines.append(f"  smallest reachable latency {self.min_latency_ms:.6g} ms")
        unit = "/".join(self.knobs) if self.knobs else "config index"
        lines.append(f"  configs ({unit}): {self._config_text()}")
        for name, row in self.baselines.iterrows():
            saving = f", saving {row['saving_pct']:.3g} %" if math.isfinite(row["saving_pct"]) else ""
            ok = "" if row["feasible"] else " (misses deadline)"
            lines.append(f"  {name}: {row['energy_j']:.6g} J, {row['latency_ms']:.6g} ms{ok}{saving}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        summary = (
            f"energy {self.energy_j:.6g} J, latency {self.latency_ms:.6g} ms of {self.deadline_ms:.6g} ms, "
            f"{self.num_switches} switches"
        )
        base = self.baselines.to_html(float_format=lambda v: f"{v:.6g}", na_rep="n/a")
        blocks = self.to_dataframe().head(50).to_html(float_format=lambda v: f"{v:.6g}", na_rep="n/a")
        more = f"<p>(first 50 of {self.num_blocks} blocks)</p>" if self.num_blocks > 50 else ""
        return (
            f"<div><b>Schedule</b> &mdash; N={self.num_blocks}, K={self.num_configs}, "
            f"{html.escape(self._status())}<p>{html.escape(summary)}</p>"
            f"<p>Baselines</p>{base}<p>Blocks</p>{blocks}{more}</div>"
        )

    def plot(self, **kw: Any) -> Any:
        """The schedule as a timeline (``dvfskit.plots.schedule``); returns the Axes."""
        from .plots import schedule as _plot
        return _plot(self, **kw)


# ---------------------------------------------------------------------------------------------
# Block tables


class BlockTables:
    """Per-block latency and energy over K labelled configurations (any knobs).

    Attributes
    ----------
    latency_ms, energy_j: arrays of shape (N, K): block i at configuration k (ms, J).
    config_set: the :class:`dvfskit.ConfigSet` labelling the K configurations (the constructor
        also takes the label forms of ``schedule(configs=...)``).
    configs: DataFrame view (K rows, index ``config``): one column per knob, then ``f_mhz`` and
        ``m_mhz``, aliases of ``compute_freq_mhz`` and ``mem_freq_mhz`` (NaN when absent).
    knobs: the knob names. blocks: the N block labels, in order.

    Pickles, and ``BlockTables.from_dict(tables.to_dict())`` rebuilds it (JSON-safe).
    """

    def __init__(self, latency_ms: Any, energy_j: Any, config_set: Any,
                 blocks: Optional[Sequence[Any]] = None) -> None:
        self.latency_ms = _table(latency_ms, "latency_ms")
        self.energy_j = _table(energy_j, "energy_j")
        if self.latency_ms.shape != self.energy_j.shape:
            raise ValueError(f"latency_ms {self.latency_ms.shape} and energy_j {self.energy_j.shape} differ in shape")
        if config_set is None:
            raise ValueError("config_set: the configurations need labels (a ConfigSet or a DataFrame of knob columns)")
        cs = _config_set(config_set, self.latency_ms.shape[1])  # a ConfigSet, or labels as schedule(configs=) takes
        assert cs is not None
        self.config_set = cs
        names = list(range(self.latency_ms.shape[0])) if blocks is None else list(blocks)
        if len(names) != self.latency_ms.shape[0]:
            raise ValueError(f"blocks has {len(names)} labels for N={self.latency_ms.shape[0]} blocks")
        self.blocks = names

    @property
    def configs(self) -> pd.DataFrame:
        return _labels(self.config_set, self.num_configs)

    @property
    def knobs(self) -> Tuple[str, ...]:
        return self.config_set.knobs

    @property
    def num_blocks(self) -> int:
        return int(self.latency_ms.shape[0])

    @property
    def num_configs(self) -> int:
        return int(self.latency_ms.shape[1])

    def schedule(self, deadline_ms: float, **kwargs: Any) -> "Schedule":
        """:func:`schedule` on these tables (the configuration labels are passed along)."""
        return schedule(self.latency_ms, self.energy_j, deadline_ms, configs=self.config_set, **kwargs)

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-safe dict: knobs, configurations (knob -> values), blocks, tables (ms, J)."""
        table = self.config_set.table
        return {
            "knobs": list(self.knobs),
            "configs": {c: [json_value(v) for v in table[c]] for c in table.columns},
            "blocks": [json_value(b) for b in self.blocks],
            "latency_ms": self.latency_ms.tolist(),
            "energy_j": self.energy_j.tolist(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "BlockTables":
        """The tables a :meth:`to_dict` dict describes."""
        try:
            configs = ConfigSet(pd.DataFrame({k: d["configs"][k] for k in d["knobs"]}))
            return cls(d["latency_ms"], d["energy_j"], configs, d["blocks"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"BlockTables.from_dict: not a BlockTables.to_dict() dict ({exc})") from None

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, BlockTables) and self.config_set == other.config_set
                and self.blocks == other.blocks and np.array_equal(self.latency_ms, other.latency_ms)
                and np.array_equal(self.energy_j, other.energy_j))

    __hash__ = None  # type: ignore[assignment]  # mutable arrays

    def __repr__(self) -> str:
        return f"BlockTables(N={self.num_blocks} blocks, {self.config_set._summary()})"

    def _repr_html_(self) -> str:
        return (f"<div><b>BlockTables</b> N={self.num_blocks} blocks, {html.escape(self.config_set._summary())}"
                f"{self.configs.head(10)._repr_html_()}</div>")


@overload
def block_tables(measurements: pd.DataFrame, *, knobs: Optional[Sequence[str]] = None, block: Optional[str] = None,
                 blocks: Optional[Sequence[Any]] = None) -> BlockTables: ...


@overload
def block_tables(measurements: Any, energy_j: Any, compute_mhz: Sequence[float],
                 memory_mhz: Optional[Sequence[float]] = None) -> BlockTables: ...


def block_tables(
    measurements: Any,
    energy_j: Any = None,
    compute_mhz: Optional[Sequence[float]] = None,
    memory_mhz: Optional[Sequence[float]] = None,
    *,
    knobs: Optional[Sequence[str]] = None,
    block: Optional[str] = None,
    blocks: Optional[Sequence[Any]] = None,
) -> BlockTables:
    """Per-block tables over labelled configurations, the inputs of :func:`schedule`.

    Two forms:

    ``block_tables(measurements, knobs=None, block=None, blocks=None)``
        From a long DataFrame as :func:`dvfskit.read_measurements` returns it: one row per block
        and configuration, rows in any order, with ``latency_ms`` and ``energy_j`` (or
        ``power_w``, then ``energy_j = power_w * latency_ms / 1000``).

        - ``knobs``: the columns that identify a configuration (default: every ``*_mhz``
          column). Frequency knobs must be numeric (MHz); other knobs (a core mask, a power mode)
          may be labels.
        - ``block``: the block column (default: ``"block"`` if there is one, else the whole
          network is one block). ``blocks``: their order (default: first appearance).

        Configurations are sorted by their knob values. Every block must have the same
        configuration set, else a ``ValueError`` names the block and one missing configuration; a
        repeated (block, configuration) row is an error (filter the other columns, or average
        repeats with ``read_measurements(..., aggregate="mean")``). Latency must be finite and
        > 0, energy and power finite and >= 0.

    ``block_tables(latency_ms, energy_j, compute_mhz, memory_mhz=None)``
        From arrays of shape (N, nF, nM) (or (N, nF) without a memory table): block i's latency
        (ms) and energy (J) at compute frequency ``compute_mhz[a]`` and memory frequency
        ``memory_mhz[b]``, measured or predicted by fitted per-block models, e.g.
        ``np.stack([fit_i.predict({"f": F, "m": M}) for fit_i in fits])`` on a ``np.meshgrid``
        of the tables with ``indexing="ij"``. Configuration ``k = a * nM + b``, knobs
        ``compute_freq_mhz`` (and ``mem_freq_mhz``).

    Returns
    -------
    BlockTables; ``tables.schedule(deadline_ms, ...)`` schedules them with their labels (needed
    for per-knob switching costs).
    """
    if isinstance(measurements, pd.DataFrame):
        if energy_j is not None or compute_mhz is not None or memory_mhz is not None:
            raise ValueError("block_tables(DataFrame) takes knobs=, block= and blocks= only; the array form is "
                             "block_tables(latency_ms, energy_j, compute_mhz, memory_mhz)")
        return _tables_from_measurements(measurements, knobs, block, blocks)
    if knobs is not None or block is not None or blocks is not None:
        raise ValueError("knobs=, block= and blocks= need a DataFrame of measurements as the first argument")
    if compute_mhz is None or energy_j is None:
        raise ValueError("block_tables needs a DataFrame of measurements, or (latency_ms, energy_j, compute_mhz"
                         "[, memory_mhz]) arrays")
    return _tables_from_arrays(measurements, energy_j, compute_mhz, memory_mhz)


def _tables_from_arrays(latency_ms: Any, energy_j: Any, compute_mhz: Sequence[float],
                        memory_mhz: Optional[Sequence[float]]) -> BlockTables:
    f = np.array(compute_mhz, dtype=float).ravel()
    if f.size == 0 or not np.all(np.isfinite(f)):
        raise ValueError("compute_mhz must be a non-empty table of finite frequencies (MHz)")
    has_memory = memory_mhz is not None
    m = np.array(memory_mhz, dtype=float).ravel() if has_memory else np.array([math.nan])
    if has_memory and (m.size == 0 or not np.all(np.isfinite(m))):
        raise ValueError("memory_mhz must be a non-empty table of finite frequencies (MHz)")
    tables = []
    for value, name in ((latency_ms, "latency_ms"), (energy_j, "energy_j")):
        a = np.array(value, dtype=float)
        if not has_memory and a.ndim == 2:
            a = a[:, :, None]
        if a.ndim != 3 or a.shape[1:] != (f.size, m.size):
            raise ValueError(
                f"{name} must have shape (N, {f.size}, {m.size}) (blocks x compute_mhz x memory_mhz), got {np.shape(value)}"
            )
        tables.append(a.reshape(a.shape[0], f.size * m.size))
    if tables[0].shape != tables[1].shape:
        raise ValueError(f"latency_ms and energy_j differ in shape: {np.shape(latency_ms)} vs {np.shape(energy_j)}")
    axes = {COMPUTE: f, MEMORY: m} if has_memory else {COMPUTE: f}
    try:
        configs = ConfigSet.grid(axes)
    except ValueError as exc:
        raise ValueError(f"compute_mhz/memory_mhz: {exc}") from None
    return BlockTables(tables[0], tables[1], configs)


def _tables_from_measurements(df: pd.DataFrame, knobs: Optional[Sequence[str]], block: Optional[str],
                              blocks: Optional[Sequence[Any]]) -> BlockTables:
    source = str(df.attrs.get("source", "measurements"))
    columns = [c for c in df.columns]
    if len(df) == 0:
        raise ValueError(f"{source}: no measurements (the DataFrame is empty)")
    if len(set(map(str, columns))) != len(columns):
        raise ValueError(f"{source}: repeated column names {columns}")

    def column(name: Any, what: str) -> str:
        if not isinstance(name, str) or name not in df.columns:
            raise ValueError(f"{source}: no {what} column {name!r}{did_you_mean(name, columns, cutoff=0.0)}")
        return name

    block_col = column(block, "block") if block is not None else ("block" if "block" in df.columns else None)
    if knobs is None:
        knob_list = [c for c in columns if isinstance(c, str) and is_frequency_knob(c)]
        if not knob_list:
            raise ValueError(f"{source}: no knob columns (*_mhz); name them with knobs=[...] (columns: {columns})")
    else:
        knob_list = [column(k, "knob") for k in ([knobs] if isinstance(knobs, str) else list(knobs))]
        if not knob_list or len(set(knob_list)) != len(knob_list):
            raise ValueError(f"{source}: knobs must be distinct column names, got {knob_list}")
        bad = [k for k in knob_list if k in _MEASURED or k == block_col]
        if bad:
            raise ValueError(f"{source}: {bad[0]!r} cannot be a knob (a measured value or the block column)")
    column("latency_ms", "latency")
    if "energy_j" not in df.columns and "power_w" not in df.columns:
        raise ValueError(f"{source}: no energy_j or power_w column (columns: {columns})")

    def where(i: int) -> str:
        row = df.iloc[i]
        place = f"block {row[block_col]!r}, " if block_col is not None else ""
        return f"{source}: row {i + 1} ({place}" + ", ".join(f"{k}={row[k]!r}" for k in knob_list) + ")"

    def missing(values: pd.Series, name: str) -> None:
        bad = values.isna().to_numpy()
        if bad.any():
            raise ValueError(f"{where(int(np.argmax(bad)))}: {name} is missing")

    keys = pd.DataFrame(index=pd.RangeIndex(len(df)))
    for k in knob_list:
        values = df[k].reset_index(drop=True)
        missing(values, k)
        if is_frequency_knob(k):
            numeric = pd.to_numeric(values, errors="coerce")
            if numeric.isna().any() or values.dtype.kind == "b":
                i = int(np.argmax(numeric.isna().to_numpy())) if numeric.isna().any() else 0
                raise ValueError(f"{source}: row {i + 1}: frequency knob {k!r} must be numeric (MHz), "
                                 f"got {values.iloc[i]!r}")
            arr = numeric.to_numpy(dtype=float)
            bad = ~np.isfinite(arr) | (arr <= 0)
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(f"{where(i)}: frequency knob {k!r} must be finite and > 0 MHz, got {arr[i]!r}")
            keys[k] = arr
        else:
            keys[k] = values.to_numpy()
    if block_col is not None:
        missing(df[block_col].reset_index(drop=True), block_col)

    def measured(name: str, positive: bool) -> np.ndarray:
        values = df[name].reset_index(drop=True)
        numeric = pd.to_numeric(values, errors="coerce")
        arr = numeric.to_numpy(dtype=float)
        bad = numeric.isna().to_numpy() | ~np.isfinite(arr) | ((arr <= 0) if positive else (arr < 0))
        if bad.any():
            i = int(np.argmax(bad))
            need = "> 0" if positive else ">= 0"
            raise ValueError(f"{where(i)}: {name} must be a finite number {need}, got {values.iloc[i]!r}")
        return arr

    lat = measured("latency_ms", True)
    energy = measured("energy_j", False) if "energy_j" in df.columns else measured("power_w", False) * lat / 1000.0

    # Blocks, in order.
    block_values = df[block_col].to_numpy() if block_col is not None else np.zeros(len(df), dtype=int)
    present = list(pd.unique(block_values))
    if blocks is None:
        order = present
    else:
        order = list(blocks)
        if len(set(map(repr, order))) != len(order):
            raise ValueError(f"blocks: repeated block labels in {order}")
        absent = [b for b in order if b not in set(present)]
        extra = [b for b in present if b not in set(order)]
        if absent:
            raise ValueError(f"blocks: block {absent[0]!r} has no measurements in {source}")
        if extra:
            raise ValueError(f"blocks: the measurements have block {extra[0]!r}, which blocks= leaves out")
    row_block = pd.Index(order).get_indexer(block_values)

    # Configurations, sorted by knob values.
    unique = keys.drop_duplicates()
    try:
        unique = unique.sort_values(knob_list, kind="stable")
    except TypeError:  # label knobs of mixed types: sort them as text
        unique = unique.sort_values(knob_list, kind="stable", key=lambda s: s.astype(str))
    unique = unique.reset_index(drop=True)
    configs = ConfigSet(unique, source=source)
    row_config = pd.MultiIndex.from_frame(unique).get_indexer(pd.MultiIndex.from_frame(keys))
    n, num_configs = len(order), len(unique)

    def describe(c: int) -> str:
        return "(" + ", ".join(f"{name}={v!r}" for name, v in configs.label(c).items()) + ")"

    cell = row_block.astype(np.int64) * num_configs + row_config
    counts = np.bincount(cell, minlength=n * num_configs)
    if (counts > 1).any():
        c = int(np.argmax(counts > 1))
        rows = np.flatnonzero(cell == c)
        others = [col for col in columns if col not in knob_list and col != block_col and col not in _MEASURED
                  and df[col].iloc[rows].nunique(dropna=False) > 1]
        vary = f"; columns that differ between them: {others}" if others else ""
        raise ValueError(f"{source}: block {order[c // num_configs]!r} has {len(rows)} rows (rows "
                         f"{', '.join(str(r + 1) for r in rows[:5])}) at configuration {describe(c % num_configs)}{vary}: "
                         "filter the data, add knobs=, or average repeats with read_measurements(..., "
                         "aggregate='mean')")
    if (counts == 0).any():
        c = int(np.argmax(counts == 0))
        gaps = int((counts.reshape(n, num_configs)[c // num_configs] == 0).sum())
        raise ValueError(f"{source}: block {order[c // num_configs]!r} has no measurement at configuration {describe(c % num_configs)} "
                         f"({gaps} of the K={num_configs} configurations missing; every block needs the same configurations)")
    latency = np.empty((n, num_configs))
    energies = np.empty((n, num_configs))
    latency[row_block, row_config] = lat
    energies[row_block, row_config] = energy
    return BlockTables(latency, energies, configs, [json_value(b) for b in order])

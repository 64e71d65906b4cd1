"""``dvfskit.schedule``: per-block (compute, memory) frequency schedule under a deadline.

Run each block of a DNN at its own configuration so the inference ends just before its deadline
with the least energy ("punctual laziness"), counting the time and energy of switching between
configurations. Exact on the C++ core (Lagrangian multiplier search + Pareto label-setting DP)
with a certified optimality gap; see :func:`schedule`.

Units: time in ms, energy in J, power in W, frequencies in MHz.
"""
from __future__ import annotations

import html
import math
import numbers
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _core
from ._data import numbers_array, scalar

SwitchCost = Union[float, Mapping[str, float], np.ndarray]
ConfigIndex = Union[int, Tuple[float, float]]

_SWITCH_KEYS = ("any", "compute", "memory")
_DEADLINE_TOLERANCE = 1e-9  # as the C++ core: latency <= deadline * (1 + 1e-9) meets the deadline


class BlockTables:
    """Per-block latency and energy over K = nF * nM labelled (f, m) configurations.

    Attributes
    ----------
    latency_ms, energy_j: arrays of shape (N, K); configuration ``k = a * nM + b`` runs at
        compute frequency ``compute_mhz[a]`` and memory frequency ``memory_mhz[b]``.
    configs: DataFrame with K rows and columns ``f_mhz``, ``m_mhz``.
    """

    def __init__(self, latency_ms: np.ndarray, energy_j: np.ndarray, configs: pd.DataFrame) -> None:
        self.latency_ms = latency_ms
        self.energy_j = energy_j
        self.configs = configs

    @property
    def num_blocks(self) -> int:
        return int(self.latency_ms.shape[0])

    @property
    def num_configs(self) -> int:
        return int(self.latency_ms.shape[1])

    def schedule(self, deadline_ms: float, **kwargs: Any) -> "Schedule":
        """:func:`schedule` on these tables (the configuration labels are passed along)."""
        return schedule(self.latency_ms, self.energy_j, deadline_ms, configs=self.configs, **kwargs)

    def __repr__(self) -> str:
        f = np.unique(self.configs["f_mhz"])
        m = np.unique(self.configs["m_mhz"].dropna())
        memory = f" x {m.size} memory [{m.min():g}..{m.max():g} MHz]" if m.size else " (no memory table)"
        return (
            f"BlockTables(N={self.num_blocks} blocks, K={self.num_configs} configs = {f.size} compute "
            f"[{f.min():g}..{f.max():g} MHz]{memory})"
        )


def block_tables(
    latency_ms: Any,
    energy_j: Any,
    compute_mhz: Sequence[float],
    memory_mhz: Optional[Sequence[float]] = None,
) -> BlockTables:
    """Flatten per-block tables over a device's frequency tables into (N, K) schedule inputs.

    Parameters
    ----------
    latency_ms, energy_j:
        Arrays of shape (N, nF, nM) (or (N, nF) without a memory table): block i's latency (ms) and
        energy (J) at compute frequency ``compute_mhz[a]`` and memory frequency ``memory_mhz[b]``,
        measured or predicted by fitted per-block models, e.g.
        ``np.stack([fit_i.predict({"f": F, "m": M}) for fit_i in fits])`` on a ``np.meshgrid`` of
        the tables with ``indexing="ij"``.
    compute_mhz, memory_mhz:
        The frequency tables (MHz). Without ``memory_mhz`` the memory label is NaN.

    Returns
    -------
    BlockTables with K = nF * nM configurations labelled (f_mhz, m_mhz); pass
    ``configs=tables.configs`` to :func:`schedule` (or call ``tables.schedule(deadline_ms)``) to
    get labels in the result and to use separate compute/memory switching costs.
    """
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
    configs = pd.DataFrame({"f_mhz": np.repeat(f, m.size), "m_mhz": np.tile(m, f.size)})
    configs.index.name = "config"
    return BlockTables(tables[0], tables[1], configs)


# ---------------------------------------------------------------------------------------------
# Input preparation


def _table(value: Any, name: str) -> np.ndarray:
    a = numbers_array(value, name)  # a copy: inputs are never modified
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{name} must have shape (N blocks, K configurations), got {np.shape(value)}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if np.any(a < 0):
        raise ValueError(f"{name} must be >= 0")
    return a


def _labels(configs: Any, k: int) -> Optional[pd.DataFrame]:
    if configs is None:
        return None
    if isinstance(configs, pd.DataFrame) or isinstance(configs, Mapping):
        df = pd.DataFrame({c: np.asarray(configs[c], dtype=float) for c in ("f_mhz", "m_mhz") if c in configs})
        if "f_mhz" not in df:
            raise ValueError("configs needs an 'f_mhz' column (and optionally 'm_mhz')")
        if "m_mhz" not in df:
            df["m_mhz"] = math.nan
    else:
        a = np.array(configs, dtype=float)
        if a.ndim == 1:
            a = np.column_stack([a, np.full(a.size, math.nan)])
        if a.ndim != 2 or a.shape[1] != 2:
            raise ValueError("configs must be a DataFrame with f_mhz/m_mhz or a (K, 2) array of (f, m) in MHz")
        df = pd.DataFrame({"f_mhz": a[:, 0], "m_mhz": a[:, 1]})
    if len(df) != k:
        raise ValueError(f"configs has {len(df)} rows but the tables have K={k} configurations")
    if not np.all(np.isfinite(df["f_mhz"])):
        raise ValueError("configs: f_mhz must be finite")
    df = df.reset_index(drop=True)
    df.index.name = "config"
    return df


def _groups(labels: pd.DataFrame) -> Tuple[np.ndarray, np.ndarray]:
    m = labels["m_mhz"].fillna(-1.0).to_numpy()
    fg = np.unique(labels["f_mhz"].to_numpy(), return_inverse=True)[1].astype(np.int32)
    mg = np.unique(m, return_inverse=True)[1].astype(np.int32)
    return fg, mg


def _switch_form(value: Any, name: str, k: int) -> Tuple[str, Any]:
    """("structured", (any, compute, memory)) or ("matrix", (K, K) array)."""
    if isinstance(value, Mapping):
        unknown = set(value) - set(_SWITCH_KEYS)
        if unknown:
            raise ValueError(f"{name}: unknown keys {sorted(unknown)}; use 'compute', 'memory' (and 'any')")
        parts = tuple(scalar(value.get(key, 0.0), f"{name}[{key!r}]", allow_zero=True) for key in _SWITCH_KEYS)
        return "structured", parts
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise ValueError(f"{name} must be a number, a dict {{'compute': .., 'memory': ..}} or a (K, K) matrix, "
                         f"got {value!r}")
    if isinstance(value, numbers.Real):
        return "structured", (scalar(value, name, allow_zero=True), 0.0, 0.0)
    a = numbers_array(value, name)
    if a.ndim == 0:
        return _switch_form(float(a), name, k)
    if a.shape != (k, k):
        raise ValueError(f"{name} matrix must have shape (K, K) = ({k}, {k}), got {a.shape}")
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ValueError(f"{name} matrix must be finite and >= 0")
    return "matrix", a


def _structured_matrix(parts: Tuple[float, float, float], fg: Optional[np.ndarray], mg: Optional[np.ndarray], k: int) -> np.ndarray:
    idx = np.arange(k)
    out = parts[0] * (idx[:, None] != idx[None, :])
    if fg is not None and mg is not None:
        out = out + parts[1] * (fg[:, None] != fg[None, :]) + parts[2] * (mg[:, None] != mg[None, :])
    return out.astype(float)


class _Problem:
    """Validated, normalised inputs shared by the schedule and its baselines."""

    labels: Optional[pd.DataFrame]
    fg: Optional[np.ndarray]
    mg: Optional[np.ndarray]
    matrix: bool
    ts_parts: Any
    es_parts: Any
    ts_matrix: Optional[np.ndarray]
    es_matrix: Optional[np.ndarray]
    initial: Optional[int]
    idle: float

    def __init__(
        self,
        block_latency_ms: Any,
        block_energy_j: Any,
        deadline_ms: Any,
        switch_time_ms: SwitchCost,
        switch_energy_j: SwitchCost,
        initial_config: Optional[ConfigIndex],
        configs: Any,
        idle_power_w: float,
    ) -> None:
        self.t = _table(block_latency_ms, "block_latency_ms")
        self.e = _table(block_energy_j, "block_energy_j")
        if self.t.shape != self.e.shape:
            raise ValueError(
                f"block_latency_ms and block_energy_j differ in shape: {self.t.shape} vs {self.e.shape}"
            )
        self.n, self.k = self.t.shape
        if isinstance(deadline_ms, bool) or not isinstance(deadline_ms, numbers.Real):
            raise ValueError(f"deadline_ms must be a number (ms), got {deadline_ms!r}")
        self.deadline = float(deadline_ms)
        if not math.isfinite(self.deadline) or self.deadline <= 0:
            raise ValueError(f"deadline_ms must be finite and > 0, got {deadline_ms!r}")
        if isinstance(idle_power_w, bool) or not isinstance(idle_power_w, numbers.Real) or not (
            math.isfinite(idle_power_w) and idle_power_w >= 0
        ):
            raise ValueError(f"idle_power_w must be finite and >= 0 W, got {idle_power_w!r}")
        self.idle = float(idle_power_w)
        self.labels = _labels(configs, self.k)
        self.fg, self.mg = _groups(self.labels) if self.labels is not None else (None, None)

        ts = _switch_form(switch_time_ms, "switch_time_ms", self.k)
        es = _switch_form(switch_energy_j, "switch_energy_j", self.k)
        for (kind, parts), name in ((ts, "switch_time_ms"), (es, "switch_energy_j")):
            if kind == "structured" and (parts[1] or parts[2]) and self.labels is None:
                raise ValueError(f"{name}: separate compute/memory costs need configuration labels (configs=...)")
        if ts[0] == "structured" and es[0] == "structured":
            self.matrix = False
            self.ts_parts, self.es_parts = ts[1], es[1]
            if self.labels is not None and (any(ts[1][1:]) or any(es[1][1:])):
                pairs = pd.MultiIndex.from_arrays([self.fg, self.mg])
                if pairs.has_duplicates:
                    raise ValueError("configs: separate compute/memory switching costs need distinct (f, m) labels")
            self.ts_matrix = self.es_matrix = None  # O(K) storage: costs from the parts
        else:
            self.matrix = True
            self.ts_matrix = ts[1] if ts[0] == "matrix" else _structured_matrix(ts[1], self.fg, self.mg, self.k)
            self.es_matrix = es[1] if es[0] == "matrix" else _structured_matrix(es[1], self.fg, self.mg, self.k)
        self.initial = self._initial(initial_config)
        self._check_overflow()

    def _check_overflow(self) -> None:
        """Finite inputs whose totals overflow (e.g. 1e308 per block) would give inf/NaN energies."""
        def worst(kind_parts: Any, matrix: Optional[np.ndarray]) -> float:
            return float(np.max(matrix)) if matrix is not None else float(sum(kind_parts))

        with np.errstate(over="ignore", invalid="ignore"):
            t_sum = float(self.t.max(axis=1).sum())
            e_sum = float(self.e.max(axis=1).sum())
            st = self.n * worst(getattr(self, "ts_parts", ()), self.ts_matrix)
            se = self.n * worst(getattr(self, "es_parts", ()), self.es_matrix)
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
        if isinstance(initial_config, tuple) and len(initial_config) == 2 and self.labels is not None:
            f, m = (float(x) for x in initial_config)
            hit = np.flatnonzero(
                (self.labels["f_mhz"].to_numpy() == f)
                & ((self.labels["m_mhz"].to_numpy() == m) | (np.isnan(m) & self.labels["m_mhz"].isna().to_numpy()))
            )
            if hit.size == 0:
                raise ValueError(f"initial_config {initial_config!r} matches no (f_mhz, m_mhz) configuration")
            return int(hit[0])
        raise ValueError(
            f"initial_config must be a configuration index in [0, {self.k}) or an (f_mhz, m_mhz) pair of configs, "
            f"got {initial_config!r}"
        )

    def switch(self, a: np.ndarray, b: np.ndarray, *, time: bool) -> np.ndarray:
        """Switching time (ms) or energy (J) from configurations ``a`` to ``b`` (elementwise)."""
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        if self.matrix:
            matrix = self.ts_matrix if time else self.es_matrix
            assert matrix is not None
            return np.array(matrix[a, b], dtype=float)
        any_, compute, memory = self.ts_parts if time else self.es_parts
        out = any_ * (a != b)
        if self.fg is not None and self.mg is not None:
            out = out + compute * (self.fg[a] != self.fg[b]) + memory * (self.mg[a] != self.mg[b])
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

    def feasible(self, latency: float) -> bool:
        return latency <= self.deadline * (1.0 + _DEADLINE_TOLERANCE)

    def label(self, k: int) -> Tuple[float, float]:
        if self.labels is None:
            return math.nan, math.nan
        return float(self.labels["f_mhz"].iat[k]), float(self.labels["m_mhz"].iat[k])

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

    def baselines(self, schedule_energy: Optional[float]) -> pd.DataFrame:
        lat, en = self.uniform()
        ok = lat <= self.deadline * (1.0 + _DEADLINE_TOLERANCE)
        fastest = int(np.lexsort((en, lat))[0])
        best_uniform = int(np.flatnonzero(ok)[np.argmin(en[ok])]) if ok.any() else fastest
        if self.labels is not None:
            f = self.labels["f_mhz"].to_numpy()
            m = self.labels["m_mhz"].fillna(-math.inf).to_numpy()
            max_freq = int(np.lexsort((lat, -m, -f))[0])
        else:
            max_freq = fastest
        rows = []
        for name, k in (("uniform", best_uniform), ("race_to_idle", fastest), ("max_frequency", max_freq)):
            f_mhz, m_mhz = self.label(k)
            feasible = bool(ok[k])
            energy = float(en[k])
            ok_both = feasible and schedule_energy is not None and math.isfinite(schedule_energy)
            saving = energy - schedule_energy if ok_both and schedule_energy is not None else math.nan
            if ok_both and abs(saving) <= 1e-12 * max(abs(energy), 1.0):
                saving = 0.0  # the same energy up to rounding (summation order)
            rows.append(
                {
                    "baseline": name,
                    "config": k,
                    "f_mhz": f_mhz,
                    "m_mhz": m_mhz,
                    "latency_ms": float(lat[k]),
                    "energy_j": energy,
                    "feasible": feasible,
                    "saving_j": saving,
                    "saving_pct": 100.0 * saving / energy if ok_both and energy != 0 else math.nan,
                }
            )
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
) -> "Schedule":
    """Energy-optimal per-block configuration schedule that meets a deadline.

    Minimises ``sum_i e[i, k_i] + switching energy (+ idle energy)`` subject to
    ``sum_i t[i, k_i] + switching time <= deadline_ms`` over one configuration ``k_i`` per block
    (:ref:`math-schedule`).

    Parameters
    ----------
    block_latency_ms, block_energy_j:
        Arrays of shape (N blocks, K configurations): latency (ms) and energy (J) of block i at
        configuration k, finite and >= 0. Build them from (N, nF, nM) tables over a device's
        frequency tables with :func:`block_tables`, which also labels the configurations.
    deadline_ms:
        Time budget for the whole chain (ms), > 0. It is just a number: to schedule the local part
        of a split inference (offloading), pass the time left after transmission and server time,
        e.g. ``deadline_ms = T - t_tx - t_server`` from the offloading solver.
    switch_time_ms, switch_energy_j:
        Cost of changing configuration between consecutive blocks (ms, J):

        - a scalar: the same cost for every change (exploited: O(N K) per DP pass);
        - ``{"compute": c, "memory": m}`` (optionally ``"any": a``): separate costs for changing
          the compute and the memory frequency, added when both change, e.g.
          ``switch_time_ms={"compute": 5.0, "memory": 8.0}`` (Orin-class boards); needs
          ``configs`` labels (also O(N K) per DP pass);
        - a (K, K) matrix from row to column configuration (general: O(N K^2) per DP pass).
    initial_config:
        The configuration before the first block (index, or an ``(f_mhz, m_mhz)`` pair when
        ``configs`` carries labels); switching from it into block 0's configuration costs as any
        other switch. None: the first block starts free.
    configs:
        Optional labels: a DataFrame (or mapping) with ``f_mhz`` and ``m_mhz`` columns, or a
        (K, 2) array of (f, m) in MHz (``BlockTables.configs``).
    idle_power_w:
        Power drawn whenever no block runs (while switching and after finishing, until the
        deadline), W; the schedule and all baselines then pay ``idle_power_w * idle time``;
        ``switch_energy_j`` is the energy on top of it. Default 0.
    max_labels_per_cell, label_budget:
        Effort limits of the exact label-setting pass (see Notes).

    Returns
    -------
    Schedule: per-block configuration, energy (J), latency (ms), slack, switches, feasibility
    (with the reason and the smallest reachable latency when infeasible), a certified lower bound
    and optimality gap, and the baselines (uniform DVFS, race-to-idle, max frequency).

    Notes
    -----
    Algorithm: a Lagrangian relaxation of the deadline (for every lambda >= 0,
    ``min over paths of sum(e + lambda t) - lambda T`` is a lower bound), maximised exactly by a
    breakpoint search whose steps are shortest-path DPs over (block, configuration); then a Pareto
    label-setting DP over (block, configuration) pruned by the deadline, by Lagrangian bounds of
    the remaining blocks and by dominance across configurations. When the exact pass completes
    the schedule is proven optimal (``gap_j == 0``); if it runs out of ``label_budget`` the best
    schedule found is returned with its certified gap to the Lagrangian bound. Complexity:
    O(N K) per DP pass for scalar or compute/memory-separable switching costs (the best
    predecessor is the same configuration, the best one sharing the compute or memory frequency,
    or the overall best), O(N K^2) for a general matrix; the label pass is O(labels) (about
    0.1-0.3 s per million labels). A latency within ``deadline_ms * (1 + 1e-9)`` meets the
    deadline.
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
    # Idle power is a credit for every block-millisecond: the objective
    # E + P_idle (T - block time) = sum (e - P_idle t) + switching + P_idle T.
    energy = prob.e - prob.idle * prob.t / 1000.0
    kwargs: Dict[str, Any] = {}
    if prob.matrix:
        kwargs.update(switch_time_matrix=prob.ts_matrix, switch_energy_matrix=prob.es_matrix)
        st, se = [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]
    else:
        st, se = list(prob.ts_parts), list(prob.es_parts)
        if prob.fg is not None and (any(st[1:]) or any(se[1:])):
            kwargs.update(compute_group=prob.fg, memory_group=prob.mg)
    raw = _core.solve_schedule(
        prob.t, energy, prob.deadline, st, se, initial_config=prob.initial,
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
    return Schedule(
        prob,
        configs_idx,
        totals,
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
            "switching": "matrix" if prob.matrix else ("separable" if "compute_group" in kwargs else "scalar"),
        },
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
) -> pd.DataFrame:
    """The baselines of :func:`schedule` alone (same arguments), one row each:

    - ``uniform``: the best single configuration for the whole inference (uniform DVFS), or the
      fastest one when none meets the deadline;
    - ``race_to_idle``: the fastest single configuration, then idle power until the deadline;
    - ``max_frequency``: the highest compute (then memory) frequency when labelled, else the
      fastest configuration, with the same idle accounting.

    Columns: config, f_mhz, m_mhz, latency_ms, energy_j (idle included), feasible, and, when
    ``schedule_energy_j`` is given, saving_j and saving_pct (positive: the schedule saves).
    """
    prob = _Problem(
        block_latency_ms, block_energy_j, deadline_ms, switch_time_ms, switch_energy_j, initial_config, configs,
        idle_power_w,
    )
    return prob.baselines(schedule_energy_j)


def _json(v: float) -> Optional[float]:
    return float(v) if math.isfinite(v) else None


class Schedule:
    """A per-block configuration schedule (the result of :func:`schedule`).

    Attributes
    ----------
    configs: configuration index per block (N,); f_mhz, m_mhz: its labels (NaN when unknown).
    energy_j: total energy (J) = active_energy_j (blocks) + switch_energy_j + idle_energy_j.
    latency_ms: total latency incl. switching (ms); deadline_ms; slack_ms = deadline - latency.
    num_switches: configuration changes (including from ``initial_config``).
    feasible, reason: whether the deadline is met; why not (then the schedule is the fastest one).
    min_latency_ms: the smallest latency reachable (ms).
    lower_bound_j: proven lower bound on the optimal energy (J); gap_j = energy_j - lower_bound_j,
        gap_rel = gap_j / energy_j; optimal: proven optimal (gap 0).
    baselines: DataFrame (uniform, race_to_idle, max_frequency) with savings vs this schedule.
    solver: multiplier, iterations, labels, whether the label budget ran out, switching form.
    """

    def __init__(
        self,
        problem: _Problem,
        configs: np.ndarray,
        totals: Dict[str, float],
        *,
        feasible: bool,
        reason: str,
        min_latency_ms: float,
        lower_bound_j: float,
        optimal: bool,
        num_switches: int,
        solver: Dict[str, Any],
    ) -> None:
        self._problem = problem
        self.configs = configs
        labels = [problem.label(int(k)) for k in configs]
        self.f_mhz = np.array([x[0] for x in labels], dtype=float)
        self.m_mhz = np.array([x[1] for x in labels], dtype=float)
        self.deadline_ms = problem.deadline
        self.latency_ms = totals["latency_ms"]
        self.energy_j = totals["energy_j"]
        self.active_energy_j = totals["active_energy_j"]
        self.switch_energy_j = totals["switch_energy_j"]
        self.idle_energy_j = totals["idle_energy_j"]
        self.slack_ms = problem.deadline - self.latency_ms
        self.num_switches = num_switches
        self.feasible = feasible
        self.reason = reason
        self.min_latency_ms = min_latency_ms
        self.lower_bound_j = lower_bound_j
        self.gap_j = max(self.energy_j - lower_bound_j, 0.0) if feasible else math.nan
        self.gap_rel = self.gap_j / abs(self.energy_j) if feasible and self.energy_j != 0 else (0.0 if feasible else math.nan)
        self.optimal = optimal and feasible
        self.solver = solver
        self.baselines = problem.baselines(self.energy_j if feasible else None)

    @property
    def num_blocks(self) -> int:
        return int(self.configs.size)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per block: config, f_mhz, m_mhz, switch time/energy paid before the block,
        start/end time (ms), latency (ms) and energy (J) of the block."""
        p = self._problem
        rows = np.arange(p.n)
        st, se = p.steps(self.configs)
        lat = p.t[rows, self.configs]
        end = np.cumsum(st + lat)
        df = pd.DataFrame(
            {
                "config": self.configs,
                "f_mhz": self.f_mhz,
                "m_mhz": self.m_mhz,
                "switch_time_ms": st,
                "switch_energy_j": se,
                "start_ms": end - lat,
                "end_ms": end,
                "latency_ms": lat,
                "energy_j": p.e[rows, self.configs],
            }
        )
        df.index.name = "block"
        return df

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-safe dict (NaN becomes None)."""
        return {
            "configs": [int(k) for k in self.configs],
            "f_mhz": [_json(v) for v in self.f_mhz],
            "m_mhz": [_json(v) for v in self.m_mhz],
            "energy_j": self.energy_j,
            "active_energy_j": self.active_energy_j,
            "switch_energy_j": self.switch_energy_j,
            "idle_energy_j": self.idle_energy_j,
            "latency_ms": self.latency_ms,
            "deadline_ms": self.deadline_ms,
            "slack_ms": self.slack_ms,
            "num_switches": self.num_switches,
            "feasible": self.feasible,
            "reason": self.reason,
            "min_latency_ms": self.min_latency_ms,
            "lower_bound_j": _json(self.lower_bound_j),
            "gap_j": _json(self.gap_j),
            "gap_rel": _json(self.gap_rel),
            "optimal": self.optimal,
            "solver": dict(self.solver),
            "baselines": [
                {"baseline": name, **{k: (_json(v) if isinstance(v, float) else v) for k, v in row.items()}}
                for name, row in self.baselines.to_dict(orient="index").items()
            ],
        }

    def _status(self) -> str:
        if not self.feasible:
            return f"INFEASIBLE: {self.reason}"
        return "proven optimal" if self.optimal else f"gap {self.gap_j:.4g} J ({100 * self.gap_rel:.3g} %)"

    def _config_text(self, limit: int = 12) -> str:
        def one(i: int) -> str:
            k = int(self.configs[i])
            if math.isnan(self.f_mhz[i]):
                return str(k)
            return f"{self.f_mhz[i]:g}" + ("" if math.isnan(self.m_mhz[i]) else f"/{self.m_mhz[i]:g}")

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
        lines = [f"Schedule(N={self.num_blocks} blocks, K={self._problem.k} configs, {self._status()})"]
        lines.append(
            f"  energy {self.energy_j:.6g} J"
            + (f" (lower bound {self.lower_bound_j:.6g} J)" if self.feasible else "")
            + f", latency {self.latency_ms:.6g} ms of {self.deadline_ms:.6g} ms (slack {self.slack_ms:.4g} ms),"
            f" {self.num_switches} switch{'' if self.num_switches == 1 else 'es'}"
        )
        if not self.feasible:
            lines.append(f"  smallest reachable latency {self.min_latency_ms:.6g} ms")
        labels = self._problem.labels
        unit = "config index" if labels is None else ("f MHz" if labels["m_mhz"].isna().all() else "f/m MHz")
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
            f"<div><b>Schedule</b> &mdash; N={self.num_blocks}, K={self._problem.k}, "
            f"{html.escape(self._status())}<p>{html.escape(summary)}</p>"
            f"<p>Baselines</p>{base}<p>Blocks</p>{blocks}{more}</div>"
        )

    def plot(self, **kw: Any) -> Any:
        """The schedule as a timeline (``dvfskit.plots.schedule``); returns the Axes."""
        from .plots import schedule as _plot
        return _plot(self, **kw)

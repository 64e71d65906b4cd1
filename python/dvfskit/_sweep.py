"""``dvfskit.sweep``: solve a grid or table of scenarios in C++ batches (threads, GIL released)
or as chunks on a Dask cluster; one DataFrame row per scenario, optionally streamed to Parquet/CSV.

Every scenario is solved by the same exact solver as :func:`dvfskit.solve`, independently of the
others, so the result is bit-identical whatever the backend, thread count or chunk size.
"""
from __future__ import annotations

import contextlib
import hashlib
import math
import os
import pickle
import signal
import threading
import warnings
from pathlib import Path
from typing import Any, Callable, overload, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _core
from . import _baselines
from ._data import integer, numbers_array, require, scalar
from ._output import FolderSink, MemorySink, output_format
from ._governor import is_governor_name, sweep_governor_columns
from ._problem import _SCENARIO_FIELDS, Problem
from ._solve import _parse_objective

#: The baselines of a compute x memory problem (:meth:`Problem.from_tables`), in the order of
#: :func:`dvfskit.baselines` (the optimum excluded); any problem's: ``baseline_names(problem)``.
BASELINES = ("max_frequency", "only_compute_freq_mhz", "only_mem_freq_mhz", "compute_dvfs_only", "cpu_dvfs_model",
             "all_local", "full_offload", "fixed_max_power")
baseline_names = _baselines.baseline_names

_RESULT_FLOATS = (
    "objective_value", "energy_j", "energy_compute_j", "energy_transmit_j", "energy_idle_j", "latency_ms",
    "latency_local_ms", "latency_transmit_ms", "latency_server_ms", "min_latency_ms",
)
_DECISIONS = ("tx_power_w", "offload_fraction")
_ALLOW_ZERO = ("p_circuit_w", "idle_power_w")

ProblemSource = Union[Problem, Mapping[Any, Problem], Callable[..., Problem]]


# ---------------------------------------------------------------------------------------------
# Rows: where each scenario's inputs come from (a lazy cartesian grid, or a table)
# ---------------------------------------------------------------------------------------------

class _GridPart:
    """Rows [start, stop) of a cartesian grid, materialised on demand (cheap to pickle)."""

    def __init__(self, dims: List[Tuple[str, np.ndarray]], key_dims: List[int], start: int, stop: int) -> None:
        self.dims, self.key_dims, self.start, self.stop = dims, key_dims, start, stop

    def materialise(self) -> Tuple[Dict[str, Any], np.ndarray]:
        sizes = [v.size for _, v in self.dims]
        idx = np.unravel_index(np.arange(self.start, self.stop, dtype=np.int64), sizes) if sizes else ()
        columns = {name: values[i] for (name, values), i in zip(self.dims, idx)}
        if self.key_dims:
            codes = np.ravel_multi_index([idx[d] for d in self.key_dims], [sizes[d] for d in self.key_dims])
        else:
            codes = np.zeros(self.stop - self.start, dtype=np.int64)
        return columns, codes


class _TablePart:
    def __init__(self, columns: Dict[str, np.ndarray], codes: np.ndarray) -> None:
        self.columns, self.codes = columns, codes

    def materialise(self) -> Tuple[Dict[str, Any], np.ndarray]:
        return self.columns, self.codes


class _Plan:
    """Everything a chunk needs besides its rows: the problems (one per code), the labels of the
    problem key columns, the objective and baselines. Picklable (sent once to Dask workers)."""

    def __init__(self, problems: List[Problem], key_labels: Dict[str, np.ndarray], key_index: np.ndarray,
                 kind: int, weight: float, baselines: Optional[Sequence[str]], threads: int,
                 governor_options: Optional[Mapping[str, Any]] = None) -> None:
        self.problems = problems
        self.key_labels = key_labels  # key name -> its distinct labels
        self.key_index = key_index    # (problems, keys): label index of each problem's keys
        self.defaults = np.array([[p.scenario[f] for f in _SCENARIO_FIELDS] for p in problems], dtype=np.float64)
        self.kind, self.weight, self.threads = kind, weight, threads
        # governor settings (dvfskit._governor) apart from the solver's baselines
        self.governors = tuple(b for b in (baselines or ()) if is_governor_name(b))
        if baselines is not None:
            baselines = tuple(b for b in baselines if not is_governor_name(b))
        # baselines None: each problem's own; the output has the union of columns (NaN where a
        # problem has no such baseline)
        self.names = [(_baselines.baseline_names(p) if baselines is None else tuple(baselines)) for p in problems]
        for p, names, key in zip(problems, self.names, key_index):
            _baselines.check_names(p, names, "the problem" + (f" {_key_text(key_labels, key)}" if key_labels else ""))
        self.baselines = tuple(dict.fromkeys(n for names in self.names for n in names))
        self.knobs = tuple(dict.fromkeys(k for p in problems for k in p.configs.knobs))
        self.governor_options = dict(governor_options or {})
        if self.governor_options and not self.governors:
            raise ValueError("governor_options are given but baselines names no governor")
        empty = np.zeros(0)
        for p in problems if self.governors else ():  # every setting and option checked before any work
            for gov in self.governors:
                sweep_governor_columns(p, gov, empty, empty, empty, empty, 1, self.governor_options)

    def solve(self, part: Union[_GridPart, _TablePart], threads: Optional[int] = None) -> pd.DataFrame:
        columns, codes = part.materialise()
        return _solve_rows(self, columns, codes, self.threads if threads is None else threads)


def _key_text(labels: Dict[str, np.ndarray], key: np.ndarray) -> str:
    return ", ".join(f"{name}={values[i]!r}" for (name, values), i in zip(labels.items(), key))


def _check_values(name: str, values: Any) -> np.ndarray:
    a = np.atleast_1d(numbers_array(values, f"grid[{name!r}]"))
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"grid[{name!r}] must be a non-empty 1-D sequence of numbers")
    _check_column(name, a)
    return a


def _check_column(name: str, a: np.ndarray) -> None:
    zero_ok = name in _ALLOW_ZERO
    bad = ~np.isfinite(a) | (a < 0) | ((a == 0) & (not zero_ok))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        scalar(a[i], f"{name} (row/value {i})", allow_zero=zero_ok)  # raises ValueError with the value


def _problems_for(source: ProblemSource, key_combos: List[Dict[str, Any]]) -> List[Problem]:
    problems = []
    for combo in key_combos:
        if isinstance(source, Mapping):
            p = source[combo["problem"]]
        elif callable(source) and not isinstance(source, Problem):
            p = source(**combo)
        else:
            p = source
        if not isinstance(p, Problem) or p._tables is None:
            raise TypeError(f"the problem for {combo} must be a dvfskit.Problem with tables (from_tables, "
                            f"from_config_tables, from_measurements, from_fits), got {type(p).__name__}")
        problems.append(p)
    return problems


def _from_grid(source: ProblemSource, grid: Mapping[str, Any]) -> Tuple[
        List[Problem], Dict[str, np.ndarray], np.ndarray, List[Tuple[str, np.ndarray]], List[int], int]:
    if not isinstance(grid, Mapping):
        raise TypeError("grid must be a dict: scenario field -> values")
    grid = dict(grid)
    if isinstance(source, Problem):
        keys: List[str] = []
    elif isinstance(source, Mapping):
        if "problem" not in grid:
            grid = {"problem": list(source.keys()), **grid}
        keys = ["problem"]
    elif callable(source):
        keys = [k for k in grid if k not in _SCENARIO_FIELDS]
        if not keys:
            raise ValueError("with a problem factory, grid needs at least one non-scenario key (passed to the factory)")
    else:
        raise TypeError("problem_or_factory must be a Problem, a mapping name -> Problem, or a callable")
    unknown = [k for k in grid if k not in _SCENARIO_FIELDS and k not in keys]
    if unknown:
        raise ValueError(f"unknown grid keys {unknown}; scenario fields are {_SCENARIO_FIELDS}"
                         + ("; 'problem' selects problems of the mapping" if isinstance(source, Mapping) else ""))
    dims: List[Tuple[str, np.ndarray]] = []
    key_dims: List[int] = []
    labels: Dict[str, Any] = {}
    for name, values in grid.items():
        if name in keys:
            v = pd.Series(list(values) if not isinstance(values, (str, bytes)) else [values])
            if v.empty or v.duplicated().any():
                raise ValueError(f"grid[{name!r}] must be non-empty without duplicates")
            if name == "problem":
                missing = [k for k in v if not isinstance(source, Mapping) or k not in source]
                if missing:
                    raise ValueError(f"grid['problem'] names problems not in the mapping: {missing}")
            labels[name] = v.to_numpy()
            key_dims.append(len(dims))
            dims.append((name, np.arange(v.size)))  # codes; labels applied in the output
        else:
            dims.append((name, _check_values(name, values)))
    # problem codes: the key combinations in C order (as np.ravel_multi_index numbers them)
    if key_dims:
        key_index = np.indices([dims[d][1].size for d in key_dims]).reshape(len(key_dims), -1).T
        combos = [{dims[d][0]: labels[dims[d][0]][i] for d, i in zip(key_dims, row)} for row in key_index]
        problems = _problems_for(source, combos)
    else:
        problems, key_index = [source], np.zeros((1, 0), dtype=np.int64)  # type: ignore[list-item]
    n = int(np.prod([v.size for _, v in dims]))
    return problems, labels, key_index, dims, key_dims, n


def _from_table(source: ProblemSource, table: pd.DataFrame) -> Tuple[
        List[Problem], Dict[str, np.ndarray], np.ndarray, Dict[str, np.ndarray], np.ndarray]:
    if not isinstance(table, pd.DataFrame):
        raise TypeError("table must be a pandas DataFrame (one scenario per row)")
    if isinstance(source, Problem):
        keys: List[str] = []
    elif isinstance(source, Mapping):
        if "problem" not in table.columns:
            raise ValueError("with a mapping of problems, table needs a 'problem' column naming each row's problem")
        keys = ["problem"]
    elif callable(source):
        keys = [c for c in table.columns if c not in _SCENARIO_FIELDS]
        if not keys:
            raise ValueError("with a problem factory, table needs at least one non-scenario column (passed to the factory)")
    else:
        raise TypeError("problem_or_factory must be a Problem, a mapping name -> Problem, or a callable")
    unknown = [c for c in table.columns if c not in _SCENARIO_FIELDS and c not in keys]
    if unknown:
        raise ValueError(f"unknown table columns {unknown}; scenario fields are {_SCENARIO_FIELDS}")
    columns: Dict[str, np.ndarray] = {}
    for name in _SCENARIO_FIELDS:
        if name in table.columns:
            a = np.ascontiguousarray(numbers_array(table[name].to_numpy(), f"table[{name!r}]"))
            _check_column(name, a)
            columns[name] = a
    labels: Dict[str, Any] = {}
    if keys:
        codes, uniques = pd.MultiIndex.from_frame(table[keys]).factorize()
        if (codes < 0).any():
            raise ValueError(f"table key columns {keys} must not contain missing values")
        combos = [dict(zip(keys, u)) for u in uniques]
        if isinstance(source, Mapping):
            missing = [c["problem"] for c in combos if c["problem"] not in source]
            if missing:
                raise ValueError(f"table['problem'] names problems not in the mapping: {missing}")
        problems = _problems_for(source, combos)
        key_index = np.empty((len(problems), len(keys)), dtype=np.int64)
        for j, k in enumerate(keys):
            key_index[:, j], lab = pd.factorize(uniques.get_level_values(j))
            labels[k] = np.asarray(lab)
        codes = codes.astype(np.int64)
    else:
        problems, key_index = [source], np.zeros((1, 0), dtype=np.int64)  # type: ignore[list-item]
        codes = np.zeros(len(table), dtype=np.int64)
    return problems, labels, key_index, columns, codes


# ---------------------------------------------------------------------------------------------
# One chunk: C++ batch per problem, output columns
# ---------------------------------------------------------------------------------------------

def _baseline_specs(problem: Problem, names: Sequence[str]) -> Tuple[List[Any], Dict[str, int]]:
    """The distinct C++ baselines of ``names`` (an alias solved once) and each name's index."""
    bases = list(dict.fromkeys(_baselines._ALIASES.get(n, n) for n in names))
    index = {n: bases.index(_baselines._ALIASES.get(n, n)) for n in names}
    return _baselines.specs(problem, bases), index


def _knob_column(plan: _Plan, knob: str, results: List[Tuple[Optional[np.ndarray], int, Dict[str, Any]]],
                 n: int) -> Any:
    """The values of ``knob`` of each row's chosen configuration (NaN / missing where nothing runs
    locally or the row's problem has no such knob): float64, or a Categorical of labels."""
    numeric = all(p.configs.is_numeric(knob) for p in plan.problems if knob in p.configs.knobs)
    out = np.full(n, np.nan) if numeric else np.full(n, None, dtype=object)
    for rows, code, raw in results:
        configs = plan.problems[code].configs
        if knob not in configs.knobs:
            continue
        k = np.asarray(raw["config"])
        values = np.asarray(np.where(k >= 0, configs.column(knob)[np.maximum(k, 0)], np.nan if numeric else None))
        if rows is None:
            out = values.astype(out.dtype, copy=False)
        else:
            out[rows] = values
    return out if numeric else pd.Categorical(out)


def _solve_rows(plan: _Plan, columns: Dict[str, Any], codes: np.ndarray, threads: int) -> pd.DataFrame:
    n = codes.size
    scen = np.empty((n, len(_SCENARIO_FIELDS)), dtype=np.float64)
    for j, name in enumerate(_SCENARIO_FIELDS):
        scen[:, j] = columns[name] if name in columns else plan.defaults[codes, j]  # else: the problem's own
    present = np.unique(codes)
    out: Dict[str, Any] = {}
    for j, (name, labels) in enumerate(plan.key_labels.items()):
        idx = plan.key_index[codes, j]
        out[name] = pd.Categorical.from_codes(idx, categories=pd.Index(labels)) if name == "problem" else labels[idx]
    for j, name in enumerate(_SCENARIO_FIELDS):
        out[name] = scen[:, j]
    results: List[Tuple[Optional[np.ndarray], int, Dict[str, Any]]] = []
    baseline_index: List[Dict[str, int]] = []
    for code in present:
        rows = np.flatnonzero(codes == code) if present.size > 1 else None
        problem = plan.problems[int(code)]
        assert problem._tables is not None  # checked when the plan was made
        specs, index = _baseline_specs(problem, plan.names[int(code)])
        raw = _core.solve_batch(problem._tables, scen if rows is None else scen[rows], plan.kind, plan.weight,
                                specs, threads)
        results.append((rows, int(code), raw))
        baseline_index.append(index)

    def gather(key: str, dtype: Any, baseline: Optional[str] = None) -> np.ndarray:
        """Column ``key`` of the optimum (or of baseline ``baseline``) over all rows; NaN / False
        for rows whose problem has no such baseline."""
        def get(i: int) -> Optional[np.ndarray]:
            raw = results[i][2]
            if baseline is not None:
                if baseline not in baseline_index[i]:
                    return None
                raw = raw["baselines"][baseline_index[i][baseline]]
            values = np.asarray(raw[key])
            return values.view(np.bool_) if dtype is np.bool_ else values

        if len(results) == 1 and results[0][0] is None:
            values = get(0)
            if values is not None:
                return values.astype(dtype, copy=False)
        col = np.full(n, False if dtype is np.bool_ else (np.nan if dtype is np.float64 else -1), dtype=dtype)
        for i, (rows, _, _) in enumerate(results):
            values = get(i)
            if values is not None:
                col[slice(None) if rows is None else rows] = values
        return col

    out["feasible"] = gather("feasible", np.bool_)
    for name in _RESULT_FLOATS:
        out[name] = gather(name, np.float64)
    out["split"] = gather("split", np.int32)
    out["config"] = gather("config", np.int32)
    for knob in plan.knobs:
        out[knob] = _knob_column(plan, knob, results, n)
    for name in _DECISIONS:
        out[name] = gather(name, np.float64)
    e_opt = np.where(out["feasible"], out["energy_j"], np.nan)
    for name in plan.baselines:
        e = gather("energy_j", np.float64, name)
        out[f"{name}_energy_j"] = e
        out[f"{name}_latency_ms"] = gather("latency_ms", np.float64, name)
        out[f"{name}_feasible"] = gather("feasible", np.bool_, name)
        with np.errstate(divide="ignore", invalid="ignore"):
            ok = (e > 0) & out[f"{name}_feasible"]  # as dvfskit.baselines: no saving vs a plan missing the deadline
            out[f"saving_vs_{name}_pct"] = np.where(ok, 100.0 * (e - e_opt) / e, np.nan)
    for gov in plan.governors:  # governor baselines, one steady state per scenario (dvfskit._governor)
        deadline, idle = out["deadline_ms"], out["idle_power_w"]
        gov_columns: Dict[str, np.ndarray] = {}
        for code in present:
            where = np.flatnonzero(codes == code)
            part = sweep_governor_columns(plan.problems[int(code)], gov, deadline[where], idle[where], e_opt[where],
                                          out["latency_ms"][where], threads, plan.governor_options)
            for key, values in part.items():
                gov_columns.setdefault(key, np.empty(n, dtype=values.dtype))[where] = values
        out.update(gov_columns)
    return pd.DataFrame(out, copy=False)


# ---------------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------------

@overload
def sweep(
    problem_or_factory: ProblemSource,
    grid: Optional[Mapping[str, Any]] = None,
    *,
    table: Optional[pd.DataFrame] = None,
    objective: Any = "energy",
    weight: Optional[float] = None,
    baselines: Union[bool, Sequence[str]] = True,
    backend: str = "threads",
    client: Any = None,
    chunk_size: Optional[int] = None,
    threads: int = 0,
    progress: Union[bool, Callable[[int, int], None]] = True,
    out: None = None,
    resume: bool = False,
    governor_options: Optional[Mapping[str, Any]] = None,
) -> pd.DataFrame: ...


@overload
def sweep(
    problem_or_factory: ProblemSource,
    grid: Optional[Mapping[str, Any]] = None,
    *,
    table: Optional[pd.DataFrame] = None,
    objective: Any = "energy",
    weight: Optional[float] = None,
    baselines: Union[bool, Sequence[str]] = True,
    backend: str = "threads",
    client: Any = None,
    chunk_size: Optional[int] = None,
    threads: int = 0,
    progress: Union[bool, Callable[[int, int], None]] = True,
    out: Union[str, os.PathLike],
    resume: bool = False,
    governor_options: Optional[Mapping[str, Any]] = None,
) -> Path: ...


def sweep(
    problem_or_factory: ProblemSource,
    grid: Optional[Mapping[str, Any]] = None,
    *,
    table: Optional[pd.DataFrame] = None,
    objective: Any = "energy",
    weight: Optional[float] = None,
    baselines: Union[bool, Sequence[str]] = True,
    backend: str = "threads",
    client: Any = None,
    chunk_size: Optional[int] = None,
    threads: int = 0,
    progress: Union[bool, Callable[[int, int], None]] = True,
    out: Optional[Union[str, os.PathLike]] = None,
    resume: bool = False,
    governor_options: Optional[Mapping[str, Any]] = None,
) -> Union[pd.DataFrame, Path]:
    """Solve many scenarios exactly (as :func:`dvfskit.solve` would, one by one) and return one
    row per scenario (:ref:`math-sweeps`).

    Parameters
    ----------
    problem_or_factory:
        - a :class:`Problem` (built with ``from_tables``): its tables are shared by every scenario,
          and its own scenario supplies every field the grid/table does not set;
        - a mapping ``name -> Problem`` (e.g. one per device or DNN): swept as a ``problem``
          column (outermost grid dimension; ``grid["problem"]`` may select and order names; a
          ``table`` needs a ``problem`` column);
        - a callable: every non-scenario key of ``grid`` (or non-scenario column of ``table``),
          e.g. ``device``, is passed to it as a keyword argument, once per distinct combination,
          and it returns that combination's Problem.
    grid: dict ``field -> values``, fields among ``deadline_ms, bandwidth_hz, gain,
        noise_w_per_hz, p_max_w, p_circuit_w, idle_power_w`` (plus problem keys, see above). The
        rows are the cartesian product in the dict's order, the last key varying fastest. Rows
        are generated chunk by chunk, never all at once.
    table: a DataFrame with such columns, one scenario per row (instead of ``grid``).
    objective, weight: as in :func:`dvfskit.solve` (``"energy"``, ``"latency"``,
        ``("weighted", w)``, ``"edp"``); baselines are solved with the same objective.
    baselines: True for every baseline of each problem (as defined by :func:`dvfskit.baselines`:
        ``max_frequency``, one ``only_<knob>`` per frequency knob, ``compute_dvfs_only``,
        ``cpu_dvfs_model``, ``all_local``, ``full_offload``, ``fixed_max_power``; with several
        problems the columns of all, NaN where a problem has no such baseline), False for none,
        or a list of names every problem has. Per baseline ``b``: ``b_energy_j``,
        ``b_latency_ms``, ``b_feasible`` and ``saving_vs_b_pct = 100 (E_b - E_opt) / E_b``
        (NaN when the optimum or the baseline is infeasible). The list may also name governor
        settings (``"schedutil"``, ``"default"``, a dict knob -> name; :func:`dvfskit.governor`
        with the period = each scenario's deadline, all local): ``g_energy_j``, ``g_latency_ms``,
        ``g_miss_rate``, ``g_feasible`` and ``saving_vs_g_pct`` (against the optimum's energy plus
        idle power to the period's end).
    governor_options: options of the governor simulations (:func:`dvfskit.governor`: ``busy``,
        switching costs, tunables), the same for every governor setting and scenario.
    backend: ``"threads"`` (C++ thread pool in this process) or ``"dask"`` (each chunk is a task
        on ``client``: a ``dask.distributed.Client``, a scheduler address string, or None for
        the current default client). Results are identical.
    chunk_size: scenarios per chunk (progress, interruption and writing happen per chunk;
        default 65,536 (16,384 with baselines), or about 4 chunks per Dask worker thread up
        to 250,000).
    threads: C++ threads per chunk (0 = all cores for ``"threads"``; 1 per task for ``"dask"``,
        whose parallelism comes from the workers' threads).
    progress: True shows a ``tqdm.auto`` bar when there is more than one chunk; a callable
        ``progress(done, total)`` is called instead after each finished chunk.
    out: ``"x.parquet"`` or ``"x.csv"`` (suffix in any case): stream each finished chunk to a
        crash-safe output *folder* of that name instead of keeping rows in memory (for sweeps
        larger than memory): one part file per chunk, each written under a temporary name and
        renamed when complete, plus ``_manifest.json`` (see :mod:`dvfskit._output`). After any
        interruption, even ``kill -9``, the folder holds exactly the finished chunks. Read it
        with :func:`dvfskit.read_sweep` (or ``pandas.read_parquet``). The folder's parent must
        exist. An earlier output of that name is replaced unless ``resume`` is True; a folder
        that is not a sweep output is never touched.
    resume: with ``out``: continue an interrupted sweep from its finished chunks (skipping
        their scenarios; the final output equals an uninterrupted run's, row for row). Refused
        when the output was written by a different sweep (problem, grid or table, objective or
        baselines: a fingerprint in the manifest); the chunk size is the one stored there.
        Without an earlier output it simply starts.

    Returns
    -------
    Without ``out``: a DataFrame, index 0..n-1, columns: the problem key(s), the seven scenario
    fields, ``feasible``, ``objective_value``, ``energy_j`` with ``energy_compute_j``,
    ``energy_transmit_j``, ``energy_idle_j``, ``latency_ms`` with ``latency_local_ms``,
    ``latency_transmit_ms``, ``latency_server_ms``, ``min_latency_ms``, the decisions ``split``,
    ``config`` (the configuration's index k, -1 when nothing runs locally), one column per knob
    of the problems' configurations (e.g. ``compute_freq_mhz``, ``mem_freq_mhz`` in MHz, a core
    mask as a categorical; NaN / missing when nothing runs locally), ``tx_power_w``,
    ``offload_fraction``, then the baseline columns. ``df.attrs`` holds ``objective``,
    ``weight``, ``complete``, ``rows_total`` and ``tables_kind`` (measured, predicted or mixed).
    With ``out``: the output path (``pathlib.Path``); nothing is kept in memory.

    Interruption (Ctrl-C, i.e. KeyboardInterrupt between chunks, including from a ``progress``
    callable) stops cleanly: pending Dask tasks are cancelled, a RuntimeWarning says how many
    rows were finished, and the return value holds the finished chunks only: the first
    ``df.attrs["rows_done"]`` rows (``df.attrs["complete"]`` False), or the path of the output
    folder holding those rows (continue with ``resume=True``).
    """
    if (grid is None) == (table is None):
        raise ValueError("give exactly one of grid= (dict of field -> values) or table= (DataFrame)")
    if backend not in ("threads", "dask"):
        raise ValueError(f"backend must be 'threads' or 'dask', got {backend!r}")
    kind, w = (0, 0.0) if objective == "energy" and weight is None else _parse_objective(objective, weight)
    names: Optional[Tuple[str, ...]]
    if baselines is True:
        names = None  # each problem's own (checked per problem when the plan is made)
    elif baselines is False or baselines is None:
        names = ()
    else:
        names = tuple([baselines] if isinstance(baselines, (str, Mapping)) else baselines)
    size_option = None if chunk_size is None else integer(chunk_size, "chunk_size", minimum=1)
    threads = integer(threads, "threads", minimum=0)
    if not (isinstance(progress, bool) or callable(progress)):
        raise TypeError(f"progress must be True, False or a callable progress(done, total), got {progress!r}")
    if not isinstance(resume, bool):
        raise TypeError(f"resume must be True or False, got {resume!r}")
    if resume and out is None:
        raise ValueError("resume=True continues a sweep written to out=...; give out")
    if progress is True:
        require("tqdm.auto", "progress=True (a progress bar; or pass progress=False)", "tqdm")
    if isinstance(problem_or_factory, Problem) and problem_or_factory._tables is None:
        raise ValueError("sweep needs problems with tables (exact table solver): from_tables, from_config_tables, "
                         "from_measurements or from_fits")
    sink: Union[MemorySink, FolderSink] = MemorySink()
    if out is not None:
        output_format(out)  # suffix and pyarrow checked before any work

    rows: Any
    if grid is not None:
        problems, labels, key_index, dims, key_dims, n = _from_grid(problem_or_factory, grid)
        rows = ("grid", dims, key_dims)

        def part(a: int, b: int) -> Any:
            return _GridPart(dims, key_dims, a, b)
    else:
        problems, labels, key_index, tcols, tcodes = _from_table(problem_or_factory, table)
        n = int(tcodes.size)
        rows = ("table", tcols, tcodes)

        def part(a: int, b: int) -> Any:
            return _TablePart({k: v[a:b] for k, v in tcols.items()}, tcodes[a:b])

    plan = _Plan(problems, labels, key_index, kind, w, names, threads, governor_options)
    own_client = False
    if backend == "dask":
        client, own_client = dask_client(client)
    done, complete = 0, True
    try:
        if backend == "threads":
            size = size_option or (16384 if plan.baselines else 65536)  # ~0.1-1 s per chunk
        else:
            slots = max(1, sum(client.nthreads().values()))
            size = size_option or int(min(250_000, max(1_000, math.ceil(n / (4 * slots)))))
        if out is not None:
            sink = FolderSink(out, fingerprint=_fingerprint(plan, rows), rows_total=n, chunk_size=size, resume=resume)
            if resume and size_option is not None and sink.chunk_size != size_option:
                raise ValueError(f"resume: {out} was written in chunks of {sink.chunk_size} rows; "
                                 f"pass chunk_size={sink.chunk_size} or None")
            size = sink.chunk_size
        bounds = [(a, min(a + size, n)) for a in range(sink.rows_done, n, size)]
        run = _run_threads(plan, part, bounds) if backend == "threads" else _run_dask(plan, part, bounds, client)
        try:
            done, complete = _consume(run, sink, n, progress, sink.rows_done)
            if n == 0 and isinstance(sink, FolderSink) and sink.index == 0:
                sink.write(_empty(plan))  # an empty part keeps the columns
        finally:
            sink.close(complete)
    finally:
        if own_client:
            client.close()
    if not complete:
        warnings.warn(f"sweep interrupted: {done} of {n} scenarios finished and returned"
                      + (f" (written to {sink.path}; continue with resume=True)" if sink.path is not None else ""),
                      RuntimeWarning, stacklevel=2)
    if isinstance(sink, FolderSink):
        return sink.path
    if sink.frames:
        df = pd.concat(sink.frames, ignore_index=True) if len(sink.frames) > 1 else sink.frames[0]
    else:
        df = _empty(plan)
    kinds = {p.tables_kind for p in problems}
    df.attrs.update(objective=("energy", "latency", "weighted", "edp")[kind], weight=w, complete=complete,
                    rows_total=n, rows_done=done, tables_kind=kinds.pop() if len(kinds) == 1 else "mixed")
    return df


def _empty(plan: _Plan) -> pd.DataFrame:
    return plan.solve(_TablePart({k: np.zeros(0) for k in _SCENARIO_FIELDS}, np.zeros(0, dtype=np.int64)))


def _fingerprint(plan: _Plan, rows: Any) -> str:
    """A hash of everything that defines a sweep's rows (the problems' tables and scenarios,
    the grid or table, the problem keys, objective and baselines) but not how it is run
    (backend, threads, chunks), which never changes a result. Stored in the output manifest
    so that ``resume`` refuses to continue a different sweep."""
    h = hashlib.sha256()
    for item in ((plan.kind, plan.weight, plan.baselines, plan.governors, plan.governor_options), plan.key_index, rows,
                 {k: [repr(v) for v in labels] for k, labels in plan.key_labels.items()}, *plan.problems):
        h.update(pickle.dumps(item, protocol=4))  # a Problem pickles as its tables and scenario
    return h.hexdigest()


def _run_threads(plan: _Plan, part: Callable[[int, int], Any], bounds: List[Tuple[int, int]]):
    for a, b in bounds:
        yield plan.solve(part(a, b))


def dask_client(client: Any) -> Tuple[Any, bool]:
    """The ``dask.distributed.Client`` to use, and whether it was opened here (then close it):
    ``client`` itself, a new Client for a scheduler address string, or the default client."""
    distributed = require("dask.distributed", "backend='dask'", "'dask[distributed]'")
    Client, default_client = distributed.Client, distributed.default_client
    if client is None:
        try:
            return default_client(), False
        except ValueError:
            raise ValueError("backend='dask' needs client= (a dask.distributed.Client or a scheduler address)") from None
    if isinstance(client, str):
        return Client(client), True
    return client, False


def _run_dask(plan: _Plan, part: Callable[[int, int], Any], bounds: List[Tuple[int, int]], client: Any):
    futures: List[Any] = []
    try:
        slots = max(1, sum(client.nthreads().values()))
        threads = plan.threads or 1
        # hash=False: a key of this sweep's own; a content-hashed key would be shared with an
        # earlier sweep of the same plan whose cancellation may be releasing it right now.
        [plan_future] = client.scatter([plan], broadcast=True, hash=False)
        window = 2 * slots  # tasks in flight: bounds the memory held by finished, unread chunks
        nxt = 0
        for i in range(len(bounds)):
            while nxt < len(bounds) and nxt < i + window:
                a, b = bounds[nxt]
                futures.append(client.submit(_dask_task, plan_future, part(a, b), threads, pure=False))
                nxt += 1
            yield futures[i].result()
            futures[i] = None
    finally:
        pending = [f for f in futures if f is not None]
        if pending:
            client.cancel(pending)


def _dask_task(plan: _Plan, part: Any, threads: int) -> pd.DataFrame:
    return plan.solve(part, threads)


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back until the block has finished, then raise KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: List[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def _consume(run: Any, sink: Union[MemorySink, FolderSink], n: int, progress: Union[bool, Callable[[int, int], None]],
             done: int = 0) -> Tuple[int, bool]:
    bar = None
    callback = progress if callable(progress) else None
    try:
        for df in run:
            with _sigint_deferred():  # a chunk is written whole or not at all
                sink.write(df)
                done += len(df)
            if callback is not None:
                callback(done, n)
            elif progress and bar is None and done < n:
                from tqdm.auto import tqdm

                bar = tqdm(total=n, unit="scenario", unit_scale=True, desc="sweep", initial=done)
            elif bar is not None:
                bar.update(len(df))
        return done, True
    except KeyboardInterrupt:
        run.close()  # cancels pending Dask tasks
        return done, False
    finally:
        if bar is not None:
            bar.close()

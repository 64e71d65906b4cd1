"""``dvfskit.fit``: nonlinear least squares on the C++ core (Ceres Solver)."""
from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any, overload, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _core
from ._data import json_list, scalar
from ._model import Bounds, Model, as_model, column_of, finite_column
from ._progress import Progress, ProgressOption, check as check_progress

if TYPE_CHECKING:
    from ._fit_table import FitTable

LOSSES = ("linear", "huber", "soft_l1", "cauchy", "arctan")
SOLVERS = ("auto", "dense", "ceres")
ParamValues = Union[Mapping[str, float], Sequence[float]]


def resolve_vector(model: Model, y: Any, data: Any, label: str, source: str) -> np.ndarray:
    """``y`` or ``weights``: a column name of ``data`` or an array, as finite float64."""
    if isinstance(y, str):
        if not (hasattr(data, "keys") and y in data):
            raise ValueError(f"{source} has no column {y!r} ({label})")
        return finite_column(column_of(data, y), y, source)
    return finite_column(y, label, source)


def resolve_parameters(
    model: Model,
    columns: Tuple[np.ndarray, ...],
    y: np.ndarray,
    p0: Optional[ParamValues],
    bounds: Optional[Mapping[str, Bounds]],
    fixed: Optional[Union[Mapping[str, float], Sequence[str]]],
    *,
    python_guess: bool = True,
) -> Tuple[_core.ParameterSpec, Optional[_core.GridGuess]]:
    """Starting values, bounds and fixed flags in model order, and the C++ grid guess to run.

    Starting values come from ``p0`` when given (it must lie within the bounds), else from the
    model's C++ grid guess (``linear``/``grid``), else its Python ``guess`` (when
    ``python_guess``), else the model's default ``p0``, else 1.0; values that do not come from
    the user are moved inside the bounds."""
    names = model.parameters
    merged_bounds: Mapping[str, Bounds] = model.bounds
    if bounds is not None:
        merged_bounds = dict(merged_bounds)
        if not isinstance(bounds, Mapping):
            raise TypeError(f"bounds must be a mapping {{name: (lower, upper)}}, got {type(bounds).__name__}")
        model.check_names(bounds, "bounds")
        for name, pair in bounds.items():
            if isinstance(pair, (str, bytes)) or not (hasattr(pair, "__len__") and len(pair) == 2):
                raise ValueError(f"bounds[{name!r}] must be a (lower, upper) pair, got {pair!r}")
        merged_bounds.update(bounds)
    unbounded = (-math.inf, math.inf)
    pairs = [merged_bounds.get(n, unbounded) for n in names]
    lower = [float(pair[0]) for pair in pairs]
    upper = [float(pair[1]) for pair in pairs]

    user: Dict[str, float] = {}
    if p0 is not None:
        if isinstance(p0, Mapping):
            model.check_names(p0, "p0")
            user = {k: float(v) for k, v in p0.items()}
        elif type(p0) in (list, tuple) and len(p0) == len(names) and all(type(v) in (float, int) for v in p0):
            user = dict(zip(names, map(float, p0)))  # the common case, without numpy
        else:
            user = dict(zip(names, map(float, model.parameter_vector(p0))))
    fixed_names: List[str] = []
    if fixed is not None:
        if isinstance(fixed, str):
            fixed = [fixed]
        if isinstance(fixed, Mapping):
            model.check_names(fixed, "fixed")
            user.update({k: float(v) for k, v in fixed.items()})
            fixed_names = list(fixed)
        else:
            model.check_names({k: None for k in fixed}, "fixed")
            fixed_names = list(fixed)

    grid = None
    if len(user) == len(names):
        initial = [user[n] for n in names]
    else:
        start: Dict[str, float] = {n: 1.0 for n in names}
        start.update(model.p0)
        grid = model.grid_guess(exclude=list(user))
        if grid is None and python_guess and model.guess is not None:
            guessed = model.guess(dict(zip(model.inputs, columns)), y)
            start.update({k: float(v) for k, v in guessed.items() if k in start and np.isfinite(v)})
        initial = [user[n] if n in user else _inside(start[n], lower[j], upper[j]) for j, n in enumerate(names)]
    spec = _core.ParameterSpec(list(names), initial, lower, upper, [n in fixed_names for n in names],
                               [n in user for n in names])
    return spec, grid


def starting_values(
    model: Union[Model, str],
    data: Any,
    y: Union[str, Sequence[float], np.ndarray],
    *,
    p0: Optional[ParamValues] = None,
    bounds: Optional[Mapping[str, Bounds]] = None,
    fixed: Optional[Union[Mapping[str, float], Sequence[str]]] = None,
    weights: Union[None, str, Sequence[float], np.ndarray] = None,
) -> Dict[str, float]:
    """The starting values :func:`fit` would use for these arguments, by parameter name."""
    model = as_model(model)
    columns, y_values, w = _fit_inputs(model, data, y, weights)
    spec, grid = resolve_parameters(model, columns, y_values, p0, bounds, fixed)
    initial = list(spec.initial)
    if grid is not None:
        if not model.is_expression:
            raise ValueError("starting_values with a linear/grid guess needs an expression model")
        initial = _core.grid_guess(model.expression, list(columns), y_values, w, spec, grid)
    return dict(zip(model.parameters, map(float, initial)))


def _fit_inputs(
    model: Model, data: Any, y: Any, weights: Any, source: str = "data"
) -> Tuple[Tuple[np.ndarray, ...], np.ndarray, Optional[np.ndarray]]:
    """Checked input columns, y and weights (finite float64, one length; weights >= 0, not all
    zero; y neither so large nor so small that its sum of squares leaves the double range)."""
    columns = model.columns(data, source=source)
    y_values = resolve_vector(model, y, data, "y", source)
    n = y_values.size
    if columns and columns[0].size != n:
        raise ValueError(f"{source}: y has {n} values but the inputs have {columns[0].size}")
    if n == 0:
        raise ValueError(f"{source} is empty: nothing to fit")
    w = None if weights is None else resolve_vector(model, weights, data, "weights", source)
    largest_weight = 1.0
    if w is not None:
        if w.size != n:
            raise ValueError(f"weights has {w.size} values but y has {n}")
        negative = w < 0
        if negative.any():
            i = int(np.argmax(negative))
            raise ValueError(f"weights must be >= 0: weights[{i}] = {float(w[i])!r}")
        largest_weight = float(w.max())
        if largest_weight == 0.0:
            raise ValueError("weights are all zero: nothing to fit")
    scale = max(-float(y_values.min()), float(y_values.max())) * math.sqrt(largest_weight)
    if not math.isfinite(scale * scale * n):
        raise ValueError(f"{source}: y (or weights) too large: the sum of squares overflows (rescale the units)")
    if 0.0 < scale < TINY_Y:
        raise ValueError(f"{source}: y (or weights) too small (largest |y| {scale:.3g}): the squares of the residuals "
                         f"would underflow (rescale the units)")
    return columns, y_values, w


# Below this largest |y| * sqrt(w), squared residuals of a 1 % fit would leave the normal double
# range (about 1e-308): rejected rather than reported as a fit.
TINY_Y = 1e-140


def _whole(value: Any, name: str, minimum: int, limit: int = 2**31) -> int:
    """A whole number in [minimum, limit) (the C++ core's integer range), else ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    if not (math.isfinite(value) and value == int(value) and minimum <= value < limit):
        raise ValueError(f"{name} must be a whole number in [{minimum}, {limit}), got {value!r}")
    return int(value)


def _inside(value: float, lo: float, hi: float) -> float:
    """``value`` moved strictly inside [lo, hi] when it lies outside (or on) a bound."""
    if lo < value < hi or lo == hi:
        return min(max(value, lo), hi)
    if math.isfinite(lo) and math.isfinite(hi):
        return lo + 0.5 * (hi - lo) if not (lo <= value <= hi) else value
    if value <= lo:
        return lo + max(abs(lo) * 0.1, 1.0)
    return hi - max(abs(hi) * 0.1, 1.0)


@overload
def fit(
    model: Union[Model, str],
    data: Any,
    y: Union[str, Sequence[float], np.ndarray],
    *,
    p0: Optional[ParamValues] = None,
    bounds: Optional[Mapping[str, Bounds]] = None,
    fixed: Optional[Union[Mapping[str, float], Sequence[str]]] = None,
    loss: str = "linear",
    loss_scale: float = 1.0,
    weights: Union[None, str, Sequence[float], np.ndarray] = None,
    starts: int = 1,
    retries: int = 8,
    max_iterations: int = 1000,
    tolerance: float = 1e-15,
    seed: int = 0,
    by: None = None,
    threads: int = 0,
    solver: str = "auto",
    progress: ProgressOption = None,
) -> "FitResult": ...


@overload
def fit(
    model: Union[Model, str],
    data: Any,
    y: Union[str, Sequence[float], np.ndarray],
    *,
    p0: Optional[ParamValues] = None,
    bounds: Optional[Mapping[str, Bounds]] = None,
    fixed: Optional[Union[Mapping[str, float], Sequence[str]]] = None,
    loss: str = "linear",
    loss_scale: float = 1.0,
    weights: Union[None, str, Sequence[float], np.ndarray] = None,
    starts: int = 1,
    retries: int = 8,
    max_iterations: int = 1000,
    tolerance: float = 1e-15,
    seed: int = 0,
    by: Union[str, Sequence[str]],
    threads: int = 0,
    solver: str = "auto",
    progress: ProgressOption = None,
) -> "FitTable": ...


def fit(
    model: Union[Model, str],
    data: Any,
    y: Union[str, Sequence[float], np.ndarray],
    *,
    p0: Optional[ParamValues] = None,
    bounds: Optional[Mapping[str, Bounds]] = None,
    fixed: Optional[Union[Mapping[str, float], Sequence[str]]] = None,
    loss: str = "linear",
    loss_scale: float = 1.0,
    weights: Union[None, str, Sequence[float], np.ndarray] = None,
    starts: int = 1,
    retries: int = 8,
    max_iterations: int = 1000,
    tolerance: float = 1e-15,
    seed: int = 0,
    by: Union[None, str, Sequence[str]] = None,
    threads: int = 0,
    solver: str = "auto",
    progress: ProgressOption = None,
    backend: str = "threads",
    client: Any = None,
    chunk_size: Optional[int] = None,
) -> Union["FitResult", "FitTable"]:
    """Fit ``model`` to ``y`` by (robust, weighted, bounded) nonlinear least squares.

    The cost and the statistics are defined in :ref:`math-fitting`.

    Parameters
    ----------
    model:
        A :class:`Model` or the name of a built-in model (``dvfskit.models``).
    data:
        pandas DataFrame or mapping from input name to array; must hold every model input.
    y:
        Observed values: a column name of ``data`` or an array (same units as the model output,
        e.g. ms for a latency model).
    p0:
        Starting values (mapping by name or sequence in model order). Default: the model's
        data-driven guess, else its defaults, else 1.0.
    bounds:
        ``{name: (lower, upper)}``; use ``-inf``/``inf`` for one-sided bounds.
    fixed:
        Parameters held constant: ``{name: value}``, or names held at their starting value.
    loss:
        ``"linear"`` (least squares), ``"huber"``, ``"soft_l1"``, ``"cauchy"`` or ``"arctan"``.
    loss_scale:
        Residual size (in units of ``y``) where a robust loss starts to down-weight points.
    weights:
        Per-point weights (column name or array), e.g. ``1 / sigma**2``; the fit minimises
        ``sum w * (y - model)**2``.
    starts:
        Number of starts; start 0 is ``p0``, the others are spread deterministically (from
        ``seed``) within finite bounds or around ``p0`` by up to 10x; the lowest cost wins.
    retries:
        Further spread starts, tried one by one only while the solution has failed to converge
        or is degenerate (a free parameter off its bounds whose standard error is missing or
        above 1e4 times its value, e.g. an exponential driven into saturation); the first
        healthy solution with a lower cost replaces it and its ``message`` says so. 0 disables.
    max_iterations, tolerance:
        Levenberg-Marquardt iteration cap and the function, gradient and parameter tolerance
        (relative: to the cost, to the gradient as a cosine and to the parameters, so that a fit
        does not depend on the units of ``y`` or of the inputs).
    solver:
        ``"auto"`` (default): plain least squares with at most 16 parameters and 10,000 points
        runs on dvfskit's dense Levenberg-Marquardt solver, which solves the parameters the
        model is linear in exactly at every step (variable projection: e.g. ``a`` and ``c`` of
        ``a * f**(-b) + c``; starting values you give for all of them are honoured first);
        robust losses and larger problems run on Ceres Solver. ``"dense"`` or ``"ceres"`` force
        one (``"dense"`` fits ``loss="linear"`` only).
    by:
        Key column(s) of ``data`` (e.g. ``["device", "dnn", "block"]``): fit every group of rows
        separately, in C++ on ``threads`` threads (0 = all cores) with the GIL released, and
        return a :class:`FitTable`. Each group gets its own starting values from the model's
        guess unless ``p0`` is given (then shared by all groups). Ctrl-C stops the fit within a
        fraction of a second (KeyboardInterrupt), single or grouped.
    progress:
        With ``by`` (threads backend): ``True`` shows a ``tqdm.auto`` bar over the groups,
        ``None`` (default) one only when the fit runs longer than a second, ``False`` none; a callable
        ``progress(done, total)`` is called instead as groups finish.
    backend, client, chunk_size:
        With ``by``, ``backend="dask"`` cuts the groups (in key order) into chunks of
        ``chunk_size`` groups (default: about 4 per Dask worker thread), fits each chunk as a
        task on ``client`` (a ``dask.distributed.Client``, a scheduler address, or None for the
        default client) with one C++ thread, and joins the results: the same FitTable as
        ``backend="threads"``, for very many groups.

    Returns
    -------
    FitResult with parameters, standard errors, covariance and goodness of fit; a FitTable of
    them when ``by`` is given.
    """
    if backend not in ("threads", "dask"):
        raise ValueError(f"backend must be 'threads' or 'dask', got {backend!r}")
    if backend == "dask":
        if by is None:
            raise ValueError("backend='dask' distributes grouped fits: give by=")
        return _fit_groups_dask(
            model, data, y, [by] if isinstance(by, str) else list(by), client, chunk_size,
            dict(p0=p0, bounds=bounds, fixed=fixed, loss=loss, loss_scale=loss_scale, weights=weights, starts=starts,
                 retries=retries, max_iterations=max_iterations, tolerance=tolerance, seed=seed, solver=solver))
    model = model if type(model) is Model else as_model(model)
    options = fit_options(loss, loss_scale, max_iterations, tolerance, starts, seed, retries, solver)
    if not (type(threads) is int and threads >= 0):
        threads = _whole(threads, "threads", 0)
    if by is None and weights is None and bounds is None and fixed is None and p0 is not None:
        quick = _quick_fit(model, data, y, p0, options)
        if quick is not None:
            return quick
    columns, y_values, w = _fit_inputs(model, data, y, weights)
    if by is not None:
        return _fit_groups(model, data, columns, y_values, w, [by] if isinstance(by, str) else list(by),
                           p0, bounds, fixed, options, threads, check_progress(progress))
    spec, grid = resolve_parameters(model, columns, y_values, p0, bounds, fixed)
    if model.is_expression:
        raw = _core.fit_expression(model.expression, list(columns), y_values, w, spec, options, grid)
    else:
        assert model._callable is not None
        func = model._callable
        raw = _core.fit_callable(lambda p: np.asarray(func(*columns, *p), dtype=float), y_values, w, spec, options,
                                 grid)
    return FitResult._from_core(model, raw, y_values, spec)


def _quick_fit(model: Model, data: Any, y: Any, p0: Any, options: _core.FitOptions) -> Optional["FitResult"]:
    """The common small fit (a dict of float64 arrays, y an array, p0 for every parameter) in one
    C++ call, or None for anything else or anything wrong (the full path checks and says what)."""
    if (model._expression is None or type(data) is not dict or type(y) is not np.ndarray
            or type(p0) not in (list, tuple)):
        return None
    unbounded = (-math.inf, math.inf)
    pairs = [model.bounds.get(n, unbounded) for n in model.parameters]
    try:
        raw = _core.fit_expression_quick(model._expression, [data.get(k) for k in model.inputs], y, p0,
                                         [float(b[0]) for b in pairs], [float(b[1]) for b in pairs], options)
    except TypeError:  # p0 of other types
        return None
    return None if raw is None else FitResult._from_raw(model, raw, y)


_OPTIONS: Dict[Tuple[Any, ...], _core.FitOptions] = {}


def fit_options(loss: Any, loss_scale: Any, max_iterations: Any, tolerance: Any, starts: Any, seed: Any,
                retries: Any, solver: Any) -> _core.FitOptions:
    """The checked C++ solver settings (ValueError naming a bad option); the most recent ones
    are kept, keyed by value and type, so that repeated small fits skip the checks."""
    args = (loss, loss_scale, max_iterations, tolerance, starts, seed, retries, solver)
    key: Tuple[Any, ...]
    try:  # by value and type (True == 1, but True is no count)
        key = args + (type(loss_scale), type(max_iterations), type(tolerance), type(starts), type(seed),
                      type(retries), type(loss), type(solver))
        cached = _OPTIONS.get(key)
    except TypeError:  # unhashable: the checks below say what is wrong
        key, cached = (), None
    if cached is not None:
        return cached
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    loss_scale, tolerance = scalar(loss_scale, "loss_scale"), scalar(tolerance, "tolerance")
    starts, max_iterations = _whole(starts, "starts", 1), _whole(max_iterations, "max_iterations", 1)
    retries, seed = _whole(retries, "retries", 0), _whole(seed, "seed", 0, 2**64)
    if solver == "dense" and loss != "linear":
        raise ValueError(f"solver='dense' fits loss='linear' only, got loss={loss!r}: use solver='auto' or 'ceres'")
    options = _core.FitOptions(loss, loss_scale, max_iterations, tolerance, tolerance, tolerance, starts, seed,
                               retries, solver)
    if key:
        if len(_OPTIONS) >= 32:
            _OPTIONS.clear()
        _OPTIONS[key] = options
    return options


def _fit_groups(
    model: Model,
    data: Any,
    columns: Tuple[np.ndarray, ...],
    y: np.ndarray,
    weights: Optional[np.ndarray],
    by: List[str],
    p0: Optional[ParamValues],
    bounds: Optional[Mapping[str, Bounds]],
    fixed: Optional[Union[Mapping[str, float], Sequence[str]]],
    options: _core.FitOptions,
    threads: int,
    progress: ProgressOption = False,
) -> "FitTable":
    from ._fit_table import FitTable, group_rows

    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(dict(data))
    keys, order, offsets = group_rows(data, by)
    columns = tuple(c[order] for c in columns)
    y = y[order]
    weights = None if weights is None else weights[order]
    raw, fixed_names = fit_sorted(model, columns, y, weights, offsets, p0, bounds, fixed, options, threads, progress)
    return FitTable(model, keys, raw, fixed=fixed_names, y=y, offsets=offsets)


def fit_sorted(
    model: Model,
    columns: Tuple[np.ndarray, ...],
    y: np.ndarray,
    weights: Optional[np.ndarray],
    offsets: np.ndarray,
    p0: Optional[ParamValues],
    bounds: Optional[Mapping[str, Bounds]],
    fixed: Optional[Union[Mapping[str, float], Sequence[str]]],
    options: _core.FitOptions,
    threads: int,
    progress: ProgressOption = False,
) -> Tuple[Dict[str, Any], List[str]]:
    """The fits of the groups of rows [offsets[g], offsets[g+1]) of checked, group-ordered
    arrays (a group may be empty: it fails alone) as stacked arrays, and the fixed parameters."""
    spec, grid = resolve_parameters(model, columns, y, p0, bounds, fixed, python_guess=False)
    initial = None
    if grid is None and p0 is None and model.guess is not None:
        initial = _group_starts(model, columns, y, offsets, spec)
    fixed_names = [n for n, f in zip(model.parameters, spec.fixed) if f]
    if model.is_expression:
        raw = _fit_expression_groups(model, columns, y, weights, offsets, spec, initial, options, grid, threads,
                                     progress)
    else:  # a Python callable holds the GIL: fit the groups one after the other
        func = model._callable
        assert func is not None
        groups = [slice(int(offsets[g]), int(offsets[g + 1])) for g in range(len(offsets) - 1)]
        results = []
        for g, r in enumerate(groups):
            group_spec = spec if initial is None else _core.ParameterSpec(
                spec.names, list(initial[g]), spec.lower, spec.upper, spec.fixed, spec.given)
            cols = tuple(c[r] for c in columns)
            try:
                results.append(_core.fit_callable(lambda p, cols=cols: np.asarray(func(*cols, *p), dtype=float), y[r],
                                                  None if weights is None else weights[r], group_spec, options, grid))
            except ValueError as err:
                results.append(_failed_group(model, group_spec, r.stop - r.start, str(err)))
        raw = {k: np.stack([np.asarray(res[k]) for res in results]) if k != "message" else [res[k] for res in results]
               for k in results[0] if k not in ("prediction", "best_start", "num_free")}
        raw["prediction"] = np.concatenate([res["prediction"] for res in results])
    return raw, fixed_names


# Grouped fits that report progress run in chunks of groups (identical results: groups are
# independent); a chunk holds at least this many groups, and at most 1 % of them.
PROGRESS_CHUNK = 2000


def _fit_expression_groups(model: Model, columns: Tuple[np.ndarray, ...], y: np.ndarray,
                           weights: Optional[np.ndarray], offsets: np.ndarray, spec: _core.ParameterSpec,
                           initial: Optional[np.ndarray], options: _core.FitOptions,
                           grid: Optional[_core.GridGuess], threads: int, progress: ProgressOption) -> Dict[str, Any]:
    """The C++ grouped fit, in chunks of groups when progress is reported."""
    groups = len(offsets) - 1
    size = max(PROGRESS_CHUNK, -(-groups // 100))
    with Progress(progress if groups > size else False, groups, "fit", "group") as bar:
        if not bar.enabled:
            return _core.fit_expression_groups(model.expression, list(columns), y, weights, offsets, spec, initial,
                                               options, grid, threads)
        parts = []
        for g0 in range(0, groups, size):
            g1 = min(g0 + size, groups)
            r0, r1 = int(offsets[g0]), int(offsets[g1])
            parts.append(_core.fit_expression_groups(
                model.expression, [c[r0:r1] for c in columns], y[r0:r1], None if weights is None else weights[r0:r1],
                offsets[g0:g1 + 1] - offsets[g0], spec, None if initial is None else initial[g0:g1], options, grid,
                threads))
            bar.update(g1)
    return {k: [m for part in parts for m in part[k]] if k == "message" else np.concatenate([part[k] for part in parts])
            for k in parts[0]}


def _group_starts(model: Model, columns: Tuple[np.ndarray, ...], y: np.ndarray, offsets: np.ndarray,
                  spec: _core.ParameterSpec) -> np.ndarray:
    """Per-group starting values (groups x parameters) from the model's Python guess, vectorised
    over the groups with ``guess_groups``, else one call per group; values outside the bounds or
    not finite keep the shared start, and nothing given or fixed is replaced."""
    names = list(model.parameters)
    groups = len(offsets) - 1
    initial = np.tile(np.asarray(spec.initial, dtype=float), (groups, 1))
    data = dict(zip(model.inputs, columns))
    if model.guess_groups is not None:
        guessed = {k: np.asarray(v, dtype=float) for k, v in model.guess_groups(data, y, offsets).items()}
    else:
        assert model.guess is not None
        rows = [model.guess({k: c[int(offsets[g]):int(offsets[g + 1])] for k, c in data.items()},
                            y[int(offsets[g]):int(offsets[g + 1])]) for g in range(groups)]
        guessed = {k: np.array([float(r.get(k, math.nan)) for r in rows]) for k in names}
    for j, name in enumerate(names):
        if name not in guessed or spec.fixed[j] or (spec.given and spec.given[j]):
            continue
        value = guessed[name]
        lo, hi = spec.lower[j], spec.upper[j]
        ok = np.isfinite(value) & (value >= lo) & (value <= hi)
        initial[:, j] = np.where(ok, value, initial[:, j])
    return initial


def _fit_groups_dask(model: Any, data: Any, y: Any, by: List[str], client: Any, chunk_size: Optional[int],
                     kwargs: Dict[str, Any]) -> "FitTable":
    """Grouped fit with chunks of groups as Dask tasks; see :func:`fit` (backend="dask")."""
    from ._fit_table import FitTable, group_rows
    from ._sweep import dask_client

    model = as_model(model)
    data = data.copy() if isinstance(data, pd.DataFrame) else pd.DataFrame(dict(data))
    for name, value in (("y", y), ("weights", kwargs["weights"])):
        if value is not None and not isinstance(value, str):  # arrays travel with their rows
            column = f"__dvfskit_{name}__"
            data[column] = np.asarray(value)
            if name == "y":
                y = column
            else:
                kwargs["weights"] = column
    keys, order, offsets = group_rows(data, by)
    if chunk_size is not None and int(chunk_size) < 1:
        raise ValueError("chunk_size must be >= 1")
    client, own = dask_client(client)
    try:
        slots = max(1, sum(client.nthreads().values()))
        size = int(chunk_size) if chunk_size else max(1, math.ceil(len(keys) / (4 * slots)))
        [model_future] = client.scatter([model], broadcast=True, hash=False)  # own key (see _sweep._run_dask)
        futures = []
        for g0 in range(0, len(keys), size):
            g1 = min(g0 + size, len(keys))
            part = data.iloc[order[int(offsets[g0]):int(offsets[g1])]]
            futures.append(client.submit(_fit_chunk, model_future, part, y, by, kwargs, pure=False))
        tables = client.gather(futures)
    finally:
        if own:
            client.close()
    stack = lambda name: np.concatenate([getattr(t, name) for t in tables])  # noqa: E731
    raw: Dict[str, Any] = {k: stack(k) for k in ("params", "stderr", "covariance", "at_bound", "n", "dof", "success",
                                                 "iterations", "prediction")}
    raw.update({k: np.concatenate([t.stats[k] for t in tables]) for k in FitResult._STAT_FIELDS})
    raw["message"] = [m for t in tables for m in t.message]
    sizes = np.concatenate([np.diff(t.offsets) for t in tables])
    return FitTable(model, pd.concat([t.keys for t in tables], ignore_index=True), raw, fixed=tables[0].fixed,
                    y=stack("y"), offsets=np.concatenate([[0], np.cumsum(sizes)]))


def _fit_chunk(model: Model, part: pd.DataFrame, y: str, by: List[str], kwargs: Dict[str, Any]) -> "FitTable":
    return fit(model, part, y, by=by, threads=1, progress=False, **kwargs)  # no bar inside a worker


def _failed_group(model: Model, spec: _core.ParameterSpec, n: int, message: str) -> Dict[str, Any]:
    p = len(model.parameters)
    nan = math.nan
    return {"params": np.array(spec.initial), "stderr": np.full(p, nan), "covariance": np.full((p, p), nan),
            "at_bound": [False] * p, "prediction": np.full(n, nan), **{k: nan for k in FitResult._STAT_FIELDS},
            "n": n, "dof": n - p, "success": False, "message": message, "iterations": 0}


def model_to_dict(model: Model) -> Dict[str, Any]:
    """A JSON-safe description of an expression model (see :func:`model_from_dict`)."""
    if not model.is_expression:
        raise ValueError("only expression models serialise to JSON; pickle results of a callable model instead")
    return {
        "expr": model.expr,
        "inputs": list(model.inputs),
        "parameters": list(model.parameters),
        "name": model.name,
        "units": dict(model.units),
    }


def model_from_dict(d: Mapping[str, Any]) -> Model:
    """The model described by :func:`model_to_dict` (the name of a built-in model is kept)."""
    return Model(d["expr"], d["inputs"], d["parameters"], name=d.get("name"), units=d.get("units"))


class FitResult:
    """The outcome of one fit; the statistics are defined in :ref:`math-fitting`.

    Attributes
    ----------
    params, stderr: dict name -> value; stderr is NaN where not available (fixed parameters,
        parameters pinned at a bound (see ``at_bound``), or a rank-deficient Jacobian).
    covariance: DataFrame over parameter names, ``(J^T J)^-1 * rss / dof``.
    rss: weighted residual sum of squares; rmse: root mean squared residual (units of y);
    r2: coefficient of determination; mape: mean absolute percentage error (percent);
    aic, bic: ``n ln(rss/n) + 2k`` and ``n ln(rss/n) + k ln n`` with k free parameters;
    n, dof: points and degrees of freedom (n - k); success, message, iterations.
    """

    _STAT_FIELDS = ("rss", "rmse", "r2", "mape", "aic", "bic")

    def __init__(
        self,
        model: Model,
        params: Dict[str, float],
        stderr: Dict[str, float],
        covariance: np.ndarray,
        stats: Dict[str, float],
        *,
        n: int,
        dof: int,
        success: bool,
        message: str,
        iterations: int,
        at_bound: Sequence[Any],
        fixed: Sequence[Any],
        y: np.ndarray,
        prediction: np.ndarray,
    ) -> None:
        # params, stderr, at_bound and fixed may come as arrays in model order (from the C++
        # core): they become dicts and lists of names when first read.
        self.model = model
        self._params: Any = params
        self._stderr: Any = stderr
        self._covariance = covariance
        for k in self._STAT_FIELDS:
            setattr(self, k, float(stats[k]))
        self.n = int(n)
        self.dof = int(dof)
        self.success = bool(success)
        self.message = message
        self.iterations = int(iterations)
        self._at_bound: Any = at_bound
        self._fixed: Any = fixed
        self.y = y
        self.prediction = prediction

    rss: float
    rmse: float
    r2: float
    mape: float
    aic: float
    bic: float

    @classmethod
    def _from_raw(cls, model: Model, raw: Dict[str, Any], y: np.ndarray) -> "FitResult":
        """The result of a fit without fixed parameters, straight from the C++ core's dict."""
        result = cls.__new__(cls)
        result.__dict__.update(model=model, _params=raw["params"], _stderr=raw["stderr"],
                               _covariance=raw["covariance"], rss=raw["rss"], rmse=raw["rmse"], r2=raw["r2"],
                               mape=raw["mape"], aic=raw["aic"], bic=raw["bic"], n=raw["n"], dof=raw["dof"],
                               success=raw["success"], message=raw["message"], iterations=raw["iterations"],
                               _at_bound=raw["at_bound"], _fixed=[], y=y, prediction=raw["prediction"])
        return result

    @classmethod
    def _from_core(cls, model: Model, raw: Dict[str, Any], y: np.ndarray, spec: _core.ParameterSpec) -> "FitResult":
        return cls(model, raw["params"], raw["stderr"], raw["covariance"], raw, n=raw["n"], dof=raw["dof"],
                   success=raw["success"], message=raw["message"], iterations=raw["iterations"],
                   at_bound=raw["at_bound"], fixed=spec.fixed, y=y, prediction=raw["prediction"])

    def _names(self, value: Any) -> List[str]:
        """Parameter names: ``value`` itself, or the names where its flags (model order) are set."""
        if all(isinstance(v, str) for v in value):
            return list(value)
        return [n for n, f in zip(self.model.parameters, value) if f]

    @property
    def params(self) -> Dict[str, float]:
        """Fitted values by parameter name (units in ``model.units``)."""
        if not isinstance(self._params, dict):
            self._params = dict(zip(self.model.parameters, map(float, self._params)))
        return self._params

    @property
    def stderr(self) -> Dict[str, float]:
        """Standard errors by parameter name (NaN where not available)."""
        if not isinstance(self._stderr, dict):
            self._stderr = dict(zip(self.model.parameters, map(float, self._stderr)))
        return self._stderr

    @property
    def at_bound(self) -> List[str]:
        """Free parameters that ended on a bound."""
        self._at_bound = self._names(self._at_bound)
        return self._at_bound

    @property
    def fixed(self) -> List[str]:
        """Parameters held constant."""
        self._fixed = self._names(self._fixed)
        return self._fixed

    @property
    def covariance(self) -> pd.DataFrame:
        """Parameter covariance, ``(J^T J)^-1 * rss / dof``, as a DataFrame over parameter names
        (NaN rows/columns for fixed parameters and parameters at a bound)."""
        names = list(self.model.parameters)
        return pd.DataFrame(self._covariance_matrix, index=names, columns=names)

    @property
    def _covariance_matrix(self) -> np.ndarray:
        p = len(self.model.parameters)
        return np.asarray(self._covariance, dtype=float).reshape(p, p)

    @property
    def residuals(self) -> np.ndarray:
        """``y - prediction`` at the fitted points (units of y)."""
        return self.y - self.prediction

    def predict(self, data: Any) -> np.ndarray:
        """The fitted model evaluated on new data (DataFrame or mapping holding the inputs)."""
        return self.model.evaluate(data, self.params)

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-safe dict (NaN and inf become None); see :meth:`from_dict`."""
        return {
            "model": model_to_dict(self.model),
            "params": dict(self.params),
            "stderr": dict(zip(self.stderr, json_list(list(self.stderr.values())))),
            "covariance": json_list(self._covariance_matrix),
            **dict(zip(self._STAT_FIELDS, json_list([getattr(self, k) for k in self._STAT_FIELDS]))),
            "n": self.n,
            "dof": self.dof,
            "success": self.success,
            "message": self.message,
            "iterations": self.iterations,
            "at_bound": list(self.at_bound),
            "fixed": list(self.fixed),
            "y": self.y.tolist(),
            "prediction": json_list(self.prediction),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "FitResult":
        """Rebuild a FitResult written by :meth:`to_dict`."""
        model = model_from_dict(d["model"])
        stderr = np.array(list(d["stderr"].values()), dtype=float)  # None -> NaN
        stats = np.array([d[k] for k in cls._STAT_FIELDS], dtype=float)
        return cls(
            model,
            {k: float(v) for k, v in d["params"].items()},
            dict(zip(d["stderr"], map(float, stderr))),
            np.array(d["covariance"], dtype=float),
            dict(zip(cls._STAT_FIELDS, map(float, stats))),
            n=d["n"],
            dof=d["dof"],
            success=d["success"],
            message=d["message"],
            iterations=d["iterations"],
            at_bound=list(d["at_bound"]),
            fixed=list(d["fixed"]),
            y=np.asarray(d["y"], dtype=float),
            prediction=np.array(d["prediction"], dtype=float),
        )

    def summary(self) -> Dict[str, Any]:
        """One flat record: parameters, ``stderr_<name>``, statistics, n, dof, success, message
        (the row a :class:`FitTable` holds for a group)."""
        return {
            **self.params,
            **{f"stderr_{k}": v for k, v in self.stderr.items()},
            **{k: getattr(self, k) for k in self._STAT_FIELDS},
            "n": self.n,
            "dof": self.dof,
            "success": self.success,
            "message": self.message,
        }

    def parameter_table(self) -> pd.DataFrame:
        """One row per parameter: value, stderr, relative stderr (%), unit, status."""
        rows = []
        for name in self.model.parameters:
            value, err = self.params[name], self.stderr[name]
            status = "fixed" if name in self.fixed else "at bound" if name in self.at_bound else ""
            rows.append(
                {
                    "parameter": name,
                    "value": value,
                    "stderr": err,
                    "rel_stderr_pct": abs(err / value) * 100 if value != 0 and math.isfinite(err) else math.nan,
                    "unit": self.model.units.get(name, ""),
                    "status": status,
                }
            )
        return pd.DataFrame(rows).set_index("parameter")

    def _status(self) -> str:
        return "converged" if self.success else f"NOT converged: {self.message}"

    def __repr__(self) -> str:
        lines = [f"FitResult({self.model.name!r}, n={self.n}, dof={self.dof}, {self._status()})"]
        width = max(len(p) for p in self.model.parameters)
        for name in self.model.parameters:
            value, err = self.params[name], self.stderr[name]
            unit = self.model.units.get(name, "")
            err_text = f"+/- {err:.4g}" if math.isfinite(err) else "+/- n/a"
            note = " (fixed)" if name in self.fixed else " (at bound)" if name in self.at_bound else ""
            lines.append(f"  {name:<{width}} = {value:<12.6g} {err_text:<14}{(' ' + unit) if unit else ''}{note}")
        lines.append(
            f"  rss={self.rss:.4g} rmse={self.rmse:.4g} r2={self.r2:.5f} mape={self.mape:.3g}% "
            f"aic={self.aic:.4g} bic={self.bic:.4g}"
        )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        table = self.parameter_table().to_html(float_format=lambda v: f"{v:.6g}", na_rep="n/a")
        stats = ", ".join(f"{k}={getattr(self, k):.4g}" for k in self._STAT_FIELDS)
        return (
            f"<div><b>FitResult</b> {html.escape(self.model.name)} &mdash; n={self.n}, dof={self.dof}, "
            f"{html.escape(self._status())}{table}<p>{html.escape(stats)} (mape in %)</p></div>"
        )

    def plot(self, data: Any = None, **kw: Any) -> Any:
        """Measured vs fitted over compute frequency (``dvfskit.plots.fit``); returns the Axes."""
        from .plots import fit as _plot
        return _plot(self, data, **kw)

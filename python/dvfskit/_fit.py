"""``dvfskit.fit``: nonlinear least squares on the C++ core (Ceres Solver)."""
from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any, overload, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _core
from ._data import json_list, numeric_column, scalar
from ._model import Bounds, Model, as_model

if TYPE_CHECKING:
    from ._fit_table import FitTable

LOSSES = ("linear", "huber", "soft_l1", "cauchy", "arctan")
ParamValues = Union[Mapping[str, float], Sequence[float]]


def resolve_vector(model: Model, y: Any, data: Any, label: str, source: str) -> np.ndarray:
    """``y`` or ``weights``: a column name of ``data`` or an array, as finite float64."""
    if isinstance(y, str):
        if not (hasattr(data, "keys") and y in data):
            raise ValueError(f"{source} has no column {y!r} ({label})")
        return numeric_column(data[y], y, source=source)
    return numeric_column(y, label, source=source)


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
    merged_bounds: Dict[str, Bounds] = dict(model.bounds)
    if bounds is not None:
        if not isinstance(bounds, Mapping):
            raise TypeError(f"bounds must be a mapping {{name: (lower, upper)}}, got {type(bounds).__name__}")
        model.check_names(bounds, "bounds")
        for name, pair in bounds.items():
            if isinstance(pair, (str, bytes)) or not (hasattr(pair, "__len__") and len(pair) == 2):
                raise ValueError(f"bounds[{name!r}] must be a (lower, upper) pair, got {pair!r}")
        merged_bounds.update(bounds)
    lower = [float(merged_bounds.get(n, (-math.inf, math.inf))[0]) for n in names]
    upper = [float(merged_bounds.get(n, (-math.inf, math.inf))[1]) for n in names]

    user: Dict[str, float] = {}
    if p0 is not None:
        if isinstance(p0, Mapping):
            model.check_names(p0, "p0")
            user = {k: float(v) for k, v in p0.items()}
        else:
            user = dict(zip(names, model.parameter_vector(p0)))
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

    start: Dict[str, float] = {n: 1.0 for n in names}
    start.update(model.p0)
    grid = model.grid_guess(exclude=list(user)) if len(user) < len(names) else None
    if grid is None and python_guess and model.guess is not None and len(user) < len(names):
        guessed = model.guess(dict(zip(model.inputs, columns)), y)
        start.update({k: float(v) for k, v in guessed.items() if k in start and np.isfinite(v)})
    initial = []
    for j, n in enumerate(names):
        if n in user:
            initial.append(user[n])
        else:
            initial.append(_inside(start[n], lower[j], upper[j]))
    spec = _core.ParameterSpec(list(names), initial, lower, upper, [n in fixed_names for n in names])
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
    """Checked input columns, y and weights (finite float64, one length)."""
    columns = model.columns(data, source=source)
    y_values = resolve_vector(model, y, data, "y", source)
    n = y_values.size
    if columns and columns[0].size != n:
        raise ValueError(f"{source}: y has {n} values but the inputs have {columns[0].size}")
    if n == 0:
        raise ValueError(f"{source} is empty: nothing to fit")
    w = None if weights is None else resolve_vector(model, weights, data, "weights", source)
    if w is not None and w.size != n:
        raise ValueError(f"weights has {w.size} values but y has {n}")
    with np.errstate(over="ignore"):
        square_sum = float(np.dot(y_values, y_values)) * (1.0 if w is None else float(np.max(np.abs(w))))
    if not math.isfinite(square_sum):
        raise ValueError(f"{source}: y (or weights) too large: the sum of squares overflows (rescale the units)")
    return columns, y_values, w


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
        Levenberg-Marquardt iteration cap and the function, gradient and parameter tolerance.
    by:
        Key column(s) of ``data`` (e.g. ``["device", "dnn", "block"]``): fit every group of rows
        separately, in C++ on ``threads`` threads (0 = all cores) with the GIL released, and
        return a :class:`FitTable`. Each group gets its own starting values from the model's
        guess unless ``p0`` is given (then shared by all groups).
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
                 retries=retries, max_iterations=max_iterations, tolerance=tolerance, seed=seed))
    model = as_model(model)
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    loss_scale = scalar(loss_scale, "loss_scale")
    tolerance = scalar(tolerance, "tolerance")
    starts, max_iterations = _whole(starts, "starts", 1), _whole(max_iterations, "max_iterations", 1)
    retries, seed, threads = _whole(retries, "retries", 0), _whole(seed, "seed", 0, 2**64), _whole(threads, "threads", 0)
    columns, y_values, w = _fit_inputs(model, data, y, weights)
    options = _core.FitOptions(loss, loss_scale, max_iterations, tolerance, tolerance, tolerance,
                               starts, seed, retries)
    if by is not None:
        return _fit_groups(model, data, columns, y_values, w, [by] if isinstance(by, str) else list(by),
                           p0, bounds, fixed, options, threads)
    spec, grid = resolve_parameters(model, columns, y_values, p0, bounds, fixed)
    if model.is_expression:
        raw = _core.fit_expression(model.expression, list(columns), y_values, w, spec, options, grid)
    else:
        assert model._callable is not None
        func = model._callable
        raw = _core.fit_callable(lambda p: np.asarray(func(*columns, *p), dtype=float), y_values, w, spec, options,
                                 grid)
    return FitResult._from_core(model, raw, y_values, spec)


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
) -> "FitTable":
    from ._fit_table import FitTable, group_rows

    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(dict(data))
    keys, order, offsets = group_rows(data, by)
    columns = tuple(c[order] for c in columns)
    y = y[order]
    weights = None if weights is None else weights[order]
    groups = [slice(int(offsets[g]), int(offsets[g + 1])) for g in range(len(keys))]
    spec, grid = resolve_parameters(model, columns, y, p0, bounds, fixed, python_guess=False)
    if grid is None and p0 is None and model.guess is not None:
        # a Python guess runs per group (slower than the C++ grid guess)
        specs = [resolve_parameters(model, tuple(c[r] for c in columns), y[r], p0, bounds, fixed)[0] for r in groups]
    else:
        specs = [spec] * len(groups)
    fixed_names = [n for n, f in zip(model.parameters, spec.fixed) if f]
    if model.is_expression:
        raw = _core.fit_expression_groups(model.expression, list(columns), y, weights, offsets.tolist(), specs,
                                          options, grid, int(threads))
    else:  # a Python callable holds the GIL: fit the groups one after the other
        func = model._callable
        assert func is not None
        results = []
        for r, group_spec in zip(groups, specs):
            cols = tuple(c[r] for c in columns)
            try:
                results.append(_core.fit_callable(lambda p, cols=cols: np.asarray(func(*cols, *p), dtype=float), y[r],
                                                  None if weights is None else weights[r], group_spec, options, grid))
            except ValueError as err:
                results.append(_failed_group(model, group_spec, r.stop - r.start, str(err)))
        raw = {k: np.stack([np.asarray(res[k]) for res in results]) if k != "message" else [res[k] for res in results]
               for k in results[0] if k not in ("prediction", "best_start", "num_free")}
        raw["prediction"] = np.concatenate([res["prediction"] for res in results])
    return FitTable(model, keys, raw, fixed=fixed_names, y=y, offsets=offsets)


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
    return fit(model, part, y, by=by, threads=1, **kwargs)


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
        at_bound: List[str],
        fixed: List[str],
        y: np.ndarray,
        prediction: np.ndarray,
    ) -> None:
        self.model = model
        self.params = params
        self.stderr = stderr
        names = list(model.parameters)
        self._covariance = np.asarray(covariance, dtype=float).reshape(len(names), len(names))
        for k in self._STAT_FIELDS:
            setattr(self, k, float(stats[k]))
        self.n = int(n)
        self.dof = int(dof)
        self.success = bool(success)
        self.message = message
        self.iterations = int(iterations)
        self.at_bound = at_bound
        self.fixed = fixed
        self.y = y
        self.prediction = prediction

    rss: float
    rmse: float
    r2: float
    mape: float
    aic: float
    bic: float

    @classmethod
    def _from_core(cls, model: Model, raw: Dict[str, Any], y: np.ndarray, spec: _core.ParameterSpec) -> "FitResult":
        names = list(model.parameters)
        return cls(
            model,
            dict(zip(names, map(float, raw["params"]))),
            dict(zip(names, map(float, raw["stderr"]))),
            np.asarray(raw["covariance"]),
            {k: raw[k] for k in cls._STAT_FIELDS},
            n=raw["n"],
            dof=raw["dof"],
            success=raw["success"],
            message=raw["message"],
            iterations=raw["iterations"],
            at_bound=[n for n, b in zip(names, raw["at_bound"]) if b],
            fixed=[n for n, f in zip(names, spec.fixed) if f],
            y=y,
            prediction=np.asarray(raw["prediction"]),
        )

    @property
    def covariance(self) -> pd.DataFrame:
        """Parameter covariance, ``(J^T J)^-1 * rss / dof``, as a DataFrame over parameter names
        (NaN rows/columns for fixed parameters and parameters at a bound)."""
        names = list(self.model.parameters)
        return pd.DataFrame(self._covariance, index=names, columns=names)

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
            "covariance": json_list(self._covariance),
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

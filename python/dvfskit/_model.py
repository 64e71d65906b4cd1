"""Models: an expression over named inputs and parameters, compiled once in C++."""
from __future__ import annotations

import inspect
import math
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _core

Bounds = Tuple[float, float]
# guess(columns, y) -> starting values by parameter name
GuessFunction = Callable[[Mapping[str, np.ndarray], np.ndarray], Mapping[str, float]]
# guess_groups(columns, y, offsets) -> starting values by parameter name, one per group
GroupGuessFunction = Callable[[Mapping[str, np.ndarray], np.ndarray, np.ndarray], Mapping[str, np.ndarray]]


class Model:
    """A regression model ``y = g(inputs; parameters)``.

    ``expr`` is either an expression string such as ``"a * f**(-b) + c"`` (operators ``+ - * / **``,
    functions ``exp log log10 sqrt abs sin cos tan atan tanh pow min max``, the constant ``pi``),
    compiled once into a C++ expression tree with exact derivatives, or a Python callable
    ``func(*input_arrays, *parameter_values) -> ndarray`` (slower: numeric derivatives).

    Parameters
    ----------
    expr:
        The expression or callable.
    inputs:
        Names of the data columns the model reads (e.g. ``["f"]``).
    parameters:
        Parameter names in order. Default: every other name in the expression, in order of first
        appearance (for a callable: the names after the inputs in its signature).
    name, description:
        Labels for reprs and tables.
    bounds:
        Default bounds by parameter name, ``(lower, upper)``; ``fit`` may override them.
    p0:
        Default starting values by parameter name.
    guess:
        ``guess(columns, y) -> {name: value}``: data-driven starting values in Python (used when
        ``fit`` is not given ``p0`` and the model has no ``linear``/``grid`` declaration).
    guess_groups:
        ``guess_groups(columns, y, offsets) -> {name: array}``: the same for every group of a
        grouped fit at once (group g holds rows ``offsets[g]:offsets[g + 1]``; one value per
        group), vectorised with numpy; replaces ``guess`` (which defaults to it for one group).
    linear, grid:
        Fast data-driven starting values computed in C++: every combination of the ``grid``
        values of the named (nonlinear) parameters is tried, with the parameters the model is
        ``linear`` in solved by bounded linear least squares at each; the best is the start.
        E.g. ``linear=["a", "c"], grid={"b": np.linspace(0.05, 4, 40)}`` for ``a*f**(-b)+c``.
    units:
        Unit of each parameter, for reprs (e.g. ``{"a": "ms*GHz^b"}``).
    """

    def __init__(
        self,
        expr: Union[str, Callable[..., Any]],
        inputs: Sequence[str],
        parameters: Optional[Sequence[str]] = None,
        *,
        name: Optional[str] = None,
        description: str = "",
        bounds: Optional[Mapping[str, Bounds]] = None,
        p0: Optional[Mapping[str, float]] = None,
        guess: Optional[GuessFunction] = None,
        guess_groups: Optional[GroupGuessFunction] = None,
        units: Optional[Mapping[str, str]] = None,
        linear: Sequence[str] = (),
        grid: Optional[Mapping[str, Sequence[float]]] = None,
    ) -> None:
        if isinstance(inputs, str):
            raise TypeError("inputs must be a list of names, e.g. ['f'], not a string")
        self.inputs: Tuple[str, ...] = tuple(inputs)
        self.description = description
        self._expression: Optional[_core.Expression] = None
        self._callable: Optional[Callable[..., Any]] = None
        if isinstance(expr, str):
            self._expression = _core.Expression(
                expr, list(self.inputs), None if parameters is None else list(parameters)
            )
            self.expr: Union[str, Callable[..., Any]] = expr
            self.parameters: Tuple[str, ...] = tuple(self._expression.parameters)
            self.name = name or expr
        elif callable(expr):
            self._callable = expr
            self.expr = expr
            self.parameters = tuple(parameters) if parameters is not None else _callable_parameters(expr, self.inputs)
            self.name = name or str(getattr(expr, "__name__", "callable"))
        else:
            raise TypeError(f"a model is an expression string or a callable, not {type(expr).__name__}")
        if not self.parameters:
            raise ValueError(f"model {self.name!r} has no parameters to fit")
        self.bounds: Dict[str, Bounds] = dict(bounds or {})
        self.p0: Dict[str, float] = dict(p0 or {})
        self.units: Dict[str, str] = dict(units or {})
        self.guess_groups = guess_groups
        self.guess = guess if guess is not None or guess_groups is None else _single_group(guess_groups)
        self.linear: Tuple[str, ...] = tuple(linear)
        self.grid: Dict[str, Tuple[float, ...]] = {k: tuple(float(v) for v in vs) for k, vs in (grid or {}).items()}
        for label, mapping in (("bounds", self.bounds), ("p0", self.p0), ("units", self.units),
                               ("linear", dict.fromkeys(self.linear)), ("grid", self.grid)):
            self.check_names(mapping, label)
        overlap = set(self.linear) & set(self.grid)
        if overlap:
            raise ValueError(f"parameters {sorted(overlap)} cannot be both linear and on a grid")

    def grid_guess(self, exclude: Sequence[str] = ()) -> Optional[_core.GridGuess]:
        """The C++ starting-value search for this model (None without ``linear``/``grid``);
        parameters in ``exclude`` (e.g. given by the user) keep their starting value."""
        if not self.linear and not self.grid:
            return None
        index = {p: j for j, p in enumerate(self.parameters)}
        linear = [index[p] for p in self.linear if p not in exclude]
        searched = [p for p in self.grid if p not in exclude]
        return _core.GridGuess(linear, [index[p] for p in searched], [list(self.grid[p]) for p in searched])

    @property
    def expression(self) -> _core.Expression:
        """The compiled C++ expression (only for expression models)."""
        if self._expression is None:
            raise TypeError(f"model {self.name!r} is a Python callable, not an expression")
        return self._expression

    @property
    def is_expression(self) -> bool:
        """True when the model is an expression compiled in C++ (fast, exact derivatives)."""
        return self._expression is not None

    def check_names(self, mapping: Mapping[str, Any], label: str) -> None:
        """Raise ``ValueError`` if ``mapping`` names something that is not a parameter."""
        unknown = [k for k in mapping if k not in self.parameters]
        if unknown:
            raise ValueError(
                f"{label} names unknown parameter(s) {unknown} of model {self.name!r}; "
                f"its parameters are {list(self.parameters)}"
            )

    def columns(self, data: Any, *, source: str = "data") -> Tuple[np.ndarray, ...]:
        """The model's input columns from a DataFrame or mapping, as finite float64 arrays."""
        missing = [k for k in self.inputs if not _has(data, k)]
        if missing:
            available = list(data.keys()) if hasattr(data, "keys") else []
            raise ValueError(
                f"{source} has no column {missing[0]!r} (an input of model {self.name!r}); "
                f"available: {available}"
            )
        cols = tuple(finite_column(column_of(data, k), k, source) for k in self.inputs)
        if len(cols) > 1 and len({len(c) for c in cols}) > 1:
            lengths = {len(c) for c in cols}
            raise ValueError(f"{source}: input columns have different lengths {sorted(lengths)}")
        return cols

    def evaluate(self, data: Any, params: Union[Mapping[str, float], Sequence[float]]) -> np.ndarray:
        """Model values at every row of ``data`` for the given parameters."""
        values = self.parameter_vector(params)
        cols = self.columns(data)
        if self._expression is not None:
            return np.asarray(self._expression.evaluate(list(cols), values))
        assert self._callable is not None
        return np.asarray(self._callable(*cols, *values), dtype=float)

    __call__ = evaluate

    def evaluate_rows(self, columns: Sequence[np.ndarray], params: np.ndarray) -> np.ndarray:
        """Model values at every point of checked input ``columns`` (model order), point i with
        its own parameters ``params[i]`` (an array of points x parameters)."""
        params = np.ascontiguousarray(params, dtype=float)
        if self._expression is not None:
            return np.asarray(self._expression.evaluate_rows(list(columns), params))
        assert self._callable is not None
        out = np.empty(len(params))
        unique, inverse = np.unique(params, axis=0, return_inverse=True)
        for u, row in enumerate(unique):
            rows = np.flatnonzero(inverse.ravel() == u)
            out[rows] = np.asarray(self._callable(*(c[rows] for c in columns), *row), dtype=float)
        return out

    def parameter_vector(self, params: Union[Mapping[str, float], Sequence[float]]) -> np.ndarray:
        """Parameters as an array in model order, from a mapping by name or a sequence."""
        if isinstance(params, Mapping):
            self.check_names(params, "params")
            missing = [p for p in self.parameters if p not in params]
            if missing:
                raise ValueError(f"params lacks {missing} of model {self.name!r}")
            return np.array([float(params[p]) for p in self.parameters])
        values = np.asarray(params, dtype=float).ravel()
        if values.size != len(self.parameters):
            raise ValueError(f"model {self.name!r} takes {len(self.parameters)} parameters, got {values.size}")
        return values

    def __repr__(self) -> str:
        kind = "expression" if self.is_expression else "callable"
        return (
            f"Model({self.name!r}, {kind}, inputs={list(self.inputs)}, parameters={list(self.parameters)})"
        )

    def __reduce_ex__(self, protocol: Any) -> Any:
        from . import models

        if models._REGISTRY.get(self.name) is self:  # a built-in model pickles by name
            return models.get, (self.name,)
        return super().__reduce_ex__(protocol)

    def __getstate__(self) -> Dict[str, Any]:
        state = self.__dict__.copy()
        state["_expression"] = None  # the C++ tree is rebuilt from the text
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        if isinstance(self.expr, str):
            self._expression = _core.Expression(self.expr, list(self.inputs), list(self.parameters))


def column_of(data: Any, name: str) -> Any:
    """``data[name]``; for a DataFrame column of a numpy dtype, its array at once (selecting a
    Series costs tens of microseconds, most of a small fit)."""
    if isinstance(data, pd.DataFrame):
        try:
            loc = data.columns.get_loc(name)
            values = data._get_column_array(loc) if isinstance(loc, int) else None
            if isinstance(values, np.ndarray):
                return values
        except (AttributeError, KeyError, TypeError):  # other pandas versions: the public way
            pass
    return data[name]


def finite_column(values: Any, name: str, source: str) -> np.ndarray:
    """``numeric_column(values, name, source=source)``, at once for a finite float64 array."""
    if type(values) is np.ndarray and values.dtype == np.float64 and values.ndim == 1:
        if math.isfinite(np.add.reduce(values)):  # NaN or inf anywhere (or an overflow) fails
            return values
    from ._data import numeric_column

    return numeric_column(values, name, source=source)


def _single_group(guess_groups: GroupGuessFunction) -> GuessFunction:
    """A per-fit guess from a grouped one (all rows form one group)."""
    def guess(columns: Mapping[str, np.ndarray], y: np.ndarray) -> Dict[str, float]:
        values = guess_groups(columns, y, np.array([0, len(y)]))
        return {k: float(np.asarray(v)[0]) for k, v in values.items()}

    guess.__doc__ = guess_groups.__doc__
    return guess


def _has(data: Any, key: str) -> bool:
    try:
        return key in data
    except TypeError:
        return False


def _callable_parameters(func: Callable[..., Any], inputs: Sequence[str]) -> Tuple[str, ...]:
    try:
        names = [
            p.name
            for p in inspect.signature(func).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError) as err:
        raise ValueError("give parameters=[...] for a callable whose signature cannot be read") from err
    if len(names) <= len(inputs):
        raise ValueError(
            f"callable {getattr(func, '__name__', func)!r} takes {names}: expected the inputs "
            f"{list(inputs)} followed by the parameters"
        )
    return tuple(names[len(inputs):])


def as_model(model: Union[Model, str], inputs: Optional[Sequence[str]] = None) -> Model:
    """Accept a Model, or a built-in model's name from ``dvfskit.models``."""
    if isinstance(model, Model):
        return model
    if isinstance(model, str):
        from . import models

        return models.get(model)
    raise TypeError(f"expected a dvfskit.Model or a built-in model name, got {type(model).__name__}")

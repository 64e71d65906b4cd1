"""``dvfskit.ConfigSet``: a device's configurations over any knobs.

A *knob* is any column that identifies a configuration: a DVFS domain's frequency (by convention
the ``*_mhz`` columns: ``cpu_freq_mhz``, ``compute_freq_mhz`` for the GPU/accelerator core,
``mem_freq_mhz``, ``dla_freq_mhz``, ...), a core mask or count, a power mode. A *configuration* is
one tuple of knob values, and a device's configuration set is the list of tuples measured (or
predicted): a dense grid or any subset of it. The solver, the baselines, the schedule, the
governors, the sweeps, the plots and the command line all label configurations through this one
class.

Frequency knobs must be numeric (MHz). Other knobs may be numbers or labels (strings such as a
power mode "MAXN"); labels are ordered as sorted strings for the C++ core, which sees their codes.
"""
from __future__ import annotations

import html
from typing import Any, Dict, Iterable, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _core

TableLike = Union[pd.DataFrame, Mapping[str, Sequence[Any]]]


def is_frequency_knob(name: str) -> bool:
    """Whether a knob is a DVFS frequency, in MHz (its name ends in ``_mhz``)."""
    return name.endswith("_mhz")


def _knob_column(name: str, values: pd.Series, source: str) -> Tuple[pd.Series, np.ndarray]:
    """The column as given (numbers as float64) and its numeric codes for the C++ core."""
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise ValueError(f"{source}: knob {name!r} is missing in configuration {row}")
    if values.dtype.kind in "biuf":
        numeric = values.to_numpy(dtype=np.float64)
        bad = ~np.isfinite(numeric)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{source}: knob {name!r} of configuration {row} is not finite ({numeric[row]!r})")
        if is_frequency_knob(name) and np.any(numeric <= 0):
            row = int(np.flatnonzero(numeric <= 0)[0])
            raise ValueError(f"{source}: frequency knob {name!r} of configuration {row} must be > 0 MHz, "
                             f"got {numeric[row]:g}")
        return pd.Series(numeric, name=name), numeric
    if is_frequency_knob(name):
        converted = pd.to_numeric(values, errors="coerce")
        if converted.isna().any():
            bad = int(np.flatnonzero(converted.isna().to_numpy())[0])
            raise ValueError(f"{source}: frequency knob {name!r} must be numeric (MHz); configuration {bad} "
                             f"has {values.iloc[bad]!r}")
        return _knob_column(name, converted.astype(np.float64), source)
    labels = values.astype(str)
    categories = np.sort(labels.unique())
    codes = np.searchsorted(categories, labels.to_numpy()).astype(np.float64)
    return pd.Series(values.to_numpy(dtype=object), name=name), codes


class ConfigSet:
    """K labelled configurations over d knobs.

    Parameters
    ----------
    table:
        A DataFrame (or a mapping knob -> values) with one row per configuration and one column
        per knob, in the order the tables use (configuration ``k`` is row ``k``). Frequency knobs
        (``*_mhz``) are numeric and positive, in MHz; other knobs are numbers or labels. Rows must
        be distinct. The input is copied.

    Attributes
    ----------
    knobs: the knob names, in column order.
    frequency_knobs: the ``*_mhz`` knobs among them.
    table: DataFrame (K rows, index ``config``), a copy of the labels.
    """

    __slots__ = ("_table", "_core", "_codes", "_columns")

    def __init__(self, table: TableLike, *, source: str = "configs") -> None:
        df = table if isinstance(table, pd.DataFrame) else pd.DataFrame(dict(table))
        if len(df.columns) != len(set(map(str, df.columns))):
            raise ValueError(f"{source}: knob names must be distinct, got {list(df.columns)}")
        for name in df.columns:
            if not isinstance(name, str) or not name:
                raise ValueError(f"{source}: knob names must be non-empty strings, got {name!r}")
        if len(df) == 0:
            raise ValueError(f"{source}: the configuration set is empty")
        columns: Dict[str, pd.Series] = {}
        codes = np.empty((len(df), len(df.columns)), dtype=np.float64)
        for j, name in enumerate(df.columns):
            columns[name], codes[:, j] = _knob_column(name, df[name].reset_index(drop=True), source)
        clean = pd.DataFrame(columns, index=pd.RangeIndex(len(df), name="config"))
        try:
            core = _core.ConfigSet(list(clean.columns), codes if len(clean.columns) else np.zeros((0, 0)))
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None
        self._table = clean
        self._core = core
        self._codes = codes
        self._columns = {name: clean[name].to_numpy() for name in clean.columns}
        for column in self._columns.values():
            column.setflags(write=False)

    @classmethod
    def grid(cls, axes: Mapping[str, Iterable[Any]]) -> "ConfigSet":
        """The full Cartesian grid of the given knob values, the last knob varying fastest (so
        ``grid({"compute_freq_mhz": F, "mem_freq_mhz": M})`` numbers configurations
        ``k = a * len(M) + b``, the layout of (L, nF, nM) tables)."""
        names = list(axes)
        values = [list(v) for v in axes.values()]
        for name, v in zip(names, values):
            if not v:
                raise ValueError(f"grid: knob {name!r} has no values")
        index = pd.MultiIndex.from_product(values, names=names)
        return cls(index.to_frame(index=False), source="grid")

    # -- labels ------------------------------------------------------------------------------

    @property
    def knobs(self) -> Tuple[str, ...]:
        return tuple(self._table.columns)

    @property
    def frequency_knobs(self) -> Tuple[str, ...]:
        return tuple(k for k in self.knobs if is_frequency_knob(k))

    @property
    def table(self) -> pd.DataFrame:
        return self._table.copy()

    def __len__(self) -> int:
        return len(self._table)

    def label(self, k: int) -> Dict[str, Any]:
        """Configuration ``k`` as a dict knob -> value (frequencies in MHz)."""
        i = int(k)
        if not 0 <= i < len(self):
            raise IndexError(f"configuration {k} out of range (K = {len(self)})")
        return {name: (float(c[i]) if c.dtype.kind == "f" else c[i]) for name, c in self._columns.items()}

    def column(self, knob: str) -> np.ndarray:
        """The values of ``knob`` for every configuration (K,), read-only: float64 (MHz for
        frequency knobs) or, for label knobs, an object array of the labels."""
        self._knob_position(knob)
        return self._columns[knob]

    def is_numeric(self, knob: str) -> bool:
        """Whether ``knob`` holds numbers (frequency knobs always do) rather than labels."""
        return bool(self.column(knob).dtype.kind == "f")

    def levels(self, knob: str) -> np.ndarray:
        """The distinct values of ``knob``, ascending (labels: sorted as strings)."""
        j = self._knob_position(knob)
        values = self._table[knob]
        if values.dtype.kind == "f":
            return np.asarray(self._core.knob_levels(j))
        return np.sort(values.astype(str).unique())

    @property
    def codes(self) -> np.ndarray:
        """(K, d) int array: each knob value's level among that knob's distinct values."""
        return np.asarray(self._core.levels)

    def index(self, values: Optional[Mapping[str, Any]] = None, **kw: Any) -> int:
        """The configuration with exactly these knob values (every knob given), e.g.
        ``configs.index(cpu_freq_mhz=2035.2, mem_freq_mhz=1866)``; ``KeyError`` if absent."""
        given = {**(values or {}), **kw}
        missing = [k for k in self.knobs if k not in given]
        unknown = [k for k in given if k not in self.knobs]
        if missing or unknown:
            raise ValueError(f"give every knob exactly: missing {missing}, unknown {unknown}")
        mask = self.where(**given)
        if mask.size == 0:
            raise KeyError(f"no configuration {given}")
        return int(mask[0])

    def where(self, **fixed: Any) -> np.ndarray:
        """Indices (ascending) of the configurations whose knobs equal the given values."""
        unknown = [k for k in fixed if k not in self.knobs]
        if unknown:
            raise ValueError(f"unknown knob(s) {unknown}; knobs are {list(self.knobs)}")
        mask = np.ones(len(self), dtype=bool)
        for name, value in fixed.items():
            mask &= (self._table[name] == value).to_numpy()
        return np.flatnonzero(mask)

    def _knob_position(self, knob: str) -> int:
        try:
            return self.knobs.index(knob)
        except ValueError:
            raise ValueError(f"unknown knob {knob!r}; knobs are {list(self.knobs)}") from None

    # -- protocol ----------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConfigSet) and self._table.equals(other._table)

    def __hash__(self) -> int:
        return hash((self.knobs, len(self)))

    def __getstate__(self) -> Dict[str, Any]:
        return {"table": self._table}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        rebuilt = ConfigSet(state["table"])
        for slot in ConfigSet.__slots__:
            object.__setattr__(self, slot, getattr(rebuilt, slot))

    def _summary(self) -> str:
        parts = []
        for name in self.knobs:
            lv = self.levels(name)
            if is_frequency_knob(name):
                parts.append(f"{name} {lv.size} [{lv.min():g}..{lv.max():g}]")
            else:
                parts.append(f"{name} {lv.size}")
        grid = int(np.prod([self.levels(k).size for k in self.knobs])) if self.knobs else 1
        dense = "dense grid" if grid == len(self) else f"{100.0 * len(self) / grid:.3g} % of the {grid}-point grid"
        return f"K={len(self)} configurations over {len(self.knobs)} knob(s): " + ", ".join(parts) + f"; {dense}"

    def __repr__(self) -> str:
        return f"ConfigSet({self._summary()})"

    def _repr_html_(self) -> str:
        return f"<div><b>ConfigSet</b> {html.escape(self._summary())}{self._table.head(10)._repr_html_()}</div>"

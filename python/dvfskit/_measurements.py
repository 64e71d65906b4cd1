"""``dvfskit.read_measurements``: load DVFS measurements into the canonical long format.

Canonical columns (units in the name):

=====================  =========================================================================
``compute_freq_mhz``   GPU core (or CPU) frequency, MHz (required)
``mem_freq_mhz``       memory/EMC frequency, MHz (optional)
``latency_ms``         latency per inference (or per block), ms (required)
``power_w``            average power during inference, W (optional)
``energy_j``           energy per inference, J (optional)
key columns            ``device``, ``dnn``, ``block`` and any other column you select
=====================  =========================================================================
"""
from __future__ import annotations

import math
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

#: Measured values: every other output column identifies the measurement (a key or a knob).
MEASURED = ("latency_ms", "power_w", "energy_j")
#: Canonical columns picked up automatically when the source has a column of the same name.
CANONICAL = ("device", "dnn", "block", "compute_freq_mhz", "mem_freq_mhz") + MEASURED
REQUIRED = ("compute_freq_mhz", "latency_ms")
AGGREGATES = ("mean", "median")

#: Unit of a source column -> factor to the canonical unit, by the suffix of the output name.
UNITS: Dict[str, Dict[str, float]] = {
    "_mhz": {"Hz": 1e-6, "kHz": 1e-3, "MHz": 1.0, "GHz": 1e3},
    "_ms": {"s": 1e3, "ms": 1.0, "us": 1e-3},
    "_w": {"W": 1.0, "mW": 1e-3},
    "_j": {"J": 1.0, "mJ": 1e-3},
}
_KIND = {"_mhz": "frequency", "_ms": "time", "_w": "power", "_j": "energy"}

Source = Union[str, "os.PathLike[str]", pd.DataFrame]


def _suffix(name: str) -> Optional[str]:
    for suffix in UNITS:
        if name.endswith(suffix):
            return suffix
    return None


class _Rows:
    """Turns a position in the loaded table into the row number reported to the user."""

    def __init__(self, source_name: str, is_file: bool, numbers: np.ndarray) -> None:
        self.source_name = source_name
        self.is_file = is_file
        self.numbers = numbers

    def where(self, pos: int, column: Optional[str] = None) -> str:
        text = f"{self.source_name}: row {int(self.numbers[pos])}"
        if column is not None:
            text += f", column {column!r}"
        return text


def read_measurements(
    source: Source,
    columns: Optional[Mapping[str, str]] = None,
    units: Optional[Mapping[str, str]] = None,
    aggregate: Optional[str] = None,
    *,
    keys: Optional[Sequence[str]] = None,
    constants: Optional[Mapping[str, Any]] = None,
    name: Optional[str] = None,
    **read_csv_kwargs: Any,
) -> pd.DataFrame:
    """Load measurements from a CSV file or a DataFrame into canonical columns and units.

    Parameters
    ----------
    source:
        Path of a CSV file, or a pandas DataFrame (never modified; neither is the file).
    columns:
        Output column name -> source column name, e.g. ``{"compute_freq_mhz": "gpu_freq",
        "latency_ms": "inference_time", "device": "system_name"}``. The output names may be the
        canonical ones (``compute_freq_mhz``, ``mem_freq_mhz``, ``latency_ms``, ``power_w``,
        ``energy_j``, ``device``, ``dnn``, ``block``) or any other name, which becomes an extra
        column (e.g. ``{"cpu_freq_mhz": "core_freq"}``). A canonical column that is neither
        mapped nor given in ``constants`` is taken from the source column of the same name when
        there is one.
    units:
        Output column name -> unit of its source column. By the suffix of the output name:
        ``*_mhz`` frequency (``Hz``, ``kHz``, ``MHz``, ``GHz``), ``*_ms`` time (``s``, ``ms``,
        ``us``), ``*_w`` power (``W``, ``mW``), ``*_j`` energy (``J``, ``mJ``). Columns without an
        entry are taken to be in the canonical unit already (MHz, ms, W, J).
    aggregate:
        ``None`` (default): rows repeating the same keys and frequencies must carry identical
        values (exact repeats are kept once) or a ``ValueError`` is raised. ``"mean"`` or
        ``"median"``: repeats are averaged, column by column.
    keys:
        Source column names kept under their own name as key columns (shorthand for
        ``columns={k: k}``), e.g. ``keys=["size"]``.
    constants:
        Constant key columns added to every row, e.g. ``{"device": "TX2"}``.
    name:
        Name used for the source in error messages (default: the file path, or ``"DataFrame"``).
    **read_csv_kwargs:
        Passed to :func:`pandas.read_csv` for a file (e.g. ``sep=";"``).

    Returns
    -------
    pandas.DataFrame
        One row per measurement with, in order: the ``constants``, the key columns (``device``,
        ``dnn``, ``block``, other keys, then the frequencies), then ``latency_ms``,
        ``power_w`` and ``energy_j`` (those available). Frequencies (``*_mhz``) are float MHz,
        latency float ms, power float W, energy float J per inference. When only one of power
        and energy is given the other is derived: ``energy_j = power_w * latency_ms / 1000``.
        Source columns that were not selected are dropped. ``df.attrs["keys"]`` lists the
        identifying columns (keys and frequencies), ``df.attrs["source"]`` the source name.

    Key columns
    -----------
    Every output column that is not a measured value (``latency_ms``, ``power_w``,
    ``energy_j``) identifies a measurement: the grouping keys (``device``, ``dnn``, ``block``
    and extra names) and the knobs (``compute_freq_mhz``, ``mem_freq_mhz``, ``cpu_freq_mhz``...).
    Two rows with equal identifying values are repeats (see ``aggregate``). Key values keep their
    source type (strings, integers); only ``*_mhz``/``*_ms``/``*_w``/``*_j`` columns are numeric.

    Row numbers in errors
    ---------------------
    Errors are ``ValueError`` naming the source, the row and the column. For a file, the row is
    the line number as shown by a text editor: the header is line 1, so the first data row is
    ``row 2``. For a DataFrame, the row is the 1-based position: the first row is ``row 1``.
    Raised for: a missing source column, a required column (``compute_freq_mhz``,
    ``latency_ms``) with no source, a unit for an unknown column or an unknown unit, empty files
    or tables, empty, non-numeric, NaN or infinite cells, missing key values, non-positive
    frequencies or latencies, negative power or energy, and repeats with conflicting values
    (unless ``aggregate``).
    """
    if aggregate is not None and aggregate not in AGGREGATES:
        raise ValueError(f"aggregate must be None, 'mean' or 'median', got {aggregate!r}")
    for label, value in (("columns", columns), ("units", units), ("constants", constants)):
        if value is not None and not isinstance(value, Mapping):
            raise TypeError(f"{label} must be a mapping (dict), got {type(value).__name__}")
    if keys is not None and not isinstance(keys, str) and (
        not isinstance(keys, Sequence) or not all(isinstance(k, str) for k in keys)
    ):
        raise TypeError(f"keys must be a list of column names (strings), got {keys!r}")
    raw, rows = _load(source, name, read_csv_kwargs)
    src = rows.source_name
    constants = dict(constants or {})
    mapping = _mapping(raw, columns, keys, src, skip=constants)
    conv = _unit_factors(mapping, units, src)
    clash = [k for k in constants if k in mapping]
    if clash:
        raise ValueError(f"{src}: column {clash[0]!r} is both mapped from the source and given as a constant")

    out: Dict[str, Any] = {}
    for out_name, src_col in mapping.items():
        values = raw[src_col].to_numpy()
        if _suffix(out_name) is None:
            _check_keys(values, src_col, rows)
            out[out_name] = values.copy()
        else:
            with np.errstate(over="ignore", under="ignore"):
                arr = _numeric(values, src_col, rows) * conv.get(out_name, 1.0)
            _check_finite(arr, out_name, src_col, rows, "after conversion to the canonical unit")
            _check_range(arr, out_name, src_col, rows)
            out[out_name] = arr
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if "power_w" in out and "energy_j" not in out:
            out["energy_j"] = out["power_w"] * out["latency_ms"] / 1000.0
            _check_finite(out["energy_j"], "energy_j", mapping["power_w"], rows, "(power_w * latency_ms)")
        elif "energy_j" in out and "power_w" not in out:
            out["power_w"] = out["energy_j"] * 1000.0 / out["latency_ms"]
            _check_finite(out["power_w"], "power_w", mapping["energy_j"], rows, "(energy_j / latency_ms)")

    measured = [c for c in MEASURED if c in out]
    df = pd.DataFrame({c: out[c] for c in out if c not in MEASURED})
    for pos, (k, v) in enumerate(constants.items()):  # constant keys first, keeping their type
        df.insert(pos, k, pd.Series([v] * len(df), index=df.index))
    ident = list(df.columns)
    for c in measured:
        df[c] = out[c]
    df = _resolve_repeats(df, ident, measured, aggregate, rows)
    df.attrs["keys"] = list(ident)
    df.attrs["source"] = src
    return df


def _load(source: Source, name: Optional[str], kwargs: Mapping[str, Any]) -> Tuple[pd.DataFrame, _Rows]:
    if isinstance(source, pd.DataFrame):
        src = name or "DataFrame"
        if source.shape[1] == 0:
            raise ValueError(f"{src}: no columns")
        if len(source) == 0:
            raise ValueError(f"{src}: no data rows")
        raw = source.reset_index(drop=True)  # a new object: the caller's frame is untouched
        return raw, _Rows(src, False, np.arange(1, len(raw) + 1))
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a CSV path or a pandas DataFrame, not {type(source).__name__}")
    path = os.fspath(source)
    src = name or path
    if not os.path.exists(path):
        raise ValueError(f"{src}: no such file")
    if os.path.isdir(path):
        raise ValueError(f"{src}: is a directory, not a CSV file")
    opts = dict(kwargs)
    # Keep blank lines so that row numbers match the editor's line numbers; dropped below.
    opts.setdefault("skip_blank_lines", False)
    try:
        raw = pd.read_csv(path, **opts)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{src}: empty file (no header line)") from None
    except pd.errors.ParserError as err:
        raise ValueError(f"{src}: cannot be read as CSV: {err}") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"{src}: cannot be read as text ({err}); pass encoding=... for a non-UTF-8 file") from None
    if "index_col" not in opts and not isinstance(raw.index, pd.RangeIndex):
        # pandas silently turns the leading fields of over-long rows into an index (shifting values)
        raise ValueError(
            f"{src}: data rows have more fields than the header line's {raw.shape[1]} columns "
            f"(check the separator, or pass index_col=...)"
        )
    header_lines = 1 if opts.get("header", "infer") in ("infer", 0) else 0
    numbers = np.arange(len(raw)) + header_lines + 1
    blank = raw.isna().all(axis=1).to_numpy()
    if blank.any():
        raw = raw.loc[~blank].reset_index(drop=True)
        numbers = numbers[~blank]
    if len(raw) == 0:
        raise ValueError(f"{src}: no data rows (header only)")
    return raw, _Rows(src, True, numbers)


def _mapping(raw: pd.DataFrame, columns: Optional[Mapping[str, str]], keys: Optional[Sequence[str]],
             src: str, skip: Mapping[str, Any]) -> Dict[str, str]:
    """Output name -> source column, checked against the source's columns."""
    available = [str(c) for c in raw.columns]
    mapping: Dict[str, str] = {}
    for out_name, src_col in dict(columns or {}).items():
        if not isinstance(out_name, str) or not isinstance(src_col, str):
            raise TypeError(f"columns maps output names to source column names (strings), got {out_name!r}: {src_col!r}")
        mapping[out_name] = src_col
    if isinstance(keys, str):
        keys = [keys]
    for k in keys or []:
        if k in mapping and mapping[k] != k:
            raise ValueError(f"{src}: key {k!r} is also mapped from column {mapping[k]!r}")
        mapping[k] = k
    for canon in CANONICAL:
        if canon not in mapping and canon not in skip and canon in raw.columns and canon not in mapping.values():
            mapping[canon] = canon
    for out_name, src_col in mapping.items():
        if src_col not in raw.columns:
            raise ValueError(
                f"{src}: missing column {src_col!r} (for {out_name!r}); the source has columns {available}"
            )
    seen: Dict[str, str] = {}
    for out_name, src_col in mapping.items():
        if src_col in seen:
            raise ValueError(f"{src}: column {src_col!r} is mapped twice (to {seen[src_col]!r} and {out_name!r})")
        seen[src_col] = out_name
    for req in REQUIRED:
        if req not in mapping:
            raise ValueError(
                f"{src}: missing column {req!r}: map it with columns={{{req!r}: '<source column>'}}; "
                f"the source has columns {available}"
            )
    # Canonical measurements first in a stable order, keys in the order given.
    # Order: device, dnn, block, other keys, extra numeric columns, frequencies, measurements.
    head = [c for c in ("device", "dnn", "block") if c in mapping]
    others = [c for c in mapping if c not in CANONICAL and _suffix(c) is None]
    extra = [c for c in mapping if c not in CANONICAL and _suffix(c) is not None]
    freqs = [c for c in ("compute_freq_mhz", "mem_freq_mhz") if c in mapping]
    tail = [c for c in MEASURED if c in mapping]
    return {c: mapping[c] for c in head + others + extra + freqs + tail}


def _unit_factors(mapping: Mapping[str, str], units: Optional[Mapping[str, str]], src: str) -> Dict[str, float]:
    factors: Dict[str, float] = {}
    for out_name, unit in dict(units or {}).items():
        if out_name not in mapping:
            raise ValueError(
                f"{src}: units given for unknown column {out_name!r}; loaded columns are {list(mapping)}"
            )
        suffix = _suffix(out_name)
        if suffix is None:
            raise ValueError(
                f"{src}: column {out_name!r} is a key column and takes no unit (only *_mhz, *_ms, *_w, "
                f"*_j columns are converted)"
            )
        allowed = UNITS[suffix]
        if not isinstance(unit, str) or unit not in allowed:
            raise ValueError(
                f"{src}: unknown {_KIND[suffix]} unit {unit!r} for column {out_name!r} "
                f"(source column {mapping[out_name]!r}); allowed units: {list(allowed)}"
            )
        factors[out_name] = allowed[unit]
    return factors


def _numeric(values: np.ndarray, src_col: str, rows: _Rows) -> np.ndarray:
    """``values`` as float64, raising at the first empty, non-numeric or non-finite cell."""
    if values.dtype.kind in "iub":
        return values.astype(np.float64)
    if values.dtype.kind == "f":
        arr = values.astype(np.float64)
    else:
        arr = np.empty(len(values), dtype=np.float64)
        for i, v in enumerate(values):
            if isinstance(v, str):
                text = v.strip()
                if text == "":
                    raise ValueError(f"{rows.where(i, src_col)}: empty cell")
                try:
                    arr[i] = float(text)
                except ValueError:
                    raise ValueError(f"{rows.where(i, src_col)}: {v!r} is not a number") from None
            elif v is None:
                raise ValueError(f"{rows.where(i, src_col)}: empty cell")
            elif isinstance(v, bool):
                raise ValueError(f"{rows.where(i, src_col)}: {v!r} is not a number")
            else:
                try:
                    arr[i] = float(v)
                except (TypeError, ValueError):
                    raise ValueError(f"{rows.where(i, src_col)}: {v!r} is not a number") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.argmax(bad))
        what = "empty cell (or NaN)" if math.isnan(arr[i]) else f"value {arr[i]!r} is not finite"
        raise ValueError(f"{rows.where(i, src_col)}: {what}")
    return arr


def _check_finite(arr: np.ndarray, out_name: str, src_col: str, rows: _Rows, how: str) -> None:
    """A finite source value can overflow on conversion (1e308 GHz) or derivation (energy)."""
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{rows.where(i, src_col)}: {out_name} overflows {how}")


def _check_keys(values: np.ndarray, src_col: str, rows: _Rows) -> None:
    missing = pd.isna(values)
    if np.any(missing):
        i = int(np.argmax(missing))
        raise ValueError(f"{rows.where(i, src_col)}: missing key value")


def _check_range(arr: np.ndarray, out_name: str, src_col: str, rows: _Rows) -> None:
    if out_name.endswith("_mhz") or out_name == "latency_ms":
        bad = arr <= 0
        what = "frequency" if out_name.endswith("_mhz") else "latency"
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"{rows.where(i, src_col)}: {what} must be positive, got {arr[i]!r}")
    elif out_name in ("power_w", "energy_j"):
        bad = arr < 0
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"{rows.where(i, src_col)}: {out_name[:-2]} must not be negative, got {arr[i]!r}")


def _resolve_repeats(df: pd.DataFrame, ident: List[str], measured: List[str], aggregate: Optional[str],
                     rows: _Rows) -> pd.DataFrame:
    if not ident:
        return df
    dup = df.duplicated(ident, keep=False).to_numpy()
    if not dup.any():
        return df
    if aggregate is None:
        first_of: Dict[Any, int] = {}
        for pos in np.flatnonzero(dup):
            key = tuple(df.iloc[pos][ident])
            if key not in first_of:
                first_of[key] = int(pos)
                continue
            j = first_of[key]
            for col in measured:
                a, b = df[col].iat[j], df[col].iat[pos]
                if a != b:
                    raise ValueError(
                        f"{rows.where(int(pos), col)}: repeats row {int(rows.numbers[j])} "
                        f"(same {', '.join(ident)}) with a different value ({b!r} vs {a!r}); "
                        f"pass aggregate='mean' or 'median' to average repeats"
                    )
        return df.drop_duplicates(ident, keep="first").reset_index(drop=True)
    grouped = df.groupby(ident, sort=False, dropna=False)[measured]
    with np.errstate(over="ignore"):
        agg = grouped.mean() if aggregate == "mean" else grouped.median()
    for col in measured:
        if not np.all(np.isfinite(agg[col].to_numpy(dtype=float))):
            raise ValueError(f"{rows.source_name}: column {col!r}: the {aggregate} of repeated rows overflows")
    return agg.reset_index()[ident + measured]

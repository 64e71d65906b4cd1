"""``dvfskit.read_measurements``: load DVFS measurements into the canonical long format.

Canonical columns (units in the name):

=====================  =========================================================================
``compute_freq_mhz``   GPU core (or CPU) frequency, MHz (required)
``mem_freq_mhz``       memory/EMC frequency, MHz (optional)
``latency_ms``         latency per inference (or per block), ms
``power_w``            average power during inference, W
``energy_j``           energy per inference, J (at least one of the three measured columns)
key columns            ``device``, ``dnn``, ``block`` and any other column you select
=====================  =========================================================================
"""
from __future__ import annotations

import dataclasses
import glob
import math
import os
import re
import stat
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from ._csv_lines import data_line_numbers

#: Measured values: every other output column identifies the measurement (a key or a knob).
MEASURED = ("latency_ms", "power_w", "energy_j")
#: Canonical columns picked up automatically when the source has a column of the same name.
CANONICAL = ("device", "dnn", "block", "compute_freq_mhz", "mem_freq_mhz") + MEASURED
REQUIRED = ("compute_freq_mhz",)  # and at least one of MEASURED
AGGREGATES = ("mean", "median")
#: Key column holding the path of each row's file when loading a list of files or a pattern.
FILE_KEY = "file"

#: Unit of a source column -> factor to the canonical unit, by the suffix of the output name.
UNITS: Dict[str, Dict[str, float]] = {
    "_mhz": {"Hz": 1e-6, "kHz": 1e-3, "MHz": 1.0, "GHz": 1e3},
    "_ms": {"s": 1e3, "ms": 1.0, "us": 1e-3},
    "_w": {"W": 1.0, "mW": 1e-3},
    "_j": {"J": 1.0, "mJ": 1e-3},
}
_KIND = {"_mhz": "frequency", "_ms": "time", "_w": "power", "_j": "energy"}
#: Plausible magnitudes after conversion (column suffix or name -> low, high, in words). Outside
#: them a unit is almost surely missing or wrong (Hz read as MHz is a 1e6 error), so loading stops.
PLAUSIBLE: Dict[str, Tuple[float, float, str, str]] = {
    "_mhz": (1.0, 1e5, "1 MHz", "100 GHz"),
    "latency_ms": (0.0, 8.64e7, "0", "a day"),
    "power_w": (0.0, 1e5, "0", "100 kW"),
}

Source = Union[str, "os.PathLike[str]", pd.DataFrame, Sequence[Union[str, "os.PathLike[str]"]]]
_READ_CSV_REFUSED = ("chunksize", "iterator")


def _suffix(name: str) -> Optional[str]:
    for suffix in UNITS:
        if name.endswith(suffix):
            return suffix
    return None


def _plain(value: Any) -> str:
    """A value as a user reads it: ``0.2``, ``'1100'``, ``3`` (not ``np.float64(0.2)``)."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


class _Rows:
    """Turns a position in the loaded table into the row the user sees: the editor's line of a
    file (found lazily, only for an error message), the 1-based position in a DataFrame."""

    def __init__(self, source_name: str, numbers: Optional[np.ndarray] = None,
                 find_numbers: Optional[Callable[[], Optional[np.ndarray]]] = None) -> None:
        self.source_name = source_name
        self._numbers = numbers
        self._find = find_numbers

    @property
    def numbers(self) -> Optional[np.ndarray]:
        if self._find is not None:
            self._numbers, self._find = self._find(), None
        return self._numbers

    def label(self, pos: int) -> str:
        numbers = self.numbers
        if numbers is None:  # read_csv options whose line structure is not modelled
            return f"data row {pos + 1}"
        return f"row {int(numbers[pos])}"

    def where(self, pos: int, column: Optional[str] = None) -> str:
        text = f"{self.source_name}: {self.label(pos)}"
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
    values: Optional[Sequence[str]] = None,
    ignore: Optional[Sequence[str]] = None,
    constants: Optional[Mapping[str, Any]] = None,
    name: Optional[str] = None,
    **read_csv_kwargs: Any,
) -> pd.DataFrame:
    """Load measurements from CSV files or a DataFrame into canonical columns and units.

    Parameters
    ----------
    source:
        Path of a CSV file; a list of paths or a glob pattern (``"runs/*.csv"``, sorted), loaded
        as one table with a ``file`` key column holding each row's path (e.g. one file per input
        size; fit with ``by="file"``); or a pandas DataFrame. Sources are never modified.
    columns:
        Output column name -> source column name, e.g. ``{"compute_freq_mhz": "gpu_freq",
        "latency_ms": "inference_time", "device": "system_name"}``. The output names may be the
        canonical ones (``compute_freq_mhz``, ``mem_freq_mhz``, ``latency_ms``, ``power_w``,
        ``energy_j``, ``device``, ``dnn``, ``block``) or any other name, which becomes an extra
        column (e.g. ``{"cpu_freq_mhz": "core_freq"}``). A canonical column that is neither
        mapped nor given in ``constants`` is taken from the source column of the same name when
        there is one. ``compute_freq_mhz`` is required, and at least one measured column
        (``latency_ms``, ``power_w`` or ``energy_j``: power-only data loads too).
    units:
        Output column name -> unit of its source column. By the suffix of the output name:
        ``*_mhz`` frequency (``Hz``, ``kHz``, ``MHz``, ``GHz``), ``*_ms`` time (``s``, ``ms``,
        ``us``), ``*_w`` power (``W``, ``mW``), ``*_j`` energy (``J``, ``mJ``). Columns without an
        entry are taken to be in the canonical unit already (MHz, ms, W, J). After conversion,
        a frequency above 100 GHz or below 1 MHz, a latency above a day or a power above 100 kW
        is taken for a missing or wrong unit: a ``ValueError`` names the column, the row and the
        likely unit.
    aggregate:
        ``None`` (default): rows repeating the same identifying values (keys and frequencies)
        must carry identical measured values, and exact repeats are kept once; otherwise a
        ``ValueError`` is raised. ``"mean"`` or ``"median"``: repeats are averaged, column by
        column. Either way, rows are merged only when they are true repeats: if merged rows
        differ in a source column that was not selected (a core mask, a CPU frequency, a
        ``stage`` column), loading stops with an error naming those columns, since they most
        likely tell different measurements apart: select them with ``keys=[...]``, carry them
        as measured values with ``values=[...]``, or declare them irrelevant with ``ignore=[...]``.
    keys:
        Source column names kept under their own name as key columns (shorthand for
        ``columns={k: k}``), e.g. ``keys=["size"]``.
    values:
        Further measured columns that identify nothing (temperature, utilisation...), kept as
        float columns after the canonical measured ones and averaged by ``aggregate`` like them.
        Each is an output name mapped in ``columns``, or a source column of that name.
    ignore:
        Source columns (not selected) that may differ between repeats of one measurement, such
        as a run id or a timestamp; dropped like every unselected column, but not checked.
    constants:
        Constant key columns added to every row, e.g. ``{"device": "TX2"}``.
    name:
        Name used for the source in error messages (default: the file path, or ``"DataFrame"``).
    **read_csv_kwargs:
        Passed to :func:`pandas.read_csv` for a file (e.g. ``sep=";"``, ``skiprows=2``,
        ``comment="#"``, ``encoding="latin-1"``); ``chunksize`` and ``iterator`` are refused.

    Returns
    -------
    pandas.DataFrame
        One row per measurement with, in order: the ``constants`` (after ``file`` for a list
        of files), the key columns (``device``, ``dnn``, ``block``, other keys, then the
        frequencies), then ``latency_ms``, ``power_w`` and ``energy_j`` (those available), then
        the ``values``. Frequencies (``*_mhz``) are float MHz, latency float ms, power float W,
        energy float J per inference. With latency and one of power and energy the other is
        derived: ``energy_j = power_w * latency_ms / 1000``. Source columns that were not
        selected are dropped (for a DataFrame too: keeping them as keys would let a measured
        column such as a temperature split every repeat; they are checked instead, see
        ``aggregate``). ``df.attrs["keys"]`` lists the identifying columns (keys and
        frequencies), ``df.attrs["measured"]`` the measured ones, ``df.attrs["source"]`` the
        source name.

    Key columns
    -----------
    Every output column that is not measured (``latency_ms``, ``power_w``, ``energy_j`` and
    the ``values``) identifies a measurement: the grouping keys (``device``, ``dnn``, ``block``
    and extra names) and the knobs (``compute_freq_mhz``, ``mem_freq_mhz``, ``cpu_freq_mhz``...).
    Two rows with equal identifying values are repeats (see ``aggregate``). Key values keep their
    source type (strings, integers); only ``*_mhz``/``*_ms``/``*_w``/``*_j`` columns and the
    ``values`` are numeric.

    Row numbers in errors
    ---------------------
    Errors are ``ValueError`` naming the source, the row and the column. For a file, the row is
    the line number as shown by a text editor: the header is line 1, so the first data row is
    ``row 2``; lines skipped by ``skiprows=``, comment lines, blank lines and quoted fields that
    span lines are counted. (With ``read_csv`` options whose line structure is not modelled,
    such as a regular-expression ``sep`` or ``on_bad_lines="skip"``, errors say ``data row N``,
    the 1-based position among the data rows.) For a DataFrame, the row is the 1-based
    position: the first row is ``row 1``. Blank lines are skipped (as ``read_csv`` does), and so
    are rows of separators only (``,,,``) after the last data row; such a row between data rows
    is an error. Raised for: a missing, unreadable or non-regular file (a FIFO, a device), a
    pattern matching no file, a missing source column, a source column whose name appears more
    than once in the header, ``compute_freq_mhz`` or every measured column without a source,
    a unit for an unknown column or an unknown unit, empty files or tables, empty, non-numeric,
    NaN or infinite cells, missing key values, non-positive frequencies or latencies, negative
    power or energy, implausible magnitudes (see ``units``), and repeats with conflicting
    values (unless ``aggregate``) or merging rows that differ in unselected columns.
    """
    if aggregate is not None and aggregate not in AGGREGATES:
        raise ValueError(f"aggregate must be None, 'mean' or 'median', got {aggregate!r}")
    for label, value in (("columns", columns), ("units", units), ("constants", constants)):
        if value is not None and not isinstance(value, Mapping):
            raise TypeError(f"{label} must be a mapping (dict), got {type(value).__name__}")
    refused = [k for k in _READ_CSV_REFUSED if k in read_csv_kwargs]
    if refused:
        raise TypeError(f"read_measurements loads whole files: {refused[0]}= is not supported")
    spec = _Spec(dict(columns or {}), dict(units or {}), aggregate, _names(keys, "keys"), _names(values, "values"),
                 _names(ignore, "ignore"), dict(constants or {}))
    files = _files(source)
    if files is None:
        return _read_one(source, name, spec, read_csv_kwargs)
    if name is not None:
        raise ValueError("name= names one source; rows of a list of files are named by their file's path")
    taken = [n for n in (*spec.constants, *spec.columns, *spec.keys, *spec.values) if n == FILE_KEY]
    if taken:
        raise ValueError(f"{FILE_KEY!r} is the key column of a list of files (each row's path); "
                         f"name your column differently")
    frames: List[pd.DataFrame] = []
    for path in files:
        one = dataclasses.replace(spec, constants={FILE_KEY: path, **spec.constants})
        df = _read_one(path, None, one, read_csv_kwargs)
        if frames and list(df.columns) != list(frames[0].columns):
            raise ValueError(f"{path}: loads the columns {list(df.columns)}, but {files[0]} loads "
                             f"{list(frames[0].columns)}: the files of one table need the same columns")
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    out.attrs = {"keys": frames[0].attrs["keys"], "measured": frames[0].attrs["measured"],
                 "source": os.fspath(source) if isinstance(source, (str, os.PathLike)) else list(files)}
    return out


@dataclasses.dataclass(frozen=True)
class _Spec:
    """What to load: the options of :func:`read_measurements` after their type checks."""

    columns: Dict[str, str]
    units: Dict[str, str]
    aggregate: Optional[str]
    keys: List[str]
    values: List[str]
    ignore: List[str]
    constants: Dict[str, Any]


def _names(value: Any, label: str) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence) or not all(isinstance(k, str) for k in value):
        raise TypeError(f"{label} must be a list of column names (strings), got {value!r}")
    return list(value)


def _files(source: Any) -> Optional[List[str]]:
    """The files of a list or a glob pattern, or None for a single source."""
    if isinstance(source, pd.DataFrame):
        return None
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not isinstance(path, str) or os.path.exists(path) or not re.search(r"[*?[]", path):
            return None
        matches = sorted(glob.glob(path, recursive=True))
        if not matches:
            raise ValueError(f"{path}: no file matches this pattern")
        return matches
    if isinstance(source, (list, tuple)):
        if not all(isinstance(p, (str, os.PathLike)) for p in source):
            raise TypeError("a list of sources holds CSV paths only (load DataFrames one by one and concatenate)")
        paths = [os.fspath(p) for p in source]
        if not paths:
            raise ValueError("no files given (an empty list)")
        twice = sorted({p for p in paths if paths.count(p) > 1})
        if twice:
            raise ValueError(f"{twice[0]}: listed twice")
        return paths
    raise TypeError(f"source must be a CSV path, a list of paths, a glob pattern or a pandas DataFrame, "
                    f"not {type(source).__name__}")


def _read_one(source: Any, name: Optional[str], spec: _Spec, read_csv_kwargs: Mapping[str, Any]) -> pd.DataFrame:
    raw, rows, duplicated = _load(source, name, read_csv_kwargs)
    src = rows.source_name
    mapping = _mapping(raw, spec, src, duplicated)
    conv = _unit_factors(mapping, spec.units, src, spec.values)
    clash = [k for k in spec.constants if k in mapping]
    if clash:
        raise ValueError(f"{src}: column {clash[0]!r} is both mapped from the source and given as a constant")

    out: Dict[str, Any] = {}
    for out_name, src_col in mapping.items():
        column = raw[src_col]
        if _suffix(out_name) is None and out_name not in spec.values:
            _check_keys(column, src_col, rows)
            out[out_name] = column.copy()  # keeps its dtype (strings stay strings)
        else:
            with np.errstate(over="ignore", under="ignore"):
                arr = _numeric(column.to_numpy(), src_col, rows) * conv.get(out_name, 1.0)
            _check_finite(arr, out_name, src_col, rows, "after conversion to the canonical unit")
            _check_range(arr, out_name, src_col, rows)
            out[out_name] = arr
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if "latency_ms" in out and "power_w" in out and "energy_j" not in out:
            out["energy_j"] = out["power_w"] * out["latency_ms"] / 1000.0
            _check_finite(out["energy_j"], "energy_j", mapping["power_w"], rows, "(power_w * latency_ms)")
        elif "latency_ms" in out and "energy_j" in out and "power_w" not in out:
            out["power_w"] = out["energy_j"] * 1000.0 / out["latency_ms"]
            _check_finite(out["power_w"], "power_w", mapping["energy_j"], rows, "(energy_j / latency_ms)")
    for out_name, src_col in mapping.items():
        _check_magnitude(out[out_name], out_name, src_col, rows, spec.units.get(out_name))

    measured = [c for c in MEASURED if c in out] + list(spec.values)
    df = pd.DataFrame({c: out[c] for c in out if c not in measured})
    for pos, (k, v) in enumerate(spec.constants.items()):  # constant keys first, keeping their type
        df.insert(pos, k, pd.Series([v] * len(df), index=df.index))
    ident = list(df.columns)
    for c in measured:
        df[c] = out[c]
    used = set(mapping.values()) | set(spec.ignore)
    unselected = [i for i, c in enumerate(raw.columns) if c not in used]
    df = _resolve_repeats(df, ident, measured, spec.aggregate, rows, mapping, raw.iloc[:, unselected], spec.constants)
    df.attrs["keys"] = list(ident)
    df.attrs["measured"] = list(measured)
    df.attrs["source"] = src
    return df


def _load(source: Any, name: Optional[str],
          kwargs: Mapping[str, Any]) -> Tuple[pd.DataFrame, _Rows, Dict[str, Tuple[str, int]]]:
    """The source as a table, its row numbering and its duplicated column names (loaded name ->
    the name as the source spells it and how many columns have it)."""
    if isinstance(source, pd.DataFrame):
        src = name or "DataFrame"
        if source.shape[1] == 0:
            raise ValueError(f"{src}: no columns")
        if len(source) == 0:
            raise ValueError(f"{src}: no data rows")
        raw = source.reset_index(drop=True)  # a new object: the caller's frame is untouched
        counts = raw.columns.value_counts()
        duplicated = {c: (c, int(k)) for c, k in counts.items() if k > 1 and isinstance(c, str)}
        return raw, _Rows(src, np.arange(1, len(raw) + 1)), duplicated
    path = os.fspath(source)
    src = name or path
    _check_file(path, src)
    opts = dict(kwargs)
    try:
        raw = pd.read_csv(path, **opts)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{src}: empty file (no header line)") from None
    except pd.errors.ParserError as err:
        raise ValueError(f"{src}: cannot be read as CSV: {err}") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"{src}: cannot be read as text ({err}); pass encoding=... for a non-UTF-8 file") from None
    except OSError as err:  # the file changed since the checks
        raise ValueError(f"{src}: cannot be read ({err.strerror or err})") from None
    if "index_col" not in opts and not isinstance(raw.index, pd.RangeIndex):
        # pandas silently turns the leading fields of over-long rows into an index (shifting values)
        raise ValueError(
            f"{src}: data rows have more fields than the header line's {raw.shape[1]} columns "
            f"(check the separator, or pass index_col=...)"
        )
    n_read = len(raw)
    rows = _Rows(src, find_numbers=lambda: _file_lines(path, opts, n_read))
    empty = raw.isna().all(axis=1).to_numpy()
    if empty.any():
        filled = np.flatnonzero(~empty)
        end = int(filled[-1]) + 1 if filled.size else 0
        inside = np.flatnonzero(empty[:end])
        if inside.size:
            raise ValueError(f"{rows.where(int(inside[0]))}: every cell is empty (or NaN) in a row between data "
                             f"rows; delete the row or fill it in")
        raw = raw.iloc[:end]  # rows of separators only after the last data row (spreadsheet padding)
    if len(raw) == 0:
        raise ValueError(f"{src}: no data rows (header only)")
    return raw, rows, _duplicated_header(path, raw, opts)


_FILE_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _check_file(path: str, src: str) -> None:
    """A readable regular file, else ValueError (a FIFO without a writer would block forever)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ValueError(f"{src}: no such file") from None
    except OSError as err:
        raise ValueError(f"{src}: cannot be read ({err.strerror or err})") from None
    if stat.S_ISDIR(mode):
        raise ValueError(f"{src}: is a directory, not a CSV file")
    if not stat.S_ISREG(mode):
        kind = next((text for test, text in _FILE_KINDS if test(mode)), "not a regular file")
        raise ValueError(f"{src}: is {kind}, not a regular file; save the measurements to a CSV file first")
    try:
        with open(path, "rb"):
            pass
    except OSError as err:
        raise ValueError(f"{src}: cannot be read ({err.strerror or err})") from None


def _compression(path: str, opts: Mapping[str, Any]) -> Any:
    method = opts.get("compression", "infer")
    if isinstance(method, Mapping):
        method = method.get("method")
    if method == "infer":
        lower = path.lower()
        if lower.endswith((".tar", ".tar.gz", ".tar.bz2", ".tar.xz", ".tgz")):
            return "tar"
        method = next((m for s, m in ((".gz", "gzip"), (".bz2", "bz2"), (".zip", "zip"), (".xz", "xz"),
                                      (".zst", "zstd")) if lower.endswith(s)), None)
    return method


def _file_lines(path: str, opts: Mapping[str, Any], n_rows: int) -> Optional[np.ndarray]:
    """Editor line numbers of the rows read from ``path`` (None when they cannot be told)."""
    import bz2
    import gzip
    import lzma

    openers: Dict[Any, Callable[..., Any]] = {None: open, "gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}
    opener = openers.get(_compression(path, opts))
    if opener is None:
        return None
    try:
        with opener(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError, lzma.LZMAError):
        return None
    return data_line_numbers(data, opts, n_rows)


#: read_csv options that decide how the header line splits into names.
_STRUCTURAL = ("sep", "delimiter", "quotechar", "quoting", "doublequote", "escapechar", "comment", "skiprows",
               "skip_blank_lines", "encoding", "encoding_errors", "engine", "lineterminator", "compression",
               "skipinitialspace", "dialect", "delim_whitespace")


def _duplicated_header(path: str, raw: pd.DataFrame, opts: Mapping[str, Any]) -> Dict[str, Tuple[str, int]]:
    """Loaded column name -> (header name, count), for the names the header holds more than once
    (pandas silently renames the copies ``x.1``, ``x.2``...)."""
    names = [str(c) for c in raw.columns]
    present = set(names)
    suspicious = any((m := re.fullmatch(r"(.*)\.\d+", c)) is not None and m.group(1) in present for c in names)
    header = opts.get("header", "infer")
    if not suspicious or opts.get("names") is not None or not isinstance(header, (int, str)) or header is None:
        return {}
    row = 0 if header == "infer" else int(header)
    try:
        head = pd.read_csv(path, header=None, nrows=row + 1, dtype=str, keep_default_na=False, na_filter=False,
                           **{k: v for k, v in opts.items() if k in _STRUCTURAL})
    except (ValueError, OSError):
        return {}
    spelled = [str(v) for v in head.iloc[row]] if len(head) > row else []
    if len(spelled) != len(names):  # usecols= or index_col=: no one-to-one view of the header
        return {}
    return {n: (s, spelled.count(s)) for n, s in zip(names, spelled) if spelled.count(s) > 1}


def _mapping(raw: pd.DataFrame, spec: _Spec, src: str, duplicated: Mapping[str, Tuple[str, int]]) -> Dict[str, str]:
    """Output name -> source column, checked against the source's columns."""
    available = [str(c) for c in raw.columns]
    mapping: Dict[str, str] = {}
    for out_name, src_col in spec.columns.items():
        if not isinstance(out_name, str) or not isinstance(src_col, str):
            raise TypeError(f"columns maps output names to source column names (strings), got {out_name!r}: {src_col!r}")
        mapping[out_name] = src_col
    for k in spec.keys:
        if k in mapping and mapping[k] != k:
            raise ValueError(f"{src}: key {k!r} is also mapped from column {mapping[k]!r}")
        mapping[k] = k
    for v in spec.values:
        if v in spec.keys or v in MEASURED:
            raise ValueError(f"{src}: {v!r} cannot be both a key and a value" if v in spec.keys else
                             f"{src}: {v!r} is measured already; values= names further measured columns")
        mapping.setdefault(v, v)
    for canon in CANONICAL:
        if canon not in mapping and canon not in spec.constants and canon in raw.columns and canon not in mapping.values():
            mapping[canon] = canon
    for out_name, src_col in mapping.items():
        if src_col not in raw.columns:
            raise ValueError(
                f"{src}: missing column {src_col!r} (for {out_name!r}); the source has columns {available}"
            )
        if src_col in duplicated:
            spelled, count = duplicated[src_col]
            raise ValueError(f"{src}: column {spelled!r} appears {count} times in the header (for {out_name!r}): "
                             f"which one is meant is ambiguous; rename the copies")
    seen: Dict[str, str] = {}
    for out_name, src_col in mapping.items():
        if src_col in seen:
            raise ValueError(f"{src}: column {src_col!r} is mapped twice (to {seen[src_col]!r} and {out_name!r})")
        seen[src_col] = out_name
    for col in spec.ignore:
        if col not in raw.columns or col in seen:
            raise ValueError(f"{src}: ignore= names {col!r}, which is " +
                             ("selected" if col in seen else f"not a source column; the source has columns {available}"))
    for req in REQUIRED:
        if req not in mapping:
            raise ValueError(
                f"{src}: missing column {req!r}: map it with columns={{{req!r}: '<source column>'}}; "
                f"the source has columns {available}"
            )
    if not any(c in mapping for c in MEASURED):
        raise ValueError(
            f"{src}: no measured column: map at least one of 'latency_ms', 'power_w', 'energy_j' "
            f"(e.g. columns={{'latency_ms': '<source column>'}}); the source has columns {available}"
        )
    # Order: device, dnn, block, other keys, extra numeric columns, frequencies, measurements, values.
    head = [c for c in ("device", "dnn", "block") if c in mapping]
    others = [c for c in mapping if c not in CANONICAL and c not in spec.values and _suffix(c) is None]
    extra = [c for c in mapping if c not in CANONICAL and c not in spec.values and _suffix(c) is not None]
    freqs = [c for c in ("compute_freq_mhz", "mem_freq_mhz") if c in mapping]
    tail = [c for c in MEASURED if c in mapping]
    return {c: mapping[c] for c in head + others + extra + freqs + tail + list(spec.values)}


def _unit_factors(mapping: Mapping[str, str], units: Mapping[str, str], src: str,
                  values: Sequence[str]) -> Dict[str, float]:
    factors: Dict[str, float] = {}
    for out_name, unit in units.items():
        if out_name not in mapping:
            raise ValueError(
                f"{src}: units given for unknown column {out_name!r}; loaded columns are {list(mapping)}"
            )
        suffix = _suffix(out_name)
        if suffix is None:
            raise ValueError(
                f"{src}: column {out_name!r} " + ("takes no unit" if out_name in values else "is a key column and takes no unit")
                + " (only *_mhz, *_ms, *_w, *_j columns are converted; name a value e.g. 'gpu_power_w' to convert it)"
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
                    raise ValueError(f"{rows.where(i, src_col)}: {_plain(v)} is not a number") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.argmax(bad))
        what = "empty cell (or NaN)" if math.isnan(arr[i]) else f"value {_plain(arr[i])} is not finite"
        raise ValueError(f"{rows.where(i, src_col)}: {what}")
    return arr


def _check_finite(arr: np.ndarray, out_name: str, src_col: str, rows: _Rows, how: str) -> None:
    """A finite source value can overflow on conversion (1e308 GHz) or derivation (energy)."""
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{rows.where(i, src_col)}: {out_name} overflows {how}")


def _check_keys(values: pd.Series, src_col: str, rows: _Rows) -> None:
    missing = values.isna().to_numpy()
    if missing.any():
        i = int(np.argmax(missing))
        raise ValueError(f"{rows.where(i, src_col)}: missing key value")


def _check_range(arr: np.ndarray, out_name: str, src_col: str, rows: _Rows) -> None:
    if out_name.endswith("_mhz") or out_name == "latency_ms":
        bad = arr <= 0
        what = "frequency" if out_name.endswith("_mhz") else "latency"
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"{rows.where(i, src_col)}: {what} must be positive, got {_plain(arr[i])}")
    elif out_name in ("power_w", "energy_j"):
        bad = arr < 0
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"{rows.where(i, src_col)}: {out_name[:-2]} must not be negative, got {_plain(arr[i])}")


def _check_magnitude(arr: np.ndarray, out_name: str, src_col: str, rows: _Rows, unit: Optional[str]) -> None:
    """Stop at a value no measurement has: a unit is missing or wrong (Hz read as MHz)."""
    rule = "_mhz" if out_name.endswith("_mhz") else out_name
    if rule not in PLAUSIBLE:
        return
    low, high, low_text, high_text = PLAUSIBLE[rule]
    bad = (arr < low) | (arr > high)
    if not bad.any():
        return
    i = int(np.argmax(bad))
    suffix = _suffix(out_name)
    assert suffix is not None
    table = UNITS[suffix]
    canonical = next(u for u, f in table.items() if f == 1.0)
    given = unit or canonical
    with np.errstate(over="ignore"):
        median = float(np.median(arr)) / table[given]  # in the source's own unit
    fits = [u for u, f in table.items() if u != given and low <= median * f <= high]
    # of the units that make the column plausible, the one nearest a typical value (log scale)
    typical = {"_mhz": 1e3, "latency_ms": 1e2, "power_w": 10.0}[rule]
    fits.sort(key=lambda u: abs(math.log10(max(median * table[u], 1e-300) / typical)))
    side = f"above {high_text}" if arr[i] > high else f"below {low_text}"
    how = f"from {given}" if unit else f"no unit given, so read as {canonical}"
    hint = (f": the column looks like {fits[0]}, pass units={{{out_name!r}: {fits[0]!r}}}" if fits else
            f": check its unit (units={{{out_name!r}: ...}}, one of {list(table)})")
    raise ValueError(f"{rows.where(i, src_col)}: {out_name} = {_plain(arr[i])} {canonical} is implausible "
                     f"({side}; {how}){hint}")

def _group_ids(df: pd.DataFrame, columns: List[str]) -> np.ndarray:
    """Id of each row's combination of values in ``columns``, 0, 1, ... in order of first
    appearance (vectorised: one hash factorisation per column, then of the combined codes)."""
    group = np.zeros(len(df), dtype=np.int64)
    size = 1
    for c in columns:
        codes, uniques = pd.factorize(df[c], sort=False)
        if size * len(uniques) >= 2**62:  # renumber densely before the mixed-radix code overflows
            group, kept = pd.factorize(group, sort=False)
            size = len(kept)
        group = group * len(uniques) + codes
        size *= len(uniques)
    return pd.factorize(group, sort=False)[0].astype(np.int64)


def _resolve_repeats(df: pd.DataFrame, ident: List[str], measured: List[str], aggregate: Optional[str],
                     rows: _Rows, mapping: Mapping[str, str], unselected: pd.DataFrame,
                     constants: Mapping[str, Any]) -> pd.DataFrame:
    """Merges repeats (rows with equal identifying values): kept once when identical, averaged
    with ``aggregate``; refused when they conflict or differ in an unselected source column."""
    n = len(df)
    group = _group_ids(df, [c for c in ident if c not in constants])
    # group ids count up in order of first appearance: a group's first row raises the running max
    first = np.flatnonzero(np.r_[True, group[1:] > np.maximum.accumulate(group)[:-1]]) if n else group
    if len(first) == n:
        return df
    ref = first[group]  # for every row, the first row with the same identifying values
    rep = np.flatnonzero(ref != np.arange(n))  # rows repeating an earlier one
    same = f"same {', '.join(ident)}"
    differing = _differing(unselected, ref, rep)
    if aggregate is None:
        conflict = None  # (row, column) of the earliest conflicting repeat
        for col in measured:
            v = df[col].to_numpy()
            bad = rep[v[rep] != v[ref[rep]]]
            if bad.size and (conflict is None or bad[0] < conflict[0]):
                conflict = (int(bad[0]), col)
        if conflict is not None:
            pos, col = conflict
            j = int(ref[pos])
            a, b = df[col].iat[j], df[col].iat[pos]
            where = rows.where(pos, mapping.get(col, col)) + ("" if mapping.get(col, col) == col else f" (for {col!r})")
            raise ValueError(
                f"{where}: repeats {rows.label(j)} ({same}) with a different value ({_plain(b)} vs {_plain(a)}); "
                + (_differing_hint(differing, rows) + " (aggregate= is for true repeats of one measurement)"
                   if differing else "pass aggregate='mean' or 'median' to average repeats of one measurement")
            )
        if differing:
            pos = min(d[1] for d in differing)
            raise ValueError(
                f"{rows.where(pos)}: repeats {rows.label(int(ref[pos]))} ({same}) with the same measured values; "
                + _differing_hint(differing, rows)
            )
        return df.iloc[ref == np.arange(n)].reset_index(drop=True)
    if differing:
        raise ValueError(
            f"{rows.source_name}: aggregate={aggregate!r} would average rows that are not repeats of one "
            f"measurement; " + _differing_hint(differing, rows)
        )
    grouped = df[measured].groupby(group, sort=True)
    with np.errstate(over="ignore"):
        agg = grouped.mean() if aggregate == "mean" else grouped.median()
    for col in measured:
        if not np.all(np.isfinite(agg[col].to_numpy(dtype=float))):
            raise ValueError(f"{rows.source_name}: column {col!r}: the {aggregate} of repeated rows overflows")
    out = df[ident].iloc[first].reset_index(drop=True)  # groups in order of first appearance
    for col in measured:
        out[col] = agg[col].to_numpy()
    return out


# (column name, first repeating row where it differs from its group's first row, that first row,
# the two values, and what the column looks like: "key", "value" (measured) or "id" (row id))
_Differing = Tuple[Any, int, int, Any, Any, str]


def _differing(unselected: pd.DataFrame, ref: np.ndarray, rep: np.ndarray) -> List[_Differing]:
    """The unselected source columns whose value differs between a repeat and its first row."""
    out: List[_Differing] = []
    for k in range(unselected.shape[1]):
        col = unselected.iloc[:, k]
        codes, uniques = pd.factorize(col, use_na_sentinel=True)  # NaN == NaN here
        bad = rep[codes[rep] != codes[ref[rep]]]
        if bad.size:
            pos, j = int(bad[0]), int(ref[bad[0]])
            x = col.to_numpy()
            if len(uniques) == len(col):
                kind = "id"
            elif x.dtype.kind == "f" and np.any(np.mod(x[np.isfinite(x)], 1.0) != 0):
                kind = "value"
            else:
                kind = "key"
            out.append((unselected.columns[k], pos, j, col.iat[pos], col.iat[j], kind))
    return out


def _differing_hint(differing: List[_Differing], rows: _Rows) -> str:
    groups = {kind: [d for d in differing if d[5] == kind] for kind in ("key", "value", "id")}
    labels = {"key": "keys?", "value": "measured values?", "id": "row ids (a different value in every row)?"}
    parts = [f"{labels[kind]} {[d[0] for d in ds]!r}" for kind, ds in groups.items() if ds]
    name, pos, j, a, b, _ = next(ds[0] for ds in groups.values() if ds)
    return (f"these rows differ in source columns that were not selected: {'; '.join(parts)} "
            f"(e.g. {name!r} is {_plain(a)} in {rows.label(pos)} but {_plain(b)} in {rows.label(j)}). "
            f"Pass keys=[...] for the columns that tell measurements apart, values=[...] for measured "
            f"ones, ignore=[...] for the others")

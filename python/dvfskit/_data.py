"""Checks on numeric input shared by the whole package."""
from __future__ import annotations

import difflib
import importlib
import math
import numbers
from typing import Any, Dict, Iterable, List, Optional

import numpy as np
import pandas as pd


def scalar(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """A finite number > 0 (>= 0 with ``allow_zero``) as float, else ValueError naming ``name``;
    strings and booleans are not numbers here."""
    if isinstance(value, (str, bytes, bool)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name} must be finite and {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return v


def numeric_column(values: Any, name: str, *, source: str = "data", first_row: int = 0) -> np.ndarray:
    """``values`` as a 1-D float64 array; raise ``ValueError`` naming ``source``, the row and the
    column at the first non-numeric, NaN or infinite entry. Rows are reported as
    ``first_row + index`` (pass 1 for 1-based numbering). The input is never modified (a copy is
    returned where a conversion happens)."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{source}: column {name!r} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind not in "fiub":
        converted = np.empty(arr.shape[0], dtype=float)
        for i, v in enumerate(arr):
            try:
                converted[i] = float(v)
            except (TypeError, ValueError):
                v = v.item() if isinstance(v, np.generic) else v
                raise ValueError(
                    f"{source}: row {first_row + i}, column {name!r}: {v!r} is not a number"
                ) from None
        arr = converted
    arr = np.asarray(arr, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{source}: row {first_row + i}, column {name!r}: value {arr[i]!r} is not finite")
    return arr


def did_you_mean(name: Any, valid: Iterable[Any], cutoff: float = 0.6) -> str:
    """``"; did you mean 'x'?"`` for the valid name closest to ``name`` (empty when none is close)."""
    close = difflib.get_close_matches(str(name), [str(v) for v in valid], n=1, cutoff=cutoff)
    return f"; did you mean {close[0]!r}?" if close else ""


def json_value(value: Any) -> Any:
    """A JSON-safe Python scalar: numpy scalars unwrapped, NaN, inf and pandas' NA as None, other
    values as they are."""
    if value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_records(df: pd.DataFrame) -> List[Dict[str, Any]]:
    """A DataFrame's rows as JSON-safe dicts (column -> :func:`json_value`) at full precision."""
    return [{str(k): json_value(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def json_list(values: Any) -> Any:
    """A float array (any shape) as nested lists with NaN and inf as None (JSON-safe)."""
    arr = np.asarray(values, dtype=float)
    out = arr.astype(object)
    out[~np.isfinite(arr)] = None
    return out.tolist()


def integer(value: Any, name: str, *, minimum: int = 0) -> int:
    """A whole number >= ``minimum`` as int, else ValueError naming ``name``. Integral floats
    (``1e5``) are accepted; fractional ones (2.7) are not truncated, strings and booleans are
    not numbers."""
    if isinstance(value, (str, bytes, bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v != math.floor(v) or v < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(v) if isinstance(value, float) else int(value)  # type: ignore[call-overload]


def numbers_array(values: Any, name: str) -> np.ndarray:
    """``values`` (a number, a sequence or an array of any shape) as a float64 array, else
    ValueError naming ``name`` and the position of the first entry that is not a real number
    (strings such as ``"5"`` and booleans are refused, not converted). Finiteness and signs
    are the caller's to check."""
    if isinstance(values, (str, bytes)):
        raise ValueError(f"{name} must be numbers, got {values!r}")
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:  # e.g. ragged nested lists
        raise ValueError(f"{name} must be a regular array of numbers ({exc})") from None
    if arr.dtype.kind in "fiu":
        return np.array(arr, dtype=np.float64)
    if arr.dtype.kind != "O" and not isinstance(values, np.ndarray):
        arr = np.asarray(values, dtype=object)  # [5.0, "5"] would become strings: find the culprit
    if arr.dtype.kind == "O":
        for pos, v in np.ndenumerate(arr):
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
                where = "" if not pos else f"[{', '.join(map(str, pos))}]"
                raise ValueError(f"{name}{where} must be a number, got {v!r}")
        return arr.astype(np.float64)
    if arr.size == 0:
        raise ValueError(f"{name} must be numbers, got an empty {arr.dtype} array")
    where = "" if arr.ndim == 0 else f"[{', '.join(['0'] * arr.ndim)}]"
    raise ValueError(f"{name}{where} must be a number, got {arr.flat[0].item()!r}")


def require(module: str, purpose: str, install: Optional[str] = None) -> Any:
    """Import an optional dependency up front, before any work starts: the module, or an
    ImportError with a one-line hint (``{purpose} needs {module}: pip install {install}``)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{purpose} needs {module.split('.')[0]}: pip install {install or module}") from None

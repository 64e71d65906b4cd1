"""Checks on numeric input shared by the whole package."""
from __future__ import annotations

import math
from typing import Any

import numpy as np


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


def json_list(values: Any) -> Any:
    """A float array (any shape) as nested lists with NaN and inf as None (JSON-safe)."""
    arr = np.asarray(values, dtype=float)
    out = arr.astype(object)
    out[~np.isfinite(arr)] = None
    return out.tolist()

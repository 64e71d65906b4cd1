"""Problems described in TOML files (for the command line and scripts), units in the key names.

Either the bundled TX2 example::

    [example]
    name = "tx2_offloading"        # examples.tx2_offloading_problem
    input_size = "400x400"
    server_speedup = 8.0

or per-block measurements in a CSV with a ``block`` column, the knob columns (``compute_freq_mhz``,
optional ``mem_freq_mhz``, any other ``*_mhz`` frequency such as ``cpu_freq_mhz``, and
non-frequency knobs such as a core mask), ``latency_ms`` and ``power_w`` or ``energy_j``; one row
per block and configuration, every block with the same configurations (a sparse set is fine);
``columns``/``units`` as in :func:`dvfskit.read_measurements`)::

    [device]
    measurements = "blocks.csv"    # relative to this file's folder, and inside it (see below)
    columns = { latency_ms = "time", cpu_freq_mhz = "cpu" }
    units = { latency_ms = "s", cpu_freq_mhz = "kHz" }
    knobs = ["cpu_freq_mhz", "compute_freq_mhz", "mem_freq_mhz", "core_mask"]  # default: the *_mhz columns

    [workload]                     # offloading (solve, sweep) only
    out_bits = [1.2e6, 8.0e5, 2.0e5, 4.0e3]      # L + 1 values: input, then after each block
    server_latency_ms = [12.0, 8.0, 3.0, 0.0]    # L + 1 values: blocks l..L-1 on the server
    offload_fractions = [0.0, 0.25, 0.5, 0.75, 1.0]  # optional: partial offloading

    [channel]                      # offloading (solve, sweep) only
    bandwidth_hz = 1e6
    gain = 1e-11
    noise_w_per_hz = 3.98e-21
    p_max_w = 0.5
    p_circuit_w = 0.1

and, for offloading and schedules alike::

    objective = "energy"           # top level, before any [section]: energy, latency or edp (solve, sweep)

    [scenario]
    deadline_ms = 300.0
    idle_power_w = 1.0             # offloading: while waiting for the server; schedule: while idle

    [schedule]                     # optional, for `dvfskit schedule`
    switch_time_ms = 5.0           # or { compute = 5.0, memory = 8.0 }
    switch_energy_j = 0.01

A schedule needs only ``[device]`` (or ``[example]``) and ``[scenario] deadline_ms``:
``[workload]`` and ``[channel]`` are for offloading. Without a ``mem_freq_mhz`` column there is
no memory axis (schedules show no memory frequency; an offloading problem has no such knob).
Blocks are ordered by their ``block`` value. Offloading problems take every knob; schedules the
compute and memory frequencies (``dvfskit.block_tables``).

The file is checked against :data:`SCHEMA` (sections -> keys -> value checks): unknown sections
and keys are errors naming the nearest valid name, values must have the documented type
(``deadline_ms = "5"`` or ``= true`` is refused), and every error names the file, the section
and the key (:class:`ProblemFileError`, a ``ValueError``).

Data paths (``[device] measurements``) are resolved in the problem file's folder and must stay
inside it (after following symbolic links): a problem file from elsewhere cannot make dvfskit
read other files on the machine. ``allow_outside_paths=True`` (command line:
``--allow-outside-paths``) lifts this.
"""
from __future__ import annotations

import math
import numbers
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np
import pandas as pd

from ._data import did_you_mean, numbers_array

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if TYPE_CHECKING:  # pragma: no cover - imported when used
    from ._schedule import BlockTables
    from ._solve import Problem


class ProblemFileError(ValueError):
    """A problem file that cannot be used; the message names the file, section and key."""


# ---------------------------------------------------------------------------------------------
# Value checks: (value, where) -> cleaned value, else ProblemFileError naming `where`
# ---------------------------------------------------------------------------------------------

Check = Callable[[Any, str], Any]


def _show(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def number(*, allow_zero: bool = False) -> Check:
    """A finite number > 0 (>= 0 with ``allow_zero``); TOML integers and floats, not strings or
    booleans."""
    def check(value: Any, where: str) -> float:
        if not _is_number(value):
            raise ProblemFileError(f"{where} must be a number, got {_show(value)}")
        v = float(value)
        if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
            raise ProblemFileError(f"{where} must be finite and {'>= 0' if allow_zero else '> 0'}, got {_show(value)}")
        return v
    return check


def choice(*options: str) -> Check:
    """One of ``options`` (a string)."""
    def check(value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise ProblemFileError(f"{where} must be one of {list(options)}, got {_show(value)}")
        if value not in options:
            raise ProblemFileError(f"{where} = {_show(value)} is not one of {list(options)}{did_you_mean(value, options)}")
        return value
    return check


def text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ProblemFileError(f"{where} must be a non-empty string, got {_show(value)}")
    return value


def text_table(value: Any, where: str) -> Dict[str, str]:
    """An inline table of strings, e.g. ``{ latency_ms = "time" }``."""
    if not isinstance(value, Mapping):
        raise ProblemFileError(f"{where} must be a table such as {{ latency_ms = \"time\" }}, got {_show(value)}")
    for k, v in value.items():
        text(v, f"{where}.{k}")
    return dict(value)


def number_list(value: Any, where: str) -> np.ndarray:
    """A non-empty array of finite numbers >= 0."""
    if not isinstance(value, list) or not value:
        raise ProblemFileError(f"{where} must be a non-empty array of numbers, got {_show(value)}")
    try:
        a = numbers_array(value, where)
    except ValueError as exc:
        raise ProblemFileError(str(exc)) from None
    bad = ~np.isfinite(a) | (a < 0) if a.ndim == 1 else np.ones(1, dtype=bool)
    if bad.any():
        raise ProblemFileError(f"{where} must be a flat array of finite numbers >= 0" + (
            f"; entry {int(np.argmax(bad))} is {a[int(np.argmax(bad))]:g}" if a.ndim == 1 else ""))
    return a


def text_list(value: Any, where: str) -> List[str]:
    """A non-empty array of distinct non-empty strings, e.g. ``["cpu_freq_mhz", "core_mask"]``."""
    if not isinstance(value, list) or not value:
        raise ProblemFileError(f"{where} must be a non-empty array of strings, got {_show(value)}")
    for i, v in enumerate(value):
        text(v, f"{where}[{i}]")
    if len(set(value)) != len(value):
        raise ProblemFileError(f"{where} lists a name twice: {_show(value, 80)}")
    return list(value)


def switch_cost(value: Any, where: str) -> Union[float, Dict[str, float]]:
    """A number >= 0, or a table ``{ compute = .., memory = .., any = .. }`` of them."""
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if k not in ("compute", "memory", "any"):
                raise ProblemFileError(f"{where} has unknown key {k!r}{did_you_mean(k, ('compute', 'memory', 'any'))}; "
                                       "use compute, memory (and any)")
            out[k] = number(allow_zero=True)(v, f"{where}.{k}")
        return out
    return number(allow_zero=True)(value, where)


def input_size(value: Any, where: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[1-9][0-9]{0,4}x[1-9][0-9]{0,4}", value):
        raise ProblemFileError(f"{where} must be a string HEIGHTxWIDTH such as \"400x400\", got {_show(value)}")
    return value


#: The problem-file format: section -> key -> check ("" holds the top-level keys). A new key is
#: one more entry here (and its use in ProblemFile).
SCHEMA: Dict[str, Dict[str, Check]] = {
    "": {"objective": choice("energy", "latency", "edp")},
    "example": {"name": choice("tx2_offloading"), "input_size": input_size, "server_speedup": number()},
    "device": {"measurements": text, "columns": text_table, "units": text_table,
               "aggregate": choice("mean", "median"), "knobs": text_list},
    "workload": {"out_bits": number_list, "server_latency_ms": number_list, "offload_fractions": number_list},
    "channel": {"bandwidth_hz": number(), "gain": number(), "noise_w_per_hz": number(), "p_max_w": number(),
                "p_circuit_w": number(allow_zero=True)},
    "scenario": {"deadline_ms": number(), "idle_power_w": number(allow_zero=True)},
    "schedule": {"switch_time_ms": switch_cost, "switch_energy_j": switch_cost,
                 "idle_power_w": number(allow_zero=True)},
}


def _where(section: str, key: str) -> str:
    return key if not section else f"[{section}] {key}"


def check_document(doc: Mapping[str, Any], source: str) -> Dict[str, Dict[str, Any]]:
    """The TOML document validated against :data:`SCHEMA`: ``{section: {key: value}}`` with
    ``""`` for the top level; errors name ``source``, the section and the key."""
    out: Dict[str, Dict[str, Any]] = {name: {} for name in SCHEMA}
    sections = [k for k in SCHEMA if k]
    for name, value in doc.items():
        if name in SCHEMA[""]:
            out[""][name] = SCHEMA[""][name](value, f"{source}: {name}")
            continue
        if name not in SCHEMA:
            owner = [s for s in sections if name in SCHEMA[s]]
            hint = f"; it belongs in [{owner[0]}]" if owner else did_you_mean(name, sections + list(SCHEMA[""]))
            kind = "section" if isinstance(value, Mapping) else "key"
            raise ProblemFileError(f"{source}: unknown {kind} {name!r}{hint} (sections: {', '.join(sections)})")
        if not isinstance(value, Mapping):
            raise ProblemFileError(f"{source}: [{name}] must be a table (a [{name}] section), got {_show(value)}")
        allowed = SCHEMA[name]
        for key, v in value.items():
            if key not in allowed:
                owner = [s for s in sections if key in SCHEMA[s] and s != name]
                hint = did_you_mean(key, allowed) or (f"; it belongs in [{owner[0]}]" if owner else "") or (
                    "; it is a top-level key: put it before the first [section]" if key in SCHEMA[""] else "")
                raise ProblemFileError(f"{source}: [{name}] has unknown key {key!r}{hint} (allowed: {', '.join(allowed)})")
            out[name][key] = allowed[key](v, f"{source}: {_where(name, key)}")
    return out


def read(path: Union[str, Path]) -> Dict[str, Any]:
    """The TOML file as a dict; errors name the file (never its content)."""
    path = Path(path)
    if path.exists() and not path.is_file():  # a folder, a FIFO (would block), a device
        raise ProblemFileError(f"{path}: not a regular file")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such problem file") from None
    except PermissionError:
        raise ProblemFileError(f"{path}: permission denied") from None
    except UnicodeDecodeError:
        raise ProblemFileError(f"{path}: not valid TOML (not UTF-8 text)") from None
    except tomllib.TOMLDecodeError as err:  # the message has a line and column, not the text
        raise ProblemFileError(f"{path}: not valid TOML: {str(err).splitlines()[0]}") from None


# ---------------------------------------------------------------------------------------------
# Block tables from per-block measurements
# ---------------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------------
# The problem file
# ---------------------------------------------------------------------------------------------

class ProblemFile:
    """A checked problem file: :meth:`problem` (offloading) and :meth:`block_tables`
    (schedules) build what the commands need, each asking only for the sections it uses."""

    def __init__(self, path: Union[str, Path], *, allow_outside_paths: bool = False) -> None:
        self.path = Path(path)
        self.allow_outside_paths = bool(allow_outside_paths)
        self.sections = check_document(read(self.path), str(self.path))
        s = self.sections
        if s["example"] and s["device"]:
            raise ProblemFileError(f"{self.path}: give either [example] or [device], not both")
        if not s["example"] and "measurements" not in s["device"]:
            raise ProblemFileError(f"{self.path}: give [example] name = \"tx2_offloading\" or "
                                   "[device] measurements = \"blocks.csv\"")
        if "idle_power_w" in s["scenario"] and "idle_power_w" in s["schedule"]:
            raise ProblemFileError(f"{self.path}: idle_power_w is given in [scenario] and in [schedule]; give it "
                                   "once ([scenario] is used for both)")
        self._frame: Optional[Tuple[pd.DataFrame, Path]] = None

    # -- settings -----------------------------------------------------------------------------
    @property
    def objective(self) -> str:
        return str(self.sections[""].get("objective", "energy"))

    @property
    def deadline_ms(self) -> Optional[float]:
        return self.sections["scenario"].get("deadline_ms")

    @property
    def idle_power_w(self) -> Optional[float]:
        return self.sections["scenario"].get("idle_power_w", self.sections["schedule"].get("idle_power_w"))

    @property
    def schedule_options(self) -> Dict[str, Any]:
        """Keyword arguments for :func:`dvfskit.schedule`: switching costs and idle power."""
        options = {k: v for k, v in self.sections["schedule"].items() if k != "idle_power_w"}
        if self.idle_power_w is not None:
            options["idle_power_w"] = self.idle_power_w
        return options

    def data_path(self, value: str, key: str) -> Path:
        """A data path from the file, resolved in its folder; outside it only when allowed."""
        base = self.path.parent.resolve()
        target = (base / value).resolve()
        if not self.allow_outside_paths and not target.is_relative_to(base):
            raise ProblemFileError(
                f"{self.path}: {key} = {_show(value, 80)} is outside the problem file's folder {base}; "
                "pass allow_outside_paths=True (command line: --allow-outside-paths) to read it")
        return target

    # -- what the commands need ---------------------------------------------------------------
    def _measurements(self) -> Tuple[pd.DataFrame, Path]:
        """The per-block measurements (canonical columns, the knobs of ``[device] knobs`` kept)."""
        if self._frame is None:
            from ._measurements import read_measurements

            device = dict(self.sections["device"])
            csv = self.data_path(device.pop("measurements"), "[device] measurements")
            knobs = device.pop("knobs", [])
            mapped = set(device.get("columns", {}))
            keys = [k for k in knobs if k not in mapped and k not in ("compute_freq_mhz", "mem_freq_mhz")]
            try:
                df = read_measurements(csv, keys=keys or None, **device)
            except FileNotFoundError:
                raise FileNotFoundError(f"{self.path}: [device] measurements: no such file {str(csv)!r}") from None
            self._frame = (df, csv)
        return self._frame

    def _example(self, deadline_ms: float = 300.0, idle_power_w: float = 1.0) -> "Problem":
        from . import examples

        example: Dict[str, Any] = {k: v for k, v in self.sections["example"].items() if k != "name"}
        try:
            return examples.tx2_offloading_problem(**example, deadline_ms=deadline_ms, idle_power_w=idle_power_w,
                                                   **self.sections["channel"])
        except (ValueError, KeyError) as exc:
            raise ProblemFileError(f"{self.path}: [example]: {exc}") from None

    def problem(self) -> "Problem":
        """The offloading :class:`dvfskit.Problem` (needs [workload], [channel] and [scenario]
        deadline_ms unless the file is the [example])."""
        s = self.sections
        if s["example"]:
            return self._example(deadline_ms=s["scenario"].get("deadline_ms", 300.0),
                                 idle_power_w=s["scenario"].get("idle_power_w", 1.0))
        need = [f"[workload] {k}" for k in ("out_bits", "server_latency_ms") if k not in s["workload"]]
        need += [f"[channel] {k}" for k in ("bandwidth_hz", "gain", "noise_w_per_hz", "p_max_w") if k not in s["channel"]]
        need += ["[scenario] deadline_ms"] if "deadline_ms" not in s["scenario"] else []
        if need:
            raise ProblemFileError(f"{self.path}: an offloading problem (solve, sweep) needs {', '.join(need)}; "
                                   "a schedule-only problem file works with `dvfskit schedule`")
        df, csv = self._measurements()
        from ._solve import Problem

        if "block" not in df.columns:
            raise ProblemFileError(f"{csv}: per-block measurements need a block column")
        workload = s["workload"]
        try:
            return Problem.from_measurements(
                df, knobs=s["device"].get("knobs"), block="block",
                blocks=[b.item() if isinstance(b, np.generic) else b for b in sorted(df["block"].unique())],
                out_bits=workload["out_bits"], server_latency_ms=workload["server_latency_ms"],
                offload_fractions=workload.get("offload_fractions"), **s["channel"], **s["scenario"])
        except ValueError as exc:
            raise ProblemFileError(f"{self.path}: {exc}") from None

    def block_tables(self) -> "BlockTables":
        """The per-block latency and energy tables of a schedule (:class:`dvfskit.BlockTables`)
        over the configurations measured: the knobs of ``[device] knobs`` (default: every
        ``*_mhz`` column), blocks in sorted order as in :meth:`problem`."""
        from ._schedule import block_tables

        if self.sections["example"]:
            p = self._example()
            latency, power = p.block_latency_ms, p.block_power_w
            return block_tables(latency, latency * power / 1000.0, list(p.compute_freqs_mhz), list(p.mem_freqs_mhz))
        df, csv = self._measurements()
        if "block" not in df.columns:
            raise ProblemFileError(f"{csv}: per-block measurements need a block column")
        try:
            return block_tables(df, knobs=self.sections["device"].get("knobs"), block="block",
                                blocks=[b.item() if isinstance(b, np.generic) else b for b in sorted(df["block"].unique())])
        except ValueError as exc:
            raise ProblemFileError(f"{csv}: {exc}") from None


def read_problem_file(path: Union[str, Path], *, allow_outside_paths: bool = False) -> ProblemFile:
    """The checked :class:`ProblemFile` at ``path`` (see the module docstring for the format)."""
    return ProblemFile(path, allow_outside_paths=allow_outside_paths)


def load_problem(path: Union[str, Path], *, allow_outside_paths: bool = False) -> Tuple["Problem", Dict[str, Any]]:
    """The offloading :class:`dvfskit.Problem` a TOML file describes, and the file's other
    settings (``objective`` and the ``[schedule]`` options)."""
    pf = ProblemFile(path, allow_outside_paths=allow_outside_paths)
    return pf.problem(), {"objective": pf.objective, "schedule": pf.schedule_options}


__all__: List[str] = ["SCHEMA", "ProblemFile", "ProblemFileError", "check_document",
                      "load_problem", "read", "read_problem_file"]

"""Problems described in TOML files (for the command line and scripts), units in the key names.

Either the bundled TX2 example::

    [example]
    name = "tx2_offloading"        # examples.tx2_offloading_problem
    input_size = "400x400"
    server_speedup = 8.0

or per-block measurements in a CSV with the canonical columns (``block``, ``compute_freq_mhz``,
``mem_freq_mhz``, ``latency_ms``, ``power_w`` or ``energy_j``; one row per block and frequency
pair; ``columns``/``units`` as in :func:`dvfskit.read_measurements`, relative paths from the TOML
file's folder)::

    [device]
    measurements = "blocks.csv"
    columns = { latency_ms = "time" }
    units = { latency_ms = "s" }

    [workload]
    out_bits = [1.2e6, 8.0e5, 2.0e5, 4.0e3]      # L + 1 values: input, then after each block
    server_latency_ms = [12.0, 8.0, 3.0, 0.0]    # L + 1 values: blocks l..L-1 on the server

and, for both::

    [channel]
    bandwidth_hz = 1e6
    gain = 1e-11
    noise_w_per_hz = 3.98e-21
    p_max_w = 0.5
    p_circuit_w = 0.1

    [scenario]
    deadline_ms = 300.0
    idle_power_w = 1.0

    [schedule]                      # optional, for `dvfskit schedule`
    switch_time_ms = 5.0
    switch_energy_j = 0.01
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, Mapping, Tuple, Union

import numpy as np
import pandas as pd

from . import examples
from ._measurements import read_measurements
from ._solve import Problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SCENARIO_KEYS = ("deadline_ms", "idle_power_w")
CHANNEL_KEYS = ("bandwidth_hz", "gain", "noise_w_per_hz", "p_max_w", "p_circuit_w")


def read(path: Union[str, Path]) -> Dict[str, Any]:
    """The TOML file as a dict; errors name the file."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such problem file") from None
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: not valid TOML: {err}") from None


def _section(doc: Mapping[str, Any], name: str, path: Path, allowed: Tuple[str, ...]) -> Dict[str, Any]:
    section = doc.get(name, {})
    if not isinstance(section, Mapping):
        raise ValueError(f"{path}: [{name}] must be a table")
    unknown = sorted(set(section) - set(allowed))
    if unknown:
        raise ValueError(f"{path}: [{name}] has unknown key(s) {unknown}; allowed: {list(allowed)}")
    return dict(section)


def block_tables_from_measurements(df: pd.DataFrame, source: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-block measurements (canonical columns) as tables of shape (L, nF, nM): latency (ms),
    power (W), and the compute and memory frequency tables (MHz). Every block must have every
    frequency pair. Without a ``mem_freq_mhz`` column there is one nominal memory setting,
    reported as 1 MHz."""
    need = ["block", "compute_freq_mhz", "latency_ms"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"{source}: per-block measurements need column(s) {missing}")
    if "power_w" not in df.columns:
        raise ValueError(f"{source}: per-block measurements need power_w or energy_j")
    df = df if "mem_freq_mhz" in df.columns else df.assign(mem_freq_mhz=0.0)
    blocks = np.sort(df["block"].unique())
    fq = np.sort(df["compute_freq_mhz"].unique())
    mq = np.sort(df["mem_freq_mhz"].unique())
    index = pd.MultiIndex.from_product([blocks, fq, mq], names=["block", "compute_freq_mhz", "mem_freq_mhz"])
    table = df.set_index(["block", "compute_freq_mhz", "mem_freq_mhz"])[["latency_ms", "power_w"]]
    if table.index.has_duplicates:
        raise ValueError(f"{source}: repeated (block, compute_freq_mhz, mem_freq_mhz) rows; aggregate them first")
    table = table.reindex(index)
    gaps = table[table["latency_ms"].isna()]
    if not gaps.empty:
        b, f, m = gaps.index[0]
        raise ValueError(f"{source}: block {b} has no measurement at compute {f:g} MHz, memory {m:g} MHz "
                         f"({len(gaps)} missing combinations; every block needs every frequency pair)")
    shape = (blocks.size, fq.size, mq.size)
    mem = mq if mq.any() else np.ones(1)  # no memory column: one nominal memory setting
    return (table["latency_ms"].to_numpy().reshape(shape), table["power_w"].to_numpy().reshape(shape), fq, mem)


def load_problem(path: Union[str, Path]) -> Tuple[Problem, Dict[str, Any]]:
    """The :class:`dvfskit.Problem` a TOML file describes, and the file's other settings
    (``objective`` and the ``[schedule]`` table)."""
    path = Path(path)
    doc = read(path)
    known = {"example", "device", "workload", "channel", "scenario", "schedule", "objective"}
    unknown = sorted(set(doc) - known)
    if unknown:
        raise ValueError(f"{path}: unknown section(s) {unknown}; allowed: {sorted(known)}")
    channel = _section(doc, "channel", path, CHANNEL_KEYS)
    scenario = _section(doc, "scenario", path, SCENARIO_KEYS)
    settings = {"objective": doc.get("objective", "energy"),
                "schedule": _section(doc, "schedule", path, ("switch_time_ms", "switch_energy_j", "idle_power_w"))}
    if "example" in doc:
        example = _section(doc, "example", path, ("name", "input_size", "server_speedup"))
        if example.pop("name", "tx2_offloading") != "tx2_offloading":
            raise ValueError(f"{path}: [example] name must be 'tx2_offloading'")
        problem = examples.tx2_offloading_problem(deadline_ms=float(scenario.pop("deadline_ms", 300.0)),
                                                  idle_power_w=float(scenario.pop("idle_power_w", 1.0)),
                                                  **example, **channel)
        return problem, settings
    device = _section(doc, "device", path, ("measurements", "columns", "units", "aggregate"))
    workload = _section(doc, "workload", path, ("out_bits", "server_latency_ms"))
    if "measurements" not in device:
        raise ValueError(f"{path}: give [example] or [device] measurements = \"blocks.csv\"")
    csv = (path.parent / device.pop("measurements")).resolve()
    df = read_measurements(csv, **device)
    latency, power, fq, mq = block_tables_from_measurements(df, str(csv))
    for key in ("out_bits", "server_latency_ms"):
        if key not in workload:
            raise ValueError(f"{path}: [workload] needs {key} (L + 1 = {latency.shape[0] + 1} values)")
    missing = [k for k in ("deadline_ms",) if k not in scenario] + [
        k for k in ("bandwidth_hz", "gain", "noise_w_per_hz", "p_max_w") if k not in channel]
    if missing:
        raise ValueError(f"{path}: missing {missing} ([scenario] deadline_ms; [channel] bandwidth_hz, gain, "
                         "noise_w_per_hz, p_max_w)")
    problem = Problem.from_tables(latency, power, fq, mq, workload["out_bits"], workload["server_latency_ms"],
                                  **channel, **scenario)
    return problem, settings

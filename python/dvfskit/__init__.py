"""dvfskit: fit DVFS-aware latency and power models to measurements, and choose the compute
frequency, memory frequency, transmit power and DNN split that minimise energy under a deadline.

Units: frequencies in MHz unless a column says otherwise, time in ms, power in W, energy in J.
"""
from __future__ import annotations

from . import datasets, models
from ._compare import compare
from ._configs import ConfigSet
from ._core import ExpressionError
from ._fit import FitResult, fit, starting_values
from ._fit_table import FitTable
from ._governor import GovernorResult, governor
from ._measurements import read_measurements
from ._model import Model
from ._schedule import BlockTables, Schedule, block_tables, schedule, schedule_baselines
from ._solve import Channel, Device, Problem, Server, Solution, baselines, solve
from ._sweep import sweep

__version__ = "0.1.0"

__all__ = [
    "BlockTables",
    "Channel",
    "ConfigSet",
    "Device",
    "ExpressionError",
    "FitResult",
    "FitTable",
    "GovernorResult",
    "Model",
    "Problem",
    "Schedule",
    "Server",
    "Solution",
    "baselines",
    "block_tables",
    "compare",
    "datasets",
    "fit",
    "governor",
    "models",
    "read_measurements",
    "schedule",
    "schedule_baselines",
    "solve",
    "starting_values",
    "sweep",
    "__version__",
]

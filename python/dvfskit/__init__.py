"""dvfskit: fit DVFS-aware latency and power models to measurements, and choose the compute
frequency, memory frequency, transmit power and DNN split that minimise energy under a deadline.

Units: frequencies in MHz unless a column says otherwise, time in ms, power in W, energy in J.
"""
from __future__ import annotations

from . import models
from ._core import ExpressionError
from ._fit import FitResult, fit
from ._model import Model
from ._schedule import BlockTables, Schedule, block_tables, schedule, schedule_baselines

__version__ = "0.1.0"

__all__ = ["ExpressionError", "FitResult", "Model", "fit", "models", "__version__"]
__all__ += ["BlockTables", "Schedule", "block_tables", "schedule", "schedule_baselines"]

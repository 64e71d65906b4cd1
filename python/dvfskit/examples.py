"""Ready-made problems on the bundled measurements, for examples, notebooks and the demo.

Measured: the TX2 Xception latency and power over GPU x EMC frequencies (``datasets``).
ASSUMED (labelled in ``problem.assumptions``): the spread of whole-model latency over blocks by
multiply-accumulate share, block power equal to the whole-model average power, the edge
server's speed, the radio channel and the idle power.
"""
from __future__ import annotations

from typing import Dict, Tuple

import numpy as np
import pandas as pd

from . import datasets, workloads
from ._solve import Problem

# A 1 MHz uplink at -174 dBm/Hz noise with 110 dB path loss: about 10 Mbit/s at 0.5 W.
DEFAULT_CHANNEL: Dict[str, float] = {
    "bandwidth_hz": 1e6,
    "gain": 1e-11,
    "noise_w_per_hz": 10 ** (-174 / 10) / 1000,
    "p_max_w": 0.5,
    "p_circuit_w": 0.1,
}


def tx2_tables(input_size: str = "400x400", core_mask: str = "1111") -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Measured whole-model Xception latency (ms) and power (W, assuming the file's mW) on the
    Jetson TX2 at the highest CPU frequency: arrays of shape (nF, nM) over GPU frequencies and
    EMC frequencies (MHz), returned as (latency_ms, power_w, compute_freqs_mhz, mem_freqs_mhz)."""
    tx = datasets.tx2_xception()
    sizes = sorted(tx["input_size"].unique())
    if input_size not in sizes:
        raise ValueError(f"input_size must be one of {sizes}, got {input_size!r}")
    part = tx[(tx["input_size"] == input_size) & (tx["core_mask"] == core_mask)
              & (tx["cpu_freq_mhz"] == tx["cpu_freq_mhz"].max())]
    if part.empty:
        raise ValueError(f"no rows for core_mask {core_mask!r}")
    latency = part.pivot_table(index="compute_freq_mhz", columns="mem_freq_mhz", values="latency_ms")
    power = part.pivot_table(index="compute_freq_mhz", columns="mem_freq_mhz", values="power_w")
    return latency.to_numpy(), power.to_numpy(), latency.index.to_numpy(float), latency.columns.to_numpy(float)


def tx2_offloading_problem(
    input_size: str = "400x400",
    deadline_ms: float = 300.0,
    *,
    server_speedup: float = 8.0,
    idle_power_w: float = 1.0,
    **channel: float,
) -> Problem:
    """The TX2 Xception measurements as a cooperative-inference table problem.

    The device runs the first ``l`` of Xception's 15 blocks (see :func:`workloads.xception`),
    sends the block-``l`` output (float32; the 8-bit image when ``l = 0``) over a Shannon
    uplink, and an edge server ``server_speedup`` times faster than the TX2 at its fastest
    setting runs the rest. ``channel`` overrides :data:`DEFAULT_CHANNEL` (bandwidth_hz, gain,
    noise_w_per_hz, p_max_w, p_circuit_w). The returned problem's ``assumptions`` attribute lists
    what is not measured.
    """
    h, w = (int(v) for v in input_size.split("x"))
    latency, power, fq, mq = tx2_tables(input_size)
    blocks = workloads.xception(h, w)
    block_latency = workloads.split_by_work(latency, blocks)
    block_power = np.broadcast_to(power, block_latency.shape).copy()
    out_bits = np.concatenate([[h * w * 3 * 8.0], blocks["out_bits"].to_numpy()])
    remaining = np.concatenate([np.cumsum(blocks["work_share"].to_numpy()[::-1])[::-1], [0.0]])
    server = remaining * latency.min() / server_speedup
    settings = {**DEFAULT_CHANNEL, **channel}
    problem = Problem.from_tables(block_latency, block_power, fq, mq, out_bits, server,
                                  deadline_ms=deadline_ms, idle_power_w=idle_power_w, **settings)
    problem.assumptions = pd.Series({
        "block latency": "whole-model latency spread by multiply-accumulate share (workloads.xception)",
        "block power": "whole-model average power at each (f, m); the file's power taken as mW",
        "server": f"{server_speedup:g}x faster than the TX2 at its fastest setting",
        "channel": ", ".join(f"{k}={v:.3g}" for k, v in settings.items()),
        "idle power": f"{idle_power_w:g} W while waiting for the server",
    })
    return problem

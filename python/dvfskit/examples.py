"""Ready-made problems on the bundled measurements, for examples, notebooks and the demo.

Measured: the TX2 Xception latency and power over CPU x GPU x EMC frequencies x active-core masks
(``datasets``).
ASSUMED (labelled in ``problem.assumptions``): the spread of whole-model latency over blocks by
multiply-accumulate share, block power equal to the whole-model average power, the edge
server's speed, the radio channel and the idle power.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import datasets, workloads
from ._configs import ConfigSet
from ._solve import Problem

#: The TX2 knobs of :func:`datasets.tx2_xception`, and the values the others keep when a problem
#: chooses only some of them (the highest CPU frequency, all four cores).
TX2_KNOBS = ("cpu_freq_mhz", "compute_freq_mhz", "mem_freq_mhz", "core_mask")

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


def tx2_measurements(input_size: str = "400x400",
                     knobs: Union[str, Sequence[str]] = ("compute_freq_mhz", "mem_freq_mhz")) -> pd.DataFrame:
    """The TX2 Xception rows of one input size over the chosen ``knobs`` (``"all"``: every TX2
    knob, :data:`TX2_KNOBS`); the frequency knobs left out stay at their maximum, the core mask
    at all four cores. One row per configuration: the knob columns, latency_ms, power_w (W,
    assuming mW)."""
    chosen = list(TX2_KNOBS) if knobs == "all" else list(knobs)
    unknown = [k for k in chosen if k not in TX2_KNOBS]
    if unknown or not chosen:
        raise ValueError(f"knobs must be 'all' or some of {TX2_KNOBS}, got {knobs!r}")
    tx = datasets.tx2_xception()
    sizes = sorted(tx["input_size"].unique())
    if input_size not in sizes:
        raise ValueError(f"input_size must be one of {sizes}, got {input_size!r}")
    part = tx[tx["input_size"] == input_size]
    for knob in TX2_KNOBS:  # the knobs left out: frequencies at their maximum, all four cores
        if knob not in chosen:
            part = part[part[knob] == (part[knob].max() if knob.endswith("_mhz") else "1111")]
    return part[[k for k in TX2_KNOBS if k in chosen] + ["latency_ms", "power_w"]].reset_index(drop=True)


def tx2_offloading_problem(
    input_size: str = "400x400",
    deadline_ms: float = 300.0,
    *,
    server_speedup: float = 8.0,
    idle_power_w: float = 1.0,
    knobs: Union[str, Sequence[str]] = ("compute_freq_mhz", "mem_freq_mhz"),
    offload_fractions: Optional[Sequence[float]] = None,
    **channel: float,
) -> Problem:
    """The TX2 Xception measurements as a cooperative-inference table problem.

    The device runs the first ``l`` of Xception's 15 blocks (see :func:`workloads.xception`),
    sends the block-``l`` output (float32; the 8-bit image when ``l = 0``) over a Shannon
    uplink, and an edge server ``server_speedup`` times faster than the TX2 at its fastest
    setting runs the rest. ``knobs``: the TX2 knobs the solver chooses (default GPU x EMC at the
    highest CPU frequency with four cores; ``"all"``: CPU x GPU x EMC x core mask, 768
    configurations). ``offload_fractions``: partial offloading on the tables (see
    :meth:`Problem.from_tables`). ``channel`` overrides :data:`DEFAULT_CHANNEL` (bandwidth_hz,
    gain, noise_w_per_hz, p_max_w, p_circuit_w). The returned problem's ``assumptions`` attribute
    lists what is not measured.
    """
    h, w = (int(v) for v in input_size.split("x"))
    blocks = workloads.xception(h, w)
    out_bits = np.concatenate([[h * w * 3 * 8.0], blocks["out_bits"].to_numpy()])
    remaining = np.concatenate([np.cumsum(blocks["work_share"].to_numpy()[::-1])[::-1], [0.0]])
    settings: Dict[str, Any] = {**DEFAULT_CHANNEL, **channel}
    common = dict(deadline_ms=deadline_ms, idle_power_w=idle_power_w, offload_fractions=offload_fractions, **settings)
    if knobs != "all" and list(knobs) == ["compute_freq_mhz", "mem_freq_mhz"]:  # the (nF, nM) grid as given
        latency, power, fq, mq = tx2_tables(input_size)
        block_latency = workloads.split_by_work(latency, blocks)
        problem = Problem.from_tables(block_latency, np.broadcast_to(power, block_latency.shape).copy(), fq, mq,
                                      out_bits, remaining * latency.min() / server_speedup, **common)
    else:
        rows = tx2_measurements(input_size, knobs)
        latency = rows["latency_ms"].to_numpy()
        block_latency = workloads.split_by_work(latency, blocks)
        configs = ConfigSet(rows.drop(columns=["latency_ms", "power_w"]), source="tx2")
        problem = Problem.from_config_tables(configs, block_latency,
                                             np.broadcast_to(rows["power_w"].to_numpy(), block_latency.shape).copy(),
                                             out_bits, remaining * latency.min() / server_speedup,
                                             blocks=list(blocks["block"]), **common)
    configs = problem.configs
    fixed = [f"{k} at its maximum" if k.endswith("_mhz") else f"{k} 1111" for k in TX2_KNOBS if k not in configs.knobs]
    problem.assumptions = pd.Series({
        "block latency": "whole-model latency spread by multiply-accumulate share (workloads.xception)",
        "block power": "whole-model average power at each configuration; the file's power taken as mW",
        "server": f"{server_speedup:g}x faster than the TX2 at its fastest setting",
        "channel": ", ".join(f"{k}={v:.3g}" for k, v in settings.items()),
        "idle power": f"{idle_power_w:g} W while waiting for the server",
        **({"fixed knobs": ", ".join(fixed)} if fixed else {}),
    })
    return problem

"""Bundled real measurements, loaded through :func:`dvfskit.read_measurements`.

Each data folder holds a ``SOURCES.md`` with the origin, attribution and license of its files.

- :func:`tx2_xception`: NVIDIA Jetson TX2, Xception inference over CPU x GPU x EMC frequencies x
  active-core masks at 4 input sizes (FlexiBO, MIT license).
- :func:`a100_stages`: A100-SXM pipeline stages of BLOOM and GPT-3 175B, forward and backward
  time and energy over 38 SM frequencies (Zeus/Perseus, Apache-2.0).

The data is looked up in the installed package (``dvfskit/data/``) first, then in the source tree
(``python/dvfskit/../../data``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import List

import pandas as pd

from ._measurements import MEASURED, read_measurements

__all__ = ["data_dir", "tx2_xception", "a100_stages"]

_HERE = Path(__file__).resolve().parent
_CANDIDATES = (_HERE / "data", _HERE.parent.parent / "data")

TX2_SIZES = ("200x200", "400x400", "600x600", "800x800")
A100_DNNS = ("bloom", "gpt3-175b")


def data_dir(folder: str) -> Path:
    """The directory of a bundled data folder (e.g. ``"tx2-xception"``): the installed package's
    ``dvfskit/data/<folder>`` if it exists, else the source tree's ``data/<folder>``."""
    for base in _CANDIDATES:
        path = base / folder
        if path.is_dir():
            return path
    raise FileNotFoundError(
        f"bundled data folder {folder!r} not found in {[os.fspath(c) for c in _CANDIDATES]}"
    )


def tx2_xception() -> pd.DataFrame:
    """Jetson TX2 running Xception: 4 input sizes x 4 active-core masks x 12 CPU x 4 GPU x 4 EMC
    frequencies = 3072 rows (one image per configuration, FlexiBO data, MIT license).

    Columns
    -------
    ``device`` ("TX2"), ``dnn`` ("xception"), ``input_size`` ("200x200" ... "800x800"),
    ``core_mask`` (active CPU cores 0..3 as a string of 0/1, e.g. "1100"): keys.
    ``cpu_freq_mhz`` (CPU, converted from kHz), ``compute_freq_mhz`` (GPU, from Hz),
    ``mem_freq_mhz`` (EMC memory, from Hz): knobs, MHz.
    ``latency_ms``: inference time (from s), ms.
    ``power_w``: board power, W -- **ASSUMED**: the source does not document the unit of
    ``power_consumption``; it is read as mW (values at 200x200, about 2700-4300, look like mW),
    but larger inputs reach values a TX2 cannot draw (tens of W), so treat ``power_w`` and
    ``energy_j`` as *relative* figures, not calibrated watts and joules.
    ``energy_j``: derived, ``power_w * latency_ms / 1000`` (same caveat).
    """
    frames: List[pd.DataFrame] = []
    folder = data_dir("tx2-xception")
    cores = ["core0_status", "core1_status", "core2_status", "core3_status"]
    for size in TX2_SIZES:
        df = read_measurements(
            folder / f"tx2_sampled_output_xception_{size}.csv",
            columns={
                "device": "system_name",
                "dnn": "model_name",
                "input_size": "size",
                "cpu_freq_mhz": "core_freq",
                "compute_freq_mhz": "gpu_freq",
                "mem_freq_mhz": "emc_freq",
                "latency_ms": "inference_time",
                "power_w": "power_consumption",
            },
            units={
                "cpu_freq_mhz": "kHz",
                "compute_freq_mhz": "Hz",
                "mem_freq_mhz": "Hz",
                "latency_ms": "s",
                "power_w": "mW",  # assumption: unit not documented by the source
            },
            keys=cores,
        )
        mask = df[cores].astype(int).astype(str).agg("".join, axis=1)
        df = df.drop(columns=cores)
        df.insert(3, "core_mask", mask)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    out.attrs["keys"] = [c for c in out.columns if c not in MEASURED]
    out.attrs["measured"] = [c for c in out.columns if c in MEASURED]
    out.attrs["source"] = os.fspath(folder)
    return out


def a100_stages() -> pd.DataFrame:
    """A100-SXM (bf16) pipeline stages of BLOOM and GPT-3 175B: 2 DNNs x 8 stages x
    {forward, backward} x 38 SM frequencies (855-1410 MHz) = 1216 rows (Zeus/Perseus SOSP'24
    profiles, Apache-2.0).

    Columns
    -------
    ``device`` ("A100-SXM"), ``dnn`` ("bloom" or "gpt3-175b"), ``block`` (pipeline stage, int
    0-7), ``instruction`` ("forward" or "backward"): keys.
    ``compute_freq_mhz``: SM frequency, MHz (no memory frequency in this data).
    ``latency_ms``: stage time (from s), ms. ``energy_j``: energy of the stage, J.
    ``power_w``: derived, ``energy_j / latency_ms * 1000``, W. It reaches about 470 W, above one
    A100's rating: the source's energy may sum more than one GPU.

    Note: in both source files, stages 0-6 carry identical profiles (the same transformer
    layers); only stage 7 (the last stage, with the output head) differs.
    """
    frames: List[pd.DataFrame] = []
    folder = data_dir("a100-stages")
    for dnn in A100_DNNS:
        frames.append(
            read_measurements(
                folder / f"{dnn}+a100_sxm_bf16.csv",
                columns={
                    "block": "stage",
                    "instruction": "instruction",
                    "compute_freq_mhz": "frequency",
                    "latency_ms": "time",
                    "energy_j": "energy",
                },
                units={"compute_freq_mhz": "MHz", "latency_ms": "s", "energy_j": "J"},
                constants={"device": "A100-SXM", "dnn": dnn},
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out.attrs["keys"] = [c for c in out.columns if c not in MEASURED]
    out.attrs["measured"] = [c for c in out.columns if c in MEASURED]
    out.attrs["source"] = os.fspath(folder)
    return out

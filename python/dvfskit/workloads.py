"""DNN workloads as chains of blocks: per-block work and the size of the tensor crossing each
split point, from the public architecture by arithmetic (no weights needed).

A researcher who measured only whole-model latency can spread it over blocks by work share with
:func:`split_by_work` to explore offloading. That spread is an ASSUMPTION (latency proportional
to multiply-accumulates), labelled as such in every result built from it; per-block measurements
should replace it whenever they exist.
"""
from __future__ import annotations

import math
from typing import List, Tuple

import numpy as np
import pandas as pd

__all__ = ["xception", "split_by_work"]


def _conv(h: int, w: int, k: int, cin: int, cout: int, stride: int, same: bool) -> Tuple[int, int, float]:
    if same:
        ho, wo = math.ceil(h / stride), math.ceil(w / stride)
    else:
        ho, wo = (h - k) // stride + 1, (w - k) // stride + 1
    return ho, wo, float(ho * wo * k * k * cin * cout)


def _sepconv(h: int, w: int, cin: int, cout: int) -> float:
    """3x3 depthwise + 1x1 pointwise, 'same' padding, stride 1: multiply-accumulates."""
    return float(h * w * 9 * cin + h * w * cin * cout)


def xception(height: int = 299, width: int = 299, bits_per_value: int = 32) -> pd.DataFrame:
    """Xception (Chollet 2017, the Keras layout) as 15 blocks: the stem (two convolutions), the
    three entry-flow blocks, the eight middle-flow blocks, the exit-flow block, the final
    separable convolutions with global pooling, and the classifier.

    Columns: ``block`` (0-based), ``name``, ``macs`` (multiply-accumulates of convolutions and
    the classifier; batch norm, activations, pooling and additions are left out), ``work_share``
    (macs / total), ``out_shape`` (H, W, C of the block's output), ``out_bits`` (bits of that
    output at ``bits_per_value``). The input itself is ``height x width x 3`` values, see
    :func:`split_by_work` for the bits sent when everything is offloaded.
    """
    if height < 71 or width < 71:
        raise ValueError(f"Xception needs an input of at least 71 x 71, got {height} x {width}")
    rows: List[dict] = []
    h, w, c = height, width, 3
    h, w, m1 = _conv(h, w, 3, 3, 32, 2, same=False)
    h, w, m2 = _conv(h, w, 3, 32, 64, 1, same=False)
    c = 64
    rows.append({"name": "stem", "macs": m1 + m2, "out_shape": (h, w, c)})
    for i, cout in enumerate((128, 256, 728)):
        macs = _sepconv(h, w, c, cout) + _sepconv(h, w, cout, cout)
        hr, wr, residual = _conv(h, w, 1, c, cout, 2, same=True)
        h, w, c = hr, wr, cout
        rows.append({"name": f"entry{i + 1}", "macs": macs + residual, "out_shape": (h, w, c)})
    for i in range(8):
        rows.append({"name": f"middle{i + 1}", "macs": 3 * _sepconv(h, w, 728, 728), "out_shape": (h, w, 728)})
    macs = _sepconv(h, w, 728, 728) + _sepconv(h, w, 728, 1024)
    hr, wr, residual = _conv(h, w, 1, 728, 1024, 2, same=True)
    h, w, c = hr, wr, 1024
    rows.append({"name": "exit1", "macs": macs + residual, "out_shape": (h, w, c)})
    rows.append({"name": "exit2", "macs": _sepconv(h, w, 1024, 1536) + _sepconv(h, w, 1536, 2048),
                 "out_shape": (1, 1, 2048)})
    rows.append({"name": "classifier", "macs": 2048.0 * 1000.0, "out_shape": (1, 1, 1000)})
    df = pd.DataFrame(rows)
    df.insert(0, "block", np.arange(len(df)))
    df["work_share"] = df["macs"] / df["macs"].sum()
    df["out_bits"] = [float(np.prod(s)) * bits_per_value for s in df["out_shape"]]
    df.attrs["input_bits"] = float(height * width * 3 * bits_per_value)
    df.attrs["source"] = "Xception (Keras layout), per-block multiply-accumulates by arithmetic"
    return df


def split_by_work(total: np.ndarray, blocks: pd.DataFrame) -> np.ndarray:
    """Spread a whole-model quantity (e.g. latency in ms over an (nF, nM) frequency grid) over
    the blocks in proportion to ``blocks.work_share``: returns shape ``(L, *total.shape)``.

    ASSUMPTION: every block scales with frequency like the whole model and takes time in
    proportion to its multiply-accumulates. Label results built on it as such."""
    share = np.asarray(blocks["work_share"], dtype=float)
    if share.ndim != 1 or share.size == 0 or not np.isclose(share.sum(), 1.0):
        raise ValueError("blocks.work_share must be a non-empty column summing to 1")
    total = np.asarray(total, dtype=float)
    return share.reshape((-1,) + (1,) * total.ndim) * total[None, ...]

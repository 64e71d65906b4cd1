"""dvfskit.compare: ranking by AIC/BIC, cross-validated and extrapolation errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import dvfskit
from dvfskit import models


def gpu_groups(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for dnn, (a, b, c) in {"vgg": (40.0, 1.4, 6.0), "resnet": (25.0, 0.9, 3.0)}.items():
        f = np.repeat(np.linspace(200, 1300, 12), 3)
        y = models.gpu_dvfs.evaluate({"compute_freq_mhz": f}, {"a": a, "b": b, "c": c})
        frames.append(pd.DataFrame({"dnn": dnn, "compute_freq_mhz": f, "latency_ms": y * (1 + 0.005 * rng.standard_normal(f.size))}))
    return pd.concat(frames, ignore_index=True)


def test_the_true_model_wins_everywhere() -> None:
    df = gpu_groups()
    result = dvfskit.compare(["cpu_dvfs", "cpu_dvfs_offset", "gpu_dvfs"], df, "latency_ms", by="dnn")
    assert len(result) == 6
    best = result[result.rank_aic == 1]
    assert set(best.model) == {"gpu_dvfs"}
    assert (best.delta_aic == 0).all()
    assert (result[result.model == "cpu_dvfs"].delta_aic > 10).all()
    for _, group in result.groupby("dnn"):
        gpu = group.set_index("model").loc["gpu_dvfs"]
        cpu = group.set_index("model").loc["cpu_dvfs"]
        assert gpu.cv_mape < 1.0 and gpu.extrap_mape < 2.0
        assert cpu.extrap_mape > gpu.extrap_mape
        assert group.aic.is_monotonic_increasing


def test_extrapolation_error_uses_unseen_frequencies() -> None:
    """A model fitted below the held-out frequencies still predicts them: compare against a
    hand-made split."""
    df = gpu_groups(1)
    result = dvfskit.compare(["gpu_dvfs"], df, "latency_ms", by="dnn", holdout="high", holdout_fraction=0.25)
    part = df[df.dnn == "vgg"]
    cut = np.sort(part.compute_freq_mhz.unique())[-3]
    fitted = dvfskit.fit("gpu_dvfs", part[part.compute_freq_mhz < cut], "latency_ms")
    test = part[part.compute_freq_mhz >= cut]
    expected = 100 * np.mean(np.abs(fitted.predict(test) - test.latency_ms) / test.latency_ms)
    got = result.set_index("dnn").loc["vgg", "extrap_mape"]
    assert got == pytest.approx(expected, rel=1e-6)


def test_without_groups_and_bad_arguments() -> None:
    df = gpu_groups(2)
    one = df[df.dnn == "vgg"].drop(columns="dnn")
    result = dvfskit.compare(["cpu_dvfs", "gpu_dvfs"], one)
    assert list(result.model) == ["gpu_dvfs", "cpu_dvfs"]
    with pytest.raises(ValueError, match="holdout must be"):
        dvfskit.compare(["gpu_dvfs"], one, holdout="middle")
    with pytest.raises(ValueError, match="folds"):
        dvfskit.compare(["gpu_dvfs"], one, folds=1)
    with pytest.raises(ValueError, match="unknown model"):
        dvfskit.compare(["nope"], one)


def test_time_per_model_progress_and_missing_keys() -> None:
    df = gpu_groups(3)
    df.loc[df.dnn == "resnet", "dnn"] = np.nan  # a group keyed by NaN is scored like the others
    calls: list = []
    result = dvfskit.compare(["cpu_dvfs", "gpu_dvfs"], df, "latency_ms", by="dnn", folds=3,
                             progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (2 * (3 + 2), 10) and [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert (result.time_s > 0).all()
    assert result.groupby("model").time_s.nunique().eq(1).all()  # one time per model
    missing = result[result.dnn.isna()]
    assert len(missing) == 2 and missing.cv_mape.notna().all() and missing.extrap_mape.notna().all()
    assert missing.set_index("model").loc["gpu_dvfs", "rank_aic"] == 1

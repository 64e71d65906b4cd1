"""Grouped fits: dvfskit.fit(..., by=...) -> FitTable."""
from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pandas as pd
import pytest

import dvfskit
from dvfskit import models


def grouped_frame(groups: int = 12, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    rows, truth = [], {}
    for g in range(groups):
        a, b, c = rng.uniform(5, 50), rng.uniform(0.5, 2.0), rng.uniform(1, 10)
        truth[("dev%d" % (g % 3), "dnn%d" % g)] = (a, b, c)
        f = np.sort(rng.uniform(100, 1400, rng.integers(10, 41)))
        y = (a * (f / 1000) ** -b + c) * (1 + 0.01 * rng.standard_normal(f.size))
        rows.append(pd.DataFrame({"device": "dev%d" % (g % 3), "dnn": "dnn%d" % g, "compute_freq_mhz": f,
                                  "latency_ms": y}))
    df = pd.concat(rows, ignore_index=True).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return df, truth


def test_grouped_fit_equals_individual_fits() -> None:
    df, truth = grouped_frame()
    table = dvfskit.fit(models.gpu_dvfs, df, "latency_ms", by=["device", "dnn"])
    assert isinstance(table, dvfskit.FitTable)
    assert len(table) == len(truth)
    assert table.success.all()
    for key in truth:
        part = df[(df.device == key[0]) & (df.dnn == key[1])]
        single = dvfskit.fit(models.gpu_dvfs, part, "latency_ms")
        grouped = table[key]
        assert grouped.params == pytest.approx(single.params, rel=1e-9)
        assert grouped.stderr == pytest.approx(single.stderr, rel=1e-6)
        assert grouped.rss == pytest.approx(single.rss, rel=1e-9)
        assert np.allclose(np.sort(grouped.residuals), np.sort(single.residuals))
        # and the truth lies within the errors
        for name, value in zip("abc", truth[key]):
            assert abs(grouped.params[name] - value) < 5 * grouped.stderr[name], (key, name)


def test_thread_count_and_row_order_do_not_change_results() -> None:
    df, _ = grouped_frame(20, seed=1)
    one = dvfskit.fit(models.gpu_dvfs, df, "latency_ms", by=["device", "dnn"], threads=1).to_dataframe()
    two = dvfskit.fit(models.gpu_dvfs, df, "latency_ms", by=["device", "dnn"], threads=2).to_dataframe()
    shuffled = df.sample(frac=1.0, random_state=5)
    three = dvfskit.fit(models.gpu_dvfs, shuffled, "latency_ms", by=["device", "dnn"], threads=2).to_dataframe()
    pd.testing.assert_frame_equal(one, two)
    numeric = [c for c in one.columns if c not in ("device", "dnn", "message")]
    np.testing.assert_allclose(one[numeric].astype(float), three[numeric].astype(float), rtol=1e-5)


def test_a_failing_group_does_not_sink_the_others() -> None:
    df, _ = grouped_frame(4, seed=2)
    tiny = pd.DataFrame({"device": "x", "dnn": "tiny", "compute_freq_mhz": [500.0, 900.0], "latency_ms": [3.0, 2.0]})
    table = dvfskit.fit(models.gpu_dvfs, pd.concat([df, tiny]), "latency_ms", by=["device", "dnn"])
    assert table.success.sum() == 4
    failed = table.failed
    assert list(failed["dnn"]) == ["tiny"]
    assert "cannot determine 3 free parameters" in failed["message"].iloc[0]
    row = table.to_dataframe().set_index("dnn").loc["tiny"]
    assert not row["success"] and math.isnan(row["rss"])


def test_predict_uses_each_rows_group() -> None:
    df, _ = grouped_frame(6, seed=3)
    table = dvfskit.fit(models.gpu_dvfs, df, "latency_ms", by=["device", "dnn"])
    pred = table.predict(df)
    for i in [0, 7, 33, len(df) - 1]:
        row = df.iloc[[i]]
        expected = table[(row.device.iloc[0], row.dnn.iloc[0])].predict(row)
        assert pred[i] == pytest.approx(expected[0], rel=1e-12)
    with pytest.raises(KeyError, match="no group"):
        table.predict(df.assign(dnn="unknown"))


def test_round_trips_and_reprs() -> None:
    df, _ = grouped_frame(5, seed=4)
    table = dvfskit.fit(models.gpu_dvfs, df, "latency_ms", by="dnn")
    for back in (pickle.loads(pickle.dumps(table)), dvfskit.FitTable.from_dict(json.loads(json.dumps(table.to_dict())))):
        pd.testing.assert_frame_equal(back.to_dataframe(), table.to_dataframe())
        assert back["dnn3"].params == table["dnn3"].params
    assert "FitTable('gpu_dvfs', 5 groups" in repr(table)
    assert "<table" in table._repr_html_()
    with pytest.raises(KeyError):
        table["nope"]


def test_callable_models_group_too() -> None:
    df, _ = grouped_frame(3, seed=5)

    def gpu(compute_freq_mhz, a, b, c):
        return a * (compute_freq_mhz / 1000) ** -b + c

    model = dvfskit.Model(gpu, inputs=["compute_freq_mhz"], bounds={"b": (0, 4)})
    table = dvfskit.fit(model, df, "latency_ms", by="dnn", p0=[10, 1, 1])
    reference = dvfskit.fit(models.gpu_dvfs, df, "latency_ms", by="dnn")
    assert table.success.all()
    np.testing.assert_allclose(table.params, reference.params, rtol=1e-5)


def test_grouped_input_errors_and_no_modification() -> None:
    df, _ = grouped_frame(3, seed=6)
    before = df.copy()
    dvfskit.fit(models.gpu_dvfs, df, "latency_ms", by=["device", "dnn"])
    pd.testing.assert_frame_equal(df, before)
    with pytest.raises(ValueError, match="no column 'dev'"):
        dvfskit.fit(models.gpu_dvfs, df, "latency_ms", by=["dev"])
    bad = df.copy()
    bad.loc[5, "latency_ms"] = np.nan
    with pytest.raises(ValueError, match="row 5, column 'latency_ms'"):
        dvfskit.fit(models.gpu_dvfs, bad, "latency_ms", by="dnn")


def test_groups_with_missing_keys_are_addressable() -> None:
    """NaN (or None) key values form their own group, reachable as table[nan] or table[None]."""
    df, _ = grouped_frame(6, seed=7)
    df["size"] = df["dnn"].map({f"dnn{g}": v for g, v in enumerate([1.0, np.nan, 3.0, np.nan, 2.0, 1.0])})
    table = dvfskit.fit(models.gpu_dvfs, df, "latency_ms", by=["device", "size"])
    part = df[(df.device == "dev1") & df["size"].isna()]
    alone = dvfskit.fit(models.gpu_dvfs, part, "latency_ms")
    for key in (("dev1", np.nan), ("dev1", float("nan")), ("dev1", None)):
        assert table[key].params == pytest.approx(alone.params, rel=1e-9)
    assert len([k for k in table if isinstance(k[1], float) and np.isnan(k[1])]) == 2
    assert all(table[k].n > 0 for k in table)  # every key, NaN ones included, addresses its group
    single = dvfskit.fit(models.gpu_dvfs, df, "latency_ms", by="size")
    assert single[np.nan].n == int(df["size"].isna().sum())
    in_part = ((df.device == "dev1") & df["size"].isna()).to_numpy()
    np.testing.assert_allclose(table.predict(df)[in_part], alone.predict(part), rtol=1e-9)
    rows = df["size"].isna().to_numpy()
    np.testing.assert_allclose(single.predict(df)[rows], single[np.nan].predict(df[rows]), rtol=1e-12)


def test_progress_reports_every_chunk_and_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    df, _ = grouped_frame(12, seed=8)
    plain = dvfskit.fit(models.gpu_dvfs, df, "latency_ms", by="dnn", progress=False).to_dataframe()
    monkeypatch.setattr(dvfskit._fit, "PROGRESS_CHUNK", 5)
    calls: list = []
    chunked = dvfskit.fit(models.gpu_dvfs, df, "latency_ms", by="dnn", progress=lambda d, t: calls.append((d, t)))
    assert calls == [(5, 12), (10, 12), (12, 12)]
    pd.testing.assert_frame_equal(chunked.to_dataframe(), plain)
    with pytest.raises(ValueError, match="progress must be"):
        dvfskit.fit(models.gpu_dvfs, df, "latency_ms", by="dnn", progress="yes")

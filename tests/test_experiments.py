"""The experiments (``experiments/``) stay alive: a reduced (``--quick``) run of each, with one
meaningful check per experiment. Under a minute in total."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
sys.path.insert(0, str(EXPERIMENTS))

import run_all  # noqa: E402


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("experiments")
    return out, run_all.run_all(out, quick=True)


def test_every_experiment_writes_csv_png_and_summary(results):
    out, _ = results
    for name in ("model_accuracy", "memory_frequency", "cooperative", "wrong_model", "schedule", "governors"):
        assert (out / f"{name}.csv").stat().st_size > 0
        assert (out / f"{name}.png").stat().st_size > 0
    text = (out / "RESULTS.md").read_text()
    assert "32.7 %" in text and "43.9 %" in text and "nan" not in text.lower().replace("nano", "")


def test_model_accuracy_gpu_model_beats_cpu_model(results):
    mean = results[1]["1 model accuracy"]["mean"].set_index(["device", "model"])
    for device in ("A100", "TX2"):
        for score in ("mape", "extrap_mape"):
            assert mean.loc[(device, "gpu_dvfs"), score] < mean.loc[(device, "cpu_dvfs"), score]
    assert mean.loc[("TX2", "joint_mem_comp"), "mape"] < mean.loc[("TX2", "gpu_dvfs"), "mape"]


def test_memory_frequency_joint_never_worse_than_compute_only(results):
    df = results[1]["2 memory frequency"]["table"]
    ok = df[df["feasible"] & df["compute_dvfs_only_feasible"]]  # a restricted baseline may miss a tight deadline
    assert len(ok) > 0
    assert (ok["energy_j"] <= ok["compute_dvfs_only_energy_j"] * (1 + 1e-12)).all()
    assert (ok["saving_vs_compute_dvfs_only_pct"] > 0).any()  # the memory frequency matters somewhere


def test_cooperative_optimum_never_worse_than_any_baseline(results):
    df = results[1]["3 cooperative inference"]["table"]
    for b in run_all.exp3_cooperative.BASELINES:
        both = df["feasible"] & df[f"{b}_feasible"]
        assert (df.loc[both, "energy_j"] <= df.loc[both, f"{b}_energy_j"] * (1 + 1e-12)).all()
    # offloading pays off at high rates: the split moves off the device
    assert df.loc[df["rate_at_pmax_mbps"] == df["rate_at_pmax_mbps"].max(), "split"].min() < 15


def test_channel_spans_the_stated_rates():
    c = run_all.exp3_cooperative.channel_for_rate(100.0, 0.5, 4e-21)
    rate = c["bandwidth_hz"] * np.log2(1 + 0.5 * c["gain"] / (4e-21 * c["bandwidth_hz"]))
    assert rate == pytest.approx(100e6)


def test_cpu_dvfs_plan_misses_or_wastes(results):
    df = results[1]["4 planning with the wrong model"]["table"]
    for device in ("TX2", "A100"):
        part = df[(df["device"] == device) & df["feasible"]]
        assert (part["cpu_plan_missed"] | (part["saving_vs_cpu_dvfs_model_pct"] > 0)).any()
        # a plan that meets the deadline never beats the optimum
        met = part[part["cpu_dvfs_model_feasible"]]
        assert (met["cpu_dvfs_model_energy_j"] >= met["energy_j"] * (1 - 1e-12)).all()


def test_schedule_never_worse_than_uniform_or_race_to_idle(results):
    df = results[1]["5 per-block schedule"]["table"]
    ok = df[df["feasible"]]
    assert (ok["energy_j"] <= ok["uniform_energy_j"] * (1 + 1e-12)).all()
    assert (ok["energy_j"] <= ok["race_to_idle_energy_j"] * (1 + 1e-12)).all()
    assert (ok["certified_gap_pct"] <= 1e-9).all()


def test_schedule_never_worse_than_a_governor_that_meets_every_deadline(results):
    df = results[1]["6 governors"]["table"]
    assert df["feasible"].all()
    checked = 0
    for g in run_all.exp6_governors.GOVERNORS:
        if f"{g}_energy_j" not in df:
            continue
        met = df[f"{g}_miss_rate"] == 0
        checked += int(met.sum())
        assert (df.loc[met, "energy_j"] <= df.loc[met, f"{g}_energy_j"] * (1 + 1e-9)).all(), g
    assert checked > 0
    assert "Experiment 6" in (results[0] / "RESULTS.md").read_text()


def test_command_line_quick(tmp_path):
    """The one command, as a user runs it (one experiment script is enough here)."""
    run = subprocess.run([sys.executable, str(EXPERIMENTS / "exp5_schedule.py"), "--quick", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "schedule.csv").exists() and "energy saved" in run.stdout

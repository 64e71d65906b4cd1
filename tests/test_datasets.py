"""Bundled data: loading, units, lookup order, and which built-in model explains it best."""
import numpy as np
import pandas as pd
import pytest

import dvfskit
from dvfskit import datasets, models


@pytest.fixture(scope="module")
def tx2():
    return datasets.tx2_xception()


@pytest.fixture(scope="module")
def a100():
    return datasets.a100_stages()


def test_tx2_shape_and_units(tx2):
    assert len(tx2) == 4 * 768
    assert list(tx2.columns) == [
        "device", "dnn", "input_size", "core_mask", "cpu_freq_mhz", "compute_freq_mhz", "mem_freq_mhz",
        "latency_ms", "power_w", "energy_j",
    ]
    assert set(tx2["input_size"]) == {"200x200", "400x400", "600x600", "800x800"}
    assert set(tx2["core_mask"]) == {"1000", "1100", "1110", "1111"}
    assert set(tx2["device"]) == {"TX2"} and set(tx2["dnn"]) == {"xception"}
    np.testing.assert_allclose(sorted(set(tx2["compute_freq_mhz"])), [140.25, 497.25, 943.5, 1300.5])
    np.testing.assert_allclose(sorted(set(tx2["mem_freq_mhz"])), [1062.4, 1331.2, 1600.0, 1866.0])
    cpu = sorted(set(tx2["cpu_freq_mhz"]))
    assert len(cpu) == 12 and cpu[0] == pytest.approx(345.6) and cpu[-1] == pytest.approx(2035.2)
    # seconds -> ms: Xception on a TX2 takes about 0.1 to 5 s
    assert 50 < tx2["latency_ms"].min() and tx2["latency_ms"].max() < 10000
    # first row of the 200x200 file: 0.18107464578416613 s, 2733.22 (assumed mW)
    assert tx2["latency_ms"].iloc[0] == pytest.approx(181.07464578416613)
    assert tx2["power_w"].iloc[0] == pytest.approx(2.733222222222222)
    np.testing.assert_allclose(tx2["energy_j"], tx2["power_w"] * tx2["latency_ms"] / 1000)
    assert not tx2.duplicated(tx2.attrs["keys"]).any()
    assert tx2.attrs["measured"] == ["latency_ms", "power_w", "energy_j"]


def test_tx2_docstring_states_power_assumption():
    doc = datasets.tx2_xception.__doc__
    assert "ASSUMED" in doc and "mW" in doc and "relative" in doc


def test_a100_shape_and_units(a100):
    assert len(a100) == 2 * 8 * 2 * 38
    assert list(a100.columns) == [
        "device", "dnn", "block", "instruction", "compute_freq_mhz", "latency_ms", "power_w", "energy_j",
    ]
    assert set(a100["dnn"]) == {"bloom", "gpt3-175b"}
    assert set(a100["block"]) == set(range(8))
    assert set(a100["instruction"]) == {"forward", "backward"}
    assert a100["compute_freq_mhz"].min() == 855 and a100["compute_freq_mhz"].max() == 1410
    assert a100["latency_ms"].iloc[0] == pytest.approx(51.23121643066401)
    assert a100["energy_j"].iloc[0] == pytest.approx(24.150648000000043)
    np.testing.assert_allclose(a100["power_w"], a100["energy_j"] / a100["latency_ms"] * 1000)
    assert 100 < a100["power_w"].min() and a100["power_w"].max() < 500


def test_data_dir_prefers_installed_package(tmp_path, monkeypatch):
    assert (datasets.data_dir("a100-stages") / "SOURCES.md").is_file()
    installed = tmp_path / "pkg" / "data"
    (installed / "a100-stages").mkdir(parents=True)
    source_tree = tmp_path / "source" / "data"
    (source_tree / "a100-stages").mkdir(parents=True)
    (source_tree / "tx2-xception").mkdir(parents=True)
    monkeypatch.setattr(datasets, "_CANDIDATES", (installed, source_tree))
    assert datasets.data_dir("a100-stages") == installed / "a100-stages"
    assert datasets.data_dir("tx2-xception") == source_tree / "tx2-xception"  # falls back
    with pytest.raises(FileNotFoundError, match="no-such"):
        datasets.data_dir("no-such")


def test_bundled_folders_carry_attribution():
    for folder, license_word in (("tx2-xception", "MIT"), ("a100-stages", "Apache")):
        d = datasets.data_dir(folder)
        assert license_word in (d / "SOURCES.md").read_text()
        assert license_word in (d / "LICENSE").read_text()


def _table(title, rows):
    df = pd.DataFrame(rows)
    print(f"\n{title}\n{df.to_string(index=False, float_format=lambda v: f'{v:.3f}')}")
    return df


def test_a100_gpu_dvfs_beats_cpu_dvfs_by_aic(a100):
    """Per (dnn, stage, instruction): t = a f^-b + c explains SM-frequency scaling better than
    t = W / f."""
    rows = []
    for (dnn, block, instr), g in a100.groupby(["dnn", "block", "instruction"]):
        gpu = dvfskit.fit(models.gpu_dvfs, g, "latency_ms")
        cpu = dvfskit.fit(models.cpu_dvfs, g, "latency_ms")
        assert gpu.success and cpu.success
        rows.append({"dnn": dnn, "stage": block, "instruction": instr, "n": gpu.n,
                     "mape_gpu_dvfs_%": gpu.mape, "mape_cpu_dvfs_%": cpu.mape,
                     "aic_margin": cpu.aic - gpu.aic, "b": gpu.params["b"]})
    df = _table("A100 stages: gpu_dvfs vs cpu_dvfs (MAPE %, AIC margin = AIC(cpu) - AIC(gpu))", rows)
    assert len(df) == 32
    assert (df["aic_margin"] > 10).all()  # decisive in every group
    assert (df["mape_gpu_dvfs_%"] < 1.0).all()
    assert (df["mape_gpu_dvfs_%"] < df["mape_cpu_dvfs_%"]).all()


COMPUTE_ONLY = ("cpu_dvfs", "cpu_dvfs_offset", "gpu_dvfs")
JOINT = ("joint_mem_comp", "joint_mem_comp_nc", "roofline_smooth")


def test_tx2_memory_frequency_matters(tx2):
    """Per input size, with the CPU at its highest frequency (2035.2 MHz) and the 4 active-core
    masks as replicates (4 GPU x 4 EMC x 4 masks = 64 rows): the joint memory/compute model beats
    every compute-frequency-only model by AIC.

    Why this slice: CPU frequency is a third knob that none of these models has (at 345.6 MHz the
    host part adds ~100-250 ms at 200x200), so at a fixed CPU frequency its contribution is a
    constant absorbed in c; the core masks change latency by ~2 % (within the single-image noise),
    so they act as repeated measurements. The full grid is checked separately below."""
    cpu_max = tx2["cpu_freq_mhz"].max()
    rows = []
    for size, g in tx2[tx2["cpu_freq_mhz"] == cpu_max].groupby("input_size"):
        assert len(g) == 64
        fits = {name: dvfskit.fit(name, g, "latency_ms", max_iterations=10000) for name in COMPUTE_ONLY + JOINT}
        for name, r in fits.items():
            assert r.success, (size, name, r.message)
        best_compute = min(fits[n].aic for n in COMPUTE_ONLY)
        rows.append({"input_size": size, "n": len(g),
                     **{f"mape_{n}": fits[n].mape for n in COMPUTE_ONLY + JOINT},
                     "aic_margin_joint": best_compute - fits["joint_mem_comp"].aic,
                     "aic_margin_roofline": best_compute - fits["roofline_smooth"].aic})
        assert fits["joint_mem_comp"].aic < best_compute - 10, size
        assert fits["joint_mem_comp"].mape < min(fits[n].mape for n in COMPUTE_ONLY), size
    _table("TX2 Xception, CPU 2035.2 MHz: MAPE % per model; AIC margin vs best compute-only model", rows)


def test_tx2_full_grid_with_cpu_term(tx2):
    """On all 768 rows per size, adding a CPU-frequency term h * cpu^-eta to joint_mem_comp (a user
    model) beats joint_mem_comp, which still beats gpu_dvfs."""
    with_cpu = dvfskit.Model(
        "l * (mem_freq_mhz/1000)**(-beta) + u * (compute_freq_mhz/1000)**(-gamma)"
        " + h * (cpu_freq_mhz/1000)**(-eta) + c",
        ["compute_freq_mhz", "mem_freq_mhz", "cpu_freq_mhz"],
        name="joint_mem_comp_cpu",
        bounds={"l": (0, np.inf), "beta": (0, 4), "u": (0, np.inf), "gamma": (0, 4),
                "h": (0, np.inf), "eta": (0, 4), "c": (0, np.inf)},
    )
    rows = []
    for size, g in tx2.groupby("input_size"):
        gpu = dvfskit.fit("gpu_dvfs", g, "latency_ms")
        joint = dvfskit.fit("joint_mem_comp", g, "latency_ms", max_iterations=10000)
        start = dict(joint.params, h=0.05 * float(g["latency_ms"].median()), eta=1.0)
        rich = dvfskit.fit(with_cpu, g, "latency_ms", p0=start, max_iterations=10000)
        rows.append({"input_size": size, "n": len(g), "mape_gpu_dvfs": gpu.mape,
                     "mape_joint": joint.mape, "mape_joint_cpu": rich.mape,
                     "aic_gpu": gpu.aic, "aic_joint": joint.aic, "aic_joint_cpu": rich.aic})
        assert joint.aic < gpu.aic, size
        assert rich.aic < joint.aic - 10, size
    _table("TX2 Xception, full grid (12 CPU x 4 GPU x 4 EMC x 4 masks): MAPE % and AIC", rows)


def test_a100_stage_column_left_out_is_named_not_merged():
    """Stages 0-6 carry identical profiles: without the stage column their rows look like exact
    repeats. Loading must name the column instead of keeping one stage silently."""
    path = datasets.data_dir("a100-stages") / "bloom+a100_sxm_bf16.csv"
    columns = {"instruction": "instruction", "compute_freq_mhz": "frequency", "latency_ms": "time",
               "energy_j": "energy"}
    units = {"latency_ms": "s"}
    for aggregate in (None, "mean"):
        with pytest.raises(ValueError, match=r"keys\? \['stage'\]"):
            dvfskit.read_measurements(path, columns=columns, units=units, aggregate=aggregate)
    df = dvfskit.read_measurements(path, columns=columns, units=units, keys=["stage"])
    assert len(df) == 8 * 2 * 38


def test_tx2_files_load_as_one_table_with_a_file_key():
    folder = datasets.data_dir("tx2-xception")
    df = dvfskit.read_measurements(
        str(folder / "tx2_sampled_output_xception_*.csv"),
        columns={"cpu_freq_mhz": "core_freq", "compute_freq_mhz": "gpu_freq", "mem_freq_mhz": "emc_freq",
                 "latency_ms": "inference_time"},
        units={"cpu_freq_mhz": "kHz", "compute_freq_mhz": "Hz", "mem_freq_mhz": "Hz", "latency_ms": "s"},
        keys=["core0_status", "core1_status", "core2_status", "core3_status"],
    )
    assert len(df) == 4 * 768 and df["file"].nunique() == 4
    tx2 = datasets.tx2_xception()
    np.testing.assert_allclose(np.sort(df["latency_ms"]), np.sort(tx2["latency_ms"]))

"""Built-in models: catalogue, metadata, and recovery of known parameters from synthetic data
with the default (data-driven) starting values."""
import numpy as np
import pandas as pd
import pytest

import dvfskit
from dvfskit import models

# Grid of 12 compute x 8 memory frequencies (MHz), typical of an embedded GPU.
F = np.repeat(np.linspace(300.0, 1400.0, 12), 8)
M = np.tile(np.linspace(800.0, 2000.0, 8), 12)
DATA = pd.DataFrame({"compute_freq_mhz": F, "mem_freq_mhz": M})

TRUTH = {
    "cpu_dvfs": {"W": 50.0},
    "cpu_dvfs_offset": {"W": 50.0, "t0": 5.0},
    "gpu_dvfs": {"a": 40.0, "b": 0.8, "c": 10.0},
    "joint_mem_comp": {"l": 30.0, "beta": 1.2, "u": 40.0, "gamma": 0.9, "c": 5.0},
    "joint_mem_comp_nc": {"l": 30.0, "beta": 1.2, "u": 40.0, "gamma": 0.9},
    "roofline_smooth": {"W": 40.0, "Q": 60.0, "k": 3.0, "c": 5.0},
    "cmos": {"Ps": 2.0, "kf": 3.0, "alpha": 2.5, "km": 1.0, "delta": 1.5},
    "cmos_compute": {"Ps": 2.0, "kf": 3.0, "alpha": 2.5},
    "cubic": {"Ps": 2.0, "kappa": 1.5},
}
REQUIRED = {"cpu_dvfs", "cpu_dvfs_offset", "gpu_dvfs", "joint_mem_comp", "roofline_smooth", "cmos", "cubic"}


def test_catalogue():
    assert REQUIRED <= set(models.available())
    assert set(TRUTH) == set(models.available())
    for name in models.available():
        assert models.get(name) is getattr(models, name)
        assert models.get(name).name == name
    assert dvfskit.models.gpu_dvfs is models.get("gpu_dvfs")
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        models.get("nope")


def test_register_user_model():
    m = dvfskit.Model("q * compute_freq_mhz", ["compute_freq_mhz"], name="_test_linear")
    try:
        assert models.register(m) is m
        assert models.get("_test_linear") is m and "_test_linear" in models.available()
    finally:
        models._REGISTRY.pop("_test_linear")


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_metadata(name):
    m = models.get(name)
    assert m.description and "GHz" in m.description
    assert set(m.inputs) <= {"compute_freq_mhz", "mem_freq_mhz"}
    assert set(m.units) == set(m.parameters), "every parameter has a unit"
    assert set(m.bounds) == set(m.parameters), "every parameter has physical bounds"
    assert all(lo < hi for lo, hi in m.bounds.values())
    assert callable(m.guess) or m.grid_guess() is not None, "every model computes its own starting values"
    assert set(TRUTH[name]) == set(m.parameters)


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_guess_is_inside_bounds(name):
    m = models.get(name)
    y = m.evaluate(DATA, TRUTH[name])
    g = dvfskit.starting_values(m, DATA, y)
    assert set(g) == set(m.parameters)
    for p, v in g.items():
        lo, hi = m.bounds[p]
        assert isinstance(v, float) and lo < v < hi, (p, v)


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_noiseless_recovery_with_default_guess(name):
    m = models.get(name)
    truth = TRUTH[name]
    y = m.evaluate(DATA, truth)
    r = dvfskit.fit(m, DATA, y)  # no p0: the model's guess
    assert r.success, r.message
    for p, v in truth.items():
        assert r.params[p] == pytest.approx(v, rel=1e-5), p
    assert r.mape < 1e-4


@pytest.mark.parametrize("name", sorted(TRUTH))
@pytest.mark.parametrize("seed", [1, 2])
def test_noisy_recovery_within_stderr(name, seed):
    m = models.get(name)
    truth = TRUTH[name]
    y0 = m.evaluate(DATA, truth)
    rng = np.random.default_rng(seed)
    sigma = 0.01 * float(np.median(y0))  # additive noise, 1 % of the typical value
    y = y0 + sigma * rng.standard_normal(y0.size)
    r = dvfskit.fit(m, DATA, y)
    assert r.success, r.message
    assert r.rmse == pytest.approx(sigma, rel=0.25)
    for p, v in truth.items():
        err = r.stderr[p]
        assert np.isfinite(err) and err > 0, p
        assert abs(r.params[p] - v) < 4.0 * err, (p, r.params[p], v, err)


def test_fit_by_name_and_scaled_parameters():
    """Parameters are O(1) because frequencies enter in GHz."""
    y = models.gpu_dvfs.evaluate(DATA, TRUTH["gpu_dvfs"])
    r = dvfskit.fit("gpu_dvfs", DATA, y)
    assert r.params["b"] == pytest.approx(0.8, rel=1e-6)
    at_1ghz = models.gpu_dvfs.evaluate({"compute_freq_mhz": np.array([1000.0])}, TRUTH["gpu_dvfs"])
    assert at_1ghz[0] == pytest.approx(40.0 + 10.0)


def test_cpu_dvfs_is_inverse_frequency():
    y = models.cpu_dvfs.evaluate({"compute_freq_mhz": np.array([500.0, 1000.0, 2000.0])}, {"W": 10.0})
    np.testing.assert_allclose(y, [20.0, 10.0, 5.0])


def test_roofline_limits():
    """k = 1 adds the two times; a large k approaches their maximum."""
    d = {"compute_freq_mhz": np.array([1000.0]), "mem_freq_mhz": np.array([2000.0])}
    add = models.roofline_smooth.evaluate(d, {"W": 4.0, "Q": 2.0, "k": 1.0, "c": 0.5})
    mx = models.roofline_smooth.evaluate(d, {"W": 4.0, "Q": 2.0, "k": 50.0, "c": 0.5})
    assert add[0] == pytest.approx(4.0 + 1.0 + 0.5)
    assert mx[0] == pytest.approx(4.0 + 0.5, rel=1e-3)


def test_guess_handles_flat_data():
    """A flat latency (frequency-insensitive workload) must still give finite starts and a fit."""
    y = np.full(F.size, 7.0)
    for name in ("gpu_dvfs", "joint_mem_comp", "roofline_smooth"):
        r = dvfskit.fit(name, DATA, y)
        assert all(np.isfinite(v) for v in r.params.values())
        assert r.mape < 1.0, name

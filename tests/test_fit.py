"""dvfskit.fit and FitResult: recovery of known parameters, options, errors, round-trips."""
from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pandas as pd
import pytest

import dvfskit

GPU = "a * f**(-b) + c"
TRUTH = {"a": 30.0, "b": 0.8, "c": 5.0}


def gpu_frame(seed: int = 0, n: int = 40, noise: float = 0.01) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = np.linspace(0.2, 1.4, n)
    y = (TRUTH["a"] * f ** -TRUTH["b"] + TRUTH["c"]) * (1 + noise * rng.standard_normal(n))
    return pd.DataFrame({"f": f, "latency_ms": y})


@pytest.mark.parametrize("seed", range(5))
def test_recovers_gpu_model_within_standard_errors(seed: int) -> None:
    df = gpu_frame(seed)
    r = dvfskit.fit(dvfskit.Model(GPU, inputs=["f"]), df, "latency_ms", p0={"a": 10, "b": 1, "c": 1})
    assert r.success
    for name, truth in TRUTH.items():
        assert abs(r.params[name] - truth) < 4 * r.stderr[name], (name, r)
    assert r.n == 40 and r.dof == 37
    assert r.r2 > 0.99


def test_joint_memory_compute_model_recovery() -> None:
    rng = np.random.default_rng(3)
    f, m = np.meshgrid(np.linspace(0.3, 1.3, 8), np.linspace(0.8, 1.9, 5))
    f, m = f.ravel(), m.ravel()
    truth = {"l": 4.0, "beta": 1.2, "u": 20.0, "gamma": 0.9, "c": 2.0}
    y = truth["l"] * m ** -truth["beta"] + truth["u"] * f ** -truth["gamma"] + truth["c"]
    y = y + 0.05 * rng.standard_normal(y.size)
    model = dvfskit.Model("l * m**(-beta) + u * f**(-gamma) + c", inputs=["f", "m"])
    r = dvfskit.fit(model, {"f": f, "m": m}, y, p0=[1, 1, 1, 1, 1])
    for name, value in truth.items():
        assert abs(r.params[name] - value) < 4 * r.stderr[name], (name, r)


def test_noiseless_data_is_fitted_exactly() -> None:
    f = np.linspace(0.2, 1.4, 12)
    y = 30 * f ** -0.8 + 5
    r = dvfskit.fit(dvfskit.Model(GPU, inputs=["f"]), {"f": f}, y, p0=[10, 1, 1])
    assert r.params == pytest.approx(TRUTH, rel=1e-8)
    assert r.rss < 1e-18


def test_callable_model_matches_expression_model() -> None:
    df = gpu_frame(1)

    def gpu(f, a, b, c):
        return a * f ** -b + c

    model = dvfskit.Model(gpu, inputs=["f"])
    assert model.parameters == ("a", "b", "c")
    r1 = dvfskit.fit(model, df, "latency_ms", p0=[10, 1, 1])
    r2 = dvfskit.fit(dvfskit.Model(GPU, inputs=["f"]), df, "latency_ms", p0=[10, 1, 1])
    assert r1.params == pytest.approx(r2.params, rel=1e-6)
    assert r1.stderr == pytest.approx(r2.stderr, rel=1e-4)


def test_callable_errors_propagate() -> None:
    def broken(f, a):
        raise RuntimeError("model exploded")

    with pytest.raises(RuntimeError, match="model exploded"):
        dvfskit.fit(dvfskit.Model(broken, inputs=["f"]), {"f": [1.0, 2.0, 3.0]}, [1.0, 2.0, 3.0])


def test_bounds_fixed_and_at_bound_reporting() -> None:
    df = gpu_frame(2)
    model = dvfskit.Model(GPU, inputs=["f"])
    r = dvfskit.fit(model, df, "latency_ms", p0=[10, 1, 0], bounds={"c": (-1.0, 1.0)})
    assert r.params["c"] == pytest.approx(1.0)
    assert r.at_bound == ["c"]
    assert math.isnan(r.stderr["c"])
    assert math.isfinite(r.stderr["a"])
    assert "at bound" in repr(r)
    r = dvfskit.fit(model, df, "latency_ms", p0=[10, 1, 1], fixed={"b": 0.8})
    assert r.params["b"] == 0.8 and r.fixed == ["b"] and r.dof == 38
    r = dvfskit.fit(model, df, "latency_ms", p0=[10, 0.8, 1], fixed=["b"])
    assert r.params["b"] == 0.8


def test_weights_equal_to_duplicating_points() -> None:
    df = gpu_frame(4, n=20)
    model = dvfskit.Model(GPU, inputs=["f"])
    w = np.ones(20)
    w[:5] = 2.0
    weighted = dvfskit.fit(model, df, "latency_ms", p0=[10, 1, 1], weights=w)
    duplicated = pd.concat([df, df.iloc[:5]])
    plain = dvfskit.fit(model, duplicated, "latency_ms", p0=[10, 1, 1])
    assert weighted.params == pytest.approx(plain.params, rel=1e-7)


@pytest.mark.parametrize("loss", ["huber", "soft_l1", "cauchy", "arctan"])
def test_robust_losses_resist_outliers(loss: str) -> None:
    df = gpu_frame(5, noise=0.005)
    y = df["latency_ms"].to_numpy().copy()
    y[[4, 13, 27]] *= [3.0, 0.3, 2.5]
    model = dvfskit.Model(GPU, inputs=["f"])
    plain = dvfskit.fit(model, df.assign(latency_ms=y), "latency_ms", p0=[10, 1, 1])
    robust = dvfskit.fit(model, df.assign(latency_ms=y), "latency_ms", p0=[10, 1, 1], loss=loss, loss_scale=0.3)
    assert abs(robust.params["b"] - 0.8) < 0.03
    assert abs(robust.params["b"] - 0.8) < abs(plain.params["b"] - 0.8)


def test_multistart_is_deterministic_and_no_worse() -> None:
    df = gpu_frame(6)
    model = dvfskit.Model(GPU, inputs=["f"])
    kw = dict(p0=[1e-3, 4, -40], starts=6, seed=7, retries=0)
    r1 = dvfskit.fit(model, df, "latency_ms", **kw)
    r2 = dvfskit.fit(model, df, "latency_ms", **kw)
    assert r1.params == r2.params
    single = dvfskit.fit(model, df, "latency_ms", p0=[1e-3, 4, -40], retries=0)
    assert r1.rss <= single.rss * (1 + 1e-12)


def test_statistics_match_their_definitions() -> None:
    df = gpu_frame(7)
    r = dvfskit.fit(dvfskit.Model(GPU, inputs=["f"]), df, "latency_ms", p0=[10, 1, 1])
    y = df["latency_ms"].to_numpy()
    res = y - r.predict(df)
    assert np.allclose(res, r.residuals)
    rss = float(np.sum(res ** 2))
    assert r.rss == pytest.approx(rss, rel=1e-12)
    assert r.rmse == pytest.approx(math.sqrt(rss / 40), rel=1e-12)
    assert r.r2 == pytest.approx(1 - rss / np.sum((y - y.mean()) ** 2), rel=1e-12)
    assert r.mape == pytest.approx(100 * np.mean(np.abs(res / y)), rel=1e-12)
    assert r.aic == pytest.approx(40 * math.log(rss / 40) + 6, rel=1e-12)
    assert r.bic == pytest.approx(40 * math.log(rss / 40) + 3 * math.log(40), rel=1e-12)
    # covariance agrees with the Gauss-Newton formula from the exact Jacobian
    e = dvfskit.Model(GPU, inputs=["f"])._expression
    J = np.asarray(e.jacobian([df["f"].to_numpy()], np.array(list(r.params.values()))))
    cov = np.linalg.inv(J.T @ J) * rss / 37
    assert np.allclose(r.covariance.to_numpy(), cov, rtol=1e-6)


def test_pickle_and_json_round_trips() -> None:
    df = gpu_frame(8)
    r = dvfskit.fit(dvfskit.Model(GPU, inputs=["f"]), df, "latency_ms", p0=[10, 1, 0.5], bounds={"c": (0, 1)})
    for back in (pickle.loads(pickle.dumps(r)), dvfskit.FitResult.from_dict(json.loads(json.dumps(r.to_dict())))):
        assert back.params == r.params
        assert back.at_bound == r.at_bound
        assert back.aic == r.aic
        assert np.allclose(back.predict(df), r.predict(df))
        assert repr(back) == repr(r)
    assert r.at_bound == ["c"]
    assert "null" in json.dumps(r.to_dict())  # NaN stderr of the pinned parameter is JSON null
    assert "<table" in r._repr_html_()


def test_input_is_not_modified() -> None:
    df = gpu_frame(9)
    before = df.copy()
    p0 = {"a": 10.0, "b": 1.0, "c": 1.0}
    dvfskit.fit(dvfskit.Model(GPU, inputs=["f"]), df, "latency_ms", p0=p0, bounds={"c": (0, 10)})
    pd.testing.assert_frame_equal(df, before)
    assert p0 == {"a": 10.0, "b": 1.0, "c": 1.0}


# --- bad input: a clear exception, never a crash or a silent NaN ---------------------------------

def test_expression_errors_point_at_the_fault() -> None:
    with pytest.raises(dvfskit.ExpressionError, match=r"position 8") as err:
        dvfskit.Model("a * f + ", inputs=["f"])
    assert "^" in str(err.value)
    with pytest.raises(ValueError, match="unknown name 'q'"):
        dvfskit.Model("a * f + q", inputs=["f"], parameters=["a"])
    with pytest.raises(ValueError, match="unknown function 'foo'"):
        dvfskit.Model("foo(f)", inputs=["f"])
    with pytest.raises(ValueError, match=r"write powers as \*\*"):
        dvfskit.Model("a * f^2", inputs=["f"])


def test_bad_data_is_rejected_with_names() -> None:
    model = dvfskit.Model(GPU, inputs=["f"])
    with pytest.raises(ValueError, match="no column 'f'"):
        dvfskit.fit(model, {"g": [1, 2, 3]}, [1, 2, 3])
    with pytest.raises(ValueError, match=r"row 1, column 'f'.*not finite"):
        dvfskit.fit(model, {"f": [1, np.nan, 3, 4]}, [1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"row 2, column 'y'"):
        dvfskit.fit(model, {"f": [1, 2, 3, 4]}, [1, 2, np.inf, 4])
    with pytest.raises(ValueError, match=r"column 'f'.*'x' is not a number"):
        dvfskit.fit(model, {"f": [1, "x", 3, 4]}, [1, 2, 3, 4])
    with pytest.raises(ValueError, match="y has 3 values"):
        dvfskit.fit(model, {"f": [1, 2, 3, 4]}, [1, 2, 3])
    with pytest.raises(ValueError, match="cannot determine 3 free parameters"):
        dvfskit.fit(model, {"f": [1, 2]}, [1, 2])
    with pytest.raises(ValueError, match="empty"):
        dvfskit.fit(model, {"f": []}, [])


def test_bad_parameters_are_rejected_with_names() -> None:
    model = dvfskit.Model(GPU, inputs=["f"])
    data = {"f": [1.0, 2.0, 3.0, 4.0]}
    y = [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(ValueError, match=r"parameter 'b' lies outside its bounds"):
        dvfskit.fit(model, data, y, p0=[1, 5, 1], bounds={"b": (0, 2)})
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['z'\]"):
        dvfskit.fit(model, data, y, bounds={"z": (0, 1)})
    with pytest.raises(ValueError, match="takes 3 parameters"):
        dvfskit.fit(model, data, y, p0=[1, 2])
    with pytest.raises(ValueError, match="loss must be one of"):
        dvfskit.fit(model, data, y, loss="l2")
    with pytest.raises(ValueError, match="lower bound exceeds upper bound"):
        dvfskit.fit(model, data, y, bounds={"a": (2, 1)})


# --- weights, units, solvers -----------------------------------------------------------------

@pytest.mark.parametrize("weights, match", [
    (np.zeros(40), "weights are all zero"),
    (np.r_[np.ones(39), -1.0], r"weights must be >= 0: weights\[39\] = -1.0"),
    (np.r_[np.ones(39), np.nan], r"row 39, column 'weights'"),
    (np.r_[np.ones(2), np.zeros(38)], "weights: only 2 points have a positive weight; they cannot determine 3"),
])
def test_bad_weights_are_rejected(weights: np.ndarray, match: str) -> None:
    df = gpu_frame(10)
    with pytest.raises(ValueError, match=match):
        dvfskit.fit(dvfskit.Model(GPU, inputs=["f"]), df, "latency_ms", p0=[10, 1, 1], weights=weights)


def test_zero_weights_drop_points_and_their_degrees_of_freedom() -> None:
    df = gpu_frame(11)
    w = np.ones(40)
    w[30:] = 0.0
    weighted = dvfskit.fit(dvfskit.Model(GPU, inputs=["f"]), df, "latency_ms", p0=[10, 1, 1], weights=w)
    subset = dvfskit.fit(dvfskit.Model(GPU, inputs=["f"]), df.iloc[:30], "latency_ms", p0=[10, 1, 1])
    assert weighted.params == pytest.approx(subset.params, rel=1e-8)
    assert weighted.stderr == pytest.approx(subset.stderr, rel=1e-6)
    assert weighted.dof == subset.dof == 27 and weighted.aic == pytest.approx(subset.aic, rel=1e-9)


GRID = pd.DataFrame({"compute_freq_mhz": np.repeat(np.linspace(300.0, 1400.0, 12), 5),
                     "mem_freq_mhz": np.tile(np.linspace(800.0, 2000.0, 5), 12)})


@pytest.mark.parametrize("y_scale", [1e-12, 1e-9, 1e-3, 1e3, 1e12])
@pytest.mark.parametrize("x_scale", [1e-12, 1e-3, 1.0, 1e12])
def test_fits_do_not_depend_on_the_units_of_y_or_of_the_inputs(y_scale: float, x_scale: float) -> None:
    """The same data in other units: the same fit, parameters converted (a f^-b + c: a scales
    with y and with f^b), success, identical r2 and MAPE."""
    rng = np.random.default_rng(12)
    truth = {"l": 30.0, "beta": 1.2, "u": 40.0, "gamma": 0.9, "c": 5.0}
    y = dvfskit.models.joint_mem_comp.evaluate(GRID, truth) * (1 + 0.01 * rng.standard_normal(len(GRID)))
    scaled = GRID * x_scale
    for name, convert in (("gpu_dvfs", lambda p: {"a": p["a"] * y_scale * x_scale ** p["b"], "b": p["b"],
                                                   "c": p["c"] * y_scale}),
                          ("joint_mem_comp", lambda p: {"l": p["l"] * y_scale * x_scale ** p["beta"], "beta": p["beta"],
                                                         "u": p["u"] * y_scale * x_scale ** p["gamma"],
                                                         "gamma": p["gamma"], "c": p["c"] * y_scale})):
        reference = dvfskit.fit(name, GRID, y)
        r = dvfskit.fit(name, scaled, y * y_scale)
        assert r.success, (name, r.message)
        expected = convert(reference.params)
        for p, v in r.params.items():
            assert v == pytest.approx(expected[p], rel=1e-6, abs=1e-12 * abs(expected[p]) + 1e-300), (name, p)
        assert r.r2 == pytest.approx(reference.r2, rel=1e-9)
        assert r.mape == pytest.approx(reference.mape, rel=1e-6)
        assert r.rss == pytest.approx(reference.rss * y_scale ** 2, rel=1e-6)
    # a user model with a starting value in the new units
    model = dvfskit.Model("a * exp(-b * x) + c", inputs=["x"])
    x = np.linspace(0.0, 6.0, 30)
    yy = (4 * np.exp(-0.7 * x) + 1) * (1 + 0.01 * rng.standard_normal(30))
    reference = dvfskit.fit(model, {"x": x}, yy, p0={"b": 1.0})
    r = dvfskit.fit(model, {"x": x * x_scale}, yy * y_scale, p0={"b": 1.0 / x_scale})
    assert r.success, r.message
    assert r.params["b"] * x_scale == pytest.approx(reference.params["b"], rel=1e-7)
    assert r.params["a"] / y_scale == pytest.approx(reference.params["a"], rel=1e-7)


def test_y_too_small_for_its_squares_is_rejected() -> None:
    df = gpu_frame(13)
    with pytest.raises(ValueError, match="too small"):
        dvfskit.fit("gpu_dvfs", df.assign(compute_freq_mhz=df.f * 1000, latency_ms=df.latency_ms * 1e-310),
                    "latency_ms")


def test_dense_and_ceres_solvers_agree_and_options_are_checked() -> None:
    df = gpu_frame(14)
    model = dvfskit.Model(GPU, inputs=["f"], bounds={"c": (0, 100)})
    dense = dvfskit.fit(model, df, "latency_ms", p0=[10, 1, 1], solver="dense")
    ceres = dvfskit.fit(model, df, "latency_ms", p0=[10, 1, 1], solver="ceres")
    auto = dvfskit.fit(model, df, "latency_ms", p0=[10, 1, 1])
    assert dense.success and ceres.success
    assert dense.params == pytest.approx(ceres.params, rel=1e-7)
    assert dense.stderr == pytest.approx(ceres.stderr, rel=1e-5)
    np.testing.assert_allclose(dense.covariance.to_numpy(), ceres.covariance.to_numpy(), rtol=1e-5)
    assert auto.params == dense.params  # auto picks the dense solver for a small plain fit
    huber = dvfskit.fit(model, df, "latency_ms", p0=[10, 1, 1], loss="huber", loss_scale=0.3)
    assert huber.params == dvfskit.fit(model, df, "latency_ms", p0=[10, 1, 1], loss="huber", loss_scale=0.3,
                                       solver="ceres").params  # robust losses run on Ceres
    with pytest.raises(ValueError, match="solver='dense' fits loss='linear' only"):
        dvfskit.fit(model, df, "latency_ms", solver="dense", loss="huber")
    with pytest.raises(ValueError, match="solver must be one of"):
        dvfskit.fit(model, df, "latency_ms", solver="lm")


def test_given_linear_starts_are_honoured_and_projection_finds_the_same_optimum() -> None:
    """The full problem from p0 for every parameter, variable projection from p0 for the
    nonlinear one only: one optimum."""
    df = gpu_frame(15)
    model = dvfskit.Model(GPU, inputs=["f"])
    full = dvfskit.fit(model, df, "latency_ms", p0=[10, 1, 1])
    projected = dvfskit.fit(model, df, "latency_ms", p0={"b": 1.0})
    assert full.params == pytest.approx(projected.params, rel=1e-7)
    assert dvfskit._core.linear_parameters(model.expression) == [0, 2]


def test_the_quick_path_for_arrays_and_full_p0_checks_like_the_full_path() -> None:
    """A dict of float64 arrays with p0 for every parameter runs in one C++ call; anything wrong
    there still raises the full path's error naming the row, column or parameter."""
    model = dvfskit.Model(GPU, inputs=["f"], bounds={"b": (0, 2)})
    f, y = np.linspace(0.2, 1.4, 12), 30 * np.linspace(0.2, 1.4, 12) ** -0.8 + 5
    quick = dvfskit.fit(model, {"f": f}, y, p0=[10.0, 1.0, 1.0])
    full = dvfskit.fit(model, pd.DataFrame({"f": f}), list(y), p0=[10.0, 1.0, 1.0])
    assert quick.params == full.params and quick.stderr == full.stderr and quick.message == full.message
    assert quick.fixed == [] and quick.at_bound == full.at_bound
    bad_f = f.copy()
    bad_f[3] = np.nan
    with pytest.raises(ValueError, match=r"row 3, column 'f'"):
        dvfskit.fit(model, {"f": bad_f}, y, p0=[10.0, 1.0, 1.0])
    bad_y = y.copy()
    bad_y[5] = np.inf
    with pytest.raises(ValueError, match=r"row 5, column 'y'"):
        dvfskit.fit(model, {"f": f}, bad_y, p0=[10.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"parameter 'b' lies outside its bounds"):
        dvfskit.fit(model, {"f": f}, y, p0=[10.0, 3.0, 1.0])
    with pytest.raises(ValueError, match="cannot determine 3 free parameters"):
        dvfskit.fit(model, {"f": f[:2]}, y[:2], p0=[10.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="y has 12 values but the inputs have 11"):
        dvfskit.fit(model, {"f": f[:11]}, y, p0=[10.0, 1.0, 1.0])

"""Problems over any knobs: random configuration sets with 1 to 4 knobs (dense and sparse, down to
30 % of the grid, with a label knob), 1 to 8 blocks, partial offloading on tables, infeasible,
tight and loose deadlines, against the independent numpy brute force of tests/knobs_reference.py;
the baselines over knobs against brute-force subsets; Problem.from_measurements and bad input."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import dvfskit
from knobs_reference import at_maxima, brute_force, min_latency, random_configs, random_scenario, random_tables

KINDS = ("infeasible", "tight", "near", "loose", "loose", "very_loose")
FRACTIONS = (None, [0.0, 0.25, 0.5, 0.75, 1.0], [0.3, 0.6, 1.0])


def random_problem(rng: np.random.Generator, kind: str, fractions=None, max_blocks: int = 8):
    d = int(rng.integers(1, 5))
    density = 1.0 if rng.random() < 0.3 else float(rng.uniform(0.3, 1.0))
    configs = random_configs(rng, d, density, with_label=d > 1 and rng.random() < 0.4)
    L = int(rng.integers(1, max_blocks + 1))
    lat, pw = random_tables(rng, configs, L)
    bits = rng.uniform(1e3, 2e6, L + 1) * (10.0 if rng.random() < 0.15 else 1.0)
    if rng.random() < 0.2:
        bits[rng.integers(0, L + 1)] = 0.0
    server = np.r_[np.sort(rng.uniform(0.1, 20.0, L))[::-1], 0.0]
    sc = random_scenario(rng, L)
    lmin = min_latency(lat, bits, server, sc, fractions)
    factor = {"infeasible": rng.uniform(0.3, 1.0 - 1e-6), "tight": 1.0, "near": 1.0 + 10 ** rng.uniform(-8, -2),
              "loose": rng.uniform(1.05, 5.0), "very_loose": rng.uniform(20.0, 1e4)}[kind]
    sc["deadline_ms"] = lmin * factor
    problem = dvfskit.Problem.from_config_tables(configs, lat, pw, bits, server, offload_fractions=fractions, **sc)
    return problem, dict(lat=lat, pw=pw, out_bits=bits, server=server, sc=sc, fractions=fractions, configs=configs)


def check_against_brute_force(problem, ref, objective="energy", w=0.0):
    sol = dvfskit.solve(problem, ("weighted", w) if objective == "weighted" else objective)
    feasible, cost, energy = brute_force(ref["lat"], ref["pw"], ref["out_bits"], ref["server"], ref["sc"],
                                         ref["fractions"], kind=objective, w=w)
    assert sol.feasible == feasible, (sol, ref["sc"]["deadline_ms"])
    assert sol.min_latency_ms == pytest.approx(
        min_latency(ref["lat"], ref["out_bits"], ref["server"], ref["sc"], ref["fractions"]), rel=1e-12)
    if feasible:
        value = sol.energy_j if objective == "energy" else sol.objective_value
        assert value == pytest.approx(cost, rel=1e-6), (sol, cost)
        assert value <= cost * (1 + 1e-9)
        assert sol.latency_ms <= ref["sc"]["deadline_ms"] * (1 + 1e-9)
    return sol


def test_energy_matches_brute_force_over_knobs_sets_and_fractions():
    rng = np.random.default_rng(20260207)
    seen = {"infeasible": 0, "sparse": 0, "label knob": 0, "4 knobs": 0, "partial chosen": 0, "split 0 partial": 0,
            "all local": 0, "full offload": 0}
    for i in range(600):
        fractions = FRACTIONS[i % 3]
        problem, ref = random_problem(rng, KINDS[i % len(KINDS)], fractions)
        sol = check_against_brute_force(problem, ref)
        configs = problem.configs
        seen["sparse"] += int(len(configs) < np.prod([configs.levels(k).size for k in configs.knobs]))
        seen["label knob"] += "core_mask" in configs.knobs
        seen["4 knobs"] += len(configs.knobs) == 4
        if not sol.feasible:
            seen["infeasible"] += 1
            continue
        seen["partial chosen"] += 0 < sol.offload_fraction < 1
        seen["split 0 partial"] += sol.split == 0 and sol.offload_fraction < 1
        seen["all local"] += sol.split == problem.num_blocks
        seen["full offload"] += sol.split == 0 and sol.config is None
        if sol.config is not None:  # the labels are the chosen configuration's
            assert sol.config == configs.label(sol.config_index)
    print(f"\ncoverage {seen}")
    assert all(v >= 10 for v in seen.values()), seen


@pytest.mark.parametrize("objective", ["weighted", "edp", "latency"])
def test_other_objectives_with_partial_offloading(objective):
    rng = np.random.default_rng({"weighted": 1, "edp": 2, "latency": 3}[objective])
    for i in range(250):
        problem, ref = random_problem(rng, KINDS[i % len(KINDS)], FRACTIONS[1 + i % 2], max_blocks=5)
        w = float(10 ** rng.uniform(-3, 1)) if objective == "weighted" else 0.0
        check_against_brute_force(problem, ref, objective, w)


def test_rho_zero_is_all_local_and_grid_problems_unchanged():
    rng = np.random.default_rng(5)
    problem, ref = random_problem(rng, "very_loose", [0.0, 1.0])
    without = dvfskit.Problem.from_config_tables(ref["configs"], ref["lat"], ref["pw"], ref["out_bits"], ref["server"],
                                                 offload_fractions=[1.0], **ref["sc"])
    assert dvfskit.solve(problem).energy_j == dvfskit.solve(without).energy_j
    # a dense 2-knob grid through from_tables and through from_config_tables: the same problem
    t = ref["lat"][:, :1]
    grid = dvfskit.Problem.from_tables(t[:, :, None], ref["pw"][:, :1, None], [500.0], [800.0], ref["out_bits"],
                                       ref["server"], **ref["sc"])
    same = dvfskit.Problem.from_config_tables({"compute_freq_mhz": [500.0], "mem_freq_mhz": [800.0]}, t,
                                              ref["pw"][:, :1], ref["out_bits"], ref["server"], **ref["sc"])
    assert dvfskit.solve(grid).to_dict() == dvfskit.solve(same).to_dict()


def test_baselines_over_knobs_match_brute_force_subsets():
    rng = np.random.default_rng(11)
    checked = 0
    for i in range(120):
        problem, ref = random_problem(rng, KINDS[3 + i % 3], FRACTIONS[i % 3], max_blocks=5)
        configs = ref["configs"]
        freq = [k for k in configs.columns if k.endswith("_mhz")]
        df = dvfskit.baselines(problem)
        expected = {"optimal": {}, "all_local": {"split": problem.num_blocks},
                    "full_offload": {"split": 0, "fraction": 1.0 if ref["fractions"] is None else max(ref["fractions"])},
                    "fixed_max_power": {"fixed_max_power": True}, "max_frequency": {"allowed": at_maxima(configs, freq)}}
        for knob in freq:
            expected[f"only_{knob}"] = {"allowed": at_maxima(configs, [k for k in freq if k != knob])}
        assert set(df.index) == set(expected) | {"cpu_dvfs_model"} | ({"compute_dvfs_only"} & set(df.index))
        for name, restriction in expected.items():
            feasible, _, energy = brute_force(ref["lat"], ref["pw"], ref["out_bits"], ref["server"], ref["sc"],
                                              ref["fractions"], **restriction)
            assert bool(df.loc[name, "feasible"]) == feasible, name
            if feasible:
                assert df.loc[name, "energy_j"] == pytest.approx(energy, rel=1e-6), name
                assert df.loc[name, "energy_j"] >= df.loc["optimal", "energy_j"] * (1 - 1e-12)
                checked += 1
        for knob in problem.configs.knobs:  # one column per knob, the plan's own values
            k = int(df.loc["max_frequency", "config"])
            if k >= 0:
                assert df.loc["max_frequency", knob] == problem.configs.label(k)[knob]
    assert checked > 300


def test_max_frequency_in_a_sparse_set_without_all_maxima_is_lexicographic():
    configs = pd.DataFrame({"cpu_freq_mhz": [2000.0, 2000.0, 1000.0, 500.0],
                            "compute_freq_mhz": [500.0, 300.0, 1300.0, 1300.0],
                            "core_mask": ["1111", "1111", "1100", "1111"]})
    lat = np.array([[4.0, 5.0, 3.0, 3.5]])
    pw = np.array([[5.0, 4.0, 6.0, 5.5]])
    p = dvfskit.Problem.from_config_tables(configs, lat, pw, [1e9, 0.0], [1.0, 0.0], bandwidth_hz=1e6, gain=1e-7,
                                           noise_w_per_hz=1e-17, p_max_w=1.0, deadline_ms=100.0)
    df = dvfskit.baselines(p)
    # no configuration has cpu 2000 and gpu 1300: cpu first (knob order), then the largest gpu among those
    assert df.loc["max_frequency", "config"] == 0
    # only_compute_freq_mhz: the cpu at its maximum (configurations 0, 1), the gpu free
    assert df.loc["only_compute_freq_mhz", "config"] in (0, 1)
    assert df.loc["only_cpu_freq_mhz", "config"] in (2, 3)  # the gpu at its maximum, the cpu free
    assert df.loc["only_compute_freq_mhz", "energy_j"] == pytest.approx(min(4 * 5, 5 * 4) / 1000)
    assert (df["core_mask"].dropna() != "").all() and df.attrs["tables_kind"] == "measured"


# ---------------------------------------------------------------------------------------------
# Problem.from_measurements

def long_measurements(rng, blocks=("conv", "fc", "head"), density=0.6):
    configs = random_configs(rng, 3, density, with_label=True)
    lat, pw = random_tables(rng, configs, len(blocks))
    rows = []
    for i, b in enumerate(blocks):
        part = configs.copy()
        part.insert(0, "block", b)
        part["latency_ms"] = lat[i]
        part["power_w"] = pw[i]
        part["temperature_c"] = 40.0
        rows.append(part)
    df = pd.concat(rows, ignore_index=True).sample(frac=1.0, random_state=3).reset_index(drop=True)
    return df, configs, lat, pw


CHANNEL = dict(bandwidth_hz=2e6, gain=1e-7, noise_w_per_hz=1e-17, p_max_w=0.5, deadline_ms=25.0, p_circuit_w=0.05)


def test_from_measurements_equals_the_tables_it_reads():
    rng = np.random.default_rng(2)
    df, configs, lat, pw = long_measurements(rng)
    before = df.copy()
    kw = dict(out_bits=[4e5, 2e5, 1e5, 8e3], server_latency_ms=[6.0, 4.0, 1.0, 0.0], **CHANNEL)
    p = dvfskit.Problem.from_measurements(df, knobs=["k0_mhz", "k1_mhz", "core_mask"], block="block",
                                          blocks=["conv", "fc", "head"], **kw)
    pd.testing.assert_frame_equal(df, before)  # nothing passed in is modified
    assert p.block_names == ["conv", "fc", "head"] and p.tables_kind == "measured"
    assert p.configs.knobs == ("k0_mhz", "k1_mhz", "core_mask")
    # the same tables, whatever the row order: compare through the labels
    for k in range(len(p.configs)):
        label = p.configs.label(k)
        row = int(configs.index[(configs[list(label)] == pd.Series(label)).all(axis=1)][0])
        np.testing.assert_array_equal(p.config_latency_ms[:, k], lat[:, row])
        np.testing.assert_array_equal(p.config_power_w[:, k], pw[:, row])
    ref = dvfskit.Problem.from_config_tables(configs, lat, pw, **kw)
    assert dvfskit.solve(p).energy_j == pytest.approx(dvfskit.solve(ref).energy_j, rel=1e-15)
    # default knobs: the *_mhz columns; blocks in order of first appearance; energy instead of power
    q = dvfskit.Problem.from_measurements(df[df.core_mask == "1111"].drop(columns="power_w")
                                          .assign(energy_j=df.latency_ms * df.power_w / 1000), block="block", **kw)
    assert q.configs.knobs == ("k0_mhz", "k1_mhz")
    assert q.block_names == list(dict.fromkeys(df.block[df.core_mask == "1111"]))
    whole = dvfskit.Problem.from_measurements(df[df.block == "fc"], knobs=["k0_mhz", "k1_mhz", "core_mask"],
                                              out_bits=[1e5, 0.0], server_latency_ms=[1.0, 0.0], **CHANNEL)
    assert whole.num_blocks == 1


@pytest.mark.parametrize("change, message", [
    (lambda df: df.drop(columns="k1_mhz"), "no knob column 'k1_mhz'"),
    (lambda df: df.assign(latency_ms=df.latency_ms.where(df.index != 5, np.nan)), "row 5, column 'latency_ms'"),
    (lambda df: df.assign(latency_ms=df.latency_ms.where(df.index != 7, np.inf)), "row 7, column 'latency_ms'"),
    (lambda df: df.assign(latency_ms=df.latency_ms.where(df.index != 2, 0.0)), "row 2, column 'latency_ms'"),
    (lambda df: df.assign(latency_ms=df.latency_ms.where(df.index != 4, -1.0)), "row 4, column 'latency_ms'"),
    (lambda df: df.drop(index=3), "has no row for configuration"),
    (lambda df: pd.concat([df, df.iloc[[6]]], ignore_index=True), "repeat block"),
    (lambda df: df.assign(k0_mhz=df.k0_mhz.astype(object).where(df.index != 1, "fast")), "row 1, column 'k0_mhz'"),
    (lambda df: df.drop(columns="power_w"), "no power column 'power_w'"),
    (lambda df: df.assign(power_w=df.power_w.where(df.index != 0, -2.0)), "row 0, column 'power_w'"),
])
def test_from_measurements_bad_input_names_the_fault(change, message):
    rng = np.random.default_rng(4)
    df, _, _, _ = long_measurements(rng, density=1.0)
    bad = change(df)
    before = bad.copy()
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        dvfskit.Problem.from_measurements(bad, knobs=["k0_mhz", "k1_mhz", "core_mask"], block="block",
                                          out_bits=[4e5, 2e5, 1e5, 8e3], server_latency_ms=[6.0, 4.0, 1.0, 0.0],
                                          **CHANNEL)
    pd.testing.assert_frame_equal(bad, before)


def test_missing_configuration_names_block_and_configuration():
    rng = np.random.default_rng(4)
    df, _, _, _ = long_measurements(rng, density=1.0)
    drop = df.index[(df.block == "fc")][0]
    gone = df.loc[drop]
    with pytest.raises(ValueError) as info:
        dvfskit.Problem.from_measurements(df.drop(index=drop), knobs=["k0_mhz", "k1_mhz", "core_mask"], block="block",
                                          out_bits=[4e5, 2e5, 1e5, 8e3], server_latency_ms=[6.0, 4.0, 1.0, 0.0],
                                          **CHANNEL)
    text = str(info.value)
    assert "block 'fc'" in text and f"k0_mhz={gone.k0_mhz:g}" in text and f"core_mask={gone.core_mask}" in text


@pytest.mark.parametrize("fractions, message", [
    ([0.5, 1.5], "1.5 lies outside"), ([-0.1, 1.0], "-0.1 lies outside"), ([np.nan], "nan lies outside"),
    ([0.0], "needs a share > 0"), ([0.5, 0.5], "twice"), ("half", "must be numbers"),
])
def test_offload_fractions_validated(fractions, message):
    rng = np.random.default_rng(6)
    df, _, _, _ = long_measurements(rng)
    with pytest.raises(ValueError, match=message):
        dvfskit.Problem.from_measurements(df, knobs=["k0_mhz", "k1_mhz", "core_mask"], block="block",
                                          out_bits=[4e5, 2e5, 1e5, 8e3], server_latency_ms=[6.0, 4.0, 1.0, 0.0],
                                          offload_fractions=fractions, **CHANNEL)


def test_blocks_argument_must_list_the_blocks_present():
    rng = np.random.default_rng(6)
    df, _, _, _ = long_measurements(rng)
    kw = dict(block="block", knobs=["k0_mhz", "k1_mhz", "core_mask"], out_bits=[4e5, 2e5, 1e5, 8e3],
              server_latency_ms=[6.0, 4.0, 1.0, 0.0], **CHANNEL)
    with pytest.raises(ValueError, match="'head' is not in blocks"):
        dvfskit.Problem.from_measurements(df, blocks=["conv", "fc"], **kw)
    with pytest.raises(ValueError, match="'pool', which has no rows"):
        dvfskit.Problem.from_measurements(df, blocks=["conv", "fc", "head", "pool"], **kw)
    with pytest.raises(ValueError, match="no \\*_mhz knob"):
        dvfskit.Problem.from_measurements(df[["block", "latency_ms", "power_w"]], **{**kw, "knobs": None})
    with pytest.raises(ValueError, match="repeat block"):  # without the core mask as a knob, rows repeat
        dvfskit.Problem.from_measurements(df, **{**kw, "knobs": None})


def test_pickling_and_with_scenario_keep_knobs_and_fractions():
    import pickle

    rng = np.random.default_rng(8)
    problem, ref = random_problem(rng, "loose", [0.0, 0.5, 1.0])
    again = pickle.loads(pickle.dumps(problem))
    assert again.configs == problem.configs and list(again.offload_fractions) == [0.0, 0.5, 1.0]
    assert dvfskit.solve(again).to_dict() == dvfskit.solve(problem).to_dict()
    dvfskit.baselines(problem)  # fills the cache of subsets, shared with derived problems
    q = problem.with_scenario(deadline_ms=problem.deadline_ms * 2)
    assert q._cache is problem._cache and q.configs is problem.configs
    assert "offload fractions" in repr(problem) and "K=" in repr(problem)

// Governors: kernel table relations, and steady-state / time-stepped traces computed by hand from
// the kernel formulas (docs/math/governors.md), with the edge cases: a load exactly at a
// threshold, a table frequency exactly at the target, a deadline miss, a cycle longer than one.
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "catch.hpp"
#include "dvfskit/governor.hpp"
#include "dvfskit/governor_sim.hpp"

using namespace dvfskit;

namespace {

// One knob, one block: latency latency[k] ms and power power[k] W at frequencies[k] MHz.
GovernorProblem one_knob(const std::string& knob, std::vector<double> frequencies, std::vector<double> latency,
                         std::vector<double> power, GovernorSpec spec, std::vector<double> busy = {}) {
  GovernorProblem p{ConfigSet({knob}, frequencies), 1, std::move(latency), std::move(power), {}, {}, {}, {spec}};
  p.busy = {std::move(busy)};
  return p;
}

std::vector<double> configs_of(const GovernorOutcome& r, const ConfigSet& cs) {
  std::vector<double> out;
  for (const auto& inf : r.inferences) out.push_back(cs.value(inf.config, 0));
  return out;
}

GovernorSpec spec_of(GovernorKind kind) {
  GovernorSpec s;
  s.kind = kind;
  return s;
}

}  // namespace

TEST_CASE("table relations as cpufreq_table_find_index_{al,ah,ac}", "[governor]") {
  const std::vector<std::int64_t> t{100, 200, 300};
  CHECK(resolve(t, 150, Relation::kL) == 1);
  CHECK(resolve(t, 150, Relation::kH) == 0);
  CHECK(resolve(t, 150, Relation::kC) == 0);  // a tie goes to the lower frequency
  CHECK(resolve(t, 151, Relation::kC) == 1);
  CHECK(resolve(t, 200, Relation::kL) == 1);  // exactly at a table frequency
  CHECK(resolve(t, 200, Relation::kH) == 1);
  CHECK(resolve(t, 50, Relation::kH) == 0);   // clamped to [min, max]
  CHECK(resolve(t, 999, Relation::kL) == 2);
}

TEST_CASE("ondemand steady state: 2000 -> 500 -> 1000, then a fixed point", "[governor]") {
  // P = 100 ms. At 2000: load 15, next = 500000 + 15 * 1500000 / 100 = 725000 kHz, closest 500.
  // At 500: load 60, next = 1400000, closest 1000. At 1000: load 30, next = 950000 -> 1000.
  GovernorSimulator sim(one_knob("cpu_freq_mhz", {500, 1000, 2000}, {60, 30, 15}, {1, 2, 4},
                                 spec_of(GovernorKind::kOndemand)));
  const GovernorOutcome r = sim.run(100, 100, 0.5, true);
  REQUIRE(r.converged);
  CHECK(r.warmup == 2);
  CHECK(r.cycle_length == 1);
  CHECK(configs_of(r, sim.configs()) == std::vector<double>{2000, 500, 1000});
  CHECK(r.energy_j == Approx(30 * 2 / 1000.0 + 0.5 * 70 / 1000.0));
  CHECK(r.latency_ms == Approx(30));
  CHECK(r.miss_rate == 0);
}

TEST_CASE("ondemand: a load exactly at up_threshold does not jump; a cycle of length 2", "[governor]") {
  // Levels 100, 2000, 2100 MHz. At 2100: load 80 (not > 80): next = 100000 + 80 * 2000000 / 100 =
  // 1700000 kHz, closest 2000. At 2000: load 84 > 80: the maximum. Cycle 2100, 2000.
  GovernorSimulator sim(one_knob("cpu_freq_mhz", {100, 2000, 2100}, {1000, 84, 80}, {1, 3, 4},
                                 spec_of(GovernorKind::kOndemand)));
  const GovernorOutcome r = sim.run(100, 100, 1.0, true);
  REQUIRE(r.converged);
  CHECK(r.warmup == 0);
  CHECK(r.cycle_length == 2);
  CHECK(configs_of(r, sim.configs()) == std::vector<double>{2100, 2000});
  CHECK(r.energy_j == Approx(((80 * 4 + 20 * 1.0) + (84 * 3 + 16 * 1.0)) / 2 / 1000.0));
  CHECK(r.latency_ms == Approx(82));
}

TEST_CASE("ondemand: a target exactly at a table frequency", "[governor]") {
  // Levels 100, 1100, 2100. At 2100: load 50, next = 100000 + 50 * 20000 = 1100000 kHz exactly.
  GovernorSimulator sim(one_knob("cpu_freq_mhz", {100, 1100, 2100}, {1000, 50, 50}, {1, 2, 4},
                                 spec_of(GovernorKind::kOndemand)));
  const GovernorOutcome r = sim.run(100, 100, 0.0, true);
  CHECK(configs_of(r, sim.configs()) == std::vector<double>{2100, 1100});
}

TEST_CASE("ondemand sampling_down_factor holds the maximum for extra samples", "[governor]") {
  // Levels 500, 1000, 2000, latency 2000/f * 40: at 2000 40 ms (load 40 -> 1100000 -> 1000), at
  // 1000 80 ms (load 80 -> 1700000 -> 2000: no jump). Make 1000 slower (90 ms, load 90 > 80): jump
  // to max with rate_mult 3: the samples at the next two starts are skipped, the third sees a
  // window of 3 periods with 3 x 40 ms busy (load 40).
  GovernorSpec s = spec_of(GovernorKind::kOndemand);
  s.sampling_down_factor = 3;
  GovernorSimulator sim(one_knob("cpu_freq_mhz", {500, 1000, 2000}, {200, 90, 40}, {1, 2, 4}, s));
  const GovernorOutcome r = sim.run(100, 100, 0.0, true);
  REQUIRE(r.converged);
  CHECK(configs_of(r, sim.configs()) == std::vector<double>{2000, 1000, 2000, 2000, 2000});
  CHECK(r.warmup == 1);
  CHECK(r.cycle_length == 4);
}

TEST_CASE("conservative steps by freq_step from the requested frequency; stops at down_threshold", "[governor]") {
  // Levels 100..1000 MHz by 100, latency 10 * 1000 / f ms, P = 100 ms: load 10, 11, 12, 14, 16, 20.
  // freq_step = 5 % of 1000 MHz = 50000 kHz; down targets use CPUFREQ_RELATION_L (lowest >=).
  std::vector<double> f, t, w;
  for (int i = 1; i <= 10; ++i) {
    f.push_back(100.0 * i);
    t.push_back(10.0 * 1000.0 / (100.0 * i));
    w.push_back(0.1 * i);
  }
  GovernorSimulator sim(one_knob("cpu_freq_mhz", f, t, w, spec_of(GovernorKind::kConservative)));
  const GovernorOutcome r = sim.run(100, 100, 0.0, true);
  REQUIRE(r.converged);
  CHECK(configs_of(r, sim.configs()) ==
        std::vector<double>{1000, 1000, 900, 900, 800, 800, 700, 700, 600, 600, 500});
  CHECK(r.warmup == 10);  // at 500 MHz the load is exactly 20: not below down_threshold
  CHECK(r.cycle_length == 1);
}

TEST_CASE("conservative steps up when the load exceeds up_threshold", "[governor]") {
  // Levels 500, 1000: at 1000 latency 90 (load 90 > 80): the requested frequency is already the
  // maximum, nothing changes (a fixed point from the start).
  GovernorSimulator sim(one_knob("cpu_freq_mhz", {500, 1000}, {180, 90}, {1, 2}, spec_of(GovernorKind::kConservative)));
  const GovernorOutcome r = sim.run(100, 100, 0.0, true);
  CHECK(configs_of(r, sim.configs()) == std::vector<double>{1000});
}

TEST_CASE("schedutil: the lowest frequency >= 1.25 f_max util, exactly at a table frequency", "[governor]") {
  // P = 128 ms, levels 500, 1000, 2000. At 2000 MHz busy 51.25 ms: util = 1024 * 51.25 / 128 = 410,
  // perf = 410 + 102 = 512, freq = 2000000 * 512 / 1024 = 1000000 kHz exactly -> 1000. At 1000 MHz
  // busy 102.5 ms: invariant util = 1024 * 102.5 / 128 * 1000 / 2000 = 410 again: a fixed point.
  GovernorSimulator sim(one_knob("compute_freq_mhz", {500, 1000, 2000}, {205, 102.5, 51.25}, {1, 2, 4},
                                 spec_of(GovernorKind::kSchedutil)));
  const GovernorOutcome r = sim.run(128, 128, 0.0, true);
  // (the second 1000 differs in state: it starts within rate_limit_us of the change)
  CHECK(configs_of(r, sim.configs()) == std::vector<double>{2000, 1000, 1000});
  // One unit of utilisation more (411 -> perf 513) asks for 1001953 kHz: the next level, 2000.
  GovernorSimulator up(one_knob("compute_freq_mhz", {500, 1000, 2000}, {205, 102.75, 51.375}, {1, 2, 4},
                                spec_of(GovernorKind::kSchedutil)));
  CHECK(configs_of(up.run(128, 128, 0.0, true), up.configs()) == std::vector<double>{2000});
}

TEST_CASE("schedutil rate_limit_us keeps the frequency for a while after a change", "[governor]") {
  // S = 10 ms, P = 100 ms, rate limit 25 ms: decisions at 10 and 20 ms after a change are ignored.
  GovernorSpec s = spec_of(GovernorKind::kSchedutil);
  s.rate_limit_us = 25000;
  GovernorSimulator sim(one_knob("compute_freq_mhz", {500, 2000}, {40, 10}, {1, 4}, s));
  const GovernorOutcome r = sim.run(100, 10, 0.0, true);
  // At 2000 the first window (0-10 ms) is all busy: util 1024 -> 2000 (no change). At 20 ms the
  // window is idle: util 0 -> 500 (a change at t = 20). The samples at 30 and 40 are within 25 ms of
  // it; at 50 ms the window (40-50) is idle -> stays 500.
  REQUIRE(!r.segments.empty());
  CHECK(r.segments.front().config == 1);
  CHECK(r.inferences.at(1).config == 0);
}

TEST_CASE("simple_ondemand: upthreshold, the keep band and the 88 % divisor", "[governor]") {
  // Memory 400, 800, 1600 MHz, P = 100 ms. Busy at 1600: 30 ms: b = 30000 * 1.6e9 / 100000 * 100 /
  // (90 - 5 / 2 = 88) = 545454545 Hz -> the lowest OPP >= it: 800 MHz. At 800 busy 60 ms: same target.
  const std::vector<double> busy{0.1, 0.6, 0.3};  // share of the block's time the memory is busy
  GovernorSimulator sim(one_knob("mem_freq_mhz", {400, 800, 1600}, {100, 100, 100}, {1, 2, 3},
                                 spec_of(GovernorKind::kSimpleOndemand), busy));
  const GovernorOutcome r = sim.run(100, 100, 0.0, true);
  CHECK(configs_of(r, sim.configs()) == std::vector<double>{1600, 800});
  // Busy exactly 90 % (not above upthreshold) but above 85 %: the frequency is kept.
  GovernorSimulator keep(one_knob("mem_freq_mhz", {400, 800, 1600}, {100, 100, 100}, {1, 2, 3},
                                  spec_of(GovernorKind::kSimpleOndemand), {0.1, 0.1, 0.9}));
  CHECK(configs_of(keep.run(100, 100, 0.0, true), keep.configs()) == std::vector<double>{1600});
  // 91 % at 800 MHz: the maximum.
  GovernorSimulator max(one_knob("mem_freq_mhz", {400, 800, 1600}, {100, 100, 100}, {1, 2, 3},
                                 spec_of(GovernorKind::kSimpleOndemand), {0.1, 0.91, 0.3}));
  CHECK(configs_of(max.run(100, 100, 0.0, true), max.configs()) == std::vector<double>{1600, 800});
}

TEST_CASE("a deadline miss: the late inference delays the next and pays no idle", "[governor]") {
  GovernorSimulator sim(one_knob("cpu_freq_mhz", {500, 1000}, {60, 30}, {1, 2}, spec_of(GovernorKind::kPowersave)));
  const GovernorOutcome r = sim.run(50, 50, 3.0, true);
  CHECK(r.miss_rate == 1.0);
  CHECK(r.latency_ms == Approx(60));
  CHECK(r.cycle_ms == Approx(60));
  CHECK(r.energy_j == Approx(60 * 1 / 1000.0));
  // powersave starts at its minimum: no warm-up.
  CHECK(r.warmup == 0);
}

TEST_CASE("time-stepped ondemand with S = P / 2 (hand trace)", "[governor]") {
  // Levels 500, 1000, 2000, one block of 160 / 80 / 40 ms, P = 100, S = 50 (see the derivation in
  // docs/math/governors.md): inference 1 runs 50 ms at 500 then 27.5 ms at 2000; from inference 2 on:
  // 50 ms at 1000, 15 ms at 2000, a cycle of one.
  GovernorSimulator sim(one_knob("cpu_freq_mhz", {500, 1000, 2000}, {160, 80, 40}, {1, 2, 4},
                                 spec_of(GovernorKind::kOndemand)));
  const GovernorOutcome r = sim.run(100, 50, 0.5, true);
  REQUIRE(r.converged);
  CHECK(r.warmup == 2);
  CHECK(r.cycle_length == 1);
  CHECK(configs_of(r, sim.configs()) == std::vector<double>{2000, 500, 1000});
  CHECK(r.inferences[1].latency_ms == Approx(77.5));
  CHECK(r.latency_ms == Approx(65));
  CHECK(r.energy_j == Approx((50 * 2 + 15 * 4) / 1000.0 + 0.5 * 35 / 1000.0));
  REQUIRE(r.segments.size() == 5);
  CHECK(r.segments[3].duration_ms == Approx(50));
  CHECK(r.segments[4].start_ms == Approx(50));
  CHECK(r.segments[4].duration_ms == Approx(15));
}

TEST_CASE("switching costs: the stall delays the inference, its energy is paid once", "[governor]") {
  GovernorProblem p = one_knob("cpu_freq_mhz", {500, 1000, 2000}, {60, 30, 15}, {1, 2, 4},
                               spec_of(GovernorKind::kOndemand));
  p.switch_time_ms = {5.0};
  p.switch_energy_j = {0.01};
  GovernorSimulator sim(p);
  const GovernorOutcome r = sim.run(100, 100, 0.5, true);
  // 2000 (15 ms) -> 500: the stall makes it 65 ms, but the CPU is busy 60 of them: load 60 ->
  // 1400000 -> 1000; at 1000 the stall (5) + 30 ms, load 30 -> 950000 -> 1000: no more switches.
  CHECK(configs_of(r, sim.configs()) == std::vector<double>{2000, 500, 1000, 1000});
  CHECK(r.inferences[1].latency_ms == Approx(65));
  CHECK(r.inferences[2].latency_ms == Approx(35));
  CHECK(r.inferences[2].switches == 1);
  CHECK(r.latency_ms == Approx(30));
  CHECK(r.energy_j == Approx(30 * 2 / 1000.0 + 0.5 * 70 / 1000.0));
}

TEST_CASE("a cost per change of configuration on top of the knobs' costs", "[governor]") {
  GovernorProblem p = one_knob("cpu_freq_mhz", {500, 1000, 2000}, {60, 30, 15}, {1, 2, 4},
                               spec_of(GovernorKind::kOndemand));
  p.switch_any_ms = 5.0;
  p.switch_any_j = 0.01;
  GovernorSimulator sim(p);
  const GovernorOutcome r = sim.run(100, 100, 0.5, true);
  // as with a 5 ms / 0.01 J knob cost: one knob
  CHECK(r.inferences[1].latency_ms == Approx(65));
  CHECK(r.inferences[1].energy_j == Approx(0.06 + 0.01 + 0.5 * 40 / 1000.0));
}

TEST_CASE("sparse sets snap to the nearest measured configuration", "[governor]") {
  // Knobs cpu (500, 1000) x mem (400, 800), (1000, 400) not measured.
  GovernorProblem p{ConfigSet({"cpu_freq_mhz", "mem_freq_mhz"}, {500, 400, 500, 800, 1000, 800}), 1, {1, 1, 1},
                    {1, 1, 1}, {}, {}, {}, {}};
  p.governors = {spec_of(GovernorKind::kPerformance), spec_of(GovernorKind::kPowersave)};
  GovernorSimulator sim(p);
  // (1000, 400): distance 1 to (500, 400) and to (1000, 800): ties to the faster, (1000, 800).
  CHECK(sim.snap({1, 0}) == 2);
  CHECK(sim.snap({0, 0}) == 0);
  CHECK(sim.initial_config() == 2);
}

TEST_CASE("time-stepped simulation with S = P equals the steady state on random problems", "[governor]") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const GovernorKind kinds[] = {GovernorKind::kOndemand, GovernorKind::kConservative, GovernorKind::kSchedutil,
                                GovernorKind::kSimpleOndemand, GovernorKind::kSysScaleMemory};
  for (int trial = 0; trial < 200; ++trial) {
    const std::vector<double> f{300, 600, 900, 1200}, m{400, 800, 1600};
    std::vector<double> values;
    for (double a : f)
      for (double b : m)
        if (u(rng) < 0.8 || (a == 1200 && b == 1600)) values.insert(values.end(), {a, b});
    const ConfigSet cs({"compute_freq_mhz", "mem_freq_mhz"}, values);
    const std::size_t K = cs.size(), L = 1 + trial % 5;
    std::vector<double> lat(L * K), pw(L * K), mb(L * K);
    for (std::size_t i = 0; i < L; ++i)
      for (std::size_t k = 0; k < K; ++k) {
        lat[i * K + k] = (2000.0 / cs.value(k, 0) + 1500.0 / cs.value(k, 1)) * (0.5 + u(rng)) * 4.0 / static_cast<double>(L);
        pw[i * K + k] = 1.0 + cs.value(k, 0) / 500.0 + u(rng);
        mb[i * K + k] = u(rng);
      }
    GovernorProblem p{cs, L, lat, pw, {{}, mb}, {u(rng) * 3, u(rng) * 3}, {u(rng) * 0.01, u(rng) * 0.01}, {}};
    GovernorSpec c = spec_of(kinds[trial % 5]), mspec = spec_of(kinds[(trial / 5) % 5]);
    if (c.kind == GovernorKind::kSimpleOndemand || c.kind == GovernorKind::kSysScaleMemory) c.kind = GovernorKind::kSchedutil;
    if (mspec.kind == GovernorKind::kSysScaleMemory) {
      mspec.up_threshold = 40;
      mspec.down_threshold = 30;
    }
    p.governors = {c, mspec};
    const GovernorSimulator sim(p);
    const double P = 10.0 + 40.0 * u(rng);
    const GovernorOutcome a = sim.steady_state(P, 0.7, true), b = sim.simulate(P, P, 0.7, true);
    INFO("trial " << trial);
    REQUIRE(a.converged);
    REQUIRE(b.converged);
    CHECK(a.warmup == b.warmup);
    CHECK(a.cycle_length == b.cycle_length);
    CHECK(a.energy_j == Approx(b.energy_j).epsilon(1e-12));
    CHECK(a.latency_ms == Approx(b.latency_ms).epsilon(1e-12));
    CHECK(a.miss_rate == b.miss_rate);
    REQUIRE(a.inferences.size() == b.inferences.size());
    for (std::size_t n = 0; n < a.inferences.size(); ++n) CHECK(a.inferences[n].config == b.inferences[n].config);
  }
}

TEST_CASE("bad governor inputs are rejected with the name of the input", "[governor]") {
  GovernorSpec bad = spec_of(GovernorKind::kConservative);
  bad.down_threshold = 90;
  CHECK_THROWS_WITH(GovernorSimulator(one_knob("cpu_freq_mhz", {500, 1000}, {1, 1}, {1, 1}, bad)),
                    Catch::Contains("down_threshold"));
  CHECK_THROWS_WITH(GovernorSimulator(one_knob("core_mask", {1, 2}, {1, 1}, {1, 1}, spec_of(GovernorKind::kOndemand))),
                    Catch::Contains("not a frequency knob"));
  GovernorSimulator ok(one_knob("cpu_freq_mhz", {500, 1000}, {1, 1}, {1, 1}, spec_of(GovernorKind::kOndemand)));
  CHECK_THROWS_WITH(ok.run(10, 20, 0), Catch::Contains("sampling_ms"));
  CHECK_THROWS_WITH(ok.run(-1, -1, 0), Catch::Contains("period_ms"));
}

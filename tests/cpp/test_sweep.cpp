// Batch solve: identical to one-by-one solve()/baselines, independent of the thread count,
// validation of scenarios and baseline tables.
#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include "catch.hpp"
#include "random_tables.hpp"
#include "dvfskit/offload_problem.hpp"
#include "dvfskit/offload_solve.hpp"
#include "dvfskit/sweep.hpp"

using namespace dvfskit;

namespace {

TableProblem make_tables(std::mt19937_64& rng, double latency_scale = 1.0) {
  return testing::random_tables(rng, 6, 4, 3, latency_scale);
}

std::vector<Scenario> make_scenarios(std::mt19937_64& rng, std::size_t n) {
  std::vector<Scenario> out(n);
  for (Scenario& s : out) s = testing::random_scenario(rng);
  return out;
}

bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }  // bitwise, NaN == NaN

}  // namespace

TEST_CASE("solve_batch equals one-by-one solves, baselines included", "[sweep]") {
  std::mt19937_64 rng(7);
  const TableProblem tp = make_tables(rng);
  const TableProblem planner = make_tables(rng, 0.8);
  const std::vector<Scenario> scenarios = make_scenarios(rng, 700);  // spans several blocks
  const Objective obj{};
  // memory at its maximum (configurations k = a * 3 + 2), on the problem and on the planner
  const ConfigSubset mem_max(tp, {2, 5, 8, 11});
  const ConfigSubset plan_mem_max(planner, {2, 5, 8, 11});
  std::vector<Baseline> baselines(4);
  baselines[0].restriction.configs = &mem_max;
  baselines[1].restriction.split = 6;
  baselines[2].restriction.fixed_max_power = true;
  baselines[3].restriction.configs = &plan_mem_max;
  baselines[3].plan_on = &planner;

  const SweepColumns c = solve_batch(tp, scenarios, obj, baselines, 3);
  REQUIRE(c.size() == scenarios.size());
  REQUIRE(c.baselines.size() == 4);
  std::size_t feasible = 0;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const OffloadSolution s = solve(tp, scenarios[i], obj);
    REQUIRE(c.feasible[i] == (s.feasible ? 1 : 0));
    feasible += c.feasible[i];
    REQUIRE(same(c.energy_j[i], s.energy_j));
    REQUIRE(same(c.energy_transmit_j[i], s.energy_transmit_j));
    REQUIRE(same(c.latency_ms[i], s.latency_ms));
    REQUIRE(same(c.min_latency_ms[i], s.min_latency_ms));
    REQUIRE(same(c.tx_power_w[i], s.tx_power_w));
    REQUIRE(same(c.compute_freq_mhz[i], s.compute_freq_mhz));
    REQUIRE(c.split[i] == s.split);
    REQUIRE(c.config[i] == s.config);
    for (std::size_t b = 0; b < 3; ++b) {
      const OffloadSolution r = solve(tp, scenarios[i], obj, baselines[b].restriction);
      REQUIRE(same(c.baselines[b].energy_j[i], r.energy_j));
      REQUIRE(c.baselines[b].feasible[i] == (r.feasible ? 1 : 0));
    }
    const OffloadSolution plan = solve(planner, scenarios[i], obj, baselines[3].restriction);
    const OffloadSolution ev = evaluate(tp, scenarios[i], plan.split, std::max(plan.config, 0),
                                        plan.tx_power_w > 0 ? plan.tx_power_w : scenarios[i].p_max_w,
                                        plan.offload_fraction);
    REQUIRE(same(c.baselines[3].energy_j[i], ev.energy_j));
    REQUIRE(same(c.baselines[3].latency_ms[i], ev.latency_ms));
  }
  CHECK(feasible > 0);
  CHECK(feasible < scenarios.size());  // both kinds exercised
}

TEST_CASE("solve_batch is independent of the thread count", "[sweep]") {
  std::mt19937_64 rng(11);
  const TableProblem tp = make_tables(rng);
  const std::vector<Scenario> scenarios = make_scenarios(rng, 1000);
  const Objective obj{ObjectiveKind::EnergyDelay, 0.0};
  const SweepColumns one = solve_batch(tp, scenarios, obj, {}, 1);
  const SweepColumns four = solve_batch(tp, scenarios, obj, {}, 4);
  REQUIRE(one.size() == four.size());
  for (std::size_t i = 0; i < one.size(); ++i) {
    REQUIRE(same(one.objective_value[i], four.objective_value[i]));
    REQUIRE(same(one.tx_power_w[i], four.tx_power_w[i]));
    REQUIRE(one.split[i] == four.split[i]);
  }
}

TEST_CASE("solve_batch validates before working", "[sweep]") {
  std::mt19937_64 rng(3);
  const TableProblem tp = make_tables(rng);
  std::vector<Scenario> scenarios = make_scenarios(rng, 10);
  scenarios[4].bandwidth_hz = -1.0;
  REQUIRE_THROWS_WITH(solve_batch(tp, scenarios), Catch::Contains("scenario 4"));
  scenarios[4].bandwidth_hz = 1e6;
  REQUIRE(solve_batch(tp, {}).size() == 0);

  const TableProblem other(2, {100.0}, {500.0}, {1.0, 1.0}, {1.0, 1.0}, {1.0, 1.0, 0.0}, {1.0, 0.5, 0.0});
  Baseline b;
  b.plan_on = &other;
  REQUIRE_THROWS_AS(solve_batch(tp, scenarios, {}, {b}), std::invalid_argument);
  // a subset of the problem used with plan_on tables (or the other way round) is refused
  const TableProblem planner = make_tables(rng, 0.8);
  const ConfigSubset of_problem(tp, {0, 1});
  Baseline c;
  c.plan_on = &planner;
  c.restriction.configs = &of_problem;
  REQUIRE_THROWS_WITH(solve_batch(tp, scenarios, {}, {c}), Catch::Contains("baseline 0"));
}

TEST_CASE("solve_batch stops when cancelled", "[sweep][cancel]") {
  std::mt19937_64 rng(13);
  const TableProblem tp = make_tables(rng);
  const std::vector<Scenario> scenarios = make_scenarios(rng, 20000);
  const CancelToken token;
  token.request();
  REQUIRE_THROWS_AS(solve_batch(tp, scenarios, {}, {}, 2, &token), Cancelled);
  const CancelToken idle;
  REQUIRE(solve_batch(tp, scenarios, {}, {}, 2, &idle).size() == scenarios.size());
}

TEST_CASE("solve_batch on sparse multi-knob sets with partial offloading equals one-by-one solves", "[sweep]") {
  std::mt19937_64 rng(19);
  const ConfigSet configs = testing::random_configs(rng, {4, 3, 3, 2}, 0.4, true);
  const TableProblem tp = testing::random_config_tables(rng, configs, 5, {0.0, 0.5, 1.0});
  const std::vector<Scenario> scenarios = make_scenarios(rng, 600);
  const ConfigSubset some(tp, {0, configs.size() - 1});
  std::vector<Baseline> baselines(2);
  baselines[0].restriction.configs = &some;
  baselines[1].restriction.split = 0;
  baselines[1].restriction.fraction = 1.0;
  const SweepColumns c = solve_batch(tp, scenarios, {}, baselines, 2);
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const OffloadSolution s = solve(tp, scenarios[i]);
    REQUIRE(same(c.energy_j[i], s.energy_j));
    REQUIRE(same(c.offload_fraction[i], s.offload_fraction));
    REQUIRE(c.config[i] == s.config);
    for (std::size_t b = 0; b < 2; ++b)
      REQUIRE(same(c.baselines[b].energy_j[i], solve(tp, scenarios[i], {}, baselines[b].restriction).energy_j));
  }
}

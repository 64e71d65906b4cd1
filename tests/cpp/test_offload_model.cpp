// ModelProblem solver: reduction to the exact table solver, and concurrent solves.
#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "dvfskit/offload_model_solve.hpp"
#include "dvfskit/offload_problem.hpp"
#include "dvfskit/offload_solve.hpp"

using namespace dvfskit;

namespace {
const std::vector<std::string> kNames{"W", "M", "p0"};
const std::vector<double> kCoefficients{120.0, 300.0, 0.4, 80.0, 500.0, 0.6};
ModelProblem make(FrequencyRange f, FrequencyRange m, bool partial) {
  return ModelProblem(Expression("W / f + M / m", kNames), kCoefficients,
                      Expression("p0 + 2e-6 * f**2 + 1e-4 * m", kNames), kCoefficients, 2, f, m, {2e5, 1e5, 0.0},
                      {1.5, 0.8, 0.0}, partial);
}
}  // namespace

TEST_CASE("model solve with fixed frequencies equals the table solver", "[offload_model]") {
  const double f = 500.0, m = 1600.0;
  const ModelProblem mp = make({f, f}, {m, m}, false);
  std::vector<double> lat(2), pw(2);
  for (std::size_t i = 0; i < 2; ++i) mp.block(i, f, m, lat[i], pw[i]);
  const TableProblem tp(2, {f}, {m}, lat, pw, {2e5, 1e5, 0.0}, {1.5, 0.8, 0.0});
  for (double deadline : {0.3, 0.8, 1.2, 3.0}) {
    const Scenario sc{deadline, 2e6, 1e-7, 1e-17, 1.0, 0.1, 0.05};
    const OffloadSolution a = solve(mp, sc), b = solve(tp, sc);
    REQUIRE(a.feasible == b.feasible);
    if (b.feasible) CHECK(a.energy_j == Approx(b.energy_j).epsilon(1e-6));
    else CHECK(a.min_latency_ms == Approx(b.min_latency_ms).epsilon(1e-6));
  }
}

TEST_CASE("model solve is reentrant across threads", "[offload_model][threads]") {
  const ModelProblem mp = make({100.0, 1000.0}, {200.0, 3200.0}, true);
  std::vector<Scenario> scenarios;
  for (int i = 0; i < 16; ++i) scenarios.push_back(Scenario{0.4 + 0.1 * i, 2e6, 1e-7, 1e-17, 1.0, 0.1, 0.05});
  std::vector<double> seq(scenarios.size()), par(scenarios.size());
  for (std::size_t i = 0; i < scenarios.size(); ++i) seq[i] = solve(mp, scenarios[i]).energy_j;
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (std::size_t i = t; i < scenarios.size(); i += 4) par[i] = solve(mp, scenarios[i]).energy_j;
    });
  for (auto& th : threads) th.join();
  for (std::size_t i = 0; i < seq.size(); ++i) CHECK(seq[i] == par[i]);
}

TEST_CASE("model expressions: catalogue names, left-out inputs, separate coefficients", "[offload_model]") {
  // gpu_dvfs-style latency in compute_freq_mhz only, cubic power in f only, own coefficient names.
  const ModelProblem mp(Expression("a * (compute_freq_mhz / 1000)**(-b) + c", {"a", "b", "c"}), {2.0, 1.0, 0.5, 3.0, 0.8, 0.1},
                        Expression("Ps + kappa * (f / 1000)**3", {"Ps", "kappa"}), {1.0, 2.0, 1.5, 1.0}, 2,
                        {500.0, 1000.0}, {800.0, 800.0}, {1e5, 1e5, 0.0}, {1.0, 0.5, 0.0}, false);
  double t = 0, p = 0;
  mp.block(1, 500.0, 800.0, t, p);
  CHECK(t == Approx(3.0 * std::pow(0.5, -0.8) + 0.1));
  CHECK(p == Approx(1.5 + 1.0 * 0.125));
  CHECK_THROWS_AS(ModelProblem(Expression("W / g", {"W"}), {1.0}, Expression("1 + 0 * f", {}), {}, 1, {1.0, 2.0},
                               {1.0, 2.0}, {1.0, 0.0}, {1.0, 0.0}, false),
                  std::invalid_argument);
}

TEST_CASE("a model negative or not finite in the range is refused, naming block and frequency", "[offload_model]") {
  // latency W / f - 1 ms is negative above f = W MHz: at construction (grid over the range)
  const std::vector<std::string> names{"W"};
  REQUIRE_THROWS_WITH(ModelProblem(Expression("W / f - 1", names), {2000.0, 500.0}, Expression("2 + 0 * m", names),
                                   {0.0, 0.0}, 2, {100.0, 1000.0}, {800.0, 800.0}, {1e5, 1e5, 0.0}, {1.0, 0.5, 0.0}, false),
                      Catch::Contains("block 1") && Catch::Contains("MHz") && Catch::Contains("latency model"));
  // power log(f - 900) is NaN below 900 MHz
  REQUIRE_THROWS_WITH(ModelProblem(Expression("W / f", names), {2000.0}, Expression("log(f - 900)", names), {0.0}, 1,
                                   {100.0, 1000.0}, {800.0, 800.0}, {1e5, 0.0}, {1.0, 0.0}, false),
                      Catch::Contains("power model") && Catch::Contains("block 0"));
  // negative only near 156.25 MHz, between the grid points (100, 212.5 ...): the solver's ninth start
  // (van der Corput 1/16 of the range) evaluates it, and the solve refuses
  const ModelProblem dip(Expression("W / f - 100 * max(0, 1 - abs(f - 156.25) / 5)", names), {2000.0},
                         Expression("2 + 0 * m", names), {0.0}, 1, {100.0, 1000.0}, {800.0, 800.0}, {1e5, 0.0},
                         {1.0, 0.0}, false);
  const Scenario sc{100.0, 2e6, 1e-7, 1e-17, 1.0, 0.1, 0.05};
  REQUIRE_THROWS_WITH(solve(dip, sc), Catch::Contains("latency model") && Catch::Contains("block 0") &&
                                          Catch::Contains("156.25 MHz"));
}

TEST_CASE("model solve stops when cancelled", "[offload_model][cancel]") {
  const ModelProblem mp = make({100.0, 1000.0}, {200.0, 3200.0}, true);
  const Scenario sc{1.0, 2e6, 1e-7, 1e-17, 1.0, 0.1, 0.05};
  const CancelToken token;
  token.request();
  CHECK_THROWS_AS(solve(mp, sc, {}, {}, &token), Cancelled);
}

// ModelProblem solver: reduction to the exact table solver, and concurrent solves.
#include <cmath>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "dvfskit/offload_model_solve.hpp"
#include "dvfskit/offload_problem.hpp"
#include "dvfskit/offload_solve.hpp"

using namespace dvfskit;

namespace {
const std::vector<std::string> kNames{"W", "M", "p0"};
ModelProblem make(FrequencyRange f, FrequencyRange m, bool partial) {
  return ModelProblem(Expression("W / f + M / m", kNames, std::vector<std::string>{"f", "m"}),
                      Expression("p0 + 2e-6 * f**2 + 1e-4 * m", kNames, std::vector<std::string>{"f", "m"}), 2,
                      {120.0, 300.0, 0.4, 80.0, 500.0, 0.6}, f, m, {2e5, 1e5, 0.0}, {1.5, 0.8, 0.0}, partial);
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

// Per-block schedule: brute force on small instances over 1 to 4 knobs (dense and sparse sets),
// per-knob costs against the equivalent matrix, cancellation, validation.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "dvfskit/cancel.hpp"
#include "dvfskit/config_set.hpp"
#include "dvfskit/schedule.hpp"

using dvfskit::ConfigSet;
using dvfskit::ScheduleProblem;
using dvfskit::ScheduleResult;

namespace {

// Configurations over `levels.size()` knobs: the full grid, or a random subset keeping about
// `density` of it (at least one configuration), in a shuffled order.
ConfigSet random_configs(std::mt19937& rng, const std::vector<std::size_t>& levels, double density) {
  std::vector<std::string> knobs;
  for (std::size_t j = 0; j < levels.size(); ++j) knobs.push_back("knob" + std::to_string(j) + "_mhz");
  std::size_t grid = 1;
  for (const std::size_t n : levels) grid *= n;
  std::vector<std::size_t> points(grid);
  std::iota(points.begin(), points.end(), std::size_t{0});
  std::shuffle(points.begin(), points.end(), rng);
  const auto keep = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(density * static_cast<double>(grid))));
  points.resize(std::min(grid, keep));
  std::vector<double> values;
  for (const std::size_t c : points) {
    std::size_t rest = c;
    for (std::size_t j = 0; j < levels.size(); ++j) {
      values.push_back(100.0 * static_cast<double>(1 + rest % levels[j]));
      rest /= levels[j];
    }
  }
  return ConfigSet(knobs, values);
}

// N blocks over the given configurations; latency falls with every knob, energy per block has an
// interior optimum, like real DVFS tables.
ScheduleProblem random_problem(std::mt19937& rng, std::size_t n, const ConfigSet& configs) {
  std::uniform_real_distribution<double> u(0.5, 1.5);
  ScheduleProblem p;
  p.num_blocks = n;
  p.num_configs = configs.size();
  const std::size_t d = configs.num_knobs();
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> work(d);
    for (double& w : work) w = u(rng) * 3.0;
    for (std::size_t k = 0; k < configs.size(); ++k) {
      double t = 0.2, power = 2.0;
      for (std::size_t j = 0; j < d; ++j) {
        const double f = 0.4 + 0.6 * (configs.level(k, j) + 1.0) / static_cast<double>(configs.num_levels(j));
        t += work[j] / f;
        power += 3.0 * f * f * f;
      }
      p.latency.push_back(t * u(rng));
      p.energy.push_back(power * t / 1000.0 * u(rng));
    }
  }
  p.configs = configs;
  return p;
}

ScheduleProblem grid_problem(std::mt19937& rng, std::size_t n, std::size_t nf, std::size_t nm) {
  return random_problem(rng, n, random_configs(rng, {nf, nm}, 1.0));
}

// Exhaustive over all K^N paths: best energy among paths within the deadline (inf when none).
// Switching costs computed here from the knob values directly (not through the solver's code).
double brute_force(const ScheduleProblem& p) {
  const std::size_t n = p.num_blocks, k = p.num_configs;
  auto cost = [&](std::size_t a, std::size_t b, bool time) {
    if (!p.switch_time_matrix.empty()) return (time ? p.switch_time_matrix : p.switch_energy_matrix)[a * k + b];
    if (a == b) return 0.0;
    const dvfskit::SwitchCost& s = time ? p.switch_time : p.switch_energy;
    double c = s.any;
    for (std::size_t j = 0; j < s.knobs.size(); ++j)
      if (p.configs->value(a, j) != p.configs->value(b, j)) c += s.knobs[j];
    return c;
  };
  std::vector<std::size_t> path(n, 0);
  double best = std::numeric_limits<double>::infinity();
  while (true) {
    double e = 0.0, t = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      e += p.energy[i * k + path[i]];
      t += p.latency[i * k + path[i]];
      const bool has_prev = i > 0 || p.initial_config.has_value();
      if (has_prev) {
        const std::size_t prev = i > 0 ? path[i - 1] : *p.initial_config;
        e += cost(prev, path[i], false);
        t += cost(prev, path[i], true);
      }
    }
    if (t <= p.deadline * (1.0 + dvfskit::kDeadlineTolerance) && e < best) best = e;
    std::size_t i = 0;
    while (i < n && ++path[i] == k) path[i++] = 0;
    if (i == n) break;
  }
  return best;
}

double min_latency(const ScheduleProblem& p) {
  ScheduleProblem q = p;
  q.deadline = 1e12;
  return dvfskit::solve_schedule(q).min_latency;
}

std::vector<double> random_costs(std::mt19937& rng, std::size_t d, double scale) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> c(d);
  for (double& x : c) x = u(rng) < 0.25 ? 0.0 : scale * u(rng);  // some knobs switch for free
  return c;
}

}  // namespace

TEST_CASE("schedule matches brute force over 1 to 4 knobs, dense and sparse", "[schedule]") {
  std::mt19937 rng(42);
  const std::vector<std::vector<std::size_t>> shapes = {{3}, {2, 2}, {3, 2}, {2, 2, 2}, {3, 2, 2}, {2, 2, 2, 2}};
  int checked = 0, infeasible = 0;
  for (int trial = 0; trial < 240; ++trial) {
    const auto& levels = shapes[static_cast<std::size_t>(trial) % shapes.size()];
    const double density = trial % 3 == 0 ? 1.0 : (trial % 3 == 1 ? 0.6 : 0.3);
    const ConfigSet configs = random_configs(rng, levels, density);
    const std::size_t k = configs.size();
    std::size_t n = 2;
    while (n < 5 && std::pow(static_cast<double>(k), static_cast<double>(n + 1)) <= 5000.0) ++n;
    ScheduleProblem p = random_problem(rng, n, configs);
    const int kind = trial % 4;
    if (kind == 1) {
      p.switch_time.any = 0.7;
      p.switch_energy.any = 0.002;
    } else if (kind == 2) {
      p.switch_time = {trial % 8 == 2 ? 0.1 : 0.0, random_costs(rng, levels.size(), 1.0)};
      p.switch_energy = {0.0, random_costs(rng, levels.size(), 0.004)};
      p.initial_config = static_cast<std::size_t>(trial) % k;
    } else if (kind == 3) {
      std::uniform_real_distribution<double> u(0.0, 1.0);
      for (std::size_t a = 0; a < k; ++a)
        for (std::size_t b = 0; b < k; ++b) {
          p.switch_time_matrix.push_back(a == b ? 0.0 : u(rng));
          p.switch_energy_matrix.push_back(a == b ? 0.0 : 0.002 * u(rng));
        }
    }
    const double fastest = min_latency(p);
    p.deadline = fastest * std::uniform_real_distribution<double>(0.9, 1.6)(rng);
    const ScheduleResult r = dvfskit::solve_schedule(p);
    const double expected = brute_force(p);
    INFO("trial " << trial << ", K = " << k << ", N = " << n);
    REQUIRE(r.feasible == std::isfinite(expected));
    if (r.feasible) {
      CHECK(r.energy == Approx(expected).epsilon(1e-12));
      CHECK(r.proven_optimal);
      CHECK(r.lower_bound <= r.energy + 1e-12);
      CHECK(r.latency <= p.deadline * (1 + 1e-9));
      const auto [e, t] = dvfskit::evaluate_schedule(p, r.configs);
      CHECK(e == Approx(r.energy).epsilon(1e-12));
      CHECK(t == Approx(r.latency).epsilon(1e-12));
    } else {
      CHECK(std::isnan(r.lower_bound));
      CHECK(r.min_latency == Approx(fastest));
      CHECK_FALSE(r.reason.empty());
      ++infeasible;
    }
    ++checked;
  }
  CHECK(checked == 240);
  CHECK(infeasible > 0);
  CHECK(infeasible < checked / 2);
}

TEST_CASE("per-knob and matrix switching costs agree on medium chains", "[schedule]") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 24; ++trial) {
    const std::vector<std::size_t> levels = trial % 2 ? std::vector<std::size_t>{3, 3} : std::vector<std::size_t>{3, 2, 3};
    ScheduleProblem p = random_problem(rng, 12, random_configs(rng, levels, trial % 3 == 0 ? 1.0 : 0.5));
    p.switch_time = {trial % 4 == 0 ? 0.2 : 0.0, random_costs(rng, levels.size(), 0.8)};
    p.switch_energy = {0.001, random_costs(rng, levels.size(), 0.006)};
    p.initial_config = 1 % p.num_configs;
    p.deadline = min_latency(p) * 1.2;
    ScheduleProblem q = p;
    q.switch_time = {};
    q.switch_energy = {};
    for (std::size_t a = 0; a < p.num_configs; ++a)
      for (std::size_t b = 0; b < p.num_configs; ++b) {
        double ct = a != b ? p.switch_time.any : 0.0, ce = a != b ? p.switch_energy.any : 0.0;
        for (std::size_t j = 0; j < levels.size(); ++j)
          if (p.configs->level(a, j) != p.configs->level(b, j)) {
            ct += p.switch_time.knobs[j];
            ce += p.switch_energy.knobs[j];
          }
        q.switch_time_matrix.push_back(ct);
        q.switch_energy_matrix.push_back(ce);
      }
    const ScheduleResult a = dvfskit::solve_schedule(p), b = dvfskit::solve_schedule(q);
    INFO("trial " << trial);
    REQUIRE(a.feasible);
    CHECK(a.energy == Approx(b.energy).epsilon(1e-12));
    CHECK(a.proven_optimal);
    CHECK(b.proven_optimal);
    CHECK(b.predecessor_groups == 0);
    CHECK(a.predecessor_groups >= 1);
    CHECK(a.predecessor_groups <= std::size_t{1} << levels.size());
  }
}

TEST_CASE("huge switching cost gives a uniform schedule; loose deadline gives per-block minima", "[schedule]") {
  std::mt19937 rng(3);
  ScheduleProblem p = grid_problem(rng, 30, 4, 3);
  p.switch_energy.any = 1e6;
  double uniform = std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < p.num_configs; ++k) {
    double sum = 0.0;
    for (std::size_t i = 0; i < p.num_blocks; ++i) sum += p.latency[i * p.num_configs + k];
    uniform = std::min(uniform, sum);
  }
  p.deadline = uniform * 1.1;
  const ScheduleResult r = dvfskit::solve_schedule(p);
  REQUIRE(r.feasible);
  CHECK(r.num_switches == 0);
  p.switch_energy.any = 0.0;
  p.deadline = 1e9;
  const ScheduleResult loose = dvfskit::solve_schedule(p);
  double sum = 0.0;
  for (std::size_t i = 0; i < p.num_blocks; ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < p.num_configs; ++k) best = std::min(best, p.energy[i * p.num_configs + k]);
    sum += best;
  }
  CHECK(loose.energy == Approx(sum).epsilon(1e-12));
  CHECK(loose.proven_optimal);
}

TEST_CASE("infeasible deadline reports the fastest schedule", "[schedule]") {
  std::mt19937 rng(5);
  ScheduleProblem p = grid_problem(rng, 10, 3, 2);
  p.switch_time.any = 1.0;
  const double fastest = min_latency(p);
  p.deadline = fastest * 0.99;
  const ScheduleResult r = dvfskit::solve_schedule(p);
  CHECK_FALSE(r.feasible);
  CHECK(r.latency == Approx(fastest));
  CHECK(r.reason.find("below the smallest reachable latency") != std::string::npos);
  p.deadline = fastest;  // exactly tight: feasible
  CHECK(dvfskit::solve_schedule(p).feasible);
}

TEST_CASE("a cancelled schedule throws Cancelled", "[schedule]") {
  std::mt19937 rng(11);
  ScheduleProblem p = random_problem(rng, 200, random_configs(rng, {8, 8, 6}, 1.0));
  p.switch_time = {0.0, {1.0, 5.0, 8.0}};
  p.switch_energy = {0.0, {0.001, 0.005, 0.008}};
  p.deadline = min_latency(p) * 1.2;
  const dvfskit::CancelToken token;
  token.request();
  CHECK_THROWS_AS(dvfskit::solve_schedule(p, {}, &token), dvfskit::Cancelled);
  // Requested from another thread while the solve runs (a huge matrix problem: every DP step is
  // O(K^2), so it runs far longer than the request takes to arrive).
  ScheduleProblem q = random_problem(rng, 400, random_configs(rng, {40, 20}, 1.0));
  const std::size_t k = q.num_configs;
  q.switch_time_matrix.assign(k * k, 0.5);
  q.switch_energy_matrix.assign(k * k, 0.001);
  for (std::size_t a = 0; a < k; ++a) q.switch_time_matrix[a * k + a] = q.switch_energy_matrix[a * k + a] = 0.0;
  q.deadline = 1e9;
  const dvfskit::CancelToken later;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    later.request();
  });
  CHECK_THROWS_AS(dvfskit::solve_schedule(q, {}, &later), dvfskit::Cancelled);
  stopper.join();
}

TEST_CASE("schedule validation names the argument", "[schedule]") {
  std::mt19937 rng(1);
  ScheduleProblem p = grid_problem(rng, 3, 2, 2);
  p.deadline = 100.0;
  auto message = [](const ScheduleProblem& q) {
    try {
      dvfskit::solve_schedule(q);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  ScheduleProblem q = p;
  q.deadline = 0.0;
  CHECK(message(q).find("deadline_ms") == 0);
  q = p;
  q.latency[2] = -1.0;
  CHECK(message(q).find("block_latency_ms") == 0);
  q = p;
  q.energy[1] = std::nan("");
  CHECK(message(q).find("block_energy_j") == 0);
  q = p;
  q.initial_config = 4;
  CHECK(message(q).find("initial_config") == 0);
  q = p;
  q.latency.pop_back();
  CHECK(message(q).find("block_latency_ms") == 0);
  q = p;
  q.switch_time.knobs = {1.0};  // two knobs
  CHECK(message(q).find("switch_time_ms: expected one cost per knob") == 0);
  q = p;
  q.switch_energy.knobs = {1.0, -1.0};
  CHECK(message(q).find("switch_energy_j: the cost of knob 'knob1_mhz'") == 0);
  q = p;
  q.configs.reset();
  q.switch_time.knobs = {1.0, 2.0};
  CHECK(message(q).find("switch_time_ms: per-knob costs need the configurations") == 0);
  q = p;
  q.configs = random_configs(rng, {3}, 1.0);
  CHECK(message(q).find("configs: 3 configurations") == 0);
  q = random_problem(rng, 2, random_configs(rng, std::vector<std::size_t>(dvfskit::kMaxCostlyKnobs + 1, 2), 0.01));
  q.deadline = 100.0;
  q.switch_time.knobs.assign(dvfskit::kMaxCostlyKnobs + 1, 1.0);
  CHECK(message(q).find("switch_time_ms: at most 10 knobs may have a switching cost") == 0);
  q.switch_time.knobs.back() = 0.0;  // a free knob does not count
  CHECK(message(q).empty());
  q = p;
  q.switch_time.any = 1.0;
  q.switch_time_matrix.assign(16, 0.0);
  q.switch_energy_matrix.assign(16, 0.0);
  CHECK(message(q).find("switch_time_ms: give either") == 0);
}

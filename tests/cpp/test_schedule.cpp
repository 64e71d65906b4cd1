// Per-block schedule: brute force on small instances, structure equivalences, validation.
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "catch.hpp"
#include "dvfskit/schedule.hpp"

using dvfskit::ScheduleProblem;
using dvfskit::ScheduleResult;

namespace {

// N blocks over an nf x nm grid of (f, m) configurations; latency falls, energy per block has an
// interior optimum, like real DVFS tables.
ScheduleProblem random_problem(std::mt19937& rng, std::size_t n, std::size_t nf, std::size_t nm) {
  std::uniform_real_distribution<double> u(0.5, 1.5);
  ScheduleProblem p;
  p.num_blocks = n;
  p.num_configs = nf * nm;
  for (std::size_t i = 0; i < n; ++i) {
    const double work = u(rng) * 5.0, mem = u(rng) * 3.0;
    for (std::size_t a = 0; a < nf; ++a)
      for (std::size_t b = 0; b < nm; ++b) {
        const double f = 0.4 + 0.6 * (a + 1.0) / nf, m = 0.4 + 0.6 * (b + 1.0) / nm;
        const double t = work / f + mem / m;
        const double power = 2.0 + 6.0 * f * f * f + 2.0 * m * m;
        p.latency.push_back(t * u(rng));
        p.energy.push_back(power * t / 1000.0 * u(rng));
      }
  }
  for (std::size_t a = 0; a < nf; ++a)
    for (std::size_t b = 0; b < nm; ++b) {
      p.compute_group.push_back(static_cast<int>(a));
      p.memory_group.push_back(static_cast<int>(b));
    }
  return p;
}

// Exhaustive: best energy among paths within the deadline (inf when none).
double brute_force(const ScheduleProblem& p) {
  const std::size_t n = p.num_blocks, k = p.num_configs;
  std::vector<std::size_t> path(n, 0);
  double best = std::numeric_limits<double>::infinity();
  while (true) {
    const auto [e, t] = dvfskit::evaluate_schedule(p, path);
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

}  // namespace

TEST_CASE("schedule matches brute force on small instances", "[schedule]") {
  std::mt19937 rng(42);
  int checked = 0;
  for (int trial = 0; trial < 120; ++trial) {
    const std::size_t n = 2 + trial % 4, nf = 1 + trial % 2, nm = 1 + (trial / 2) % 3;
    ScheduleProblem p = random_problem(rng, n, nf, nm);
    const int kind = trial % 4;
    if (kind == 1) {
      p.switch_time.any = 0.7;
      p.switch_energy.any = 0.002;
    } else if (kind == 2) {
      p.switch_time = {0.1, 0.5, 0.8};
      p.switch_energy = {0.0, 0.003, 0.001};
      p.initial_config = static_cast<std::size_t>(trial) % p.num_configs;
    } else if (kind == 3) {
      std::uniform_real_distribution<double> u(0.0, 1.0);
      const std::size_t k = p.num_configs;
      for (std::size_t a = 0; a < k; ++a)
        for (std::size_t b = 0; b < k; ++b) {
          p.switch_time_matrix.push_back(a == b ? 0.0 : u(rng));
          p.switch_energy_matrix.push_back(a == b ? 0.0 : 0.002 * u(rng));
        }
    }
    const double fastest = min_latency(p);
    const double slack = std::uniform_real_distribution<double>(0.9, 1.6)(rng);
    p.deadline = fastest * slack;
    const ScheduleResult r = dvfskit::solve_schedule(p);
    const double expected = brute_force(p);
    INFO("trial " << trial);
    REQUIRE(r.feasible == std::isfinite(expected));
    if (r.feasible) {
      CHECK(r.energy == Approx(expected).epsilon(1e-12));
      CHECK(r.proven_optimal);
      CHECK(r.lower_bound <= r.energy + 1e-12);
      CHECK(r.latency <= p.deadline * (1 + 1e-9));
    } else {
      CHECK(std::isnan(r.lower_bound));
      CHECK(r.min_latency == Approx(fastest));
      CHECK_FALSE(r.reason.empty());
    }
    ++checked;
  }
  CHECK(checked == 120);
}

TEST_CASE("structured and matrix switching costs agree", "[schedule]") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    ScheduleProblem p = random_problem(rng, 12, 3, 3);
    p.switch_time = {0.2, 0.5, 0.8};
    p.switch_energy = {0.001, 0.004, 0.006};
    p.initial_config = 4;
    p.deadline = min_latency(p) * 1.2;
    ScheduleProblem q = p;
    for (std::size_t a = 0; a < p.num_configs; ++a)
      for (std::size_t b = 0; b < p.num_configs; ++b) {
        const bool df = p.compute_group[a] != p.compute_group[b], dm = p.memory_group[a] != p.memory_group[b];
        const bool d = a != b;
        q.switch_time_matrix.push_back(d * 0.2 + df * 0.5 + dm * 0.8);
        q.switch_energy_matrix.push_back(d * 0.001 + df * 0.004 + dm * 0.006);
      }
    const ScheduleResult a = dvfskit::solve_schedule(p), b = dvfskit::solve_schedule(q);
    REQUIRE(a.feasible);
    CHECK(a.energy == Approx(b.energy).epsilon(1e-12));
    CHECK(a.proven_optimal);
    CHECK(b.proven_optimal);
  }
}

TEST_CASE("huge switching cost gives a uniform schedule; loose deadline gives per-block minima", "[schedule]") {
  std::mt19937 rng(3);
  ScheduleProblem p = random_problem(rng, 30, 4, 3);
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
  ScheduleProblem p = random_problem(rng, 10, 3, 2);
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

TEST_CASE("schedule validation names the argument", "[schedule]") {
  std::mt19937 rng(1);
  ScheduleProblem p = random_problem(rng, 3, 2, 2);
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
}

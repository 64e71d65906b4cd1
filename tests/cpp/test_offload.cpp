// Table offloading solver: uplink helpers, Pareto fronts, exactness against a dense brute
// force, infeasibility, validation and concurrent use of one shared TableProblem.
#include <cmath>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "random_tables.hpp"
#include "dvfskit/offload_problem.hpp"
#include "dvfskit/offload_solve.hpp"
#include "dvfskit/uplink.hpp"

using namespace dvfskit;

namespace {

struct Instance {
  TableProblem problem;
  Scenario scenario;
};

Instance random_instance(std::mt19937_64& rng) {
  const std::size_t L = 1 + rng() % 5, nf = 1 + rng() % 4, nm = 1 + rng() % 3;
  TableProblem tables = testing::random_tables(rng, L, nf, nm);
  return {std::move(tables), testing::random_scenario(rng)};
}

// Dense search over every (l, c) and a zoomed log grid in p, plus the boundary powers.
double brute_force_energy(const TableProblem& tp, const Scenario& s, bool& feasible) {
  const Uplink up{s.bandwidth_hz, s.gain, s.noise_w_per_hz};
  const double T = s.deadline_ms * (1 + kDeadlineRelTol);
  double best = INFINITY;
  for (std::size_t l = 0; l <= tp.num_blocks(); ++l) {
    const double bits = l < tp.num_blocks() ? tp.out_bits(l) : 0.0;
    for (std::size_t c = 0; c < tp.num_configs(); ++c) {
      const double t0 = tp.local_time_ms(l, c) + tp.server_latency_ms(l);
      const double e0 = tp.local_energy_mj(l, c) * 1e-3 + s.idle_power_w * tp.server_latency_ms(l) * 1e-3;
      if (bits <= 0) {
        if (t0 <= T) best = std::min(best, e0);
        continue;
      }
      const auto energy = [&](double p) {
        const double tt = bits / up.rate_bps(p);
        return t0 + tt * 1e3 <= T * (1 + 1e-12) ? e0 + (p + s.p_circuit_w) * tt : INFINITY;
      };
      const double tau = (s.deadline_ms - t0) * 1e-3;
      const double p_need = tau > 0 ? std::min(up.power_for_time_w(bits, tau), s.p_max_w) : s.p_max_w;
      best = std::min({best, energy(p_need), energy(s.p_max_w)});
      double lo = std::log(p_need), hi = std::log(s.p_max_w);
      for (int round = 0; round < 5 && hi > lo; ++round) {
        int bj = 0;
        double be = INFINITY;
        for (int j = 0; j <= 64; ++j) {
          const double e = energy(std::exp(lo + (hi - lo) * j / 64));
          if (e < be) { be = e; bj = j; }
        }
        best = std::min(best, be);
        const double nlo = lo + (hi - lo) * std::max(bj - 1, 0) / 64, nhi = lo + (hi - lo) * std::min(bj + 1, 64) / 64;
        lo = nlo;
        hi = nhi;
      }
    }
  }
  feasible = std::isfinite(best);
  return best;
}

}  // namespace

TEST_CASE("uplink: power for a time and the transmit time are inverse", "[offload]") {
  const Uplink up{1e6, 1e-7, 1e-17};
  for (double bits : {1e3, 1e5, 1e7}) {
    for (double t : {1e-3, 1e-1, 10.0}) {
      if (bits / (1e6 * t) > 1000) continue;  // 2^(bits / (B t)) overflows: p = inf
      const double p = up.power_for_time_w(bits, t);
      CHECK(up.transmit_time_s(bits, p) == Approx(t).epsilon(1e-12));
    }
  }
  CHECK(up.transmit_time_s(0.0, 1.0) == 0.0);
  CHECK(std::isinf(up.transmit_time_s(1.0, 0.0)));
}

TEST_CASE("energy-optimal power is the stationary point of (p + pc) / log(1 + a p)", "[offload]") {
  CHECK(energy_optimal_power_w(1e3, 0.0) == 0.0);
  for (double a : {1e-2, 1.0, 1e3, 1e8}) {
    for (double pc : {1e-6, 1e-2, 1.0, 50.0}) {
      const double p = energy_optimal_power_w(a, pc);
      const double x = a * p;
      CHECK((1 + x) * std::log1p(x) - x == Approx(a * pc).epsilon(1e-10));
      const auto f = [&](double q) { return (q + pc) / std::log1p(a * q); };
      CHECK(f(p) <= f(p * 1.001));
      CHECK(f(p) <= f(p * 0.999));
    }
  }
}

TEST_CASE("Pareto fronts: every configuration is dominated by a front member", "[offload]") {
  std::mt19937_64 rng(3);
  for (int it = 0; it < 50; ++it) {
    const Instance in = random_instance(rng);
    const TableProblem& tp = in.problem;
    for (std::size_t l = 0; l <= tp.num_blocks(); ++l) {
      for (std::size_t k = tp.front_begin(l) + 1; k < tp.front_end(l); ++k) {
        CHECK(tp.front_time_ms()[k] >= tp.front_time_ms()[k - 1]);
        CHECK(tp.front_energy_mj()[k] < tp.front_energy_mj()[k - 1]);
      }
      for (std::size_t c = 0; c < tp.num_configs(); ++c) {
        bool dominated = false;
        for (std::size_t k = tp.front_begin(l); k < tp.front_end(l); ++k)
          dominated |= tp.front_time_ms()[k] <= tp.local_time_ms(l, c) && tp.front_energy_mj()[k] <= tp.local_energy_mj(l, c);
        CHECK(dominated);
      }
    }
  }
}

TEST_CASE("solve equals a dense brute force", "[offload]") {
  std::mt19937_64 rng(11);
  int feasible_count = 0;
  for (int it = 0; it < 500; ++it) {
    const Instance in = random_instance(rng);
    bool feasible = false;
    const double e_bf = brute_force_energy(in.problem, in.scenario, feasible);
    const OffloadSolution s = solve(in.problem, in.scenario);
    REQUIRE(s.feasible == feasible);
    if (!feasible) {
      CHECK(!s.reason.empty());
      CHECK(s.min_latency_ms > in.scenario.deadline_ms);
      continue;
    }
    ++feasible_count;
    CHECK(s.energy_j == Approx(e_bf).epsilon(1e-6));
    CHECK(s.energy_j <= e_bf * (1 + 1e-12));
    CHECK(s.latency_ms <= in.scenario.deadline_ms * (1 + kDeadlineRelTol));
    const OffloadSolution again = evaluate(in.problem, in.scenario, s.split, std::max(s.compute_index, 0),
                                           std::max(s.mem_index, 0), s.tx_power_w > 0 ? s.tx_power_w : 1.0);
    CHECK(again.energy_j == Approx(s.energy_j).epsilon(1e-14));
    CHECK(again.feasible);
  }
  CHECK(feasible_count > 100);
}

TEST_CASE("restrictions and infeasibility", "[offload]") {
  std::mt19937_64 rng(5);
  const Instance in = random_instance(rng);
  Scenario s = in.scenario;
  s.deadline_ms = 1e-6;
  const OffloadSolution bad = solve(in.problem, s);
  CHECK_FALSE(bad.feasible);
  CHECK(bad.reason.find("deadline") != std::string::npos);
  CHECK(bad.latency_ms == Approx(bad.min_latency_ms));
  s.deadline_ms = 1e9;
  const auto L = static_cast<int>(in.problem.num_blocks());
  CHECK(solve(in.problem, s, {}, Restriction{L, -1, -1, false}).split == L);
  CHECK(solve(in.problem, s, {}, Restriction{0, -1, -1, false}).split == 0);
  CHECK(solve(in.problem, s, {}, Restriction{-1, -1, -1, true}).tx_power_w >= 0.0);
  const OffloadSolution r = solve(in.problem, s, {}, Restriction{L, 0, 0, false});
  CHECK(r.compute_index == 0);
  CHECK(r.mem_index == 0);
}

TEST_CASE("bad input throws invalid_argument", "[offload]") {
  const std::vector<double> f{100, 200}, m{500}, lat{1, 1}, pw{1, 1}, bits{1, 1}, srv{1, 0};
  CHECK_NOTHROW(TableProblem(1, f, m, lat, pw, bits, srv));
  CHECK_THROWS_AS(TableProblem(1, f, m, {1.0}, pw, bits, srv), std::invalid_argument);
  CHECK_THROWS_AS(TableProblem(1, f, m, {1.0, NAN}, pw, bits, srv), std::invalid_argument);
  CHECK_THROWS_AS(TableProblem(1, {0.0, 1.0}, m, lat, pw, bits, srv), std::invalid_argument);
  CHECK_THROWS_AS(TableProblem(1, f, m, lat, pw, bits, {1.0, 1.0}), std::invalid_argument);
  const TableProblem tp(1, f, m, lat, pw, bits, srv);
  Scenario s{10.0, 1e6, 1e-7, 1e-17, 1.0, 0.0, 0.0};
  CHECK_NOTHROW(solve(tp, s));
  s.bandwidth_hz = -1;
  CHECK_THROWS_AS(solve(tp, s), std::invalid_argument);
  s.bandwidth_hz = 1e6;
  CHECK_THROWS_AS(solve(tp, s, Objective{ObjectiveKind::Weighted, -1.0}), std::invalid_argument);
  CHECK_THROWS_AS(solve(tp, s, {}, Restriction{5, -1, -1, false}), std::invalid_argument);
}

TEST_CASE("one shared TableProblem solved from many threads", "[offload][threads]") {
  std::mt19937_64 rng(17);
  const Instance in = random_instance(rng);
  const TableProblem& tp = in.problem;
  std::vector<Scenario> scenarios;
  for (int i = 0; i < 2000; ++i) {
    Scenario s = in.scenario;
    s.deadline_ms = 0.5 + 0.05 * i;
    s.bandwidth_hz *= 1.0 + 0.001 * (i % 97);
    scenarios.push_back(s);
  }
  std::vector<double> sequential(scenarios.size()), parallel(scenarios.size());
  for (std::size_t i = 0; i < scenarios.size(); ++i) sequential[i] = solve(tp, scenarios[i]).objective_value;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (std::size_t i = static_cast<std::size_t>(t); i < scenarios.size(); i += 8)
        parallel[i] = solve(tp, scenarios[i], Objective{}).objective_value;
    });
  for (auto& th : threads) th.join();
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    if (std::isnan(sequential[i])) CHECK(std::isnan(parallel[i]));
    else CHECK(sequential[i] == parallel[i]);
  }
}

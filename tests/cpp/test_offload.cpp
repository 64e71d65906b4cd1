// Table offloading solver: uplink helpers, Pareto fronts, exactness against a dense brute force
// (dense and sparse configuration sets over 1 to 4 knobs, partial offloading), restrictions to
// configuration subsets, infeasibility, validation and concurrent use of one shared TableProblem.
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
  std::vector<double> fractions;  // as given (may hold 0)
};

Instance random_instance(std::mt19937_64& rng, bool partial = false) {
  const std::size_t L = 1 + rng() % 5, d = 1 + rng() % 4;
  std::vector<std::size_t> levels(d);
  for (auto& n : levels) n = 1 + rng() % 4;
  const double density = rng() % 3 == 0 ? 1.0 : 0.3 + 0.7 * std::uniform_real_distribution<double>(0, 1)(rng);
  const ConfigSet configs = testing::random_configs(rng, levels, density, d > 1 && rng() % 2 == 0);
  std::vector<double> fractions;
  if (partial) fractions = rng() % 2 ? std::vector<double>{0.0, 0.25, 0.5, 0.75, 1.0} : std::vector<double>{0.3, 0.6};
  TableProblem tables = testing::random_config_tables(rng, configs, L, fractions);
  return {std::move(tables), testing::random_scenario(rng), fractions};
}

// Every (split, fraction, configuration) with a dense zoomed log grid in p plus the boundary
// powers; uses only the cumulative tables. Restricted to `allowed` configurations when given.
double brute_force_energy(const Instance& in, bool& feasible, const std::vector<std::size_t>* allowed = nullptr) {
  const TableProblem& tp = in.problem;
  const Scenario& s = in.scenario;
  const Uplink up{s.bandwidth_hz, s.gain, s.noise_w_per_hz};
  const double T = s.deadline_ms * (1 + kDeadlineRelTol);
  const std::size_t L = tp.num_blocks();
  std::vector<double> fractions = in.fractions.empty() ? std::vector<double>{1.0} : in.fractions;
  double best = INFINITY;
  std::vector<std::size_t> configs;
  if (allowed) configs = *allowed;
  else for (std::size_t k = 0; k < tp.num_configs(); ++k) configs.push_back(k);
  for (std::size_t l = 0; l <= L; ++l) {
    for (const double rho0 : (l == L ? std::vector<double>{0.0} : fractions)) {
      const double rho = rho0;
      const double bits = l < L ? rho * tp.out_bits(l) : 0.0;
      const double srv = l < L ? rho * tp.server_latency_ms(l) : 0.0;
      for (const std::size_t c : configs) {
        const double t_loc = tp.local_time_ms(l, c);
        const double t_end = t_loc + (1 - rho) * (tp.local_time_ms(L, c) - t_loc);
        const double e0 = (tp.local_energy_mj(l, c) + (1 - rho) * (tp.local_energy_mj(L, c) - tp.local_energy_mj(l, c))) * 1e-3 +
                          s.idle_power_w * srv * 1e-3;
        if (bits <= 0) {
          if (std::max(t_end, t_loc + srv) <= T) best = std::min(best, e0);
          continue;
        }
        const auto energy = [&](double p) {
          const double tt = bits / up.rate_bps(p);
          return std::max(t_end, t_loc + tt * 1e3 + srv) <= T * (1 + 1e-12) ? e0 + (p + s.p_circuit_w) * tt : INFINITY;
        };
        const double tau = (s.deadline_ms - t_loc - srv) * 1e-3;
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
  for (int it = 0; it < 60; ++it) {
    const Instance in = random_instance(rng, it % 2 == 1);
    const TableProblem& tp = in.problem;
    const ParetoFronts& F = tp.fronts();
    for (std::size_t o = 0; o < tp.num_options(); ++o) {
      const OffloadOption& op = tp.option(o);
      for (std::size_t i = F.begin(o) + 1; i < F.end(o); ++i) {
        CHECK(F.t_loc_ms[i] >= F.t_loc_ms[i - 1]);
        CHECK(F.energy_prefix_min_mj[i] == std::min(F.energy_prefix_min_mj[i - 1], F.energy_mj[i]));
      }
      for (std::size_t i = F.time_begin(o) + 1; i < F.time_end(o); ++i) {
        CHECK(F.time_loc_ms[i] >= F.time_loc_ms[i - 1]);
        CHECK(F.time_end_ms[i] < F.time_end_ms[i - 1]);
      }
      for (std::size_t k = 0; k < tp.num_configs(); ++k) {
        const double t = tp.local_time_ms(op.split, k), end = tp.local_end_ms(op.split, op.fraction, k);
        const double e = tp.compute_energy_mj(op.split, op.fraction, k);
        bool dominated = false, time_dominated = false;
        for (std::size_t i = F.begin(o); i < F.end(o); ++i)
          dominated |= F.t_loc_ms[i] <= t && F.t_end_ms[i] <= end && F.energy_mj[i] <= e;
        for (std::size_t i = F.time_begin(o); i < F.time_end(o); ++i)
          time_dominated |= F.time_loc_ms[i] <= t && F.time_end_ms[i] <= end;
        CHECK(dominated);
        CHECK(time_dominated);
      }
    }
  }
}

TEST_CASE("solve equals a dense brute force: 1 to 4 knobs, dense and sparse sets, partial offloading", "[offload]") {
  std::mt19937_64 rng(11);
  int feasible_count = 0, partial_chosen = 0;
  for (int it = 0; it < 900; ++it) {
    const bool partial = it % 3 == 2;
    Instance in = random_instance(rng, partial);
    bool feasible = false;
    const double e_bf = brute_force_energy(in, feasible);
    const OffloadSolution s = solve(in.problem, in.scenario);
    REQUIRE(s.feasible == feasible);
    if (!feasible) {
      CHECK(!s.reason.empty());
      CHECK(s.min_latency_ms > in.scenario.deadline_ms);
      continue;
    }
    ++feasible_count;
    partial_chosen += s.offload_fraction > 0.0 && s.offload_fraction < 1.0;
    CHECK(s.energy_j == Approx(e_bf).epsilon(1e-6));
    CHECK(s.energy_j <= e_bf * (1 + 1e-12));
    CHECK(s.latency_ms <= in.scenario.deadline_ms * (1 + kDeadlineRelTol));
    const OffloadSolution again = evaluate(in.problem, in.scenario, s.split, std::max(s.config, 0),
                                           s.tx_power_w > 0 ? s.tx_power_w : 1.0, s.offload_fraction);
    CHECK(again.energy_j == Approx(s.energy_j).epsilon(1e-14));
    CHECK(again.latency_ms == Approx(s.latency_ms).epsilon(1e-14));
    CHECK(again.feasible);
  }
  CHECK(feasible_count > 200);
  CHECK(partial_chosen > 10);
}

TEST_CASE("configuration subsets: the optimum over the subset, by brute force", "[offload]") {
  std::mt19937_64 rng(23);
  for (int it = 0; it < 300; ++it) {
    Instance in = random_instance(rng, it % 2 == 0);
    const std::size_t K = in.problem.num_configs();
    std::vector<std::size_t> allowed;
    for (std::size_t k = 0; k < K; ++k)
      if (rng() % 3 == 0) allowed.push_back(k);
    if (allowed.empty()) allowed.push_back(rng() % K);
    const ConfigSubset subset(in.problem, allowed);
    bool feasible = false;
    const double e_bf = brute_force_energy(in, feasible, &allowed);
    Restriction r;
    r.configs = &subset;
    const OffloadSolution s = solve(in.problem, in.scenario, {}, r);
    REQUIRE(s.feasible == feasible);
    if (feasible) {
      CHECK(s.energy_j == Approx(e_bf).epsilon(1e-6));
      if (s.config >= 0) CHECK(std::find(allowed.begin(), allowed.end(), static_cast<std::size_t>(s.config)) != allowed.end());
    }
  }
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
  Restriction r;
  r.split = L;
  CHECK(solve(in.problem, s, {}, r).split == L);
  r.split = 0;
  CHECK(solve(in.problem, s, {}, r).split == 0);
  r = Restriction{};
  r.fixed_max_power = true;
  const OffloadSolution fixed = solve(in.problem, s, {}, r);
  CHECK((fixed.tx_power_w == 0.0 || fixed.tx_power_w == s.p_max_w));
  const ConfigSubset one(in.problem, {0});
  r = Restriction{};
  r.split = L;
  r.configs = &one;
  CHECK(solve(in.problem, s, {}, r).config == 0);
}

TEST_CASE("partial offloading: fraction 0 is all local, fixed fractions restrict", "[offload]") {
  std::mt19937_64 rng(29);
  const ConfigSet configs = testing::random_configs(rng, {3, 2}, 1.0);
  const TableProblem with0 = testing::random_config_tables(rng, configs, 4, {0.0, 0.5, 1.0});
  for (std::size_t o = 0; o < with0.num_options(); ++o)
    CHECK((with0.option(o).fraction > 0.0 || with0.option(o).split == with0.num_blocks()));
  CHECK(with0.partial_offloading());
  Scenario s = testing::random_scenario(rng);
  s.deadline_ms = 1e9;
  Restriction r;
  r.split = 0;
  r.fraction = 0.5;
  const OffloadSolution half = solve(with0, s, {}, r);
  CHECK(half.split == 0);
  CHECK(half.offload_fraction == 0.5);
  CHECK(half.config >= 0);  // half of the work stays on the device
  r.fraction = 0.25;
  CHECK_THROWS_AS(solve(with0, s, {}, r), std::invalid_argument);
  CHECK_THROWS_AS(TableProblem(configs, std::vector<double>(4 * 6, 1.0), std::vector<double>(4 * 6, 1.0),
                               std::vector<double>(5, 1.0), {4, 3, 2, 1, 0}, {1.5}),
                  std::invalid_argument);
}

TEST_CASE("bad input throws invalid_argument", "[offload]") {
  const std::vector<double> f{100, 200}, m{500}, lat{1, 1}, pw{1, 1}, bits{1, 1}, srv{1, 0};
  CHECK_NOTHROW(TableProblem(1, f, m, lat, pw, bits, srv));
  CHECK_THROWS_AS(TableProblem(1, f, m, {1.0}, pw, bits, srv), std::invalid_argument);
  CHECK_THROWS_AS(TableProblem(1, f, m, {1.0, NAN}, pw, bits, srv), std::invalid_argument);
  CHECK_THROWS_WITH(TableProblem(1, f, m, {1.0, -2.0}, pw, bits, srv), Catch::Contains("block 0 at configuration 1"));
  CHECK_THROWS_AS(TableProblem(1, {0.0, 1.0}, m, lat, pw, bits, srv), std::invalid_argument);
  CHECK_THROWS_AS(TableProblem(1, f, m, lat, pw, bits, {1.0, 1.0}), std::invalid_argument);
  const TableProblem tp(1, f, m, lat, pw, bits, srv);
  Scenario s{10.0, 1e6, 1e-7, 1e-17, 1.0, 0.0, 0.0};
  CHECK_NOTHROW(solve(tp, s));
  s.bandwidth_hz = -1;
  CHECK_THROWS_AS(solve(tp, s), std::invalid_argument);
  s.bandwidth_hz = 1e6;
  CHECK_THROWS_AS(solve(tp, s, Objective{ObjectiveKind::Weighted, -1.0}), std::invalid_argument);
  Restriction r;
  r.split = 5;
  CHECK_THROWS_AS(solve(tp, s, {}, r), std::invalid_argument);
  const TableProblem other(1, f, m, lat, pw, bits, srv);
  const ConfigSubset foreign(other, {1});
  r = Restriction{};
  r.configs = &foreign;
  CHECK_THROWS_WITH(solve(tp, s, {}, r), Catch::Contains("another problem"));
  CHECK_THROWS_AS(ConfigSubset(tp, {}), std::invalid_argument);
  CHECK_THROWS_AS(ConfigSubset(tp, {2}), std::invalid_argument);
  CHECK_THROWS_AS(ConfigSubset(tp, {1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(evaluate(tp, s, 1, 0, 1.0, 1.5), std::invalid_argument);
}

TEST_CASE("one shared TableProblem solved from many threads", "[offload][threads]") {
  std::mt19937_64 rng(17);
  const Instance in = random_instance(rng, true);
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

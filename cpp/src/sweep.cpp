// Batch solve on the parallel_for thread pool, in blocks of consecutive scenarios.
#include "dvfskit/sweep.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "dvfskit/parallel.hpp"

namespace dvfskit {

namespace {

constexpr std::size_t kBlock = 256;  // scenarios per work item (amortises the pool's atomic)

void resize(SweepColumns& c, std::size_t n, std::size_t num_baselines) {
  c.feasible.resize(n);
  for (auto* v : {&c.objective_value, &c.energy_j, &c.energy_compute_j, &c.energy_transmit_j, &c.energy_idle_j,
                  &c.latency_ms, &c.latency_local_ms, &c.latency_transmit_ms, &c.latency_server_ms,
                  &c.min_latency_ms, &c.compute_freq_mhz, &c.mem_freq_mhz, &c.tx_power_w, &c.offload_fraction})
    v->resize(n);
  for (auto* v : {&c.split, &c.compute_index, &c.mem_index}) v->resize(n);
  c.baselines.resize(num_baselines);
  for (BaselineColumns& b : c.baselines) {
    b.energy_j.resize(n);
    b.latency_ms.resize(n);
    b.feasible.resize(n);
  }
}

void store(SweepColumns& c, std::size_t i, const OffloadSolution& s) {
  c.feasible[i] = s.feasible ? 1 : 0;
  c.objective_value[i] = s.objective_value;
  c.energy_j[i] = s.energy_j;
  c.energy_compute_j[i] = s.energy_compute_j;
  c.energy_transmit_j[i] = s.energy_transmit_j;
  c.energy_idle_j[i] = s.energy_idle_j;
  c.latency_ms[i] = s.latency_ms;
  c.latency_local_ms[i] = s.latency_local_ms;
  c.latency_transmit_ms[i] = s.latency_transmit_ms;
  c.latency_server_ms[i] = s.latency_server_ms;
  c.min_latency_ms[i] = s.min_latency_ms;
  c.split[i] = s.split;
  c.compute_index[i] = s.compute_index;
  c.mem_index[i] = s.mem_index;
  c.compute_freq_mhz[i] = s.compute_freq_mhz;
  c.mem_freq_mhz[i] = s.mem_freq_mhz;
  c.tx_power_w[i] = s.tx_power_w;
  c.offload_fraction[i] = s.offload_fraction;
}

OffloadSolution solve_baseline(const TableProblem& tp, const Scenario& sc, const Objective& obj, const Baseline& b) {
  if (b.plan_on == nullptr) return solve(tp, sc, obj, b.restriction);
  const OffloadSolution planned = solve(*b.plan_on, sc, obj, b.restriction);
  const double p = planned.tx_power_w > 0.0 ? planned.tx_power_w : sc.p_max_w;
  return evaluate(tp, sc, planned.split, std::max(planned.compute_index, 0), std::max(planned.mem_index, 0), p);
}

}  // namespace

SweepColumns solve_batch(const TableProblem& problem, const std::vector<Scenario>& scenarios,
                         const Objective& objective, const std::vector<Baseline>& baselines, int threads) {
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    try {
      validate(scenarios[i]);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("scenario " + std::to_string(i) + ": " + e.what());
    }
  }
  for (const Baseline& b : baselines) {
    if (b.plan_on != nullptr && (b.plan_on->num_blocks() != problem.num_blocks() ||
                                 b.plan_on->num_compute() != problem.num_compute() ||
                                 b.plan_on->num_mem() != problem.num_mem()))
      throw std::invalid_argument("baseline plan_on tables must have the problem's shape (L, nF, nM)");
  }
  const std::size_t n = scenarios.size();
  SweepColumns out;
  resize(out, n, baselines.size());
  const std::size_t blocks = (n + kBlock - 1) / kBlock;
  parallel_for(blocks, threads, [&](std::size_t block) {
    const std::size_t end = std::min(n, (block + 1) * kBlock);
    for (std::size_t i = block * kBlock; i < end; ++i) {
      const Scenario& sc = scenarios[i];
      store(out, i, solve(problem, sc, objective));
      for (std::size_t b = 0; b < baselines.size(); ++b) {
        const OffloadSolution s = solve_baseline(problem, sc, objective, baselines[b]);
        BaselineColumns& col = out.baselines[b];
        col.energy_j[i] = s.energy_j;
        col.latency_ms[i] = s.latency_ms;
        col.feasible[i] = s.feasible ? 1 : 0;
      }
    }
  });
  return out;
}

}  // namespace dvfskit

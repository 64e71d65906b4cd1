// Batch solve: many Scenarios on one shared TableProblem, on a thread pool, results in columns
// (one std::vector per output field, one entry per scenario). Every scenario is solved by the
// same pure solve()/evaluate() calls as a single solve, so a batch result is bit-identical to
// solving the scenarios one by one, whatever the thread count or batch boundaries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dvfskit/offload_problem.hpp"
#include "dvfskit/offload_solve.hpp"

namespace dvfskit {

// A baseline plan solved next to the optimum for every scenario.
struct Baseline {
  Restriction restriction;  // solve under this restriction (e.g. memory at max, split = L ...)
  // Optional, non-owning (must outlive the batch call): plan on these tables under the
  // restriction, then evaluate that plan on the problem's own tables (the CPU-DVFS-model
  // baseline: transmit power of the plan, or p_max when the plan sends nothing).
  const TableProblem* plan_on = nullptr;
};

// The result of one baseline over the batch.
struct BaselineColumns {
  std::vector<double> energy_j;
  std::vector<double> latency_ms;
  std::vector<std::uint8_t> feasible;
};

// The optimum's decisions, energy/latency with breakdowns, feasibility: one entry per scenario.
struct SweepColumns {
  std::vector<std::uint8_t> feasible;
  std::vector<double> objective_value;
  std::vector<double> energy_j, energy_compute_j, energy_transmit_j, energy_idle_j;
  std::vector<double> latency_ms, latency_local_ms, latency_transmit_ms, latency_server_ms;
  std::vector<double> min_latency_ms;
  std::vector<std::int32_t> split, compute_index, mem_index;
  std::vector<double> compute_freq_mhz, mem_freq_mhz, tx_power_w, offload_fraction;
  std::vector<BaselineColumns> baselines;  // in the order of the `baselines` argument

  std::size_t size() const { return energy_j.size(); }
};

// Solves every scenario (objective as in solve()) and every baseline, on `threads` threads
// (0 = all cores). Scenarios are validated first: throws std::invalid_argument naming the
// first bad scenario's index, before any work. Thread-safe: shares `problem` const.
SweepColumns solve_batch(const TableProblem& problem, const std::vector<Scenario>& scenarios,
                         const Objective& objective = {}, const std::vector<Baseline>& baselines = {},
                         int threads = 0);

}  // namespace dvfskit

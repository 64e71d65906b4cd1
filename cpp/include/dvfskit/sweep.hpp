// Batch solve: many Scenarios on one shared TableProblem, on a thread pool, results in columns
// (one std::vector per output field, one entry per scenario). Every scenario is solved by the
// same pure solve()/evaluate() calls as a single solve, so a batch result is bit-identical to
// solving the scenarios one by one, whatever the thread count or batch boundaries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dvfskit/cancel.hpp"
#include "dvfskit/offload_problem.hpp"
#include "dvfskit/offload_solve.hpp"

namespace dvfskit {

// A baseline plan solved next to the optimum for every scenario.
struct Baseline {
  // Solve under this restriction (e.g. every frequency knob at its maximum, split = L ...); its
  // configuration subset, if any, is built from plan_on when set, else from the problem.
  Restriction restriction;
  // Optional, non-owning (must outlive the batch call): plan on these tables (same blocks,
  // configurations and options as the problem) under the restriction, then evaluate that plan on
  // the problem's own tables (the CPU-DVFS-model baseline: transmit power of the plan, or p_max
  // when the plan sends nothing).
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
  std::vector<std::int32_t> split, config;
  std::vector<double> compute_freq_mhz, mem_freq_mhz, tx_power_w, offload_fraction;
  std::vector<BaselineColumns> baselines;  // in the order of the `baselines` argument

  std::size_t size() const { return energy_j.size(); }
};

// One baseline's plan for one scenario (as solve_batch computes it).
OffloadSolution solve_baseline(const TableProblem& problem, const PreparedScenario& scenario, const Baseline& baseline);

// Solves every scenario (objective as in solve()) and every baseline, on `threads` threads
// (0 = all cores). Scenarios and baselines are validated first: throws std::invalid_argument
// naming the first bad scenario's index, before any work. With a token, stops within one
// scenario per thread once cancellation is requested and throws Cancelled. Thread-safe:
// shares `problem` const.
SweepColumns solve_batch(const TableProblem& problem, const std::vector<Scenario>& scenarios,
                         const Objective& objective = {}, const std::vector<Baseline>& baselines = {},
                         int threads = 0, const CancelToken* cancel = nullptr);

}  // namespace dvfskit

// Exact solver for the table offloading problem: enumeration of split points over the per-split
// Pareto fronts of (local time, local energy), with the optimal transmit power in closed form
// (energy, weighted sum) or by a bracketed 1-D search (energy-delay product).
//
// Thread safety: solve() and evaluate() are pure functions of their const arguments; call them
// concurrently from any number of threads on one shared TableProblem.
#pragma once

#include "dvfskit/offload_problem.hpp"
#include "dvfskit/offload_solution.hpp"

namespace dvfskit {

enum class ObjectiveKind {
  Energy,       // device energy, J
  Latency,      // end-to-end latency, ms (ties broken by energy)
  Weighted,     // energy_j + weight * latency_s  (weight in W = J per second of latency)
  EnergyDelay,  // energy_j * latency_s (J s)
};

struct Objective {
  ObjectiveKind kind = ObjectiveKind::Energy;
  double weight = 0.0;  // Weighted only, W (>= 0)
};

// Optional restrictions, used by the baselines. -1 means "free".
struct Restriction {
  int split = -1;
  int compute_index = -1;
  int mem_index = -1;
  bool fixed_max_power = false;  // transmit at p_max instead of optimising p
};

// Relative slack on the deadline: latency <= deadline * (1 + kDeadlineRelTol) is feasible.
inline constexpr double kDeadlineRelTol = 1e-9;

// Best plan subject to latency <= deadline. Never throws for infeasibility: returns
// feasible == false with a reason, min_latency_ms, and the fastest plan's decisions.
// Throws std::invalid_argument on a bad scenario, objective or restriction.
OffloadSolution solve(const TableProblem& problem, const Scenario& scenario,
                      const Objective& objective = {}, const Restriction& restriction = {});

// A given plan (split, indices, transmit power) evaluated on the tables; feasible says whether
// it meets the deadline (and p <= p_max). Indices are ignored when split == 0, p when nothing is sent.
OffloadSolution evaluate(const TableProblem& problem, const Scenario& scenario, int split,
                         int compute_index, int mem_index, double tx_power_w);

}  // namespace dvfskit

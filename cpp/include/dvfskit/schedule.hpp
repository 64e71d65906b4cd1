// Per-block configuration schedule ("punctual laziness"): choose one configuration per block of a
// chain of N blocks so that the chain meets a deadline with the least energy, counting the time
// and energy of switching between configurations.
//
//   minimise   sum_i e[i, k_i] + sum_i se(k_{i-1}, k_i)
//   subject to sum_i t[i, k_i] + sum_i st(k_{i-1}, k_i) <= T
//
// where k_{-1} is the optional initial configuration (no cost for the first block without one).
//
// Algorithm (exact, with a certificate):
//  1. Lagrangian relaxation: L(lambda) = min over paths of sum (e + lambda t) - lambda T is a lower
//     bound on the optimum for every lambda >= 0; it is concave and piecewise linear, maximised
//     exactly by the Handler-Zang breakpoint search (each step intersects the lines of one
//     feasible and one infeasible path). Each evaluation is a shortest-path DP over
//     (block, configuration).
//  2. Label-setting DP over (block, configuration) with Pareto fronts of (time, energy) labels,
//     pruned by the deadline (time still needed to finish) and by the Lagrangian bound of the best
//     lambda against the incumbent. Without thinning this proves optimality (lower bound = optimum).
//     It runs in passes keeping at most 1, then 8 labels per cell (the most promising by their
//     Lagrangian bound: heuristics that tighten the incumbent), then an exhaustive pass; a pass that
//     needed no thinning is exact and ends the search. Each pass stops at a label budget; then the
//     best schedule found is returned with the Lagrangian bound as its certificate.
//
// Switching-cost structure and DP step cost per block (K configurations over d knobs):
//  - per knob: cost(a, b) = any*[a != b] + sum over the knobs j where a and b differ of knob[j]
//    (a scalar cost is `any` alone). With d' knobs of nonzero cost, the best predecessor of b is b
//    itself or the best configuration of one of the 2^d' groups sharing b's values on a subset S
//    of those knobs (charged any + the costs of the knobs outside S, an upper bound that is exact
//    for the predecessor agreeing with b on exactly S): O(2^d' K) per block, no K x K matrix.
//  - matrix: a general K x K cost, O(K^2) per block.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dvfskit/cancel.hpp"
#include "dvfskit/config_set.hpp"

namespace dvfskit {

// cost(a, b) = any*[a != b] + sum_j knobs[j]*[knob j of a != knob j of b], every term >= 0.
// `knobs` has one entry per knob of ScheduleProblem::configs, or is empty (no per-knob costs).
struct SwitchCost {
  double any = 0.0;
  std::vector<double> knobs;
};

struct ScheduleProblem {
  std::size_t num_blocks = 0;       // N >= 1
  std::size_t num_configs = 0;      // K >= 1
  std::vector<double> latency;      // N x K row-major, ms, finite, >= 0
  std::vector<double> energy;       // N x K row-major, J, finite (may be negative: idle credit)
  double deadline = 0.0;            // ms, > 0
  // The K configurations (knob values); needed for per-knob switching costs, else optional.
  std::optional<ConfigSet> configs;
  // Per-knob switching cost (used when the matrices are empty).
  SwitchCost switch_time;           // ms
  SwitchCost switch_energy;         // J
  // General switching cost: K x K row-major (from row to column); both empty or both set.
  std::vector<double> switch_time_matrix;
  std::vector<double> switch_energy_matrix;
  std::optional<std::size_t> initial_config;  // configuration before block 0; none = free start
};

struct ScheduleOptions {
  // Pareto labels kept per (block, configuration) in the exact pass; larger fronts are thinned
  // (evenly spaced labels kept) and the result loses its optimality proof.
  std::size_t max_labels_per_cell = 4096;
  // Labels a pass may keep before it gives up (bounds memory and time; about 0.1-0.2 s per
  // million on one core); a pass also gives up after 10x as many candidate labels.
  std::size_t label_budget = 3000000;
  int max_lagrange_iterations = 200;
};

// Knobs with a nonzero switching cost at most this many (2^10 predecessor groupings of the K
// configurations, 4 KiB per configuration).
inline constexpr std::size_t kMaxCostlyKnobs = 10;

// A schedule meets the deadline when its latency <= deadline * (1 + kDeadlineTolerance).
inline constexpr double kDeadlineTolerance = 1e-9;

struct ScheduleResult {
  bool feasible = false;
  std::string reason;                 // why infeasible (empty when feasible)
  std::vector<std::size_t> configs;   // per block; the fastest schedule when infeasible
  double energy = 0.0;                // J, including switching
  double latency = 0.0;               // ms, including switching
  double min_latency = 0.0;           // smallest latency reachable, ms
  double lower_bound = 0.0;           // proven lower bound on the optimal energy, J (NaN if infeasible)
  bool proven_optimal = false;        // lower_bound == energy (no thinning happened)
  double lambda = 0.0;                // best Lagrange multiplier, J/ms
  std::size_t num_switches = 0;       // configuration changes, including from initial_config
  int lagrange_iterations = 0;        // DP evaluations in the multiplier search
  std::size_t labels = 0;             // labels created by the label-setting DP
  bool thinned = false;               // the exact pass was cut short (thinning or label budget)
  std::size_t predecessor_groups = 0; // groups searched per configuration and block (0: matrix)
};

// Checks sizes, finiteness and ranges; throws std::invalid_argument naming the field.
void validate(const ScheduleProblem& problem);

// Total (energy J, latency ms) of a given path (one configuration per block), switching included.
std::pair<double, double> evaluate_schedule(const ScheduleProblem& problem, const std::vector<std::size_t>& configs);

// The energy-optimal schedule under the deadline, with a certified lower bound. Thread-safe: no
// shared state; the problem is read only. With a token, the DP passes check it per block and the
// label passes every few configurations: a cancelled solve throws dvfskit::Cancelled.
ScheduleResult solve_schedule(const ScheduleProblem& problem, const ScheduleOptions& options = {},
                              const CancelToken* cancel = nullptr);

}  // namespace dvfskit

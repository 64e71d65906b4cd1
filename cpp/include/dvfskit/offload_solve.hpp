// Exact solver for the table offloading problem: enumeration of options (split, offloaded share)
// over their Pareto fronts of configurations, with the optimal transmit power in closed form
// (energy, weighted sum) or by a bracketed 1-D search (energy-delay product), branch and bound
// over options for the separable objectives.
//
// Thread safety: solve() and evaluate() are pure functions of their const arguments; call them
// concurrently from any number of threads on one shared TableProblem (and ConfigSubset).
#pragma once

#include "dvfskit/offload_problem.hpp"
#include "dvfskit/offload_solution.hpp"

namespace dvfskit {

enum class ObjectiveKind {
  Energy,       // device energy, J
  Latency,      // end-to-end latency, ms (ties broken by energy; transmits at p_max)
  Weighted,     // energy_j + weight * latency_s  (weight in W = J per second of latency)
  EnergyDelay,  // energy_j * latency_s (J s)
};

struct Objective {
  ObjectiveKind kind = ObjectiveKind::Energy;
  double weight = 0.0;  // Weighted only, W (>= 0)
};

// Optional restrictions, used by the baselines.
struct Restriction {
  int split = -1;                         // -1: free, else exactly this split (0..L)
  double fraction = -1.0;                 // -1: free, else exactly this offloaded share (an allowed one)
  const ConfigSubset* configs = nullptr;  // nullptr: every configuration; else only these (built
                                          // from the same problem; non-owning)
  bool fixed_max_power = false;           // transmit at p_max instead of optimising p
};

// Relative slack on the deadline: latency <= deadline * (1 + kDeadlineRelTol) is feasible.
inline constexpr double kDeadlineRelTol = 1e-9;

// A scenario and objective, validated, with what every solve of them needs (the uplink, the
// energy-optimal transmit powers): prepare once, then solve any number of restrictions and
// problems with it (the batch solver does so for the optimum and every baseline).
struct PreparedScenario {
  Scenario scenario;
  Objective objective;
  double deadline_tol_ms = 0.0;
  double p_star = 0.0;         // minimiser of (p + p_circuit [+ weight]) / r(p)
  double p_star_energy = 0.0;  // the same without the weight
  double rate_max_bps = 0.0;   // r(p_max)
  double cost_per_bit = 0.0;   // min over p of (p + p_circuit [+ weight]) / r(p), J/bit
  bool explain = true;         // write OffloadSolution::reason (batches, which drop it, do not)
  bool min_latency = true;     // compute min_latency_ms when feasible too (else NaN; batch baselines)
};

// Throws std::invalid_argument naming the bad scenario field or the weight.
PreparedScenario prepare(const Scenario& scenario, const Objective& objective = {});

// Best plan subject to latency <= deadline. Never throws for infeasibility: returns
// feasible == false with a reason, min_latency_ms, and the fastest plan's decisions.
// Throws std::invalid_argument on a bad scenario, objective or restriction (a split, fraction or
// subset the problem does not have).
OffloadSolution solve(const TableProblem& problem, const Scenario& scenario,
                      const Objective& objective = {}, const Restriction& restriction = {});
OffloadSolution solve(const TableProblem& problem, const PreparedScenario& prepared,
                      const Restriction& restriction = {});

// A given plan evaluated on the tables: split, configuration (ignored when nothing runs locally),
// transmit power (ignored when nothing is sent) and offloaded share (any value in [0, 1]; -1: 1
// when split < L, the classic full offload of the rest). feasible says whether it meets the
// deadline (and p <= p_max).
OffloadSolution evaluate(const TableProblem& problem, const Scenario& scenario, int split, int config,
                         double tx_power_w, double fraction = -1.0);

}  // namespace dvfskit

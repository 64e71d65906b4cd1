// Periodic inference under governors: what a device does by itself, simulated exactly on the
// per-block tables the solver uses. Definitions written once in docs/math/governors.md.
//
// Timeline. Inference n starts at s_n and runs the L blocks in order; s_{n+1} = s_n + max(P,
// d_n), d_n its duration (blocks plus switching stalls): a late inference delays the next one (no
// backlog), and misses its deadline when d_n > P (1 + 1e-9). Block i at configuration k takes
// latency[i, k] ms at power[i, k] W; the device draws idle_power_w at every other time of the
// cycle (switching stalls included) and each change of configuration costs, on top, the sum over
// the changed knobs of switch_time_ms (a stall: nothing runs) and switch_energy_j, plus
// switch_any_ms / switch_any_j once.
//
// Sampling. Every governed knob samples at s_n + m S (m = 1, 2, ... while s_n + m S < s_n + P,
// aligned with the inference's release) and at s_{n+1}: the window of a sample is the time since
// the knob's previous sample, its busy time the time blocks ran weighted by busy[j][i, k] (the
// share of block i's time the domain is busy). With S = P that is one decision per inference,
// at its start, from the previous cycle (exact steady state: steady_state()); with S < P the
// time-stepped simulation (simulate()) splits blocks at sampling instants and continues a block's
// remaining work share at the new configuration. Simplification: a sample that would fall in an
// overrun (after s_n + P) is merged into the one at s_{n+1}.
//
// Configurations. At a sample each governed knob asks for a level of its own table (governor.hpp);
// knobs without a governor stay at their maximum level. The tuple of levels is a configuration if
// measured; in a sparse set the nearest measured configuration is used: least sum over knobs of
// |level difference|, ties to the larger sum of levels (faster), then the lowest index.
//
// Steady state. The simulation starts at the maximum levels (constant governors at theirs) and
// runs until the state at an inference start (configuration, governor states, open windows,
// pending switch) repeats; it reports the means over that cycle (warm-up excluded).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dvfskit/cancel.hpp"
#include "dvfskit/config_set.hpp"
#include "dvfskit/governor.hpp"

namespace dvfskit {

struct GovernorProblem {
  ConfigSet configs;                       // K configurations over d knobs
  std::size_t num_blocks = 0;              // L >= 1
  std::vector<double> latency_ms;          // L x K row-major, finite, >= 0
  std::vector<double> power_w;             // L x K row-major, finite, >= 0
  std::vector<std::vector<double>> busy;   // d entries: empty = busy while blocks run, else L x K in [0, 1]
  std::vector<double> switch_time_ms;      // d entries (or empty: 0), >= 0
  std::vector<double> switch_energy_j;     // d entries (or empty: 0), >= 0
  std::vector<GovernorSpec> governors;     // d entries (kNone: held at the maximum)
  double switch_any_ms = 0.0;              // on top of the knobs' costs, per change of configuration
  double switch_any_j = 0.0;
};

struct GovernorInference {
  double latency_ms = 0.0;   // d_n: switching stalls + blocks
  double energy_j = 0.0;     // blocks + switching + idle power over the rest of the cycle
  double cycle_ms = 0.0;     // max(P, d_n)
  bool missed = false;
  std::size_t config = 0;    // configuration at the inference's start
  int switches = 0;          // configuration changes paid by this inference
};

struct GovernorSegment {     // part of a block run at one configuration
  std::size_t inference = 0;
  std::size_t block = 0;
  double start_ms = 0.0;     // from the inference's start
  double duration_ms = 0.0;
  std::size_t config = 0;
};

struct GovernorOutcome {
  double energy_j = 0.0;     // means over the cycle
  double latency_ms = 0.0;
  double miss_rate = 0.0;
  double cycle_ms = 0.0;
  std::size_t warmup = 0;    // inferences before the cycle
  std::size_t cycle_length = 0;
  bool converged = false;    // false: no repeat within max_inferences (means over the second half)
  std::vector<GovernorInference> inferences;  // warm-up + cycle, when recorded
  std::vector<GovernorSegment> segments;      // their blocks, when recorded
};

class GovernorSimulator {
 public:
  // Validates (std::invalid_argument naming the input) and precomputes per-configuration totals.
  explicit GovernorSimulator(GovernorProblem problem);

  // sampling_ms == period_ms: steady_state(); else simulate(). period_ms > 0, 0 < sampling_ms <= period_ms.
  GovernorOutcome run(double period_ms, double sampling_ms, double idle_power_w, bool record = false,
                      std::size_t max_inferences = 100000, const CancelToken* cancel = nullptr) const;
  // One decision per inference (S = P) from per-configuration totals: O(d) per inference.
  GovernorOutcome steady_state(double period_ms, double idle_power_w, bool record = false,
                               std::size_t max_inferences = 100000, const CancelToken* cancel = nullptr) const;
  // Time-stepped through the blocks, decisions at every sampling instant (any S <= P).
  GovernorOutcome simulate(double period_ms, double sampling_ms, double idle_power_w, bool record = false,
                           std::size_t max_inferences = 100000, const CancelToken* cancel = nullptr) const;

  // Steady states for many (period, idle power) pairs on `threads` threads (0 = all cores).
  struct Batch {
    std::vector<double> energy_j, latency_ms, miss_rate;
    std::vector<std::uint8_t> converged;
  };
  Batch steady_batch(const std::vector<double>& period_ms, const std::vector<double>& idle_power_w, int threads,
                     const CancelToken* cancel = nullptr) const;

  // The configuration the knobs' levels (d entries) give, snapped to the nearest measured one.
  std::size_t snap(const std::vector<int>& levels) const;
  std::size_t initial_config() const { return initial_; }
  const ConfigSet& configs() const { return p_.configs; }
  std::size_t num_blocks() const { return p_.num_blocks; }

 private:
  struct Knob;
  struct State;
  class Run;

  GovernorProblem p_;
  std::size_t K_ = 0, d_ = 0;
  std::vector<KnobTable> tables_;          // d (frequency knobs; others: their codes + 1)
  std::vector<double> ratio_;              // K x d: value / max of the knob (frequency invariance)
  std::vector<double> total_latency_;      // K
  std::vector<double> total_energy_;       // K, J
  std::vector<double> total_busy_;         // d x K, ms
  std::vector<double> mean_power_;         // K, W (energy / latency)
  std::vector<std::size_t> radix_;         // d: mixed-radix weights of the level grid
  std::vector<std::int32_t> grid_;         // level grid -> snapped configuration (empty: scan)
  std::size_t initial_ = 0;

  std::size_t scan_nearest(const std::vector<int>& levels) const;
  // SysScale compute knobs lowered until the configuration's mean power fits their budget.
  std::size_t within_budget(std::vector<int> levels, std::size_t config) const;
};

}  // namespace dvfskit

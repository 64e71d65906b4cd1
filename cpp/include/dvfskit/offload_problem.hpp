// The offloading problem on tables: per-block latency and power over a device's configuration set
// (any knobs, a dense grid or a sparse sample), feature-map sizes and server times per split
// point, and the offload fractions allowed (partial offloading).
//
// An *option* is one way of running the network: split l (the first l blocks run on the device)
// with the share rho of the remaining blocks' work and feature map sent to the server, processed
// in parallel with the device's own share 1 - rho (docs/math/offloading.md):
//   latency = t_loc(l) + max((1 - rho) t_rest(l), rho (out_bits[l] / r(p) + t_srv(l)))
//   energy  = E_loc(l) + (1 - rho) E_rest(l) + (p + p_circuit) rho out_bits[l] / r(p) + idle rho t_srv(l)
// Options are every split l < L with every allowed rho > 0 (rho = 0 keeps everything local: that
// is split L), plus split L. Without partial offloading rho = 1 for every split l < L.
//
// The tables are turned once into cumulative local time/energy per (split, configuration) and,
// per option, the Pareto front of the configurations (ParetoFronts). Immutable after
// construction: share one TableProblem (const) between any number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dvfskit/config_set.hpp"

namespace dvfskit {

// Per-inference radio/time parameters: what a sweep varies. Units: ms, Hz, W/Hz, W.
struct Scenario {
  double deadline_ms = 0.0;
  double bandwidth_hz = 0.0;
  double gain = 0.0;
  double noise_w_per_hz = 0.0;
  double p_max_w = 0.0;
  double p_circuit_w = 0.0;   // radio power drawn on top of p while transmitting
  double idle_power_w = 0.0;  // device power while waiting for the server
};

// Throws std::invalid_argument naming the first bad field.
void validate(const Scenario& s);

// One option: split and offloaded share, with what it sends and the server's time (ms).
struct OffloadOption {
  std::size_t split = 0;
  double fraction = 0.0;   // rho; 0 for split L
  double bits = 0.0;       // rho * out_bits[split] (0 for split L)
  double server_ms = 0.0;  // rho * server_latency_ms[split]
};

// Per option, the configurations of a set that can be optimal for some scenario and objective.
// Cost front of option o: entries [begin(o), end(o)) sorted by serial local time t_loc, none
// dominated by another in (t_loc, t_end, energy), where t_end = t_loc + (1 - rho) t_rest is the
// time the device finishes its own work. Time front: [time_begin(o), time_end(o)), the
// configurations non-dominated in (t_loc, t_end), by increasing t_loc (so decreasing t_end); the
// fastest plan of an option lies on it. Without partial offloading t_end = t_loc: the cost front
// has strictly decreasing energy and the time front is its first entry.
struct ParetoFronts {
  std::vector<std::size_t> offset;       // options + 1
  std::vector<std::uint32_t> config;
  std::vector<double> t_loc_ms, t_end_ms, energy_mj;
  std::vector<double> energy_prefix_min_mj;  // min of energy_mj over [begin(o), i]
  std::vector<std::size_t> time_offset;  // options + 1
  std::vector<std::uint32_t> time_config;
  std::vector<double> time_loc_ms, time_end_ms;

  std::size_t begin(std::size_t o) const { return offset[o]; }
  std::size_t end(std::size_t o) const { return offset[o + 1]; }
  std::size_t time_begin(std::size_t o) const { return time_offset[o]; }
  std::size_t time_end(std::size_t o) const { return time_offset[o + 1]; }
  std::size_t bytes() const;
};

class TableProblem {
 public:
  // configs: K configurations; latency_ms, power_w: row-major (L, K), finite and >= 0;
  // out_bits, server_latency_ms: L + 1 entries (out_bits[l] is sent when the first l blocks run
  // locally; server_latency_ms[L] == 0); offload_fractions: the allowed shares rho in [0, 1]
  // (distinct; empty = {1}, no partial offloading). Throws std::invalid_argument naming the
  // argument (and the block and configuration) on bad shapes or values.
  TableProblem(ConfigSet configs, const std::vector<double>& latency_ms, const std::vector<double>& power_w,
               std::vector<double> out_bits, std::vector<double> server_latency_ms,
               std::vector<double> offload_fractions = {});

  // The dense compute x memory grid (knobs compute_freq_mhz, mem_freq_mhz; configuration
  // k = a * nM + b): latency_ms, power_w row-major (L, nF, nM).
  TableProblem(std::size_t num_blocks, const std::vector<double>& compute_freqs_mhz,
               const std::vector<double>& mem_freqs_mhz, const std::vector<double>& latency_ms,
               const std::vector<double>& power_w, std::vector<double> out_bits,
               std::vector<double> server_latency_ms, std::vector<double> offload_fractions = {});

  std::size_t num_blocks() const { return num_blocks_; }
  std::size_t num_configs() const { return configs_.size(); }
  const ConfigSet& configs() const { return configs_; }
  double out_bits(std::size_t split) const { return out_bits_[split]; }
  double server_latency_ms(std::size_t split) const { return server_latency_ms_[split]; }
  const std::vector<double>& offload_fractions() const { return fractions_; }
  bool partial_offloading() const { return partial_; }

  // The knob values compute_freq_mhz / mem_freq_mhz of configuration k (NaN without that knob).
  double compute_freq_mhz(std::size_t k) const { return compute_mhz_[k]; }
  double mem_freq_mhz(std::size_t k) const { return mem_mhz_[k]; }

  // Local time (ms) and energy (mJ) of the first `split` blocks at configuration k.
  double local_time_ms(std::size_t split, std::size_t k) const { return cum_time_ms_[split * num_configs() + k]; }
  double local_energy_mj(std::size_t split, std::size_t k) const { return cum_energy_mj_[split * num_configs() + k]; }

  // Options, ordered by split then fraction; those of split l are [split_begin(l), split_begin(l + 1)).
  std::size_t num_options() const { return options_.size(); }
  const OffloadOption& option(std::size_t o) const { return options_[o]; }
  std::size_t split_begin(std::size_t split) const { return split_offset_[split]; }

  // With split l and offloaded share rho at configuration k: when the device finishes its own
  // work, t_loc(l) + (1 - rho) t_rest(l) (ms), and its compute energy E_loc(l) + (1 - rho)
  // E_rest(l) (mJ). rho == 1 (or l == L) gives the serial part alone, exactly.
  double local_end_ms(std::size_t split, double fraction, std::size_t k) const;
  double compute_energy_mj(std::size_t split, double fraction, std::size_t k) const;

  // The fronts over every configuration.
  const ParetoFronts& fronts() const { return fronts_; }

  // Identifies this problem's tables (copies share it): a ConfigSubset or a baseline's plan
  // tables are checked against it.
  std::uint64_t id() const { return id_; }

  // Bytes held (tables, fronts, labels), for memory reports.
  std::size_t bytes() const;

 private:
  std::size_t num_blocks_;
  ConfigSet configs_;
  std::vector<double> out_bits_;
  std::vector<double> server_latency_ms_;
  std::vector<double> fractions_;
  bool partial_ = false;
  std::vector<double> compute_mhz_, mem_mhz_;
  std::vector<double> cum_time_ms_;    // (L + 1) x K
  std::vector<double> cum_energy_mj_;  // (L + 1) x K
  std::vector<OffloadOption> options_;
  std::vector<std::size_t> split_offset_;  // L + 2
  ParetoFronts fronts_;
  std::uint64_t id_;

  friend class ConfigSubset;
  ParetoFronts build_fronts(const std::vector<std::size_t>& configs) const;
};

// A subset of a problem's configurations (e.g. a baseline's: every frequency knob at its maximum)
// with its own fronts, built once and used by any number of solves. Keeps no reference to the
// problem; solve() checks by id() that it was built from the problem it is used with.
class ConfigSubset {
 public:
  // configs: distinct indices < K, at least one; stored ascending. Throws std::invalid_argument.
  ConfigSubset(const TableProblem& problem, std::vector<std::size_t> configs);

  const std::vector<std::size_t>& configs() const { return configs_; }
  const ParetoFronts& fronts() const { return fronts_; }
  std::uint64_t problem_id() const { return problem_id_; }

 private:
  std::vector<std::size_t> configs_;
  ParetoFronts fronts_;
  std::uint64_t problem_id_;
};

}  // namespace dvfskit

// The offloading problem on measured tables: per-block latency/power over a (compute, memory)
// frequency grid, feature-map sizes and server times per split point. The tables are turned
// once into cumulative local time/energy per (split, f, m) and, per split, the Pareto front of
// (local time, local energy) over the frequency pairs. Immutable after construction, so one
// TableProblem can be shared (const) by any number of threads solving different Scenarios.
#pragma once

#include <cstddef>
#include <vector>

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

class TableProblem {
 public:
  // latency_ms, power_w: row-major (L, nF, nM); out_bits, server_latency_ms: L + 1 entries
  // (out_bits[l] is sent when the first l blocks run locally; server_latency_ms[L] == 0).
  // Throws std::invalid_argument naming the argument on bad shapes or values.
  TableProblem(std::size_t num_blocks, std::vector<double> compute_freqs_mhz,
               std::vector<double> mem_freqs_mhz, const std::vector<double>& latency_ms,
               const std::vector<double>& power_w, std::vector<double> out_bits,
               std::vector<double> server_latency_ms);

  std::size_t num_blocks() const { return num_blocks_; }
  std::size_t num_compute() const { return compute_freqs_mhz_.size(); }
  std::size_t num_mem() const { return mem_freqs_mhz_.size(); }
  std::size_t num_configs() const { return num_compute() * num_mem(); }  // c = f * nM + m
  const std::vector<double>& compute_freqs_mhz() const { return compute_freqs_mhz_; }
  const std::vector<double>& mem_freqs_mhz() const { return mem_freqs_mhz_; }
  double out_bits(std::size_t split) const { return out_bits_[split]; }
  double server_latency_ms(std::size_t split) const { return server_latency_ms_[split]; }

  // Local time (ms) and energy (mJ) of the first `split` blocks at configuration c.
  double local_time_ms(std::size_t split, std::size_t c) const { return cum_time_ms_[split * num_configs() + c]; }
  double local_energy_mj(std::size_t split, std::size_t c) const { return cum_energy_mj_[split * num_configs() + c]; }

  // Pareto front of split `split`: configurations sorted by increasing local time with strictly
  // decreasing local energy; every other configuration is dominated (never better for any
  // objective that grows with time and energy).
  std::size_t front_begin(std::size_t split) const { return front_offset_[split]; }
  std::size_t front_end(std::size_t split) const { return front_offset_[split + 1]; }
  const std::vector<std::size_t>& front_config() const { return front_config_; }
  const std::vector<double>& front_time_ms() const { return front_time_ms_; }
  const std::vector<double>& front_energy_mj() const { return front_energy_mj_; }

 private:
  std::size_t num_blocks_;
  std::vector<double> compute_freqs_mhz_;
  std::vector<double> mem_freqs_mhz_;
  std::vector<double> out_bits_;
  std::vector<double> server_latency_ms_;
  std::vector<double> cum_time_ms_;    // (L + 1) x nC
  std::vector<double> cum_energy_mj_;  // (L + 1) x nC
  std::vector<std::size_t> front_offset_;  // L + 2
  std::vector<std::size_t> front_config_;
  std::vector<double> front_time_ms_;
  std::vector<double> front_energy_mj_;
};

}  // namespace dvfskit

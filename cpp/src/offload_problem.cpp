// TableProblem: validation, cumulative local time/energy and per-split Pareto fronts.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "dvfskit/offload_problem.hpp"

namespace dvfskit {

namespace {

void check_finite(const std::vector<double>& v, const char* name, bool allow_zero, bool positive) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double x = v[i];
    if (!std::isfinite(x)) throw std::invalid_argument(std::string(name) + " contains a non-finite value at index " + std::to_string(i));
    if (positive && !(x > 0.0)) throw std::invalid_argument(std::string(name) + " must be positive (index " + std::to_string(i) + ")");
    if (!positive && (x < 0.0 || (!allow_zero && x == 0.0)))
      throw std::invalid_argument(std::string(name) + " must be non-negative (index " + std::to_string(i) + ")");
  }
}

void check_scalar(double x, const char* name, bool allow_zero) {
  if (!std::isfinite(x) || x < 0.0 || (!allow_zero && x == 0.0))
    throw std::invalid_argument(std::string(name) + (allow_zero ? " must be finite and >= 0" : " must be finite and > 0"));
}

}  // namespace

void validate(const Scenario& s) {
  check_scalar(s.deadline_ms, "deadline_ms", false);
  check_scalar(s.bandwidth_hz, "bandwidth_hz", false);
  check_scalar(s.gain, "gain", false);
  check_scalar(s.noise_w_per_hz, "noise_w_per_hz", false);
  check_scalar(s.p_max_w, "p_max_w", false);
  check_scalar(s.p_circuit_w, "p_circuit_w", true);
  check_scalar(s.idle_power_w, "idle_power_w", true);
}

TableProblem::TableProblem(std::size_t num_blocks, std::vector<double> compute_freqs_mhz,
                           std::vector<double> mem_freqs_mhz, const std::vector<double>& latency_ms,
                           const std::vector<double>& power_w, std::vector<double> out_bits,
                           std::vector<double> server_latency_ms)
    : num_blocks_(num_blocks),
      compute_freqs_mhz_(std::move(compute_freqs_mhz)),
      mem_freqs_mhz_(std::move(mem_freqs_mhz)),
      out_bits_(std::move(out_bits)),
      server_latency_ms_(std::move(server_latency_ms)) {
  if (num_blocks_ == 0) throw std::invalid_argument("block_latency_ms must have at least one block");
  if (compute_freqs_mhz_.empty()) throw std::invalid_argument("compute_freqs_mhz must not be empty");
  if (mem_freqs_mhz_.empty()) throw std::invalid_argument("mem_freqs_mhz must not be empty");
  check_finite(compute_freqs_mhz_, "compute_freqs_mhz", false, true);
  check_finite(mem_freqs_mhz_, "mem_freqs_mhz", false, true);
  const std::size_t nc = num_configs();
  const std::size_t n = num_blocks_ * nc;
  if (latency_ms.size() != n) throw std::invalid_argument("block_latency_ms must have L x nF x nM = " + std::to_string(n) + " entries");
  if (power_w.size() != n) throw std::invalid_argument("block_power_w must have L x nF x nM = " + std::to_string(n) + " entries");
  check_finite(latency_ms, "block_latency_ms", true, false);
  check_finite(power_w, "block_power_w", true, false);
  if (out_bits_.size() != num_blocks_ + 1) throw std::invalid_argument("out_bits must have L + 1 entries");
  if (server_latency_ms_.size() != num_blocks_ + 1) throw std::invalid_argument("server_latency_ms must have L + 1 entries");
  check_finite(out_bits_, "out_bits", true, false);
  check_finite(server_latency_ms_, "server_latency_ms", true, false);
  if (server_latency_ms_.back() != 0.0) throw std::invalid_argument("server_latency_ms[L] must be 0 (nothing runs on the server when all blocks are local)");

  cum_time_ms_.assign((num_blocks_ + 1) * nc, 0.0);
  cum_energy_mj_.assign((num_blocks_ + 1) * nc, 0.0);
  for (std::size_t l = 0; l < num_blocks_; ++l) {
    for (std::size_t c = 0; c < nc; ++c) {
      const double t = latency_ms[l * nc + c];
      cum_time_ms_[(l + 1) * nc + c] = cum_time_ms_[l * nc + c] + t;
      cum_energy_mj_[(l + 1) * nc + c] = cum_energy_mj_[l * nc + c] + t * power_w[l * nc + c];
    }
  }

  front_offset_.reserve(num_blocks_ + 2);
  front_offset_.push_back(0);
  std::vector<std::size_t> order(nc);
  for (std::size_t l = 0; l <= num_blocks_; ++l) {
    const double* t = cum_time_ms_.data() + l * nc;
    const double* e = cum_energy_mj_.data() + l * nc;
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [t, e](std::size_t a, std::size_t b) {
      if (t[a] != t[b]) return t[a] < t[b];
      if (e[a] != e[b]) return e[a] < e[b];
      return a < b;
    });
    double last_energy = std::numeric_limits<double>::infinity();
    for (const std::size_t c : order) {
      if (e[c] < last_energy) {
        front_config_.push_back(c);
        front_time_ms_.push_back(t[c]);
        front_energy_mj_.push_back(e[c]);
        last_energy = e[c];
      }
    }
    front_offset_.push_back(front_config_.size());
  }
}

}  // namespace dvfskit

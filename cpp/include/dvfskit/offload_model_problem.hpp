// The offloading problem on models: per-block latency (ms) and power (W) given as expressions in
// the compute frequency f and memory frequency m (MHz) with per-block coefficients, continuous
// frequency ranges, and optional partial offloading (offload fraction rho in [0, 1]).
// Immutable after construction; share it (const) across threads.
#pragma once

#include <cstddef>
#include <vector>

#include "dvfskit/expression.hpp"

namespace dvfskit {

struct FrequencyRange {
  double lo_mhz = 0.0;
  double hi_mhz = 0.0;  // lo == hi fixes the frequency
};

class ModelProblem {
 public:
  // latency_ms, power_w: expressions whose parameters are exactly {"f", "m"} (MHz) and whose
  // inputs are per-block coefficients, the same names in the same order for both;
  // coefficients: row-major (L, K) values of those inputs, K = latency_ms.inputs().size().
  // out_bits, server_latency_ms: L + 1 entries as in TableProblem.
  // partial_offloading: rho free in [0, 1] (else rho = 1 whenever split < L).
  // Throws std::invalid_argument naming the argument.
  ModelProblem(Expression latency_ms, Expression power_w, std::size_t num_blocks, std::vector<double> coefficients,
               FrequencyRange compute, FrequencyRange memory, std::vector<double> out_bits,
               std::vector<double> server_latency_ms, bool partial_offloading);

  std::size_t num_blocks() const { return num_blocks_; }
  const Expression& latency_expression() const { return latency_; }
  const Expression& power_expression() const { return power_; }
  const double* coefficients(std::size_t block) const { return coefficients_.data() + block * num_coefficients_; }
  const FrequencyRange& compute_range() const { return compute_; }
  const FrequencyRange& memory_range() const { return memory_; }
  double out_bits(std::size_t split) const { return out_bits_[split]; }
  double server_latency_ms(std::size_t split) const { return server_latency_ms_[split]; }
  bool partial_offloading() const { return partial_offloading_; }

  // Per-block latency (ms) and power (W) at (f, m); throws std::domain_error if not finite.
  void block(std::size_t i, double f_mhz, double m_mhz, double& latency_ms, double& power_w) const;

 private:
  Expression latency_;
  Expression power_;
  std::size_t num_blocks_;
  std::size_t num_coefficients_;
  std::vector<double> coefficients_;
  FrequencyRange compute_;
  FrequencyRange memory_;
  std::vector<double> out_bits_;
  std::vector<double> server_latency_ms_;
  bool partial_offloading_;
};

}  // namespace dvfskit

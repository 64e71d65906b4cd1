// The offloading problem on models: per-block latency (ms) and power (W) given as expressions in
// the compute frequency and the memory frequency (MHz) with per-block coefficients, continuous
// frequency ranges, and optional partial offloading (offload fraction rho in [0, 1]; semantics in
// docs/math/offloading.md, as for tables). Immutable after construction; share it (const)
// across threads.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "dvfskit/expression.hpp"

namespace dvfskit {

struct FrequencyRange {
  double lo_mhz = 0.0;
  double hi_mhz = 0.0;  // lo == hi fixes the frequency
};

class ModelProblem {
 public:
  // latency_ms, power_w: expressions whose parameters are frequencies in MHz: the compute
  // frequency named `f` or `compute_freq_mhz`, the memory frequency `m` or `mem_freq_mhz`
  // (either may be left out); their inputs are per-block coefficients, given row-major (L, K) in
  // latency_coefficients / power_coefficients (K = that expression's inputs().size()).
  // out_bits, server_latency_ms: L + 1 entries as in TableProblem. partial_offloading: rho free
  // in [0, 1] (else rho = 1 whenever split < L). Both models are checked on a grid over the
  // ranges (finite, >= 0). Throws std::invalid_argument naming the argument, or
  // std::domain_error naming the model, block and frequencies where a model is negative or not
  // finite.
  ModelProblem(Expression latency_ms, std::vector<double> latency_coefficients, Expression power_w,
               std::vector<double> power_coefficients, std::size_t num_blocks, FrequencyRange compute,
               FrequencyRange memory, std::vector<double> out_bits, std::vector<double> server_latency_ms,
               bool partial_offloading);

  std::size_t num_blocks() const { return num_blocks_; }
  const FrequencyRange& compute_range() const { return compute_; }
  const FrequencyRange& memory_range() const { return memory_; }
  double out_bits(std::size_t split) const { return out_bits_[split]; }
  double server_latency_ms(std::size_t split) const { return server_latency_ms_[split]; }
  bool partial_offloading() const { return partial_offloading_; }
  std::size_t stack_size() const { return stack_size_; }

  // Per-block latency (ms) and power (W) at fm = (f, m) MHz, for double or ceres::Jet; `stack`
  // holds stack_size() values. Throws std::domain_error naming the model, block and frequencies
  // when a value is negative or not finite.
  template <typename T>
  void block(std::size_t i, const T* fm, T* stack, T& latency_ms, T& power_w) const;

  // Convenience for doubles (allocates).
  void block(std::size_t i, double f_mhz, double m_mhz, double& latency_ms, double& power_w) const;

 private:
  [[noreturn]] void bad_value(const char* what, std::size_t i, double f, double m, double value) const;

  Expression latency_;
  Expression power_;
  std::size_t num_blocks_;
  std::vector<double> latency_coefficients_;
  std::vector<double> power_coefficients_;
  std::vector<int> latency_map_, power_map_;  // expression parameter j -> 0 (compute) or 1 (memory)
  FrequencyRange compute_;
  FrequencyRange memory_;
  std::vector<double> out_bits_;
  std::vector<double> server_latency_ms_;
  bool partial_offloading_;
  std::size_t stack_size_ = 0;
};

namespace detail {
inline double scalar_value(double v) { return v; }
template <typename T, int N>
double scalar_value(const ceres::Jet<T, N>& v) { return v.a; }
}  // namespace detail

template <typename T>
void ModelProblem::block(std::size_t i, const T* fm, T* stack, T& latency_ms, T& power_w) const {
  T p[2] = {T(0.0), T(0.0)};
  for (std::size_t j = 0; j < latency_map_.size(); ++j) p[j] = fm[latency_map_[j]];
  latency_ms = latency_.evaluate<T>(latency_coefficients_.data() + i * latency_.inputs().size(), p, stack);
  for (std::size_t j = 0; j < power_map_.size(); ++j) p[j] = fm[power_map_[j]];
  power_w = power_.evaluate<T>(power_coefficients_.data() + i * power_.inputs().size(), p, stack);
  const double t = detail::scalar_value(latency_ms), pw = detail::scalar_value(power_w);
  if (!(std::isfinite(t) && t >= 0.0)) bad_value("latency", i, detail::scalar_value(fm[0]), detail::scalar_value(fm[1]), t);
  if (!(std::isfinite(pw) && pw >= 0.0)) bad_value("power", i, detail::scalar_value(fm[0]), detail::scalar_value(fm[1]), pw);
}

}  // namespace dvfskit

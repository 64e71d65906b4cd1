// ModelProblem: validation and per-block model evaluation.
#include <cmath>
#include <stdexcept>
#include <string>

#include "dvfskit/offload_model_problem.hpp"

namespace dvfskit {

namespace {

void check_range(const FrequencyRange& r, const char* name) {
  if (!(std::isfinite(r.lo_mhz) && std::isfinite(r.hi_mhz) && r.lo_mhz > 0.0 && r.hi_mhz >= r.lo_mhz))
    throw std::invalid_argument(std::string(name) + " must satisfy 0 < lo <= hi (MHz)");
}

void check_fm(const Expression& e, const char* name) {
  const auto& p = e.parameters();
  if (p.size() != 2 || p[0] != "f" || p[1] != "m")
    throw std::invalid_argument(std::string(name) + " must have the parameters [f, m]");
}

}  // namespace

ModelProblem::ModelProblem(Expression latency_ms, Expression power_w, std::size_t num_blocks,
                           std::vector<double> coefficients, FrequencyRange compute, FrequencyRange memory,
                           std::vector<double> out_bits, std::vector<double> server_latency_ms,
                           bool partial_offloading)
    : latency_(std::move(latency_ms)),
      power_(std::move(power_w)),
      num_blocks_(num_blocks),
      num_coefficients_(latency_.inputs().size()),
      coefficients_(std::move(coefficients)),
      compute_(compute),
      memory_(memory),
      out_bits_(std::move(out_bits)),
      server_latency_ms_(std::move(server_latency_ms)),
      partial_offloading_(partial_offloading) {
  if (num_blocks_ == 0) throw std::invalid_argument("the device must have at least one block");
  check_fm(latency_, "latency_ms");
  check_fm(power_, "power_w");
  if (power_.inputs() != latency_.inputs())
    throw std::invalid_argument("power_w and latency_ms must use the same coefficient names");
  if (coefficients_.size() != num_blocks_ * num_coefficients_)
    throw std::invalid_argument("coefficients must have L x K entries");
  for (const double c : coefficients_)
    if (!std::isfinite(c)) throw std::invalid_argument("coefficients contain a non-finite value");
  check_range(compute_, "compute_freq_range_mhz");
  check_range(memory_, "mem_freq_range_mhz");
  if (out_bits_.size() != num_blocks_ + 1) throw std::invalid_argument("out_bits must have L + 1 entries");
  if (server_latency_ms_.size() != num_blocks_ + 1) throw std::invalid_argument("server_latency_ms must have L + 1 entries");
  for (const double b : out_bits_)
    if (!(std::isfinite(b) && b >= 0.0)) throw std::invalid_argument("out_bits must be finite and >= 0");
  for (const double s : server_latency_ms_)
    if (!(std::isfinite(s) && s >= 0.0)) throw std::invalid_argument("server_latency_ms must be finite and >= 0");
  if (server_latency_ms_.back() != 0.0) throw std::invalid_argument("server_latency_ms[L] must be 0");
}

void ModelProblem::block(std::size_t i, double f_mhz, double m_mhz, double& latency_ms, double& power_w) const {
  std::vector<double> stack(std::max(latency_.stack_size(), power_.stack_size()) + 1);
  const double fm[2] = {f_mhz, m_mhz};
  latency_ms = latency_.evaluate<double>(coefficients(i), fm, stack.data());
  power_w = power_.evaluate<double>(coefficients(i), fm, stack.data());
  if (!std::isfinite(latency_ms) || !std::isfinite(power_w))
    throw std::domain_error("block model is not finite at f=" + std::to_string(f_mhz) + ", m=" + std::to_string(m_mhz));
}

}  // namespace dvfskit

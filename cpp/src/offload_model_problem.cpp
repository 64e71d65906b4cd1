// ModelProblem: validation and per-block model evaluation.
#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "dvfskit/offload_model_problem.hpp"

namespace dvfskit {

namespace {

void check_range(const FrequencyRange& r, const char* name) {
  if (!(std::isfinite(r.lo_mhz) && std::isfinite(r.hi_mhz) && r.lo_mhz > 0.0 && r.hi_mhz >= r.lo_mhz))
    throw std::invalid_argument(std::string(name) + " must satisfy 0 < lo <= hi (MHz)");
}

// Which frequency each parameter of the expression is: 0 compute, 1 memory.
std::vector<int> frequency_map(const Expression& e, const char* name) {
  std::vector<int> map;
  for (const std::string& p : e.parameters()) {
    int which = -1;
    if (p == "f" || p == "compute_freq_mhz") which = 0;
    if (p == "m" || p == "mem_freq_mhz") which = 1;
    if (which < 0)
      throw std::invalid_argument(std::string(name) + ": '" + p + "' is neither a per-block coefficient nor a frequency "
                                  "(f or compute_freq_mhz, m or mem_freq_mhz, in MHz)");
    if (std::find(map.begin(), map.end(), which) != map.end())
      throw std::invalid_argument(std::string(name) + " names the " + (which == 0 ? "compute" : "memory") +
                                  " frequency twice (f and compute_freq_mhz, or m and mem_freq_mhz)");
    map.push_back(which);
  }
  return map;
}

void check_coefficients(const std::vector<double>& c, std::size_t L, const Expression& e, const char* name) {
  const std::size_t K = e.inputs().size();
  if (c.size() != L * K)
    throw std::invalid_argument(std::string(name) + " must have L x K = " + std::to_string(L) + " x " + std::to_string(K) + " entries");
  for (std::size_t i = 0; i < c.size(); ++i)
    if (!std::isfinite(c[i]))
      throw std::invalid_argument(std::string(name) + ": coefficient '" + e.inputs()[i % K] + "' of block " +
                                  std::to_string(i / K) + " is not finite");
}

}  // namespace

ModelProblem::ModelProblem(Expression latency_ms, std::vector<double> latency_coefficients, Expression power_w,
                           std::vector<double> power_coefficients, std::size_t num_blocks, FrequencyRange compute,
                           FrequencyRange memory, std::vector<double> out_bits, std::vector<double> server_latency_ms,
                           bool partial_offloading)
    : latency_(std::move(latency_ms)),
      power_(std::move(power_w)),
      num_blocks_(num_blocks),
      latency_coefficients_(std::move(latency_coefficients)),
      power_coefficients_(std::move(power_coefficients)),
      latency_map_(frequency_map(latency_, "latency_ms")),
      power_map_(frequency_map(power_, "power_w")),
      compute_(compute),
      memory_(memory),
      out_bits_(std::move(out_bits)),
      server_latency_ms_(std::move(server_latency_ms)),
      partial_offloading_(partial_offloading),
      stack_size_(std::max(latency_.stack_size(), power_.stack_size()) + 1) {
  if (num_blocks_ == 0) throw std::invalid_argument("the device must have at least one block");
  check_coefficients(latency_coefficients_, num_blocks_, latency_, "latency coefficients");
  check_coefficients(power_coefficients_, num_blocks_, power_, "power coefficients");
  check_range(compute_, "compute_freq_range_mhz");
  check_range(memory_, "mem_freq_range_mhz");
  if (out_bits_.size() != num_blocks_ + 1) throw std::invalid_argument("out_bits must have L + 1 entries");
  if (server_latency_ms_.size() != num_blocks_ + 1) throw std::invalid_argument("server_latency_ms must have L + 1 entries");
  for (const double b : out_bits_)
    if (!(std::isfinite(b) && b >= 0.0)) throw std::invalid_argument("out_bits must be finite and >= 0");
  for (const double s : server_latency_ms_)
    if (!(std::isfinite(s) && s >= 0.0)) throw std::invalid_argument("server_latency_ms must be finite and >= 0");
  if (server_latency_ms_.back() != 0.0) throw std::invalid_argument("server_latency_ms[L] must be 0");
  // Up front: the models on a grid over the ranges (the solver checks every point it visits too).
  constexpr int kGrid = 9;
  std::vector<double> stack(stack_size_);
  for (std::size_t i = 0; i < num_blocks_; ++i)
    for (int a = 0; a < kGrid; ++a)
      for (int b = 0; b < kGrid; ++b) {
        const double fm[2] = {compute_.lo_mhz + (compute_.hi_mhz - compute_.lo_mhz) * a / (kGrid - 1),
                              memory_.lo_mhz + (memory_.hi_mhz - memory_.lo_mhz) * b / (kGrid - 1)};
        double t = 0.0, p = 0.0;
        block<double>(i, fm, stack.data(), t, p);
      }
}

void ModelProblem::block(std::size_t i, double f_mhz, double m_mhz, double& latency_ms, double& power_w) const {
  std::vector<double> stack(stack_size_);
  const double fm[2] = {f_mhz, m_mhz};
  block<double>(i, fm, stack.data(), latency_ms, power_w);
}

void ModelProblem::bad_value(const char* what, std::size_t i, double f, double m, double value) const {
  std::ostringstream os;
  os.precision(6);
  const bool latency = what[0] == 'l';
  os << what << " model '" << (latency ? latency_ : power_).text() << "' of block " << i << " is " << value
     << (latency ? " ms" : " W") << " at compute frequency " << f << " MHz, memory frequency " << m
     << " MHz: a model must be finite and >= 0 over the whole frequency ranges";
  throw std::domain_error(os.str());
}

}  // namespace dvfskit

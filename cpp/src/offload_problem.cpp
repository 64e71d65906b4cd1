// TableProblem: validation, cumulative local time/energy, options and per-option Pareto fronts.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>

#include "dvfskit/offload_problem.hpp"

namespace dvfskit {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string number(double x) {
  std::ostringstream os;
  os.precision(12);
  os << x;
  return os.str();
}

void check_entries(const std::vector<double>& v, const char* name, bool positive) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double x = v[i];
    if (!std::isfinite(x)) throw std::invalid_argument(std::string(name) + " contains a non-finite value at index " + std::to_string(i));
    if (positive && !(x > 0.0)) throw std::invalid_argument(std::string(name) + " must be positive (index " + std::to_string(i) + ")");
    if (!positive && x < 0.0) throw std::invalid_argument(std::string(name) + " must be non-negative (index " + std::to_string(i) + ")");
  }
}

void check_scalar(double x, const char* name, bool allow_zero) {
  if (!std::isfinite(x) || x < 0.0 || (!allow_zero && x == 0.0))
    throw std::invalid_argument(std::string(name) + (allow_zero ? " must be finite and >= 0" : " must be finite and > 0"));
}

// A (L, K) table: finite and >= 0, naming block and configuration.
void check_table(const std::vector<double>& v, std::size_t L, std::size_t K, const char* name) {
  if (v.size() != L * K)
    throw std::invalid_argument(std::string(name) + " must have L x K = " + std::to_string(L) + " x " + std::to_string(K) +
                                " entries, got " + std::to_string(v.size()));
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double x = v[i];
    if (!std::isfinite(x) || x < 0.0)
      throw std::invalid_argument(std::string(name) + " of block " + std::to_string(i / K) + " at configuration " +
                                  std::to_string(i % K) + " is " + number(x) + (std::isfinite(x) ? " (must be >= 0)" : " (must be finite)"));
  }
}

std::vector<double> knob_column(const ConfigSet& c, const char* name) {
  const auto j = c.knob_index(name);
  std::vector<double> out(c.size(), kNaN);
  if (j)
    for (std::size_t k = 0; k < c.size(); ++k) out[k] = c.value(k, *j);
  return out;
}

std::uint64_t next_id() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

std::vector<double> checked_fractions(std::vector<double> f) {
  if (f.empty()) return {1.0};
  for (const double x : f)
    if (!(x >= 0.0 && x <= 1.0)) throw std::invalid_argument("offload_fractions must lie in [0, 1], got " + number(x));
  std::sort(f.begin(), f.end());
  for (std::size_t i = 1; i < f.size(); ++i)
    if (f[i] == f[i - 1]) throw std::invalid_argument("offload_fractions lists " + number(f[i]) + " twice");
  return f;
}

std::vector<double> grid_out_bits(std::size_t num_blocks, std::vector<double> out_bits) {
  if (num_blocks > 0 && out_bits.size() != num_blocks + 1) throw std::invalid_argument("out_bits must have L + 1 entries");
  return out_bits;
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

std::size_t ParetoFronts::bytes() const {
  return (offset.size() + time_offset.size()) * sizeof(std::size_t) +
         (config.size() + time_config.size()) * sizeof(std::uint32_t) +
         (t_loc_ms.size() + t_end_ms.size() + energy_mj.size() + energy_prefix_min_mj.size() + time_loc_ms.size() +
          time_end_ms.size()) * sizeof(double);
}

TableProblem::TableProblem(std::size_t num_blocks, const std::vector<double>& compute_freqs_mhz,
                           const std::vector<double>& mem_freqs_mhz, const std::vector<double>& latency_ms,
                           const std::vector<double>& power_w, std::vector<double> out_bits,
                           std::vector<double> server_latency_ms, std::vector<double> offload_fractions)
    : TableProblem(
          [&] {
            if (compute_freqs_mhz.empty()) throw std::invalid_argument("compute_freqs_mhz must not be empty");
            if (mem_freqs_mhz.empty()) throw std::invalid_argument("mem_freqs_mhz must not be empty");
            check_entries(compute_freqs_mhz, "compute_freqs_mhz", true);
            check_entries(mem_freqs_mhz, "mem_freqs_mhz", true);
            if (num_blocks == 0) throw std::invalid_argument("block_latency_ms must have at least one block");
            return ConfigSet::grid({"compute_freq_mhz", "mem_freq_mhz"}, {compute_freqs_mhz, mem_freqs_mhz});
          }(),
          latency_ms, power_w, grid_out_bits(num_blocks, std::move(out_bits)), std::move(server_latency_ms),
          std::move(offload_fractions)) {}

TableProblem::TableProblem(ConfigSet configs, const std::vector<double>& latency_ms, const std::vector<double>& power_w,
                           std::vector<double> out_bits, std::vector<double> server_latency_ms,
                           std::vector<double> offload_fractions)
    : num_blocks_(0),
      configs_(std::move(configs)),
      out_bits_(std::move(out_bits)),
      server_latency_ms_(std::move(server_latency_ms)),
      fractions_(checked_fractions(std::move(offload_fractions))),
      id_(next_id()) {
  const std::size_t K = configs_.size();
  if (K > std::numeric_limits<std::uint32_t>::max()) throw std::invalid_argument("too many configurations");
  if (out_bits_.size() < 2) throw std::invalid_argument("out_bits must have L + 1 entries for at least one block");
  num_blocks_ = out_bits_.size() - 1;
  const std::size_t L = num_blocks_;
  check_table(latency_ms, L, K, "block_latency_ms");
  check_table(power_w, L, K, "block_power_w");
  if (server_latency_ms_.size() != L + 1) throw std::invalid_argument("server_latency_ms must have L + 1 entries");
  check_entries(out_bits_, "out_bits", false);
  check_entries(server_latency_ms_, "server_latency_ms", false);
  if (server_latency_ms_.back() != 0.0) throw std::invalid_argument("server_latency_ms[L] must be 0 (nothing runs on the server when all blocks are local)");
  partial_ = std::any_of(fractions_.begin(), fractions_.end(), [](double f) { return f > 0.0 && f < 1.0; });
  compute_mhz_ = knob_column(configs_, "compute_freq_mhz");
  mem_mhz_ = knob_column(configs_, "mem_freq_mhz");

  cum_time_ms_.assign((L + 1) * K, 0.0);
  cum_energy_mj_.assign((L + 1) * K, 0.0);
  for (std::size_t l = 0; l < L; ++l) {
    for (std::size_t k = 0; k < K; ++k) {
      const double t = latency_ms[l * K + k];
      cum_time_ms_[(l + 1) * K + k] = cum_time_ms_[l * K + k] + t;
      cum_energy_mj_[(l + 1) * K + k] = cum_energy_mj_[l * K + k] + t * power_w[l * K + k];
    }
  }
  for (std::size_t k = 0; k < K; ++k)
    if (!std::isfinite(cum_time_ms_[L * K + k]) || !std::isfinite(cum_energy_mj_[L * K + k]))
      throw std::invalid_argument("block_latency_ms / block_power_w: the total over the blocks overflows at configuration " +
                                  std::to_string(k) + " (rescale the units)");

  split_offset_.reserve(L + 2);
  for (std::size_t l = 0; l <= L; ++l) {
    split_offset_.push_back(options_.size());
    if (l == L) {
      options_.push_back({L, 0.0, 0.0, 0.0});
      continue;
    }
    for (const double rho : fractions_)
      if (rho > 0.0) options_.push_back({l, rho, rho * out_bits_[l], rho * server_latency_ms_[l]});
  }
  split_offset_.push_back(options_.size());

  std::vector<std::size_t> all(K);
  std::iota(all.begin(), all.end(), std::size_t{0});
  fronts_ = build_fronts(all);
}

double TableProblem::local_end_ms(std::size_t split, double fraction, std::size_t k) const {
  const double t = local_time_ms(split, k);
  return fraction == 1.0 || split == num_blocks_ ? t : t + (1.0 - fraction) * (local_time_ms(num_blocks_, k) - t);
}

double TableProblem::compute_energy_mj(std::size_t split, double fraction, std::size_t k) const {
  const double e = local_energy_mj(split, k);
  return fraction == 1.0 || split == num_blocks_ ? e : e + (1.0 - fraction) * (local_energy_mj(num_blocks_, k) - e);
}

std::size_t TableProblem::bytes() const {
  return sizeof(*this) + configs_.bytes() + (cum_time_ms_.size() + cum_energy_mj_.size() + compute_mhz_.size() + mem_mhz_.size() +
                                             out_bits_.size() + server_latency_ms_.size()) * sizeof(double) +
         options_.size() * sizeof(OffloadOption) + split_offset_.size() * sizeof(std::size_t) + fronts_.bytes();
}

ParetoFronts TableProblem::build_fronts(const std::vector<std::size_t>& configs) const {
  ParetoFronts f;
  f.offset.reserve(options_.size() + 1);
  f.time_offset.reserve(options_.size() + 1);
  f.offset.push_back(0);
  f.time_offset.push_back(0);
  std::vector<std::size_t> order(configs);
  std::vector<double> t(num_configs()), end(num_configs()), e(num_configs());
  std::map<double, double> stair;  // t_end -> energy, energy strictly decreasing in t_end
  for (std::size_t o = 0; o < options_.size(); ++o) {
    const OffloadOption& op = options_[o];
    const bool serial = op.fraction == 1.0 || op.split == num_blocks_;  // t_end == t_loc
    for (const std::size_t k : configs) {
      t[k] = local_time_ms(op.split, k);
      end[k] = local_end_ms(op.split, op.fraction, k);
      e[k] = compute_energy_mj(op.split, op.fraction, k);
    }
    order = configs;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      if (t[a] != t[b]) return t[a] < t[b];
      if (end[a] != end[b]) return end[a] < end[b];
      if (e[a] != e[b]) return e[a] < e[b];
      return a < b;
    });
    const auto keep = [&](std::size_t k) {
      f.config.push_back(static_cast<std::uint32_t>(k));
      f.t_loc_ms.push_back(t[k]);
      f.t_end_ms.push_back(end[k]);
      f.energy_mj.push_back(e[k]);
      const double prev = f.energy_prefix_min_mj.size() > f.offset.back() ? f.energy_prefix_min_mj.back()
                                                                          : std::numeric_limits<double>::infinity();
      f.energy_prefix_min_mj.push_back(std::min(prev, e[k]));
    };
    if (serial) {
      double last = std::numeric_limits<double>::infinity();
      for (const std::size_t k : order)
        if (e[k] < last) { keep(k); last = e[k]; }
    } else {
      // Sorted by t_loc: a point is dominated iff an earlier kept point has t_end and energy no larger.
      stair.clear();
      for (const std::size_t k : order) {
        auto it = stair.upper_bound(end[k]);
        if (it != stair.begin() && std::prev(it)->second <= e[k]) continue;
        keep(k);
        // Drop the staircase points the new one dominates (t_end >= and energy >=).
        auto from = stair.lower_bound(end[k]);
        auto to = from;
        while (to != stair.end() && to->second >= e[k]) ++to;
        stair.erase(from, to);
        stair[end[k]] = e[k];
      }
    }
    f.offset.push_back(f.config.size());
    // Time front: non-dominated in (t_loc, t_end), by increasing t_loc.
    double best_end = std::numeric_limits<double>::infinity();
    for (const std::size_t k : order) {
      if (end[k] < best_end) {
        f.time_config.push_back(static_cast<std::uint32_t>(k));
        f.time_loc_ms.push_back(t[k]);
        f.time_end_ms.push_back(end[k]);
        best_end = end[k];
        if (serial) break;  // t_end == t_loc: the first is the fastest
      }
    }
    f.time_offset.push_back(f.time_config.size());
  }
  return f;
}

ConfigSubset::ConfigSubset(const TableProblem& problem, std::vector<std::size_t> configs)
    : configs_(std::move(configs)), problem_id_(problem.id()) {
  if (configs_.empty()) throw std::invalid_argument("a configuration subset must hold at least one configuration");
  std::sort(configs_.begin(), configs_.end());
  for (std::size_t i = 0; i < configs_.size(); ++i) {
    if (configs_[i] >= problem.num_configs())
      throw std::invalid_argument("configuration " + std::to_string(configs_[i]) + " out of range (K = " +
                                  std::to_string(problem.num_configs()) + ")");
    if (i > 0 && configs_[i] == configs_[i - 1])
      throw std::invalid_argument("configuration " + std::to_string(configs_[i]) + " listed twice");
  }
  fronts_ = problem.build_fronts(configs_);
}

}  // namespace dvfskit

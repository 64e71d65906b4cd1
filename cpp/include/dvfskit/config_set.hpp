// A device's configuration set: K configurations over d knobs.
//
// A knob is anything that identifies a configuration: a DVFS domain's frequency (CPU cluster, GPU,
// DLA, memory/EMC; by convention the knobs whose names end in "_mhz"), a core mask or count, a
// power mode. A configuration is one tuple of knob values. The set is the list of tuples measured
// (or predicted): any subset of the Cartesian product of the knobs' values, dense or sparse, in
// the caller's order (configuration k is row k). The solver, the schedule, the governors and the
// sweeps index configurations by k and read labels and per-knob levels from here.
//
// Immutable after construction; share it (const) across threads.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dvfskit {

class ConfigSet {
 public:
  // knobs: d distinct, non-empty names; values: K x d, row-major, finite; K >= 1. d = 0 is allowed
  // with K = 1 (a device without knobs). Throws std::invalid_argument naming the knob or the
  // configuration at fault: empty or repeated names, a non-finite value, a repeated configuration.
  ConfigSet(std::vector<std::string> knobs, std::vector<double> values);

  // The dense 2-knob grid compute x memory (configuration k = a * nM + b), as TableProblem's
  // historical (nF, nM) layout.
  static ConfigSet grid(const std::vector<std::string>& knobs, const std::vector<std::vector<double>>& axes);

  std::size_t size() const noexcept { return size_; }
  std::size_t num_knobs() const noexcept { return knobs_.size(); }
  const std::vector<std::string>& knobs() const noexcept { return knobs_; }
  // Index of a knob by name, or nullopt.
  std::optional<std::size_t> knob_index(std::string_view name) const;
  // Whether knob j is a frequency knob (its name ends in "_mhz").
  bool is_frequency(std::size_t j) const { return frequency_[j] != 0; }

  double value(std::size_t k, std::size_t j) const { return values_[k * knobs_.size() + j]; }
  const double* row(std::size_t k) const { return values_.data() + k * knobs_.size(); }
  const std::vector<double>& values() const noexcept { return values_; }

  // The distinct values of knob j, ascending, and the level (index into them) of configuration k.
  const std::vector<double>& levels(std::size_t j) const { return levels_[j]; }
  std::size_t num_levels(std::size_t j) const { return levels_[j].size(); }
  int level(std::size_t k, std::size_t j) const { return codes_[k * knobs_.size() + j]; }

  // Bytes held (values, levels, codes, order), for memory reports.
  std::size_t bytes() const;

  // The configuration with exactly these knob values (d entries), or nullopt.
  std::optional<std::size_t> find(const double* values) const;

  // The configurations whose every knob j with fixed[j] set equals that value (d entries;
  // nullopt = free), in increasing k.
  std::vector<std::size_t> where(const std::vector<std::optional<double>>& fixed) const;

 private:
  std::vector<std::string> knobs_;
  std::vector<double> values_;               // K x d
  std::size_t size_ = 0;                     // K
  std::vector<char> frequency_;              // d
  std::vector<std::vector<double>> levels_;  // d, each ascending
  std::vector<int> codes_;                   // K x d levels
  std::vector<std::size_t> sorted_;          // configurations in lexicographic order of their codes
};

}  // namespace dvfskit

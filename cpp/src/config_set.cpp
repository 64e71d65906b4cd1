// ConfigSet: validation, per-knob levels and lookup.
#include "dvfskit/config_set.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace dvfskit {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string describe(const std::vector<std::string>& knobs, const double* row) {
  std::ostringstream os;
  os.precision(12);
  os << "(";
  for (std::size_t j = 0; j < knobs.size(); ++j) os << (j ? ", " : "") << knobs[j] << "=" << row[j];
  os << ")";
  return os.str();
}

}  // namespace

ConfigSet::ConfigSet(std::vector<std::string> knobs, std::vector<double> values)
    : knobs_(std::move(knobs)), values_(std::move(values)) {
  const std::size_t d = knobs_.size();
  for (std::size_t j = 0; j < d; ++j) {
    if (knobs_[j].empty()) throw std::invalid_argument("knob " + std::to_string(j) + " has an empty name");
    for (std::size_t i = 0; i < j; ++i)
      if (knobs_[i] == knobs_[j]) throw std::invalid_argument("knob '" + knobs_[j] + "' is listed twice");
  }
  if (d == 0) {
    if (!values_.empty()) throw std::invalid_argument("a configuration set without knobs has no values");
    size_ = 1;
    sorted_ = {0};
    return;
  }
  if (values_.empty()) throw std::invalid_argument("the configuration set is empty");
  if (values_.size() % d != 0)
    throw std::invalid_argument("configuration values must hold K x " + std::to_string(d) + " entries, got " +
                                std::to_string(values_.size()));
  size_ = values_.size() / d;
  for (std::size_t k = 0; k < size_; ++k)
    for (std::size_t j = 0; j < d; ++j)
      if (!std::isfinite(value(k, j)))
        throw std::invalid_argument("knob '" + knobs_[j] + "' of configuration " + std::to_string(k) +
                                    " is not finite");
  frequency_.resize(d);
  levels_.resize(d);
  codes_.resize(values_.size());
  for (std::size_t j = 0; j < d; ++j) {
    frequency_[j] = ends_with(knobs_[j], "_mhz") ? 1 : 0;
    std::vector<double>& lv = levels_[j];
    lv.reserve(size_);
    for (std::size_t k = 0; k < size_; ++k) lv.push_back(value(k, j));
    std::sort(lv.begin(), lv.end());
    lv.erase(std::unique(lv.begin(), lv.end()), lv.end());
    for (std::size_t k = 0; k < size_; ++k)
      codes_[k * d + j] = static_cast<int>(std::lower_bound(lv.begin(), lv.end(), value(k, j)) - lv.begin());
  }
  sorted_.resize(size_);
  std::iota(sorted_.begin(), sorted_.end(), std::size_t{0});
  const auto less = [this, d](std::size_t a, std::size_t b) {
    return std::lexicographical_compare(codes_.begin() + a * d, codes_.begin() + (a + 1) * d, codes_.begin() + b * d,
                                        codes_.begin() + (b + 1) * d);
  };
  std::sort(sorted_.begin(), sorted_.end(), less);
  for (std::size_t i = 1; i < size_; ++i) {
    if (!less(sorted_[i - 1], sorted_[i])) {
      const std::size_t a = std::min(sorted_[i - 1], sorted_[i]), b = std::max(sorted_[i - 1], sorted_[i]);
      throw std::invalid_argument("configurations " + std::to_string(a) + " and " + std::to_string(b) +
                                  " are the same " + describe(knobs_, row(a)));
    }
  }
}

ConfigSet ConfigSet::grid(const std::vector<std::string>& knobs, const std::vector<std::vector<double>>& axes) {
  if (knobs.size() != axes.size()) throw std::invalid_argument("grid: one axis per knob");
  std::size_t k = 1;
  for (const auto& a : axes) {
    if (a.empty()) throw std::invalid_argument("grid: an axis is empty");
    k *= a.size();
  }
  const std::size_t d = knobs.size();
  std::vector<double> values(d == 0 ? 0 : k * d);
  for (std::size_t c = 0; d > 0 && c < k; ++c) {
    std::size_t rest = c;
    for (std::size_t j = d; j-- > 0;) {
      values[c * d + j] = axes[j][rest % axes[j].size()];
      rest /= axes[j].size();
    }
  }
  return ConfigSet(knobs, std::move(values));
}

std::size_t ConfigSet::bytes() const {
  std::size_t n = sizeof(*this) + values_.size() * sizeof(double) + codes_.size() * sizeof(int) +
                  sorted_.size() * sizeof(std::size_t) + frequency_.size();
  for (const auto& lv : levels_) n += lv.size() * sizeof(double);
  for (const auto& k : knobs_) n += k.size();
  return n;
}

std::optional<std::size_t> ConfigSet::knob_index(std::string_view name) const {
  for (std::size_t j = 0; j < knobs_.size(); ++j)
    if (knobs_[j] == name) return j;
  return std::nullopt;
}

std::optional<std::size_t> ConfigSet::find(const double* values) const {
  const std::size_t d = knobs_.size();
  if (d == 0) return 0;
  std::vector<int> key(d);
  for (std::size_t j = 0; j < d; ++j) {
    const auto& lv = levels_[j];
    const auto it = std::lower_bound(lv.begin(), lv.end(), values[j]);
    if (it == lv.end() || *it != values[j]) return std::nullopt;
    key[j] = static_cast<int>(it - lv.begin());
  }
  const auto it = std::lower_bound(sorted_.begin(), sorted_.end(), key, [this, d](std::size_t a, const std::vector<int>& k) {
    return std::lexicographical_compare(codes_.begin() + a * d, codes_.begin() + (a + 1) * d, k.begin(), k.end());
  });
  if (it == sorted_.end() || !std::equal(key.begin(), key.end(), codes_.begin() + *it * d)) return std::nullopt;
  return *it;
}

std::vector<std::size_t> ConfigSet::where(const std::vector<std::optional<double>>& fixed) const {
  const std::size_t d = knobs_.size();
  if (fixed.size() != d) throw std::invalid_argument("where: one entry per knob");
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < size_; ++k) {
    bool ok = true;
    for (std::size_t j = 0; j < d && ok; ++j) ok = !fixed[j] || value(k, j) == *fixed[j];
    if (ok) out.push_back(k);
  }
  return out;
}

}  // namespace dvfskit

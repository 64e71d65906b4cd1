#include "dvfskit/variable_projection.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dvfskit {

namespace {

bool all_finite(const double* v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) return false;
  return true;
}

double sqrt_weight(const WeightedData& d, std::size_t i) { return d.sqrt_weights ? d.sqrt_weights[i] : 1.0; }

// Rows of the column-major n x k matrix J times sqrt(w_i).
void weigh_rows(const WeightedData& d, double* J, std::size_t n, std::size_t k) {
  if (d.sqrt_weights == nullptr) return;
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t i = 0; i < n; ++i) J[c * n + i] *= d.sqrt_weights[i];
}

}  // namespace

ResidualProblem::ResidualProblem(const WeightedData& data, std::vector<double> parameters, std::vector<int> unknowns)
    : data_(data), parameters_(std::move(parameters)), unknowns_(std::move(unknowns)),
      prediction_(data.model.num_points()) {}

bool ResidualProblem::residuals(const double* x, double* r) {
  for (std::size_t a = 0; a < unknowns_.size(); ++a) parameters_[static_cast<std::size_t>(unknowns_[a])] = x[a];
  const std::size_t n = data_.model.num_points();
  const std::size_t k = unknowns_.size();
  if (data_.model.cheap_derivatives()) {
    jacobian_.resize(n * k);
    data_.model.predict_subset(parameters_.data(), unknowns_.data(), static_cast<int>(k), prediction_.data(),
                               jacobian_.data());
  } else {
    data_.model.predict_subset(parameters_.data(), nullptr, 0, prediction_.data(), nullptr);
  }
  for (std::size_t i = 0; i < n; ++i) r[i] = sqrt_weight(data_, i) * (prediction_[i] - data_.y[i]);
  return all_finite(r, n);
}

bool ResidualProblem::jacobian(const double*, double* J) {
  const std::size_t n = data_.model.num_points();
  const std::size_t k = unknowns_.size();
  if (data_.model.cheap_derivatives()) {
    std::copy(jacobian_.begin(), jacobian_.end(), J);
  } else {
    data_.model.predict_subset(parameters_.data(), unknowns_.data(), static_cast<int>(k), prediction_.data(), J);
  }
  weigh_rows(data_, J, n, k);
  return all_finite(J, n * k);
}

ProjectedProblem::ProjectedProblem(const WeightedData& data, std::vector<double> parameters,
                                   std::vector<int> nonlinear, std::vector<int> linear,
                                   const std::vector<double>& lower, const std::vector<double>& upper)
    : data_(data), parameters_(std::move(parameters)), nonlinear_(std::move(nonlinear)), linear_(std::move(linear)) {
  if (linear_.size() > static_cast<std::size_t>(BoundedLeastSquares::kMaxUnknowns))
    throw std::invalid_argument("variable projection: at most 16 linear parameters");
  const std::size_t n = data.model.num_points();
  for (int l : linear_) {
    lower_.push_back(lower[static_cast<std::size_t>(l)]);
    upper_.push_back(upper[static_cast<std::size_t>(l)]);
  }
  g_.resize(n);
  a_.resize(n * linear_.size());
  b_.resize(n);
  c_.resize(linear_.size());
  residual_.resize(n);
}

double ProjectedProblem::reduced_rss(const double* x) {
  return residuals(x, residual_.data()) ? rss_ : std::numeric_limits<double>::infinity();
}

bool ProjectedProblem::residuals(const double* x, double* r) {
  for (std::size_t a = 0; a < nonlinear_.size(); ++a) parameters_[static_cast<std::size_t>(nonlinear_[a])] = x[a];
  for (int l : linear_) parameters_[static_cast<std::size_t>(l)] = 0.0;
  const std::size_t n = data_.model.num_points();
  const std::size_t k = linear_.size();
  // At c = 0 the value is g and the derivatives are the columns of A (the model is affine in c).
  data_.model.predict_subset(parameters_.data(), linear_.data(), static_cast<int>(k), g_.data(), a_.data());
  weigh_rows(data_, a_.data(), n, k);
  for (std::size_t i = 0; i < n; ++i) b_[i] = sqrt_weight(data_, i) * (data_.y[i] - g_[i]);
  if (!all_finite(b_.data(), n) || !all_finite(a_.data(), n * k)) return false;
  rss_ = solver_.solve(a_.data(), n, static_cast<int>(k), b_.data(), lower_.data(), upper_.data(), c_.data());
  for (std::size_t l = 0; l < k; ++l) parameters_[static_cast<std::size_t>(linear_[l])] = c_[l];
  for (std::size_t i = 0; i < n; ++i) r[i] = -b_[i];
  for (std::size_t l = 0; l < k; ++l) {
    const double* column = a_.data() + l * n;
    for (std::size_t i = 0; i < n; ++i) r[i] += column[i] * c_[l];
  }
  return std::isfinite(rss_) && all_finite(r, n);
}

bool ProjectedProblem::jacobian(const double*, double* J) {
  const std::size_t n = data_.model.num_points();
  const std::size_t q = nonlinear_.size();
  data_.model.predict_subset(parameters_.data(), nonlinear_.data(), static_cast<int>(q), g_.data(), J);
  weigh_rows(data_, J, n, q);
  if (!all_finite(J, n * q)) return false;
  solver_.project_out(J, static_cast<int>(q));
  return true;
}

}  // namespace dvfskit

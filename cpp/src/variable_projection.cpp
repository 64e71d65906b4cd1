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
  solution_ = parameters_;
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

struct ProjectedProblem::Buffers {
  std::vector<double> solution, lower, upper, g, a, b, c, residual;  // lower, upper: of the linear ones
  BoundedLeastSquares solver;
};

namespace {

template <typename Buffers>
std::vector<std::unique_ptr<Buffers>>& pool() {
  thread_local std::vector<std::unique_ptr<Buffers>> free;
  return free;
}

}  // namespace

void ProjectedProblem::GiveBack::operator()(Buffers* buffers) const { pool<Buffers>().emplace_back(buffers); }

ProjectedProblem::ProjectedProblem(const WeightedData& data, std::vector<double> parameters,
                                   std::vector<int> nonlinear, std::vector<int> linear,
                                   const std::vector<double>& lower, const std::vector<double>& upper)
    : data_(data), parameters_(std::move(parameters)), nonlinear_(std::move(nonlinear)), linear_(std::move(linear)) {
  if (linear_.size() > static_cast<std::size_t>(BoundedLeastSquares::kMaxUnknowns))
    throw std::invalid_argument("variable projection: at most 16 linear parameters");
  auto& free = pool<Buffers>();
  if (free.empty()) {
    buffers_.reset(new Buffers);
  } else {
    buffers_.reset(free.back().release());
    free.pop_back();
  }
  Buffers& b = *buffers_;
  const std::size_t n = data.model.num_points();
  b.solution.clear();
  b.lower.clear();
  b.upper.clear();
  for (int l : linear_) {
    b.lower.push_back(lower[static_cast<std::size_t>(l)]);
    b.upper.push_back(upper[static_cast<std::size_t>(l)]);
  }
  b.g.resize(n);
  b.a.resize(n * linear_.size());
  b.b.resize(n);
  b.c.resize(linear_.size());
  b.residual.resize(n);
}

const std::vector<double>& ProjectedProblem::solution() const { return buffers_->solution; }

double ProjectedProblem::reduced_rss(const double* x) {
  return residuals(x, buffers_->residual.data()) ? rss_ : std::numeric_limits<double>::infinity();
}

bool ProjectedProblem::residuals(const double* x, double* r) {
  Buffers& w = *buffers_;
  for (std::size_t a = 0; a < nonlinear_.size(); ++a) parameters_[static_cast<std::size_t>(nonlinear_[a])] = x[a];
  for (int l : linear_) parameters_[static_cast<std::size_t>(l)] = 0.0;
  const std::size_t n = data_.model.num_points();
  const std::size_t k = linear_.size();
  // At c = 0 the value is g and the derivatives are the columns of A (the model is affine in c).
  data_.model.predict_subset(parameters_.data(), linear_.data(), static_cast<int>(k), w.g.data(), w.a.data());
  weigh_rows(data_, w.a.data(), n, k);
  for (std::size_t i = 0; i < n; ++i) w.b[i] = sqrt_weight(data_, i) * (data_.y[i] - w.g[i]);
  if (!all_finite(w.b.data(), n) || !all_finite(w.a.data(), n * k)) return false;
  rss_ = w.solver.solve(w.a.data(), n, static_cast<int>(k), w.b.data(), w.lower.data(), w.upper.data(), w.c.data());
  for (std::size_t l = 0; l < k; ++l) parameters_[static_cast<std::size_t>(linear_[l])] = w.c[l];
  for (std::size_t i = 0; i < n; ++i) r[i] = -w.b[i];
  for (std::size_t l = 0; l < k; ++l) {
    const double* column = w.a.data() + l * n;
    for (std::size_t i = 0; i < n; ++i) r[i] += column[i] * w.c[l];
  }
  return std::isfinite(rss_) && all_finite(r, n);
}

bool ProjectedProblem::jacobian(const double*, double* J) {
  Buffers& w = *buffers_;
  w.solution = parameters_;
  const std::size_t n = data_.model.num_points();
  const std::size_t q = nonlinear_.size();
  data_.model.predict_subset(parameters_.data(), nonlinear_.data(), static_cast<int>(q), w.g.data(), J);
  weigh_rows(data_, J, n, q);
  if (!all_finite(J, n * q)) return false;
  w.solver.project_out(J, static_cast<int>(q));
  return true;
}

}  // namespace dvfskit

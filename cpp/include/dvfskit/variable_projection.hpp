// A model's weighted residuals r = W^1/2 (f(p) - y) as a least-squares problem over some of its
// parameters, either directly (ResidualProblem) or with its linear parameters projected out
// (ProjectedProblem, Golub-Pereyra variable projection with Kaufman's Jacobian): at every value of
// the nonlinear parameters theta the linear ones c are solved by bounded linear least squares,
// so the iteration runs over theta alone:
//   f = g(theta) + A(theta) c,   r(theta) = W^1/2 (g + A c*(theta) - y),
//   J(theta) = P W^1/2 df/dtheta at (theta, c*),  P the projector onto the complement of the span
//   of the columns of A whose coefficient is not on a bound.
// The gradient J^T r is exact (Kaufman drops a term orthogonal to r), so the solution is the same
// as that of the full problem.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "dvfskit/bounded_least_squares.hpp"
#include "dvfskit/dense_lm.hpp"
#include "dvfskit/regression_model.hpp"

namespace dvfskit {

// Shared data of both problems: the model, y, sqrt(weights) (null: all 1) and the full
// parameter vector (parameters not iterated on keep their values).
struct WeightedData {
  const RegressionModel& model;
  const double* y;
  const double* sqrt_weights;
};

// r(x) = W^1/2 (f(p) - y) with p[unknowns[a]] = x[a].
class ResidualProblem final : public LeastSquaresProblem {
 public:
  ResidualProblem(const WeightedData& data, std::vector<double> parameters, std::vector<int> unknowns);
  int num_residuals() const override { return static_cast<int>(data_.model.num_points()); }
  int num_unknowns() const override { return static_cast<int>(unknowns_.size()); }
  bool residuals(const double* x, double* r) override;
  bool jacobian(const double* x, double* J) override;
  // The full parameter vector at the last residuals() call.
  const std::vector<double>& parameters() const { return parameters_; }
  // ... and at the last jacobian() call: the solver's solution.
  const std::vector<double>& solution() const { return solution_; }

 private:
  WeightedData data_;
  std::vector<double> parameters_;
  std::vector<double> solution_;
  std::vector<int> unknowns_;
  std::vector<double> prediction_;
  std::vector<double> jacobian_;  // with the residuals, when derivatives are cheap
};

// The problem over the nonlinear parameters `nonlinear` with the parameters `linear` (in which
// the model must be jointly affine; at most BoundedLeastSquares::kMaxUnknowns) solved within
// [lower, upper] at every point.
class ProjectedProblem final : public LeastSquaresProblem {
 public:
  ProjectedProblem(const WeightedData& data, std::vector<double> parameters, std::vector<int> nonlinear,
                   std::vector<int> linear, const std::vector<double>& lower, const std::vector<double>& upper);
  int num_residuals() const override { return static_cast<int>(data_.model.num_points()); }
  int num_unknowns() const override { return static_cast<int>(nonlinear_.size()); }
  bool residuals(const double* x, double* r) override;
  bool jacobian(const double* x, double* J) override;
  // The full parameter vector (linear parameters solved) at the last residuals() call.
  const std::vector<double>& parameters() const { return parameters_; }
  // ... and at the last jacobian() call: the solver's solution.
  const std::vector<double>& solution() const;
  // The weighted residual sum of squares at x (nonlinear parameters), linear ones solved;
  // infinity where the model is not finite.
  double reduced_rss(const double* x);

 private:
  // The working arrays, taken from a per-thread pool and given back by the destructor, so that
  // the many small problems of grouped fits allocate nothing once warm.
  struct Buffers;
  struct GiveBack {
    void operator()(Buffers* buffers) const;
  };
  std::unique_ptr<Buffers, GiveBack> buffers_;
  WeightedData data_;
  std::vector<double> parameters_;
  std::vector<int> nonlinear_;
  std::vector<int> linear_;
  double rss_ = 0.0;
};

}  // namespace dvfskit

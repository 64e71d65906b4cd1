// What the least-squares engine fits: predictions for all data points as a function of the
// parameters, with their Jacobian.
#pragma once

#include <cstddef>
#include <vector>

#include "dvfskit/expression.hpp"

namespace dvfskit {

class RegressionModel {
 public:
  virtual ~RegressionModel() = default;
  virtual std::size_t num_parameters() const = 0;
  virtual std::size_t num_points() const = 0;
  // Fills prediction[i] for every point and, when `jacobian` is not null,
  // jacobian[i * num_parameters() + j] = d prediction[i] / d parameter[j].
  virtual void predict(const double* parameters, double* prediction, double* jacobian) const = 0;
};

// An Expression over borrowed input columns (column k holds num_points values of input k),
// differentiated exactly with ceres::Jet. Thread-safe: predict() keeps no state.
class ExpressionModel final : public RegressionModel {
 public:
  ExpressionModel(const Expression& expression, std::vector<const double*> columns, std::size_t n);
  std::size_t num_parameters() const override { return expression_.parameters().size(); }
  std::size_t num_points() const override { return n_; }
  void predict(const double* parameters, double* prediction, double* jacobian) const override;

 private:
  template <int Stride>
  void predict_with_jacobian(const double* parameters, double* prediction, double* jacobian) const;

  const Expression& expression_;
  std::vector<const double*> columns_;
  std::size_t n_;
};

}  // namespace dvfskit

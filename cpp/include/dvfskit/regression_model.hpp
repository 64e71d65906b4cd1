// What the least-squares engine fits: predictions for all data points as a function of the
// parameters, with their Jacobian.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "dvfskit/compiled_expression.hpp"
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
  // Predictions and, when `jacobian` is not null, the derivatives with respect to the parameters
  // subset[0..k) only, column-major: jacobian[l * num_points() + i] = d prediction[i] / d
  // parameter[subset[l]]. The default computes the whole Jacobian with predict().
  virtual void predict_subset(const double* parameters, const int* subset, int k, double* prediction,
                              double* jacobian) const;
  // Parameters the model is jointly affine in (solved by variable projection); none by default.
  virtual std::vector<int> linear_parameters() const { return {}; }
  // Whether derivatives cost about as much as values (exact ones): then solvers compute them
  // with every evaluation rather than only where they are needed.
  virtual bool cheap_derivatives() const { return false; }
};

// An Expression over borrowed input columns (column k holds num_points values of input k),
// differentiated exactly with ceres::Jet (see CompiledExpression). Thread-safe: predict() keeps
// no state.
class ExpressionModel final : public RegressionModel {
 public:
  ExpressionModel(const Expression& expression, std::vector<const double*> columns, std::size_t n);
  // With an expression compiled once for many data sets (grouped fits); `compiled` must outlive
  // the model.
  ExpressionModel(const CompiledExpression& compiled, const std::vector<const double*>& columns, std::size_t n);
  std::size_t num_parameters() const override { return compiled_.num_parameters(); }
  std::size_t num_points() const override { return data_.size(); }
  void predict(const double* parameters, double* prediction, double* jacobian) const override;
  void predict_subset(const double* parameters, const int* subset, int k, double* prediction,
                      double* jacobian) const override;
  std::vector<int> linear_parameters() const override { return compiled_.linear(); }
  bool cheap_derivatives() const override { return true; }

 private:
  std::unique_ptr<CompiledExpression> owned_;
  const CompiledExpression& compiled_;
  CompiledData data_;
};

}  // namespace dvfskit

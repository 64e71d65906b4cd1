#include "dvfskit/regression_model.hpp"

#include <numeric>
#include <stdexcept>
#include <string>

namespace dvfskit {

void RegressionModel::predict_subset(const double* parameters, const int* subset, int k, double* prediction,
                                     double* jacobian) const {
  if (jacobian == nullptr || k <= 0) {
    predict(parameters, prediction, nullptr);
    return;
  }
  const std::size_t n = num_points();
  const std::size_t np = num_parameters();
  thread_local std::vector<double> full;
  full.resize(n * np);
  predict(parameters, prediction, full.data());
  for (int l = 0; l < k; ++l)
    for (std::size_t i = 0; i < n; ++i)
      jacobian[static_cast<std::size_t>(l) * n + i] = full[i * np + static_cast<std::size_t>(subset[l])];
}

namespace {

const CompiledExpression& checked(const CompiledExpression& compiled, const std::vector<const double*>& columns) {
  if (columns.size() != compiled.num_inputs())
    throw std::invalid_argument("expression '" + compiled.expression().text() + "' needs " +
                                std::to_string(compiled.num_inputs()) + " input columns, got " +
                                std::to_string(columns.size()));
  return compiled;
}

}  // namespace

ExpressionModel::ExpressionModel(const Expression& expression, std::vector<const double*> columns, std::size_t n)
    : owned_(std::make_unique<CompiledExpression>(expression)),
      compiled_(checked(*owned_, columns)),
      data_(compiled_, columns, n) {}

ExpressionModel::ExpressionModel(const CompiledExpression& compiled, const std::vector<const double*>& columns,
                                 std::size_t n)
    : compiled_(checked(compiled, columns)), data_(compiled_, columns, n) {}

void ExpressionModel::predict(const double* parameters, double* prediction, double* jacobian) const {
  const std::size_t np = num_parameters();
  thread_local std::vector<int> all;
  all.resize(np);
  std::iota(all.begin(), all.end(), 0);
  evaluate_compiled(compiled_, data_, parameters, all.data(), static_cast<int>(np), prediction, jacobian, np, 1);
}

void ExpressionModel::predict_subset(const double* parameters, const int* subset, int k, double* prediction,
                                     double* jacobian) const {
  evaluate_compiled(compiled_, data_, parameters, subset, k, prediction, jacobian, 1, data_.size());
}

}  // namespace dvfskit

#include "dvfskit/regression_model.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace dvfskit {

ExpressionModel::ExpressionModel(const Expression& expression, std::vector<const double*> columns,
                                 std::size_t n)
    : expression_(expression), columns_(std::move(columns)), n_(n) {
  if (columns_.size() != expression_.inputs().size())
    throw std::invalid_argument("expression '" + expression_.text() + "' needs " +
                                std::to_string(expression_.inputs().size()) + " input columns, got " +
                                std::to_string(columns_.size()));
}

void ExpressionModel::predict(const double* parameters, double* prediction, double* jacobian) const {
  if (jacobian != nullptr) {
    // One Jet width for small models, chunks of 8 derivatives for larger ones.
    if (num_parameters() <= 4) {
      predict_with_jacobian<4>(parameters, prediction, jacobian);
    } else {
      predict_with_jacobian<8>(parameters, prediction, jacobian);
    }
    return;
  }
  std::vector<double> stack(expression_.stack_size());
  std::vector<double> x(columns_.size());
  for (std::size_t i = 0; i < n_; ++i) {
    for (std::size_t k = 0; k < columns_.size(); ++k) x[k] = columns_[k][i];
    prediction[i] = expression_.evaluate(x.data(), parameters, stack.data());
  }
}

template <int Stride>
void ExpressionModel::predict_with_jacobian(const double* parameters, double* prediction,
                                            double* jacobian) const {
  using Jet = ceres::Jet<double, Stride>;
  const std::size_t np = num_parameters();
  std::vector<Jet> p(np);
  std::vector<Jet> stack(expression_.stack_size());
  std::vector<double> x(columns_.size());
  for (std::size_t first = 0; first < std::max<std::size_t>(np, 1); first += Stride) {
    const std::size_t last = std::min(np, first + Stride);
    for (std::size_t j = 0; j < np; ++j) {
      p[j] = Jet(parameters[j]);
      if (j >= first && j < last) p[j].v[static_cast<int>(j - first)] = 1.0;
    }
    for (std::size_t i = 0; i < n_; ++i) {
      for (std::size_t k = 0; k < columns_.size(); ++k) x[k] = columns_[k][i];
      const Jet value = expression_.evaluate(x.data(), p.data(), stack.data());
      if (first == 0) prediction[i] = value.a;
      for (std::size_t j = first; j < last; ++j) jacobian[i * np + j] = value.v[static_cast<int>(j - first)];
    }
  }
}

}  // namespace dvfskit

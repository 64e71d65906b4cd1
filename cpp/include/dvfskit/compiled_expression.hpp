// An Expression prepared for fast evaluation over many points. Subexpressions free of parameters
// (such as compute_freq_mhz / 1000) become columns computed once per data set, together with the
// logarithm of every data base of a power with a parameter exponent (f**b = exp(b log f)); the
// rest runs column by column over chunks of points, with fixed-size dual numbers (ceres::Jet)
// carrying the derivatives with respect to a chosen subset of the parameters only.
#pragma once

#include <cstddef>
#include <vector>

#include "dvfskit/expression.hpp"

namespace dvfskit {

class CompiledExpression {
 public:
  enum class StepKind : unsigned char { Column, Const, Param, Unary, Binary, PowLog };
  struct Step {
    StepKind kind;
    OpCode op = OpCode::Const;  // Unary, Binary
    int index = 0;              // Column: column id; Param: parameter; PowLog: log column id
    double value = 0.0;         // Const value, PowConst exponent
  };
  // A parameter-free subexpression evaluated once per data set into column `column`.
  struct Hoisted {
    std::vector<Instruction> program;
    std::size_t stack_size = 0;
  };
  // log(column `base`) stored as column `column` (used where every value of the base is > 0).
  struct LogColumn {
    int base;
    int column;
  };

  explicit CompiledExpression(const Expression& expression);

  const Expression& expression() const noexcept { return expression_; }
  std::size_t num_inputs() const noexcept { return expression_.inputs().size(); }
  std::size_t num_parameters() const noexcept { return expression_.parameters().size(); }
  // Columns: inputs first, then hoisted subexpressions, then logarithms.
  std::size_t num_columns() const noexcept { return num_inputs() + hoisted_.size() + logs_.size(); }
  const std::vector<Step>& steps() const noexcept { return steps_; }
  const std::vector<Hoisted>& hoisted() const noexcept { return hoisted_; }
  const std::vector<LogColumn>& logs() const noexcept { return logs_; }
  std::size_t stack_size() const noexcept { return stack_size_; }
  // Parameters the expression is jointly affine in (linear_parameters()).
  const std::vector<int>& linear() const noexcept { return linear_; }

 private:
  const Expression& expression_;
  std::vector<Step> steps_;
  std::vector<Hoisted> hoisted_;
  std::vector<LogColumn> logs_;
  std::size_t stack_size_ = 0;
  std::vector<int> linear_;
};

// The data a compiled expression runs on: every column for n points (inputs borrowed, derived
// columns owned).
class CompiledData {
 public:
  CompiledData(const CompiledExpression& compiled, const std::vector<const double*>& inputs, std::size_t n);

  std::size_t size() const noexcept { return n_; }
  const double* column(int id) const noexcept { return columns_[static_cast<std::size_t>(id)]; }
  bool log_usable(int id) const noexcept { return usable_[static_cast<std::size_t>(id)] != 0; }

 private:
  std::size_t n_;
  std::vector<double> storage_;
  std::vector<const double*> columns_;
  std::vector<char> usable_;  // per column id: a log column whose base is positive everywhere
};

// Values at all n points and, when `jacobian` is not null, the derivatives with respect to the
// parameters subset[0..k): d value_i / d p_subset[l] is written to
// jacobian[i * row_stride + l * col_stride]. Thread-safe (scratch space is per thread).
void evaluate_compiled(const CompiledExpression& compiled, const CompiledData& data, const double* parameters,
                       const int* subset, int k, double* value, double* jacobian, std::size_t row_stride,
                       std::size_t col_stride);

}  // namespace dvfskit

// A model expression such as "a * f**(-b) + c", parsed once into a flat postfix program over named
// inputs and parameters, and evaluated for double or for ceres::Jet (automatic differentiation).
#pragma once

#include <cmath>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <ceres/jet.h>

namespace dvfskit {

// A parse or name error; position is the 0-based character (Unicode code point) offset in the
// expression text. The message shows the text with a caret under the fault; it is valid UTF-8
// and never contains a NUL (shown as U+2400), so it survives any C string boundary.
class ExpressionError : public std::invalid_argument {
 public:
  ExpressionError(const std::string& message, std::string_view text, std::size_t position);
  std::size_t position() const noexcept { return position_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string reason_;
  std::size_t position_;
};

enum class OpCode : unsigned char {
  Const, Input, Param,
  Add, Sub, Mul, Div, Pow, PowConst, PowDataBase, Square, Neg,
  Exp, Log, Log10, Sqrt, Abs, Sin, Cos, Tan, Atan, Tanh,
  Min, Max,
};

struct Instruction {
  OpCode op;
  int index = 0;       // input or parameter index
  double value = 0.0;  // constant, or the exponent of PowConst
};

// Whether an explicitly listed parameter may be absent from the expression. Fits reject it (a
// typo in a parameter list); a device model f(f, m) may leave out an input it does not use.
enum class UnusedParameters : unsigned char { Reject, Allow };

class Expression {
 public:
  // Parses `text` (UTF-8). Names listed in `inputs` are data columns; every other name is a
  // parameter, in order of first appearance, unless `parameters` lists them explicitly (then an
  // unlisted name is an error, and so is a listed one that does not appear, unless `unused` is
  // Allow). Names follow Python's identifier rules (str.isidentifier, Unicode letters included;
  // compared as written, without NFKC normalisation). `pi` is the constant. Only real nesting
  // (parentheses, unary operators, function calls, powers) is limited, to 400 levels; a flat sum
  // or product may be of any length. Throws ExpressionError with the position of the fault.
  Expression(std::string text, std::vector<std::string> inputs,
             std::optional<std::vector<std::string>> parameters = std::nullopt,
             UnusedParameters unused = UnusedParameters::Reject);

  const std::string& text() const noexcept { return text_; }
  const std::vector<std::string>& inputs() const noexcept { return inputs_; }
  const std::vector<std::string>& parameters() const noexcept { return parameters_; }
  const std::vector<Instruction>& program() const noexcept { return program_; }
  std::size_t stack_size() const noexcept { return stack_size_; }

  // Value at one point: x[k] is input k, p[j] parameter j; `stack` holds stack_size() values.
  template <typename T>
  T evaluate(const double* x, const T* p, T* stack) const;

  // Convenience for one point with doubles (allocates; not for inner loops).
  double operator()(const std::vector<double>& x, const std::vector<double>& p) const;

 private:
  std::string text_;
  std::vector<std::string> inputs_;
  std::vector<std::string> parameters_;
  std::vector<Instruction> program_;
  std::size_t stack_size_ = 0;
};

namespace detail {
inline double value_of(double v) { return v; }
template <typename T, int N>
double value_of(const ceres::Jet<T, N>& v) { return v.a; }

// Runs a postfix program; shared by evaluation and by constant folding at parse time.
template <typename T>
T run_program(const std::vector<Instruction>& program, const double* x, const T* p, T* stack) {
  using std::abs; using std::atan; using std::cos; using std::exp; using std::log; using std::log10;
  using std::pow; using std::sin; using std::sqrt; using std::tan; using std::tanh;
  std::size_t top = 0;  // number of values on the stack
  for (const Instruction& ins : program) {
    switch (ins.op) {
      case OpCode::Const: stack[top++] = T(ins.value); break;
      case OpCode::Input: stack[top++] = T(x[ins.index]); break;
      case OpCode::Param: stack[top++] = p[ins.index]; break;
      case OpCode::Add: --top; stack[top - 1] = stack[top - 1] + stack[top]; break;
      case OpCode::Sub: --top; stack[top - 1] = stack[top - 1] - stack[top]; break;
      case OpCode::Mul: --top; stack[top - 1] = stack[top - 1] * stack[top]; break;
      case OpCode::Div: --top; stack[top - 1] = stack[top - 1] / stack[top]; break;
      case OpCode::Pow: --top; stack[top - 1] = pow(stack[top - 1], stack[top]); break;
      case OpCode::PowConst: stack[top - 1] = pow(stack[top - 1], ins.value); break;
      // base free of parameters (data and constants): d/dp needs no derivative of the base
      case OpCode::PowDataBase: --top; stack[top - 1] = pow(value_of(stack[top - 1]), stack[top]); break;
      case OpCode::Square: stack[top - 1] = stack[top - 1] * stack[top - 1]; break;
      case OpCode::Neg: stack[top - 1] = -stack[top - 1]; break;
      case OpCode::Exp: stack[top - 1] = exp(stack[top - 1]); break;
      case OpCode::Log: stack[top - 1] = log(stack[top - 1]); break;
      case OpCode::Log10: stack[top - 1] = log10(stack[top - 1]); break;
      case OpCode::Sqrt: stack[top - 1] = sqrt(stack[top - 1]); break;
      case OpCode::Abs: stack[top - 1] = abs(stack[top - 1]); break;
      case OpCode::Sin: stack[top - 1] = sin(stack[top - 1]); break;
      case OpCode::Cos: stack[top - 1] = cos(stack[top - 1]); break;
      case OpCode::Tan: stack[top - 1] = tan(stack[top - 1]); break;
      case OpCode::Atan: stack[top - 1] = atan(stack[top - 1]); break;
      case OpCode::Tanh: stack[top - 1] = tanh(stack[top - 1]); break;
      case OpCode::Min:
        --top;
        if (detail::value_of(stack[top]) < detail::value_of(stack[top - 1])) stack[top - 1] = stack[top];
        break;
      case OpCode::Max:
        --top;
        if (detail::value_of(stack[top]) > detail::value_of(stack[top - 1])) stack[top - 1] = stack[top];
        break;
    }
  }
  return stack[0];
}

}  // namespace detail

template <typename T>
T Expression::evaluate(const double* x, const T* p, T* stack) const {
  return detail::run_program(program_, x, p, stack);
}

}  // namespace dvfskit

#include "dvfskit/linear_parameters.hpp"

#include <cstddef>

namespace dvfskit {

namespace {

// How a subexpression depends on the candidate set: not at all, affinely, or otherwise.
enum class Degree : unsigned char { Free, Affine, Nonlinear };

Degree join(Degree a, Degree b) { return a > b ? a : b; }

}  // namespace

int operand_count(OpCode op) {
  switch (op) {
    case OpCode::Const: case OpCode::Input: case OpCode::Param: return 0;
    case OpCode::Add: case OpCode::Sub: case OpCode::Mul: case OpCode::Div: case OpCode::Pow:
    case OpCode::PowDataBase: case OpCode::Min: case OpCode::Max: return 2;
    default: return 1;
  }
}

bool is_affine_in(const std::vector<Instruction>& program, const std::vector<char>& in_set) {
  std::vector<Degree> stack;
  stack.reserve(program.size());
  for (const Instruction& ins : program) {
    const int k = operand_count(ins.op);
    if (k == 0) {
      const bool candidate = ins.op == OpCode::Param && static_cast<std::size_t>(ins.index) < in_set.size() &&
                             in_set[static_cast<std::size_t>(ins.index)] != 0;
      stack.push_back(candidate ? Degree::Affine : Degree::Free);
      continue;
    }
    if (k == 1) {
      const Degree a = stack.back();
      Degree out = a == Degree::Free ? Degree::Free : Degree::Nonlinear;
      if (ins.op == OpCode::Neg) out = a;
      if (ins.op == OpCode::PowConst && ins.value == 1.0) out = a;
      stack.back() = out;
      continue;
    }
    const Degree b = stack.back();
    stack.pop_back();
    const Degree a = stack.back();
    Degree out = Degree::Nonlinear;
    switch (ins.op) {
      case OpCode::Add: case OpCode::Sub: out = join(a, b); break;
      case OpCode::Mul:
        out = (a == Degree::Free || b == Degree::Free) ? join(a, b) : Degree::Nonlinear;
        break;
      case OpCode::Div: out = b == Degree::Free ? a : Degree::Nonlinear; break;
      default: out = (a == Degree::Free && b == Degree::Free) ? Degree::Free : Degree::Nonlinear; break;
    }
    stack.back() = out;
  }
  return !stack.empty() && stack.back() != Degree::Nonlinear;
}

std::vector<int> linear_parameters(const Expression& expression) {
  const std::size_t np = expression.parameters().size();
  std::vector<char> used(np, 0);  // a listed parameter may be absent: it is in nothing
  for (const Instruction& ins : expression.program())
    if (ins.op == OpCode::Param) used[static_cast<std::size_t>(ins.index)] = 1;
  std::vector<char> in_set(np, 0);
  std::vector<int> chosen;
  for (std::size_t j = 0; j < np; ++j) {
    if (!used[j]) continue;
    in_set[j] = 1;
    if (is_affine_in(expression.program(), in_set)) {
      chosen.push_back(static_cast<int>(j));
    } else {
      in_set[j] = 0;
    }
  }
  return chosen;
}

}  // namespace dvfskit

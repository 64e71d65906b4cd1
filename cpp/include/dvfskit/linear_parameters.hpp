// Which parameters of an expression enter it linearly: the expression is affine in them jointly
// (y = g(others) + sum_l c_l A_l(others)), read from the expression's postfix program. Variable
// projection solves such parameters exactly by linear least squares inside the nonlinear fit.
#pragma once

#include <vector>

#include "dvfskit/expression.hpp"

namespace dvfskit {

// How many operands an instruction takes from the stack (0, 1 or 2).
int operand_count(OpCode op);

// Whether the program is jointly affine in the parameters flagged in `in_set` (one flag per
// parameter): no product, quotient by, power or function of them, only sums of terms that are
// each a coefficient times a factor free of them.
bool is_affine_in(const std::vector<Instruction>& program, const std::vector<char>& in_set);

// A maximal set of the parameters in the expression that it is jointly affine in, chosen greedily
// in parameter order (for a*b*x + c: a and c), sorted by index.
std::vector<int> linear_parameters(const Expression& expression);

}  // namespace dvfskit

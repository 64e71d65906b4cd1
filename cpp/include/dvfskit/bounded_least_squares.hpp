// Linear least squares with bounds on the unknowns, min ||A x - b|| subject to lower <= x <= upper,
// for a few unknowns (at most kMaxUnknowns) and any number of rows: a Householder QR of A, then an
// active-set method (Lawson-Hanson, extended to two-sided bounds) on the small triangular system.
// The linear parameters of variable projection and of the starting-value grid are solved here.
#pragma once

#include <cstddef>
#include <vector>

namespace dvfskit {

// The 2-norm of x[0..n) without overflow or underflow of the squares.
double norm2(const double* x, std::size_t n);

// Householder QR of the m x k column-major matrix `a` (m >= k) in place: R in the upper
// triangle, the reflectors below it, their scalars in tau[0..k).
void householder_qr(double* a, std::size_t m, int k, double* tau);
// v := Q^T v and v := Q v for the Q of householder_qr (v holds m values).
void apply_qt(const double* a, std::size_t m, int k, const double* tau, double* v);
void apply_q(const double* a, std::size_t m, int k, const double* tau, double* v);

class BoundedLeastSquares {
 public:
  static constexpr int kMaxUnknowns = 16;

  // Solves for x (k values; lower/upper may hold infinities) and returns the residual sum of
  // squares. A (m x k column-major, m >= k) and b (m) are not modified. Reuses its buffers.
  double solve(const double* A, std::size_t m, int k, const double* b, const double* lower, const double* upper,
               double* x);

  // After solve(): whether unknown j ended on none of its bounds.
  bool is_free(int j) const { return state_[static_cast<std::size_t>(j)] == 0; }

  // After solve(): removes from each of the q columns of D (m x q column-major, in place) its
  // component in the span of the free columns of A (the orthogonal projector of variable
  // projection). A must still hold what solve() was given.
  void project_out(double* D, int q);

 private:
  std::size_t m_ = 0;
  int k_ = 0;
  std::vector<double> a_;      // factorised copy of A
  std::vector<double> tau_;
  std::vector<double> qtb_;    // Q^T b
  std::vector<double> af_;     // factorised free columns (when some unknowns sit on a bound)
  std::vector<double> tauf_;
  std::vector<double> scale_, lower_, upper_, x_;  // column norms; scaled bounds and unknowns
  std::vector<char> state_;    // 0 free, 1 at lower, 2 at upper
  const double* source_ = nullptr;
};

}  // namespace dvfskit

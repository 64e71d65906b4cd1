// A dense Levenberg-Marquardt solver with bounds for small problems (a few to about 16 unknowns,
// up to about 10^4 residuals): Marquardt's scaling by the Jacobian's column norms (so that steps
// do not depend on the units of the unknowns), Nielsen's damping update, bounds by projection with
// an active set (unknowns on a bound whose gradient points outward are held for the step), and
// tolerances relative to the cost and the unknowns (so that nothing depends on the scale of y).
// Ceres Solver's TinySolver (ceres/tiny_solver.h) is the reference design.
#pragma once

#include <string>
#include <vector>

#include "dvfskit/cancel.hpp"

namespace dvfskit {

class LeastSquaresProblem {
 public:
  virtual ~LeastSquaresProblem() = default;
  virtual int num_residuals() const = 0;
  virtual int num_unknowns() const = 0;
  // Residuals at x; false when they are not finite.
  virtual bool residuals(const double* x, double* r) = 0;
  // The Jacobian (column-major, num_residuals x num_unknowns) at the x of the last residuals()
  // call; false when it is not finite.
  virtual bool jacobian(const double* x, double* J) = 0;
};

struct LmOptions {
  int max_iterations = 1000;
  double function_tolerance = 1e-15;   // stop when a step lowers the cost by less than this fraction
  double gradient_tolerance = 1e-15;   // ... when every free gradient component, as a cosine, is below
  double parameter_tolerance = 1e-15;  // ... when a step is below this fraction of the (scaled) unknowns
  const CancelToken* cancel = nullptr;
};

struct LmSummary {
  double cost = 0.0;    // 0.5 * sum of squared residuals at the solution
  int iterations = 0;   // steps tried
  bool usable = false;  // x holds finite residuals
  bool converged = false;
  std::string message;
};

// Minimises 0.5 ||r(x)||^2 subject to lower <= x <= upper (infinities allowed) from x, which must
// lie within the bounds; x receives the solution. Reuses per-thread buffers (no allocation once
// warm). Throws Cancelled when options.cancel fires.
LmSummary levenberg_marquardt(LeastSquaresProblem& problem, double* x, const double* lower, const double* upper,
                              const LmOptions& options);

}  // namespace dvfskit

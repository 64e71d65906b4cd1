// Nonlinear least squares: bounds, fixed parameters, weights, robust losses, multi-start,
// covariance and goodness-of-fit statistics. Small plain least-squares problems run on the dense
// Levenberg-Marquardt solver (dense_lm.hpp) with the model's linear parameters projected out
// (variable_projection.hpp); robust losses and large problems run on Ceres Solver.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dvfskit/cancel.hpp"
#include "dvfskit/regression_model.hpp"

namespace dvfskit {

enum class Loss { Linear, Huber, SoftL1, Cauchy, Arctan };

// "linear", "huber", "soft_l1", "cauchy", "arctan"; throws std::invalid_argument otherwise.
Loss parse_loss(std::string_view name);

// Auto: Dense for plain least squares with at most kDenseMaxParameters parameters and
// kDenseMaxPoints points, else Ceres. Dense fits loss Linear only.
enum class Solver { Auto, Ceres, Dense };
constexpr std::size_t kDenseMaxParameters = 16;
constexpr std::size_t kDenseMaxPoints = 10000;

// "auto", "ceres", "dense"; throws std::invalid_argument otherwise.
Solver parse_solver(std::string_view name);

struct FitOptions {
  Loss loss = Loss::Linear;
  double loss_scale = 1.0;  // residual size where a robust loss starts to bend, in units of y
  int max_iterations = 1000;
  double function_tolerance = 1e-15;
  double gradient_tolerance = 1e-15;
  double parameter_tolerance = 1e-15;
  int starts = 1;           // start 0 is p0; others are spread deterministically (seeded)
  int retries = 8;          // further spread starts tried only while the solution has failed or is
                            // degenerate (a free parameter with no standard error, or one over
                            // 1e4 times its value); only a healthy, lower-cost solution replaces it
  std::uint64_t seed = 0;
  Solver solver = Solver::Auto;
  const CancelToken* cancel = nullptr;  // checked between starts, retries and iterations
};

struct ParameterSpec {
  std::vector<std::string> names;  // used in error messages
  std::vector<double> initial;
  std::vector<double> lower;       // -inf where unbounded
  std::vector<double> upper;       // +inf where unbounded
  std::vector<char> fixed;         // 1 where held at `initial`
  std::vector<char> given;         // 1 where `initial` comes from the user (may be empty: none)
};

struct FitOutput {
  std::vector<double> params;
  std::vector<double> stderr_;      // NaN where not available (fixed, at a bound, rank-deficient)
  std::vector<double> covariance;   // row-major P x P, NaN rows/columns where not available
  std::vector<char> at_bound;       // 1 where a free parameter ended on a bound
  std::vector<double> prediction;   // model at the solution, one per point
  double rss = 0.0;                 // weighted sum of squared residuals
  double rmse = 0.0;                // sqrt(mean((y - prediction)^2)), unweighted
  double r2 = 0.0;                  // 1 - sum (y - pred)^2 / sum (y - mean y)^2, unweighted
  double mape = 0.0;                // mean |y - pred| / |y| over points with y != 0, in percent
  double aic = 0.0;                 // m ln(rss / m) + 2 k, m points of positive weight
  double bic = 0.0;                 // m ln(rss / m) + k ln(m)
  std::size_t n = 0;                // points (also those of weight 0)
  std::size_t num_free = 0;         // k: parameters estimated (not fixed)
  long dof = 0;                     // points of positive weight - k
  bool success = false;
  std::string message;
  int iterations = 0;
  int best_start = 0;               // 0: spec.initial; then further and spread starts in order
};

// Validates the spec against the data (throws std::invalid_argument naming the parameter at
// fault) and fits. `weights` may be null. Thread-safe for distinct outputs. Throws Cancelled when
// options.cancel fires.
FitOutput fit(const RegressionModel& model, const double* y, const double* weights,
              const ParameterSpec& spec, const FitOptions& options);

// As above, with further starting points (full parameter vectors within the bounds, e.g. from
// grid_starts) tried after spec.initial and before the spread starts; the lowest cost wins.
// best_start counts the starts in that order.
FitOutput fit(const RegressionModel& model, const double* y, const double* weights, const ParameterSpec& spec,
              const FitOptions& options, const std::vector<std::vector<double>>& more_starts);

}  // namespace dvfskit

#include "dvfskit/fit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>

#include <Eigen/Dense>
#include <ceres/ceres.h>
#include <ceres/manifold.h>

#include "dvfskit/bounded_least_squares.hpp"
#include "dvfskit/dense_lm.hpp"
#include "dvfskit/variable_projection.hpp"

namespace dvfskit {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Ceres evaluates all residual blocks at the same parameters in turn; the model is evaluated once
// for all points and cached.
class PredictionCache {
 public:
  explicit PredictionCache(const RegressionModel& model)
      : model_(model),
        np_(model.num_parameters()),
        prediction_(model.num_points()),
        jacobian_(model.num_points() * model.num_parameters()) {}

  void update(const double* p, bool need_jacobian) {
    const bool same = valid_ && std::equal(p, p + np_, key_.begin());
    if (same && (has_jacobian_ || !need_jacobian)) return;
    key_.assign(p, p + np_);
    model_.predict(p, prediction_.data(), need_jacobian ? jacobian_.data() : nullptr);
    has_jacobian_ = need_jacobian;
    valid_ = true;
  }
  double prediction(std::size_t i) const { return prediction_[i]; }
  const double* jacobian_row(std::size_t i) const { return jacobian_.data() + i * np_; }

 private:
  const RegressionModel& model_;
  std::size_t np_;
  std::vector<double> key_;
  std::vector<double> prediction_;
  std::vector<double> jacobian_;
  bool valid_ = false;
  bool has_jacobian_ = false;
};

// Residuals r_i = sqrt(w_i) * (prediction_i - y_i) for points first .. first+count-1. A robust
// loss acts on a block's squared norm, so robust fits use one point per block; plain least
// squares uses a single block for all points (less overhead per iteration).
class RangeResidual final : public ceres::CostFunction {
 public:
  RangeResidual(PredictionCache& cache, std::size_t first, std::size_t count, const double* y,
                const double* weights, int np)
      : cache_(cache), first_(first), y_(y + first), weights_(weights ? weights + first : nullptr) {
    set_num_residuals(static_cast<int>(count));
    mutable_parameter_block_sizes()->push_back(np);
  }
  bool Evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    const bool need_jacobian = jacobians != nullptr && jacobians[0] != nullptr;
    cache_.update(parameters[0], need_jacobian);
    const int np = parameter_block_sizes()[0];
    for (int k = 0; k < num_residuals(); ++k) {
      const double sqrt_w = weights_ != nullptr ? std::sqrt(weights_[k]) : 1.0;
      const std::size_t i = first_ + static_cast<std::size_t>(k);
      residuals[k] = sqrt_w * (cache_.prediction(i) - y_[k]);
      if (!std::isfinite(residuals[k])) return false;
      if (need_jacobian) {
        const double* row = cache_.jacobian_row(i);
        double* out = jacobians[0] + static_cast<std::size_t>(k) * static_cast<std::size_t>(np);
        for (int j = 0; j < np; ++j) {
          out[j] = sqrt_w * row[j];
          if (!std::isfinite(out[j])) return false;
        }
      }
    }
    return true;
  }

 private:
  PredictionCache& cache_;
  std::size_t first_;
  const double* y_;
  const double* weights_;
};

std::unique_ptr<ceres::LossFunction> make_loss(Loss loss, double scale) {
  switch (loss) {
    case Loss::Linear: return nullptr;
    case Loss::Huber: return std::make_unique<ceres::HuberLoss>(scale);
    case Loss::SoftL1: return std::make_unique<ceres::SoftLOneLoss>(scale);
    case Loss::Cauchy: return std::make_unique<ceres::CauchyLoss>(scale);
    case Loss::Arctan: return std::make_unique<ceres::ArctanLoss>(scale);
  }
  return nullptr;
}

std::string name_of(const ParameterSpec& spec, std::size_t j) {
  return j < spec.names.size() ? "'" + spec.names[j] + "'" : "#" + std::to_string(j);
}

std::size_t positive_weights(const double* weights, std::size_t n) {
  if (weights == nullptr) return n;
  return static_cast<std::size_t>(std::count_if(weights, weights + n, [](double w) { return w > 0.0; }));
}

void validate(const RegressionModel& model, const double* y, const double* weights,
              const ParameterSpec& spec, const FitOptions& options) {
  const std::size_t np = model.num_parameters();
  const std::size_t n = model.num_points();
  auto fail = [](const std::string& m) { throw std::invalid_argument(m); };
  if (spec.initial.size() != np || spec.lower.size() != np || spec.upper.size() != np ||
      spec.fixed.size() != np)
    fail("the model has " + std::to_string(np) + " parameters; the specification gives a different count");
  std::size_t num_free = 0;
  for (std::size_t j = 0; j < np; ++j) {
    const std::string name = name_of(spec, j);
    if (!std::isfinite(spec.initial[j])) fail("initial value of parameter " + name + " is not finite");
    if (std::isnan(spec.lower[j]) || std::isnan(spec.upper[j])) fail("bound of parameter " + name + " is NaN");
    if (spec.lower[j] > spec.upper[j]) fail("parameter " + name + ": lower bound exceeds upper bound");
    if (!spec.fixed[j]) {
      ++num_free;
      if (spec.initial[j] < spec.lower[j] || spec.initial[j] > spec.upper[j]) {
        std::ostringstream m;
        m << "initial value " << spec.initial[j] << " of parameter " << name << " lies outside its bounds ["
          << spec.lower[j] << ", " << spec.upper[j] << "]";
        fail(m.str());
      }
    }
  }
  if (n < num_free)
    fail(std::to_string(n) + " data points cannot determine " + std::to_string(num_free) + " free parameters");
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(y[i])) fail("y[" + std::to_string(i) + "] is not finite");
    if (weights != nullptr && !(std::isfinite(weights[i]) && weights[i] >= 0.0))
      fail("weights[" + std::to_string(i) + "] must be finite and >= 0");
  }
  const std::size_t positive = positive_weights(weights, n);
  if (weights != nullptr && positive == 0) fail("weights are all zero: nothing to fit");
  if (positive < num_free)
    fail("weights: only " + std::to_string(positive) + " points have a positive weight; they cannot determine " +
         std::to_string(num_free) + " free parameters");
  if (!(options.loss_scale > 0.0) || !std::isfinite(options.loss_scale)) fail("loss_scale must be positive and finite");
  if (options.max_iterations < 1) fail("max_iterations must be at least 1");
  if (options.starts < 1) fail("starts must be at least 1");
  if (options.retries < 0) fail("retries must be at least 0");
  if (options.solver == Solver::Dense && options.loss != Loss::Linear)
    fail("solver 'dense' fits loss 'linear' only; use solver 'ceres' or 'auto' for robust losses");
}

// Deterministic start `k` (k >= 1): a spread within the bounds, or around p0 where unbounded.
std::vector<double> spread_start(const ParameterSpec& spec, int k, std::uint64_t seed) {
  std::mt19937_64 rng(seed * 1000003ULL + static_cast<std::uint64_t>(k));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> p = spec.initial;
  for (std::size_t j = 0; j < p.size(); ++j) {
    if (spec.fixed[j]) continue;
    const double lo = spec.lower[j];
    const double hi = spec.upper[j];
    const double u = unit(rng);
    if (std::isfinite(lo) && std::isfinite(hi)) {
      p[j] = (lo > 0.0 && hi / lo > 1e3) ? lo * std::pow(hi / lo, u) : lo + u * (hi - lo);
    } else {
      const double base = spec.initial[j] != 0.0 ? spec.initial[j] : 1.0;
      p[j] = base * std::pow(10.0, 2.0 * u - 1.0);
      p[j] = std::clamp(p[j], lo, hi);
    }
  }
  return p;
}

struct SolveRun {
  std::vector<double> params;
  double cost = std::numeric_limits<double>::infinity();
  bool converged = false;
  bool usable = false;
  int iterations = 0;
  int start = 0;
  std::string message;
};

// Ceres cannot be left by an exception: the callback aborts the solve and remembers why.
class CancelCallback final : public ceres::IterationCallback {
 public:
  explicit CancelCallback(const CancelToken* token) : token_(token) {}
  ceres::CallbackReturnType operator()(const ceres::IterationSummary&) override {
    try {
      check(token_);
    } catch (const Cancelled&) {
      cancelled_ = true;
      return ceres::SOLVER_ABORT;
    }
    return ceres::SOLVER_CONTINUE;
  }
  bool cancelled() const { return cancelled_; }

 private:
  const CancelToken* token_;
  bool cancelled_ = false;
};

SolveRun solve_from(const RegressionModel& model, const double* y, const double* weights,
                    const ParameterSpec& spec, const FitOptions& options, std::vector<double> start) {
  const std::size_t n = model.num_points();
  const int np = static_cast<int>(model.num_parameters());
  SolveRun run;
  run.params = std::move(start);

  PredictionCache cache(model);
  cache.update(run.params.data(), true);
  for (std::size_t i = 0; i < n; ++i) {
    const double* row = cache.jacobian_row(i);
    if (!std::isfinite(cache.prediction(i)) || !std::all_of(row, row + np, [](double v) { return std::isfinite(v); })) {
      run.message = "the model or its derivatives are not finite at the starting values (data point " +
                    std::to_string(i) + ")";
      return run;
    }
  }
  const std::unique_ptr<ceres::LossFunction> loss = make_loss(options.loss, options.loss_scale);
  std::vector<std::unique_ptr<RangeResidual>> residuals;
  ceres::Problem::Options problem_options;
  problem_options.cost_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  problem_options.loss_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  problem_options.manifold_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  problem_options.enable_fast_removal = false;
  ceres::Problem problem(problem_options);
  double* p = run.params.data();
  problem.AddParameterBlock(p, np);
  const std::size_t block = loss ? 1 : n;
  for (std::size_t first = 0; first < n; first += block) {
    residuals.push_back(std::make_unique<RangeResidual>(cache, first, block, y, weights, np));
    problem.AddResidualBlock(residuals.back().get(), loss.get(), p);
  }

  std::vector<int> fixed_indices;
  for (int j = 0; j < np; ++j) {
    if (spec.fixed[j]) {
      fixed_indices.push_back(j);
      continue;
    }
    if (std::isfinite(spec.lower[j])) problem.SetParameterLowerBound(p, j, spec.lower[j]);
    if (std::isfinite(spec.upper[j])) problem.SetParameterUpperBound(p, j, spec.upper[j]);
  }
  std::unique_ptr<ceres::SubsetManifold> subset;
  if (static_cast<int>(fixed_indices.size()) == np) {
    problem.SetParameterBlockConstant(p);
  } else if (!fixed_indices.empty()) {
    subset = std::make_unique<ceres::SubsetManifold>(np, fixed_indices);
    problem.SetManifold(p, subset.get());
  }

  ceres::Solver::Options solver_options;
  solver_options.minimizer_type = ceres::TRUST_REGION;
  solver_options.trust_region_strategy_type = ceres::LEVENBERG_MARQUARDT;
  solver_options.linear_solver_type = ceres::DENSE_NORMAL_CHOLESKY;
  solver_options.max_num_iterations = options.max_iterations;
  solver_options.function_tolerance = options.function_tolerance;
  solver_options.gradient_tolerance = options.gradient_tolerance;
  solver_options.parameter_tolerance = options.parameter_tolerance;
  solver_options.num_threads = 1;
  solver_options.logging_type = ceres::SILENT;
  solver_options.minimizer_progress_to_stdout = false;
  CancelCallback cancel(options.cancel);
  if (options.cancel != nullptr) solver_options.callbacks.push_back(&cancel);
  ceres::Solver::Summary summary;
  ceres::Solve(solver_options, &problem, &summary);
  if (cancel.cancelled()) throw Cancelled();

  run.cost = summary.final_cost;
  run.usable = summary.IsSolutionUsable() && std::isfinite(summary.final_cost);
  run.converged = summary.termination_type == ceres::CONVERGENCE;
  run.iterations = summary.iterations.empty() ? 0 : static_cast<int>(summary.iterations.size()) - 1;
  run.message = summary.message;
  if (summary.termination_type == ceres::NO_CONVERGENCE)
    run.message = "maximum number of iterations reached (" + std::to_string(options.max_iterations) + ")";
  return run;
}

// Ceres handles bounds by projecting steps: once a parameter reaches a bound the projected steps
// shrink and the parameter tolerance can stop the solve before the other parameters have
// converged. Re-solving with the parameters on a bound held there (an active set) finishes the
// job; the result is kept when it lowers the cost.
SolveRun solve_bounded(const RegressionModel& model, const double* y, const double* weights,
                       const ParameterSpec& spec, const FitOptions& options, std::vector<double> start) {
  SolveRun run = solve_from(model, y, weights, spec, options, std::move(start));
  if (!run.usable) return run;
  ParameterSpec active = spec;
  bool any = false;
  for (std::size_t j = 0; j < spec.initial.size(); ++j) {
    if (spec.fixed[j] || !(run.params[j] <= spec.lower[j] || run.params[j] >= spec.upper[j])) continue;
    active.fixed[j] = 1;
    any = true;
  }
  if (!any || std::all_of(active.fixed.begin(), active.fixed.end(), [](char f) { return f != 0; })) return run;
  SolveRun polished = solve_from(model, y, weights, active, options, run.params);
  if (!polished.usable || !(polished.cost < run.cost)) return run;
  polished.iterations += run.iterations;
  return polished;
}

// The free parameters the model is linear in (at most BoundedLeastSquares::kMaxUnknowns).
std::vector<int> free_linear(const RegressionModel& model, const ParameterSpec& spec) {
  std::vector<int> linear;
  for (int j : model.linear_parameters())
    if (!spec.fixed[static_cast<std::size_t>(j)] && linear.size() < BoundedLeastSquares::kMaxUnknowns)
      linear.push_back(j);
  return linear;
}

// Starting values the user gave for every free linear parameter carry information variable
// projection would discard (which of two exchangeable terms is which, for example): the full
// problem is solved from them first.
bool honours_linear_start(const RegressionModel& model, const ParameterSpec& spec) {
  const std::vector<int> linear = free_linear(model, spec);
  return !linear.empty() && std::all_of(linear.begin(), linear.end(), [&](int j) {
    return static_cast<std::size_t>(j) < spec.given.size() && spec.given[static_cast<std::size_t>(j)] != 0;
  });
}

// The dense solver: Levenberg-Marquardt over the free parameters, or over the free nonlinear
// ones only with the linear ones projected out (solved exactly at every step).
SolveRun solve_dense(const RegressionModel& model, const double* y, const double* sqrt_weights,
                     const ParameterSpec& spec, const FitOptions& options, std::vector<double> start, bool project) {
  const std::size_t np = model.num_parameters();
  std::vector<int> linear, unknowns;
  if (project) linear = free_linear(model, spec);
  for (std::size_t j = 0; j < np; ++j) {
    const int jj = static_cast<int>(j);
    if (!spec.fixed[j] && std::find(linear.begin(), linear.end(), jj) == linear.end()) unknowns.push_back(jj);
  }
  std::vector<double> x, lower, upper;
  for (int j : unknowns) {
    const auto jj = static_cast<std::size_t>(j);
    x.push_back(std::clamp(start[jj], spec.lower[jj], spec.upper[jj]));
    lower.push_back(spec.lower[jj]);
    upper.push_back(spec.upper[jj]);
  }
  LmOptions lm;
  lm.max_iterations = options.max_iterations;
  lm.function_tolerance = options.function_tolerance;
  lm.gradient_tolerance = options.gradient_tolerance;
  lm.parameter_tolerance = options.parameter_tolerance;
  lm.cancel = options.cancel;
  const WeightedData data{model, y, sqrt_weights};
  SolveRun run;
  LmSummary summary;
  // The solution's parameters: those of the last Jacobian (the last accepted point), not of
  // the last trial; without one (no nonlinear parameter, or an unusable start), those of the
  // single evaluation.
  if (linear.empty()) {
    ResidualProblem problem(data, std::move(start), unknowns);
    summary = levenberg_marquardt(problem, x.data(), lower.data(), upper.data(), lm);
    run.params = problem.solution().empty() ? problem.parameters() : problem.solution();
  } else {
    ProjectedProblem problem(data, std::move(start), unknowns, linear, spec.lower, spec.upper);
    summary = levenberg_marquardt(problem, x.data(), lower.data(), upper.data(), lm);
    run.params = problem.solution().empty() ? problem.parameters() : problem.solution();
  }
  run.cost = summary.cost;
  run.usable = summary.usable && std::isfinite(summary.cost);
  run.converged = summary.converged;
  run.iterations = summary.iterations;
  run.message = summary.message;
  return run;
}

bool use_dense(const RegressionModel& model, const FitOptions& options) {
  if (options.solver != Solver::Auto) return options.solver == Solver::Dense;
  return options.loss == Loss::Linear && model.num_parameters() <= kDenseMaxParameters &&
         model.num_points() <= kDenseMaxPoints;
}

// Sums over residuals scaled by a power of two near 1 / max|y| (exact), so that statistics neither
// overflow nor underflow whatever the units of y; rss is then scaled back.
void fill_statistics(FitOutput& out, const double* y, const double* weights) {
  const std::size_t n = out.n;
  double largest = 0.0;
  for (std::size_t i = 0; i < n; ++i) largest = std::max(largest, std::fabs(y[i]));
  const int exponent = largest > 0.0 ? std::ilogb(largest) : 0;
  const auto scaled = [exponent](double v) { return std::ldexp(v, -exponent); };
  double sum_y = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum_y += scaled(y[i]);
  const double mean_y = sum_y / static_cast<double>(n);
  double rss = 0.0, sse = 0.0, sst = 0.0, ape = 0.0;
  std::size_t nonzero = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double r = scaled(y[i]) - scaled(out.prediction[i]);
    rss += (weights != nullptr ? weights[i] : 1.0) * r * r;
    sse += r * r;
    sst += (scaled(y[i]) - mean_y) * (scaled(y[i]) - mean_y);
    if (y[i] != 0.0) {
      ape += std::fabs((y[i] - out.prediction[i]) / y[i]);
      ++nonzero;
    }
  }
  const double dn = static_cast<double>(n);
  const double m = static_cast<double>(positive_weights(weights, n));
  const double k = static_cast<double>(out.num_free);
  out.rss = std::ldexp(rss, 2 * exponent);
  out.rmse = std::ldexp(std::sqrt(sse / dn), exponent);
  out.r2 = sst > 0.0 ? 1.0 - sse / sst : kNaN;
  out.mape = nonzero > 0 ? 100.0 * ape / static_cast<double>(nonzero) : kNaN;
  // A perfect fit has rss == 0: log(0) = -inf is the honest information criterion there.
  const double log_rss = std::log(rss / m) + 2.0 * exponent * std::log(2.0);
  out.aic = m * log_rss + 2.0 * k;
  out.bic = m * log_rss + k * std::log(m);
}

// (sigma / s)^2 V V^T from the SVD of R (Matrix: fixed-size or dynamic Eigen matrix).
template <typename Matrix>
bool covariance_from_r(const Matrix& R, std::size_t n, double sigma, Matrix& C) {
  const Eigen::JacobiSVD<Matrix> svd(R, Eigen::ComputeFullV);
  const auto& s = svd.singularValues();
  const double tolerance = s(0) * static_cast<double>(std::max<std::size_t>(n, static_cast<std::size_t>(R.cols()))) *
                           std::numeric_limits<double>::epsilon();
  if (!(s(s.size() - 1) > tolerance)) return false;
  const auto& V = svd.matrixV();
  C.resize(R.cols(), R.cols());
  C.setZero();
  for (Eigen::Index k = 0; k < s.size(); ++k) {
    const double scale = (sigma / s(k)) * (sigma / s(k));
    C.noalias() += scale * V.col(k) * V.col(k).transpose();
  }
  return true;
}

// Covariance = (J^T J)^-1 * rss / dof over the free parameters not pinned at a bound (`active`;
// `jacobian`: d prediction / d active parameter, column-major, unweighted), from the SVD of the
// triangular factor of the weighted Jacobian at the solution (stable for ill-conditioned problems).
void fill_covariance(FitOutput& out, const std::vector<int>& active, std::vector<double>& jacobian,
                     const double* weights) {
  const std::size_t n = out.n;
  const std::size_t np = out.params.size();
  out.covariance.assign(np * np, kNaN);
  out.stderr_.assign(np, kNaN);
  if (active.empty() || out.dof <= 0) return;

  const std::size_t k = active.size();
  thread_local std::vector<double> tau;
  tau.resize(k);
  for (std::size_t a = 0; a < k && weights != nullptr; ++a)
    for (std::size_t i = 0; i < n; ++i) jacobian[a * n + i] *= std::sqrt(weights[i]);
  if (!std::all_of(jacobian.begin(), jacobian.end(), [](double v) { return std::isfinite(v); })) {
    out.message += "; the Jacobian at the solution is not finite: no standard errors";
    return;
  }
  // Columns scaled to unit norm first: the rank test and the covariance do not depend on the
  // units of the parameters, however different (C = D^-1 C' D^-1).
  thread_local std::vector<double> column_scale;
  column_scale.assign(k, 1.0);
  for (std::size_t a = 0; a < k; ++a) {
    double* column = jacobian.data() + a * n;
    const double sum = norm2(column, n);
    if (sum > 0.0 && std::isfinite(sum)) {
      column_scale[a] = sum;
      for (std::size_t i = 0; i < n; ++i) column[i] /= sum;
    }
  }
  householder_qr(jacobian.data(), n, static_cast<int>(k), tau.data());
  const double sigma = std::sqrt(out.rss / static_cast<double>(out.dof));
  const auto fill = [&](const auto& C) {
    for (std::size_t a = 0; a < k; ++a) {
      for (std::size_t b = 0; b < k; ++b)
        out.covariance[static_cast<std::size_t>(active[a]) * np + static_cast<std::size_t>(active[b])] =
            C(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) / (column_scale[a] * column_scale[b]);
      out.stderr_[static_cast<std::size_t>(active[a])] =
          std::sqrt(C(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(a))) / column_scale[a];
    }
  };
  const auto upper = [&](auto& R) {
    R.setZero();
    for (std::size_t c = 0; c < k; ++c)
      for (std::size_t r = 0; r <= c; ++r)
        R(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = jacobian[c * n + r];
  };
  bool ok = false;
  if (k <= kDenseMaxParameters) {
    using Small = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor, 16, 16>;
    Small R(k, k), C;
    upper(R);
    ok = covariance_from_r(R, n, sigma, C);
    if (ok) fill(C);
  } else {
    Eigen::MatrixXd R(k, k), C;
    upper(R);
    ok = covariance_from_r(R, n, sigma, C);
    if (ok) fill(C);
  }
  if (!ok) out.message += "; the Jacobian at the solution is rank-deficient: no standard errors";
}

FitOutput summarize(const SolveRun& run, const RegressionModel& model, const double* y,
                    const double* weights, const ParameterSpec& spec) {
  const std::size_t np = model.num_parameters();
  const std::size_t n = model.num_points();
  FitOutput out;
  out.n = n;
  out.params = run.params;
  out.num_free = static_cast<std::size_t>(std::count(spec.fixed.begin(), spec.fixed.end(), 0));
  out.dof = static_cast<long>(positive_weights(weights, n)) - static_cast<long>(out.num_free);
  out.success = run.usable && run.converged;
  out.message = run.message;
  out.iterations = run.iterations;
  out.best_start = run.start;
  out.at_bound.assign(np, 0);
  for (std::size_t j = 0; j < np; ++j) {
    if (spec.fixed[j]) continue;
    out.at_bound[j] = out.params[j] <= spec.lower[j] || out.params[j] >= spec.upper[j];
  }
  // One evaluation gives the predictions and the Jacobian the covariance needs.
  std::vector<int> active;
  for (std::size_t j = 0; j < np; ++j)
    if (!spec.fixed[j] && !out.at_bound[j]) active.push_back(static_cast<int>(j));
  if (out.dof <= 0) active.clear();
  thread_local std::vector<double> jacobian;
  jacobian.resize(n * active.size());
  out.prediction.resize(n);
  model.predict_subset(out.params.data(), active.data(), static_cast<int>(active.size()), out.prediction.data(),
                       active.empty() ? nullptr : jacobian.data());
  fill_statistics(out, y, weights);
  fill_covariance(out, active, jacobian, weights);
  return out;
}

// Converged, and the data determine every free parameter off its bounds: a standard error
// exists (when there are degrees of freedom to estimate one) and is below 1e4 times the value.
bool healthy(const FitOutput& out, const ParameterSpec& spec) {
  if (!out.success) return false;
  if (out.dof <= 0) return true;
  for (std::size_t j = 0; j < out.params.size(); ++j) {
    if (spec.fixed[j] || out.at_bound[j]) continue;
    if (!(out.stderr_[j] <= 1e4 * std::fabs(out.params[j]))) return false;
  }
  return true;
}

}  // namespace

Loss parse_loss(std::string_view name) {
  if (name == "linear") return Loss::Linear;
  if (name == "huber") return Loss::Huber;
  if (name == "soft_l1") return Loss::SoftL1;
  if (name == "cauchy") return Loss::Cauchy;
  if (name == "arctan") return Loss::Arctan;
  throw std::invalid_argument("unknown loss '" + std::string(name) +
                              "': use linear, huber, soft_l1, cauchy or arctan");
}

Solver parse_solver(std::string_view name) {
  if (name == "auto") return Solver::Auto;
  if (name == "ceres") return Solver::Ceres;
  if (name == "dense") return Solver::Dense;
  throw std::invalid_argument("unknown solver '" + std::string(name) + "': use auto, ceres or dense");
}

FitOutput fit(const RegressionModel& model, const double* y, const double* weights,
              const ParameterSpec& spec, const FitOptions& options) {
  return fit(model, y, weights, spec, options, {});
}

FitOutput fit(const RegressionModel& model, const double* y, const double* weights, const ParameterSpec& spec,
              const FitOptions& options, const std::vector<std::vector<double>>& more_starts) {
  validate(model, y, weights, spec, options);
  for (const std::vector<double>& start : more_starts) {
    bool inside = start.size() == spec.initial.size();
    for (std::size_t j = 0; j < start.size() && inside; ++j)
      inside = spec.fixed[j] ? start[j] == spec.initial[j] : (start[j] >= spec.lower[j] && start[j] <= spec.upper[j]);
    if (!inside) throw std::invalid_argument("a further starting point lies outside the bounds or moves a fixed parameter");
  }
  const bool dense = use_dense(model, options);
  std::vector<double> sqrt_weights;
  if (weights != nullptr) {
    sqrt_weights.resize(model.num_points());
    for (std::size_t i = 0; i < sqrt_weights.size(); ++i) sqrt_weights[i] = std::sqrt(weights[i]);
  }
  const auto solve = [&](std::vector<double> start, bool project) {
    check(options.cancel);
    return dense ? solve_dense(model, y, weights ? sqrt_weights.data() : nullptr, spec, options, std::move(start),
                               project)
                 : solve_bounded(model, y, weights, spec, options, std::move(start));
  };
  const bool full_first = dense && honours_linear_start(model, spec);

  // Start 0 is p0, then the further starting points, then starts 1..starts-1 spread. Only usable
  // runs can replace the first.
  SolveRun best;
  const int extra = static_cast<int>(more_starts.size());
  for (int k = 0; k < options.starts + extra; ++k) {
    std::vector<double> start = k == 0       ? spec.initial
                                : k <= extra ? more_starts[static_cast<std::size_t>(k - 1)]
                                             : spread_start(spec, k - extra, options.seed);
    SolveRun run = solve(std::move(start), !(k == 0 && full_first));
    run.start = k;
    if (k == 0 || (run.usable && (!best.usable || run.cost < best.cost))) best = std::move(run);
  }
  FitOutput out = summarize(best, model, y, weights, spec);
  if (full_first && !healthy(out, spec)) {
    // the full problem failed from the given start: project the linear parameters out
    SolveRun run = solve(spec.initial, true);
    FitOutput candidate = summarize(run, model, y, weights, spec);
    if (healthy(candidate, spec) && (!out.success || candidate.rss < out.rss)) {
      candidate.message += " (with the linear parameters projected out, after the given starting values failed)";
      out = std::move(candidate);
    }
  }
  // A solution that failed or is degenerate (parameters the data cannot determine there, e.g. an
  // exponential driven to saturation) usually means a poor start: retry from further spread
  // starts until a healthy solution with a lower cost appears.
  for (int r = 0; r < options.retries && !healthy(out, spec); ++r) {
    SolveRun run = solve(spread_start(spec, options.starts + r, options.seed), true);
    run.start = options.starts + r;
    FitOutput candidate = summarize(run, model, y, weights, spec);
    if (healthy(candidate, spec) && (!out.success || candidate.rss < out.rss)) {
      candidate.message += " (after " + std::to_string(r + 1) + " restart" + (r == 0 ? "" : "s") +
                           " from a failed or degenerate solution)";
      out = std::move(candidate);
    }
  }
  return out;
}

}  // namespace dvfskit

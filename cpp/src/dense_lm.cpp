#include "dvfskit/dense_lm.hpp"

#include <algorithm>
#include <cmath>

#include <Eigen/Dense>

namespace dvfskit {

namespace {

struct Workspace {
  Eigen::VectorXd r, r_new, x_new, step, g, scale, column_norm, js, rhs, z;
  Eigen::MatrixXd J, H, M;
  Eigen::LLT<Eigen::MatrixXd> llt;
  std::vector<int> free, subset;
  std::vector<char> clamped;
};

Workspace& workspace(int n, int p) {
  thread_local Workspace w;
  w.r.resize(n);
  w.r_new.resize(n);
  w.js.resize(n);
  w.J.resize(n, p);
  w.x_new.resize(p);
  w.step.resize(p);
  w.g.resize(p);
  w.scale.resize(p);
  w.column_norm.resize(p);
  w.free.reserve(static_cast<std::size_t>(p));
  return w;
}

// The damped Gauss-Newton step on the free set, in the scaled unknowns z = scale * x:
// (H + mu I) z = -g. An unknown the step would carry past a bound is put on that bound and the step
// of the others solved again given that move, until the step stays within the bounds. Writes
// w.step (unscaled, zero off the free set); false when the damped system cannot be solved.
bool damped_step(Workspace& w, const Eigen::Map<Eigen::VectorXd>& x, const double* lower, const double* upper,
                 double mu) {
  const int nf = static_cast<int>(w.free.size());
  w.clamped.assign(static_cast<std::size_t>(nf), 0);
  w.z.resize(nf);
  for (int round = 0; round <= nf; ++round) {
    w.subset.clear();
    for (int a = 0; a < nf; ++a)
      if (!w.clamped[static_cast<std::size_t>(a)]) w.subset.push_back(a);
    const int ns = static_cast<int>(w.subset.size());
    if (ns == 0) break;
    w.M.resize(ns, ns);
    w.rhs.resize(ns);
    for (int u = 0; u < ns; ++u) {
      const int a = w.subset[static_cast<std::size_t>(u)];
      for (int v = 0; v < ns; ++v) w.M(u, v) = w.H(a, w.subset[static_cast<std::size_t>(v)]);
      w.M(u, u) += mu;
      const int j = w.free[static_cast<std::size_t>(a)];
      double rhs = -w.g(j) / w.scale(j);
      for (int c = 0; c < nf; ++c)
        if (w.clamped[static_cast<std::size_t>(c)]) rhs -= w.H(a, c) * w.z(c);
      w.rhs(u) = rhs;
    }
    w.llt.compute(w.M);
    if (w.llt.info() != Eigen::Success) return false;
    w.llt.solveInPlace(w.rhs);
    if (!w.rhs.allFinite()) return false;
    bool moved = false;
    for (int u = 0; u < ns; ++u) {
      const int a = w.subset[static_cast<std::size_t>(u)];
      const int j = w.free[static_cast<std::size_t>(a)];
      w.z(a) = w.rhs(u);
      const double target = x(j) + w.z(a) / w.scale(j);
      if (target < lower[j] || target > upper[j]) {
        w.clamped[static_cast<std::size_t>(a)] = 1;
        w.z(a) = w.scale(j) * ((target < lower[j] ? lower[j] : upper[j]) - x(j));
        moved = true;
      }
    }
    if (!moved) break;
  }
  w.step.setZero();
  for (int a = 0; a < nf; ++a) {
    const int j = w.free[static_cast<std::size_t>(a)];
    w.step(j) = w.z(a) / w.scale(j);
  }
  return w.step.allFinite();
}

}  // namespace

LmSummary levenberg_marquardt(LeastSquaresProblem& problem, double* x_data, const double* lower, const double* upper,
                              const LmOptions& options) {
  const int n = problem.num_residuals();
  const int p = problem.num_unknowns();
  LmSummary s;
  Workspace& w = workspace(n, p);
  Eigen::Map<Eigen::VectorXd> x(x_data, p);
  if (!problem.residuals(x_data, w.r.data())) {
    s.message = "the model is not finite at the starting values";
    return s;
  }
  s.usable = true;
  s.cost = 0.5 * w.r.squaredNorm();
  if (p == 0) {
    s.converged = true;
    s.message = "no nonlinear parameter to iterate on: solved by linear least squares";
    return s;
  }
  if (!problem.jacobian(x_data, w.J.data())) {
    s.usable = false;
    s.message = "the derivatives of the model are not finite at the starting values";
    return s;
  }
  w.scale.setZero();
  double mu = 1e-4;  // damping relative to the scaled normal matrix (unit diagonal at the start)
  double nu = 2.0;
  for (;;) {
    if (!(s.cost > 0.0)) {
      s.converged = true;
      s.message = "exact fit (zero residuals)";
      return s;
    }
    w.g.noalias() = w.J.transpose() * w.r;
    const double rnorm = std::sqrt(2.0 * s.cost);
    w.free.clear();
    double gradient = 0.0;
    for (int j = 0; j < p; ++j) {
      w.column_norm(j) = w.J.col(j).norm();
      w.scale(j) = std::max(w.scale(j), w.column_norm(j));
      const bool held = (x(j) <= lower[j] && w.g(j) > 0.0) || (x(j) >= upper[j] && w.g(j) < 0.0);
      if (held || !(w.scale(j) > 0.0)) continue;
      w.free.push_back(j);
      if (w.column_norm(j) > 0.0) gradient = std::max(gradient, std::fabs(w.g(j)) / (w.column_norm(j) * rnorm));
    }
    if (w.free.empty() || gradient <= options.gradient_tolerance) {
      s.converged = true;
      s.message = w.free.empty() ? "every parameter is held by a bound" : "Gradient tolerance reached";
      return s;
    }
    const int nf = static_cast<int>(w.free.size());
    w.H.resize(nf, nf);
    for (int a = 0; a < nf; ++a)
      for (int b = 0; b <= a; ++b) {
        const int ja = w.free[static_cast<std::size_t>(a)], jb = w.free[static_cast<std::size_t>(b)];
        const double v = w.J.col(ja).dot(w.J.col(jb)) / (w.scale(ja) * w.scale(jb));
        w.H(a, b) = v;
        w.H(b, a) = v;
      }
    for (;;) {
      if (s.iterations >= options.max_iterations) {
        s.message = "maximum number of iterations reached (" + std::to_string(options.max_iterations) + ")";
        return s;
      }
      check(options.cancel);
      ++s.iterations;
      if (!damped_step(w, x, lower, upper, mu)) {
        mu *= 10.0;
        if (mu > 1e32) break;
        continue;
      }
      for (int j = 0; j < p; ++j) w.x_new(j) = std::clamp(x(j) + w.step(j), lower[j], upper[j]);
      w.step = w.x_new - x;
      const double step_norm = w.step.cwiseProduct(w.scale).norm();
      const double x_norm = x.cwiseProduct(w.scale).norm();
      if (step_norm <= options.parameter_tolerance * (x_norm + options.parameter_tolerance)) {
        s.converged = true;
        s.message = "Parameter tolerance reached";
        return s;
      }
      // Converged when a short, nearly undamped step promises a decrease of the cost below the
      // function tolerance (the cost cannot be lowered further in a meaningful way).
      w.js.noalias() = w.J * w.step;
      const double predicted = -(w.g.dot(w.step) + 0.5 * w.js.squaredNorm());
      if (predicted >= 0.0 && predicted <= options.function_tolerance * s.cost && mu <= 1.0 &&
          step_norm <= 1e-3 * x_norm) {
        s.converged = true;
        s.message = "Function tolerance reached";
        return s;
      }
      // (a step the model itself does not favour, possible once bounds cut it, is rejected)
      const bool finite = predicted > 0.0 && problem.residuals(w.x_new.data(), w.r_new.data());
      double rho = -1.0, actual = 0.0;
      if (finite) {
        actual = s.cost - 0.5 * w.r_new.squaredNorm();
        if (actual > 0.0) rho = actual / predicted;
      }
      if (rho > 1e-3) {
        const double previous = s.cost;
        x = w.x_new;
        w.r.swap(w.r_new);
        s.cost = 0.5 * w.r.squaredNorm();
        if (!problem.jacobian(x_data, w.J.data())) {
          s.message = "the derivatives of the model are not finite at the solution";
          return s;
        }
        mu *= std::max(1.0 / 3.0, 1.0 - std::pow(2.0 * rho - 1.0, 3));
        nu = 2.0;
        if (actual <= options.function_tolerance * previous) {
          s.converged = true;
          s.message = "Function tolerance reached";
          return s;
        }
        break;
      }
      mu *= nu;
      nu *= 2.0;
      if (mu > 1e32) {
        s.converged = true;
        s.message = "no step lowers the cost further (converged to machine precision)";
        return s;
      }
    }
    if (mu > 1e32) {
      s.message = "the damped normal equations cannot be solved";
      return s;
    }
  }
}

}  // namespace dvfskit

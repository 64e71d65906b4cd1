#include "dvfskit/start_values.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <Eigen/Dense>

namespace dvfskit {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// min || A x - b || subject to lower <= x <= upper, for a handful of columns: the unconstrained
// solution when feasible, else every combination of free / at-lower / at-upper (3^k), the best
// feasible one kept. Returns the rss (infinity when no combination is feasible).
double bounded_least_squares(const Eigen::MatrixXd& A, const Eigen::VectorXd& b, const std::vector<double>& lower,
                             const std::vector<double>& upper, Eigen::VectorXd& x) {
  const int k = static_cast<int>(A.cols());
  // The unconstrained solution, when it lies within the bounds, is the bounded optimum (convex).
  x = A.colPivHouseholderQr().solve(b);
  bool inside = x.allFinite();
  for (int j = 0; j < k && inside; ++j) inside = x(j) >= lower[j] && x(j) <= upper[j];
  if (inside) return (A * x - b).squaredNorm();
  int combinations = 1;
  for (int j = 0; j < k; ++j) combinations *= 3;
  double best = kInf;
  Eigen::VectorXd candidate(k);
  for (int code = 0; code < combinations; ++code) {
    std::vector<int> free;
    Eigen::VectorXd rhs = b;
    bool valid = true;
    for (int j = 0, c = code; j < k; ++j, c /= 3) {
      const int state = c % 3;  // 0 free, 1 at lower, 2 at upper
      if (state == 0) {
        free.push_back(j);
        continue;
      }
      const double v = state == 1 ? lower[j] : upper[j];
      if (!std::isfinite(v)) {
        valid = false;
        break;
      }
      candidate(j) = v;
      rhs -= A.col(j) * v;
    }
    if (!valid) continue;
    if (!free.empty()) {
      Eigen::MatrixXd sub(A.rows(), static_cast<Eigen::Index>(free.size()));
      for (std::size_t a = 0; a < free.size(); ++a) sub.col(static_cast<Eigen::Index>(a)) = A.col(free[a]);
      const Eigen::VectorXd solution = sub.colPivHouseholderQr().solve(rhs);
      for (std::size_t a = 0; a < free.size(); ++a) {
        const double v = solution(static_cast<Eigen::Index>(a));
        if (!std::isfinite(v) || v < lower[free[a]] || v > upper[free[a]]) valid = false;
        candidate(free[a]) = v;
      }
    }
    if (!valid) continue;
    const double rss = (A * candidate - b).squaredNorm();
    if (rss < best) {
      best = rss;
      x = candidate;
    }
  }
  return best;
}

void check(const GridGuess& g, const ParameterSpec& spec) {
  const int np = static_cast<int>(spec.initial.size());
  auto fail = [](const std::string& m) { throw std::invalid_argument("grid guess: " + m); };
  if (g.searched.size() != g.grids.size()) fail("one grid is needed per searched parameter");
  if (g.linear.size() > 6) fail("at most 6 linear parameters");
  std::vector<int> seen;
  for (const std::vector<int>* list : {&g.linear, &g.searched})
    for (int j : *list) {
      if (j < 0 || j >= np) fail("parameter index out of range");
      if (std::find(seen.begin(), seen.end(), j) != seen.end()) fail("a parameter is listed twice");
      seen.push_back(j);
    }
  for (const std::vector<double>& grid : g.grids)
    if (grid.empty()) fail("a grid is empty");
}

double median_abs(const double* y, std::size_t n) {
  std::vector<double> a(y, y + n);
  for (double& v : a) v = std::fabs(v);
  std::nth_element(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n / 2), a.end());
  return a[n / 2];
}

}  // namespace

std::vector<double> grid_guess(const RegressionModel& model, const double* y, const double* weights,
                               const ParameterSpec& spec, const GridGuess& guess) {
  check(guess, spec);
  const std::size_t n = model.num_points();
  const std::size_t np = model.num_parameters();
  std::vector<double> best = spec.initial;
  if (n == 0) return best;

  // Fixed parameters are not guessed.
  std::vector<int> linear, searched;
  std::vector<const std::vector<double>*> grids;
  for (int j : guess.linear)
    if (!spec.fixed[j]) linear.push_back(j);
  for (std::size_t s = 0; s < guess.searched.size(); ++s)
    if (!spec.fixed[guess.searched[s]]) {
      searched.push_back(guess.searched[s]);
      grids.push_back(&guess.grids[s]);
    }

  std::vector<double> lower, upper;
  for (int j : linear) {
    lower.push_back(spec.lower[j]);
    upper.push_back(spec.upper[j]);
  }
  std::vector<double> p = spec.initial;
  std::vector<double> prediction(n), jacobian(n * np);
  Eigen::MatrixXd A(n, linear.size());
  Eigen::VectorXd b(n);
  Eigen::VectorXd x(linear.size());
  double best_rss = kInf;
  std::vector<std::size_t> index(searched.size(), 0);
  for (;;) {
    bool in_bounds = true;
    for (std::size_t s = 0; s < searched.size(); ++s) {
      const int j = searched[s];
      p[j] = (*grids[s])[index[s]];
      in_bounds = in_bounds && p[j] >= spec.lower[j] && p[j] <= spec.upper[j];
    }
    if (in_bounds) {
      for (int j : linear) p[j] = 0.0;  // prediction = offset + J_linear x (exact: linear in x)
      model.predict(p.data(), prediction.data(), jacobian.data());
      bool finite = true;
      for (std::size_t i = 0; i < n && finite; ++i) {
        const double sw = weights != nullptr ? std::sqrt(weights[i]) : 1.0;
        b(static_cast<Eigen::Index>(i)) = sw * (y[i] - prediction[i]);
        for (std::size_t a = 0; a < linear.size(); ++a)
          A(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(a)) = sw * jacobian[i * np + linear[a]];
        finite = std::isfinite(b(static_cast<Eigen::Index>(i))) &&
                 A.row(static_cast<Eigen::Index>(i)).allFinite();
      }
      if (finite) {
        const double rss = linear.empty() ? b.squaredNorm() : bounded_least_squares(A, b, lower, upper, x);
        if (rss < best_rss) {
          best_rss = rss;
          for (std::size_t a = 0; a < linear.size(); ++a) p[linear[a]] = x(static_cast<Eigen::Index>(a));
          best = p;
        }
      }
    }
    // next grid point (odometer)
    std::size_t s = 0;
    for (; s < searched.size(); ++s) {
      if (++index[s] < grids[s]->size()) break;
      index[s] = 0;
    }
    if (s == searched.size()) break;
  }

  const double scale = std::max(median_abs(y, n), 1e-12);
  for (std::size_t j = 0; j < np; ++j) {
    if (spec.fixed[j]) continue;
    const bool is_linear = std::find(linear.begin(), linear.end(), static_cast<int>(j)) != linear.end();
    const double lo = spec.lower[j], hi = spec.upper[j];
    const double range = (std::isfinite(lo) && std::isfinite(hi)) ? hi - lo : kInf;
    const double step = std::min(is_linear ? 1e-3 * scale : 0.01, 0.25 * range);
    if (best[j] <= lo) best[j] = lo + step;
    if (best[j] >= hi) best[j] = hi - step;
  }
  return best;
}

}  // namespace dvfskit

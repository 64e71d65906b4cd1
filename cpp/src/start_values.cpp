#include "dvfskit/start_values.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "dvfskit/bounded_least_squares.hpp"
#include "dvfskit/variable_projection.hpp"

namespace dvfskit {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kEdgeFactor = 1.25;

void check(const GridGuess& g, const ParameterSpec& spec) {
  const int np = static_cast<int>(spec.initial.size());
  auto fail = [](const std::string& m) { throw std::invalid_argument("grid guess: " + m); };
  if (g.searched.size() != g.grids.size()) fail("one grid is needed per searched parameter");
  if (g.linear.size() > static_cast<std::size_t>(BoundedLeastSquares::kMaxUnknowns)) fail("at most 16 linear parameters");
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

std::vector<std::vector<double>> grid_starts(const RegressionModel& model, const double* y, const double* weights,
                                             const ParameterSpec& spec, const GridGuess& guess, std::size_t count) {
  check(guess, spec);
  const std::size_t n = model.num_points();
  const std::size_t np = model.num_parameters();
  if (n == 0 || count == 0) return {spec.initial};

  // Fixed parameters are not guessed. The linear parameters are those the guess declares that the
  // model is affine in (all it declares for a model without an expression program).
  const auto contains = [](const std::vector<int>& v, int j) { return std::find(v.begin(), v.end(), j) != v.end(); };
  std::vector<int> searched, linear, nonlinear;
  std::vector<const std::vector<double>*> grids;
  for (std::size_t s = 0; s < guess.searched.size(); ++s)
    if (!spec.fixed[static_cast<std::size_t>(guess.searched[s])]) {
      searched.push_back(guess.searched[s]);
      grids.push_back(&guess.grids[s]);
    }
  const std::vector<int> affine = model.linear_parameters();
  for (int j : guess.linear)
    if (!spec.fixed[static_cast<std::size_t>(j)] && (affine.empty() || contains(affine, j))) linear.push_back(j);
  for (std::size_t j = 0; j < np; ++j)
    if (!spec.fixed[j] && !contains(linear, static_cast<int>(j))) nonlinear.push_back(static_cast<int>(j));
  if (n < linear.size()) return {spec.initial};  // too few points: fit() says so

  std::vector<double> sqrt_weights;
  if (weights != nullptr)
    for (std::size_t i = 0; i < n; ++i) sqrt_weights.push_back(std::sqrt(weights[i]));
  ProjectedProblem problem({model, y, weights != nullptr ? sqrt_weights.data() : nullptr}, spec.initial, nonlinear,
                           linear, spec.lower, spec.upper);
  std::vector<double> x;
  std::vector<std::size_t> position;  // of each searched parameter in x
  for (int j : nonlinear) x.push_back(spec.initial[static_cast<std::size_t>(j)]);
  for (int j : searched)
    position.push_back(static_cast<std::size_t>(std::find(nonlinear.begin(), nonlinear.end(), j) - nonlinear.begin()));
  // The reduced rss at every grid point (the first searched parameter varies fastest).
  std::vector<std::size_t> stride(searched.size() + 1, 1);
  for (std::size_t s = 0; s < searched.size(); ++s) stride[s + 1] = stride[s] * grids[s]->size();
  const auto set_point = [&](std::size_t flat) {
    bool in_bounds = true;
    for (std::size_t s = 0; s < searched.size(); ++s) {
      const auto j = static_cast<std::size_t>(searched[s]);
      x[position[s]] = (*grids[s])[(flat / stride[s]) % grids[s]->size()];
      in_bounds = in_bounds && x[position[s]] >= spec.lower[j] && x[position[s]] <= spec.upper[j];
    }
    return in_bounds;
  };
  std::vector<double> rss(stride.back(), kInf);
  std::size_t best_flat = rss.size();
  std::vector<double> best_parameters;  // kept: the best point need not be evaluated again
  for (std::size_t flat = 0; flat < rss.size(); ++flat) {
    if (!set_point(flat)) continue;
    rss[flat] = problem.reduced_rss(x.data());
    if (best_flat == rss.size() || rss[flat] < rss[best_flat]) {
      best_flat = flat;
      best_parameters = problem.parameters();
    }
  }
  // Local minima: no lower neighbour along any axis (ties go to the first in grid order).
  std::vector<std::size_t> minima;
  for (std::size_t flat = 0; flat < rss.size(); ++flat) {
    if (!std::isfinite(rss[flat])) continue;
    bool minimum = true;
    for (std::size_t s = 0; s < searched.size() && minimum; ++s) {
      const std::size_t at = (flat / stride[s]) % grids[s]->size();
      if (at > 0) minimum = rss[flat - stride[s]] > rss[flat];
      if (minimum && at + 1 < grids[s]->size()) minimum = rss[flat + stride[s]] >= rss[flat];
    }
    if (minimum) minima.push_back(flat);
  }
  std::stable_sort(minima.begin(), minima.end(), [&](std::size_t a, std::size_t b) { return rss[a] < rss[b]; });
  if (minima.size() > count) minima.resize(count);
  // Where the cost is nearly flat along an axis (a term whose coefficient is nearly zero), the
  // grid cannot tell basins apart: the best point on each end of each axis is tried as well
  // when it comes within kEdgeFactor of the best.
  if (count > 1 && !minima.empty()) {
    const double limit = kEdgeFactor * rss[minima.front()];
    for (std::size_t s = 0; s < searched.size(); ++s)
      for (const std::size_t end : {std::size_t{0}, grids[s]->size() - 1}) {
        std::size_t best = rss.size();
        for (std::size_t flat = 0; flat < rss.size(); ++flat)
          if ((flat / stride[s]) % grids[s]->size() == end && (best == rss.size() || rss[flat] < rss[best])) best = flat;
        if (best < rss.size() && rss[best] <= limit && std::find(minima.begin(), minima.end(), best) == minima.end())
          minima.push_back(best);
      }
  }

  double scale = median_abs(y, n);  // of y, so that the step does not depend on its units
  for (std::size_t i = 0; i < n && !(scale > 0.0); ++i) scale = std::max(scale, std::fabs(y[i]));
  if (!(scale > 0.0)) scale = 1.0;
  std::vector<std::vector<double>> starts;
  for (std::size_t flat : minima) {
    std::vector<double> p = best_parameters;
    if (flat != best_flat) {
      set_point(flat);
      problem.reduced_rss(x.data());
      p = problem.parameters();
    }
    for (std::size_t j = 0; j < np; ++j) {
      if (spec.fixed[j]) continue;
      const bool is_linear = contains(linear, static_cast<int>(j));
      const double lo = spec.lower[j], hi = spec.upper[j];
      const double range = (std::isfinite(lo) && std::isfinite(hi)) ? hi - lo : kInf;
      const double step = std::min(is_linear ? 1e-3 * scale : 0.01, 0.25 * range);
      if (p[j] <= lo) p[j] = lo + step;
      if (p[j] >= hi) p[j] = hi - step;
    }
    starts.push_back(std::move(p));
  }
  if (starts.empty()) starts.push_back(spec.initial);
  return starts;
}

std::vector<double> grid_guess(const RegressionModel& model, const double* y, const double* weights,
                               const ParameterSpec& spec, const GridGuess& guess) {
  return grid_starts(model, y, weights, spec, guess, 1).front();
}

FitOutput fit_with_guess(const RegressionModel& model, const double* y, const double* weights, const ParameterSpec& spec,
                         const FitOptions& options, const std::optional<GridGuess>& guess) {
  if (!guess || model.num_points() == 0) return fit(model, y, weights, spec, options);
  std::vector<std::vector<double>> starts = grid_starts(model, y, weights, spec, *guess, kGridStarts);
  ParameterSpec guessed = spec;
  guessed.initial = std::move(starts.front());
  starts.erase(starts.begin());
  return fit(model, y, weights, guessed, options, starts);
}

}  // namespace dvfskit

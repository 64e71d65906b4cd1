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

std::vector<double> grid_guess(const RegressionModel& model, const double* y, const double* weights,
                               const ParameterSpec& spec, const GridGuess& guess) {
  check(guess, spec);
  const std::size_t n = model.num_points();
  const std::size_t np = model.num_parameters();
  std::vector<double> best = spec.initial;
  if (n == 0) return best;

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

  if (n < linear.size()) return best;  // too few points: fit() says so
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
  double best_rss = kInf;
  std::vector<std::size_t> index(searched.size(), 0);
  for (;;) {
    bool in_bounds = true;
    for (std::size_t s = 0; s < searched.size(); ++s) {
      const auto j = static_cast<std::size_t>(searched[s]);
      x[position[s]] = (*grids[s])[index[s]];
      in_bounds = in_bounds && x[position[s]] >= spec.lower[j] && x[position[s]] <= spec.upper[j];
    }
    if (in_bounds) {
      const double rss = problem.reduced_rss(x.data());
      if (rss < best_rss) {
        best_rss = rss;
        best = problem.parameters();
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

  double scale = median_abs(y, n);  // of y, so that the step does not depend on its units
  for (std::size_t i = 0; i < n && !(scale > 0.0); ++i) scale = std::max(scale, std::fabs(y[i]));
  if (!(scale > 0.0)) scale = 1.0;
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

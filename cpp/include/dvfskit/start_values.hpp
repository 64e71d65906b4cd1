// Data-driven starting values: a grid over the parameters a model is nonlinear in, with the
// parameters it is linear in solved by bounded linear least squares at every grid point.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "dvfskit/fit.hpp"
#include "dvfskit/regression_model.hpp"

namespace dvfskit {

struct GridGuess {
  std::vector<int> linear;                 // indices of parameters the model is linear in
  std::vector<int> searched;               // indices of parameters searched on a grid
  std::vector<std::vector<double>> grids;  // candidate values of each searched parameter
};

// spec.initial with the searched parameters at the best grid point and the linear ones at their
// bounded least-squares values there; parameters in neither list, and fixed ones, keep their
// initial value. Free values are then moved strictly inside their bounds (a coefficient on a
// bound would leave its exponent without a gradient). Throws std::invalid_argument for a bad
// GridGuess. Thread-safe.
std::vector<double> grid_guess(const RegressionModel& model, const double* y, const double* weights,
                               const ParameterSpec& spec, const GridGuess& guess);

// Up to `count` starting points, best first: the grid points where the reduced residual sum of
// squares has no lower neighbour along any grid axis (one per basin of attraction, roughly), each
// completed and moved inside the bounds as grid_guess does; the first is grid_guess's result.
std::vector<std::vector<double>> grid_starts(const RegressionModel& model, const double* y, const double* weights,
                                             const ParameterSpec& spec, const GridGuess& guess, std::size_t count);

// Starting points taken from the grid of a GridGuess: its best local minima.
constexpr std::size_t kGridStarts = 3;

// fit() from the kGridStarts best starting points of grid_starts (spec.initial and fit() alone
// without a guess).
FitOutput fit_with_guess(const RegressionModel& model, const double* y, const double* weights, const ParameterSpec& spec,
                         const FitOptions& options, const std::optional<GridGuess>& guess);

}  // namespace dvfskit

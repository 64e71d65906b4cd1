// One expression fitted to many groups of rows at once, on a pool of threads.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "dvfskit/expression.hpp"
#include "dvfskit/fit.hpp"
#include "dvfskit/start_values.hpp"

namespace dvfskit {

struct GroupedData {
  std::vector<const double*> columns;  // one per expression input, all rows, groups contiguous
  const double* y = nullptr;
  const double* weights = nullptr;     // may be null
  std::vector<std::size_t> offsets;    // group g holds rows [offsets[g], offsets[g + 1])
};

// Fits every group with `spec`, its starting values replaced by row g of `initial` (groups x
// parameters, row-major) when that is not null. With `guess`, each group is fitted as
// fit_with_guess does, on that group's rows. A group whose input is invalid (too few
// points, p0 outside bounds, ...) does not sink the others: its FitOutput has success = false and
// the reason in `message`. Thread-safe; threads = 0 uses all cores. options.cancel is checked
// between groups (and within each fit); Cancelled is thrown once every thread has stopped.
std::vector<FitOutput> fit_groups(const Expression& expression, const GroupedData& data, const ParameterSpec& spec,
                                  const double* initial, const FitOptions& options,
                                  const std::optional<GridGuess>& guess, int threads);

}  // namespace dvfskit

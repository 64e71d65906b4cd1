#include "dvfskit/group_fit.hpp"

#include <limits>
#include <stdexcept>
#include <string>

#include "dvfskit/parallel.hpp"
#include "dvfskit/regression_model.hpp"

namespace dvfskit {

namespace {

FitOutput failed_group(const ParameterSpec& spec, std::size_t n, const std::string& reason) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::size_t np = spec.initial.size();
  FitOutput out;
  out.params = spec.initial;
  out.stderr_.assign(np, nan);
  out.covariance.assign(np * np, nan);
  out.at_bound.assign(np, 0);
  out.prediction.assign(n, nan);
  out.rss = out.rmse = out.r2 = out.mape = out.aic = out.bic = nan;
  out.n = n;
  out.success = false;
  out.message = reason;
  return out;
}

}  // namespace

std::vector<FitOutput> fit_groups(const Expression& expression, const GroupedData& data, const ParameterSpec& spec,
                                  const double* initial, const FitOptions& options,
                                  const std::optional<GridGuess>& guess, int threads) {
  if (data.offsets.empty()) throw std::invalid_argument("offsets must hold at least one entry");
  const std::size_t groups = data.offsets.size() - 1;
  const std::size_t np = expression.parameters().size();
  if (spec.initial.size() != np) throw std::invalid_argument("the specification does not match the expression");
  if (data.columns.size() != expression.inputs().size())
    throw std::invalid_argument("one data column is needed per expression input");
  for (std::size_t g = 0; g < groups; ++g)
    if (data.offsets[g + 1] < data.offsets[g]) throw std::invalid_argument("offsets must not decrease");

  const CompiledExpression compiled(expression);
  std::vector<FitOutput> outputs(groups);
  parallel_for(groups, threads, [&](std::size_t g) {
    const std::size_t first = data.offsets[g];
    const std::size_t n = data.offsets[g + 1] - first;
    std::vector<const double*> columns;
    for (const double* c : data.columns) columns.push_back(c + first);
    const double* y = data.y + first;
    const double* w = data.weights != nullptr ? data.weights + first : nullptr;
    thread_local ParameterSpec group_spec;  // reused: no allocation per group
    group_spec = spec;
    if (initial != nullptr) group_spec.initial.assign(initial + g * np, initial + (g + 1) * np);
    try {
      const ExpressionModel model(compiled, columns, n);
      outputs[g] = fit_with_guess(model, y, w, group_spec, options, guess);
    } catch (const Cancelled&) {
      throw;
    } catch (const std::exception& e) {
      outputs[g] = failed_group(group_spec, n, e.what());
    }
  }, options.cancel);
  return outputs;
}

}  // namespace dvfskit

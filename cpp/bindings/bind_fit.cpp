// Bindings for expressions and least-squares fits.
#include <algorithm>
#include <cmath>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "interrupt.hpp"
#include "dvfskit/expression.hpp"
#include "dvfskit/fit.hpp"
#include "dvfskit/group_fit.hpp"
#include "dvfskit/linear_parameters.hpp"
#include "dvfskit/regression_model.hpp"
#include "dvfskit/start_values.hpp"

namespace py = pybind11;

namespace dvfskit::bindings {

namespace {

using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

// Input columns as contiguous double arrays of one length; the arrays stay alive in `keep`.
std::vector<const double*> column_pointers(const std::vector<Array>& columns, std::size_t n) {
  std::vector<const double*> pointers;
  for (std::size_t k = 0; k < columns.size(); ++k) {
    if (columns[k].ndim() != 1 || static_cast<std::size_t>(columns[k].shape(0)) != n)
      throw std::invalid_argument("input column " + std::to_string(k) + " has length " +
                                  std::to_string(columns[k].size()) + ", expected " + std::to_string(n));
    pointers.push_back(columns[k].data());
  }
  return pointers;
}

// A Python callable f(params: ndarray) -> ndarray of n predictions, differentiated by central
// differences. Errors raised by the callable are kept and re-raised after the solve.
class CallableModel final : public RegressionModel {
 public:
  CallableModel(py::function f, std::size_t np, std::size_t n) : f_(std::move(f)), np_(np), n_(n) {}
  std::size_t num_parameters() const override { return np_; }
  std::size_t num_points() const override { return n_; }

  void predict(const double* p, double* prediction, double* jacobian) const override {
    py::gil_scoped_acquire gil;
    if (!call(p, prediction)) return;
    if (jacobian == nullptr) return;
    std::vector<double> shifted(p, p + np_);
    std::vector<double> plus(n_), minus(n_);
    for (std::size_t j = 0; j < np_; ++j) {
      const double h = std::cbrt(std::numeric_limits<double>::epsilon()) * std::max(std::fabs(p[j]), 1e-3);
      shifted[j] = p[j] + h;
      if (!call(shifted.data(), plus.data())) return;
      shifted[j] = p[j] - h;
      if (!call(shifted.data(), minus.data())) return;
      shifted[j] = p[j];
      for (std::size_t i = 0; i < n_; ++i) jacobian[i * np_ + j] = (plus[i] - minus[i]) / (2.0 * h);
    }
  }

  void rethrow_if_failed() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  bool call(const double* p, double* out) const {
    if (error_) {
      std::fill(out, out + n_, std::numeric_limits<double>::quiet_NaN());
      return false;
    }
    try {
      Array params(static_cast<py::ssize_t>(np_));
      std::copy(p, p + np_, params.mutable_data());
      const Array result = Array::ensure(f_(params));
      if (!result || result.ndim() != 1 || static_cast<std::size_t>(result.shape(0)) != n_)
        throw py::value_error("the model callable must return " + std::to_string(n_) +
                              " predictions (one per data point)");
      std::copy(result.data(), result.data() + n_, out);
      return true;
    } catch (...) {
      error_ = std::current_exception();
      std::fill(out, out + n_, std::numeric_limits<double>::quiet_NaN());
      return false;
    }
  }

  py::function f_;
  std::size_t np_;
  std::size_t n_;
  mutable std::exception_ptr error_;
};

Array to_array(const std::vector<double>& v) {
  Array a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

py::dict to_dict(const FitOutput& out) {
  const auto np = static_cast<py::ssize_t>(out.params.size());
  Array covariance({np, np});
  std::copy(out.covariance.begin(), out.covariance.end(), covariance.mutable_data());
  py::dict d;
  d["params"] = to_array(out.params);
  d["stderr"] = to_array(out.stderr_);
  d["covariance"] = covariance;
  d["at_bound"] = std::vector<bool>(out.at_bound.begin(), out.at_bound.end());
  d["prediction"] = to_array(out.prediction);
  d["rss"] = out.rss;
  d["rmse"] = out.rmse;
  d["r2"] = out.r2;
  d["mape"] = out.mape;
  d["aic"] = out.aic;
  d["bic"] = out.bic;
  d["n"] = out.n;
  d["num_free"] = out.num_free;
  d["dof"] = out.dof;
  d["success"] = out.success;
  d["message"] = out.message;
  d["iterations"] = out.iterations;
  d["best_start"] = out.best_start;
  return d;
}

const double* optional_weights(const std::optional<Array>& weights, std::size_t n) {
  if (!weights) return nullptr;
  if (weights->ndim() != 1 || static_cast<std::size_t>(weights->shape(0)) != n)
    throw std::invalid_argument("weights must have one value per data point (" + std::to_string(n) + ")");
  return weights->data();
}

// Stacks per-group outputs into arrays: params (G, P), covariance (G, P, P), statistics (G,).
py::dict stack_groups(const std::vector<FitOutput>& outs, std::size_t np, std::size_t rows) {
  const auto G = static_cast<py::ssize_t>(outs.size());
  const auto P = static_cast<py::ssize_t>(np);
  Array params({G, P}), stderr_({G, P}), covariance({G, P, P}), prediction(static_cast<py::ssize_t>(rows));
  py::array_t<bool> at_bound({G, P});
  py::array_t<bool> success(G);
  py::array_t<long> n(G), dof(G), iterations(G);
  std::map<std::string, Array> stats;
  const char* names[] = {"rss", "rmse", "r2", "mape", "aic", "bic"};
  for (const char* k : names) stats.emplace(k, Array(G));
  py::list messages;
  std::map<std::string, py::str> interned;  // most groups share a handful of messages
  std::size_t row = 0;
  for (py::ssize_t g = 0; g < G; ++g) {
    const FitOutput& o = outs[static_cast<std::size_t>(g)];
    std::copy(o.params.begin(), o.params.end(), params.mutable_data(g, 0));
    std::copy(o.stderr_.begin(), o.stderr_.end(), stderr_.mutable_data(g, 0));
    std::copy(o.covariance.begin(), o.covariance.end(), covariance.mutable_data(g, 0, 0));
    for (py::ssize_t j = 0; j < P; ++j) at_bound.mutable_at(g, j) = o.at_bound[static_cast<std::size_t>(j)] != 0;
    std::copy(o.prediction.begin(), o.prediction.end(), prediction.mutable_data() + row);
    row += o.prediction.size();
    const double values[] = {o.rss, o.rmse, o.r2, o.mape, o.aic, o.bic};
    for (int k = 0; k < 6; ++k) stats.at(names[k]).mutable_at(g) = values[k];
    success.mutable_at(g) = o.success;
    n.mutable_at(g) = static_cast<long>(o.n);
    dof.mutable_at(g) = o.dof;
    iterations.mutable_at(g) = o.iterations;
    auto it = interned.find(o.message);
    if (it == interned.end()) it = interned.emplace(o.message, py::str(o.message)).first;
    messages.append(it->second);
  }
  py::dict d;
  d["params"] = params;
  d["stderr"] = stderr_;
  d["covariance"] = covariance;
  d["at_bound"] = at_bound;
  d["prediction"] = prediction;
  for (auto& [k, v] : stats) d[k.c_str()] = v;
  d["success"] = success;
  d["n"] = n;
  d["dof"] = dof;
  d["iterations"] = iterations;
  d["message"] = messages;
  return d;
}

}  // namespace

void bind_fit(py::module_& m) {
  py::register_exception<ExpressionError>(m, "ExpressionError", PyExc_ValueError);

  py::class_<ParameterSpec>(m, "ParameterSpec", "Names, initial values, bounds and fixed flags.")
      .def(py::init([](std::vector<std::string> names, std::vector<double> initial, std::vector<double> lower,
                       std::vector<double> upper, const std::vector<bool>& fixed, const std::vector<bool>& given) {
             return ParameterSpec{std::move(names), std::move(initial), std::move(lower), std::move(upper),
                                  std::vector<char>(fixed.begin(), fixed.end()),
                                  std::vector<char>(given.begin(), given.end())};
           }),
           py::arg("names"), py::arg("initial"), py::arg("lower"), py::arg("upper"), py::arg("fixed"),
           py::arg("given") = std::vector<bool>{})
      .def_readonly("names", &ParameterSpec::names)
      .def_readonly("initial", &ParameterSpec::initial)
      .def_readonly("lower", &ParameterSpec::lower)
      .def_readonly("upper", &ParameterSpec::upper)
      .def_property_readonly("fixed", [](const ParameterSpec& s) { return std::vector<bool>(s.fixed.begin(), s.fixed.end()); })
      .def_property_readonly("given", [](const ParameterSpec& s) { return std::vector<bool>(s.given.begin(), s.given.end()); });

  py::class_<FitOptions>(m, "FitOptions", "Solver settings for one fit.")
      .def(py::init([](const std::string& loss, double loss_scale, int max_iterations, double ftol,
                       double gtol, double xtol, int starts, std::uint64_t seed, int retries,
                       const std::string& solver) {
             FitOptions o;
             o.solver = parse_solver(solver);
             o.loss = parse_loss(loss);
             o.loss_scale = loss_scale;
             o.max_iterations = max_iterations;
             o.function_tolerance = ftol;
             o.gradient_tolerance = gtol;
             o.parameter_tolerance = xtol;
             o.starts = starts;
             o.seed = seed;
             o.retries = retries;
             return o;
           }),
           py::arg("loss") = "linear", py::arg("loss_scale") = 1.0, py::arg("max_iterations") = 1000,
           py::arg("ftol") = 1e-15, py::arg("gtol") = 1e-15, py::arg("xtol") = 1e-15, py::arg("starts") = 1,
           py::arg("seed") = 0, py::arg("retries") = 8, py::arg("solver") = "auto")
      .def_readonly("loss_scale", &FitOptions::loss_scale)
      .def_readonly("max_iterations", &FitOptions::max_iterations)
      .def_readonly("starts", &FitOptions::starts)
      .def_readonly("retries", &FitOptions::retries);

  py::class_<GridGuess>(m, "GridGuess",
                        "Starting values: a grid over `searched` parameters, `linear` ones by bounded least squares.")
      .def(py::init([](std::vector<int> linear, std::vector<int> searched, std::vector<std::vector<double>> grids) {
             return GridGuess{std::move(linear), std::move(searched), std::move(grids)};
           }),
           py::arg("linear"), py::arg("searched"), py::arg("grids"))
      .def_readonly("linear", &GridGuess::linear)
      .def_readonly("searched", &GridGuess::searched)
      .def_readonly("grids", &GridGuess::grids);

  py::class_<Expression>(m, "Expression", "A parsed model expression over named inputs and parameters.")
      .def(py::init([](const py::str& text, std::vector<std::string> inputs,
                       std::optional<std::vector<std::string>> parameters, bool allow_unused_parameters) {
             // UTF-8 with lone surrogates passed through, for the parser to reject by position.
             const py::bytes utf8 = py::reinterpret_steal<py::bytes>(
                 PyUnicode_AsEncodedString(text.ptr(), "utf-8", "surrogatepass"));
             if (!utf8) throw py::error_already_set();
             return Expression(std::string(utf8), std::move(inputs), std::move(parameters),
                               allow_unused_parameters ? UnusedParameters::Allow : UnusedParameters::Reject);
           }),
           py::arg("text"), py::arg("inputs"), py::arg("parameters") = py::none(), py::kw_only(),
           py::arg("allow_unused_parameters") = false)
      .def_property_readonly("text", &Expression::text)
      .def_property_readonly("inputs", &Expression::inputs)
      .def_property_readonly("parameters", &Expression::parameters)
      .def(
          "evaluate",
          [](const Expression& e, const std::vector<Array>& columns, const Array& params) {
            if (static_cast<std::size_t>(params.size()) != e.parameters().size())
              throw std::invalid_argument("expected " + std::to_string(e.parameters().size()) + " parameters");
            const std::size_t n = columns.empty() ? 1 : static_cast<std::size_t>(columns[0].size());
            const ExpressionModel model(e, column_pointers(columns, n), n);
            std::vector<double> out(n);
            {
              py::gil_scoped_release release;
              model.predict(params.data(), out.data(), nullptr);
            }
            return to_array(out);
          },
          py::arg("columns"), py::arg("params"), "Values at every point (one array per input).")
      .def(
          "jacobian",
          [](const Expression& e, const std::vector<Array>& columns, const Array& params) {
            if (static_cast<std::size_t>(params.size()) != e.parameters().size())
              throw std::invalid_argument("expected " + std::to_string(e.parameters().size()) + " parameters");
            const std::size_t n = columns.empty() ? 1 : static_cast<std::size_t>(columns[0].size());
            const ExpressionModel model(e, column_pointers(columns, n), n);
            std::vector<double> value(n);
            Array jac({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(e.parameters().size())});
            {
              py::gil_scoped_release release;
              model.predict(params.data(), value.data(), jac.mutable_data());
            }
            return jac;
          },
          py::arg("columns"), py::arg("params"), "d value / d parameter at every point, shape (n, P).")
      .def(
          "evaluate_rows",
          [](const Expression& e, const std::vector<Array>& columns, const Array& params) {
            const std::size_t np = e.parameters().size();
            const std::size_t n = columns.empty() ? static_cast<std::size_t>(params.shape(0))
                                                  : static_cast<std::size_t>(columns[0].size());
            if (params.ndim() != 2 || static_cast<std::size_t>(params.shape(0)) != n ||
                static_cast<std::size_t>(params.shape(1)) != np)
              throw std::invalid_argument("params must hold one row of " + std::to_string(np) +
                                          " parameters per point (" + std::to_string(n) + ")");
            const std::vector<const double*> pointers = column_pointers(columns, n);
            std::vector<double> out(n);
            {
              py::gil_scoped_release release;
              std::vector<double> x(pointers.size()), stack(e.stack_size());
              for (std::size_t i = 0; i < n; ++i) {
                for (std::size_t k = 0; k < pointers.size(); ++k) x[k] = pointers[k][i];
                out[i] = e.evaluate(x.data(), params.data() + i * np, stack.data());
              }
            }
            return to_array(out);
          },
          py::arg("columns"), py::arg("params"), "Values at every point, point i with the parameters params[i].");

  m.def(
      "fit_expression",
      [](const Expression& e, const std::vector<Array>& columns, const Array& y,
         const std::optional<Array>& weights, const ParameterSpec& spec, const FitOptions& options,
         const std::optional<GridGuess>& guess) {
        const std::size_t n = static_cast<std::size_t>(y.size());
        const ExpressionModel model(e, column_pointers(columns, n), n);
        const double* w = optional_weights(weights, n);
        const PythonInterrupt interrupt;
        FitOptions cancellable = options;
        cancellable.cancel = interrupt.token();
        FitOutput out;
        {
          py::gil_scoped_release release;
          out = fit_with_guess(model, y.data(), w, spec, cancellable, guess);
        }
        return to_dict(out);
      },
      py::arg("expression"), py::arg("columns"), py::arg("y"), py::arg("weights"), py::arg("spec"),
      py::arg("options"), py::arg("guess") = py::none(),
      "Least-squares fit of an expression model; returns a dict of results.");

  m.def(
      "fit_expression_quick",
      [](const Expression& e, const std::vector<py::object>& columns, const py::object& y_object,
         const std::vector<double>& p0, const std::vector<double>& lower, const std::vector<double>& upper,
         const FitOptions& options) -> py::object {
        // The common small fit in one call. Anything unusual (other dtypes or layouts, lengths,
        // non-finite values, y out of range, p0 outside the bounds) gives None: the caller's full
        // path then says what is wrong.
        const auto plain = [](const py::object& o) -> const double* {
          if (!py::isinstance<py::array>(o)) return nullptr;
          const py::array a = py::reinterpret_borrow<py::array>(o);
          if (a.ndim() != 1 || !a.dtype().is(py::dtype::of<double>()) ||
              !(a.flags() & py::array::c_style))
            return nullptr;
          return static_cast<const double*>(a.data());
        };
        const double* y = plain(y_object);
        const std::size_t np = e.parameters().size();
        if (y == nullptr || columns.size() != e.inputs().size() || p0.size() != np || lower.size() != np ||
            upper.size() != np)
          return py::none();
        const std::size_t n = static_cast<std::size_t>(py::len(y_object));
        std::vector<const double*> pointers;
        for (const py::object& c : columns) {
          const double* p = plain(c);
          if (p == nullptr || static_cast<std::size_t>(py::len(c)) != n) return py::none();
          pointers.push_back(p);
        }
        double largest = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
          if (!std::isfinite(y[i])) return py::none();
          largest = std::max(largest, std::fabs(y[i]));
          for (const double* p : pointers)
            if (!std::isfinite(p[i])) return py::none();
        }
        if (n == 0 || !std::isfinite(largest * largest * static_cast<double>(n)) || (largest > 0.0 && largest < 1e-140))
          return py::none();
        for (std::size_t j = 0; j < np; ++j)
          if (!(std::isfinite(p0[j]) && lower[j] <= p0[j] && p0[j] <= upper[j])) return py::none();
        const ParameterSpec spec{e.parameters(), p0, lower, upper, std::vector<char>(np, 0), std::vector<char>(np, 1)};
        const ExpressionModel model(e, pointers, n);
        const PythonInterrupt interrupt;
        FitOptions cancellable = options;
        cancellable.cancel = interrupt.token();
        FitOutput out;
        try {
          py::gil_scoped_release release;
          out = fit(model, y, nullptr, spec, cancellable);
        } catch (const std::invalid_argument&) {
          return py::none();
        }
        return to_dict(out);
      },
      py::arg("expression"), py::arg("columns"), py::arg("y"), py::arg("p0"), py::arg("lower"), py::arg("upper"),
      py::arg("options"),
      "fit_expression for float64 arrays and starting values for every parameter, or None when the input needs "
      "the full checks.");

  m.def(
      "linear_parameters", [](const Expression& e) { return linear_parameters(e); }, py::arg("expression"),
      "Indices of the parameters the expression is jointly affine in (solved by variable projection).");

  m.def(
      "grid_guess",
      [](const Expression& e, const std::vector<Array>& columns, const Array& y, const std::optional<Array>& weights,
         const ParameterSpec& spec, const GridGuess& guess) {
        const std::size_t n = static_cast<std::size_t>(y.size());
        const ExpressionModel model(e, column_pointers(columns, n), n);
        const double* w = optional_weights(weights, n);
        py::gil_scoped_release release;
        return grid_guess(model, y.data(), w, spec, guess);
      },
      py::arg("expression"), py::arg("columns"), py::arg("y"), py::arg("weights"), py::arg("spec"), py::arg("guess"),
      "Starting values of an expression model from its grid guess.");

  m.def(
      "fit_expression_groups",
      [](const Expression& e, const std::vector<Array>& columns, const Array& y, const std::optional<Array>& weights,
         const py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>& offsets, const ParameterSpec& spec,
         const std::optional<Array>& initial, const FitOptions& options, const std::optional<GridGuess>& guess,
         int threads) {
        const std::size_t n = static_cast<std::size_t>(y.size());
        const std::size_t np = e.parameters().size();
        if (offsets.ndim() != 1 || offsets.size() < 1 || offsets.data()[0] != 0 ||
            offsets.data()[offsets.size() - 1] != n)
          throw std::invalid_argument("offsets must start at 0 and end at the number of rows");
        const std::size_t groups = static_cast<std::size_t>(offsets.size()) - 1;
        if (initial && (initial->ndim() != 2 || static_cast<std::size_t>(initial->shape(0)) != groups ||
                        static_cast<std::size_t>(initial->shape(1)) != np))
          throw std::invalid_argument("initial must hold one row of " + std::to_string(np) +
                                      " starting values per group");
        GroupedData data{column_pointers(columns, n), y.data(), optional_weights(weights, n),
                         std::vector<std::size_t>(offsets.data(), offsets.data() + offsets.size())};
        const PythonInterrupt interrupt;
        FitOptions cancellable = options;
        cancellable.cancel = interrupt.token();
        std::vector<FitOutput> outs;
        {
          py::gil_scoped_release release;
          outs = fit_groups(e, data, spec, initial ? initial->data() : nullptr, cancellable, guess, threads);
        }
        return stack_groups(outs, np, n);
      },
      py::arg("expression"), py::arg("columns"), py::arg("y"), py::arg("weights"), py::arg("offsets"),
      py::arg("spec"), py::arg("initial"), py::arg("options"), py::arg("guess") = py::none(),
      py::arg("threads") = 0,
      "Fits every group of rows [offsets[g], offsets[g+1]) on a thread pool (starting values: the rows of "
      "`initial`, else spec's; then the grid guess); returns stacked arrays.");

  m.def(
      "fit_callable",
      [](py::function f, const Array& y, const std::optional<Array>& weights, const ParameterSpec& spec,
         const FitOptions& options, const std::optional<GridGuess>& guess) {
        const std::size_t n = static_cast<std::size_t>(y.size());
        const CallableModel model(std::move(f), spec.initial.size(), n);
        const double* w = optional_weights(weights, n);
        const PythonInterrupt interrupt;
        FitOptions cancellable = options;
        cancellable.cancel = interrupt.token();
        FitOutput out;
        {
          py::gil_scoped_release release;
          out = fit_with_guess(model, y.data(), w, spec, cancellable, guess);
        }
        model.rethrow_if_failed();
        return to_dict(out);
      },
      py::arg("function"), py::arg("y"), py::arg("weights"), py::arg("spec"), py::arg("options"),
      py::arg("guess") = py::none(), "Least-squares fit of a Python callable f(params) -> predictions (numeric derivatives).");
}

}  // namespace dvfskit::bindings

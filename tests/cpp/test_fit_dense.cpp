// The dense solver's parts: the compiled evaluator, the linear-parameter analysis, bounded linear
// least squares, variable projection and the dense Levenberg-Marquardt solver, each against an
// independent reference (the expression interpreter, brute-force enumeration, Ceres Solver).
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "catch.hpp"
#include "dvfskit/bounded_least_squares.hpp"
#include "dvfskit/cancel.hpp"
#include "dvfskit/compiled_expression.hpp"
#include "dvfskit/expression.hpp"
#include "dvfskit/fit.hpp"
#include "dvfskit/group_fit.hpp"
#include "dvfskit/linear_parameters.hpp"
#include "dvfskit/regression_model.hpp"

using namespace dvfskit;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

ParameterSpec spec_of(const Expression& e, std::vector<double> p0, std::vector<double> lower = {},
                      std::vector<double> upper = {}) {
  const std::size_t np = e.parameters().size();
  if (lower.empty()) lower.assign(np, -kInf);
  if (upper.empty()) upper.assign(np, kInf);
  return ParameterSpec{e.parameters(), std::move(p0), std::move(lower), std::move(upper), std::vector<char>(np, 0)};
}

// The value and derivatives of the interpreter (run_program with ceres::Jet) at one point.
std::vector<double> reference(const Expression& e, const double* x, const std::vector<double>& p,
                              const std::vector<int>& subset, double& value) {
  using Jet = ceres::Jet<double, 8>;
  std::vector<Jet> jp(p.size());
  for (std::size_t j = 0; j < p.size(); ++j) jp[j] = Jet(p[j]);
  for (std::size_t l = 0; l < subset.size(); ++l) jp[static_cast<std::size_t>(subset[l])].v[static_cast<int>(l)] = 1.0;
  std::vector<Jet> stack(e.stack_size());
  const Jet r = e.evaluate(x, jp.data(), stack.data());
  value = r.a;
  std::vector<double> d;
  for (std::size_t l = 0; l < subset.size(); ++l) d.push_back(r.v[static_cast<int>(l)]);
  return d;
}

bool close(double a, double b, double tolerance) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::fabs(a - b) <= tolerance * std::max({1.0, std::fabs(a), std::fabs(b)});
}

}  // namespace

TEST_CASE("the compiled evaluator matches the interpreter, values and derivatives of any subset") {
  const std::vector<std::string> expressions = {
      "a * (f / 1000)**(-b) + c",
      "l * (m / 1000)**(-beta) + u * (f / 1000)**(-gamma) + c",
      "(abs(W / (f / 1000))**k + abs(Q / (m / 1000))**k)**(1 / k) + c",
      "Ps + kf * (f / 1000)**alpha + km * (m / 1000)**delta",
      "b1*exp(-b2*f/1000) + b3*exp(-(f/1000-b4)**2/b5**2)",
      "(b1 + b2*f + b3*f**2) / (1 + b4*f + b5*f**2)",
      "b1 - b2*f - atan(b3/(f-b4))/pi + sin(b5*m) - cos(b5) + tan(b4/9) + tanh(b1*f/5000)",
      "sqrt(b1*b1 + f) + log(b2*b2 + m) + log10(abs(b3) + 1) + min(b1, f/500) + max(b2*m/1000, b3)",
      "2**b1 + f**2 * b2 + pow(f/1000, b3) + (-b1)**3 + b2 / (f + 1) - -b3",
      "7.5",
  };
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const std::size_t n = 150;  // more than one chunk of points
  std::vector<double> f(n), m(n);
  for (std::size_t i = 0; i < n; ++i) {
    f[i] = 100 + 1300 * u(rng);
    m[i] = 200 + 1800 * u(rng);
  }
  for (const std::string& text : expressions) {
    const Expression e(text, {"f", "m"});
    const CompiledExpression compiled(e);
    const CompiledData data(compiled, {f.data(), m.data()}, n);
    const std::size_t np = e.parameters().size();
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<double> p(np);
      for (double& v : p) v = 0.3 + 2.5 * u(rng);
      std::vector<int> subset;
      for (std::size_t j = 0; j < np; ++j)
        if (u(rng) < 0.6) subset.push_back(static_cast<int>(j));
      const int k = static_cast<int>(subset.size());
      std::vector<double> value(n), jac(n * subset.size());
      evaluate_compiled(compiled, data, p.data(), subset.data(), k, value.data(), k ? jac.data() : nullptr, 1, n);
      for (std::size_t i = 0; i < n; ++i) {
        const double x[2] = {f[i], m[i]};
        double expected = 0.0;
        const std::vector<double> d = reference(e, x, p, subset, expected);
        INFO(text << " at point " << i);
        CHECK(close(value[i], expected, 1e-12));
        for (int l = 0; l < k; ++l) CHECK(close(jac[static_cast<std::size_t>(l) * n + i], d[static_cast<std::size_t>(l)], 1e-10));
      }
    }
  }
}

TEST_CASE("a data base that is not positive everywhere falls back to pow (no log of it is used)") {
  const Expression e("a * x**b", {"x"});
  const std::vector<double> x = {-2.0, 0.0, 3.0};
  const ExpressionModel model(e, {x.data()}, x.size());
  const double p[2] = {1.5, 2.0};
  std::vector<double> value(3);
  model.predict(p, value.data(), nullptr);
  CHECK(value[0] == Approx(6.0));
  CHECK(value[1] == 0.0);
  CHECK(value[2] == Approx(13.5));
}

TEST_CASE("linear parameters: jointly affine ones, chosen greedily in order") {
  const auto linear = [](const std::string& text, std::vector<std::string> inputs) {
    return linear_parameters(Expression(text, std::move(inputs)));
  };
  CHECK(linear("a * (f / 1000)**(-b) + c", {"f"}) == std::vector<int>{0, 2});
  CHECK(linear("l * m**(-beta) + u * f**(-gamma) + c", {"f", "m"}) == std::vector<int>{0, 2, 4});
  CHECK(linear("Ps + kf * f**alpha + km * m**delta", {"f", "m"}) == std::vector<int>{0, 1, 3});
  CHECK(linear("(abs(W/f)**k + abs(Q/m)**k)**(1/k) + c", {"f", "m"}) == std::vector<int>{3});
  CHECK(linear("a * b * x + c", {"x"}) == std::vector<int>{0, 2});      // not a and b together
  CHECK(linear("(b1 + b2*x) / (1 + b3*x)", {"x"}) == std::vector<int>{0, 1});
  CHECK(linear("-(a - x) / 4 + exp(k * x)", {"x"}) == std::vector<int>{0});
  CHECK(linear("a * a * x", {"x"}).empty());
  CHECK(linear("x / a", {"x"}).empty());
  CHECK(linear("exp(a) * x", {"x"}).empty());
  CHECK(linear("max(a, x)", {"x"}).empty());
  CHECK(linear("a**1 * x + b**2", {"x"}) == std::vector<int>{0});
}

TEST_CASE("bounded least squares equals brute force over every active set") {
  std::mt19937 rng(5);
  std::normal_distribution<double> z(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  BoundedLeastSquares solver;
  for (int trial = 0; trial < 300; ++trial) {
    const int k = 1 + trial % 4;
    const std::size_t m = static_cast<std::size_t>(k) + 1 + static_cast<std::size_t>(trial % 7);
    std::vector<double> A(m * static_cast<std::size_t>(k)), b(m), lower(static_cast<std::size_t>(k)),
        upper(static_cast<std::size_t>(k)), x(static_cast<std::size_t>(k));
    for (double& v : A) v = z(rng);
    for (double& v : b) v = 3.0 * z(rng);
    for (int j = 0; j < k; ++j) {
      const double kind = u(rng);
      lower[static_cast<std::size_t>(j)] = kind < 0.7 ? 0.0 : -kInf;
      upper[static_cast<std::size_t>(j)] = kind < 0.3 ? 0.5 : (kind > 0.85 ? 1.0 : kInf);
    }
    const double rss = solver.solve(A.data(), m, k, b.data(), lower.data(), upper.data(), x.data());
    for (int j = 0; j < k; ++j) {
      CHECK(x[static_cast<std::size_t>(j)] >= lower[static_cast<std::size_t>(j)]);
      CHECK(x[static_cast<std::size_t>(j)] <= upper[static_cast<std::size_t>(j)]);
    }
    double direct = 0.0;
    for (std::size_t i = 0; i < m; ++i) {
      double r = -b[i];
      for (int j = 0; j < k; ++j) r += A[static_cast<std::size_t>(j) * m + i] * x[static_cast<std::size_t>(j)];
      direct += r * r;
    }
    CHECK(rss == Approx(direct).epsilon(1e-9).margin(1e-12));
    // Brute force: every unknown free, at its lower or at its upper bound; the best feasible.
    double best = kInf;
    int combinations = 1;
    for (int j = 0; j < k; ++j) combinations *= 3;
    for (int code = 0; code < combinations; ++code) {
      std::vector<int> free;
      std::vector<double> fixed_x(static_cast<std::size_t>(k), 0.0);
      std::vector<double> rhs = b;
      bool valid = true;
      for (int j = 0, c = code; j < k; ++j, c /= 3) {
        const double bound = c % 3 == 1 ? lower[static_cast<std::size_t>(j)] : upper[static_cast<std::size_t>(j)];
        if (c % 3 == 0) {
          free.push_back(j);
          continue;
        }
        if (!std::isfinite(bound)) valid = false;
        fixed_x[static_cast<std::size_t>(j)] = bound;
        for (std::size_t i = 0; i < m && valid; ++i) rhs[i] -= A[static_cast<std::size_t>(j) * m + i] * bound;
      }
      if (!valid) continue;
      std::vector<double> sub(m * free.size()), sol(free.size());
      for (std::size_t a = 0; a < free.size(); ++a)
        std::copy(A.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(free[a]) * m),
                  A.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(free[a] + 1) * m),
                  sub.begin() + static_cast<std::ptrdiff_t>(a * m));
      std::vector<double> no_lower(free.size(), -kInf), no_upper(free.size(), kInf);
      BoundedLeastSquares unconstrained;
      unconstrained.solve(sub.data(), m, static_cast<int>(free.size()), rhs.data(), no_lower.data(), no_upper.data(),
                          sol.data());
      for (std::size_t a = 0; a < free.size(); ++a) {
        const std::size_t j = static_cast<std::size_t>(free[a]);
        if (sol[a] < lower[j] - 1e-12 || sol[a] > upper[j] + 1e-12) valid = false;
        fixed_x[j] = sol[a];
      }
      if (!valid) continue;
      double r2 = 0.0;
      for (std::size_t i = 0; i < m; ++i) {
        double r = -b[i];
        for (int j = 0; j < k; ++j) r += A[static_cast<std::size_t>(j) * m + i] * fixed_x[static_cast<std::size_t>(j)];
        r2 += r * r;
      }
      best = std::min(best, r2);
    }
    INFO("trial " << trial << " k=" << k << " m=" << m);
    CHECK(rss == Approx(best).epsilon(1e-9).margin(1e-12));
  }
}

TEST_CASE("the dense solver reaches Ceres' optimum with the same covariance") {
  std::mt19937 rng(21);
  std::normal_distribution<double> noise(0.0, 0.02);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const Expression e("a * (f / 1000)**(-b) + c", {"f"});
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<double> f, y;
    const double a = 5 + 40 * u(rng), b = 0.3 + 2 * u(rng), c = 10 * u(rng);
    for (int i = 0; i < 25; ++i) {
      f.push_back(100 + 1300 * u(rng));
      y.push_back((a * std::pow(f.back() / 1000, -b) + c) * (1 + noise(rng)));
    }
    const ExpressionModel model(e, {f.data()}, f.size());
    const ParameterSpec spec = spec_of(e, {a * 0.5, 1.0, 1.0}, {0, 0, 0}, {kInf, 4, kInf});
    FitOptions dense, ceres;
    dense.solver = Solver::Dense;
    ceres.solver = Solver::Ceres;
    const FitOutput d = fit(model, y.data(), nullptr, spec, dense);
    const FitOutput r = fit(model, y.data(), nullptr, spec, ceres);
    INFO("trial " << trial << ": " << d.message << " / " << r.message);
    REQUIRE(d.success);
    CHECK(d.rss <= r.rss * (1 + 1e-10));
    if (!r.success || d.rss < r.rss * (1 - 1e-8)) continue;  // Ceres stopped short: nothing to compare
    for (std::size_t j = 0; j < 3; ++j) {
      CHECK(d.at_bound[j] == r.at_bound[j]);
      CHECK(d.params[j] == Approx(r.params[j]).epsilon(1e-6).margin(1e-9));
      if (std::isfinite(r.stderr_[j])) CHECK(d.stderr_[j] == Approx(r.stderr_[j]).epsilon(1e-5));
      for (std::size_t k = 0; k < 3; ++k)
        if (std::isfinite(r.covariance[j * 3 + k]))
          CHECK(d.covariance[j * 3 + k] == Approx(r.covariance[j * 3 + k]).epsilon(1e-4).margin(1e-14));
    }
  }
}

TEST_CASE("variable projection and the full problem find the same optimum, bounds included") {
  std::mt19937 rng(8);
  std::normal_distribution<double> noise(0.0, 0.3);
  const Expression e("l * (m / 1000)**(-beta) + u * (f / 1000)**(-gamma) + c", {"f", "m"});
  std::vector<double> f, m, y;
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 5; ++j) {
      f.push_back(300 + 200 * i);
      m.push_back(800 + 250 * j);
      // c = -3 < 0: the bounded optimum has c on its bound 0
      y.push_back(20 * std::pow(m.back() / 1000, -1.1) + 40 * std::pow(f.back() / 1000, -0.9) - 3 + noise(rng));
    }
  const ExpressionModel model(e, {f.data(), m.data()}, f.size());
  ParameterSpec given = spec_of(e, {10, 1, 10, 1, 1}, {0, 0, 0, 0, 0}, {kInf, 4, kInf, 4, kInf});
  given.given.assign(5, 1);  // every linear start given: the full problem first
  ParameterSpec guessed = given;
  guessed.given.assign(5, 0);  // projected from the start
  FitOptions options;
  options.retries = 0;
  const FitOutput full = fit(model, y.data(), nullptr, given, options);
  const FitOutput projected = fit(model, y.data(), nullptr, guessed, options);
  REQUIRE(full.success);
  REQUIRE(projected.success);
  CHECK(full.rss == Approx(projected.rss).epsilon(1e-10));
  for (std::size_t j = 0; j < 5; ++j) CHECK(full.params[j] == Approx(projected.params[j]).epsilon(1e-5).margin(1e-8));
  CHECK(projected.params[4] == 0.0);
  CHECK(projected.at_bound[4] == 1);
}

TEST_CASE("fits do not depend on the scale of y") {
  const Expression e("a * exp(-b * x) + c", {"x"});
  std::vector<double> x, y;
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0.0, 0.01);
  for (int i = 0; i < 30; ++i) {
    x.push_back(0.2 * i);
    y.push_back((4 * std::exp(-0.7 * x.back()) + 1) * (1 + noise(rng)));
  }
  const ExpressionModel model(e, {x.data()}, x.size());
  const FitOutput reference = fit(model, y.data(), nullptr, spec_of(e, {1, 1, 0}), FitOptions{});
  REQUIRE(reference.success);
  for (const double scale : {1e-12, 1e-6, 1e6, 1e12}) {
    std::vector<double> scaled = y;
    for (double& v : scaled) v *= scale;
    const FitOutput out = fit(model, scaled.data(), nullptr, spec_of(e, {scale, 1, 0}), FitOptions{});
    INFO("scale " << scale << ": " << out.message);
    CHECK(out.success);
    CHECK(out.params[1] == Approx(reference.params[1]).epsilon(1e-8));
    CHECK(out.params[0] == Approx(reference.params[0] * scale).epsilon(1e-8));
    CHECK(out.r2 == Approx(reference.r2).epsilon(1e-10));
    CHECK(out.rss == Approx(reference.rss * scale * scale).epsilon(1e-7));
    CHECK(out.stderr_[1] == Approx(reference.stderr_[1]).epsilon(1e-6));
  }
}

TEST_CASE("a cancelled token stops a fit and a grouped fit") {
  const Expression e("a * (f / 1000)**(-b) + c", {"f"});
  std::vector<double> f, y;
  std::vector<std::size_t> offsets{0};
  for (int g = 0; g < 50; ++g) {
    for (int i = 0; i < 12; ++i) {
      f.push_back(200 + 100 * i);
      y.push_back(30 * std::pow(f.back() / 1000, -0.8) + 5 + 0.01 * ((i * 7 + g) % 5));
    }
    offsets.push_back(f.size());
  }
  const ExpressionModel model(e, {f.data()}, 12);
  const CancelToken token;
  token.request();
  for (const Solver solver : {Solver::Dense, Solver::Ceres}) {
    FitOptions options;
    options.solver = solver;
    options.cancel = &token;
    CHECK_THROWS_AS(fit(model, y.data(), nullptr, spec_of(e, {10, 1, 1}), options), Cancelled);
    const GroupedData data{{f.data()}, y.data(), nullptr, offsets};
    CHECK_THROWS_AS(fit_groups(e, data, spec_of(e, {10, 1, 1}), nullptr, options, std::nullopt, 2), Cancelled);
  }
  // A token that fires during the solve (after some iterations) stops it there.
  int polls = 0;
  const CancelToken later([&] { return ++polls > 3; }, std::chrono::milliseconds(0));
  FitOptions options;
  options.cancel = &later;
  options.starts = 1000000;
  CHECK_THROWS_AS(fit(model, y.data(), nullptr, spec_of(e, {10, 1, 1}), options), Cancelled);
}

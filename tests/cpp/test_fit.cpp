#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "catch.hpp"
#include "dvfskit/expression.hpp"
#include "dvfskit/fit.hpp"

using namespace dvfskit;

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

ParameterSpec free_spec(const Expression& e, std::vector<double> p0) {
  const std::size_t np = e.parameters().size();
  return ParameterSpec{e.parameters(), std::move(p0), std::vector<double>(np, -kInf),
                       std::vector<double>(np, kInf), std::vector<char>(np, 0)};
}

struct GpuData {
  std::vector<double> f, y;
};

// t = a f^-b + c with known parameters and 1 % multiplicative noise.
GpuData gpu_data(unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.01);
  GpuData d;
  for (int i = 0; i < 30; ++i) {
    const double f = 0.2 + 0.05 * i;
    d.f.push_back(f);
    d.y.push_back((30.0 * std::pow(f, -0.8) + 5.0) * (1.0 + noise(rng)));
  }
  return d;
}
}  // namespace

TEST_CASE("recovers gpu_dvfs parameters from noisy data within standard errors") {
  const GpuData d = gpu_data(7);
  const Expression e("a * f**(-b) + c", {"f"});
  const ExpressionModel model(e, {d.f.data()}, d.f.size());
  const FitOutput out = fit(model, d.y.data(), nullptr, free_spec(e, {10, 1, 1}), FitOptions{});
  REQUIRE(out.success);
  const std::vector<double> truth = {30.0, 0.8, 5.0};
  for (std::size_t j = 0; j < 3; ++j) {
    INFO(e.parameters()[j] << " = " << out.params[j] << " +- " << out.stderr_[j]);
    REQUIRE(std::isfinite(out.stderr_[j]));
    CHECK(std::fabs(out.params[j] - truth[j]) < 4.0 * out.stderr_[j]);
  }
  CHECK(out.r2 > 0.99);
  CHECK(out.dof == 27);
}

TEST_CASE("bounds pin a parameter and report it at the bound without a standard error") {
  const GpuData d = gpu_data(3);
  const Expression e("a * f**(-b) + c", {"f"});
  const ExpressionModel model(e, {d.f.data()}, d.f.size());
  ParameterSpec spec = free_spec(e, {10, 0.5, 0});
  spec.upper[2] = 1.0;  // the truth, c = 5, lies above: c must end on its bound
  const FitOutput out = fit(model, d.y.data(), nullptr, spec, FitOptions{});
  CHECK(out.params[2] == Approx(1.0));
  CHECK(out.at_bound[2] == 1);
  CHECK(std::isnan(out.stderr_[2]));
  CHECK(std::isfinite(out.stderr_[0]));
}

TEST_CASE("fixed parameters keep their value and count no degree of freedom") {
  const GpuData d = gpu_data(5);
  const Expression e("a * f**(-b) + c", {"f"});
  const ExpressionModel model(e, {d.f.data()}, d.f.size());
  ParameterSpec spec = free_spec(e, {10, 0.8, 1});
  spec.fixed[1] = 1;
  const FitOutput out = fit(model, d.y.data(), nullptr, spec, FitOptions{});
  CHECK(out.params[1] == 0.8);
  CHECK(out.num_free == 2);
  CHECK(out.dof == 28);
  CHECK(std::isnan(out.stderr_[1]));
  CHECK(out.params[0] == Approx(30).epsilon(0.05));
}

TEST_CASE("a robust loss resists outliers that drag the plain fit") {
  GpuData d = gpu_data(11);
  d.y[3] *= 3.0;
  d.y[17] *= 0.2;
  const Expression e("a * f**(-b) + c", {"f"});
  const ExpressionModel model(e, {d.f.data()}, d.f.size());
  FitOptions robust;
  robust.loss = Loss::Cauchy;
  robust.loss_scale = 0.5;
  const FitOutput plain = fit(model, d.y.data(), nullptr, free_spec(e, {10, 1, 1}), FitOptions{});
  const FitOutput out = fit(model, d.y.data(), nullptr, free_spec(e, {10, 1, 1}), robust);
  CHECK(std::fabs(out.params[1] - 0.8) < 0.05);
  CHECK(std::fabs(out.params[1] - 0.8) < std::fabs(plain.params[1] - 0.8));
}

TEST_CASE("bad specifications are rejected with the parameter's name") {
  const GpuData d = gpu_data(1);
  const Expression e("a * f**(-b) + c", {"f"});
  const ExpressionModel model(e, {d.f.data()}, d.f.size());
  ParameterSpec spec = free_spec(e, {10, 1, 1});
  spec.lower[1] = 2.0;
  try {
    fit(model, d.y.data(), nullptr, spec, FitOptions{});
    FAIL("expected an exception");
  } catch (const std::invalid_argument& err) {
    CHECK(std::string(err.what()).find("'b'") != std::string::npos);
  }
  const ExpressionModel two(e, {d.f.data()}, 2);
  CHECK_THROWS_AS(fit(two, d.y.data(), nullptr, free_spec(e, {10, 1, 1}), FitOptions{}), std::invalid_argument);
  CHECK_THROWS_AS(parse_loss("l2"), std::invalid_argument);
}

TEST_CASE("multi-start is deterministic and keeps the best start") {
  const GpuData d = gpu_data(2);
  const Expression e("a * f**(-b) + c", {"f"});
  const ExpressionModel model(e, {d.f.data()}, d.f.size());
  FitOptions options;
  options.starts = 5;
  options.seed = 42;
  const FitOutput first = fit(model, d.y.data(), nullptr, free_spec(e, {1e-3, 5, -50}), options);
  const FitOutput second = fit(model, d.y.data(), nullptr, free_spec(e, {1e-3, 5, -50}), options);
  CHECK(first.params == second.params);
  CHECK(first.best_start == second.best_start);
  const FitOutput good = fit(model, d.y.data(), nullptr, free_spec(e, {10, 1, 1}), FitOptions{});
  CHECK(first.rss <= good.rss * (1 + 1e-9));
}

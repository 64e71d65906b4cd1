#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "catch.hpp"
#include "dvfskit/expression.hpp"
#include "dvfskit/fit.hpp"
#include "dvfskit/group_fit.hpp"
#include "dvfskit/parallel.hpp"
#include "dvfskit/start_values.hpp"

using namespace dvfskit;

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

ParameterSpec spec_for(const Expression& e, std::vector<double> p0, std::vector<double> lower, std::vector<double> upper) {
  return ParameterSpec{e.parameters(), std::move(p0), std::move(lower), std::move(upper),
                       std::vector<char>(e.parameters().size(), 0)};
}
}  // namespace

TEST_CASE("parallel_for visits every index once and rethrows the first error") {
  std::vector<std::atomic<int>> hits(1000);
  parallel_for(hits.size(), 4, [&](std::size_t i) { hits[i]++; });
  for (const auto& h : hits) CHECK(h.load() == 1);
  CHECK_THROWS_AS(parallel_for(100, 3, [](std::size_t i) {
                    if (i == 42) throw std::runtime_error("boom");
                  }),
                  std::runtime_error);
  int serial = 0;
  parallel_for(5, 1, [&](std::size_t) { ++serial; });
  CHECK(serial == 5);
}

TEST_CASE("grid guess finds the grid exponent and solves the linear coefficients") {
  std::vector<double> f, y;
  for (int i = 0; i < 25; ++i) {
    f.push_back(0.2 + 0.05 * i);
    y.push_back(12.0 * std::pow(f.back(), -1.5) + 3.0);
  }
  const Expression e("a * f**(-b) + c", {"f"});
  const ExpressionModel model(e, {f.data()}, f.size());
  const ParameterSpec spec = spec_for(e, {1, 1, 1}, {0, 0, 0}, {kInf, 4, kInf});
  const GridGuess guess{{0, 2}, {1}, {{0.5, 1.0, 1.5, 2.0, 2.5}}};
  const std::vector<double> p = grid_guess(model, y.data(), nullptr, spec, guess);
  CHECK(p[0] == Approx(12.0).epsilon(1e-9));
  CHECK(p[1] == 1.5);
  CHECK(p[2] == Approx(3.0).epsilon(1e-9));
}

TEST_CASE("grid guess respects bounds on linear coefficients and moves them inside") {
  std::vector<double> f, y;
  for (int i = 0; i < 20; ++i) {
    f.push_back(0.3 + 0.05 * i);
    y.push_back(10.0 * std::pow(f.back(), -1.0) - 2.0);  // the unconstrained c would be -2
  }
  const Expression e("a * f**(-b) + c", {"f"});
  const ExpressionModel model(e, {f.data()}, f.size());
  const ParameterSpec spec = spec_for(e, {1, 1, 1}, {0, 0, 0}, {kInf, 4, kInf});
  const std::vector<double> p = grid_guess(model, y.data(), nullptr, spec, GridGuess{{0, 2}, {1}, {{1.0}}});
  CHECK(p[2] > 0.0);
  CHECK(p[2] < 0.1);
  CHECK(p[0] > 0.0);
  CHECK_THROWS_AS(grid_guess(model, y.data(), nullptr, spec, GridGuess{{0, 0}, {}, {}}), std::invalid_argument);
}

TEST_CASE("a parameter that ends on its bound does not stop the others short of their optimum") {
  std::mt19937 rng(4);
  std::normal_distribution<double> noise(0.0, 0.3);
  std::vector<double> f, y;
  for (int i = 0; i < 30; ++i) {
    f.push_back(0.1 + 0.045 * i);
    y.push_back(34.0 * std::pow(f.back(), -0.5) + noise(rng));  // c = 0: the optimum wants c < 0
  }
  const Expression e("a * f**(-b) + c", {"f"});
  const ExpressionModel model(e, {f.data()}, f.size());
  const FitOutput bounded = fit(model, y.data(), nullptr, spec_for(e, {10, 1, 1}, {0, 0, 0}, {kInf, 4, kInf}), FitOptions{});
  // Reference: the same problem with c fixed at its bound 0 and nothing else bounded.
  ParameterSpec fixed_c = spec_for(e, {10, 1, 0}, {-kInf, -kInf, -kInf}, {kInf, kInf, kInf});
  fixed_c.fixed[2] = 1;
  const FitOutput reference = fit(model, y.data(), nullptr, fixed_c, FitOptions{});
  if (bounded.at_bound[2]) {
    CHECK(bounded.rss == Approx(reference.rss).epsilon(1e-10));
    CHECK(bounded.params[0] == Approx(reference.params[0]).epsilon(1e-7));
  } else {
    CHECK(bounded.rss <= reference.rss * (1 + 1e-12));
  }
}

TEST_CASE("grouped fits equal one fit per group, whatever the thread count") {
  std::mt19937 rng(9);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> f, y;
  std::vector<std::size_t> offsets{0};
  for (int g = 0; g < 40; ++g) {
    const double a = 5 + 40 * u(rng), b = 0.5 + 1.5 * u(rng), c = 1 + 9 * u(rng);
    const int n = 10 + static_cast<int>(30 * u(rng));
    for (int i = 0; i < n; ++i) {
      f.push_back(0.1 + 1.3 * u(rng));
      y.push_back((a * std::pow(f.back(), -b) + c) * (1 + 0.01 * (u(rng) - 0.5)));
    }
    offsets.push_back(f.size());
  }
  // group 40: too few points, must fail alone
  f.push_back(1.0);
  y.push_back(2.0);
  offsets.push_back(f.size());
  const Expression e("a * f**(-b) + c", {"f"});
  const ParameterSpec spec = spec_for(e, {10, 1, 1}, {0, 0, 0}, {kInf, 4, kInf});
  const GroupedData data{{f.data()}, y.data(), nullptr, offsets};
  const GridGuess guess{{0, 2}, {1}, {{0.25, 0.5, 1.0, 1.5, 2.0, 3.0}}};
  const std::vector<FitOutput> one = fit_groups(e, data, spec, nullptr, FitOptions{}, guess, 1);
  const std::vector<FitOutput> two = fit_groups(e, data, spec, nullptr, FitOptions{}, guess, 2);
  REQUIRE(one.size() == 41);
  for (std::size_t g = 0; g < 40; ++g) {
    CHECK(one[g].success);
    CHECK(one[g].params == two[g].params);
    const std::size_t n = offsets[g + 1] - offsets[g];
    const ExpressionModel model(e, {f.data() + offsets[g]}, n);
    const FitOutput alone = fit_with_guess(model, y.data() + offsets[g], nullptr, spec, FitOptions{}, guess);
    CHECK(alone.params == one[g].params);
  }
  CHECK_FALSE(one[40].success);
  CHECK(one[40].message.find("cannot determine") != std::string::npos);
}

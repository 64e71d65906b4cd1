#include <cmath>
#include <string>
#include <vector>

#include "catch.hpp"
#include "dvfskit/expression.hpp"
#include "dvfskit/regression_model.hpp"

using dvfskit::Expression;
using dvfskit::ExpressionError;

namespace {
double eval(const std::string& text, std::vector<double> x, std::vector<double> p,
            std::vector<std::string> inputs = {"x"}) {
  const Expression e(text, std::move(inputs));
  return e(x, p);
}
}  // namespace

TEST_CASE("parameters are the non-input names in order of first appearance") {
  const Expression e("a * f**(-b) + c", {"f"});
  REQUIRE(e.parameters() == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(e.inputs() == std::vector<std::string>{"f"});
  const Expression g("c + b*x + a*x**2 + b", {"x"});
  REQUIRE(g.parameters() == std::vector<std::string>{"c", "b", "a"});
}

TEST_CASE("operators follow Python precedence and associativity") {
  CHECK(eval("-x**2", {3}, {}) == Approx(-9));
  CHECK(eval("2**-1", {0}, {}) == Approx(0.5));
  CHECK(eval("2**3**2", {0}, {}) == Approx(512));
  CHECK(eval("1 - 2 - 3", {0}, {}) == Approx(-4));
  CHECK(eval("8 / 4 / 2", {0}, {}) == Approx(1));
  CHECK(eval("2 * (x + 1) / 4", {3}, {}) == Approx(2));
  CHECK(eval("--x", {3}, {}) == Approx(3));
  CHECK(eval("+x - -x", {3}, {}) == Approx(6));
  CHECK(eval("1.5e2 + .5 + 2. + 1E-1", {0}, {}) == Approx(152.6));
  CHECK(eval("pi", {0}, {}) == Approx(M_PI));
}

TEST_CASE("functions evaluate like the C library") {
  CHECK(eval("exp(x)", {0.3}, {}) == Approx(std::exp(0.3)));
  CHECK(eval("log(x) + log10(x)", {2}, {}) == Approx(std::log(2) + std::log10(2)));
  CHECK(eval("sqrt(x) * abs(-x)", {4}, {}) == Approx(8));
  CHECK(eval("sin(x) + cos(x) + tan(x)", {0.4}, {}) == Approx(std::sin(0.4) + std::cos(0.4) + std::tan(0.4)));
  CHECK(eval("atan(x) + tanh(x)", {0.4}, {}) == Approx(std::atan(0.4) + std::tanh(0.4)));
  CHECK(eval("pow(x, 3)", {2}, {}) == Approx(8));
  CHECK(eval("min(x, 1) + max(x, 1)", {3}, {}) == Approx(4));
}

TEST_CASE("errors carry the position of the fault") {
  auto position_of = [](const std::string& text, std::vector<std::string> params = {}) -> long {
    try {
      if (params.empty()) {
        Expression e(text, {"x"});
      } else {
        Expression e(text, {"x"}, params);
      }
    } catch (const ExpressionError& err) {
      return static_cast<long>(err.position());
    }
    return -1;
  };
  CHECK(position_of("a * x +") == 7);
  CHECK(position_of("a * (x + 1") == 4);
  CHECK(position_of("a ^ x") == 2);
  CHECK(position_of("foo(x)") == 0);
  CHECK(position_of("a * x + q", {"a"}) == 8);
  CHECK(position_of("pow(x)") == 0);
  CHECK(position_of("2x") == 0);
  CHECK(position_of("x $ 2") == 2);
  CHECK(position_of("1e") == 1);
  CHECK(position_of("") == 0);
  CHECK_THROWS_AS(Expression("a*x", {"x"}, std::vector<std::string>{"a", "b"}), ExpressionError);
  CHECK_THROWS_AS(Expression("a*x", {"x", "x"}), ExpressionError);
}

TEST_CASE("exact derivatives match central finite differences") {
  const std::vector<std::string> models = {
      "a * f**(-b) + c",
      "l * m**(-beta) + u * f**(-gamma) + c",
      "(abs(W/f)**k + abs(Q/m)**k)**(1/k) + c",
      "b1 * (1 - exp(-b2 * f))",
      "exp(-b1*f) / (b2 + b3*f) + sqrt(b4 + m) * atan(b5 / f) + tanh(b6 * m / 1000) + log10(b7 * f)",
      "pow(b1, 2) * sin(f / b2) + cos(b3) * max(f, m*b4) + min(b5, f) / tan(b6)",
  };
  for (const std::string& text : models) {
    const Expression e(text, {"f", "m"});
    const std::size_t np = e.parameters().size();
    const std::vector<double> f = {0.5, 0.9, 1.3};
    const std::vector<double> m = {1.1, 1.6, 2.1};
    std::vector<double> p(np);
    for (std::size_t j = 0; j < np; ++j) p[j] = 0.7 + 0.3 * static_cast<double>(j);
    const dvfskit::ExpressionModel model(e, {f.data(), m.data()}, f.size());
    std::vector<double> value(f.size()), jac(f.size() * np), plus(f.size()), minus(f.size());
    model.predict(p.data(), value.data(), jac.data());
    for (std::size_t j = 0; j < np; ++j) {
      const double h = 1e-6;
      std::vector<double> q = p;
      q[j] = p[j] + h;
      model.predict(q.data(), plus.data(), nullptr);
      q[j] = p[j] - h;
      model.predict(q.data(), minus.data(), nullptr);
      for (std::size_t i = 0; i < f.size(); ++i) {
        INFO(text << " d/d" << e.parameters()[j] << " at point " << i);
        CHECK(jac[i * np + j] == Approx((plus[i] - minus[i]) / (2 * h)).epsilon(1e-6).margin(1e-8));
      }
    }
  }
}

TEST_CASE("hostile nesting is an ExpressionError, not a stack overflow") {
  const std::vector<std::string> deep = {
      std::string(100000, '(') + "x" + std::string(100000, ')'),
      std::string(100000, '-') + "x",
      [] { std::string s = "x"; for (int i = 0; i < 100000; ++i) s += "+x"; return s; }(),
      [] { std::string s = "x"; for (int i = 0; i < 100000; ++i) s += "**x"; return s; }(),
      [] { std::string s; for (int i = 0; i < 50000; ++i) s += "exp("; return s + "x"; }(),
  };
  for (const std::string& text : deep) {
    CHECK_THROWS_AS(Expression(text, {"x"}), ExpressionError);
  }
  // Moderately long expressions still parse: a sum of 300 terms, 300 nested parentheses.
  std::string sum = "a";
  for (int i = 0; i < 300; ++i) sum += " + x";
  CHECK(Expression(sum, {"x"})({2}, {1}) == Approx(601));
  const std::string parens = std::string(300, '(') + "x" + std::string(300, ')');
  CHECK(Expression(parens + " * a", {"x"})({2}, {3}) == Approx(6));
}

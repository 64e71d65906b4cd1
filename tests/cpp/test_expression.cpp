#include <cmath>
#include <cstring>
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
      [] { std::string s = "x"; for (int i = 0; i < 100000; ++i) s += "**x"; return s; }(),
      [] { std::string s; for (int i = 0; i < 50000; ++i) s += "exp("; return s + "x"; }(),
      [] { std::string s; for (int i = 0; i < 50000; ++i) s += "x*(x+"; return s + "x"; }(),
  };
  for (const std::string& text : deep) {
    CHECK_THROWS_WITH(Expression(text, {"x"}), Catch::Contains("nested too deeply"));
  }
  // Up to 400 levels of real nesting parse.
  const std::string parens = std::string(399, '(') + "x" + std::string(399, ')');
  CHECK(Expression(parens + " * a", {"x"})({2}, {3}) == Approx(6));
  CHECK_THROWS_AS(Expression(std::string(400, '(') + "x" + std::string(400, ')'), {"x"}), ExpressionError);
  CHECK(Expression(std::string(399, '-') + "x", {"x"})({2}, {}) == Approx(-2));
}

TEST_CASE("flat sums and products of any length are not nesting") {
  // a + x + x + ... (100000 terms of x): one flat run, evaluated left to right.
  std::string sum = "a";
  for (int i = 0; i < 100000; ++i) sum += i % 2 ? " + x" : " - -x";
  CHECK(Expression(sum, {"x"})({2}, {1}) == Approx(200001));
  std::string product = "a";
  for (int i = 0; i < 100000; ++i) product += i % 2 ? " * x" : " / x";
  CHECK(Expression(product, {"x"})({3}, {5}) == Approx(5));
  // 400 terms, each with its own parameter (issue 15, item 7).
  std::string terms = "a0*f";
  for (int i = 1; i < 400; ++i) terms += " + a" + std::to_string(i) + "*f";
  const Expression e(terms, {"f"});
  CHECK(e.parameters().size() == 400);
  CHECK(e({2}, std::vector<double>(400, 0.5)) == Approx(400));
  // An error at the end of a long text shows a window around the fault, not the whole text.
  try {
    Expression(sum + " + $", {"x"});
    FAIL("no error");
  } catch (const ExpressionError& err) {
    const std::string what = err.what();
    CHECK(what.size() < 400);
    CHECK(what.find("...") != std::string::npos);
    CHECK(err.position() == sum.size() + 3);
  }
}

TEST_CASE("flat runs compile to the same left-to-right program, leading constants folded") {
  using dvfskit::OpCode;
  auto ops = [](const Expression& e) {
    std::vector<OpCode> out;
    for (const auto& ins : e.program()) out.push_back(ins.op);
    return out;
  };
  const Expression a("a + b - c", {"f"});
  CHECK(ops(a) == std::vector<OpCode>{OpCode::Param, OpCode::Param, OpCode::Add, OpCode::Param, OpCode::Sub});
  CHECK(a.stack_size() == 2);
  const Expression b("2 * 3 * f / 4", {"f"});
  CHECK(ops(b) == std::vector<OpCode>{OpCode::Const, OpCode::Input, OpCode::Mul, OpCode::Const, OpCode::Div});
  CHECK(b.program()[0].value == 6.0);
  // Constants after a name are not moved (floating-point sums are not associative).
  const Expression c("f + 1e16 + 1", {"f"});
  CHECK(c({-1e16}, {}) == 1.0);
  CHECK(Expression("1 + 2 + 3", {"f"}).program().size() == 1);
}

TEST_CASE("names follow Python's identifier rules; positions and carets count characters") {
  const Expression e("\xCE\xB1*f + \xCE\xB2", {"f"});  // α*f + β
  CHECK(e.parameters() == std::vector<std::string>{"\xCE\xB1", "\xCE\xB2"});
  CHECK(e({2}, {3, 1}) == Approx(7));
  CHECK(Expression("\xC2\xB5_1 * \xCE\x94" "f + x\xC2\xB7y", {"\xCE\x94" "f"}).parameters().size() == 2);  // µ_1 Δf x·y
  CHECK(Expression("\xE6\x97\xA5 + a\xCC\x81", {"f"}).parameters().size() == 2);  // 日, a + combining acute
  try {
    Expression("\xCE\xB1*f + $", {"f"});  // α*f + $
    FAIL("no error");
  } catch (const ExpressionError& err) {
    CHECK(err.position() == 6);
    CHECK(std::string(err.what()) == "unexpected '$' at position 6\n  \xCE\xB1*f + $\n        ^");
  }
  // Characters that are not identifier characters: a clean error naming the character.
  CHECK_THROWS_WITH(Expression("a \xC3\x97 f", {"f"}), Catch::Contains("unexpected '\xC3\x97' (U+00D7)"));  // ×
  CHECK_THROWS_WITH(Expression("x\xE2\x82\x81", {"f"}), Catch::Contains("U+2081"));  // x₁ (subscript)
  CHECK_THROWS_WITH(Expression("\xC2\xB7" "a", {"f"}), Catch::Contains("U+00B7"));  // · cannot start a name
  CHECK_THROWS_WITH(Expression("2\xCE\xB1", {"f"}), Catch::Contains("cannot start with a digit"));
  CHECK_THROWS_WITH(Expression("a\x01", {"f"}), Catch::Contains("unexpected character U+0001"));
  // Input and parameter lists use the same rules.
  CHECK(Expression("\xCE\xB1 * f", {"f"}, std::vector<std::string>{"\xCE\xB1"}).parameters().size() == 1);
  CHECK_THROWS_AS(Expression("a", {"\xE2\x82\x81"}), ExpressionError);
  CHECK_THROWS_AS(Expression("a", {"x\xFF"}), ExpressionError);
}

TEST_CASE("NUL bytes and invalid UTF-8 are rejected up front with a full message") {
  const std::string with_nul("a*f\0+b", 6);
  try {
    Expression(with_nul, {"f"});
    FAIL("no error");
  } catch (const ExpressionError& err) {
    const std::string what = err.what();
    CHECK(what.find('\0') == std::string::npos);
    CHECK(std::strlen(err.what()) == what.size());
    CHECK(err.position() == 3);
    CHECK(what.find("NUL") != std::string::npos);
    CHECK(what.find("a*f\xE2\x90\x80+b") != std::string::npos);  // the whole text, NUL shown as U+2400
  }
  for (const std::string& bad : {std::string("a + \xFF"), std::string("a + \xCE"), std::string("\xED\xA0\x80"),
                                 std::string("\xC0\xAF"), std::string("\xF4\x90\x80\x80")}) {
    try {
      Expression(bad, {"f"});
      FAIL("no error");
    } catch (const ExpressionError& err) {
      CHECK(std::string(err.what()).find("invalid UTF-8") != std::string::npos);
      CHECK(err.position() == (bad[0] == 'a' ? 4u : 0u));
    }
  }
  // A NUL in a listed name does not cut the message either.
  try {
    Expression("a", {std::string("f\0g", 3)});
    FAIL("no error");
  } catch (const ExpressionError& err) {
    CHECK(std::string(err.what()).find("f\xE2\x90\x80g") != std::string::npos);
  }
}

TEST_CASE("listed parameters may be left out only when allowed (device models)") {
  using dvfskit::UnusedParameters;
  const std::vector<std::string> fm = {"f", "m"};
  CHECK_THROWS_WITH(Expression("p0 + k * f**2", {"p0", "k"}, fm), Catch::Contains("parameter 'm' does not appear"));
  const Expression e("p0 + k * f**2", {"p0", "k"}, fm, UnusedParameters::Allow);
  CHECK(e.parameters() == fm);
  CHECK(e({1, 2}, {3, 100}) == Approx(19));
  // Unknown names are still errors.
  CHECK_THROWS_WITH(Expression("p0 + q * f", {"p0"}, fm, UnusedParameters::Allow), Catch::Contains("unknown name 'q'"));
}

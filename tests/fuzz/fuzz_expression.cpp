// libFuzzer target for the expression parser (dvfskit::Expression).
//
// Any byte string must either parse (and then evaluate, for doubles and for Jets, without
// memory or undefined-behaviour errors) or throw dvfskit::ExpressionError. Anything else (a
// crash, another exception, a sanitizer report, a timeout) is a bug.
//
// Build and run (clang with compiler-rt; see `make fuzz` / `make fuzz-short`):
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
//     -Icpp/include -I/usr/include/eigen3 tests/fuzz/fuzz_expression.cpp cpp/src/expression.cpp \
//     -o build/fuzz/fuzz_expression
//   build/fuzz/fuzz_expression -dict=tests/fuzz/expression.dict -max_total_time=600 \
//     build/fuzz/corpus tests/fuzz/corpus
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dvfskit/expression.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the flavour: implicit parameters, or an explicit parameter list
  // (which adds the "unknown name" and "does not appear" checks), with listed-but-unused
  // parameters rejected (fits) or allowed (device models).
  const std::uint8_t mode = data[0];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::vector<std::string> inputs = {"f", "m", "\xCE\xB1"};  // f, m, alpha
  const auto unused = (mode & 2) ? dvfskit::UnusedParameters::Allow : dvfskit::UnusedParameters::Reject;
  try {
    const dvfskit::Expression e = (mode & 1)
        ? dvfskit::Expression(text, inputs, std::vector<std::string>{"a", "b", "\xC3\xA9"}, unused)  // a, b, e-acute
        : dvfskit::Expression(text, inputs);
    const std::size_t np = e.parameters().size();
    const double x[3] = {1.5, 800.0, 0.25};
    std::vector<double> p(np, 0.75);
    std::vector<double> stack(e.stack_size());
    volatile double v = e.evaluate<double>(x, p.data(), stack.data());
    (void)v;
    using Jet = ceres::Jet<double, 4>;
    std::vector<Jet> pj(np);
    for (std::size_t j = 0; j < np; ++j) pj[j] = Jet(0.75, static_cast<int>(j % 4));
    std::vector<Jet> stack_j(e.stack_size());
    volatile double vj = e.evaluate<Jet>(x, pj.data(), stack_j.data()).a;
    (void)vj;
  } catch (const dvfskit::ExpressionError& err) {
    // the documented, clean failure; its message holds no NUL (that would cut it short)
    if (err.reason().find('\0') != std::string::npos) __builtin_trap();
  }
  return 0;
}

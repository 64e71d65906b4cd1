// Random table problems and scenarios shared by the solver and sweep tests: latency falls with
// compute and memory frequency, power rises with both, per-split output sizes and server times vary.
#pragma once

#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

#include "dvfskit/offload_problem.hpp"

namespace dvfskit::testing {

inline TableProblem random_tables(std::mt19937_64& rng, std::size_t L, std::size_t nf, std::size_t nm,
                                  double latency_scale = 1.0) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> f(nf), m(nm), lat(L * nf * nm), pw(L * nf * nm), bits(L + 1), srv(L + 1, 0.0);
  for (std::size_t i = 0; i < nf; ++i) f[i] = 100.0 * static_cast<double>(i + 1);
  for (std::size_t i = 0; i < nm; ++i) m[i] = 500.0 * static_cast<double>(i + 1);
  for (std::size_t l = 0; l < L; ++l)
    for (std::size_t i = 0; i < nf; ++i)
      for (std::size_t j = 0; j < nm; ++j) {
        const std::size_t k = (l * nf + i) * nm + j;
        lat[k] = latency_scale * (200.0 / f[i] + 300.0 / m[j]) * (0.5 + u(rng));
        pw[k] = 0.3 + 2e-3 * f[i] * (0.5 + u(rng)) + 3e-4 * m[j];
      }
  for (auto& b : bits) b = 1e3 + 1e6 * u(rng);
  for (std::size_t l = 0; l < L; ++l) srv[l] = 1.0 * static_cast<double>(L - l) * (0.5 + u(rng));
  return TableProblem(L, f, m, lat, pw, bits, srv);
}

// A random radio/deadline scenario: uplinks from 0.1 to 10 MHz, with and without circuit power.
inline Scenario random_scenario(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Scenario s;
  s.bandwidth_hz = 1e5 + 1e7 * u(rng);
  s.gain = std::pow(10.0, -9 + 4 * u(rng));
  s.noise_w_per_hz = std::pow(10.0, -20 + 3 * u(rng));
  s.p_max_w = 0.05 + 2 * u(rng);
  s.p_circuit_w = u(rng) < 0.5 ? 0.0 : 2 * u(rng);
  s.idle_power_w = 0.3 * u(rng);
  s.deadline_ms = 1.0 + 30.0 * u(rng);
  return s;
}

}  // namespace dvfskit::testing

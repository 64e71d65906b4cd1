// Random table problems and scenarios shared by the solver and sweep tests: latency falls with
// every frequency knob, power rises with it, per-split output sizes and server times vary.
// random_tables: the dense compute x memory grid; random_config_tables: 1 to 4 knobs, a dense grid
// or a random sparse subset of it, optionally with partial offloading.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "dvfskit/config_set.hpp"
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

// A random configuration set over `levels.size()` knobs (frequency knobs "k0_mhz", ...; the last
// one a non-frequency "cores" knob when with_cores), keeping each grid point with probability
// `density` (at least one kept).
inline ConfigSet random_configs(std::mt19937_64& rng, const std::vector<std::size_t>& levels, double density,
                                bool with_cores = false) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<std::string> names;
  for (std::size_t j = 0; j < levels.size(); ++j)
    names.push_back(with_cores && j + 1 == levels.size() ? "cores" : "k" + std::to_string(j) + "_mhz");
  std::size_t total = 1;
  for (const std::size_t n : levels) total *= n;
  std::vector<double> values;
  std::size_t kept = 0;
  for (std::size_t c = 0; c < total; ++c) {
    if (u(rng) > density && !(c + 1 == total && kept == 0)) continue;
    std::size_t rest = c;
    std::vector<double> row(levels.size());
    for (std::size_t j = levels.size(); j-- > 0;) {
      const std::size_t a = rest % levels[j];
      rest /= levels[j];
      row[j] = names[j] == "cores" ? static_cast<double>(a + 1) : 100.0 * static_cast<double>(a + 1) * (1.0 + 0.5 * j);
    }
    values.insert(values.end(), row.begin(), row.end());
    ++kept;
  }
  return ConfigSet(names, values);
}

// Tables over a configuration set: each knob speeds blocks up by its own share, power grows.
inline TableProblem random_config_tables(std::mt19937_64& rng, const ConfigSet& configs, std::size_t L,
                                         std::vector<double> fractions = {}, double latency_scale = 1.0) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const std::size_t K = configs.size(), d = configs.num_knobs();
  std::vector<double> lat(L * K), pw(L * K), bits(L + 1), srv(L + 1, 0.0);
  std::vector<double> share(d);
  for (std::size_t l = 0; l < L; ++l) {
    for (auto& s : share) s = 50.0 + 400.0 * u(rng);
    for (std::size_t k = 0; k < K; ++k) {
      double t = 0.2 * u(rng), p = 0.3;
      for (std::size_t j = 0; j < d; ++j) {
        t += share[j] / configs.value(k, j) * (configs.knobs()[j] == "cores" ? 0.01 : 1.0);
        p += 1e-6 * configs.value(k, j) * configs.value(k, j) * (0.5 + u(rng));
      }
      lat[l * K + k] = latency_scale * t * (0.8 + 0.4 * u(rng));
      pw[l * K + k] = p;
    }
  }
  for (auto& b : bits) b = 1e3 + 1e6 * u(rng);
  if (u(rng) < 0.2) bits[static_cast<std::size_t>(u(rng) * static_cast<double>(L))] = 0.0;
  for (std::size_t l = 0; l < L; ++l) srv[l] = 1.0 * static_cast<double>(L - l) * (0.5 + u(rng));
  return TableProblem(configs, lat, pw, bits, srv, std::move(fractions));
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

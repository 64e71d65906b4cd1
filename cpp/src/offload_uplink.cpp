// Shannon uplink helpers and the energy-optimal transmit power.
#include <algorithm>
#include <cmath>
#include <limits>

#include "dvfskit/uplink.hpp"

namespace dvfskit {

namespace {
constexpr double kLn2 = 0.69314718055994530942;
}

double Uplink::rate_bps(double power_w) const {
  return bandwidth_hz * std::log1p(power_w * snr_per_watt()) / kLn2;
}

double Uplink::transmit_time_s(double bits, double power_w) const {
  if (bits <= 0.0) return 0.0;
  if (power_w <= 0.0) return std::numeric_limits<double>::infinity();
  return bits / rate_bps(power_w);
}

double Uplink::power_for_time_w(double bits, double seconds) const {
  if (bits <= 0.0) return 0.0;
  if (seconds <= 0.0) return std::numeric_limits<double>::infinity();
  return std::expm1(kLn2 * bits / (bandwidth_hz * seconds)) / snr_per_watt();
}

double energy_optimal_power_w(double snr_per_watt, double p_fixed_w) {
  if (!(p_fixed_w > 0.0)) return 0.0;
  const double c = snr_per_watt * p_fixed_w;
  // h(x) = (1 + x) ln(1 + x) - x - c: increasing and convex on x > 0, h(0) = -c < 0.
  const auto h = [c](double x, double log1p_x) { return (1.0 + x) * log1p_x - x - c; };
  // Start right of the root: (1 + x) ln(1 + x) - x <= x^2 / 2 puts sqrt(2c) left of it, and
  // 2c / ln(1 + c) is right of it for c >~ 1e-3; double until h >= 0 (a safeguard).
  double x = std::max(std::sqrt(2.0 * c), 2.0 * c / std::log1p(c));
  for (int i = 0; i < 2100 && h(x, std::log1p(x)) < 0.0; ++i) x *= 2.0;
  // Newton from the right of a convex increasing function decreases monotonically to the root.
  for (int i = 0; i < 200; ++i) {
    const double slope = std::log1p(x);
    if (!(slope > 0.0)) break;
    const double step = h(x, slope) / slope;
    if (!(step > 0.0)) break;
    x -= step;
    if (step <= 4.0 * std::numeric_limits<double>::epsilon() * x) break;
  }
  return x / snr_per_watt;
}

}  // namespace dvfskit

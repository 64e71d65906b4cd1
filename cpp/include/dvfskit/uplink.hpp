// Shannon uplink: rate, the power needed to send a payload in a given time, and the
// energy-optimal transmit power when the radio also draws circuit power.
#pragma once

namespace dvfskit {

struct Uplink {
  double bandwidth_hz = 0.0;    // B, Hz
  double gain = 0.0;            // g, channel power gain (dimensionless)
  double noise_w_per_hz = 0.0;  // N0, W/Hz

  // p g / (N0 B) per watt of transmit power (1/W).
  double snr_per_watt() const { return gain / (noise_w_per_hz * bandwidth_hz); }
  // r(p) = B log2(1 + p g / (N0 B)), bit/s.
  double rate_bps(double power_w) const;
  // Transmit time of `bits` at power p, seconds (+inf when p <= 0 and bits > 0).
  double transmit_time_s(double bits, double power_w) const;
  // Smallest power sending `bits` within `seconds`: (2^(bits/(B s)) - 1) N0 B / g, W.
  double power_for_time_w(double bits, double seconds) const;
};

// Minimiser over p > 0 of (p + p_fixed) / log(1 + a p), the energy per bit of a radio drawing
// p_fixed watts besides its transmit power p (a = g / (N0 B)). Unique, since the function is
// decreasing then increasing; 0 when p_fixed <= 0 (energy per bit then grows with p).
// Solves (1 + x) ln(1 + x) - x = a p_fixed for x = a p (safeguarded Newton).
double energy_optimal_power_w(double snr_per_watt, double p_fixed_w);

}  // namespace dvfskit

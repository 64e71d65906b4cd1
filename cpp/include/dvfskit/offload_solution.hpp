// The outcome of one offloading solve: decisions, energy and latency with their breakdowns.
#pragma once

#include <string>

namespace dvfskit {

struct OffloadSolution {
  bool feasible = false;
  std::string reason;              // empty when feasible
  double min_latency_ms = 0.0;     // smallest latency reachable under the restriction, ms
  double objective_value = 0.0;    // value of the minimised objective
  double energy_j = 0.0;           // = compute + transmit + idle
  double energy_compute_j = 0.0;   // E_loc + (1 - rho) E_rest
  double energy_transmit_j = 0.0;  // (p + p_circuit) t_tx
  double energy_idle_j = 0.0;      // idle power x the server's time (rho t_srv)
  double latency_ms = 0.0;         // = max(local, serial local + transmit + server); = their sum without partial offloading
  double latency_local_ms = 0.0;   // when the device finishes its own work: t_loc + (1 - rho) t_rest
  double latency_transmit_ms = 0.0;
  double latency_server_ms = 0.0;  // rho t_srv
  int split = 0;                   // first `split` blocks run locally (0..L)
  int config = -1;                 // configuration index; -1 when nothing runs locally (split 0, rho 1)
  double compute_freq_mhz = 0.0;   // the configuration's compute_freq_mhz (NaN without it or nothing local)
  double mem_freq_mhz = 0.0;       // the configuration's mem_freq_mhz (NaN without it or nothing local)
  double tx_power_w = 0.0;         // 0 when nothing is sent
  double offload_fraction = 0.0;   // rho: share of the post-split work sent (0 when split == L)
  long evaluated = 0;              // candidates examined
};

}  // namespace dvfskit

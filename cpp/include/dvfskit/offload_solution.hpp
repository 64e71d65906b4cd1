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
  double energy_compute_j = 0.0;
  double energy_transmit_j = 0.0;  // (p + p_circuit) t_tx
  double energy_idle_j = 0.0;      // idle power x server time
  double latency_ms = 0.0;         // = local + transmit + server
  double latency_local_ms = 0.0;
  double latency_transmit_ms = 0.0;
  double latency_server_ms = 0.0;
  int split = 0;                   // first `split` blocks run locally (0..L)
  int compute_index = -1;          // -1 when nothing runs locally (split 0)
  int mem_index = -1;
  double compute_freq_mhz = 0.0;   // NaN when split == 0
  double mem_freq_mhz = 0.0;       // NaN when split == 0
  double tx_power_w = 0.0;         // 0 when nothing is sent
  double offload_fraction = 0.0;   // share of the post-split work sent (1 if split < L, else 0)
  long evaluated = 0;              // (split, f, m) candidates examined
};

}  // namespace dvfskit

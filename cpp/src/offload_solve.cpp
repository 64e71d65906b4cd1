// Exact enumeration over split points and per-split Pareto fronts, with the optimal transmit
// power per candidate.
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "dvfskit/offload_solve.hpp"
#include "dvfskit/uplink.hpp"

namespace dvfskit {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Everything derived from one (problem, scenario, objective, restriction); lives on the stack.
struct Context {
  const TableProblem& tp;
  const Scenario& sc;
  const Objective& obj;
  const Restriction& rs;
  Uplink up;
  double deadline_tol_ms;
  double p_star;  // unconstrained minimiser of the per-bit transmit cost (Energy, Weighted)
};

struct Plan {
  double cost = kInf;
  double energy_j = 0.0, e_loc_j = 0.0, e_tx_j = 0.0, e_idle_j = 0.0;
  double t_loc_ms = 0.0, t_tx_ms = 0.0, t_srv_ms = 0.0;
  double p = 0.0;
  double latency_ms() const { return t_loc_ms + t_tx_ms + t_srv_ms; }
};

double objective_value(const Objective& o, double energy_j, double latency_ms) {
  switch (o.kind) {
    case ObjectiveKind::Energy: return energy_j;
    case ObjectiveKind::Latency: return latency_ms;
    case ObjectiveKind::Weighted: return energy_j + o.weight * latency_ms * 1e-3;
    case ObjectiveKind::EnergyDelay: return energy_j * latency_ms * 1e-3;
  }
  return energy_j;
}

// Fills the plan's energy/latency for power p (p ignored when nothing is sent).
void fill(const Context& cx, double bits, double p, Plan& plan) {
  const double s = bits > 0.0 ? cx.up.transmit_time_s(bits, p) : 0.0;
  plan.p = bits > 0.0 ? p : 0.0;
  plan.t_tx_ms = s * 1e3;
  plan.e_tx_j = bits > 0.0 ? (p + cx.sc.p_circuit_w) * s : 0.0;
  plan.energy_j = plan.e_loc_j + plan.e_tx_j + plan.e_idle_j;
  plan.cost = objective_value(cx.obj, plan.energy_j, plan.latency_ms());
}

// Energy-delay product: 1-D minimisation over p in [p_lo, p_hi] (log-spaced scan, then golden
// section around the best scan point).
double edp_power(const Context& cx, double bits, double p_lo, double p_hi, Plan plan) {
  p_lo = std::max(p_lo, std::numeric_limits<double>::min());  // log-spaced search needs p > 0
  if (!(p_hi > p_lo)) return p_hi;
  const auto cost = [&](double u) {
    fill(cx, bits, std::exp(u), plan);
    return plan.cost;
  };
  const double u_lo = std::log(p_lo), u_hi = std::log(p_hi);
  constexpr int kScan = 32;
  int best = 0;
  double best_cost = kInf;
  for (int k = 0; k <= kScan; ++k) {
    const double c = cost(u_lo + (u_hi - u_lo) * k / kScan);
    if (c < best_cost) { best_cost = c; best = k; }
  }
  double a = u_lo + (u_hi - u_lo) * std::max(best - 1, 0) / kScan;
  double b = u_lo + (u_hi - u_lo) * std::min(best + 1, kScan) / kScan;
  const double invphi = 0.5 * (std::sqrt(5.0) - 1.0);
  double x1 = b - invphi * (b - a), x2 = a + invphi * (b - a);
  double f1 = cost(x1), f2 = cost(x2);
  for (int it = 0; it < 100 && (b - a) > 1e-13 * std::max(1.0, std::fabs(a)); ++it) {
    if (f1 <= f2) { b = x2; x2 = x1; f2 = f1; x1 = b - invphi * (b - a); f1 = cost(x1); }
    else { a = x1; x1 = x2; f1 = f2; x2 = a + invphi * (b - a); f2 = cost(x2); }
  }
  double u = f1 <= f2 ? x1 : x2;
  double fu = std::min(f1, f2);
  const double grid_u = u_lo + (u_hi - u_lo) * best / kScan;
  if (best_cost < fu) u = grid_u;
  return std::min(std::max(std::exp(u), p_lo), p_hi);
}

// Best transmit power for split l and local (t, e); false when the deadline cannot be met.
// s_min_s: transmit time of split l at p_max (seconds).
bool best_plan(const Context& cx, std::size_t l, double s_min_s, double t_loc_ms, double e_loc_mj, Plan& plan) {
  const TableProblem& tp = cx.tp;
  const double bits = l < tp.num_blocks() ? tp.out_bits(l) : 0.0;
  plan.t_loc_ms = t_loc_ms;
  plan.e_loc_j = e_loc_mj * 1e-3;
  plan.t_srv_ms = tp.server_latency_ms(l);
  plan.e_idle_j = cx.sc.idle_power_w * plan.t_srv_ms * 1e-3;
  const double p_max = cx.sc.p_max_w;
  if (bits <= 0.0) {
    fill(cx, 0.0, 0.0, plan);
    return plan.t_loc_ms + plan.t_srv_ms <= cx.deadline_tol_ms;
  }
  const double tau_s = (cx.deadline_tol_ms - plan.t_srv_ms - t_loc_ms) * 1e-3;
  if (!(tau_s >= s_min_s)) return false;
  double p = p_max;
  if (!cx.rs.fixed_max_power && cx.obj.kind != ObjectiveKind::Latency) {
    // Aim at the exact deadline (the tolerance only decides feasibility).
    const double tau_exact_s = (cx.sc.deadline_ms - plan.t_srv_ms - t_loc_ms) * 1e-3;
    const double p_need = tau_exact_s > 0.0 ? std::min(cx.up.power_for_time_w(bits, tau_exact_s), p_max) : p_max;
    if (cx.obj.kind == ObjectiveKind::EnergyDelay) p = edp_power(cx, bits, p_need, p_max, plan);
    else p = std::min(std::max(cx.p_star, p_need), p_max);
  }
  fill(cx, bits, p, plan);
  return true;
}

// The fastest plan of split l at local (t, e): transmit at p_max.
Plan fastest_plan(const Context& cx, std::size_t l, double t_loc_ms, double e_loc_mj) {
  Plan plan;
  plan.t_loc_ms = t_loc_ms;
  plan.e_loc_j = e_loc_mj * 1e-3;
  plan.t_srv_ms = cx.tp.server_latency_ms(l);
  plan.e_idle_j = cx.sc.idle_power_w * plan.t_srv_ms * 1e-3;
  fill(cx, l < cx.tp.num_blocks() ? cx.tp.out_bits(l) : 0.0, cx.sc.p_max_w, plan);
  return plan;
}

OffloadSolution make_solution(const Context& cx, std::size_t l, std::size_t c, const Plan& plan) {
  const TableProblem& tp = cx.tp;
  OffloadSolution s;
  s.objective_value = plan.cost;
  s.energy_j = plan.energy_j;
  s.energy_compute_j = plan.e_loc_j;
  s.energy_transmit_j = plan.e_tx_j;
  s.energy_idle_j = plan.e_idle_j;
  s.latency_ms = plan.latency_ms();
  s.latency_local_ms = plan.t_loc_ms;
  s.latency_transmit_ms = plan.t_tx_ms;
  s.latency_server_ms = plan.t_srv_ms;
  s.split = static_cast<int>(l);
  if (l > 0) {
    s.compute_index = static_cast<int>(c / tp.num_mem());
    s.mem_index = static_cast<int>(c % tp.num_mem());
    s.compute_freq_mhz = tp.compute_freqs_mhz()[s.compute_index];
    s.mem_freq_mhz = tp.mem_freqs_mhz()[s.mem_index];
  } else {
    s.compute_freq_mhz = kNaN;
    s.mem_freq_mhz = kNaN;
  }
  s.tx_power_w = plan.p;
  s.offload_fraction = l < tp.num_blocks() ? 1.0 : 0.0;
  return s;
}

void validate(const Objective& o) {
  if (o.kind == ObjectiveKind::Weighted && !(std::isfinite(o.weight) && o.weight >= 0.0))
    throw std::invalid_argument("weight must be finite and >= 0");
}

void validate(const TableProblem& tp, const Restriction& r) {
  if (r.split < -1 || r.split > static_cast<int>(tp.num_blocks()))
    throw std::invalid_argument("split must be in 0..L");
  if (r.compute_index < -1 || r.compute_index >= static_cast<int>(tp.num_compute()))
    throw std::invalid_argument("compute_index out of range");
  if (r.mem_index < -1 || r.mem_index >= static_cast<int>(tp.num_mem()))
    throw std::invalid_argument("mem_index out of range");
}

std::string format_ms(double v) {
  std::ostringstream os;
  os.precision(6);
  os << v << " ms";
  return os.str();
}

}  // namespace

OffloadSolution solve(const TableProblem& tp, const Scenario& sc, const Objective& obj, const Restriction& rs) {
  validate(sc);
  validate(obj);
  validate(tp, rs);
  const double p_fixed = sc.p_circuit_w + (obj.kind == ObjectiveKind::Weighted ? obj.weight : 0.0);
  const Uplink up{sc.bandwidth_hz, sc.gain, sc.noise_w_per_hz};
  const Context cx{tp, sc, obj, rs, up, sc.deadline_ms * (1.0 + kDeadlineRelTol),
                   energy_optimal_power_w(up.snr_per_watt(), p_fixed)};

  const std::size_t nc = tp.num_configs();
  const std::size_t nm = tp.num_mem();
  const bool free_freqs = rs.compute_index < 0 && rs.mem_index < 0;
  const std::size_t f_lo = rs.compute_index < 0 ? 0 : static_cast<std::size_t>(rs.compute_index);
  const std::size_t f_hi = rs.compute_index < 0 ? nc / nm : f_lo + 1;
  const std::size_t m_lo = rs.mem_index < 0 ? 0 : static_cast<std::size_t>(rs.mem_index);
  const std::size_t m_hi = rs.mem_index < 0 ? nm : m_lo + 1;
  const std::size_t l_first = rs.split < 0 ? 0 : static_cast<std::size_t>(rs.split);
  const std::size_t l_last = rs.split < 0 ? tp.num_blocks() : static_cast<std::size_t>(rs.split);

  Plan best, plan;
  std::size_t best_l = 0, best_c = 0, fast_l = 0, fast_c = 0;
  bool found = false;
  long evaluated = 0;
  double fastest_latency = kInf;

  const auto consider = [&](std::size_t l, double s_min_s, std::size_t c, double t, double e) {
    ++evaluated;
    if (!best_plan(cx, l, s_min_s, t, e, plan)) return;
    if (!found || plan.cost < best.cost || (plan.cost == best.cost && plan.energy_j < best.energy_j)) {
      best = plan;
      best_l = l;
      best_c = c;
      found = true;
    }
  };
  double fast_t = 0.0, fast_e = 0.0;
  const auto track_fastest = [&](std::size_t l, double s_min_ms, std::size_t c, double t, double e) {
    const double latency = t + s_min_ms + tp.server_latency_ms(l);
    if (latency < fastest_latency) {
      fastest_latency = latency;
      fast_l = l;
      fast_c = c;
      fast_t = t;
      fast_e = e;
    }
  };

  // Exact pruning for separable objectives (energy, weighted): a candidate costs at least
  // E_local + w t_local + (idle + w) t_server + bits * min_p (p + p_circuit + w) / r(p).
  const bool separable = obj.kind == ObjectiveKind::Energy || obj.kind == ObjectiveKind::Weighted;
  const double w = obj.kind == ObjectiveKind::Weighted ? obj.weight : 0.0;
  const double cost_per_bit = cx.p_star > 0.0 ? (cx.p_star + p_fixed) / up.rate_bps(cx.p_star)
                                              : std::log(2.0) / (sc.bandwidth_hz * up.snr_per_watt());
  constexpr double kSafety = 1.0 - 1e-12;

  // Front path (free frequencies): per split, the feasible prefix of the Pareto front and a lower
  // bound; splits are then visited best bound first (branch and bound, exact).
  struct SplitRange {
    std::size_t l, begin, stop;
    double s_min_s, fixed, bound;
  };
  std::vector<SplitRange> ranges;
  const auto& ft = tp.front_time_ms();
  const auto& fe = tp.front_energy_mj();
  const auto& fc = tp.front_config();
  for (std::size_t l = l_first; l <= l_last; ++l) {
    const double bits = l < tp.num_blocks() ? tp.out_bits(l) : 0.0;
    const double s_min_s = up.transmit_time_s(bits, sc.p_max_w);
    const double s_min_ms = s_min_s * 1e3;
    const double budget_ms = cx.deadline_tol_ms - tp.server_latency_ms(l) - s_min_ms;
    if (free_freqs || l == 0) {
      // Pareto front sorted by local time: the feasible candidates are a prefix.
      const std::size_t b = tp.front_begin(l), e = tp.front_end(l);
      track_fastest(l, s_min_ms, fc[b], ft[b], fe[b]);
      const std::size_t stop = static_cast<std::size_t>(std::upper_bound(ft.begin() + b, ft.begin() + e, budget_ms) - ft.begin());
      if (stop == b) continue;
      const double fixed = (sc.idle_power_w + w) * tp.server_latency_ms(l) * 1e-3 + bits * cost_per_bit;
      // Smallest local energy of the prefix is its last member; smallest time its first.
      const double bound = (fe[stop - 1] * 1e-3 + w * ft[b] * 1e-3 + fixed) * kSafety;
      ranges.push_back({l, b, stop, s_min_s, fixed, bound});
    } else {
      // Only the configurations the restriction allows (configuration c = f * nm + m).
      for (std::size_t f = f_lo; f < f_hi; ++f) {
        for (std::size_t m = m_lo; m < m_hi; ++m) {
          const std::size_t c = f * nm + m;
          const double t = tp.local_time_ms(l, c), en = tp.local_energy_mj(l, c);
          track_fastest(l, s_min_ms, c, t, en);
          if (t <= budget_ms) consider(l, s_min_s, c, t, en);
        }
      }
    }
  }
  if (separable) {
    std::sort(ranges.begin(), ranges.end(), [](const SplitRange& a, const SplitRange& b) {
      return a.bound < b.bound || (a.bound == b.bound && a.l < b.l);
    });
  }
  for (const SplitRange& r : ranges) {
    if (!separable) {
      for (std::size_t k = r.begin; k < r.stop; ++k) consider(r.l, r.s_min_s, fc[k], ft[k], fe[k]);
      continue;
    }
    if (found && r.bound > best.cost) break;  // sorted: no later split can do better
    // Backwards: local energy grows as k decreases, so for energy the bound only grows.
    for (std::size_t k = r.stop; k-- > r.begin;) {
      const double bound = (fe[k] * 1e-3 + w * ft[k] * 1e-3 + r.fixed) * kSafety;
      if (found && bound > best.cost) {
        if (obj.kind == ObjectiveKind::Energy) break;
        continue;
      }
      consider(r.l, r.s_min_s, fc[k], ft[k], fe[k]);
    }
  }

  OffloadSolution out;
  if (found) {
    out = make_solution(cx, best_l, best_c, best);
    out.feasible = true;
  } else {
    const Plan fastest = fastest_plan(cx, fast_l, fast_t, fast_e);
    out = make_solution(cx, fast_l, fast_c, fastest);
    out.feasible = false;
    out.reason = "no plan meets the deadline of " + format_ms(sc.deadline_ms) +
                 ": the smallest reachable latency is " + format_ms(fastest_latency) + " (split " +
                 std::to_string(fast_l) + ", transmit power p_max); the decisions shown are that fastest plan";
  }
  out.min_latency_ms = fastest_latency;
  out.evaluated = evaluated;
  return out;
}

OffloadSolution evaluate(const TableProblem& tp, const Scenario& sc, int split, int compute_index,
                         int mem_index, double tx_power_w) {
  validate(sc);
  if (split < 0 || split > static_cast<int>(tp.num_blocks())) throw std::invalid_argument("split must be in 0..L");
  const auto l = static_cast<std::size_t>(split);
  std::size_t c = 0;
  if (l > 0) {
    if (compute_index < 0 || compute_index >= static_cast<int>(tp.num_compute())) throw std::invalid_argument("compute_index out of range");
    if (mem_index < 0 || mem_index >= static_cast<int>(tp.num_mem())) throw std::invalid_argument("mem_index out of range");
    c = static_cast<std::size_t>(compute_index) * tp.num_mem() + static_cast<std::size_t>(mem_index);
  }
  const double bits = l < tp.num_blocks() ? tp.out_bits(l) : 0.0;
  if (bits > 0.0 && !(std::isfinite(tx_power_w) && tx_power_w > 0.0))
    throw std::invalid_argument("tx_power_w must be finite and > 0 when data is sent");
  const Objective obj{};
  const Restriction rs{};
  const Uplink up{sc.bandwidth_hz, sc.gain, sc.noise_w_per_hz};
  const Context cx{tp, sc, obj, rs, up, sc.deadline_ms * (1.0 + kDeadlineRelTol), 0.0};
  Plan plan;
  plan.t_loc_ms = tp.local_time_ms(l, c);
  plan.e_loc_j = tp.local_energy_mj(l, c) * 1e-3;
  plan.t_srv_ms = tp.server_latency_ms(l);
  plan.e_idle_j = sc.idle_power_w * plan.t_srv_ms * 1e-3;
  fill(cx, bits, tx_power_w, plan);
  OffloadSolution out = make_solution(cx, l, c, plan);
  out.min_latency_ms = kNaN;
  out.evaluated = 1;
  const bool power_ok = bits <= 0.0 || tx_power_w <= sc.p_max_w * (1.0 + 1e-12);
  const bool time_ok = plan.latency_ms() <= cx.deadline_tol_ms;
  out.feasible = power_ok && time_ok;
  if (!power_ok) out.reason = "transmit power above p_max";
  else if (!time_ok) out.reason = "latency " + format_ms(plan.latency_ms()) + " misses the deadline of " + format_ms(sc.deadline_ms);
  return out;
}

}  // namespace dvfskit

// Exact enumeration over options (split, offloaded share) and their Pareto fronts, with the
// optimal transmit power per candidate; branch and bound over options for separable objectives.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
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
  bool fixed_max_power;
  Uplink up;
  double deadline_tol_ms;
  double p_star;         // minimiser of the per-bit transmit cost (p + p_circuit [+ weight]) / r(p)
  double p_star_energy;  // the same without the weight (where the latency does not depend on p)
};

struct Plan {
  double cost = kInf;
  double energy_j = 0.0, e_loc_j = 0.0, e_tx_j = 0.0, e_idle_j = 0.0;
  double t_loc_ms = 0.0, t_end_ms = 0.0, t_tx_ms = 0.0, t_srv_ms = 0.0;
  double p = 0.0;
  // The device's own share ends at t_end; the offloaded share at t_loc + transmit + server.
  double latency_ms() const { return std::max(t_end_ms, t_loc_ms + t_tx_ms + t_srv_ms); }
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

// The local and server parts of a plan (everything but the transmission).
void base(const Context& cx, const OffloadOption& op, double t_loc_ms, double t_end_ms, double e_loc_mj, Plan& plan) {
  plan.t_loc_ms = t_loc_ms;
  plan.t_end_ms = t_end_ms;
  plan.e_loc_j = e_loc_mj * 1e-3;
  plan.t_srv_ms = op.server_ms;
  plan.e_idle_j = cx.sc.idle_power_w * plan.t_srv_ms * 1e-3;
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
  const double fu = std::min(f1, f2);
  const double grid_u = u_lo + (u_hi - u_lo) * best / kScan;
  if (best_cost < fu) u = grid_u;
  return std::min(std::max(std::exp(u), p_lo), p_hi);
}

double clamp(double x, double lo, double hi) { return std::min(std::max(x, lo), hi); }

// Best transmit power for option op at a configuration with serial local time t_loc, local end
// t_end and compute energy e_loc; false when the deadline cannot be met. s_min_s: transmit time
// at p_max (seconds).
bool best_plan(const Context& cx, const OffloadOption& op, double s_min_s, double t_loc_ms, double t_end_ms,
               double e_loc_mj, Plan& plan) {
  base(cx, op, t_loc_ms, t_end_ms, e_loc_mj, plan);
  if (!(t_end_ms <= cx.deadline_tol_ms)) return false;
  const double bits = op.bits;
  const double p_max = cx.sc.p_max_w;
  if (bits <= 0.0) {
    fill(cx, 0.0, 0.0, plan);
    return plan.latency_ms() <= cx.deadline_tol_ms;
  }
  const double tau_s = (cx.deadline_tol_ms - plan.t_srv_ms - t_loc_ms) * 1e-3;
  if (!(tau_s >= s_min_s)) return false;
  double p = p_max;
  if (!cx.fixed_max_power && cx.obj.kind != ObjectiveKind::Latency) {
    // Aim at the exact deadline (the tolerance only decides feasibility).
    const double tau_exact_s = (cx.sc.deadline_ms - plan.t_srv_ms - t_loc_ms) * 1e-3;
    const double p_need = tau_exact_s > 0.0 ? std::min(cx.up.power_for_time_w(bits, tau_exact_s), p_max) : p_max;
    // With p >= p_a the offloaded share ends before the device's own: the latency is t_end.
    const double s_a = (t_end_ms - t_loc_ms - plan.t_srv_ms) * 1e-3;
    const double p_a = s_a > 0.0 ? cx.up.power_for_time_w(bits, s_a) : kInf;
    const bool edp = cx.obj.kind == ObjectiveKind::EnergyDelay;
    if (cx.obj.kind == ObjectiveKind::Energy) {
      p = clamp(cx.p_star, p_need, p_max);
    } else if (!(p_a < p_max)) {  // the transmission decides the latency for every p
      p = edp ? edp_power(cx, bits, p_need, p_max, plan) : clamp(cx.p_star, p_need, p_max);
    } else {
      const double split_p = std::max(p_a, p_need);
      const double p1 = clamp(cx.p_star_energy, split_p, p_max);  // latency t_end: least energy
      const double p2 = edp ? edp_power(cx, bits, p_need, split_p, plan) : clamp(cx.p_star, p_need, split_p);
      Plan a = plan, b = plan;
      fill(cx, bits, p1, a);
      fill(cx, bits, p2, b);
      p = b.cost < a.cost ? p2 : p1;
    }
  }
  fill(cx, bits, p, plan);
  return true;
}

OffloadSolution make_solution(const Context& cx, const OffloadOption& op, std::size_t k, const Plan& plan) {
  const TableProblem& tp = cx.tp;
  OffloadSolution s;
  s.objective_value = plan.cost;
  s.energy_j = plan.energy_j;
  s.energy_compute_j = plan.e_loc_j;
  s.energy_transmit_j = plan.e_tx_j;
  s.energy_idle_j = plan.e_idle_j;
  s.latency_ms = plan.latency_ms();
  s.latency_local_ms = plan.t_end_ms;
  s.latency_transmit_ms = plan.t_tx_ms;
  s.latency_server_ms = plan.t_srv_ms;
  s.split = static_cast<int>(op.split);
  const bool nothing_local = op.split == 0 && op.fraction == 1.0;
  s.config = nothing_local ? -1 : static_cast<int>(k);
  s.compute_freq_mhz = nothing_local ? kNaN : tp.compute_freq_mhz(k);
  s.mem_freq_mhz = nothing_local ? kNaN : tp.mem_freq_mhz(k);
  s.tx_power_w = plan.p;
  s.offload_fraction = op.split < tp.num_blocks() ? op.fraction : 0.0;
  return s;
}

void validate(const Objective& o) {
  if (o.kind == ObjectiveKind::Weighted && !(std::isfinite(o.weight) && o.weight >= 0.0))
    throw std::invalid_argument("weight must be finite and >= 0");
}

std::string format_ms(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.6g ms", v);
  return buffer;
}

// The options a restriction allows, [first, last).
std::pair<std::size_t, std::size_t> option_range(const TableProblem& tp, const Restriction& r) {
  if (r.split < -1 || r.split > static_cast<int>(tp.num_blocks())) throw std::invalid_argument("split must be in 0..L");
  if (r.configs != nullptr && r.configs->problem_id() != tp.id())
    throw std::invalid_argument("the restriction's configuration subset was built from another problem");
  if (r.fraction != -1.0 && !(r.fraction >= 0.0 && r.fraction <= 1.0))
    throw std::invalid_argument("a restricted offload fraction must lie in [0, 1]");
  if (r.split < 0) return {0, tp.num_options()};
  const auto l = static_cast<std::size_t>(r.split);
  return {tp.split_begin(l), tp.split_begin(l + 1)};
}

}  // namespace

PreparedScenario prepare(const Scenario& sc, const Objective& obj) {
  validate(sc);
  validate(obj);
  PreparedScenario ps;
  ps.scenario = sc;
  ps.objective = obj;
  ps.deadline_tol_ms = sc.deadline_ms * (1.0 + kDeadlineRelTol);
  const double w = obj.kind == ObjectiveKind::Weighted ? obj.weight : 0.0;
  const Uplink up{sc.bandwidth_hz, sc.gain, sc.noise_w_per_hz};
  const double p_fixed = sc.p_circuit_w + w;
  ps.p_star = energy_optimal_power_w(up.snr_per_watt(), p_fixed);
  ps.p_star_energy = w > 0.0 ? energy_optimal_power_w(up.snr_per_watt(), sc.p_circuit_w) : ps.p_star;
  ps.rate_max_bps = up.rate_bps(sc.p_max_w);
  ps.cost_per_bit = ps.p_star > 0.0 ? (ps.p_star + p_fixed) / up.rate_bps(ps.p_star)
                                    : std::log(2.0) / (sc.bandwidth_hz * up.snr_per_watt());
  return ps;
}

OffloadSolution solve(const TableProblem& tp, const Scenario& sc, const Objective& obj, const Restriction& rs) {
  return solve(tp, prepare(sc, obj), rs);
}

OffloadSolution solve(const TableProblem& tp, const PreparedScenario& ps, const Restriction& rs) {
  const Scenario& sc = ps.scenario;
  const Objective& obj = ps.objective;
  const auto [o_first, o_last] = option_range(tp, rs);
  const double w = obj.kind == ObjectiveKind::Weighted ? obj.weight : 0.0;
  const Uplink up{sc.bandwidth_hz, sc.gain, sc.noise_w_per_hz};
  const Context cx{tp, sc, obj, rs.fixed_max_power, up, ps.deadline_tol_ms, ps.p_star, ps.p_star_energy};
  const ParetoFronts& F = rs.configs != nullptr ? rs.configs->fronts() : tp.fronts();
  const double rate_max = ps.rate_max_bps;

  Plan best, plan;
  std::size_t best_o = 0, best_k = 0, fast_o = 0, fast_k = 0;
  bool found = false, any_option = false;
  long evaluated = 0;
  double fastest_latency = kInf;

  const auto consider = [&](std::size_t o, double s_min_s, std::size_t i) {
    ++evaluated;
    if (!best_plan(cx, tp.option(o), s_min_s, F.t_loc_ms[i], F.t_end_ms[i], F.energy_mj[i], plan)) return;
    if (!found || plan.cost < best.cost || (plan.cost == best.cost && plan.energy_j < best.energy_j)) {
      best = plan;
      best_o = o;
      best_k = F.config[i];
      found = true;
    }
  };

  // Exact pruning for separable objectives (energy, weighted): a candidate costs at least
  // E_compute + w t_loc + (idle + w) t_server + bits * min_p (p + p_circuit + w) / r(p) (at
  // p_max exactly when the power is fixed there).
  const bool separable = obj.kind == ObjectiveKind::Energy || obj.kind == ObjectiveKind::Weighted;
  const double cost_per_bit = rs.fixed_max_power ? (sc.p_max_w + sc.p_circuit_w + w) / rate_max : ps.cost_per_bit;
  constexpr double kSafety = 1.0 - 1e-12;

  // Per option, the candidates meeting the time budget of the serial part (a prefix of the front,
  // sorted by t_loc) and a lower bound; options are then visited best bound first.
  struct OptionRange {
    std::size_t o, begin, stop;
    double s_min_s, fixed, bound;
  };
  thread_local std::vector<OptionRange> ranges;  // reused: no allocation per solve
  ranges.clear();
  const auto allowed = [&](std::size_t o) {
    return rs.fraction == -1.0 || tp.option(o).fraction == rs.fraction || tp.option(o).split == tp.num_blocks();
  };
  // Fastest plan of an option (at p_max): on its time front, where t_end meets t_loc + transmit + server.
  const auto track_fastest = [&](std::size_t o) {
    const OffloadOption& op = tp.option(o);
    const double c = (op.bits > 0.0 ? op.bits / rate_max : 0.0) * 1e3;
    const std::size_t tb = F.time_begin(o), te = F.time_end(o);
    const auto late = [&](std::size_t i) { return F.time_loc_ms[i] + c + op.server_ms; };
    std::size_t lo = tb, hi = te;  // first i whose offloaded share ends last
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (late(mid) < F.time_end_ms[mid]) lo = mid + 1;
      else hi = mid;
    }
    for (const std::size_t i : {lo, lo - 1}) {
      if (i < tb || i >= te) continue;
      const double latency = std::max(F.time_end_ms[i], late(i));
      if (latency < fastest_latency) {
        fastest_latency = latency;
        fast_o = o;
        fast_k = F.time_config[i];
      }
    }
  };
  for (std::size_t o = o_first; o < o_last; ++o) {
    if (!allowed(o)) continue;
    const OffloadOption& op = tp.option(o);
    any_option = true;
    const double s_min_s = op.bits > 0.0 ? op.bits / rate_max : 0.0;
    const double s_min_ms = s_min_s * 1e3;
    if (ps.min_latency) track_fastest(o);
    const double budget_ms = cx.deadline_tol_ms - op.server_ms - s_min_ms;
    const std::size_t b = F.begin(o), e = F.end(o);
    const std::size_t stop = static_cast<std::size_t>(
        std::upper_bound(F.t_loc_ms.begin() + b, F.t_loc_ms.begin() + e, budget_ms) - F.t_loc_ms.begin());
    if (stop == b) continue;
    const double fixed = (sc.idle_power_w + w) * op.server_ms * 1e-3 + op.bits * cost_per_bit;
    const double bound = (F.energy_prefix_min_mj[stop - 1] * 1e-3 + w * F.t_loc_ms[b] * 1e-3 + fixed) * kSafety;
    ranges.push_back({o, b, stop, s_min_s, fixed, bound});
  }
  if (!any_option) throw std::invalid_argument("no option has the restricted split and offload fraction");
  if (separable) {
    std::sort(ranges.begin(), ranges.end(), [](const OptionRange& a, const OptionRange& b) {
      return a.bound < b.bound || (a.bound == b.bound && a.o < b.o);
    });
  }
  for (const OptionRange& r : ranges) {
    if (!separable) {
      for (std::size_t i = r.begin; i < r.stop; ++i) consider(r.o, r.s_min_s, i);
      continue;
    }
    if (found && r.bound > best.cost) break;  // sorted: no later option can do better
    const double w_t0 = w * F.t_loc_ms[r.begin] * 1e-3;
    for (std::size_t i = r.stop; i-- > r.begin;) {
      if (found && (F.energy_mj[i] * 1e-3 + w * F.t_loc_ms[i] * 1e-3 + r.fixed) * kSafety > best.cost) {
        // Entries before i have at least the prefix minimum energy.
        if ((F.energy_prefix_min_mj[i] * 1e-3 + w_t0 + r.fixed) * kSafety > best.cost) break;
        continue;
      }
      consider(r.o, r.s_min_s, i);
    }
  }

  if (!found && !ps.min_latency)  // the fastest plan is the answer: find it now
    for (std::size_t o = o_first; o < o_last; ++o)
      if (allowed(o)) track_fastest(o);

  OffloadSolution out;
  if (found) {
    out = make_solution(cx, tp.option(best_o), best_k, best);
    out.feasible = true;
  } else {
    const OffloadOption& op = tp.option(fast_o);
    Plan fastest;
    base(cx, op, tp.local_time_ms(op.split, fast_k), tp.local_end_ms(op.split, op.fraction, fast_k),
         tp.compute_energy_mj(op.split, op.fraction, fast_k), fastest);
    fill(cx, op.bits, sc.p_max_w, fastest);
    out = make_solution(cx, op, fast_k, fastest);
    out.feasible = false;
    if (ps.explain)
      out.reason = "no plan meets the deadline of " + format_ms(sc.deadline_ms) +
                 ": the smallest reachable latency is " + format_ms(fastest_latency) + " (split " +
                 std::to_string(op.split) + (tp.partial_offloading() ? ", offload fraction " + std::to_string(out.offload_fraction) : "") +
                 ", transmit power p_max); the decisions shown are that fastest plan";
  }
  out.min_latency_ms = ps.min_latency || !found ? fastest_latency : kNaN;
  out.evaluated = evaluated;
  return out;
}

OffloadSolution evaluate(const TableProblem& tp, const Scenario& sc, int split, int config, double tx_power_w,
                         double fraction) {
  validate(sc);
  if (split < 0 || split > static_cast<int>(tp.num_blocks())) throw std::invalid_argument("split must be in 0..L");
  const auto l = static_cast<std::size_t>(split);
  const std::size_t L = tp.num_blocks();
  if (fraction != -1.0 && !(fraction >= 0.0 && fraction <= 1.0))
    throw std::invalid_argument("offload fraction must lie in [0, 1]");
  const double rho = l == L ? 0.0 : (fraction == -1.0 ? 1.0 : fraction);
  const OffloadOption op{l, rho, l < L ? rho * tp.out_bits(l) : 0.0, l < L ? rho * tp.server_latency_ms(l) : 0.0};
  const bool nothing_local = l == 0 && rho == 1.0;
  std::size_t k = 0;
  if (!nothing_local) {
    if (config < 0 || config >= static_cast<int>(tp.num_configs())) throw std::invalid_argument("config out of range");
    k = static_cast<std::size_t>(config);
  }
  const double bits = op.bits;
  if (bits > 0.0 && !(std::isfinite(tx_power_w) && tx_power_w > 0.0))
    throw std::invalid_argument("tx_power_w must be finite and > 0 when data is sent");
  const Objective obj{};
  const Uplink up{sc.bandwidth_hz, sc.gain, sc.noise_w_per_hz};
  const Context cx{tp, sc, obj, false, up, sc.deadline_ms * (1.0 + kDeadlineRelTol), 0.0, 0.0};
  Plan plan;
  base(cx, op, tp.local_time_ms(l, k), tp.local_end_ms(l, rho, k), tp.compute_energy_mj(l, rho, k), plan);
  fill(cx, bits, tx_power_w, plan);
  OffloadSolution out = make_solution(cx, op, k, plan);
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

// Periodic inference under governors: steady state (S = P) and time-stepped simulation (S < P).
// See governor_sim.hpp and docs/math/governors.md.
#include "dvfskit/governor_sim.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include "dvfskit/parallel.hpp"

namespace dvfskit {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kDeadlineTolerance = 1e-9;      // as the solver: latency <= P (1 + 1e-9) is on time
constexpr std::size_t kMaxGrid = std::size_t{1} << 22;  // level-grid lookup table size limit
constexpr double kMaxSnapWork = 5e7;             // eager nearest-configuration table: grid x K

std::int64_t nanos(double ms) { return std::isfinite(ms) ? static_cast<std::int64_t>(std::llround(ms * 1e6)) : -1; }

struct KeyHash {
  std::size_t operator()(const std::vector<std::int64_t>& v) const noexcept {
    std::size_t h = 1469598103934665603ull;
    for (const std::int64_t x : v) h = (h ^ static_cast<std::size_t>(x)) * 1099511628211ull;
    return h;
  }
};

void check_table(const std::vector<double>& v, std::size_t size, const char* name) {
  if (v.size() != size)
    throw std::invalid_argument(std::string(name) + " must have L x K = " + std::to_string(size) + " entries, got " +
                                std::to_string(v.size()));
  for (const double x : v)
    if (!(std::isfinite(x) && x >= 0)) throw std::invalid_argument(std::string(name) + " must be finite and >= 0");
}

void check_run(double period_ms, double sampling_ms, double idle_power_w) {
  if (!(std::isfinite(period_ms) && period_ms > 0)) throw std::invalid_argument("period_ms must be finite and > 0");
  if (!(std::isfinite(sampling_ms) && sampling_ms > 0 && sampling_ms <= period_ms))
    throw std::invalid_argument("sampling_ms must satisfy 0 < sampling_ms <= period_ms");
  if (!(std::isfinite(idle_power_w) && idle_power_w >= 0))
    throw std::invalid_argument("idle_power_w must be finite and >= 0");
}

}  // namespace

struct GovernorSimulator::Knob {
  GovernorState gov;
  Window win;
};

struct GovernorSimulator::State {
  std::size_t k = 0;
  std::vector<Knob> knobs;
  double stall_ms = 0.0;      // switch paid at the coming inference's start
  double stall_energy_j = 0.0;
  int switches = 0;
};

// One simulation: the state, the per-inference records and the shared sampling logic.
class GovernorSimulator::Run {
 public:
  Run(const GovernorSimulator& sim, double period_ms, double idle_power_w, bool record)
      : sim_(sim), P_(period_ms), idle_(idle_power_w), record_(record) {
    s_.k = sim.initial_;
    s_.knobs.resize(sim.d_);
    for (std::size_t j = 0; j < sim.d_; ++j)  // cs_start: requested_freq = policy->cur
      s_.knobs[j].gov.requested_khz = sim.tables_[j].khz[static_cast<std::size_t>(sim.p_.configs.level(s_.k, j))];
  }

  // The state at an inference start, compared to 1 ns / 1 pJ.
  std::vector<std::int64_t> key() const {
    std::vector<std::int64_t> key;
    key.reserve(3 + 7 * sim_.d_);
    key.push_back(static_cast<std::int64_t>(s_.k));
    key.push_back(nanos(s_.stall_ms));
    key.push_back(static_cast<std::int64_t>(std::llround(s_.stall_energy_j * 1e12)));
    for (std::size_t j = 0; j < sim_.d_; ++j) {
      const GovernorSpec& spec = sim_.p_.governors[j];
      if (is_constant(spec.kind)) continue;
      const Knob& kn = s_.knobs[j];
      key.push_back(kn.gov.requested_khz);
      key.push_back(kn.gov.down_skip);
      key.push_back(kn.gov.skips_left);
      key.push_back(spec.kind == GovernorKind::kSchedutil
                        ? nanos(std::min(kn.gov.since_change_ms, spec.rate_limit_us / 1000.0))
                        : 0);
      key.push_back(nanos(kn.win.length_ms));
      key.push_back(nanos(kn.win.busy_ms));
      key.push_back(nanos(kn.win.invariant_busy_ms));
    }
    return key;
  }

  // Time passes at the current configuration: block `block` runs (or nothing, block < 0).
  void account(double dt, long block) {
    const std::size_t k = s_.k, K = sim_.K_, d = sim_.d_;
    for (std::size_t j = 0; j < d; ++j) {
      Knob& kn = s_.knobs[j];
      kn.win.length_ms += dt;
      kn.gov.since_change_ms += dt;
      if (block >= 0) {
        const auto& b = sim_.p_.busy[j];
        const double busy = dt * (b.empty() ? 1.0 : b[static_cast<std::size_t>(block) * K + k]);
        kn.win.busy_ms += busy;
        kn.win.invariant_busy_ms += busy * sim_.ratio_[k * d + j];
      }
    }
  }

  // A whole cycle of `cycle` ms at configuration k, its blocks taking their totals (steady state).
  void account_cycle(double cycle) {
    const std::size_t k = s_.k, K = sim_.K_, d = sim_.d_;
    for (std::size_t j = 0; j < d; ++j) {
      Knob& kn = s_.knobs[j];
      const double busy = sim_.total_busy_[j * K + k];
      kn.win.length_ms += cycle;
      kn.win.busy_ms += busy;
      kn.win.invariant_busy_ms += busy * sim_.ratio_[k * d + j];
      kn.gov.since_change_ms += cycle;
    }
  }

  // A sampling instant: every governed knob that is not skipping decides; the levels snap to a
  // configuration; a change costs the changed knobs' switching time and energy (added to the
  // arguments).
  void sample(double& stall_ms, double& energy_j, int& switches) {
    const std::size_t d = sim_.d_;
    const ConfigSet& cs = sim_.p_.configs;
    std::vector<int> levels(d);
    for (std::size_t j = 0; j < d; ++j) levels[j] = cs.level(s_.k, j);
    bool budget = false;
    for (std::size_t j = 0; j < d; ++j) {
      const GovernorSpec& spec = sim_.p_.governors[j];
      if (spec.kind == GovernorKind::kNone) continue;
      Knob& kn = s_.knobs[j];
      if (kn.gov.skips_left > 0) {  // ondemand rate_mult: this knob's window keeps growing
        --kn.gov.skips_left;
        continue;
      }
      levels[j] = static_cast<int>(
          decide(spec, sim_.tables_[j], static_cast<std::size_t>(levels[j]), kn.win, kn.gov));
      kn.win = Window{};
      budget = budget || (spec.kind == GovernorKind::kSysScaleCompute && std::isfinite(spec.power_budget_w));
    }
    std::size_t next = sim_.snap(levels);
    if (budget) next = sim_.within_budget(levels, next);
    if (next == s_.k) return;
    stall_ms += sim_.p_.switch_any_ms;
    energy_j += sim_.p_.switch_any_j;
    for (std::size_t j = 0; j < d; ++j) {
      if (cs.level(next, j) == cs.level(s_.k, j)) continue;
      if (!sim_.p_.switch_time_ms.empty()) stall_ms += sim_.p_.switch_time_ms[j];
      if (!sim_.p_.switch_energy_j.empty()) energy_j += sim_.p_.switch_energy_j[j];
      if (sim_.p_.governors[j].kind == GovernorKind::kSchedutil) s_.knobs[j].gov.since_change_ms = 0.0;
    }
    ++switches;
    s_.k = next;
  }

  // The decision at the next inference's start (its switch becomes that inference's stall).
  void sample_at_start() {
    s_.stall_ms = s_.stall_energy_j = 0.0;
    s_.switches = 0;
    sample(s_.stall_ms, s_.stall_energy_j, s_.switches);
  }

  GovernorInference start_record() const {
    GovernorInference r;
    r.config = s_.k;
    r.switches = s_.switches;
    return r;
  }

  void finish(GovernorInference& r, double duration, double cycle, double block_ms, double energy_j) const {
    r.latency_ms = duration;
    r.cycle_ms = cycle;
    r.missed = duration > P_ * (1.0 + kDeadlineTolerance);
    r.energy_j = energy_j + idle_ * (cycle - block_ms) / 1000.0;
  }

  void segment(std::size_t n, std::size_t block, double start, double duration) {
    if (!record_ || duration <= 0) return;
    if (!segments_.empty()) {
      GovernorSegment& last = segments_.back();
      if (last.inference == n && last.block == block && last.config == s_.k) {
        last.duration_ms += duration;
        return;
      }
    }
    segments_.push_back(GovernorSegment{n, block, start, duration, s_.k});
  }

  // Runs inferences until the state at a start repeats; `step(n)` simulates inference n.
  GovernorOutcome drive(std::size_t max_inferences, const CancelToken* cancel,
                        const std::function<GovernorInference(std::size_t)>& step) {
    if (max_inferences < 2) throw std::invalid_argument("max_inferences must be >= 2");
    GovernorOutcome out;
    std::vector<GovernorInference> done;
    std::unordered_map<std::vector<std::int64_t>, std::size_t, KeyHash> seen;
    std::size_t n = 0;
    for (; n < max_inferences; ++n) {
      if ((n & 63) == 63) check(cancel);
      const auto [it, inserted] = seen.emplace(key(), n);
      if (!inserted) {
        out.warmup = it->second;
        out.cycle_length = n - it->second;
        out.converged = true;
        break;
      }
      done.push_back(step(n));
    }
    if (!out.converged) {
      out.warmup = n / 2;
      out.cycle_length = n - out.warmup;
    }
    for (std::size_t i = out.warmup; i < out.warmup + out.cycle_length; ++i) {
      out.energy_j += done[i].energy_j;
      out.latency_ms += done[i].latency_ms;
      out.miss_rate += done[i].missed ? 1.0 : 0.0;
      out.cycle_ms += done[i].cycle_ms;
    }
    const double c = static_cast<double>(out.cycle_length);
    out.energy_j /= c;
    out.latency_ms /= c;
    out.miss_rate /= c;
    out.cycle_ms /= c;
    if (record_) {
      out.inferences = std::move(done);
      out.segments = std::move(segments_);
    }
    return out;
  }

  const GovernorSimulator& sim_;
  const double P_, idle_;
  const bool record_;
  State s_;
  std::vector<GovernorSegment> segments_;
};

GovernorSimulator::GovernorSimulator(GovernorProblem problem) : p_(std::move(problem)) {
  K_ = p_.configs.size();
  d_ = p_.configs.num_knobs();
  const std::size_t L = p_.num_blocks;
  if (L == 0) throw std::invalid_argument("num_blocks must be >= 1");
  check_table(p_.latency_ms, L * K_, "latency_ms");
  check_table(p_.power_w, L * K_, "power_w");
  if (p_.busy.empty()) p_.busy.resize(d_);
  if (p_.busy.size() != d_) throw std::invalid_argument("busy must have one entry per knob");
  for (std::size_t j = 0; j < d_; ++j) {
    if (p_.busy[j].empty()) continue;
    check_table(p_.busy[j], L * K_, "busy");
    for (const double b : p_.busy[j])
      if (b > 1.0) throw std::invalid_argument("busy shares must lie in [0, 1] (knob " + p_.configs.knobs()[j] + ")");
  }
  for (auto* v : {&p_.switch_time_ms, &p_.switch_energy_j}) {
    if (!v->empty() && v->size() != d_) throw std::invalid_argument("switching costs need one entry per knob");
    for (const double x : *v)
      if (!(std::isfinite(x) && x >= 0)) throw std::invalid_argument("switching costs must be finite and >= 0");
  }
  if (!(std::isfinite(p_.switch_any_ms) && p_.switch_any_ms >= 0 && std::isfinite(p_.switch_any_j) &&
        p_.switch_any_j >= 0))
    throw std::invalid_argument("switching costs must be finite and >= 0");
  if (p_.governors.empty()) p_.governors.resize(d_);
  if (p_.governors.size() != d_) throw std::invalid_argument("governors must have one entry per knob");
  tables_.reserve(d_);
  for (std::size_t j = 0; j < d_; ++j) {
    const GovernorSpec& spec = p_.governors[j];
    const std::string& name = p_.configs.knobs()[j];
    if (spec.kind != GovernorKind::kNone && !p_.configs.is_frequency(j))
      throw std::invalid_argument("knob " + name + " is not a frequency knob (*_mhz): it cannot have a governor");
    try {
      validate(spec);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("knob " + name + ": " + e.what());
    }
    if (p_.configs.is_frequency(j)) {
      tables_.emplace_back(p_.configs.levels(j));
    } else {  // never governed: a placeholder table of its level codes
      std::vector<double> codes(p_.configs.num_levels(j));
      for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<double>(i + 1);
      tables_.emplace_back(std::move(codes));
    }
  }
  ratio_.assign(K_ * d_, 1.0);
  for (std::size_t k = 0; k < K_; ++k)
    for (std::size_t j = 0; j < d_; ++j)
      if (p_.configs.is_frequency(j)) ratio_[k * d_ + j] = p_.configs.value(k, j) / tables_[j].mhz.back();
  total_latency_.assign(K_, 0.0);
  total_energy_.assign(K_, 0.0);
  total_busy_.assign(d_ * K_, 0.0);
  for (std::size_t i = 0; i < L; ++i) {
    const double* t = p_.latency_ms.data() + i * K_;
    const double* w = p_.power_w.data() + i * K_;
    for (std::size_t k = 0; k < K_; ++k) {
      total_latency_[k] += t[k];
      total_energy_[k] += w[k] * t[k] / 1000.0;
    }
    for (std::size_t j = 0; j < d_; ++j) {
      double* out = total_busy_.data() + j * K_;
      const auto& b = p_.busy[j];
      for (std::size_t k = 0; k < K_; ++k) out[k] += t[k] * (b.empty() ? 1.0 : b[i * K_ + k]);
    }
  }
  for (std::size_t k = 0; k < K_; ++k) {
    if (!std::isfinite(total_latency_[k]) || !std::isfinite(total_energy_[k]))
      throw std::invalid_argument("latency_ms / power_w: totals overflow (rescale the units)");
    mean_power_.push_back(total_latency_[k] > 0 ? total_energy_[k] * 1000.0 / total_latency_[k] : 0.0);
  }
  // Level grid -> configuration: a lookup table when small enough, nearest configurations filled in
  // eagerly when that is cheap (else scanned per query).
  radix_.assign(d_, 0);
  std::size_t grid = 1;
  bool small = true;
  for (std::size_t j = d_; j-- > 0;) {
    radix_[j] = grid;
    const std::size_t n = p_.configs.num_levels(j);
    if (grid > kMaxGrid / n) {
      small = false;
      break;
    }
    grid *= n;
  }
  if (small) {
    grid_.assign(grid, -1);
    for (std::size_t k = 0; k < K_; ++k) {
      std::size_t idx = 0;
      for (std::size_t j = 0; j < d_; ++j) idx += radix_[j] * static_cast<std::size_t>(p_.configs.level(k, j));
      grid_[idx] = static_cast<std::int32_t>(k);
    }
    if (grid > K_ && static_cast<double>(grid) * static_cast<double>(K_) <= kMaxSnapWork) {
      std::vector<int> levels(d_);
      for (std::size_t idx = 0; idx < grid; ++idx) {
        if (grid_[idx] >= 0) continue;
        for (std::size_t j = 0; j < d_; ++j) levels[j] = static_cast<int>((idx / radix_[j]) % p_.configs.num_levels(j));
        grid_[idx] = -2 - static_cast<std::int32_t>(scan_nearest(levels));  // marked: snapped
      }
    }
  }
  std::vector<int> levels(d_);
  for (std::size_t j = 0; j < d_; ++j) levels[j] = static_cast<int>(initial_level(p_.governors[j], tables_[j]));
  initial_ = snap(levels);
}

std::size_t GovernorSimulator::scan_nearest(const std::vector<int>& levels) const {
  std::size_t best = 0;
  long best_dist = std::numeric_limits<long>::max(), best_sum = -1;
  for (std::size_t k = 0; k < K_; ++k) {
    long dist = 0, sum = 0;
    for (std::size_t j = 0; j < d_; ++j) {
      const int lv = p_.configs.level(k, j);
      dist += std::abs(lv - levels[j]);
      sum += lv;
    }
    if (dist < best_dist || (dist == best_dist && sum > best_sum)) {
      best = k;
      best_dist = dist;
      best_sum = sum;
    }
  }
  return best;
}

std::size_t GovernorSimulator::snap(const std::vector<int>& levels) const {
  if (levels.size() != d_) throw std::invalid_argument("snap: one level per knob");
  if (grid_.empty()) return scan_nearest(levels);
  std::size_t idx = 0;
  for (std::size_t j = 0; j < d_; ++j) idx += radix_[j] * static_cast<std::size_t>(levels[j]);
  const std::int32_t hit = grid_[idx];
  if (hit >= 0) return static_cast<std::size_t>(hit);
  if (hit <= -2) return static_cast<std::size_t>(-2 - hit);
  return scan_nearest(levels);
}

std::size_t GovernorSimulator::within_budget(std::vector<int> levels, std::size_t config) const {
  // SysScale: compute knobs step down from their level until the configuration's mean block power
  // fits the budget (the lowest level when none does).
  for (std::size_t j = 0; j < d_; ++j) {
    const GovernorSpec& spec = p_.governors[j];
    if (spec.kind != GovernorKind::kSysScaleCompute || !std::isfinite(spec.power_budget_w)) continue;
    for (int lv = levels[j]; lv >= 0; --lv) {
      levels[j] = lv;
      config = snap(levels);
      if (mean_power_[config] <= spec.power_budget_w) break;
    }
  }
  return config;
}

GovernorOutcome GovernorSimulator::run(double period_ms, double sampling_ms, double idle_power_w, bool record,
                                       std::size_t max_inferences, const CancelToken* cancel) const {
  check_run(period_ms, sampling_ms, idle_power_w);
  if (sampling_ms == period_ms) return steady_state(period_ms, idle_power_w, record, max_inferences, cancel);
  return simulate(period_ms, sampling_ms, idle_power_w, record, max_inferences, cancel);
}

GovernorOutcome GovernorSimulator::steady_state(double period_ms, double idle_power_w, bool record,
                                                std::size_t max_inferences, const CancelToken* cancel) const {
  check_run(period_ms, period_ms, idle_power_w);
  Run run(*this, period_ms, idle_power_w, record);
  const std::size_t L = p_.num_blocks;
  return run.drive(max_inferences, cancel, [&](std::size_t n) {
    GovernorInference r = run.start_record();
    const std::size_t k = run.s_.k;
    const double blocks = total_latency_[k];
    const double duration = run.s_.stall_ms + blocks;
    const double cycle = std::max(period_ms, duration);
    if (record) {
      double t = run.s_.stall_ms;
      for (std::size_t i = 0; i < L; ++i) {
        const double dt = p_.latency_ms[i * K_ + k];
        run.segment(n, i, t, dt);
        t += dt;
      }
    }
    run.finish(r, duration, cycle, blocks, total_energy_[k] + run.s_.stall_energy_j);
    run.account_cycle(cycle);
    run.sample_at_start();
    return r;
  });
}

GovernorOutcome GovernorSimulator::simulate(double period_ms, double sampling_ms, double idle_power_w, bool record,
                                            std::size_t max_inferences, const CancelToken* cancel) const {
  check_run(period_ms, sampling_ms, idle_power_w);
  Run run(*this, period_ms, idle_power_w, record);
  const std::size_t L = p_.num_blocks;
  const double last = period_ms * (1.0 - 1e-12);  // samples strictly inside the nominal period
  return run.drive(max_inferences, cancel, [&](std::size_t n) {
    GovernorInference r = run.start_record();
    double t = 0.0, energy = run.s_.stall_energy_j, block_ms = 0.0, stall = run.s_.stall_ms;
    std::size_t m = 1;
    const auto next_sample = [&] {
      const double ts = static_cast<double>(m) * sampling_ms;
      return ts < last ? ts : kInf;
    };
    const auto sample = [&] {
      if ((++m & 4095) == 0) check(cancel);  // many samples per inference: stay interruptible
      run.sample(stall, energy, r.switches);
    };
    // Switching stalls (nothing runs), split at sampling instants, which may switch again.
    const auto stall_through = [&] {
      while (stall > 0) {
        const double ts = next_sample();
        if (t + stall <= ts) {
          run.account(stall, -1);
          t += stall;
          stall = 0.0;
        } else {
          const double part = std::max(ts - t, 0.0);
          run.account(part, -1);
          t += part;
          stall -= part;
          sample();
        }
      }
    };
    stall_through();
    for (std::size_t i = 0; i < L; ++i) {
      double left = 1.0;  // share of block i's work still to run
      while (left > 0) {
        const std::size_t k = run.s_.k;
        const double full = p_.latency_ms[i * K_ + k];
        if (full <= 0) break;
        const double dur = left * full, ts = next_sample();
        const double part = t + dur <= ts ? dur : std::max(ts - t, 0.0);
        run.account(part, static_cast<long>(i));
        run.segment(n, i, t, part);
        energy += p_.power_w[i * K_ + k] * part / 1000.0;
        block_ms += part;
        t += part;
        if (part == dur) {
          left = 0.0;
        } else {
          left = std::max(left - part / full, 0.0);
          sample();
          stall_through();
        }
      }
    }
    const double duration = t;
    // Idle until the end of the nominal period, sampling on the way.
    for (double ts = next_sample(); ts < kInf; ts = next_sample()) {
      if (ts > t) {
        run.account(ts - t, -1);
        t = ts;
      }
      sample();
      stall_through();
    }
    const double cycle = std::max(period_ms, t);
    if (t < cycle) run.account(cycle - t, -1);
    run.finish(r, duration, cycle, block_ms, energy);
    run.sample_at_start();
    return r;
  });
}

GovernorSimulator::Batch GovernorSimulator::steady_batch(const std::vector<double>& period_ms,
                                                         const std::vector<double>& idle_power_w, int threads,
                                                         const CancelToken* cancel) const {
  if (period_ms.size() != idle_power_w.size())
    throw std::invalid_argument("steady_batch: one idle power per period");
  const std::size_t n = period_ms.size();
  for (std::size_t i = 0; i < n; ++i) check_run(period_ms[i], period_ms[i], idle_power_w[i]);
  Batch out;
  out.energy_j.resize(n);
  out.latency_ms.resize(n);
  out.miss_rate.resize(n);
  out.converged.resize(n);
  parallel_for(
      n, threads,
      [&](std::size_t i) {
        const GovernorOutcome r = steady_state(period_ms[i], idle_power_w[i]);
        out.energy_j[i] = r.energy_j;
        out.latency_ms[i] = r.latency_ms;
        out.miss_rate[i] = r.miss_rate;
        out.converged[i] = r.converged ? 1 : 0;
      },
      cancel);
  return out;
}

}  // namespace dvfskit

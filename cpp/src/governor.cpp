// Kernel governor decisions (see governor.hpp and docs/math/governors.md).
#include "dvfskit/governor.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace dvfskit {

namespace {

std::int64_t to_units(double mhz, double per_mhz) { return static_cast<std::int64_t>(std::llround(mhz * per_mhz)); }

// Whole microseconds, as the kernel's idle/wall-time accounting (get_cpu_idle_time_us).
std::int64_t to_us(double ms) { return std::max<std::int64_t>(0, static_cast<std::int64_t>(std::llround(ms * 1000.0))); }

// Percentage load of the window, dbs_update: 100 * (time_elapsed - idle_time) / time_elapsed.
std::int64_t load_percent(const Window& w) {
  const std::int64_t elapsed = to_us(w.length_ms);
  if (elapsed <= 0) return 0;
  const std::int64_t busy = std::min(to_us(w.busy_ms), elapsed);
  return 100 * busy / elapsed;
}

void check_percent(int value, const char* name, int lo, int hi) {
  if (value < lo || value > hi)
    throw std::invalid_argument(std::string(name) + " must lie in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                "], got " + std::to_string(value));
}

std::size_t ondemand(const GovernorSpec& s, const KnobTable& t, std::size_t cur, const Window& w, GovernorState& st) {
  const std::int64_t load = load_percent(w);
  if (load > s.up_threshold) {
    // dbs_freq_increase(policy, policy->max) with CPUFREQ_RELATION_H; rate_mult when below max.
    if (cur < t.max_level()) st.skips_left = s.sampling_down_factor - 1;
    return t.max_level();
  }
  st.skips_left = 0;  // rate_mult = 1
  const std::int64_t min_f = t.khz.front(), max_f = t.khz.back();
  const std::int64_t next = min_f + load * (max_f - min_f) / 100;
  return resolve(t.khz, next, Relation::kC);
}

std::size_t conservative(const GovernorSpec& s, const KnobTable& t, std::size_t cur, const Window& w, GovernorState& st) {
  if (s.freq_step == 0) return cur;
  const std::int64_t min_f = t.khz.front(), max_f = t.khz.back();
  std::int64_t requested = st.requested_khz;
  if (requested > max_f || requested < min_f) requested = t.khz[cur];
  std::int64_t step = s.freq_step * max_f / 100;
  if (step == 0) step = 5;  // DEF_FREQUENCY_STEP (kHz), as get_freq_step
  const std::int64_t load = load_percent(w);
  if (load > s.up_threshold) {
    st.down_skip = 0;
    if (requested == max_f) {
      st.requested_khz = requested;
      return cur;
    }
    requested = std::min(requested + step, max_f);
    st.requested_khz = requested;
    return resolve(t.khz, requested, Relation::kH);
  }
  st.requested_khz = requested;
  if (++st.down_skip < s.sampling_down_factor) return cur;
  st.down_skip = 0;
  if (load < s.down_threshold) {
    if (requested == min_f) return cur;
    requested = requested > step ? requested - step : min_f;
    st.requested_khz = requested;
    return resolve(t.khz, requested, Relation::kL);
  }
  return cur;
}

std::size_t schedutil(const GovernorSpec& s, const KnobTable& t, std::size_t cur, const Window& w, GovernorState& st) {
  if (st.since_change_ms * 1000.0 < s.rate_limit_us) return cur;  // sugov_should_update_freq
  constexpr std::int64_t kCapacity = 1024;                         // SCHED_CAPACITY_SCALE
  const double busy = s.frequency_invariant ? w.invariant_busy_ms : w.busy_ms;
  const double share = w.length_ms > 0 ? std::clamp(busy / w.length_ms, 0.0, 1.0) : 0.0;
  const auto util = static_cast<std::int64_t>(std::floor(share * static_cast<double>(kCapacity)));
  const std::int64_t perf = std::min(util + (util >> 2), kCapacity);  // sugov_apply_dvfs_headroom, capped
  const std::int64_t ref = s.frequency_invariant ? t.khz.back() : t.khz[cur];
  const std::size_t next = resolve(t.khz, ref * perf / kCapacity, Relation::kL);  // map_util_freq
  return next;
}

std::size_t simple_ondemand(const GovernorSpec& s, const KnobTable& t, std::size_t cur, const Window& w) {
  std::int64_t total = to_us(w.length_ms);
  if (total == 0) return t.max_level();  // "Assume MAX if it is going to be divided by zero"
  std::int64_t busy = std::min(to_us(w.busy_ms), total);
  if (busy >= (1 << 24) || total >= (1 << 24)) {  // "Prevent overflow"
    busy >>= 7;
    total >>= 7;
    if (total == 0) return t.max_level();
  }
  const std::int64_t up = s.upthreshold, down = s.downdifferential;
  if (busy * 100 > total * up) return t.max_level();
  if (busy * 100 > total * (up - down)) return cur;
  // a = busy * f_cur; b = a / total; b *= 100; b /= (up - down / 2)  (unsigned 64-bit, Hz)
  const auto a = static_cast<std::uint64_t>(busy) * static_cast<std::uint64_t>(t.hz[cur]);
  std::uint64_t b = a / static_cast<std::uint64_t>(total);
  b = b * 100 / static_cast<std::uint64_t>(up - down / 2);
  // devfreq_update_target clamps to [min, max]; devfreq_recommended_opp: the lowest OPP >= freq.
  return resolve(t.hz, static_cast<std::int64_t>(std::min<std::uint64_t>(b, static_cast<std::uint64_t>(t.hz.back()))),
                 Relation::kL);
}

std::size_t sysscale_memory(const GovernorSpec& s, const KnobTable& t, std::size_t cur, const Window& w) {
  const std::int64_t load = load_percent(w);
  const std::size_t low = s.low_mhz > 0 ? resolve(t.khz, to_units(s.low_mhz, 1e3), Relation::kL) : 0;
  const std::size_t high = s.high_mhz > 0 ? resolve(t.khz, to_units(s.high_mhz, 1e3), Relation::kL) : t.max_level();
  if (load > s.up_threshold) return high;
  if (load < s.down_threshold) return low;
  return cur;
}

}  // namespace

void validate(const GovernorSpec& s) {
  switch (s.kind) {
    case GovernorKind::kUserspace:
      if (!(std::isfinite(s.setspeed_mhz) && s.setspeed_mhz > 0))
        throw std::invalid_argument("userspace needs setspeed_mhz > 0 (MHz)");
      break;
    case GovernorKind::kOndemand:
      check_percent(s.up_threshold, "up_threshold", 1, 100);  // MIN/MAX_FREQUENCY_UP_THRESHOLD
      check_percent(s.sampling_down_factor, "sampling_down_factor", 1, 100000);
      break;
    case GovernorKind::kConservative:
      check_percent(s.up_threshold, "up_threshold", 1, 100);
      check_percent(s.down_threshold, "down_threshold", 1, 100);
      if (s.down_threshold >= s.up_threshold)
        throw std::invalid_argument("down_threshold must be below up_threshold");
      check_percent(s.sampling_down_factor, "sampling_down_factor", 1, 10);
      check_percent(s.freq_step, "freq_step", 0, 100);
      break;
    case GovernorKind::kSchedutil:
      if (!(std::isfinite(s.rate_limit_us) && s.rate_limit_us >= 0))
        throw std::invalid_argument("rate_limit_us must be finite and >= 0");
      break;
    case GovernorKind::kSimpleOndemand:
      check_percent(s.upthreshold, "upthreshold", 1, 100);
      check_percent(s.downdifferential, "downdifferential", 0, 100);
      if (s.upthreshold < s.downdifferential)
        throw std::invalid_argument("upthreshold must be >= downdifferential");
      break;
    case GovernorKind::kSysScaleMemory:
      check_percent(s.up_threshold, "up_threshold", 0, 100);
      check_percent(s.down_threshold, "down_threshold", 0, 100);
      if (s.down_threshold > s.up_threshold)
        throw std::invalid_argument("down_threshold must not exceed up_threshold");
      if (!(std::isfinite(s.low_mhz) && std::isfinite(s.high_mhz) && s.low_mhz >= 0 && s.high_mhz >= 0))
        throw std::invalid_argument("low_mhz and high_mhz must be finite and >= 0");
      break;
    case GovernorKind::kSysScaleCompute:
      if (!(s.power_budget_w > 0)) throw std::invalid_argument("power_budget_w must be > 0 W");
      break;
    default:
      break;
  }
}

KnobTable::KnobTable(std::vector<double> levels_mhz) : mhz(std::move(levels_mhz)) {
  if (mhz.empty()) throw std::invalid_argument("a knob needs at least one level");
  for (std::size_t i = 0; i < mhz.size(); ++i) {
    if (!(std::isfinite(mhz[i]) && mhz[i] > 0)) throw std::invalid_argument("governed knobs need frequencies > 0 MHz");
    if (i > 0 && !(mhz[i] > mhz[i - 1])) throw std::invalid_argument("knob levels must be ascending and distinct");
    khz.push_back(to_units(mhz[i], 1e3));
    hz.push_back(to_units(mhz[i], 1e6));
  }
}

std::size_t resolve(const std::vector<std::int64_t>& table, std::int64_t target, Relation relation) {
  target = std::clamp(target, table.front(), table.back());
  const auto it = std::lower_bound(table.begin(), table.end(), target);  // first >= target (exists)
  const auto idx = static_cast<std::size_t>(it - table.begin());
  if (*it == target || relation == Relation::kL) return idx;
  // *it > target and idx > 0 (target >= front)
  if (relation == Relation::kH) return idx - 1;
  // closest: the higher one only when strictly closer (cpufreq_table_find_index_ac)
  return (target - table[idx - 1] > *it - target) ? idx : idx - 1;
}

std::size_t decide(const GovernorSpec& spec, const KnobTable& table, std::size_t current, const Window& window,
                   GovernorState& state) {
  switch (spec.kind) {
    case GovernorKind::kPerformance:
    case GovernorKind::kPowersave:
    case GovernorKind::kUserspace:
    case GovernorKind::kNone:
      return initial_level(spec, table);
    case GovernorKind::kOndemand:
      return ondemand(spec, table, current, window, state);
    case GovernorKind::kConservative:
      return conservative(spec, table, current, window, state);
    case GovernorKind::kSchedutil:
      return schedutil(spec, table, current, window, state);
    case GovernorKind::kSimpleOndemand:
      return simple_ondemand(spec, table, current, window);
    case GovernorKind::kSysScaleMemory:
      return sysscale_memory(spec, table, current, window);
    case GovernorKind::kSysScaleCompute:
      return table.max_level();
  }
  return current;
}

std::size_t initial_level(const GovernorSpec& spec, const KnobTable& table) {
  switch (spec.kind) {
    case GovernorKind::kPowersave:
      return 0;
    case GovernorKind::kUserspace:
      return resolve(table.khz, to_units(spec.setspeed_mhz, 1e3), Relation::kL);
    default:
      return table.max_level();
  }
}

bool is_constant(GovernorKind kind) {
  return kind == GovernorKind::kNone || kind == GovernorKind::kPerformance || kind == GovernorKind::kPowersave ||
         kind == GovernorKind::kUserspace;
}

}  // namespace dvfskit

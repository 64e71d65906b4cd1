// Frequency governors as the Linux kernel computes them: one decision for one knob (a DVFS domain)
// from the busy time of the last sampling window. Definitions written once in docs/math/governors.md.
//
// Each decision follows the kernel source, with its integer arithmetic (frequencies in kHz for
// cpufreq, Hz for devfreq, times in whole microseconds) and the table relation it uses:
//  - performance / powersave: the maximum / minimum (drivers/cpufreq/cpufreq_performance.c,
//    cpufreq_powersave.c);
//  - userspace: setspeed, CPUFREQ_RELATION_L (drivers/cpufreq/cpufreq_userspace.c);
//  - ondemand: load = 100 * busy / window; load > up_threshold: the maximum (and the next
//    sampling_down_factor - 1 samples skipped, rate_mult); else min + load * (max - min) / 100,
//    CPUFREQ_RELATION_C (drivers/cpufreq/cpufreq_ondemand.c, od_update; cpufreq_governor.c,
//    dbs_update);
//  - conservative: a requested frequency moved by freq_step % of the maximum: up when load >
//    up_threshold (CPUFREQ_RELATION_H), down when load < down_threshold, checked every
//    sampling_down_factor samples (CPUFREQ_RELATION_L) (drivers/cpufreq/cpufreq_conservative.c);
//  - schedutil: util = 1024 * (frequency-invariant) busy share, perf = util + util / 4 (capped at
//    1024), freq = f_max * perf / 1024 (f_cur without invariance), the lowest table frequency >= freq
//    (cpufreq_driver_resolve_freq, CPUFREQ_RELATION_L); no change within rate_limit_us of the last
//    change (kernel/sched/cpufreq_schedutil.c);
//  - simple_ondemand (devfreq): busy * 100 > total * upthreshold: the maximum; busy * 100 > total *
//    (upthreshold - downdifferential): keep; else cur * busy / total * 100 / (upthreshold -
//    downdifferential / 2), then the lowest OPP >= it (drivers/devfreq/governor_simpleondemand.c,
//    devfreq_recommended_opp);
//  - sysscale (ISCA 2020, thresholds assumed): a memory domain at a high point when its load >
//    up_threshold, at a low point when its load < down_threshold, else kept; compute domains at
//    the maximum, lowered only to stay within an optional power budget (applied by the simulator).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace dvfskit {

enum class GovernorKind : int {
  kNone = 0,         // no governor: the knob stays at its maximum level
  kPerformance = 1,
  kPowersave = 2,
  kUserspace = 3,
  kOndemand = 4,
  kConservative = 5,
  kSchedutil = 6,
  kSimpleOndemand = 7,
  kSysScaleMemory = 8,
  kSysScaleCompute = 9,
};

// A governor and its tunables, with the kernel's names and defaults (unused fields are ignored).
struct GovernorSpec {
  GovernorKind kind = GovernorKind::kNone;
  double setspeed_mhz = 0.0;           // userspace
  int up_threshold = 80;               // ondemand, conservative; sysscale (%)
  int down_threshold = 20;             // conservative; sysscale (%)
  int sampling_down_factor = 1;        // ondemand (sample skips at max), conservative (down checks)
  int freq_step = 5;                   // conservative, % of the maximum
  double rate_limit_us = 1000.0;       // schedutil
  bool frequency_invariant = true;     // schedutil
  int upthreshold = 90;                // simple_ondemand (%)
  int downdifferential = 5;            // simple_ondemand (%)
  double low_mhz = 0.0;                // sysscale memory low point (0: the lowest level)
  double high_mhz = 0.0;               // sysscale memory high point (0: the highest level)
  double power_budget_w = std::numeric_limits<double>::infinity();  // sysscale compute
};

// Throws std::invalid_argument naming the tunable when a value is outside the kernel's range.
void validate(const GovernorSpec& spec);

// One knob's frequency table: ascending distinct levels (MHz) and the same in kHz and Hz (rounded).
struct KnobTable {
  std::vector<double> mhz;
  std::vector<std::int64_t> khz;
  std::vector<std::int64_t> hz;
  explicit KnobTable(std::vector<double> levels_mhz);
  std::size_t max_level() const { return mhz.size() - 1; }
};

// Kernel table relations on an ascending table (include/linux/cpufreq.h), the target first clamped
// to [front, back]: L = lowest >= target, H = highest <= target, C = closest (ties: the lower one).
enum class Relation { kL, kH, kC };
std::size_t resolve(const std::vector<std::int64_t>& table, std::int64_t target, Relation relation);

// What a governor sees at a sample: the window since its last sample (ms), the domain's busy time
// in it (ms) and the busy time weighted by f / f_max of the frequency it ran at (ms).
struct Window {
  double length_ms = 0.0;
  double busy_ms = 0.0;
  double invariant_busy_ms = 0.0;
};

// State a governor keeps between samples.
struct GovernorState {
  std::int64_t requested_khz = 0;  // conservative: requested frequency (0: not yet set)
  int down_skip = 0;               // conservative: samples since the last down check
  int skips_left = 0;              // ondemand: samples still skipped after a jump to the maximum
  double since_change_ms = std::numeric_limits<double>::infinity();  // schedutil: since the last change
};

// The level (index into table) the governor asks for at a sample, given the current level. The
// caller skips the sample when state.skips_left > 0 (ondemand's rate_mult) and advances
// since_change_ms. kSysScaleCompute and kNone return the maximum.
std::size_t decide(const GovernorSpec& spec, const KnobTable& table, std::size_t current, const Window& window,
                   GovernorState& state);

// The level at the start (before any sample): constant governors' level, else the maximum.
std::size_t initial_level(const GovernorSpec& spec, const KnobTable& table);

// Whether the governor's level never changes (performance, powersave, userspace, none).
bool is_constant(GovernorKind kind);

}  // namespace dvfskit

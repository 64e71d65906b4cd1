// Batch solve on the parallel_for thread pool, in blocks of consecutive scenarios.
#include "dvfskit/sweep.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "dvfskit/parallel.hpp"

namespace dvfskit {

namespace {

constexpr std::size_t kBlock = 256;  // scenarios per work item (amortises the pool's atomic)

void resize(SweepColumns& c, std::size_t n, std::size_t num_baselines) {
  c.feasible.resize(n);
  for (auto* v : {&c.objective_value, &c.energy_j, &c.energy_compute_j, &c.energy_transmit_j, &c.energy_idle_j,
                  &c.latency_ms, &c.latency_local_ms, &c.latency_transmit_ms, &c.latency_server_ms,
                  &c.min_latency_ms, &c.compute_freq_mhz, &c.mem_freq_mhz, &c.tx_power_w, &c.offload_fraction})
    v->resize(n);
  for (auto* v : {&c.split, &c.config}) v->resize(n);
  c.baselines.resize(num_baselines);
  for (BaselineColumns& b : c.baselines) {
    b.energy_j.resize(n);
    b.latency_ms.resize(n);
    b.feasible.resize(n);
  }
}

void store(SweepColumns& c, std::size_t i, const OffloadSolution& s) {
  c.feasible[i] = s.feasible ? 1 : 0;
  c.objective_value[i] = s.objective_value;
  c.energy_j[i] = s.energy_j;
  c.energy_compute_j[i] = s.energy_compute_j;
  c.energy_transmit_j[i] = s.energy_transmit_j;
  c.energy_idle_j[i] = s.energy_idle_j;
  c.latency_ms[i] = s.latency_ms;
  c.latency_local_ms[i] = s.latency_local_ms;
  c.latency_transmit_ms[i] = s.latency_transmit_ms;
  c.latency_server_ms[i] = s.latency_server_ms;
  c.min_latency_ms[i] = s.min_latency_ms;
  c.split[i] = s.split;
  c.config[i] = s.config;
  c.compute_freq_mhz[i] = s.compute_freq_mhz;
  c.mem_freq_mhz[i] = s.mem_freq_mhz;
  c.tx_power_w[i] = s.tx_power_w;
  c.offload_fraction[i] = s.offload_fraction;
}

void check_baseline(const TableProblem& tp, const Baseline& b, std::size_t index) {
  const std::string name = "baseline " + std::to_string(index) + ": ";
  const TableProblem& plan = b.plan_on != nullptr ? *b.plan_on : tp;
  if (b.plan_on != nullptr) {
    bool same = plan.num_blocks() == tp.num_blocks() && plan.num_configs() == tp.num_configs() &&
                plan.num_options() == tp.num_options();
    for (std::size_t o = 0; same && o < tp.num_options(); ++o)
      same = plan.option(o).split == tp.option(o).split && plan.option(o).fraction == tp.option(o).fraction;
    if (!same)
      throw std::invalid_argument(name + "plan_on tables must have the problem's blocks, configurations and offload fractions");
  }
  if (b.restriction.configs != nullptr && b.restriction.configs->problem_id() != plan.id())
    throw std::invalid_argument(name + "the configuration subset was built from other tables than the ones planned on");
}

}  // namespace

OffloadSolution solve_baseline(const TableProblem& tp, const PreparedScenario& ps, const Baseline& b) {
  if (b.plan_on == nullptr) return solve(tp, ps, b.restriction);
  const OffloadSolution planned = solve(*b.plan_on, ps, b.restriction);
  const double p = planned.tx_power_w > 0.0 ? planned.tx_power_w : ps.scenario.p_max_w;
  return evaluate(tp, ps.scenario, planned.split, std::max(planned.config, 0), p, planned.offload_fraction);
}

SweepColumns solve_batch(const TableProblem& problem, const std::vector<Scenario>& scenarios,
                         const Objective& objective, const std::vector<Baseline>& baselines, int threads,
                         const CancelToken* cancel) {
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    try {
      validate(scenarios[i]);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("scenario " + std::to_string(i) + ": " + e.what());
    }
  }
  (void)prepare(Scenario{1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0}, objective);  // validates the objective
  for (std::size_t b = 0; b < baselines.size(); ++b) check_baseline(problem, baselines[b], b);
  const std::size_t n = scenarios.size();
  SweepColumns out;
  resize(out, n, baselines.size());
  const std::size_t blocks = (n + kBlock - 1) / kBlock;
  parallel_for(
      blocks, threads,
      [&](std::size_t block) {
        const std::size_t end = std::min(n, (block + 1) * kBlock);
        for (std::size_t i = block * kBlock; i < end; ++i) {
          check(cancel);  // a clock read (the flag elsewhere): scenarios can be slow (large EDP problems)
          PreparedScenario ps = prepare(scenarios[i], objective);  // shared by the optimum and baselines
          ps.explain = false;
          store(out, i, solve(problem, ps));
          ps.min_latency = false;  // baselines report energy, latency and feasibility only
          for (std::size_t b = 0; b < baselines.size(); ++b) {
            const OffloadSolution s = solve_baseline(problem, ps, baselines[b]);
            BaselineColumns& col = out.baselines[b];
            col.energy_j[i] = s.energy_j;
            col.latency_ms[i] = s.latency_ms;
            col.feasible[i] = s.feasible ? 1 : 0;
          }
        }
      },
      cancel);
  return out;
}

}  // namespace dvfskit

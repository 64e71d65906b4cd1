// Per-block schedule: Lagrangian multiplier search + Pareto label-setting DP.
#include "dvfskit/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace dvfskit {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool finite_all(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

double knob_cost(const SwitchCost& c, std::size_t j) { return c.knobs.empty() ? 0.0 : c.knobs[j]; }

void check_switch(const SwitchCost& c, const std::string& name, const ScheduleProblem& p) {
  if (!std::isfinite(c.any) || c.any < 0.0) throw std::invalid_argument(name + ": the cost of a change must be finite and >= 0");
  if (c.knobs.empty()) return;
  if (!p.configs) throw std::invalid_argument(name + ": per-knob costs need the configurations (configs)");
  if (c.knobs.size() != p.configs->num_knobs())
    throw std::invalid_argument(name + ": expected one cost per knob (" + std::to_string(p.configs->num_knobs()) +
                                "), got " + std::to_string(c.knobs.size()));
  for (std::size_t j = 0; j < c.knobs.size(); ++j)
    if (!std::isfinite(c.knobs[j]) || c.knobs[j] < 0.0)
      throw std::invalid_argument(name + ": the cost of knob '" + p.configs->knobs()[j] + "' must be finite and >= 0");
}

// Switching cost between two configurations, weighted as we * energy + wt * time.
class SwitchCosts {
 public:
  explicit SwitchCosts(const ScheduleProblem& p) : p_(p), k_(p.num_configs), matrix_(!p.switch_time_matrix.empty()) {
    if (matrix_ || !p.configs) return;
    for (std::size_t j = 0; j < p.configs->num_knobs(); ++j) {
      const double t = knob_cost(p.switch_time, j), e = knob_cost(p.switch_energy, j);
      if (t > 0.0 || e > 0.0) {
        costly_.push_back(j);
        time_.push_back(t);
        energy_.push_back(e);
      }
    }
  }

  bool is_matrix() const { return matrix_; }
  // The knobs with a nonzero switching cost (indices into the configuration set), and their costs.
  const std::vector<std::size_t>& costly() const { return costly_; }
  double knob_time(std::size_t c) const { return time_[c]; }
  double knob_energy(std::size_t c) const { return energy_[c]; }

  double cost(std::size_t a, std::size_t b, double we, double wt) const {
    if (matrix_) return we * p_.switch_energy_matrix[a * k_ + b] + wt * p_.switch_time_matrix[a * k_ + b];
    if (a == b) return 0.0;
    double c = we * p_.switch_energy.any + wt * p_.switch_time.any;
    for (std::size_t j = 0; j < costly_.size(); ++j)
      if (p_.configs->level(a, costly_[j]) != p_.configs->level(b, costly_[j])) c += we * energy_[j] + wt * time_[j];
    return c;
  }

  double initial_cost(std::size_t b, double we, double wt) const {
    return p_.initial_config ? cost(*p_.initial_config, b, we, wt) : 0.0;
  }

 private:
  const ScheduleProblem& p_;
  std::size_t k_;
  bool matrix_;
  std::vector<std::size_t> costly_;
  std::vector<double> time_, energy_;
};

// Predecessor groups of per-knob costs. For every subset S of the costly knobs (all of them
// only when some knob is free: else the groups are single configurations), the configurations
// sharing their values on S form groups. A switch inside a group costs at most shift(S) = any +
// the costs of the costly knobs outside S, exactly that when the two configurations agree on
// exactly S. So the cheapest predecessor of b is b itself or the best of one of b's groups,
// charged its shift (an over-charge is never the minimum unless it ties).
class Groups {
 public:
  Groups(const ScheduleProblem& p, const SwitchCosts& sw) {
    if (sw.is_matrix()) return;
    const std::vector<std::size_t>& costly = sw.costly();
    const std::size_t dc = costly.size();
    const std::size_t d = p.configs ? p.configs->num_knobs() : 0;
    const std::size_t k = p.num_configs;
    const std::size_t full = (std::size_t{1} << dc) - 1;
    std::vector<std::size_t> order(k), kept;
    for (std::size_t mask = 0; mask <= full; ++mask) {
      if (mask == full && dc == d && dc > 0) continue;
      kept.clear();
      for (std::size_t c = 0; c < dc; ++c)
        if (mask & (std::size_t{1} << c)) kept.push_back(costly[c]);
      const auto less = [&](std::size_t a, std::size_t b) {
        for (const std::size_t j : kept) {
          const int la = p.configs->level(a, j), lb = p.configs->level(b, j);
          if (la != lb) return la < lb;
        }
        return false;
      };
      std::iota(order.begin(), order.end(), std::size_t{0});
      if (!kept.empty()) std::sort(order.begin(), order.end(), less);
      std::vector<std::int32_t> group(k);
      std::int32_t id = 0;
      for (std::size_t i = 0; i < k; ++i) {
        if (i > 0 && less(order[i - 1], order[i])) ++id;
        group[order[i]] = id;
      }
      group_.push_back(std::move(group));
      count_.push_back(static_cast<std::size_t>(id) + 1);
      double st = p.switch_time.any, se = p.switch_energy.any;
      for (std::size_t c = 0; c < dc; ++c)
        if (!(mask & (std::size_t{1} << c))) {
          st += sw.knob_time(c);
          se += sw.knob_energy(c);
        }
      shift_t_.push_back(st);
      shift_e_.push_back(se);
    }
  }

  std::size_t size() const { return group_.size(); }
  const std::vector<std::int32_t>& of(std::size_t s) const { return group_[s]; }
  std::size_t count(std::size_t s) const { return count_[s]; }
  double shift_time(std::size_t s) const { return shift_t_[s]; }
  double shift_energy(std::size_t s) const { return shift_e_[s]; }

  // Min-plus step out[b] = min_a in[a] + cost(a, b) (costs are symmetric, so forward and backward
  // steps coincide); `arg` (optional) receives the minimising a.
  void relax(const std::vector<double>& in, std::vector<double>& out, int* arg, double we, double wt) const {
    const std::size_t k = in.size();
    out = in;
    if (arg)
      for (std::size_t b = 0; b < k; ++b) arg[b] = static_cast<int>(b);
    std::vector<double> value;
    std::vector<int> best;
    for (std::size_t s = 0; s < size(); ++s) {
      const std::int32_t* g = group_[s].data();
      const double shift = we * shift_e_[s] + wt * shift_t_[s];
      value.assign(count_[s], kInf);
      if (arg) {
        best.assign(count_[s], 0);
        for (std::size_t a = 0; a < k; ++a) {
          const auto x = static_cast<std::size_t>(g[a]);
          if (in[a] < value[x]) {
            value[x] = in[a];
            best[x] = static_cast<int>(a);
          }
        }
        for (std::size_t b = 0; b < k; ++b) {
          const auto x = static_cast<std::size_t>(g[b]);
          const double v = value[x] + shift;
          if (v < out[b]) {
            out[b] = v;
            arg[b] = best[x];
          }
        }
      } else {
        for (std::size_t a = 0; a < k; ++a) {
          double& x = value[static_cast<std::size_t>(g[a])];
          x = std::min(x, in[a]);
        }
        for (std::size_t b = 0; b < k; ++b) out[b] = std::min(out[b], value[static_cast<std::size_t>(g[b])] + shift);
      }
    }
  }

 private:
  std::vector<std::vector<std::int32_t>> group_;  // per subset: group of each configuration
  std::vector<std::size_t> count_;                // per subset: number of groups
  std::vector<double> shift_t_, shift_e_;         // per subset: cost charged for a switch inside a group
};

struct Path {
  std::vector<std::size_t> configs;
  double value = 0.0;   // min over paths of sum (we e + wt t), switching included
  double energy = 0.0;  // of this path
  double latency = 0.0;
};

class Solver {
 public:
  Solver(const ScheduleProblem& p, const ScheduleOptions& o, const CancelToken* cancel)
      : p_(p), o_(o), cancel_(cancel), n_(p.num_blocks), k_(p.num_configs), sw_(p), groups_(p, sw_),
        limit_(p.deadline * (1.0 + kDeadlineTolerance)) {}

  ScheduleResult run() {
    ScheduleResult r;
    r.predecessor_groups = groups_.size();
    const Path fastest = best_path(0.0, 1.0);
    r.min_latency = fastest.latency;
    if (fastest.latency > limit_) {
      r.feasible = false;
      r.reason = "deadline " + fmt(p_.deadline) + " ms is below the smallest reachable latency " +
                 fmt(fastest.latency) + " ms";
      finish(r, fastest);
      r.lower_bound = std::numeric_limits<double>::quiet_NaN();
      return r;
    }
    r.feasible = true;
    const Path cheapest = best_path(1.0, 0.0);
    ++r.lagrange_iterations;
    if (cheapest.latency <= limit_) {  // the unconstrained optimum meets the deadline
      finish(r, cheapest);
      r.lower_bound = r.energy;
      r.proven_optimal = true;
      return r;
    }
    // Handler-Zang search for the best multiplier: lo infeasible, hi feasible.
    Path lo = cheapest, hi = fastest, incumbent = fastest;
    double lb = cheapest.value;  // L(0)
    double best_lambda = 0.0;
    std::vector<std::pair<double, double>> tried = {{cheapest.value, 0.0}};  // (L(lambda), lambda)
    for (int it = 0; it < o_.max_lagrange_iterations; ++it) {
      const double dt = lo.latency - hi.latency;
      if (!(dt > 0.0)) break;
      const double lambda = std::max(0.0, (hi.energy - lo.energy) / dt);
      Path q = best_path(1.0, lambda);
      ++r.lagrange_iterations;
      const double l_value = q.value - lambda * limit_;
      tried.emplace_back(l_value, lambda);
      if (l_value > lb) {
        lb = l_value;
        best_lambda = lambda;
      }
      const bool q_feasible = q.latency <= limit_;
      if (q_feasible && q.energy < incumbent.energy) incumbent = q;
      const double line = lo.energy + lambda * (lo.latency - limit_);
      if (l_value >= line - 1e-12 * (std::fabs(line) + 1.0)) break;  // lambda is a maximiser
      if (q_feasible)
        hi = std::move(q);
      else
        lo = std::move(q);
    }
    r.lambda = best_lambda;
    const double tol = 1e-12 * (std::fabs(incumbent.energy) + 1.0);
    if (lb >= incumbent.energy - tol) {
      finish(r, incumbent);
      r.lower_bound = r.energy;
      r.proven_optimal = true;
      return r;
    }
    // Label-setting DP, pruned by the time still needed and by Lagrangian bounds.
    const std::vector<double> rest_t = cost_to_go(0.0, 1.0);
    // Cost-to-go for the best few multipliers: a label is pruned when any of them proves that
    // no completion within the deadline beats the incumbent.
    std::sort(tried.rbegin(), tried.rend());
    std::vector<std::pair<double, std::vector<double>>> rest_l;
    for (std::size_t j = 0; j < tried.size() && rest_l.size() < 6; ++j) {
      const double lambda = tried[j].second;
      if (std::any_of(rest_l.begin(), rest_l.end(), [&](const auto& x) { return x.first == lambda; })) continue;
      rest_l.emplace_back(lambda, cost_to_go(1.0, lambda));
    }
    bool thinned = false;
    std::size_t created = 0;
    // Passes with growing fronts: 1 and 8 labels per cell (heuristics that tighten the incumbent,
    // so later passes prune more), then the exhaustive pass. Each pass stops at the label budget.
    bool aborted = false;
    for (const std::size_t cap : {std::size_t{1}, std::size_t{8}, o_.max_labels_per_cell}) {
      thinned = false;
      labels(rest_t, rest_l, std::min(cap, o_.max_labels_per_cell), o_.label_budget, incumbent, created, thinned,
             aborted);
      if (!thinned || aborted) break;
    }
    r.labels = created;
    finish(r, incumbent);
    r.thinned = thinned;
    r.proven_optimal = !thinned;
    r.lower_bound = thinned ? std::min(lb, r.energy) : r.energy;
    return r;
  }

 private:
  static std::string fmt(double x) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", x);
    return buf;
  }

  double t(std::size_t i, std::size_t k) const { return p_.latency[i * k_ + k]; }
  double e(std::size_t i, std::size_t k) const { return p_.energy[i * k_ + k]; }

  void finish(ScheduleResult& r, const Path& path) const {
    r.configs = path.configs;
    std::tie(r.energy, r.latency) = evaluate_schedule(p_, path.configs);
    std::size_t switches = 0;
    for (std::size_t i = 0; i < n_; ++i) {
      const bool has_prev = i > 0 || p_.initial_config.has_value();
      const std::size_t prev = i > 0 ? path.configs[i - 1] : p_.initial_config.value_or(0);
      if (has_prev && prev != path.configs[i]) ++switches;
    }
    r.num_switches = switches;
  }

  // Min-plus step. Forward: out[b] = min_a in[a] + cost(a, b); backward: out[a] = min_b cost(a, b) + in[b].
  // `arg` (optional) receives the minimising a (forward) or b (backward).
  void relax(const std::vector<double>& in, std::vector<double>& out, int* arg, double we, double wt,
             bool backward) const {
    if (!sw_.is_matrix()) {
      groups_.relax(in, out, arg, we, wt);
      return;
    }
    out.assign(k_, kInf);
    for (std::size_t a = 0; a < k_; ++a) {
      for (std::size_t b = 0; b < k_; ++b) {
        const double c = sw_.cost(a, b, we, wt);
        const std::size_t to = backward ? a : b, from = backward ? b : a;
        const double v = in[from] + c;
        if (v < out[to]) {
          out[to] = v;
          if (arg) arg[to] = static_cast<int>(from);
        }
      }
    }
  }

  // Shortest path for cost we * energy + wt * time (DP over (block, configuration)).
  Path best_path(double we, double wt) const {
    std::vector<int> arg(n_ * k_, -1);
    std::vector<double> v(k_), w(k_);
    for (std::size_t k = 0; k < k_; ++k) v[k] = sw_.initial_cost(k, we, wt) + we * e(0, k) + wt * t(0, k);
    for (std::size_t i = 1; i < n_; ++i) {
      check(cancel_);
      relax(v, w, &arg[i * k_], we, wt, false);
      for (std::size_t k = 0; k < k_; ++k) v[k] = w[k] + we * e(i, k) + wt * t(i, k);
    }
    Path path;
    std::size_t k = static_cast<std::size_t>(std::min_element(v.begin(), v.end()) - v.begin());
    path.value = v[k];
    path.configs.assign(n_, 0);
    for (std::size_t i = n_; i-- > 0;) {
      path.configs[i] = k;
      if (i > 0) k = static_cast<std::size_t>(arg[i * k_ + k]);
    }
    std::tie(path.energy, path.latency) = evaluate_schedule(p_, path.configs);
    return path;
  }

  // Cost to go after block i ran at configuration k (blocks i+1.. and their switches).
  std::vector<double> cost_to_go(double we, double wt) const {
    std::vector<double> r(n_ * k_, 0.0);
    std::vector<double> in(k_), out(k_);
    for (std::size_t i = n_ - 1; i-- > 0;) {
      check(cancel_);
      for (std::size_t k = 0; k < k_; ++k) in[k] = we * e(i + 1, k) + wt * t(i + 1, k) + r[(i + 1) * k_ + k];
      relax(in, out, nullptr, we, wt, true);
      std::copy(out.begin(), out.end(), r.begin() + static_cast<std::ptrdiff_t>(i * k_));
    }
    return r;
  }

  struct Label {
    double t;
    double e;
    std::int32_t parent;  // index into the previous layer, -1 in layer 0
    std::int32_t cell;    // configuration
  };
  struct Layer {
    std::vector<Label> labels;
    std::vector<std::size_t> offset;  // cell k owns labels [offset[k], offset[k + 1]), a Pareto front
  };
  // Pareto fronts (time ascending, energy strictly descending) of a layer's labels per group of
  // one subset: group g owns idx[off[g], off[g + 1]).
  struct Fronts {
    std::vector<std::int32_t> idx;
    std::vector<std::size_t> off;
    std::vector<double> reduced;  // per group: min over its front of e + lambda0 t
  };
  // Candidate predecessors of a cell: labels [begin, end) of `idx` (nullptr: of the layer itself),
  // charged (dt, de) for the switch.
  struct Source {
    const std::int32_t* idx;
    std::size_t begin, end;
    double dt, de;
    double reduced;  // min over the front of e + lambda0 t (lambda0: the best multiplier)
  };

  static bool by_time(const Label& a, const Label& b) { return a.t < b.t || (a.t == b.t && a.e < b.e); }

  // The fronts of every subset's groups. The labels are sorted by time once; a stable bucket
  // pass per subset then leaves every group's labels in time order.
  std::vector<Fronts> all_fronts(const std::vector<Label>& ls, double lambda0) const {
    std::vector<std::int32_t> order(ls.size());
    std::iota(order.begin(), order.end(), std::int32_t{0});
    std::sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
      return by_time(ls[static_cast<std::size_t>(a)], ls[static_cast<std::size_t>(b)]);
    });
    std::vector<Fronts> out(groups_.size());
    std::vector<std::size_t> pos;
    std::vector<std::int32_t> bucketed(ls.size());
    for (std::size_t s = 0; s < groups_.size(); ++s) {
      const std::vector<std::int32_t>& group = groups_.of(s);
      const std::size_t count = groups_.count(s);
      auto group_of = [&](std::int32_t j) {
        return static_cast<std::size_t>(group[static_cast<std::size_t>(ls[static_cast<std::size_t>(j)].cell)]);
      };
      pos.assign(count + 1, 0);
      for (const std::int32_t j : order) ++pos[group_of(j) + 1];
      std::partial_sum(pos.begin(), pos.end(), pos.begin());
      std::vector<std::size_t> start = pos;
      for (const std::int32_t j : order) bucketed[pos[group_of(j)]++] = j;
      Fronts& f = out[s];
      f.idx.reserve(ls.size());
      f.off.assign(count + 1, 0);
      f.reduced.assign(count, kInf);
      for (std::size_t g = 0; g < count; ++g) {
        double best_e = kInf, red = kInf;
        for (std::size_t q = start[g]; q < start[g + 1]; ++q) {
          const Label& l = ls[static_cast<std::size_t>(bucketed[q])];
          if (l.e < best_e) {
            f.idx.push_back(bucketed[q]);
            best_e = l.e;
            red = std::min(red, l.e + lambda0 * l.t);
          }
        }
        f.off[g + 1] = f.idx.size();
        f.reduced[g] = red;
      }
    }
    return out;
  }

  // Drops labels dominated by a label of another configuration plus the cost of switching there:
  // with structured costs (triangle inequality) every completion of the dominated label is matched.
  void prune_cross(Layer& layer) const {
    if (sw_.is_matrix() || layer.labels.empty()) return;
    check(cancel_);
    const std::vector<Label>& ls = layer.labels;
    const std::vector<Fronts> fronts = all_fronts(ls, 0.0);
    auto dominated = [&](const Label& l, const Fronts& f, std::size_t g, double dt, double de) {
      const auto first = f.idx.begin() + static_cast<std::ptrdiff_t>(f.off[g]);
      const auto last = f.idx.begin() + static_cast<std::ptrdiff_t>(f.off[g + 1]);
      const auto it = std::upper_bound(first, last, l.t, [&](double t, std::int32_t j) {
        return t < ls[static_cast<std::size_t>(j)].t + dt;
      });
      if (it == first) return false;
      const Label& d = ls[static_cast<std::size_t>(*std::prev(it))];
      const double e = d.e + de;
      return e < l.e || (e == l.e && d.t + dt < l.t);
    };
    std::vector<Label> kept;
    std::vector<std::size_t> offset(k_ + 1, 0);
    for (std::size_t b = 0; b < k_; ++b) {
      for (std::size_t j = layer.offset[b]; j < layer.offset[b + 1]; ++j) {
        const Label& l = ls[j];
        bool drop = false;
        for (std::size_t s = 0; s < groups_.size() && !drop; ++s)
          drop = dominated(l, fronts[s], static_cast<std::size_t>(groups_.of(s)[b]), groups_.shift_time(s),
                           groups_.shift_energy(s));
        if (!drop) kept.push_back(l);
      }
      offset[b + 1] = kept.size();
    }
    layer.labels.swap(kept);
    layer.offset.swap(offset);
  }

  // Label-setting DP; improves `incumbent` when it finds a better feasible path.
  void labels(const std::vector<double>& rest_t, const std::vector<std::pair<double, std::vector<double>>>& rest_l,
              std::size_t cap, std::size_t budget, Path& incumbent, std::size_t& created, bool& thinned,
              bool& aborted) const {
    const std::size_t created_before = created;
    std::size_t stored = 0;  // labels kept in fronts during this pass
    const double ub = incumbent.energy;
    auto keep = [&](std::size_t i, std::size_t k, double tt, double ee) {
      if (tt + rest_t[i * k_ + k] > limit_) return false;
      for (const auto& [lambda, rest] : rest_l)
        if (ee + lambda * (tt - limit_) + rest[i * k_ + k] >= ub) return false;
      return true;
    };
    std::vector<Layer> layers(n_);
    std::vector<Label> cand;
    auto close_cell = [&](Layer& layer, std::size_t i, std::size_t k) {
      std::sort(cand.begin(), cand.end(), by_time);
      std::vector<Label> front;
      double best_e = kInf;
      for (const Label& c : cand)
        if (c.e < best_e) {
          front.push_back(c);
          best_e = c.e;
        }
      if (front.size() > cap) {
        thinned = true;
        // Keep the labels with the smallest Lagrangian bound (the most promising ones), in time order.
        const double lambda = rest_l.front().first;
        const double rest = rest_l.front().second[i * k_ + k];
        std::vector<std::pair<double, std::size_t>> key(front.size());
        for (std::size_t j = 0; j < front.size(); ++j) key[j] = {front[j].e + lambda * (front[j].t - limit_) + rest, j};
        std::nth_element(key.begin(), key.begin() + static_cast<std::ptrdiff_t>(cap), key.end());
        key.resize(cap);
        std::sort(key.begin(), key.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
        std::vector<Label> kept;
        for (const auto& kj : key) kept.push_back(front[kj.second]);
        front.swap(kept);
      }
      layer.labels.insert(layer.labels.end(), front.begin(), front.end());
      layer.offset[k + 1] = layer.labels.size();
      created += cand.size();
      stored += front.size();
      cand.clear();
    };

    Layer& first = layers[0];
    first.offset.assign(k_ + 1, 0);
    for (std::size_t k = 0; k < k_; ++k) {
      const double tt = sw_.initial_cost(k, 0.0, 1.0) + t(0, k);
      const double ee = sw_.initial_cost(k, 1.0, 0.0) + e(0, k);
      if (keep(0, k, tt, ee)) cand.push_back({tt, ee, -1, static_cast<std::int32_t>(k)});
      close_cell(first, 0, k);
    }
    prune_cross(first);

    const double lambda0 = rest_l.front().first;
    const std::vector<double>& rest0 = rest_l.front().second;
    std::vector<Source> sources;
    for (std::size_t i = 1; i < n_; ++i) {
      const Layer& prev = layers[i - 1];
      Layer& cur = layers[i];
      cur.offset.assign(k_ + 1, 0);
      if (prev.labels.empty()) break;  // nothing can beat the incumbent
      // Whole sources are skipped when even their best label cannot beat the incumbent.
      std::vector<double> own_red(k_, kInf);
      for (std::size_t k = 0; k < k_; ++k)
        for (std::size_t j = prev.offset[k]; j < prev.offset[k + 1]; ++j)
          own_red[k] = std::min(own_red[k], prev.labels[j].e + lambda0 * prev.labels[j].t);
      const std::vector<Fronts> fronts = sw_.is_matrix() ? std::vector<Fronts>{} : all_fronts(prev.labels, lambda0);
      for (std::size_t b = 0; b < k_; ++b) {
        if (b % 64 == 0) check(cancel_);
        sources.clear();
        if (sw_.is_matrix()) {
          for (std::size_t a = 0; a < k_; ++a)
            sources.push_back({nullptr, prev.offset[a], prev.offset[a + 1], sw_.cost(a, b, 0.0, 1.0),
                               sw_.cost(a, b, 1.0, 0.0), own_red[a]});
        } else {
          sources.push_back({nullptr, prev.offset[b], prev.offset[b + 1], 0.0, 0.0, own_red[b]});
          for (std::size_t s = 0; s < groups_.size(); ++s) {
            const auto g = static_cast<std::size_t>(groups_.of(s)[b]);
            sources.push_back({fronts[s].idx.data(), fronts[s].off[g], fronts[s].off[g + 1], groups_.shift_time(s),
                               groups_.shift_energy(s), fronts[s].reduced[g]});
          }
        }
        const double tb = t(i, b), eb = e(i, b);
        const double rest_b = eb + lambda0 * (tb - limit_) + rest0[i * k_ + b];
        for (const Source& s : sources) {
          if (s.reduced + s.de + lambda0 * s.dt + rest_b >= ub) continue;
          for (std::size_t q = s.begin; q < s.end; ++q) {
            const auto j = s.idx ? static_cast<std::size_t>(s.idx[q]) : q;
            const Label& l = prev.labels[j];
            const double tt = l.t + s.dt + tb;
            if (tt + rest_t[i * k_ + b] > limit_) break;  // fronts are sorted by time
            const double ee = l.e + s.de + eb;
            if (keep(i, b, tt, ee)) cand.push_back({tt, ee, static_cast<std::int32_t>(j), static_cast<std::int32_t>(b)});
          }
        }
        close_cell(cur, i, b);
        // Give up (not exhaustive, keep the incumbent) past the budget of stored labels, or of
        // 10x as many candidates (bounds the time of the O(K^2)-per-cell matrix case).
        if (stored > budget || (created - created_before) / 10 > budget) {
          thinned = aborted = true;
          return;
        }
      }
      prune_cross(cur);
    }

    const Layer& last = layers[n_ - 1];
    std::int32_t best = -1;
    double best_e = incumbent.energy;
    for (std::size_t j = 0; j < last.labels.size(); ++j)
      if (last.labels[j].t <= limit_ && last.labels[j].e < best_e) {
        best_e = last.labels[j].e;
        best = static_cast<std::int32_t>(j);
      }
    if (best < 0) return;
    Path path;
    path.configs.assign(n_, 0);
    for (std::size_t i = n_; i-- > 0;) {
      const Label& l = layers[i].labels[static_cast<std::size_t>(best)];
      path.configs[i] = static_cast<std::size_t>(l.cell);
      best = l.parent;
    }
    std::tie(path.energy, path.latency) = evaluate_schedule(p_, path.configs);
    if (path.latency <= limit_ && path.energy < incumbent.energy) incumbent = std::move(path);
  }

  const ScheduleProblem& p_;
  const ScheduleOptions& o_;
  const CancelToken* cancel_;
  std::size_t n_;
  std::size_t k_;
  SwitchCosts sw_;
  Groups groups_;
  double limit_;
};

}  // namespace

void validate(const ScheduleProblem& p) {
  const std::size_t n = p.num_blocks, k = p.num_configs;
  if (n == 0) throw std::invalid_argument("block_latency_ms: need at least one block");
  if (k == 0) throw std::invalid_argument("block_latency_ms: need at least one configuration");
  if (k > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw std::invalid_argument("block_latency_ms: too many configurations");
  if (p.latency.size() != n * k) throw std::invalid_argument("block_latency_ms: expected N x K values");
  if (p.energy.size() != n * k) throw std::invalid_argument("block_energy_j: expected N x K values");
  if (!finite_all(p.latency)) throw std::invalid_argument("block_latency_ms: values must be finite");
  if (std::any_of(p.latency.begin(), p.latency.end(), [](double x) { return x < 0.0; }))
    throw std::invalid_argument("block_latency_ms: values must be >= 0");
  if (!finite_all(p.energy)) throw std::invalid_argument("block_energy_j: values must be finite");
  if (!std::isfinite(p.deadline) || p.deadline <= 0.0) throw std::invalid_argument("deadline_ms: must be finite and > 0");
  if (p.configs && p.configs->size() != k)
    throw std::invalid_argument("configs: " + std::to_string(p.configs->size()) + " configurations, but the tables have K = " +
                                std::to_string(k));
  check_switch(p.switch_time, "switch_time_ms", p);
  check_switch(p.switch_energy, "switch_energy_j", p);
  if (p.switch_time_matrix.empty() != p.switch_energy_matrix.empty())
    throw std::invalid_argument("switch_time_ms: time and energy matrices must be given together");
  if (!p.switch_time_matrix.empty()) {
    if (p.switch_time.any != 0.0 || p.switch_energy.any != 0.0 || !p.switch_time.knobs.empty() ||
        !p.switch_energy.knobs.empty())
      throw std::invalid_argument("switch_time_ms: give either switching matrices or per-knob costs, not both");
    if (p.switch_time_matrix.size() != k * k) throw std::invalid_argument("switch_time_ms: expected a K x K matrix");
    if (p.switch_energy_matrix.size() != k * k) throw std::invalid_argument("switch_energy_j: expected a K x K matrix");
    for (const auto* m : {&p.switch_time_matrix, &p.switch_energy_matrix})
      if (!finite_all(*m) || std::any_of(m->begin(), m->end(), [](double x) { return x < 0.0; }))
        throw std::invalid_argument(m == &p.switch_time_matrix ? "switch_time_ms: values must be finite and >= 0"
                                                               : "switch_energy_j: values must be finite and >= 0");
  } else if (SwitchCosts(p).costly().size() > kMaxCostlyKnobs) {
    throw std::invalid_argument("switch_time_ms: at most " + std::to_string(kMaxCostlyKnobs) +
                                " knobs may have a switching cost (use a matrix)");
  }
  if (p.initial_config && *p.initial_config >= k)
    throw std::invalid_argument("initial_config: must lie in [0, K)");
}

std::pair<double, double> evaluate_schedule(const ScheduleProblem& p, const std::vector<std::size_t>& configs) {
  if (configs.size() != p.num_blocks) throw std::invalid_argument("configs: expected one configuration per block");
  const SwitchCosts sw(p);
  const std::size_t k = p.num_configs;
  double energy = 0.0, latency = 0.0;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const std::size_t c = configs[i];
    if (c >= k) throw std::invalid_argument("configs: configuration index out of range");
    if (i > 0) {
      energy += sw.cost(configs[i - 1], c, 1.0, 0.0);
      latency += sw.cost(configs[i - 1], c, 0.0, 1.0);
    } else {
      energy += sw.initial_cost(c, 1.0, 0.0);
      latency += sw.initial_cost(c, 0.0, 1.0);
    }
    energy += p.energy[i * k + c];
    latency += p.latency[i * k + c];
  }
  return {energy, latency};
}

ScheduleResult solve_schedule(const ScheduleProblem& problem, const ScheduleOptions& options, const CancelToken* cancel) {
  validate(problem);
  return Solver(problem, options, cancel).run();
}

}  // namespace dvfskit

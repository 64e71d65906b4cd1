// Per-block frequency schedule: Lagrangian multiplier search + Pareto label-setting DP.
#include "dvfskit/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <limits>
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

void check_switch(const SwitchCost& c, const char* name) {
  for (const double x : {c.any, c.compute, c.memory})
    if (!std::isfinite(x) || x < 0.0)
      throw std::invalid_argument(std::string(name) + " components must be finite and >= 0");
}

// Switching costs between configurations, weighted as we * energy + wt * time.
class Switching {
 public:
  explicit Switching(const ScheduleProblem& p)
      : p_(p), k_(p.num_configs), matrix_(!p.switch_time_matrix.empty()), groups_(!p.compute_group.empty()) {
    if (groups_) {
      num_f_ = 1 + static_cast<std::size_t>(*std::max_element(p.compute_group.begin(), p.compute_group.end()));
      num_m_ = 1 + static_cast<std::size_t>(*std::max_element(p.memory_group.begin(), p.memory_group.end()));
    }
  }

  bool is_matrix() const { return matrix_; }
  bool has_groups() const { return groups_; }
  std::size_t f(std::size_t k) const { return static_cast<std::size_t>(p_.compute_group[k]); }
  std::size_t m(std::size_t k) const { return static_cast<std::size_t>(p_.memory_group[k]); }
  std::size_t num_f() const { return num_f_; }
  std::size_t num_m() const { return num_m_; }

  double cost(std::size_t a, std::size_t b, double we, double wt) const {
    if (matrix_) return we * p_.switch_energy_matrix[a * k_ + b] + wt * p_.switch_time_matrix[a * k_ + b];
    if (a == b) return 0.0;
    double c = we * p_.switch_energy.any + wt * p_.switch_time.any;
    if (groups_) {
      if (f(a) != f(b)) c += we * p_.switch_energy.compute + wt * p_.switch_time.compute;
      if (m(a) != m(b)) c += we * p_.switch_energy.memory + wt * p_.switch_time.memory;
    }
    return c;
  }

  double initial_cost(std::size_t b, double we, double wt) const {
    return p_.initial_config ? cost(*p_.initial_config, b, we, wt) : 0.0;
  }

  // Weighted structured components: any, any + memory (same compute group), any + compute (same
  // memory group), any + compute + memory.
  struct Shifts {
    double same_f, same_m, other;
  };
  Shifts shifts(double we, double wt) const {
    const double a = we * p_.switch_energy.any + wt * p_.switch_time.any;
    const double c = we * p_.switch_energy.compute + wt * p_.switch_time.compute;
    const double mm = we * p_.switch_energy.memory + wt * p_.switch_time.memory;
    if (!groups_) return {a, a, a};
    return {a + mm, a + c, a + c + mm};
  }

  // Min-plus step. Forward: out[b] = min_a in[a] + cost(a, b); backward: out[a] = min_b cost(a, b) + in[b].
  // `arg` (optional) receives the minimising a (forward) or b (backward).
  void relax(const std::vector<double>& in, std::vector<double>& out, int* arg, double we, double wt,
             bool backward) const {
    out.assign(k_, kInf);
    if (matrix_) {
      for (std::size_t a = 0; a < k_; ++a) {
        for (std::size_t b = 0; b < k_; ++b) {
          const double c = cost(a, b, we, wt);
          const std::size_t to = backward ? a : b, from = backward ? b : a;
          const double v = in[from] + c;
          if (v < out[to]) {
            out[to] = v;
            if (arg) arg[to] = static_cast<int>(from);
          }
        }
      }
      return;
    }
    // Structured costs are symmetric: forward and backward steps coincide.
    std::size_t gbest = 0;
    for (std::size_t a = 1; a < k_; ++a)
      if (in[a] < in[gbest]) gbest = a;
    const Shifts s = shifts(we, wt);
    std::vector<std::size_t> fbest, mbest;
    if (groups_) {
      constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
      fbest.assign(num_f_, none);
      mbest.assign(num_m_, none);
      for (std::size_t a = 0; a < k_; ++a) {
        if (fbest[f(a)] == none || in[a] < in[fbest[f(a)]]) fbest[f(a)] = a;
        if (mbest[m(a)] == none || in[a] < in[mbest[m(a)]]) mbest[m(a)] = a;
      }
    }
    for (std::size_t b = 0; b < k_; ++b) {
      std::size_t best = b;
      double v = in[b];
      auto consider = [&](std::size_t a, double shift) {
        const double c = in[a] + shift;
        if (c < v) {
          v = c;
          best = a;
        }
      };
      consider(gbest, s.other);
      if (groups_) {
        consider(fbest[f(b)], s.same_f);
        consider(mbest[m(b)], s.same_m);
      }
      out[b] = v;
      if (arg) arg[b] = static_cast<int>(best);
    }
  }

 private:
  const ScheduleProblem& p_;
  std::size_t k_;
  bool matrix_;
  bool groups_;
  std::size_t num_f_ = 0;
  std::size_t num_m_ = 0;
};

struct Path {
  std::vector<std::size_t> configs;
  double value = 0.0;   // min over paths of sum (we e + wt t), switching included
  double energy = 0.0;  // of this path
  double latency = 0.0;
};

class Solver {
 public:
  Solver(const ScheduleProblem& p, const ScheduleOptions& o)
      : p_(p), o_(o), n_(p.num_blocks), k_(p.num_configs), sw_(p),
        limit_(p.deadline * (1.0 + kDeadlineTolerance)) {}

  ScheduleResult run() {
    ScheduleResult r;
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

  // Shortest path for cost we * energy + wt * time (DP over (block, configuration)).
  Path best_path(double we, double wt) const {
    std::vector<int> arg(n_ * k_, -1);
    std::vector<double> v(k_), w(k_);
    for (std::size_t k = 0; k < k_; ++k) v[k] = sw_.initial_cost(k, we, wt) + we * e(0, k) + wt * t(0, k);
    for (std::size_t i = 1; i < n_; ++i) {
      sw_.relax(v, w, &arg[i * k_], we, wt, false);
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
      for (std::size_t k = 0; k < k_; ++k) in[k] = we * e(i + 1, k) + wt * t(i + 1, k) + r[(i + 1) * k_ + k];
      sw_.relax(in, out, nullptr, we, wt, true);
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
    std::vector<std::size_t> offset;  // cell k owns labels [offset[k], offset[k + 1])
  };
  struct Source {
    const std::vector<std::int32_t>* front;
    double dt, de;
    double reduced;  // min over the front of e + lambda0 t (lambda0: the best multiplier)
  };

  // Pareto front (time ascending, energy strictly descending) of the given labels.
  static std::vector<std::int32_t> front_of(const std::vector<Label>& labels, std::vector<std::int32_t> idx) {
    std::sort(idx.begin(), idx.end(), [&](std::int32_t a, std::int32_t b) {
      return labels[a].t < labels[b].t || (labels[a].t == labels[b].t && labels[a].e < labels[b].e);
    });
    std::vector<std::int32_t> out;
    double best_e = kInf;
    for (const std::int32_t j : idx)
      if (labels[j].e < best_e) {
        out.push_back(j);
        best_e = labels[j].e;
      }
    return out;
  }

  // Drops labels dominated by a label of another configuration plus the cost of switching there:
  // with structured costs (triangle inequality) every completion of the dominated label is matched.
  void prune_cross(Layer& layer) const {
    if (sw_.is_matrix() || layer.labels.empty()) return;
    const std::vector<Label>& ls = layer.labels;
    std::vector<std::int32_t> all(ls.size());
    for (std::size_t j = 0; j < all.size(); ++j) all[j] = static_cast<std::int32_t>(j);
    const std::vector<std::int32_t> global = front_of(ls, all);
    std::vector<std::vector<std::int32_t>> by_f, by_m;
    if (sw_.has_groups()) {
      std::vector<std::vector<std::int32_t>> fi(sw_.num_f()), mi(sw_.num_m());
      for (std::size_t j = 0; j < ls.size(); ++j) {
        const auto c = static_cast<std::size_t>(ls[j].cell);
        fi[sw_.f(c)].push_back(static_cast<std::int32_t>(j));
        mi[sw_.m(c)].push_back(static_cast<std::int32_t>(j));
      }
      for (auto& x : fi) by_f.push_back(front_of(ls, std::move(x)));
      for (auto& x : mi) by_m.push_back(front_of(ls, std::move(x)));
    }
    const Switching::Shifts st = sw_.shifts(0.0, 1.0), se = sw_.shifts(1.0, 0.0);
    auto dominated = [&](const Label& l, const std::vector<std::int32_t>& front, double dt, double de) {
      const auto it = std::upper_bound(front.begin(), front.end(), l.t,
                                       [&](double t, std::int32_t j) { return t < ls[j].t + dt; });
      if (it == front.begin()) return false;
      const Label& d = ls[static_cast<std::size_t>(*std::prev(it))];
      const double e = d.e + de;
      return e < l.e || (e == l.e && d.t + dt < l.t);
    };
    std::vector<Label> kept;
    std::vector<std::size_t> offset(k_ + 1, 0);
    for (std::size_t b = 0; b < k_; ++b) {
      for (std::size_t j = layer.offset[b]; j < layer.offset[b + 1]; ++j) {
        const Label& l = ls[j];
        bool drop = dominated(l, global, st.other, se.other);
        if (!drop && sw_.has_groups())
          drop = dominated(l, by_f[sw_.f(b)], st.same_f, se.same_f) || dominated(l, by_m[sw_.m(b)], st.same_m, se.same_m);
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
      std::sort(cand.begin(), cand.end(),
                [](const Label& a, const Label& b) { return a.t < b.t || (a.t == b.t && a.e < b.e); });
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

    for (std::size_t i = 1; i < n_; ++i) {
      const Layer& prev = layers[i - 1];
      Layer& cur = layers[i];
      cur.offset.assign(k_ + 1, 0);
      if (prev.labels.empty()) break;  // nothing can beat the incumbent
      auto cell_front = [&](std::size_t k) {
        std::vector<std::int32_t> idx;
        for (std::size_t j = prev.offset[k]; j < prev.offset[k + 1]; ++j) idx.push_back(static_cast<std::int32_t>(j));
        return idx;  // already a Pareto front
      };
      std::vector<std::vector<std::int32_t>> own(k_);
      for (std::size_t k = 0; k < k_; ++k) own[k] = cell_front(k);
      std::vector<std::int32_t> global;
      std::vector<std::vector<std::int32_t>> by_f, by_m;
      if (!sw_.is_matrix()) {
        std::vector<std::int32_t> all(prev.labels.size());
        for (std::size_t j = 0; j < all.size(); ++j) all[j] = static_cast<std::int32_t>(j);
        global = front_of(prev.labels, all);
        if (sw_.has_groups()) {
          std::vector<std::vector<std::int32_t>> fi(sw_.num_f()), mi(sw_.num_m());
          for (std::size_t j = 0; j < prev.labels.size(); ++j) {
            const auto c = static_cast<std::size_t>(prev.labels[j].cell);
            fi[sw_.f(c)].push_back(static_cast<std::int32_t>(j));
            mi[sw_.m(c)].push_back(static_cast<std::int32_t>(j));
          }
          for (auto& x : fi) by_f.push_back(front_of(prev.labels, std::move(x)));
          for (auto& x : mi) by_m.push_back(front_of(prev.labels, std::move(x)));
        }
      }
      // Whole sources are skipped when even their best label cannot beat the incumbent.
      const double lambda0 = rest_l.front().first;
      const std::vector<double>& rest0 = rest_l.front().second;
      auto reduced = [&](const std::vector<std::int32_t>& front) {
        double r = kInf;
        for (const std::int32_t j : front) r = std::min(r, prev.labels[j].e + lambda0 * prev.labels[j].t);
        return r;
      };
      auto reduced_all = [&](const std::vector<std::vector<std::int32_t>>& fronts) {
        std::vector<double> r;
        for (const auto& x : fronts) r.push_back(reduced(x));
        return r;
      };
      const std::vector<double> own_red = reduced_all(own), f_red = reduced_all(by_f), m_red = reduced_all(by_m);
      const double global_red = reduced(global);
      const Switching::Shifts st = sw_.shifts(0.0, 1.0), se = sw_.shifts(1.0, 0.0);
      std::vector<Source> sources;
      for (std::size_t b = 0; b < k_; ++b) {
        sources.clear();
        if (sw_.is_matrix()) {
          for (std::size_t a = 0; a < k_; ++a)
            sources.push_back({&own[a], sw_.cost(a, b, 0.0, 1.0), sw_.cost(a, b, 1.0, 0.0), own_red[a]});
        } else {
          sources.push_back({&own[b], 0.0, 0.0, own_red[b]});
          sources.push_back({&global, st.other, se.other, global_red});
          if (sw_.has_groups()) {
            sources.push_back({&by_f[sw_.f(b)], st.same_f, se.same_f, f_red[sw_.f(b)]});
            sources.push_back({&by_m[sw_.m(b)], st.same_m, se.same_m, m_red[sw_.m(b)]});
          }
        }
        const double tb = t(i, b), eb = e(i, b);
        const double rest_b = eb + lambda0 * (tb - limit_) + rest0[i * k_ + b];
        for (const Source& s : sources) {
          if (s.reduced + s.de + lambda0 * s.dt + rest_b >= ub) continue;
          for (const std::int32_t j : *s.front) {
            const Label& l = prev.labels[static_cast<std::size_t>(j)];
            const double tt = l.t + s.dt + tb;
            if (tt + rest_t[i * k_ + b] > limit_) break;  // fronts are sorted by time
            const double ee = l.e + s.de + eb;
            if (keep(i, b, tt, ee)) cand.push_back({tt, ee, j, static_cast<std::int32_t>(b)});
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
  std::size_t n_;
  std::size_t k_;
  Switching sw_;
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
  check_switch(p.switch_time, "switch_time_ms");
  check_switch(p.switch_energy, "switch_energy_j");
  if (p.compute_group.empty() != p.memory_group.empty())
    throw std::invalid_argument("configs: compute and memory labels must be given together");
  if (!p.compute_group.empty()) {
    if (p.compute_group.size() != k || p.memory_group.size() != k)
      throw std::invalid_argument("configs: expected one compute and one memory label per configuration");
    for (std::size_t j = 0; j < k; ++j)
      if (p.compute_group[j] < 0 || p.memory_group[j] < 0 || static_cast<std::size_t>(p.compute_group[j]) >= k ||
          static_cast<std::size_t>(p.memory_group[j]) >= k)
        throw std::invalid_argument("configs: group labels must lie in [0, K)");
  } else if (p.switch_time.compute != 0.0 || p.switch_time.memory != 0.0 || p.switch_energy.compute != 0.0 ||
             p.switch_energy.memory != 0.0) {
    throw std::invalid_argument("switch_time_ms: separate compute/memory costs need configuration labels");
  }
  if (p.switch_time_matrix.empty() != p.switch_energy_matrix.empty())
    throw std::invalid_argument("switch_time_ms: time and energy matrices must be given together");
  if (!p.switch_time_matrix.empty()) {
    if (p.switch_time_matrix.size() != k * k) throw std::invalid_argument("switch_time_ms: expected a K x K matrix");
    if (p.switch_energy_matrix.size() != k * k) throw std::invalid_argument("switch_energy_j: expected a K x K matrix");
    for (const auto* m : {&p.switch_time_matrix, &p.switch_energy_matrix})
      if (!finite_all(*m) || std::any_of(m->begin(), m->end(), [](double x) { return x < 0.0; }))
        throw std::invalid_argument(m == &p.switch_time_matrix ? "switch_time_ms: values must be finite and >= 0"
                                                               : "switch_energy_j: values must be finite and >= 0");
  }
  if (p.initial_config && *p.initial_config >= k)
    throw std::invalid_argument("initial_config: must lie in [0, K)");
}

std::pair<double, double> evaluate_schedule(const ScheduleProblem& p, const std::vector<std::size_t>& configs) {
  if (configs.size() != p.num_blocks) throw std::invalid_argument("configs: expected one configuration per block");
  const Switching sw(p);
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

ScheduleResult solve_schedule(const ScheduleProblem& problem, const ScheduleOptions& options) {
  validate(problem);
  return Solver(problem, options).run();
}

}  // namespace dvfskit

// Continuous frequencies and partial offloading: per split point, NLopt SLSQP from several
// deterministic starts over scaled variables y in [0, 1]^5 -> (f, m, rho, p, z).
#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <ceres/jet.h>
#include <nlopt.hpp>

#include "dvfskit/offload_model_solve.hpp"
#include "dvfskit/uplink.hpp"

namespace dvfskit {

namespace {

using Jet2 = ceres::Jet<double, 2>;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLn2 = 0.69314718055994530942;
constexpr double kPowerDecades = 20.723265836946411;  // ln(1e9): p in [1e-9 p_max, p_max]

struct Values {
  double cost = 0.0, energy_j = 0.0;
  double t_loc = 0.0, a_ms = 0.0, b_ms = 0.0, t_tx_ms = 0.0, t_srv_ms = 0.0;
  double e_loc_j = 0.0, e_tx_j = 0.0, e_idle_j = 0.0;
  double f = 0.0, m = 0.0, rho = 0.0, p = 0.0, z = 0.0;
  std::array<double, 5> g_cost{}, g_a{}, g_b{}, g_t{};  // gradients wrt y of cost, A - z, B - z, t_loc + z
};

// NLopt proposed a non-finite point: that start is abandoned (not an error of the model).
struct BadIterate : std::exception {};

// Evaluates one split's model at scaled y; caches the last point (NLopt asks objective and
// constraints separately at the same x). Owned by one solve call: no sharing.
class SplitModel {
 public:
  SplitModel(const ModelProblem& mp, const Scenario& sc, const Objective& obj, std::size_t l, double deadline_ms,
             double z_scale, const CancelToken* cancel)
      : mp_(mp), sc_(sc), obj_(obj), l_(l), deadline_ms_(deadline_ms), z_scale_(z_scale),
        up_{sc.bandwidth_hz, sc.gain, sc.noise_w_per_hz}, cancel_(cancel), stack_(mp.stack_size()) {}

  // An exception raised inside an NLopt callback (a bad model value, cancellation): kept here
  // and rethrown after NLopt returns.
  void fail(std::exception_ptr e) { if (!error_) error_ = e; }
  void rethrow() const { if (error_) std::rethrow_exception(error_); }

  double bits() const { return l_ < mp_.num_blocks() ? mp_.out_bits(l_) : 0.0; }
  double z_scale() const { return z_scale_; }
  double deadline_ms() const { return deadline_ms_; }

  const Values& at(const double* y) {
    if (has_cache_ && std::equal(y, y + 5, last_y_.begin())) return v_;
    std::copy(y, y + 5, last_y_.begin());
    has_cache_ = true;
    compute(y);
    return v_;
  }

 private:
  void compute(const double* y) {
    check(cancel_);
    for (int k = 0; k < 5; ++k)
      if (!std::isfinite(y[k])) throw BadIterate();  // the optimiser's, not the model's
    const auto& cr = mp_.compute_range();
    const auto& mr = mp_.memory_range();
    const double df = cr.hi_mhz - cr.lo_mhz, dm = mr.hi_mhz - mr.lo_mhz;
    Values& v = v_;
    v.f = cr.lo_mhz + y[0] * df;
    v.m = mr.lo_mhz + y[1] * dm;
    v.rho = y[2];
    v.p = sc_.p_max_w * std::exp(-kPowerDecades * y[3]);
    v.z = y[4] * z_scale_;
    const Jet2 fm[2] = {Jet2(v.f, 0), Jet2(v.m, 1)};
    Jet2 t_loc(0.0), e_loc(0.0), t_rest(0.0), e_rest(0.0);
    for (std::size_t i = 0; i < mp_.num_blocks(); ++i) {
      Jet2 t, pw;
      mp_.block<Jet2>(i, fm, stack_.data(), t, pw);
      if (i < l_) { t_loc += t; e_loc += t * pw; }
      else { t_rest += t; e_rest += t * pw; }
    }
    const double D = bits();
    const double a = up_.snr_per_watt();
    double s = 0.0, ds_drho = 0.0, ds_dp = 0.0;
    if (D > 0.0 && v.rho > 0.0) {
      const double r = up_.rate_bps(v.p);
      const double dr = sc_.bandwidth_hz * a / ((1.0 + a * v.p) * kLn2);
      s = v.rho * D / r;
      ds_drho = D / r;
      ds_dp = -v.rho * D * dr / (r * r);
    } else if (D > 0.0) {
      ds_drho = D / up_.rate_bps(v.p);
    }
    const double t_srv = mp_.server_latency_ms(l_);
    const double pc = sc_.p_circuit_w, idle = sc_.idle_power_w;
    v.t_loc = t_loc.a;
    v.a_ms = (1.0 - v.rho) * t_rest.a;
    v.t_tx_ms = s * 1e3;
    v.t_srv_ms = v.rho * t_srv;
    v.b_ms = v.t_tx_ms + v.t_srv_ms;
    v.e_loc_j = (e_loc.a + (1.0 - v.rho) * e_rest.a) * 1e-3;
    v.e_tx_j = (v.p + pc) * s;
    v.e_idle_j = idle * v.rho * t_srv * 1e-3;
    v.energy_j = v.e_loc_j + v.e_tx_j + v.e_idle_j;

    // Gradients with respect to (f, m, rho, p, z).
    std::array<double, 5> gE{}, gL{}, gA{}, gB{};
    for (int k = 0; k < 2; ++k) {
      gE[k] = (e_loc.v[k] + (1.0 - v.rho) * e_rest.v[k]) * 1e-3;
      gL[k] = t_loc.v[k];
      gA[k] = (1.0 - v.rho) * t_rest.v[k];
    }
    gE[2] = -e_rest.a * 1e-3 + (v.p + pc) * ds_drho + idle * t_srv * 1e-3;
    gE[3] = s + (v.p + pc) * ds_dp;
    gA[2] = -t_rest.a;
    gB[2] = ds_drho * 1e3 + t_srv;
    gB[3] = ds_dp * 1e3;
    gL[4] = 1.0;
    const double lat = v.t_loc + v.z;
    std::array<double, 5> gC{};
    switch (obj_.kind) {
      case ObjectiveKind::Energy: v.cost = v.energy_j; gC = gE; break;
      case ObjectiveKind::Latency: v.cost = lat; gC = gL; break;
      case ObjectiveKind::Weighted:
        v.cost = v.energy_j + obj_.weight * lat * 1e-3;
        for (int k = 0; k < 5; ++k) gC[k] = gE[k] + obj_.weight * gL[k] * 1e-3;
        break;
      case ObjectiveKind::EnergyDelay:
        v.cost = v.energy_j * lat * 1e-3;
        for (int k = 0; k < 5; ++k) gC[k] = (gE[k] * lat + v.energy_j * gL[k]) * 1e-3;
        break;
    }
    // Chain rule to scaled variables y.
    const std::array<double, 5> dx_dy{df, dm, 1.0, -kPowerDecades * v.p, z_scale_};
    for (int k = 0; k < 5; ++k) {
      v.g_cost[k] = gC[k] * dx_dy[k];
      v.g_a[k] = (gA[k] - (k == 4 ? 1.0 : 0.0)) * dx_dy[k];
      v.g_b[k] = (gB[k] - (k == 4 ? 1.0 : 0.0)) * dx_dy[k];
      v.g_t[k] = gL[k] * dx_dy[k];
    }
  }

  const ModelProblem& mp_;
  const Scenario& sc_;
  const Objective& obj_;
  std::size_t l_;
  double deadline_ms_;
  double z_scale_;
  Uplink up_;
  const CancelToken* cancel_;
  std::exception_ptr error_;
  std::vector<Jet2> stack_;
  std::array<double, 5> last_y_{};
  bool has_cache_ = false;
  Values v_;
};

struct Callback {
  SplitModel* model;
  double cost_scale;
};

// NLopt callbacks: an exception is kept in the model and NLopt told to stop.
template <typename F>
double guarded(SplitModel* m, F&& f) {
  try {
    return f();
  } catch (const BadIterate&) {
    throw nlopt::forced_stop();
  } catch (...) {
    m->fail(std::current_exception());
    throw nlopt::forced_stop();
  }
}

double objective_cb(unsigned, const double* y, double* grad, void* data) {
  auto* cb = static_cast<Callback*>(data);
  return guarded(cb->model, [&] {
    const Values& v = cb->model->at(y);
    if (grad) for (int k = 0; k < 5; ++k) grad[k] = v.g_cost[k] / cb->cost_scale;
    return v.cost / cb->cost_scale;
  });
}
double constraint_a(unsigned, const double* y, double* grad, void* data) {
  SplitModel* m = static_cast<Callback*>(data)->model;
  return guarded(m, [&] {
    const Values& v = m->at(y);
    if (grad) for (int k = 0; k < 5; ++k) grad[k] = v.g_a[k] / m->z_scale();
    return (v.a_ms - v.z) / m->z_scale();
  });
}
double constraint_b(unsigned, const double* y, double* grad, void* data) {
  SplitModel* m = static_cast<Callback*>(data)->model;
  return guarded(m, [&] {
    const Values& v = m->at(y);
    if (grad) for (int k = 0; k < 5; ++k) grad[k] = v.g_b[k] / m->z_scale();
    return (v.b_ms - v.z) / m->z_scale();
  });
}
double constraint_t(unsigned, const double* y, double* grad, void* data) {
  SplitModel* m = static_cast<Callback*>(data)->model;
  return guarded(m, [&] {
    const Values& v = m->at(y);
    if (grad) for (int k = 0; k < 5; ++k) grad[k] = v.g_t[k] / m->z_scale();
    return (v.t_loc + v.z - m->deadline_ms()) / m->z_scale();
  });
}

double van_der_corput(int n, int base) {
  double q = 0.0, bk = 1.0 / base;
  for (; n > 0; n /= base, bk /= base) q += (n % base) * bk;
  return q;
}

struct Best {
  bool found = false;
  double cost = kInf;
  std::size_t l = 0;
  Values v;
  double latency_ms = kInf;
};

// Best plan over all splits for `deadline_ms` (may be +inf).
Best optimise(const ModelProblem& mp, const Scenario& sc, const Objective& obj, const ModelSolveOptions& opt,
              double deadline_ms, const CancelToken* cancel) {
  Best best;
  const std::size_t L = mp.num_blocks();
  for (std::size_t l = 0; l <= L; ++l) {
    // z scale: the deadline, or an upper bound of the parallel part at the slowest corner.
    double z_scale = deadline_ms;
    if (!std::isfinite(z_scale)) {
      double rest = 0.0;
      for (std::size_t i = l; i < L; ++i) {
        double t = 0.0, p = 0.0;
        mp.block(i, mp.compute_range().lo_mhz, mp.memory_range().lo_mhz, t, p);
        rest += t;
      }
      const Uplink up{sc.bandwidth_hz, sc.gain, sc.noise_w_per_hz};
      const double b = (l < L ? up.transmit_time_s(mp.out_bits(l), sc.p_max_w) * 1e3 : 0.0) + mp.server_latency_ms(l);
      z_scale = std::max({rest, b, 1e-3});
    }
    SplitModel model(mp, sc, obj, l, deadline_ms, z_scale, cancel);
    const bool sends = l < L && model.bits() > 0.0;
    std::vector<double> lo{0, 0, 0, 0, 0}, hi{1, 1, 1, 1, 1};
    if (mp.compute_range().hi_mhz == mp.compute_range().lo_mhz) hi[0] = 0.0;
    if (mp.memory_range().hi_mhz == mp.memory_range().lo_mhz) hi[1] = 0.0;
    if (l == L) hi[2] = 0.0;
    else if (!mp.partial_offloading()) lo[2] = 1.0;
    if (!sends) hi[3] = 0.0;
    if (l == 0) { hi[0] = 0.0; hi[1] = 0.0; }  // nothing local unless rho < 1 keeps work
    if (l == 0 && hi[2] > lo[2]) { hi[0] = 1.0 * (mp.compute_range().hi_mhz > mp.compute_range().lo_mhz); hi[1] = 1.0 * (mp.memory_range().hi_mhz > mp.memory_range().lo_mhz); }

    for (int s = 0; s < std::max(opt.starts_per_split, 1); ++s) {
      std::vector<double> y(5);
      if (s == 0) y = {1.0, 1.0, 0.5, 0.0, 1.0};
      else y = {van_der_corput(s, 2), van_der_corput(s, 3), van_der_corput(s, 5), 0.6 * van_der_corput(s, 7), 1.0};
      for (int k = 0; k < 5; ++k) y[k] = std::min(std::max(y[k], lo[k]), hi[k]);
      {
        const Values& v0 = model.at(y.data());
        y[4] = std::min(std::max(v0.a_ms, v0.b_ms) / z_scale, 1.0);
      }
      Callback cb{&model, 1.0};
      cb.cost_scale = std::max(std::fabs(model.at(y.data()).cost), 1e-300);
      nlopt::opt o(nlopt::LD_SLSQP, 5);
      o.set_lower_bounds(lo);
      o.set_upper_bounds(hi);
      o.set_min_objective(objective_cb, &cb);
      o.add_inequality_constraint(constraint_a, &cb, 1e-12);
      o.add_inequality_constraint(constraint_b, &cb, 1e-12);
      if (std::isfinite(deadline_ms)) o.add_inequality_constraint(constraint_t, &cb, 1e-12);
      o.set_ftol_rel(1e-14);
      o.set_xtol_rel(1e-12);
      o.set_maxeval(opt.max_evaluations);
      double fval = 0.0;
      try {
        o.optimize(y, fval);
      } catch (const std::exception&) {
        // roundoff or forced stop: y holds the last iterate; judged below like any other.
      }
      model.rethrow();  // a bad model value or cancellation inside NLopt
      if (!std::all_of(y.begin(), y.end(), [](double v) { return std::isfinite(v); })) continue;
      for (int k = 0; k < 5; ++k) y[k] = std::min(std::max(y[k], lo[k]), hi[k]);
      Values v = model.at(y.data());
      // The true latency: the parallel part is max(A, B), whatever z ended at.
      v.z = std::max(v.a_ms, v.b_ms);
      const double latency = v.t_loc + v.z;
      if (std::isfinite(deadline_ms) && latency > deadline_ms * (1.0 + opt.feasibility_tol)) continue;
      double cost = 0.0;
      switch (obj.kind) {
        case ObjectiveKind::Energy: cost = v.energy_j; break;
        case ObjectiveKind::Latency: cost = latency; break;
        case ObjectiveKind::Weighted: cost = v.energy_j + obj.weight * latency * 1e-3; break;
        case ObjectiveKind::EnergyDelay: cost = v.energy_j * latency * 1e-3; break;
      }
      if (!best.found || cost < best.cost) {
        best.found = true;
        best.cost = cost;
        best.l = l;
        best.v = v;
        best.latency_ms = latency;
      }
    }
  }
  return best;
}

OffloadSolution to_solution(const ModelProblem& mp, const Best& b) {
  OffloadSolution s;
  const Values& v = b.v;
  s.objective_value = b.cost;
  s.energy_j = v.energy_j;
  s.energy_compute_j = v.e_loc_j;
  s.energy_transmit_j = v.e_tx_j;
  s.energy_idle_j = v.e_idle_j;
  s.latency_ms = b.latency_ms;
  s.latency_local_ms = v.t_loc + v.a_ms;
  s.latency_transmit_ms = v.t_tx_ms;
  s.latency_server_ms = v.t_srv_ms;
  // rho = 0 keeps all the work local whatever the split: report it as split L.
  const std::size_t split = v.rho > 0.0 ? b.l : mp.num_blocks();
  s.split = static_cast<int>(split);
  const bool runs_local = b.l > 0 || v.rho < 1.0;
  s.compute_freq_mhz = runs_local ? v.f : std::numeric_limits<double>::quiet_NaN();
  s.mem_freq_mhz = runs_local ? v.m : std::numeric_limits<double>::quiet_NaN();
  const bool sends = split < mp.num_blocks() && mp.out_bits(split) > 0.0;
  s.tx_power_w = sends ? v.p : 0.0;
  s.offload_fraction = split < mp.num_blocks() ? v.rho : 0.0;
  return s;
}

}  // namespace

OffloadSolution solve(const ModelProblem& mp, const Scenario& sc, const Objective& obj, const ModelSolveOptions& opt,
                      const CancelToken* cancel) {
  validate(sc);
  if (obj.kind == ObjectiveKind::Weighted && !(std::isfinite(obj.weight) && obj.weight >= 0.0))
    throw std::invalid_argument("weight must be finite and >= 0");
  const Best best = optimise(mp, sc, obj, opt, sc.deadline_ms, cancel);
  if (best.found) {
    OffloadSolution s = to_solution(mp, best);
    s.feasible = true;
    s.min_latency_ms = std::numeric_limits<double>::quiet_NaN();  // not computed when feasible
    return s;
  }
  const Best fastest = optimise(mp, sc, Objective{ObjectiveKind::Latency, 0.0}, opt, kInf, cancel);
  OffloadSolution s = to_solution(mp, fastest);
  s.feasible = false;
  s.min_latency_ms = fastest.latency_ms;
  std::ostringstream os;
  os.precision(6);
  os << "no plan meets the deadline of " << sc.deadline_ms << " ms: the smallest reachable latency is "
     << fastest.latency_ms << " ms (split " << s.split << "); the decisions shown are that fastest plan";
  s.reason = os.str();
  return s;
}

}  // namespace dvfskit

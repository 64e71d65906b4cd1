#include "dvfskit/bounded_least_squares.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <Eigen/Dense>

namespace dvfskit {

namespace {

constexpr int kMax = BoundedLeastSquares::kMaxUnknowns;
using Small = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor, kMax, kMax>;
using SmallVector = Eigen::Matrix<double, Eigen::Dynamic, 1, Eigen::ColMajor, kMax, 1>;

}  // namespace

// Rescaled only when the squares would leave the double range.
double norm2(const double* x, std::size_t n) {
  double direct = 0.0;
  for (std::size_t i = 0; i < n; ++i) direct += x[i] * x[i];
  if (direct > 1e-280 && direct < 1e280) return std::sqrt(direct);
  if (direct == 0.0 || std::isnan(direct)) return direct;
  double scale = 0.0;
  for (std::size_t i = 0; i < n; ++i) scale = std::max(scale, std::fabs(x[i]));
  if (scale == 0.0 || !std::isfinite(scale)) return scale;
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = x[i] / scale;
    sum += v * v;
  }
  return scale * std::sqrt(sum);
}

namespace {

void reflect(const double* a, std::size_t m, int j, double tau, double* v) {
  if (tau == 0.0) return;
  const std::size_t jj = static_cast<std::size_t>(j);
  const double* col = a + jj * m;
  double w = v[jj];
  for (std::size_t i = jj + 1; i < m; ++i) w += col[i] * v[i];
  w *= tau;
  v[jj] -= w;
  for (std::size_t i = jj + 1; i < m; ++i) v[i] -= w * col[i];
}

// An upper triangular R whose diagonal is far from singular: solved by back substitution.
bool well_conditioned(const Small& R) {
  const double largest = R.cwiseAbs().maxCoeff();
  for (Eigen::Index j = 0; j < R.cols(); ++j)
    if (!(std::fabs(R(j, j)) > 1e-10 * largest)) return false;
  return true;
}

}  // namespace

void householder_qr(double* a, std::size_t m, int k, double* tau) {
  for (int j = 0; j < k; ++j) {
    const std::size_t jj = static_cast<std::size_t>(j);
    double* col = a + jj * m;
    const double alpha = col[jj];
    const double tail = norm2(col + jj + 1, m - jj - 1);
    if (tail == 0.0) {
      tau[j] = 0.0;
      continue;
    }
    const double squares = alpha * alpha + tail * tail;
    const double length = squares > 1e-280 && squares < 1e280 ? std::sqrt(squares) : std::hypot(alpha, tail);
    const double beta = -std::copysign(length, alpha);
    tau[j] = (beta - alpha) / beta;
    const double scale = 1.0 / (alpha - beta);
    for (std::size_t i = jj + 1; i < m; ++i) col[i] *= scale;
    col[jj] = beta;
    for (int c = j + 1; c < k; ++c) {
      double* other = a + static_cast<std::size_t>(c) * m;
      double w = other[jj];
      for (std::size_t i = jj + 1; i < m; ++i) w += col[i] * other[i];
      w *= tau[j];
      other[jj] -= w;
      for (std::size_t i = jj + 1; i < m; ++i) other[i] -= w * col[i];
    }
  }
}

void apply_qt(const double* a, std::size_t m, int k, const double* tau, double* v) {
  for (int j = 0; j < k; ++j) reflect(a, m, j, tau[j], v);
}

void apply_q(const double* a, std::size_t m, int k, const double* tau, double* v) {
  for (int j = k - 1; j >= 0; --j) reflect(a, m, j, tau[j], v);
}

double BoundedLeastSquares::solve(const double* A, std::size_t m, int k, const double* b, const double* lower_in,
                                  const double* upper_in, double* x_out) {
  if (k < 0 || k > kMax) throw std::invalid_argument("bounded least squares: at most 16 unknowns");
  if (m < static_cast<std::size_t>(k)) throw std::invalid_argument("bounded least squares: fewer rows than unknowns");
  m_ = m;
  k_ = k;
  source_ = A;
  const std::size_t kk = static_cast<std::size_t>(k);
  a_.assign(A, A + m * kk);
  // Columns scaled to unit norm (the unknowns and bounds with them): the solution does not
  // depend on the units of the columns, however different.
  scale_.resize(kk);
  lower_.resize(kk);
  upper_.resize(kk);
  x_.resize(kk);
  for (std::size_t j = 0; j < kk; ++j) {
    const double norm = norm2(a_.data() + j * m, m);
    scale_[j] = norm > 0.0 && std::isfinite(norm) ? norm : 1.0;
    const double inverse = 1.0 / scale_[j];
    for (std::size_t i = 0; i < m; ++i) a_[j * m + i] *= inverse;
    lower_[j] = lower_in[j] * scale_[j];
    upper_[j] = upper_in[j] * scale_[j];
  }
  const double* lower = lower_.data();
  const double* upper = upper_.data();
  double* x = x_.data();
  const auto unscaled = [&](double rss) {
    for (std::size_t j = 0; j < kk; ++j) x_out[j] = std::clamp(x[j] / scale_[j], lower_in[j], upper_in[j]);
    return rss;
  };
  tau_.resize(kk);
  qtb_.assign(b, b + m);
  state_.assign(kk, 0);
  householder_qr(a_.data(), m, k, tau_.data());
  apply_qt(a_.data(), m, k, tau_.data(), qtb_.data());
  const double floor_rss = [&] {
    const double t = norm2(qtb_.data() + kk, m - kk);
    return t * t;
  }();
  if (k == 0) return floor_rss;

  // The usual case: R well conditioned and the unconstrained solution inside the bounds.
  {
    double largest = 0.0;
    for (std::size_t c = 0; c < kk; ++c)
      for (std::size_t r = 0; r <= c; ++r) largest = std::max(largest, std::fabs(a_[c * m + r]));
    bool inside = true;
    for (int j = k - 1; j >= 0 && inside; --j) {
      const std::size_t jj = static_cast<std::size_t>(j);
      const double diagonal = a_[jj * m + jj];
      if (!(std::fabs(diagonal) > 1e-10 * largest)) {
        inside = false;
        break;
      }
      double sum = qtb_[jj];
      for (std::size_t c = jj + 1; c < kk; ++c) sum -= a_[c * m + jj] * x[c];
      x[j] = sum / diagonal;
      inside = x[j] >= lower[j] && x[j] <= upper[j];
    }
    if (inside) return unscaled(floor_rss);
  }

  Small R = Small::Zero(k, k);
  for (int c = 0; c < k; ++c)
    for (int r = 0; r <= c; ++r) R(r, c) = a_[static_cast<std::size_t>(c) * m + static_cast<std::size_t>(r)];
  const SmallVector d = Eigen::Map<const Eigen::VectorXd>(qtb_.data(), k);
  SmallVector xv(k);

  // Minimises ||R_F z - (d - R_B x_B)|| over the free unknowns F (z written into `out`).
  auto solve_free = [&](const SmallVector& current, SmallVector& out) {
    int nf = 0;
    for (int j = 0; j < k; ++j) nf += state_[static_cast<std::size_t>(j)] == 0;
    out = current;
    if (nf == 0) return;
    Small RF(k, nf);
    SmallVector rhs = d;
    for (int j = 0, f = 0; j < k; ++j) {
      if (state_[static_cast<std::size_t>(j)] == 0) {
        RF.col(f++) = R.col(j);
      } else {
        rhs -= R.col(j) * current(j);
      }
    }
    SmallVector z;
    if (nf == k && well_conditioned(R)) {
      z = R.triangularView<Eigen::Upper>().solve(rhs);
    } else {
      z = Eigen::ColPivHouseholderQR<Small>(RF).solve(rhs);
    }
    for (int j = 0, f = 0; j < k; ++j)
      if (state_[static_cast<std::size_t>(j)] == 0) out(j) = z(f++);
  };
  auto feasible = [&](const SmallVector& v, int j) { return v(j) >= lower[j] && v(j) <= upper[j]; };

  SmallVector z(k);
  solve_free(SmallVector::Zero(k), z);
  bool inside = z.allFinite();
  for (int j = 0; j < k && inside; ++j) inside = feasible(z, j);
  if (inside) {
    xv = z;
  } else {
    // Start from the unconstrained solution moved into the box (0 where it is not finite).
    for (int j = 0; j < k; ++j) {
      const double v = std::isfinite(z(j)) ? z(j) : 0.0;
      xv(j) = std::clamp(v, lower[j], upper[j]);
      if (xv(j) == lower[j] && std::isfinite(lower[j])) state_[static_cast<std::size_t>(j)] = 1;
      else if (xv(j) == upper[j] && std::isfinite(upper[j])) state_[static_cast<std::size_t>(j)] = 2;
    }
    const double tolerance = 64.0 * std::numeric_limits<double>::epsilon();
    for (int iteration = 0; iteration < 10 * k + 20; ++iteration) {
      solve_free(xv, z);
      bool ok = z.allFinite();
      for (int j = 0; j < k && ok; ++j) ok = state_[static_cast<std::size_t>(j)] != 0 || feasible(z, j);
      if (ok) {
        xv = z;
        // Free the bound unknown whose gradient most strongly points into the box.
        const SmallVector gradient = R.transpose() * (R * xv - d);
        const double scale = (R * xv - d).norm() + tolerance * d.norm();
        int best = -1;
        double best_gain = 0.0;
        for (int j = 0; j < k; ++j) {
          const char s = state_[static_cast<std::size_t>(j)];
          if (s == 0) continue;
          const double g = s == 1 ? -gradient(j) : gradient(j);
          const double gain = g / (R.col(j).norm() * scale + std::numeric_limits<double>::min());
          if (gain > tolerance && gain > best_gain) {
            best_gain = gain;
            best = j;
          }
        }
        if (best < 0) break;
        state_[static_cast<std::size_t>(best)] = 0;
        continue;
      }
      // Move towards z until the first free unknown reaches a bound; bind it.
      double alpha = 1.0;
      int hit = -1;
      for (int j = 0; j < k; ++j) {
        if (state_[static_cast<std::size_t>(j)] != 0 || (std::isfinite(z(j)) && feasible(z, j))) continue;
        const double target = !std::isfinite(z(j)) ? (z(j) > 0 ? upper[j] : lower[j])
                                                   : (z(j) < lower[j] ? lower[j] : upper[j]);
        const double t = std::isfinite(z(j)) && z(j) != xv(j) ? (target - xv(j)) / (z(j) - xv(j)) : 0.0;
        if (hit < 0 || t < alpha) {
          alpha = std::clamp(t, 0.0, 1.0);
          hit = j;
        }
      }
      for (int j = 0; j < k; ++j) {
        if (state_[static_cast<std::size_t>(j)] != 0) continue;
        if (std::isfinite(z(j))) xv(j) = std::clamp(xv(j) + alpha * (z(j) - xv(j)), lower[j], upper[j]);
        const bool at_lower = std::isfinite(lower[j]) && xv(j) <= lower[j];
        const bool at_upper = std::isfinite(upper[j]) && xv(j) >= upper[j];
        if (j == hit || at_lower || at_upper) {
          const bool low = j == hit ? (!std::isfinite(z(j)) ? z(j) < 0 : z(j) < lower[j]) : at_lower;
          xv(j) = low ? lower[j] : upper[j];
          state_[static_cast<std::size_t>(j)] = low ? 1 : 2;
        }
      }
    }
  }
  for (int j = 0; j < k; ++j) x[j] = xv(j);
  const double part = (R * xv - d).squaredNorm();
  return unscaled(part + floor_rss);
}

void BoundedLeastSquares::project_out(double* D, int q) {
  const std::size_t kk = static_cast<std::size_t>(k_);
  int nf = 0;
  for (std::size_t j = 0; j < kk; ++j) nf += state_[j] == 0;
  if (nf == 0) return;
  const double* factor = a_.data();
  const double* tau = tau_.data();
  if (nf < k_) {
    af_.resize(m_ * static_cast<std::size_t>(nf));
    tauf_.resize(static_cast<std::size_t>(nf));
    for (std::size_t j = 0, f = 0; j < kk; ++j)
      if (state_[j] == 0) std::copy(source_ + j * m_, source_ + (j + 1) * m_, af_.begin() + static_cast<std::ptrdiff_t>(f++ * m_));
    householder_qr(af_.data(), m_, nf, tauf_.data());
    factor = af_.data();
    tau = tauf_.data();
  }
  for (int c = 0; c < q; ++c) {
    double* v = D + static_cast<std::size_t>(c) * m_;
    apply_qt(factor, m_, nf, tau, v);
    std::fill(v, v + nf, 0.0);
    apply_q(factor, m_, nf, tau, v);
  }
}

}  // namespace dvfskit

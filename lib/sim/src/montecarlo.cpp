#include "sim/montecarlo.hpp"

#include <algorithm>
#include <cmath>

#include "engine_impl.hpp"

namespace opskit::sim {

namespace {
uint64_t splitmix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

// xoshiro256** seeded by splitmix64: small, fast and fully specified.
DrawSource::DrawSource(uint64_t seed) {
  for (auto& s : s_) s = splitmix(seed);
}

double DrawSource::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

uint64_t DrawSource::next() {
  uint64_t result = rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double DrawSource::normal() {
  // Marsaglia's polar method: two normals per accepted pair, no trigonometry.
  if (have_spare_) {
    have_spare_ = false;
    return spare_;
  }
  double u, v, s;
  do {
    u = 2 * uniform() - 1;
    v = 2 * uniform() - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  double f = std::sqrt(-2 * std::log(s) / s);
  spare_ = v * f;
  have_spare_ = true;
  return u * f;
}

double DrawSource::normal_from(double u) {
  // Acklam's algorithm: a rational function in the centre, in sqrt(-2 ln q) in the tails.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01,  -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  constexpr double low = 0.02425, high = 1 - low;
  if (u <= 0) u = 0x1p-54;  // uniform() can return 0
  if (u < low) {
    double q = std::sqrt(-2 * std::log(u));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (u > high) {
    double q = std::sqrt(-2 * std::log1p(-u));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  double q = u - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

namespace {

// Type 7 quantiles (linear interpolation between order statistics) of `col`, reordered in place.
void summarise(std::vector<float>& col, double tol, McQuantiles& out) {
  const size_t ok = col.size();
  if (ok == 0) return;
  auto q = [&](double p) {
    double h = (static_cast<double>(ok) - 1) * p;
    size_t lo = static_cast<size_t>(std::floor(h));
    std::nth_element(col.begin(), col.begin() + lo, col.end());
    double a = col[lo];
    if (lo + 1 >= ok) return a;
    double b = *std::min_element(col.begin() + lo + 1, col.end());
    return a + (h - lo) * (b - a);
  };
  double sum = 0;
  size_t up = 0, down = 0;
  for (float v : col) {
    sum += v;
    up += v > tol;
    down += v < -tol;
  }
  out.mean = sum / ok;
  out.p_up = static_cast<double>(up) / ok;
  out.p_down = static_cast<double>(down) / ok;
  out.p10 = q(0.10);
  out.p50 = q(0.50);
  out.p90 = q(0.90);
}

}  // namespace

McResult monte_carlo(const Engine& engine, const Graph& g, const std::vector<Intervention>& set, const McOptions& opt) {
  if (opt.samples < 1) throw UsageError("--samples must be at least 1");
  const Engine::Impl& I = engine.impl();
  const size_t n = engine.metric_count(), m = engine.edge_count();
  McResult res;
  res.samples = opt.samples;
  res.seed = opt.seed;
  for (int d : opt.days) {
    if (d < 0) throw UsageError("Monte Carlo days must not be negative");
    res.days.push_back(d);
  }
  std::sort(res.days.begin(), res.days.end());
  res.days.erase(std::unique(res.days.begin(), res.days.end()), res.days.end());
  const int horizon = res.days.empty() ? -1 : res.days.back();
  std::vector<int> daily_idx;
  for (const auto& name : opt.daily) {
    if (horizon < 0) break;
    auto it = I.by_name.find(name);
    if (it == I.by_name.end()) throw DataError("unknown metric '" + name + "'");
    daily_idx.push_back(it->second);
  }
  const size_t per_sample = n * (1 + res.days.size()) + daily_idx.size() * static_cast<size_t>(horizon + 1);
  if (static_cast<double>(opt.samples) * static_cast<double>(per_sample) > 2e8)
    throw UsageError("--samples x metrics x reported days is above 200 million values; use fewer samples or days");

  DrawSource rng(opt.seed);
  const ActiveSet act = I.activate(set, opt.mode);
  std::vector<double> coef(m), k, steady;
  State st_steady, st_days;
  // Only reached metrics can move; the others stay at zero in every sample.
  std::vector<int> reached;
  for (size_t i = 0; i < n; ++i)
    if (act.reach[i]) reached.push_back(static_cast<int>(i));
  const size_t nr = reached.size();
  std::vector<int> slot(n, -1);
  for (size_t r = 0; r < nr; ++r) slot[reached[r]] = static_cast<int>(r);
  const size_t nd = res.days.size(), width = nr * (1 + nd) + daily_idx.size() * static_cast<size_t>(horizon + 1);
  std::vector<float> draws;  // sample-major: [s * width + ...]
  draws.reserve(static_cast<size_t>(opt.samples) * width);
  std::vector<float> row(width);
  for (int s = 0; s < opt.samples; ++s) {
    for (size_t e = 0; e < m; ++e) {
      const Edge& ed = g.edges[e];
      // One 64-bit draw per edge whatever its parameters: the high half
      // decides presence, the low half gives the normal (tails to 6.2 sigma).
      uint64_t x = rng.next();
      double u = static_cast<double>(x >> 32) * 0x1p-32;
      if (!(u < ed.confidence)) {
        coef[e] = 0.0;
      } else if (ed.stddev > 0) {
        double v = (static_cast<double>(x & 0xffffffffULL) + 0.5) * 0x1p-32;
        coef[e] = ed.coefficient + ed.stddev * DrawSource::normal_from(v);
      } else {
        coef[e] = ed.coefficient;
      }
    }
    I.to_csr(coef, k);
    if (!I.steady_state(k.data(), act, st_steady, steady)) {
      ++res.failed;
      continue;
    }
    for (size_t r = 0; r < nr; ++r) row[r] = static_cast<float>(steady[reached[r]]);
    if (horizon >= 0) {
      int bad = I.run_program(true, k.data(), act, horizon + 1, st_days, nullptr, [&](int i, const double* series) {
        size_t base = nr + static_cast<size_t>(slot[i]) * nd;
        for (size_t j = 0; j < nd; ++j) row[base + j] = static_cast<float>(series[res.days[j]]);
        for (size_t j = 0; j < daily_idx.size(); ++j)
          if (daily_idx[j] == i)
            for (int t = 0; t <= horizon; ++t)
              row[nr * (1 + nd) + j * static_cast<size_t>(horizon + 1) + t] = static_cast<float>(series[t]);
      });
      if (bad >= 0) {
        ++res.failed;
        continue;
      }
    }
    draws.insert(draws.end(), row.begin(), row.end());
  }
  const size_t ok = static_cast<size_t>(opt.samples - res.failed);
  std::vector<float> col(ok);
  auto column = [&](size_t offset) {
    for (size_t s = 0; s < ok; ++s) col[s] = draws[s * width + offset];
  };
  res.metrics.resize(n);
  for (size_t i = 0; i < n; ++i) {
    McMetric& mm = res.metrics[i];
    mm.name = g.metrics[i].name;
    mm.at.assign(nd, McQuantiles{});
    if (ok == 0 || slot[i] < 0) continue;  // unreached: no change in any sample
    const double tol = 1e-12 * std::max(1.0, std::fabs(g.metrics[i].baseline));
    column(slot[i]);
    summarise(col, tol, mm);
    for (size_t j = 0; j < nd; ++j) {
      column(nr + slot[i] * nd + j);
      summarise(col, tol, mm.at[j]);
    }
  }
  for (size_t j = 0; j < daily_idx.size(); ++j) {
    McMetric& mm = res.metrics[daily_idx[j]];
    mm.daily.assign(horizon + 1, McQuantiles{});
    if (ok == 0 || slot[daily_idx[j]] < 0) continue;
    const double tol = 1e-12 * std::max(1.0, std::fabs(g.metrics[daily_idx[j]].baseline));
    for (int t = 0; t <= horizon; ++t) {
      column(nr * (1 + nd) + j * static_cast<size_t>(horizon + 1) + t);
      summarise(col, tol, mm.daily[t]);
    }
  }
  return res;
}

}  // namespace opskit::sim

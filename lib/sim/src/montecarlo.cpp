#include "sim/montecarlo.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

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

namespace {
// Acklam's algorithm: a rational function in the centre, in sqrt(-2 ln q) in the tails.
constexpr double kCentreLow = 0.02425, kCentreHigh = 1 - kCentreLow;
// The same bounds on the 32 bits v is made of, v = (lo + 0.5) / 2^32: lo below
// kTailLow gives v < kCentreLow, lo above kTailHigh gives v > kCentreHigh.
constexpr uint32_t kTailLow = static_cast<uint32_t>(kCentreLow * 0x1p32 - 0.5) + 1;
constexpr uint32_t kTailHigh = static_cast<uint32_t>(kCentreHigh * 0x1p32 - 0.5);

// GCC notes that 32-byte vectors passed by value change the ABI without AVX;
// these helpers have internal linkage and are inlined, so no ABI is involved.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

// The central branch, for kCentreLow <= u <= kCentreHigh, with q = u - 0.5.
// A template so the Monte Carlo loop can run it on four lanes at once
// (GCC/Clang vector extensions; the same operations in the same order, so
// every lane gives the scalar result bit for bit).
template <class T>
inline T acklam_centre(T q) {
  constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                          1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                          6.680131188771972e+01, -1.328068155288572e+01};
  T r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

using V4d = double __attribute__((vector_size(32)));
using V4u = uint64_t __attribute__((vector_size(32)));

// Exact conversion of values below 2^32 held in 64-bit lanes: placed in the
// mantissa of 2^52, then 2^52 subtracted (SSE2 has no u64 -> double).
inline V4d small_to_double(V4u x) {
  constexpr uint64_t two52_bits = 0x4330000000000000ULL;
  V4d d;
  V4u with_exp = x | two52_bits;
  std::memcpy(&d, &with_exp, sizeof d);
  return d - 0x1p52;
}

// One 64-bit draw per edge: the high half decides presence, the low half
// gives the normal (tails to 6.2 sigma).
inline double presence_draw(uint64_t x) { return static_cast<double>(x >> 32) * 0x1p-32; }
inline double normal_draw(uint64_t x) { return (static_cast<double>(x & 0xffffffffULL) + 0.5) * 0x1p-32; }

// coef[e] for the draws bits[e], e in [0, m), with every normal draw taken
// from the central branch; the caller redoes the draws in the tails.
void draw_central(const uint64_t* bits, const double* mean, const double* sd, const double* conf, double* coef,
                  size_t m) {
  size_t e = 0;
  for (; e + 4 <= m; e += 4) {
    V4u x;
    V4d mu, sigma, c;
    std::memcpy(&x, bits + e, sizeof x);
    std::memcpy(&mu, mean + e, sizeof mu);
    std::memcpy(&sigma, sd + e, sizeof sigma);
    std::memcpy(&c, conf + e, sizeof c);
    const V4d u = small_to_double(x >> 32) * 0x1p-32;
    const V4d v = (small_to_double(x & 0xffffffffULL) + 0.5) * 0x1p-32;
    const V4d value = mu + sigma * acklam_centre(v - 0.5);
    const V4u present = reinterpret_cast<V4u>(u < c);
    const V4d out = reinterpret_cast<V4d>(reinterpret_cast<V4u>(value) & present);
    std::memcpy(coef + e, &out, sizeof out);
  }
  for (; e < m; ++e) {
    const double value = mean[e] + sd[e] * acklam_centre(normal_draw(bits[e]) - 0.5);
    coef[e] = presence_draw(bits[e]) < conf[e] ? value : 0.0;
  }
}
}  // namespace

double DrawSource::normal_from(double u) {
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  if (u <= 0) u = 0x1p-54;  // uniform() can return 0
  if (u < kCentreLow) {
    double q = std::sqrt(-2 * std::log(u));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (u > kCentreHigh) {
    double q = std::sqrt(-2 * std::log1p(-u));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  return acklam_centre(u - 0.5);
}

namespace {

// Type 7 quantiles (linear interpolation between order statistics) of `col`, reordered in place.
// The median is selected first; p10 and p90 then select only within its lower and upper part.
void summarise(float* col, size_t ok, double tol, McQuantiles& out) {
  if (ok == 0) return;
  double sum = 0;
  size_t up = 0, down = 0;
  for (size_t i = 0; i < ok; ++i) {
    sum += col[i];
    up += col[i] > tol;
    down += col[i] < -tol;
  }
  out.mean = sum / ok;
  out.p_up = static_cast<double>(up) / ok;
  out.p_down = static_cast<double>(down) / ok;
  auto rank = [&](double p, double& frac) {
    double h = (static_cast<double>(ok) - 1) * p;
    size_t lo = static_cast<size_t>(std::floor(h));
    frac = h - static_cast<double>(lo);
    return lo;
  };
  auto blend = [&](size_t lo, double frac, double a, double b) { return lo + 1 >= ok ? a : a + frac * (b - a); };
  float* end = col + ok;
  double f10, f50, f90;
  const size_t l10 = rank(0.10, f10), l50 = rank(0.50, f50), l90 = rank(0.90, f90);
  std::nth_element(col, col + l50, end);
  const double a50 = col[l50];
  const double b50 = l50 + 1 < ok ? *std::min_element(col + l50 + 1, end) : a50;
  out.p50 = blend(l50, f50, a50, b50);
  // Below the median: everything in [0, l50) is <= col[l50].
  double a10 = a50, b10 = b50;
  if (l10 < l50) {
    std::nth_element(col, col + l10, col + l50);
    a10 = col[l10];
    b10 = *std::min_element(col + l10 + 1, col + l50 + 1);
  }
  out.p10 = blend(l10, f10, a10, b10);
  // Above the median: everything in (l50, ok) is >= col[l50].
  double a90 = a50, b90 = b50;
  if (l90 > l50) {
    std::nth_element(col + l50 + 1, col + l90, end);
    a90 = col[l90];
    b90 = l90 + 1 < ok ? *std::min_element(col + l90 + 1, end) : a90;
  }
  out.p90 = blend(l90, f90, a90, b90);
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
  // Column-major: each reported value's samples are contiguous for the quantile pass.
  const size_t samples = static_cast<size_t>(opt.samples);
  std::vector<float> draws(samples * width);
  // Rows are gathered 16 samples at a time and then written out column by
  // column, a cache line each, instead of one scattered float per column.
  constexpr size_t kBlock = 16;
  std::vector<float> block(kBlock * width);
  size_t in_block = 0, ok = 0;
  auto flush = [&] {
    for (size_t c = 0; c < width; ++c)
      for (size_t b = 0; b < in_block; ++b) draws[c * samples + ok + b] = block[b * width + c];
    ok += in_block;
    in_block = 0;
  };
  // Edge parameters as flat arrays, one draw per edge whatever its parameters.
  std::vector<double> mean(m), sd(m), conf(m);
  for (size_t e = 0; e < m; ++e) {
    mean[e] = g.edges[e].coefficient;
    sd[e] = g.edges[e].stddev > 0 ? g.edges[e].stddev : 0.0;
    conf[e] = g.edges[e].confidence;
  }
  std::vector<uint64_t> bits(m);
  std::vector<uint32_t> tails(m);
  for (int s = 0; s < opt.samples; ++s) {
    for (size_t e = 0; e < m; ++e) bits[e] = rng.next();
    // Branch-free for the common case (the presence draw is a coin flip the
    // CPU cannot predict); draws in the normal's tails are redone below.
    draw_central(bits.data(), mean.data(), sd.data(), conf.data(), coef.data(), m);
    size_t nt = 0;
    for (size_t e = 0; e < m; ++e) {
      const uint32_t lo = static_cast<uint32_t>(bits[e]);
      tails[nt] = static_cast<uint32_t>(e);
      nt += (lo < kTailLow) | (lo > kTailHigh);
    }
    for (size_t t = 0; t < nt; ++t) {
      const size_t e = tails[t];
      const uint64_t x = bits[e];
      coef[e] = !(presence_draw(x) < conf[e]) ? 0.0 : sd[e] > 0 ? mean[e] + sd[e] * DrawSource::normal_from(normal_draw(x)) : mean[e];
    }
    I.to_csr(coef, k);
    if (!I.steady_state(k.data(), act, st_steady, steady)) {
      ++res.failed;
      continue;
    }
    float* row = block.data() + in_block * width;
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
    if (++in_block == kBlock) flush();
  }
  flush();
  auto column = [&](size_t offset) { return draws.data() + offset * samples; };
  res.metrics.resize(n);
  for (size_t i = 0; i < n; ++i) {
    McMetric& mm = res.metrics[i];
    mm.name = g.metrics[i].name;
    mm.at.assign(nd, McQuantiles{});
    if (ok == 0 || slot[i] < 0) continue;  // unreached: no change in any sample
    const double tol = 1e-12 * std::max(1.0, std::fabs(g.metrics[i].baseline));
    summarise(column(slot[i]), ok, tol, mm);
    for (size_t j = 0; j < nd; ++j) {
      summarise(column(nr + slot[i] * nd + j), ok, tol, mm.at[j]);
    }
  }
  for (size_t j = 0; j < daily_idx.size(); ++j) {
    McMetric& mm = res.metrics[daily_idx[j]];
    mm.daily.assign(horizon + 1, McQuantiles{});
    if (ok == 0 || slot[daily_idx[j]] < 0) continue;
    const double tol = 1e-12 * std::max(1.0, std::fabs(g.metrics[daily_idx[j]].baseline));
    for (int t = 0; t <= horizon; ++t) {
      summarise(column(nr * (1 + nd) + j * static_cast<size_t>(horizon + 1) + t), ok, tol, mm.daily[t]);
    }
  }
  return res;
}

}  // namespace opskit::sim

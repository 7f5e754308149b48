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

double DrawSource::uniform() {
  uint64_t result = rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return static_cast<double>(result >> 11) * 0x1.0p-53;
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

McResult monte_carlo(const Engine& engine, const Graph& g, const std::vector<Intervention>& set, const McOptions& opt) {
  if (opt.samples < 1) throw UsageError("--samples must be at least 1");
  const size_t n = engine.metric_count(), m = engine.edge_count();
  if (static_cast<double>(opt.samples) * static_cast<double>(n) > 2e8)
    throw UsageError("--samples x metrics is above 200 million values; use fewer samples");
  McResult res;
  res.samples = opt.samples;
  res.seed = opt.seed;
  DrawSource rng(opt.seed);
  std::vector<double> coef(m), dev;
  std::vector<float> draws;  // sample-major: draws[s * n + i]
  draws.reserve(static_cast<size_t>(opt.samples) * n);
  std::vector<double> sum(n, 0.0);
  std::vector<int> up(n, 0), down(n, 0);
  for (int s = 0; s < opt.samples; ++s) {
    for (size_t e = 0; e < m; ++e) {
      const Edge& ed = g.edges[e];
      double u = rng.uniform();  // every edge consumes the same draws whatever its parameters
      double z = rng.normal();
      coef[e] = u < ed.confidence ? ed.coefficient + ed.stddev * z : 0.0;
    }
    if (!engine.steady(set, opt.mode, coef, dev)) {
      ++res.failed;
      continue;
    }
    for (size_t i = 0; i < n; ++i) {
      double tol = 1e-12 * std::max(1.0, std::fabs(g.metrics[i].baseline));
      draws.push_back(static_cast<float>(dev[i]));
      sum[i] += dev[i];
      if (dev[i] > tol) ++up[i];
      if (dev[i] < -tol) ++down[i];
    }
  }
  const size_t ok = static_cast<size_t>(opt.samples - res.failed);
  std::vector<double> col(ok);
  auto q = [&](double p) {
    // Linear interpolation between order statistics (type 7).
    double h = (static_cast<double>(ok) - 1) * p;
    size_t lo = static_cast<size_t>(std::floor(h));
    std::nth_element(col.begin(), col.begin() + lo, col.end());
    double a = col[lo];
    if (lo + 1 >= ok) return a;
    double b = *std::min_element(col.begin() + lo + 1, col.end());
    return a + (h - lo) * (b - a);
  };
  for (size_t i = 0; i < n; ++i) {
    McMetric mm;
    mm.name = g.metrics[i].name;
    if (ok > 0) {
      for (size_t s = 0; s < ok; ++s) col[s] = draws[s * n + i];
      mm.p10 = q(0.10);
      mm.p50 = q(0.50);
      mm.p90 = q(0.90);
      mm.mean = sum[i] / ok;
      mm.p_up = static_cast<double>(up[i]) / ok;
      mm.p_down = static_cast<double>(down[i]) / ok;
    }
    res.metrics.push_back(mm);
  }
  return res;
}

}  // namespace opskit::sim

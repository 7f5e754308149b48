#include "sim/generate.hpp"

#include <algorithm>

#include "sim/montecarlo.hpp"

namespace opskit::sim {

Graph generate_graph(int n, int m, int max_lag, int loops, uint64_t seed) {
  if (n < 2 || m < 0 || max_lag < 0 || loops < 0) throw UsageError("generate: need >= 2 metrics and non-negative counts");
  DrawSource rng(seed);
  Graph g;
  g.metrics.reserve(n);
  for (int i = 0; i < n; ++i) {
    Metric mt;
    mt.name = "metric_" + std::to_string(i);
    mt.baseline = 100 + static_cast<int>(rng.uniform() * 900);
    g.metrics.push_back(std::move(mt));
  }
  g.index();
  const double per_edge = std::max(1.0, static_cast<double>(m) / n);
  g.edges.reserve(static_cast<size_t>(m) + 2 * loops);
  for (int k = 0; k < m; ++k) {
    // Causes are drawn from a window behind the effect, so chains stay deep.
    int b = 1 + static_cast<int>(rng.uniform() * (n - 1));
    int span = std::min(b, 1000);
    int a = b - 1 - static_cast<int>(rng.uniform() * span);
    if (a < 0) a = 0;
    Edge e;
    e.cause = g.metrics[a].name;
    e.effect = g.metrics[b].name;
    e.coefficient = (rng.uniform() * 1.6 - 0.8) / per_edge;
    e.lag_days = static_cast<int>(rng.uniform() * (max_lag + 1));
    e.confidence = 0.5 + 0.5 * rng.uniform();
    e.stddev = std::abs(e.coefficient) * 0.2;
    if (k % 5 == 4) e.kind = EdgeKind::elasticity;
    g.edges.push_back(std::move(e));
  }
  for (int l = 0; l < loops; ++l) {
    int a = static_cast<int>(rng.uniform() * (n - 1));
    Edge f, b;
    f.cause = g.metrics[a].name;
    f.effect = g.metrics[a + 1].name;
    f.coefficient = 0.5;
    f.lag_days = 1;
    b.cause = f.effect;
    b.effect = f.cause;
    b.coefficient = 0.5;
    b.lag_days = 1 + l % 3;
    g.edges.push_back(f);
    g.edges.push_back(b);
  }
  return g;
}

}  // namespace opskit::sim

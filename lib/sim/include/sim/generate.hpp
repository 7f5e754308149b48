#pragma once
// Seeded synthetic graphs for benchmarks, examples and tests: `metrics`
// metrics, about `edges` edges from lower to higher index (a DAG) with lags
// 0..max_lag, plus `loops` stable two-metric feedback loops (lagged, gain
// 0.25). Coefficients keep every effect's sum of |coefficients| below 1, so
// changes stay bounded on any size.
#include <cstdint>

#include "sim/graph.hpp"

namespace opskit::sim {

Graph generate_graph(int metrics, int edges, int max_lag, int loops, uint64_t seed);

}  // namespace opskit::sim

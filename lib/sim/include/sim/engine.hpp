#pragma once
// The exact what-if engine.
//
// Every metric i follows its structural equation, in deviations from the
// baseline b (d = x - b, so the baseline is always a fixed point):
//
//   A_i(t) = b_i + sum_linear   coef * d_cause(t - lag)
//   L_i(t) =       sum_elastic  coef * ln(1 + d_cause(t - lag) / b_cause)
//   x_i(t) = clamp(A_i(t) * exp(L_i(t)), min_i, max_i)   (then the intervention)
//
// Day 0 is the first day of the intervention; before it every metric is at
// its baseline. Equations hold on every day to the horizon, so every path
// counts once and each path's change arrives at its own total lag. Only the
// metrics reachable from an intervention are computed; an acyclic metric
// gets all its days in one pass over its causes' daily series, and only
// feedback loops (strongly connected components) are stepped day by day.
// Zero-lag loops are solved simultaneously (Newton on the block, exact in
// one step for linear blocks). The steady state is the fixed point of the
// same equations with all lags removed (blocks = strongly connected
// components), i.e. the limit of the stable lagged system.
//
// Interventions: `shift` adds to the metric's own equation (absolute: +a;
// percent: x = F * (1 + p)); `do` holds the metric at a level and cuts the
// edges into it. No recursion anywhere: graph walks are iterative.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/graph.hpp"

namespace opskit::sim {

inline constexpr const char* engine_version = "sim-exact/2";  // 2: series engine, new Monte Carlo draws

enum class Mode { shift, do_ };
Mode parse_mode(const std::string& s);  // throws UsageError
const char* mode_name(Mode m);

struct Intervention {
  std::string metric;
  enum class Kind { percent, delta, level } kind = Kind::percent;
  double value = 0;    // 0.2 for +20%, delta, or level
  int start_day = 0;   // active from this day on
  std::string text;    // as given
};
// "price=+20%", "spend=-5%", "spend=+1000", "spend=12000" (a level).
// Unknown metrics throw DataError with the closest names suggested.
Intervention parse_set(const std::string& text, const Graph& g);

struct SimOptions {
  Mode mode = Mode::shift;
  int horizon_days = 90;
  std::vector<int> report_days;        // days to keep for every metric (horizon is always kept)
  std::vector<std::string> daily;      // metrics whose full daily series is kept
  bool steady_state = true;
};

struct MetricResult {
  std::string name;
  double baseline = 0;
  std::vector<double> at;       // level on each SimResult::days entry
  double steady = 0;            // level at steady state (NaN when not computed)
  std::vector<double> series;   // daily levels 0..horizon, when requested
  bool clamped = false;
};

struct SimResult {
  std::vector<int> days;               // report days, ascending, ending with the horizon
  std::vector<MetricResult> metrics;   // graph order
  std::string method = "exact";
  std::vector<std::string> notes;
};

// A graph compiled for repeated simulation (CSR by effect, block orders).
// Coefficients may be overridden per sample (Monte Carlo) without recompiling.
class Engine {
 public:
  explicit Engine(const Graph& g);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  size_t metric_count() const;
  size_t edge_count() const;

  // Day by day to the horizon, plus the steady state.
  SimResult run(const std::vector<Intervention>& set, const SimOptions& opt) const;

  // Steady-state deviations only, with per-edge coefficients `coef` (graph
  // edge order; an absent edge has coefficient 0) and an edge mask. Fills
  // `deviation` (size = metrics). Returns false when the solve did not
  // converge or a metric left the domain of a log (Monte Carlo counts it).
  bool steady(const std::vector<Intervention>& set, Mode mode, const std::vector<double>& coef,
              std::vector<double>& deviation) const;
  const std::vector<double>& base_coefficients() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }  // for lib/sim internals (waterfall)

 private:
  Impl* impl_;
};

// The naive breadth-first propagation of the design this product grew
// from: each metric is reached once, by the first path found, every hop
// loses 15% confidence, lags are ignored. Wrong on diamonds, loops and mixed
// lags; kept only for comparison (--method bfs).
SimResult run_bfs(const Graph& g, const std::vector<Intervention>& set, const SimOptions& opt);

}  // namespace opskit::sim

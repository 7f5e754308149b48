#pragma once
// The compiled form of a graph shared by the exact engine, Monte Carlo and
// the waterfall. Private to lib/sim.
//
// Layout: in-edges of every metric in CSR order (linear terms first, then
// elasticities). A run walks the strongly connected components of the whole
// graph in topological order: an acyclic metric gets all its days at once,
// each in-edge adding a shifted copy of its cause's daily row (contiguous,
// vectorisable), and only the metrics inside feedback loops are stepped day
// by day. The sums per day are the same terms in the same order as a
// day-by-day sweep, so both give the same doubles.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <unordered_map>
#include <vector>

#include "blocks.hpp"
#include "sim/engine.hpp"

namespace opskit::sim {

// One compilation of the equations: with the real lags (dynamic) or with all
// lags removed (static, for the steady state).
struct Compiled {
  std::vector<int> lag;        // per edge
  std::vector<int> in_lag;     // per CSR position
  int depth = 1;               // D = max lag + 1
  detail::Blocks blocks;
  std::vector<char> solve;     // per block: needs a simultaneous solve
};

// The interventions of one run, and the part of the graph they can reach.
struct ActiveSet {
  std::vector<int> kind;       // per metric: -1 none, else index into `set`
  const std::vector<Intervention>* set = nullptr;
  Mode mode = Mode::shift;
  // Evaluation order over the strongly connected components of the whole
  // graph (static blocks), restricted to those reachable from an
  // intervention (the rest never leave their baseline): a metric id >= 0 is
  // an acyclic metric, computed for all days in one pass over its causes'
  // series; -(b + 1) is static block b, stepped day by day on its own.
  std::vector<int> program;
  std::vector<char> reach;     // per metric
  std::vector<int> consumers;  // per metric: reached effects reading it (CSR positions)
  int last_start = 0;          // latest intervention start day
};

// The state of one simulation: one row per metric holding `depth` zero days
// (days -depth..-1, before the intervention) and then days 0..days-1.
// Rows are taken from a pool when a metric is computed and given back once
// every effect that reads it is done, so a long run over a large graph keeps
// only the live frontier in memory. Reused across Monte Carlo samples.
struct State {
  int depth = 1, days = 1;
  std::vector<double*> dev, lr;    // per metric; unreached metrics share `zeros`
  std::vector<char> clamped;       // per metric
  std::vector<double> zeros, scratch;
  std::vector<std::unique_ptr<double[]>> owned;
  std::vector<double*> spare;
  void reset(int metrics, int d, int day_count);
  double* take();
  void give(double* row);
};

struct Engine::Impl {
  int n = 0, m = 0;
  std::vector<std::string> names;
  std::unordered_map<std::string, int> by_name;
  std::vector<double> base, lo, hi;     // lo/hi: deviation bounds (+-inf when none)
  std::vector<int> cause, effect;
  std::vector<char> elastic;            // per edge
  std::vector<double> coef;             // per edge, as given
  std::vector<int> lags;                // per edge, days
  std::vector<int> in_start, in_edge;   // CSR by effect: edge ids
  std::vector<int> in_cause, in_effect; // per CSR position
  std::vector<int> in_split;            // per metric: first elasticity edge in its CSR range
  std::vector<char> in_elastic;         // per CSR position
  std::vector<double> in_coef;          // per CSR position, as given
  std::vector<int> out_start, out_to;   // cause -> effect adjacency (reachability)
  std::vector<char> log_needed;         // metric is the cause of an elasticity edge
  Compiled dyn, stat;
  std::vector<std::vector<int>> dyn_inner;  // per cyclic static block: its dyn ops in order

  explicit Impl(const Graph& g);
  Compiled compile(bool with_lags) const;
  ActiveSet activate(const std::vector<Intervention>& set, Mode mode) const;

  // Coefficients by graph edge order -> CSR order.
  std::vector<double> to_csr(const std::vector<double>& by_edge) const;
  void to_csr(const std::vector<double>& by_edge, std::vector<double>& k) const;

  // Runs the equations for days 0..days-1: with the real lags (dynamic =
  // true, honouring start days) or with all lags removed (the steady state,
  // days = 1). k: coefficients in CSR order. `visit(metric, row)` is called
  // once per reached metric when its row (row[t] = deviation on day t) is
  // final; `keep` (optional, per metric) holds rows until the end.
  // Returns -1, or the day on which the model left its domain (a log of a
  // non-positive level, no convergence).
  using Visit = std::function<void(int metric, const double* row)>;
  int run_program(bool dynamic, const double* k, const ActiveSet& act, int days, State& st,
                  const std::vector<char>* keep, const Visit& visit) const;
  // Steady-state deviations of every metric into `out`.
  bool steady_state(const double* k, const ActiveSet& act, State& st, std::vector<double>& out) const;

  double eval(const Compiled& c, const double* k, const ActiveSet& act, int i, int t, bool use_start, const State& st,
              bool* was_clamped) const;
  bool solve_block(const Compiled& c, const double* k, const ActiveSet& act, int blk, int t, bool use_start,
                   State& st) const;
  bool set_value(int i, int t, double d, State& st) const;
  // All days of an acyclic metric from its causes' rows; -1 or the failing day.
  int sweep_metric(const Compiled& c, const double* k, const ActiveSet& act, int i, bool use_start, State& st) const;
};

}  // namespace opskit::sim

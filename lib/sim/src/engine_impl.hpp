#pragma once
// The compiled form of a graph shared by the exact engine, Monte Carlo and
// validation. Private to lib/sim.
#include <cmath>
#include <limits>
#include <unordered_map>
#include <vector>

#include "blocks.hpp"
#include "sim/engine.hpp"

namespace opskit::sim {

// One compilation of the equations: with the real lags (dynamic) or with all
// lags removed (static, for the steady state).
struct Compiled {
  std::vector<int> lag;       // per edge
  std::vector<int> in_lag;    // per CSR position (in_edge order)
  int depth = 1;              // ring depth = max lag + 1
  detail::Blocks blocks;
  std::vector<char> solve;    // per block: needs a simultaneous solve
};

struct ActiveSet {
  std::vector<int> kind;      // per metric: -1 none, else index into `set`
  const std::vector<Intervention>* set = nullptr;
  Mode mode = Mode::shift;
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
  std::vector<int> in_cause;            // per CSR position
  std::vector<int> in_split;            // per metric: first elasticity edge in its CSR range
  std::vector<char> in_elastic;         // per CSR position
  std::vector<double> in_coef;          // per CSR position, as given
  std::vector<char> log_needed;         // metric is the cause of an elasticity edge
  Compiled dyn, stat;

  explicit Impl(const Graph& g);
  Compiled compile(bool with_lags) const;
  ActiveSet activate(const std::vector<Intervention>& set, Mode mode) const;

  // Coefficients by graph edge order -> CSR order.
  std::vector<double> to_csr(const std::vector<double>& by_edge) const;
  // Evaluates the equations of one day for every block in order.
  // k: coefficients in CSR order; dev/lr: ring buffers [depth * n]; t: day;
  // `use_start` honours interventions' start days (false for the steady state).
  // Returns false on a numeric failure (log domain, no convergence).
  bool step(const Compiled& c, const double* k, const ActiveSet& act, int t, bool use_start, std::vector<double>& dev,
            std::vector<double>& lr, std::vector<char>* clamped) const;

 private:
  double eval(const Compiled& c, const double* k, const ActiveSet& act, int i, int t, bool use_start,
              const size_t* off, const std::vector<double>& dev, const std::vector<double>& lr, bool* was_clamped) const;
  bool solve_block(const Compiled& c, const double* k, const ActiveSet& act, int blk, int t, bool use_start,
                   const size_t* off, std::vector<double>& dev, std::vector<double>& lr, std::vector<char>* clamped) const;
  bool set_value(int i, int slot, double d, std::vector<double>& dev, std::vector<double>& lr) const;
};

}  // namespace opskit::sim

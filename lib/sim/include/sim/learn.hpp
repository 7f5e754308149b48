#pragma once
// Fits edge coefficients and lags from daily metric history by lagged least
// squares (Eigen, column-pivoting QR). For every effect, each candidate
// cause gets the lag in 0..max_lag (1..max_lag when discovering, so found
// edges cannot form same-day loops) with the strongest correlation, then all
// causes of the effect are fitted together:
//   linear edges:      y(t)     = c + sum beta * x(t - lag)
//   elasticity edges:  ln y(t)  = c + sum eps  * ln x(t - lag)
// Each edge keeps its fit: stddev = standard error, confidence = the
// two-sided normal probability mass within |t|, fit_r2 = R^2 of the effect's
// regression.
#include <map>
#include <string>
#include <vector>

#include "sim/graph.hpp"

namespace opskit::sim {

// Daily values on a shared calendar: day index -> value (NaN = missing).
struct History {
  std::vector<std::string> days;                       // ISO dates, ascending, consecutive
  std::map<std::string, std::vector<double>> series;   // metric -> values aligned to `days`
};

struct LearnOptions {
  int max_lag = 14;
  bool discover = false;  // try every other metric as a cause, keep |t| >= min_t
  double min_t = 3.0;
};

struct LearnReport {
  Graph graph;           // the input graph with fitted edges (discovered edges appended)
  size_t fitted = 0, discovered = 0, skipped = 0;
  std::vector<std::string> notes;
};

LearnReport learn(const Graph& structure, const History& h, const LearnOptions& opt);

}  // namespace opskit::sim

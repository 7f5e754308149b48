#pragma once
// Uncertainty by seeded Monte Carlo. In each sample every edge is drawn
// once: present with probability `confidence`, and when present its
// coefficient is drawn from Normal(coefficient, stddev); the sample is then
// solved for the steady state and, when `days` are asked for, simulated day
// by day to the last of them. Every edge consumes exactly one 64-bit draw
// per sample whatever its parameters (high half: presence, low half: the
// normal by the inverse CDF), so the same seed gives the same draws on
// every platform (own generator and normal transform, not the
// implementation-defined std distributions), and changing one edge does not
// reshuffle the others. A sample whose solve fails is left out and counted.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/engine.hpp"

namespace opskit::sim {

struct McOptions {
  int samples = 1000;
  uint64_t seed = 42;
  Mode mode = Mode::shift;
  std::vector<int> days;            // days (>= 0) reported for every metric; empty = steady state only
  std::vector<std::string> daily;   // metrics whose quantiles are kept for every day 0..max(days)
};

// Quantiles of the change from the baseline (level units) over the samples.
struct McQuantiles {
  double p10 = 0, p50 = 0, p90 = 0, mean = 0;
  double p_up = 0, p_down = 0;  // share of samples with a rise / a fall
};

struct McMetric : McQuantiles {  // the steady state
  std::string name;
  std::vector<McQuantiles> at;     // per McResult::days
  std::vector<McQuantiles> daily;  // days 0..max(days), for McOptions::daily metrics
};

struct McResult {
  int samples = 0;
  int failed = 0;  // samples whose solve did not converge (left out of the figures)
  uint64_t seed = 0;
  std::vector<int> days;          // ascending, unique
  std::vector<McMetric> metrics;  // graph order
};

McResult monte_carlo(const Engine& engine, const Graph& g, const std::vector<Intervention>& set, const McOptions& opt);

// A deterministic source: uniform in [0,1) with 53 bits, and standard normal
// (Marsaglia's polar method); normal_from(u) is the inverse normal CDF of one
// uniform (Acklam's rational approximation, relative error below 1.2e-9).
class DrawSource {
 public:
  explicit DrawSource(uint64_t seed);
  uint64_t next();  // 64 raw bits
  double uniform();
  double normal();
  static double normal_from(double u);

 private:
  uint64_t s_[4];
  bool have_spare_ = false;
  double spare_ = 0;
};

}  // namespace opskit::sim

#pragma once
// Uncertainty by seeded Monte Carlo on the steady state. In each sample every
// edge is drawn once: present with probability `confidence`, and when present
// its coefficient is drawn from Normal(coefficient, stddev). The same seed
// gives the same draws on every platform (own uniform and normal transforms
// over mt19937_64, not the implementation-defined std distributions).
#include <cstdint>
#include <string>
#include <vector>

#include "sim/engine.hpp"

namespace opskit::sim {

struct McOptions {
  int samples = 1000;
  uint64_t seed = 42;
  Mode mode = Mode::shift;
};

struct McMetric {
  std::string name;
  double p10 = 0, p50 = 0, p90 = 0, mean = 0;  // change from the baseline (level units)
  double p_up = 0, p_down = 0;                 // share of samples with a rise / a fall
};

struct McResult {
  int samples = 0;
  int failed = 0;  // samples whose solve did not converge (left out of the figures)
  uint64_t seed = 0;
  std::vector<McMetric> metrics;  // graph order
};

McResult monte_carlo(const Engine& engine, const Graph& g, const std::vector<Intervention>& set, const McOptions& opt);

// A deterministic source: uniform in [0,1) with 53 bits, and standard normal (Box-Muller).
class DrawSource {
 public:
  explicit DrawSource(uint64_t seed);
  double uniform();
  double normal();

 private:
  uint64_t s_[4];
  bool have_spare_ = false;
  double spare_ = 0;
};

}  // namespace opskit::sim

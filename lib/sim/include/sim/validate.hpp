#pragma once
// Graph validation: unknown metrics, zero-lag self-loops, elasticities on
// non-positive baselines, and feedback loops. A loop is allowed when the
// dynamics are stable, checked on the lagged system linearised at the
// baseline: the zero-lag part must have spectral radius < 1 (its paths sum),
// and the companion matrix of x(t) = (I - A0)^-1 sum_L A_L x(t - L) must have
// spectral radius < 1. Blocks too large for a dense eigen-solve are checked
// by power iteration on the same recurrence (reported as estimated).
#include <string>
#include <vector>

#include "sim/graph.hpp"

namespace opskit::sim {

struct LoopReport {
  std::vector<std::string> cycle;  // a -> b -> a (first == last)
  size_t block_size = 0;           // metrics in the strongly connected component
  double gain = 0;                 // product of linearised coefficients along `cycle`
  double radius = 0;               // spectral radius of the lagged system
  bool exact = true;               // false when estimated by power iteration
  bool stable = true;
};

struct ValidationReport {
  size_t metrics = 0, edges = 0;
  std::vector<LoopReport> loops;
  std::vector<std::string> warnings;
};

// Throws DataError naming the first problem (an unstable loop is named
// metric by metric); returns what was checked.
ValidationReport validate(const Graph& g);

// Linearised coefficient of an edge at the baseline (level units).
double linear_gain(const Graph& g, const Edge& e);

}  // namespace opskit::sim

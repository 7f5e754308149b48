#pragma once
// The causal graph of business metrics: metrics (unit, baseline, optional
// bounds) and edges cause -> effect. An edge is either linear (a change of
// 1 in the cause changes the effect by `coefficient`) or an elasticity
// (percent effect per percent cause, applied in log space:
// ln(effect'/effect) += elasticity * ln(cause'/cause)). Each edge has a lag
// in whole days; a pair may have several edges with different lags.
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"

namespace opskit::sim {

enum class EdgeKind { linear, elasticity };
const char* kind_name(EdgeKind k);

struct Metric {
  std::string name;
  std::string unit;
  double baseline = 0;
  std::optional<double> min, max;
  std::string description;
  SourceLocation where;  // where it was defined (for validation errors)
};

struct Edge {
  std::string cause, effect;
  EdgeKind kind = EdgeKind::linear;
  double coefficient = 0;  // slope or elasticity
  int lag_days = 0;
  double confidence = 1.0;  // probability that the edge is real, 0..1
  double stddev = 0;        // uncertainty of the coefficient (Monte Carlo)
  std::string source = "import";  // import | learn
  std::optional<double> fit_r2;   // when learned
  SourceLocation where;
};

class Graph {
 public:
  std::vector<Metric> metrics;
  std::vector<Edge> edges;

  // Rebuilds the name index; call after editing `metrics`.
  void index();
  // Index of a metric, or -1.
  int find(const std::string& name) const;
  const Metric& metric(const std::string& name) const;  // throws DataError
  // Up to `limit` known names closest to `name` (edit distance), for messages.
  std::vector<std::string> closest(const std::string& name, size_t limit = 3) const;
  // Throws DataError "unknown metric 'x' (did you mean 'y'?)" when absent.
  int require(const std::string& name, const SourceLocation& where = {}) const;
  // A stable SHA-256 of the graph's content (recorded with every run).
  std::string hash() const;

 private:
  std::unordered_map<std::string, int> by_name_;
};

// Damerau-free Levenshtein distance (for suggestions).
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace opskit::sim

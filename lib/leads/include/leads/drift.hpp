#pragma once
// Drift: the population stability index of each encoded input between the
// training data (the encoder's reference shares) and the rows being scored.
//   PSI = sum over codes (actual - expected) * ln(actual / expected)
// with shares floored at 1e-4. Rule of thumb: < 0.1 stable, 0.1-0.25
// moderate, >= 0.25 major; the thresholds are configurable.
#include <cstdint>
#include <string>
#include <vector>

#include "leads/encoder.hpp"

namespace opskit::leads {

struct DriftThresholds {
  double moderate = 0.1;
  double major = 0.25;
};

struct FeatureDrift {
  std::string input;
  double psi = 0;
  std::string level;  // stable | moderate | major
};

double population_stability_index(const std::vector<double>& expected, const std::vector<double>& actual);

class DriftMonitor {
 public:
  explicit DriftMonitor(const Encoder& encoder);
  void add(const uint8_t* codes) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i][codes[i]] += 1;
    ++rows_;
  }
  uint64_t rows() const { return rows_; }
  // One entry per input, in input order.
  std::vector<FeatureDrift> report(const DriftThresholds& t) const;

 private:
  const Encoder& encoder_;
  std::vector<std::vector<double>> counts_;
  uint64_t rows_ = 0;
};

}  // namespace opskit::leads

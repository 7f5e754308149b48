#include "leads/drift.hpp"

#include <algorithm>
#include <cmath>

namespace opskit::leads {

double population_stability_index(const std::vector<double>& expected, const std::vector<double>& actual) {
  double e_total = 0, a_total = 0;
  for (double v : expected) e_total += v;
  for (double v : actual) a_total += v;
  if (e_total <= 0 || a_total <= 0) return 0;
  double psi = 0;
  for (size_t i = 0; i < expected.size() && i < actual.size(); ++i) {
    double e = std::max(expected[i] / e_total, 1e-4), a = std::max(actual[i] / a_total, 1e-4);
    psi += (a - e) * std::log(a / e);
  }
  return psi;
}

DriftMonitor::DriftMonitor(const Encoder& encoder) : encoder_(encoder) {
  for (const auto& in : encoder.inputs()) counts_.emplace_back(size_t(in.codes()), 0.0);
}

std::vector<FeatureDrift> DriftMonitor::report(const DriftThresholds& t) const {
  std::vector<FeatureDrift> out;
  for (size_t i = 0; i < counts_.size(); ++i) {
    FeatureDrift d;
    d.input = encoder_.inputs()[i].name;
    d.psi = population_stability_index(encoder_.inputs()[i].reference, counts_[i]);
    d.level = d.psi >= t.major ? "major" : d.psi >= t.moderate ? "moderate" : "stable";
    out.push_back(d);
  }
  return out;
}

}  // namespace opskit::leads

#pragma once
// Ranking and probability metrics for a binary outcome, plus the
// calibration table and the lift/gains table that `evaluate` prints.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace opskit::leads {

double auc(const std::vector<double>& score, const std::vector<int8_t>& y);  // ties count half
double average_precision(const std::vector<double>& score, const std::vector<int8_t>& y);
double log_loss(const std::vector<double>& prob, const std::vector<int8_t>& y);
double brier(const std::vector<double>& prob, const std::vector<int8_t>& y);

struct CalibrationBin {
  size_t rows = 0;
  double mean_predicted = 0, observed = 0;
};
// `bins` equal-count bins by predicted probability.
std::vector<CalibrationBin> calibration_table(const std::vector<double>& prob, const std::vector<int8_t>& y, int bins = 10);

struct LiftRow {
  int decile = 0;  // 1 = highest scores
  size_t rows = 0, positives = 0;
  double rate = 0, lift = 0, cumulative_gain = 0;
};
std::vector<LiftRow> lift_table(const std::vector<double>& score, const std::vector<int8_t>& y, int groups = 10);

struct Metrics {
  size_t rows = 0, positives = 0;
  double auc = 0, average_precision = 0, log_loss = 0, brier = 0;
  nlohmann::json to_json() const;
};
Metrics compute_metrics(const std::vector<double>& prob, const std::vector<int8_t>& y);

}  // namespace opskit::leads

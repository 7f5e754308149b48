#include "leads/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace opskit::leads {

static std::vector<size_t> order_desc(const std::vector<double>& s) {
  std::vector<size_t> o(s.size());
  std::iota(o.begin(), o.end(), 0);
  std::stable_sort(o.begin(), o.end(), [&](size_t a, size_t b) { return s[a] > s[b]; });
  return o;
}

double auc(const std::vector<double>& score, const std::vector<int8_t>& y) {
  std::vector<size_t> o(score.size());
  std::iota(o.begin(), o.end(), 0);
  std::sort(o.begin(), o.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  double pos = 0, neg = 0, rank_sum = 0;
  for (size_t i = 0; i < o.size();) {
    size_t j = i;
    while (j < o.size() && score[o[j]] == score[o[i]]) ++j;
    double avg_rank = (i + 1 + j) / 2.0;  // 1-based average rank of the tie group
    for (size_t k = i; k < j; ++k)
      if (y[o[k]] == 1) rank_sum += avg_rank;
    i = j;
  }
  for (auto v : y) (v == 1 ? pos : neg) += 1;
  if (pos == 0 || neg == 0) return 0.5;
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

double average_precision(const std::vector<double>& score, const std::vector<int8_t>& y) {
  auto o = order_desc(score);
  double total_pos = 0;
  for (auto v : y) total_pos += v == 1;
  if (total_pos == 0) return 0;
  double tp = 0, seen = 0, ap = 0, prev_recall = 0;
  for (size_t i = 0; i < o.size();) {
    size_t j = i;
    while (j < o.size() && score[o[j]] == score[o[i]]) {
      tp += y[o[j]] == 1;
      ++seen;
      ++j;
    }
    double recall = tp / total_pos;
    ap += (recall - prev_recall) * (tp / seen);
    prev_recall = recall;
    i = j;
  }
  return ap;
}

double log_loss(const std::vector<double>& prob, const std::vector<int8_t>& y) {
  double s = 0;
  for (size_t i = 0; i < prob.size(); ++i) {
    double p = std::clamp(prob[i], 1e-15, 1 - 1e-15);
    s -= y[i] == 1 ? std::log(p) : std::log(1 - p);
  }
  return prob.empty() ? 0 : s / double(prob.size());
}

double brier(const std::vector<double>& prob, const std::vector<int8_t>& y) {
  double s = 0;
  for (size_t i = 0; i < prob.size(); ++i) {
    double d = prob[i] - (y[i] == 1 ? 1.0 : 0.0);
    s += d * d;
  }
  return prob.empty() ? 0 : s / double(prob.size());
}

std::vector<CalibrationBin> calibration_table(const std::vector<double>& prob, const std::vector<int8_t>& y, int bins) {
  std::vector<size_t> o(prob.size());
  std::iota(o.begin(), o.end(), 0);
  std::stable_sort(o.begin(), o.end(), [&](size_t a, size_t b) { return prob[a] < prob[b]; });
  std::vector<CalibrationBin> out;
  for (int b = 0; b < bins; ++b) {
    size_t lo = o.size() * b / bins, hi = o.size() * (b + 1) / bins;
    if (hi <= lo) continue;
    CalibrationBin c;
    c.rows = hi - lo;
    for (size_t i = lo; i < hi; ++i) {
      c.mean_predicted += prob[o[i]];
      c.observed += y[o[i]] == 1;
    }
    c.mean_predicted /= double(c.rows);
    c.observed /= double(c.rows);
    out.push_back(c);
  }
  return out;
}

std::vector<LiftRow> lift_table(const std::vector<double>& score, const std::vector<int8_t>& y, int groups) {
  auto o = order_desc(score);
  double total_pos = 0;
  for (auto v : y) total_pos += v == 1;
  double base = y.empty() ? 0 : total_pos / double(y.size());
  std::vector<LiftRow> out;
  double cum = 0;
  for (int g = 0; g < groups; ++g) {
    size_t lo = o.size() * g / groups, hi = o.size() * (g + 1) / groups;
    if (hi <= lo) continue;
    LiftRow r;
    r.decile = g + 1;
    r.rows = hi - lo;
    for (size_t i = lo; i < hi; ++i) r.positives += y[o[i]] == 1;
    r.rate = double(r.positives) / double(r.rows);
    r.lift = base > 0 ? r.rate / base : 0;
    cum += double(r.positives);
    r.cumulative_gain = total_pos > 0 ? cum / total_pos : 0;
    out.push_back(r);
  }
  return out;
}

nlohmann::json Metrics::to_json() const {
  return {{"rows", rows}, {"positives", positives}, {"auc", auc}, {"average_precision", average_precision},
          {"log_loss", log_loss}, {"brier", brier}};
}

Metrics compute_metrics(const std::vector<double>& prob, const std::vector<int8_t>& y) {
  Metrics m;
  m.rows = prob.size();
  for (auto v : y) m.positives += v == 1;
  m.auc = leads::auc(prob, y);
  m.average_precision = leads::average_precision(prob, y);
  m.log_loss = leads::log_loss(prob, y);
  m.brier = leads::brier(prob, y);
  return m;
}

}  // namespace opskit::leads

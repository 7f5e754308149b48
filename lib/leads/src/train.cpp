#include "leads/train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "core/error.hpp"
#include "core/hash.hpp"

namespace opskit::leads {


std::vector<int> stratified_folds(const std::vector<int8_t>& y, int folds, uint64_t seed) {
  std::vector<int> fold(y.size(), 0);
  std::mt19937_64 rng(seed);
  for (int cls : {0, 1}) {
    std::vector<size_t> idx;
    for (size_t i = 0; i < y.size(); ++i)
      if ((y[i] == 1) == (cls == 1)) idx.push_back(i);
    // Fisher-Yates with our own draws: std::shuffle's sequence is not portable.
    for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[rng() % i]);
    for (size_t i = 0; i < idx.size(); ++i) fold[idx[i]] = int(i % size_t(folds));
  }
  return fold;
}

std::vector<size_t> chronological_order(const Dataset& data) {
  std::vector<size_t> o(data.size());
  std::iota(o.begin(), o.end(), 0);
  std::stable_sort(o.begin(), o.end(), [&](size_t a, size_t b) { return data.time[a] < data.time[b]; });
  return o;
}

std::string dataset_hash(const Dataset& data) {
  Sha256 h;
  for (size_t r = 0; r < data.size(); ++r) {
    std::string line = data.ids[r] + '\x1f' + std::to_string(data.target[r]);
    for (size_t f = 0; f < data.num.size(); ++f) {
      line += '\x1f';
      line += std::isnan(data.num[f][r]) ? data.str[f][r] : std::to_string(data.num[f][r]);
    }
    h.update(line + '\n');
  }
  return h.hex();
}

Model fit_model(ModelKind kind, const FeatureSpec& spec, const Dataset& data, const std::vector<size_t>& rows,
                const TrainOptions& o, bool strict) {
  Model m;
  m.kind = kind;
  m.spec = spec;
  EncoderOptions eo;
  eo.numeric_bins = kind == ModelKind::linear ? o.linear_bins : o.tree_bins;
  eo.strict = strict;
  m.encoder = Encoder::fit(spec, data, rows, eo);
  auto codes = m.encoder.encode_all(data);
  std::vector<int> ncodes;
  std::vector<std::vector<double>> shares;
  for (const auto& in : m.encoder.inputs()) {
    ncodes.push_back(in.codes());
    shares.push_back(in.reference);
  }
  if (kind == ModelKind::linear) {
    m.linear = LinearModel::fit(codes, data.size(), ncodes, data.target, rows, o.linear);
    m.linear.set_reference(shares);
  } else {
    m.gbdt = GbdtModel::fit(codes, data.size(), ncodes, data.target, rows, o.gbdt);
  }
  return m;
}

namespace {

std::vector<double> margins(const Model& m, const Dataset& data, const std::vector<size_t>& rows) {
  std::vector<uint8_t> x(m.encoder.width());
  std::vector<double> out;
  out.reserve(rows.size());
  for (size_t r : rows) {
    m.encoder.encode(data, r, x.data());
    out.push_back(m.margin(x.data()));
  }
  return out;
}

double metric_of(const Candidate& c, const std::string& select) {
  if (select == "cv_auc") return c.cv.auc;
  if (select == "holdout_auc") return c.holdout.auc;
  if (select == "cv_log_loss") return -c.cv.log_loss;
  if (select == "holdout_log_loss") return -c.holdout.log_loss;
  if (select == "cv_average_precision") return c.cv.average_precision;
  if (select == "holdout_average_precision") return c.holdout.average_precision;
  throw UsageError("unknown selection metric '" + select + "'");
}

}  // namespace

TrainResult train(const FeatureSpec& spec, const Dataset& data, const TrainOptions& o, const std::string& data_hash,
                  const std::string& created_at) {
  size_t pos = 0;
  for (auto v : data.target) pos += v == 1;
  if (data.size() == 0) throw DataError(SourceLocation{"", 0, 0, spec.target_column}, "no leads with a known outcome to train on");
  if (pos == 0 || pos == data.size())
    throw DataError(SourceLocation{"", 0, 0, spec.target_column},
                    "target column '" + spec.target_column + "' has only one class (" +
                        (pos == 0 ? "no conversions" : "every lead converted") + ")");
  if (o.folds > 1 && (pos < size_t(o.folds) || data.size() - pos < size_t(o.folds)))
    throw DataError(SourceLocation{"", 0, 0, spec.target_column}, "too few leads of one class for " + std::to_string(o.folds) + "-fold cross-validation");
  std::vector<size_t> all(data.size());
  std::iota(all.begin(), all.end(), 0);
  // Strict checks (constant / all-missing features) on the whole data set first.
  {
    EncoderOptions eo;
    eo.strict = true;
    (void)Encoder::fit(spec, data, all, eo);
  }
  std::string select = o.select;
  if (o.holdout <= 0 && select.rfind("holdout", 0) == 0) select = "cv_auc";
  if (o.folds <= 1 && select.rfind("cv", 0) == 0) select = "holdout_auc";

  TrainResult result;
  result.select = select;
  std::vector<int> fold = o.folds > 1 ? stratified_folds(data.target, o.folds, o.seed) : std::vector<int>();
  auto order = chronological_order(data);
  size_t cut = size_t(double(data.size()) * (1 - o.holdout));
  std::vector<size_t> past(order.begin(), order.begin() + cut), recent(order.begin() + cut, order.end());
  std::vector<std::vector<double>> cv_margins;

  for (auto kind : o.kinds) {
    Candidate c;
    c.kind = kind;
    std::vector<double> oof(data.size(), 0);
    if (o.folds > 1) {
      for (int k = 0; k < o.folds; ++k) {
        std::vector<size_t> tr, te;
        for (size_t r = 0; r < data.size(); ++r) (fold[r] == k ? te : tr).push_back(r);
        auto m = fit_model(kind, spec, data, tr, o, false);
        auto mg = margins(m, data, te);
        for (size_t i = 0; i < te.size(); ++i) oof[te[i]] = mg[i];
      }
      auto cal = Calibration::fit(o.calibration, oof, data.target);
      c.cv_probability.resize(data.size());
      for (size_t r = 0; r < data.size(); ++r) c.cv_probability[r] = cal.probability(oof[r]);
      c.cv = compute_metrics(c.cv_probability, data.target);
      c.has_cv = true;
    }
    if (o.holdout > 0 && !recent.empty() && past.size() > 1) {
      auto m = fit_model(kind, spec, data, past, o, false);
      // Calibrated on the past rows only: the holdout must not inform it.
      auto past_margin = margins(m, data, past);
      std::vector<int8_t> past_y;
      for (size_t r : past) past_y.push_back(data.target[r]);
      auto cal = Calibration::fit(o.calibration, past_margin, past_y);
      auto mg = margins(m, data, recent);
      for (size_t i = 0; i < recent.size(); ++i) {
        c.holdout_probability.push_back(cal.probability(mg[i]));
        c.holdout_target.push_back(data.target[recent[i]]);
      }
      c.holdout = compute_metrics(c.holdout_probability, c.holdout_target);
      c.has_holdout = true;
    }
    cv_margins.push_back(std::move(oof));
    result.candidates.push_back(std::move(c));
  }
  for (size_t i = 1; i < result.candidates.size(); ++i)
    if (metric_of(result.candidates[i], select) > metric_of(result.candidates[result.chosen], select)) result.chosen = i;

  if (o.fit_final) {
    auto& chosen = result.candidates[result.chosen];
    auto t0 = std::chrono::steady_clock::now();
    Model m = fit_model(chosen.kind, spec, data, all, o, true);
    chosen.fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (o.folds > 1) {
      m.calibration = Calibration::fit(o.calibration, cv_margins[result.chosen], data.target);
    } else {
      m.calibration = Calibration::fit(o.calibration, margins(m, data, all), data.target);
    }
    nlohmann::json cands = nlohmann::json::array();
    for (const auto& c : result.candidates) {
      nlohmann::json e{{"kind", model_kind_name(c.kind)}};
      if (c.has_cv) e["cv"] = c.cv.to_json();
      if (c.has_holdout) e["holdout"] = c.holdout.to_json();
      cands.push_back(e);
    }
    m.metrics = {{"select", select}, {"candidates", cands}};
    if (chosen.has_cv) m.metrics["cv"] = chosen.cv.to_json();
    if (chosen.has_holdout) m.metrics["holdout"] = chosen.holdout.to_json();
    m.training = {{"rows", data.size()},
                  {"positives", pos},
                  {"data_hash", data_hash},
                  {"created_at", created_at},
                  {"folds", o.folds},
                  {"holdout", o.holdout},
                  {"seed", o.seed},
                  {"calibration", o.calibration}};
    m.seal();
    result.model = std::move(m);
  }
  return result;
}

}  // namespace opskit::leads

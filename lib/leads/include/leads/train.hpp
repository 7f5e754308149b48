#pragma once
// Training and evaluation: k-fold stratified cross-validation and a
// chronological holdout (train on the older share, test on the newer) for
// each candidate model kind, selection by a stated metric, calibration on
// out-of-fold margins, and the final fit on every labelled row.
#include <cstdint>
#include <string>
#include <vector>

#include "leads/dataset.hpp"
#include "leads/metrics.hpp"
#include "leads/model.hpp"

namespace opskit::leads {

struct TrainOptions {
  std::vector<ModelKind> kinds{ModelKind::linear, ModelKind::gbdt};
  int folds = 5;                 // 0 or 1 = no cross-validation
  double holdout = 0.2;          // newest share for the chronological holdout; 0 = none
  std::string select = "holdout_auc";  // holdout_auc | cv_auc | cv_log_loss | holdout_log_loss
  std::string calibration = "platt";   // platt | isotonic
  uint64_t seed = 42;
  int linear_bins = 10;
  int tree_bins = 64;
  LinearOptions linear;
  GbdtOptions gbdt;
  bool fit_final = true;         // false: evaluation only
};

struct Candidate {
  ModelKind kind = ModelKind::linear;
  bool has_cv = false, has_holdout = false;
  Metrics cv, holdout;
  std::vector<double> cv_probability;       // out-of-fold, calibrated (row order of the data set)
  std::vector<double> holdout_probability;  // for the holdout rows
  std::vector<int8_t> holdout_target;
  double fit_seconds = 0;                   // one fit on all rows (0 when not fitted)
};

struct TrainResult {
  std::vector<Candidate> candidates;
  size_t chosen = 0;
  Model model;  // the chosen kind fitted on all rows (when fit_final)
  std::string select;
};

// Checks the target has both classes and every feature varies (DataError
// naming the column otherwise), then cross-validates, holds out, selects, fits.
TrainResult train(const FeatureSpec& spec, const Dataset& data, const TrainOptions& options,
                  const std::string& data_hash, const std::string& created_at);

// Fits one kind on the given rows (encoder included), without calibration.
Model fit_model(ModelKind kind, const FeatureSpec& spec, const Dataset& data, const std::vector<size_t>& rows,
                const TrainOptions& options, bool strict);

// Stratified fold assignment (0..folds-1 per row), seeded.
std::vector<int> stratified_folds(const std::vector<int8_t>& y, int folds, uint64_t seed);
// Row indices ordered by time (stable: equal times keep input order).
std::vector<size_t> chronological_order(const Dataset& data);

// Content hash of a data set's labelled rows (recorded with the model).
std::string dataset_hash(const Dataset& data);

}  // namespace opskit::leads

#pragma once
// Scoring one record at a time with constant memory: parse by the model's
// spec, encode, calibrated probability, score 0-100, top reasons; every row
// also feeds the drift monitor.
#include <string>
#include <vector>

#include "leads/dataset.hpp"
#include "leads/drift.hpp"
#include "leads/model.hpp"

namespace opskit::leads {

struct ScoredLead {
  std::string id;
  double probability = 0;
  int score = 0;
  std::vector<Reason> reasons;
  int target = -1;
  int64_t time = 0;
};

class Scorer {
 public:
  Scorer(const Model& model, int64_t now, int reasons);
  // Scores the source's current record (row_number names rows without an id).
  const ScoredLead& score(const RecordSource& src, long row_number);
  const DriftMonitor& drift() const { return drift_; }
  const Model& model() const { return model_; }

 private:
  const Model& model_;
  RowParser parser_;
  int reasons_;
  ParsedRow row_;
  std::vector<uint8_t> codes_;
  ScoredLead out_;
  DriftMonitor drift_;
};

// Human text for reasons: "euribor3m < 1.2 (+0.84); poutcome = success (+0.61)".
std::string reasons_text(const std::vector<Reason>& reasons);

}  // namespace opskit::leads

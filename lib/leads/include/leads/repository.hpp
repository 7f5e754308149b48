#pragma once
// All of score-leads' SQL: leads, lead_score_history, lead_models,
// lead_drift and customer_segments, through a tenant Session (tenant bound as $1).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.hpp"

namespace opskit::leads {

struct LeadRecord {
  std::string external_id;
  nlohmann::json fields;   // source columns as strings
  std::string fields_hash;
  std::optional<int> outcome;
  std::string occurred_at;  // ISO-8601 or empty
  std::string source;
};

struct LeadScore {
  std::string external_id;
  int score = 0;
  double probability = 0;
  std::string model_version;
  std::string reasons;  // JSON array
  std::string scored_hash;
};

struct ModelRow {
  std::string version, kind, spec_name, spec_hash, data_hash, metrics, created_at, promoted_at;
  int64_t rows = 0;
  bool promoted = false;
};

struct SegmentRow {
  std::string customer_id;
  double recency_days = 0, monetary = 0;
  int64_t frequency = 0;
  int r = 0, f = 0, m = 0, cluster = 0;
  std::string segment;
};

struct DriftRow {
  std::string feature, level;
  double psi = 0;
  int64_t rows = 0;
};

class Repository {
 public:
  explicit Repository(store::Session& s) : s_(s) {}

  // Bulk upsert by external id (status stays as it is; new rows start 'new').
  class LeadWriter {
   public:
    virtual ~LeadWriter() = default;
    virtual void add(const LeadRecord& lead, const std::string& imported_at) = 0;
    // The lead together with its score (outcome and occurred_at of an existing row are kept).
    // A score that is new or differs from the stored one also gets a
    // lead_score_history row (scored_at = at, previous_score, run_id), in the
    // same transaction; an unchanged score writes no history.
    virtual void add_scored(const LeadRecord& lead, const LeadScore& score, const std::string& at) = 0;
    virtual void flush() = 0;
  };
  // run_id (job_runs id, 0 = none) goes into score history rows.
  std::unique_ptr<LeadWriter> lead_writer(bool scored, int64_t run_id = 0);

  // Leads whose score is missing, from another model, or older than their
  // fields; in pages of `page` ordered by external id (constant memory).
  void for_each_unscored(const std::string& model_version, size_t page,
                         const std::function<void(const std::vector<LeadRecord>&)>& fn);
  // Every lead with a known outcome, as JSON field objects (for training).
  std::vector<nlohmann::json> labelled_fields();
  // new -> qualified for scores at or above the threshold; returns rows moved.
  int64_t qualify(int threshold);
  int64_t count_leads();

  void insert_model(const ModelRow& row, const std::string& model_json);  // idempotent
  std::vector<ModelRow> models();
  std::optional<ModelRow> model_row(const std::string& version);
  std::optional<std::string> model_json(const std::string& version);
  std::optional<std::string> promoted_version();
  void promote(const std::string& version, const std::string& at);

  void record_drift(const std::string& run_at, const std::string& model_version, const std::vector<DriftRow>& rows);
  void write_segments(const std::vector<SegmentRow>& rows, const std::string& computed_at);

 private:
  store::Session& s_;
};

}  // namespace opskit::leads

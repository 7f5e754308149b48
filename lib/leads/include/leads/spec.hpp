#pragma once
// The feature spec: a YAML file that maps the columns of a lead export to
// model features. One spec per source (Salesforce export, HubSpot export,
// a public dataset); a model records the spec it was trained with and its
// hash, so scoring with another spec is refused.
//
//   name: bank-marketing
//   id: Lead Id                  # optional external id column (else the row number)
//   target: {column: y, positive: [yes]}
//   time: created                # optional: orders the chronological holdout
//   separator: ";"               # CSV separator (default ",")
//   missing: ["", Select]        # values that mean "not answered"
//   features:
//     - {column: age, type: numeric}
//     - {column: job, type: categorical, min_count: 20}
//     - {column: Do Not Email, type: boolean}
//     - {column: Created Date, type: timestamp}     # recency in days
//     - {column: Notes, type: text, keywords: [pricing, demo]}
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace opskit::leads {

enum class FeatureType { numeric, categorical, boolean, timestamp, text };
const char* feature_type_name(FeatureType t);

struct FeatureDef {
  std::string column;
  FeatureType type = FeatureType::numeric;
  int min_count = 10;    // categorical: rarer levels are pooled into "other"
  int max_levels = 60;   // categorical: at most this many levels kept
  int bins = 0;          // numeric/timestamp: 0 = the model's default
  std::vector<std::string> keywords;  // text: one flag per keyword (case-insensitive)
};

struct FeatureSpec {
  std::string name;
  std::string id_column;
  std::string target_column;
  std::vector<std::string> positive{"1", "yes", "true", "y", "converted", "won"};
  std::string time_column;
  char separator = ',';
  std::vector<std::string> missing{""};
  std::vector<FeatureDef> features;

  // Canonical JSON (what a model file embeds) and its SHA-256.
  nlohmann::json to_json() const;
  static FeatureSpec from_json(const nlohmann::json& j, const std::string& origin);
  std::string hash() const;
  bool is_missing(std::string_view value) const;  // after trimming
  bool is_positive(std::string_view value) const;
  // Every column the spec reads (id, target, time, features).
  std::vector<std::string> columns() const;
};

// Parses YAML; throws DataError naming the file, line and key.
FeatureSpec parse_spec(const std::string& yaml_text, const std::string& origin);
FeatureSpec load_spec(const std::string& path);

}  // namespace opskit::leads

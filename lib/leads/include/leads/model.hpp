#pragma once
// A trained lead model: the feature spec it was trained with, the fitted
// encoder, the linear weights or the trees, the calibration, metrics and
// training provenance. Saved as a versioned JSON document:
//
//   {"format": "opskit-lead-model", "format_version": 1, "version": "lin-1a2b3c4d5e6f",
//    "kind": "linear"|"gbdt", "spec": {...}, "spec_hash": "...", "encoder": [...],
//    "linear": {...} | "gbdt": {...}, "calibration": {...}, "metrics": {...},
//    "training": {"rows", "positives", "data_hash", "created_at", ...}}
//
// The version is a hash of the content, so retraining on the same data with
// the same options gives the same version (idempotent re-runs).
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "leads/calibration.hpp"
#include "leads/encoder.hpp"
#include "leads/gbdt.hpp"
#include "leads/linear.hpp"
#include "leads/spec.hpp"

namespace opskit::leads {

enum class ModelKind { linear, gbdt };
const char* model_kind_name(ModelKind k);
ModelKind parse_model_kind(const std::string& s);  // throws UsageError

// Points into the model's encoder: valid while the model lives.
struct Reason {
  std::string_view input;        // encoded input name
  std::string_view description;  // "euribor3m >= 4.96"
  double contribution = 0;       // on the log-odds scale
};
nlohmann::json reasons_json(const std::vector<Reason>& r);

class Model {
 public:
  static constexpr int format_version = 1;

  ModelKind kind = ModelKind::linear;
  FeatureSpec spec;
  Encoder encoder;
  LinearModel linear;
  GbdtModel gbdt;
  Calibration calibration;
  nlohmann::json metrics = nlohmann::json::object();
  nlohmann::json training = nlohmann::json::object();
  std::string version;

  double margin(const uint8_t* codes) const { return kind == ModelKind::linear ? linear.margin(codes) : gbdt.margin(codes); }
  double probability(const uint8_t* codes) const { return calibration.probability(margin(codes)); }
  static int score_of(double probability);  // 0-100, rounded
  // Per-input contributions (exact for linear, TreeSHAP for trees); phi has encoder.width() entries.
  void contributions(const uint8_t* codes, double* phi) const;
  // The k inputs with the largest absolute contributions, largest first.
  std::vector<Reason> reasons(const uint8_t* codes, int k) const;
  void reasons(const uint8_t* codes, int k, std::vector<Reason>& out) const;  // reuses `out`

  // Computes the content hash version; call after training.
  void seal();
  nlohmann::json to_json() const;
  // Validates everything; throws DataError naming `origin` (file or model
  // version) on a malformed document, a newer format version, or mismatched parts.
  static Model from_json(const nlohmann::json& j, const std::string& origin);
  static Model parse(const std::string& text, const std::string& origin);
  static Model load(const std::string& path);
  void save(const std::string& path) const;
  // Throws DataError unless `spec` is the spec this model was trained with.
  void require_spec(const FeatureSpec& spec, const std::string& spec_origin) const;

 private:
  std::vector<int> codes_per_input() const;
};

}  // namespace opskit::leads

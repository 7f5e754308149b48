#include "leads/repository.hpp"

#include <unordered_map>

#include "core/error.hpp"

namespace opskit::leads {

using store::Value;

namespace {

const std::vector<std::string> kLeadColumns{"external_id", "fields", "fields_hash", "outcome", "occurred_at",
                                            "source", "imported_at", "status"};
const std::vector<std::string> kScoreColumns{"score", "probability", "model_version", "reasons", "scored_hash", "scored_at"};

Value outcome_value(const LeadRecord& l) { return l.outcome ? Value(int64_t(*l.outcome)) : Value(nullptr); }
Value text_or_null(const std::string& s) { return s.empty() ? Value(nullptr) : Value(s); }

class BulkLeadWriter : public Repository::LeadWriter {
 public:
  BulkLeadWriter(store::Session& s, bool scored, int64_t run_id) : s_(s), run_id_(run_id) {
    store::BulkSpec spec;
    spec.table = "leads";
    // One column list for both writers: the PostgreSQL bulk path keeps one
    // staging table per target table and session, shaped by its first use.
    spec.columns = kLeadColumns;
    spec.columns.insert(spec.columns.end(), kScoreColumns.begin(), kScoreColumns.end());
    spec.conflict = {"external_id"};
    if (scored) {
      spec.update = {"fields", "fields_hash", "source"};
      spec.update.insert(spec.update.end(), kScoreColumns.begin(), kScoreColumns.end());
      // A lead scored twice in one run keeps the score it had before the run.
      history_ = s.bulk({"lead_score_history",
                         {"external_id", "scored_at", "model_version", "score", "previous_score", "run_id"},
                         {"external_id", "scored_at", "model_version"},
                         {"score"}});
    } else {
      spec.update = {"fields", "fields_hash", "outcome", "occurred_at", "source", "imported_at"};
    }
    bulk_ = s.bulk(spec);
  }
  void add(const LeadRecord& l, const std::string& at) override {
    bulk_->add({l.external_id, l.fields.dump(), l.fields_hash, outcome_value(l), text_or_null(l.occurred_at), l.source, at,
                std::string("new"), nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
  }
  void add_scored(const LeadRecord& l, const LeadScore& s, const std::string& at) override {
    pending_.push_back({s.external_id, s.score, s.model_version, at,
                        {l.external_id, l.fields.dump(), l.fields_hash, outcome_value(l), text_or_null(l.occurred_at),
                         l.source, at, std::string("new"), int64_t(s.score), s.probability, s.model_version, s.reasons,
                         s.scored_hash, at}});
    if (pending_.size() >= kBatch) drain();
  }
  void flush() override {
    drain();
    bulk_->flush();
    if (history_) history_->flush();
  }

 private:
  static constexpr size_t kBatch = 500;
  struct Pending {
    std::string id;
    int score;
    std::string model_version, at;
    store::Params row;
  };

  // Reads the batch's stored scores before overwriting them, so a history row
  // is written only for a score that is new or changed.
  void drain() {
    if (pending_.empty()) return;
    std::vector<std::string> ids;
    std::unordered_map<std::string, size_t> last;  // id -> its last row in the batch
    for (size_t i = 0; i < pending_.size(); ++i) {
      auto [at, fresh] = last.emplace(pending_[i].id, i);
      if (fresh) ids.push_back(pending_[i].id);
      else at->second = i;
    }
    store::Params params;
    std::string sql = "SELECT external_id, score FROM leads WHERE tenant_id = $1 AND " + s_.one_of("external_id", ids, params);
    std::unordered_map<std::string, std::optional<int64_t>> before;
    for (const auto& r : s_.query(sql, params))
      before[r.text(0)] = r.is_null(1) ? std::nullopt : std::optional<int64_t>(r.integer(1));
    for (size_t i = 0; i < pending_.size(); ++i) {
      auto& p = pending_[i];
      if (last[p.id] == i) {
        auto it = before.find(p.id);
        std::optional<int64_t> prev = it == before.end() ? std::nullopt : it->second;
        if (!prev || *prev != p.score)
          history_->add({p.id, p.at, p.model_version, int64_t(p.score), prev ? Value(*prev) : Value(nullptr),
                         run_id_ ? Value(run_id_) : Value(nullptr)});
      }
      bulk_->add(p.row);
    }
    pending_.clear();
    // The next batch must see these scores as the previous ones.
    bulk_->flush();
    history_->flush();
  }

  store::Session& s_;
  int64_t run_id_;
  std::unique_ptr<store::BulkWriter> bulk_, history_;
  std::vector<Pending> pending_;
};

ModelRow model_from(const store::Row& r) {
  ModelRow m;
  m.version = r.text("version");
  m.kind = r.text("kind");
  m.spec_name = r.text("spec_name");
  m.spec_hash = r.text("spec_hash");
  m.data_hash = r.text("data_hash");
  m.rows = r.integer("training_rows");
  m.metrics = r.text("metrics");
  m.created_at = r.text("created_at");
  m.promoted = r.integer("promoted") != 0;
  m.promoted_at = r.text("promoted_at");
  return m;
}

const char* kModelColumns =
    "version, kind, spec_name, spec_hash, data_hash, training_rows, metrics, created_at, promoted, promoted_at";

}  // namespace

std::unique_ptr<Repository::LeadWriter> Repository::lead_writer(bool scored, int64_t run_id) {
  return std::make_unique<BulkLeadWriter>(s_, scored, run_id);
}

void Repository::for_each_unscored(const std::string& model_version, size_t page,
                                   const std::function<void(const std::vector<LeadRecord>&)>& fn) {
  std::string last;
  for (;;) {
    auto rows = s_.query(
        "SELECT external_id, fields, fields_hash, outcome, occurred_at, source FROM leads "
        "WHERE tenant_id = $1 AND external_id > $2 AND (model_version IS NULL OR model_version <> $3 "
        "OR scored_hash IS NULL OR scored_hash <> fields_hash) ORDER BY external_id LIMIT $4",
        {last, model_version, int64_t(page)});
    if (rows.empty()) return;
    std::vector<LeadRecord> batch;
    batch.reserve(rows.size());
    for (const auto& r : rows) {
      LeadRecord l;
      l.external_id = r.text("external_id");
      try {
        l.fields = nlohmann::json::parse(r.text("fields"));
      } catch (const nlohmann::json::exception&) {
        throw DataError(SourceLocation{"leads", 0, 0, "fields"}, "lead '" + l.external_id + "' has malformed fields JSON");
      }
      l.fields_hash = r.text("fields_hash");
      if (!r.is_null("outcome")) l.outcome = int(r.integer("outcome"));
      l.occurred_at = r.text("occurred_at");
      l.source = r.text("source");
      batch.push_back(std::move(l));
    }
    last = batch.back().external_id;
    fn(batch);
    if (rows.size() < page) return;
  }
}

std::vector<nlohmann::json> Repository::labelled_fields() {
  std::vector<nlohmann::json> out;
  s_.for_each("SELECT fields FROM leads WHERE tenant_id = $1 AND outcome IS NOT NULL ORDER BY occurred_at, external_id", {},
              [&](const store::Row& r) { out.push_back(nlohmann::json::parse(r.text(0))); });
  return out;
}

int64_t Repository::qualify(int threshold) {
  return s_.exec("UPDATE leads SET status = 'qualified' WHERE tenant_id = $1 AND status = 'new' AND score >= $2",
                 {int64_t(threshold)});
}

int64_t Repository::count_leads() {
  auto v = s_.scalar("SELECT COUNT(*) FROM leads WHERE tenant_id = $1");
  if (!v) return 0;
  if (auto* i = std::get_if<int64_t>(&*v)) return *i;
  if (auto* s = std::get_if<std::string>(&*v)) return std::stoll(*s);
  return 0;
}

void Repository::insert_model(const ModelRow& m, const std::string& model_json) {
  s_.exec(
      "INSERT INTO lead_models (tenant_id, version, kind, spec_name, spec_hash, data_hash, training_rows, metrics, model, "
      "created_at, promoted, promoted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, NULL) "
      "ON CONFLICT (tenant_id, version) DO NOTHING",
      {m.version, m.kind, m.spec_name, m.spec_hash, m.data_hash, m.rows, m.metrics, model_json, m.created_at});
}

std::vector<ModelRow> Repository::models() {
  std::vector<ModelRow> out;
  for (const auto& r : s_.query(std::string("SELECT ") + kModelColumns +
                                " FROM lead_models WHERE tenant_id = $1 ORDER BY created_at, version"))
    out.push_back(model_from(r));
  return out;
}

std::optional<ModelRow> Repository::model_row(const std::string& version) {
  auto rows = s_.query(std::string("SELECT ") + kModelColumns + " FROM lead_models WHERE tenant_id = $1 AND version = $2",
                       {version});
  if (rows.empty()) return std::nullopt;
  return model_from(rows[0]);
}

std::optional<std::string> Repository::model_json(const std::string& version) {
  auto rows = s_.query("SELECT model FROM lead_models WHERE tenant_id = $1 AND version = $2", {version});
  if (rows.empty()) return std::nullopt;
  return rows[0].text(0);
}

std::optional<std::string> Repository::promoted_version() {
  auto rows = s_.query("SELECT version FROM lead_models WHERE tenant_id = $1 AND promoted = 1");
  if (rows.empty()) return std::nullopt;
  return rows[0].text(0);
}

void Repository::promote(const std::string& version, const std::string& at) {
  s_.transaction([&] {
    if (!model_row(version)) throw DataError("no model version '" + version + "' for this tenant (see `score-leads models list`)");
    s_.exec("UPDATE lead_models SET promoted = 0 WHERE tenant_id = $1 AND promoted = 1 AND version <> $2", {version});
    s_.exec("UPDATE lead_models SET promoted = 1, promoted_at = $3 WHERE tenant_id = $1 AND version = $2 AND promoted = 0",
            {version, at});
  });
}

void Repository::record_drift(const std::string& run_at, const std::string& model_version, const std::vector<DriftRow>& rows) {
  store::BulkSpec spec{"lead_drift", {"run_at", "model_version", "feature", "psi", "scored_rows", "level"},
                       {"run_at", "model_version", "feature"}, {"psi", "scored_rows", "level"}};
  auto bulk = s_.bulk(spec);
  for (const auto& d : rows) bulk->add({run_at, model_version, d.feature, d.psi, d.rows, d.level});
  bulk->flush();
}

void Repository::write_segments(const std::vector<SegmentRow>& rows, const std::string& computed_at) {
  store::BulkSpec spec{"customer_segments",
                       {"customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "cluster",
                        "segment", "computed_at"},
                       {"customer_id"},
                       {"recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "cluster", "segment",
                        "computed_at"}};
  auto bulk = s_.bulk(spec);
  for (const auto& r : rows)
    bulk->add({r.customer_id, r.recency_days, r.frequency, r.monetary, int64_t(r.r), int64_t(r.f), int64_t(r.m),
               int64_t(r.cluster), r.segment, computed_at});
  bulk->flush();
}

}  // namespace opskit::leads

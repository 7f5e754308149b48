// The one home of the screen domain's SQL. Parameters start at $2 ($1 is the tenant).
#include "screen/repository.hpp"

#include <algorithm>

namespace opskit::screen {
namespace {

using store::Params;
using store::Value;

ListVersion version_from(const store::Row& r) {
  ListVersion v;
  v.id = r.integer("id");
  v.list = r.text("list");
  v.source = r.text("source");
  v.published = r.text("published");
  v.sha256 = r.text("sha256");
  v.loaded_at = r.text("loaded_at");
  v.entities = r.integer("entity_count");
  v.names = r.integer("name_count");
  v.skipped = r.integer("skipped");
  v.active = r.integer("active") != 0;
  return v;
}

constexpr const char* kVersionColumns =
    "id, list, source, published, sha256, loaded_at, entity_count, name_count, skipped, active";

Subject subject_from(const store::Row& r) {
  Subject s;
  s.id = r.text("id");
  s.kind = r.text("kind");
  s.date = r.text("date");
  if (!r.is_null("amount")) s.amount = r.real("amount");
  s.currency = r.text("currency");
  s.counterparty = r.text("counterparty");
  s.country = r.text("country");
  s.dob = r.text("dob");
  s.entity_type = r.text("entity_type");
  s.source = r.text("source");
  s.status = r.text("sanctions_status");
  s.score = r.real("compliance_score");
  s.screened_at = r.text("screened_at");
  s.lists_hash = r.text("lists_hash");
  return s;
}

MatchRecord match_from(const store::Row& r) {
  MatchRecord m;
  m.id = r.integer("id");
  m.subject_id = r.text("subject_id");
  m.subject_name = r.text("subject_name");
  m.list = r.text("list");
  m.entity_uid = r.text("entity_uid");
  m.entity_name = r.text("entity_name");
  m.matched_name = r.text("matched_name");
  m.score = r.real("score");
  m.status = r.text("status");
  m.explanation = r.text("explanation");
  m.list_version = r.integer("list_version");
  m.config_hash = r.text("config_hash");
  m.created_at = r.text("created_at");
  m.updated_at = r.text("updated_at");
  m.review_status = r.text("review_status");
  m.reviewed_by = r.text("reviewed_by");
  m.reviewed_at = r.text("reviewed_at");
  m.review_note = r.text("review_note");
  return m;
}

Value text_or_null(const std::string& s) { return s.empty() ? Value(nullptr) : Value(s); }

}  // namespace

std::vector<ListVersion> Repository::versions(const std::string& list) {
  std::vector<ListVersion> out;
  auto rows = list.empty()
                  ? s_.query(std::string("SELECT ") + kVersionColumns +
                             " FROM sanctions_lists WHERE tenant_id = $1 ORDER BY list, id DESC")
                  : s_.query(std::string("SELECT ") + kVersionColumns +
                                 " FROM sanctions_lists WHERE tenant_id = $1 AND list = $2 ORDER BY id DESC",
                             {list});
  for (const auto& r : rows) out.push_back(version_from(r));
  return out;
}

std::optional<ListVersion> Repository::active_version(const std::string& list) {
  auto rows = s_.query(std::string("SELECT ") + kVersionColumns +
                           " FROM sanctions_lists WHERE tenant_id = $1 AND list = $2 AND active = 1",
                       {list});
  if (rows.empty()) return std::nullopt;
  return version_from(rows[0]);
}

std::optional<ListVersion> Repository::version_by_sha(const std::string& list, const std::string& sha256) {
  auto rows = s_.query(std::string("SELECT ") + kVersionColumns +
                           " FROM sanctions_lists WHERE tenant_id = $1 AND list = $2 AND sha256 = $3",
                       {list, sha256});
  if (rows.empty()) return std::nullopt;
  return version_from(rows[0]);
}

std::optional<ListVersion> Repository::version_by_id(int64_t id) {
  auto rows = s_.query(std::string("SELECT ") + kVersionColumns + " FROM sanctions_lists WHERE tenant_id = $1 AND id = $2",
                       {id});
  if (rows.empty()) return std::nullopt;
  return version_from(rows[0]);
}

int64_t Repository::insert_version(const ListLoad& load, const std::string& loaded_at) {
  auto rows = s_.query(
      "INSERT INTO sanctions_lists (tenant_id, list, source, published, sha256, loaded_at, entity_count, name_count, "
      "skipped, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0) RETURNING id",
      {load.list, load.source, text_or_null(load.published), load.sha256, loaded_at,
       static_cast<int64_t>(load.entities.size()), load.name_count(), load.skipped});
  int64_t id = rows[0].integer(0);
  auto bulk = s_.bulk({"sanctions_entities",
                       {"list_version", "list", "uid", "type", "primary_name", "content_hash", "details"},
                       {"list_version", "uid"},
                       {"type", "primary_name", "content_hash", "details"}});
  for (const auto& e : load.entities)
    bulk->add({id, e.list, e.uid, std::string(type_name(e.type)), e.primary_name, e.content_hash(), e.to_json().dump()});
  bulk->flush();
  return id;
}

void Repository::activate(const ListVersion& v) {
  s_.exec("UPDATE sanctions_lists SET active = 0 WHERE tenant_id = $1 AND list = $2 AND id <> $3", {v.list, v.id});
  s_.exec("UPDATE sanctions_lists SET active = 1 WHERE tenant_id = $1 AND id = $2", {v.id});
}

std::vector<Entity> Repository::entities(int64_t version_id) {
  std::vector<Entity> out;
  s_.for_each("SELECT details FROM sanctions_entities WHERE tenant_id = $1 AND list_version = $2 ORDER BY uid",
              {version_id}, [&](const store::Row& r) { out.push_back(Entity::from_json(nlohmann::json::parse(r.text(0)))); });
  return out;
}

std::optional<Entity> Repository::active_entity(const std::string& list, const std::string& uid) {
  auto rows = s_.query(
      "SELECT e.details FROM sanctions_entities e JOIN sanctions_lists l "
      "ON l.tenant_id = e.tenant_id AND l.id = e.list_version "
      "WHERE e.tenant_id = $1 AND l.active = 1 AND e.list = $2 AND e.uid = $3",
      {list, uid});
  if (rows.empty()) return std::nullopt;
  return Entity::from_json(nlohmann::json::parse(rows[0].text(0)));
}

std::vector<Entity> Repository::active_entities(std::vector<int64_t>* version_ids) {
  std::vector<Entity> out;
  s_.for_each(
      "SELECT e.details, e.list_version FROM sanctions_entities e JOIN sanctions_lists l "
      "ON l.tenant_id = e.tenant_id AND l.id = e.list_version "
      "WHERE e.tenant_id = $1 AND l.active = 1 ORDER BY e.list, e.uid",
      {}, [&](const store::Row& r) {
        out.push_back(Entity::from_json(nlohmann::json::parse(r.text(0))));
        if (version_ids) version_ids->push_back(r.integer(1));
      });
  return out;
}

std::optional<Subject> Repository::subject(const std::string& id) {
  auto rows = s_.query("SELECT * FROM transactions WHERE tenant_id = $1 AND id = $2", {id});
  if (rows.empty()) return std::nullopt;
  return subject_from(rows[0]);
}

std::unordered_map<std::string, std::string> Repository::statuses(const std::vector<std::string>& ids) {
  std::unordered_map<std::string, std::string> out;
  if (ids.empty()) return out;
  store::Params params;
  std::string sql = "SELECT id, sanctions_status FROM transactions WHERE tenant_id = $1 AND " + s_.one_of("id", ids, params);
  for (const auto& r : s_.query(sql, params)) out[r.text(0)] = r.text(1);
  return out;
}

namespace {
const std::vector<std::string> kSubjectColumns = {"id", "kind", "date", "amount", "currency", "counterparty", "country",
                                                  "dob", "entity_type", "source", "sanctions_status", "compliance_score",
                                                  "screened_at", "lists_hash"};
}  // namespace

Repository::Writer::Writer(store::Session& s)
    : subjects_(s.bulk({"transactions", kSubjectColumns, {"id"},
                        {"kind", "date", "amount", "currency", "counterparty", "country", "dob", "entity_type", "source",
                         "sanctions_status", "compliance_score", "screened_at", "lists_hash"}})),
      new_subjects_(s.bulk({"transactions", kSubjectColumns, {"id"}, {}, true})),
      matches_(s.bulk({"screening_matches",
                       {"subject_id", "subject_name", "list", "entity_uid", "entity_name", "matched_name", "score",
                        "status", "explanation", "list_version", "config_hash", "created_at", "updated_at",
                        "review_status"},
                       {"subject_id", "list", "entity_uid"},
                       {"subject_name", "entity_name", "matched_name", "score", "status", "explanation",
                        "list_version", "config_hash", "updated_at"}})),
      row_(kSubjectColumns.size()) {}

namespace {
// Assigns into the cell's string when it holds one (its buffer is reused).
void set_text(Value& cell, const std::string& s) {
  if (auto* p = std::get_if<std::string>(&cell)) p->assign(s);
  else cell = s;
}
void set_text_or_null(Value& cell, const std::string& s) {
  if (s.empty()) cell = nullptr;
  else set_text(cell, s);
}
}  // namespace

// The row is built in place in one kept vector: a batch writes a million of
// them, and fresh strings per row were a third of the write path's time.
const store::Params& Repository::Writer::row_of(const Subject& s) {
  set_text(row_[0], s.id);
  set_text(row_[1], s.kind);
  set_text_or_null(row_[2], s.date);
  row_[3] = store::opt(s.amount);
  set_text_or_null(row_[4], s.currency);
  set_text(row_[5], s.counterparty);
  set_text_or_null(row_[6], s.country);
  set_text_or_null(row_[7], s.dob);
  set_text_or_null(row_[8], s.entity_type);
  set_text(row_[9], s.source);
  set_text(row_[10], s.status);
  row_[11] = s.score;
  set_text(row_[12], s.screened_at);
  set_text(row_[13], s.lists_hash);
  return row_;
}

void Repository::Writer::subject(const Subject& s) { subjects_->add(row_of(s)); }

void Repository::Writer::new_subject(const Subject& s) { new_subjects_->add(row_of(s)); }

const std::vector<uint64_t>& Repository::Writer::flush_new() {
  new_subjects_->flush();
  return new_subjects_->existing();
}

void Repository::Writer::match(const MatchRecord& m) {
  matches_->add({m.subject_id, m.subject_name, m.list, m.entity_uid, m.entity_name, m.matched_name, m.score, m.status,
                 m.explanation, m.list_version, m.config_hash, m.created_at, m.created_at, std::string("open")});
}

void Repository::Writer::flush() {
  new_subjects_->flush();
  subjects_->flush();
  matches_->flush();
}

void Repository::upsert_subject(const Subject& s) {
  s_.exec(
      "INSERT INTO transactions (tenant_id, id, kind, date, amount, currency, counterparty, country, dob, entity_type, "
      "source, sanctions_status, compliance_score, screened_at, lists_hash) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) "
      "ON CONFLICT (tenant_id, id) DO UPDATE SET kind = excluded.kind, date = excluded.date, amount = excluded.amount, "
      "currency = excluded.currency, counterparty = excluded.counterparty, country = excluded.country, "
      "dob = excluded.dob, entity_type = excluded.entity_type, source = excluded.source, "
      "sanctions_status = excluded.sanctions_status, compliance_score = excluded.compliance_score, "
      "screened_at = excluded.screened_at, lists_hash = excluded.lists_hash",
      {s.id, s.kind, text_or_null(s.date), store::opt(s.amount), text_or_null(s.currency), s.counterparty,
       text_or_null(s.country), text_or_null(s.dob), text_or_null(s.entity_type), s.source, s.status, s.score,
       s.screened_at, s.lists_hash});
}

void Repository::for_each_subject(const std::function<void(const Subject&)>& fn) {
  // Pages in id order, each collected before the callback runs (it writes to
  // the same table): memory stays at one page however many subjects there are.
  constexpr int64_t kPage = 10000;
  std::string last;
  for (bool first = true;; first = false) {
    std::vector<Subject> page;
    auto add = [&](const store::Row& r) { page.push_back(subject_from(r)); };
    if (first) s_.for_each("SELECT * FROM transactions WHERE tenant_id = $1 ORDER BY id LIMIT $2", {kPage}, add);
    else s_.for_each("SELECT * FROM transactions WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3", {last, kPage}, add);
    for (const auto& s : page) fn(s);
    if (static_cast<int64_t>(page.size()) < kPage) return;
    last = page.back().id;
  }
}

int64_t Repository::count_subjects() {
  auto v = s_.scalar("SELECT COUNT(*) FROM transactions WHERE tenant_id = $1");
  return v && std::holds_alternative<int64_t>(*v) ? std::get<int64_t>(*v) : 0;
}

void Repository::upsert_match(const MatchRecord& m) {
  s_.exec(
      "INSERT INTO screening_matches (tenant_id, subject_id, subject_name, list, entity_uid, entity_name, matched_name, "
      "score, status, explanation, list_version, config_hash, created_at, updated_at, review_status) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, 'open') "
      "ON CONFLICT (tenant_id, subject_id, list, entity_uid) DO UPDATE SET subject_name = excluded.subject_name, "
      "entity_name = excluded.entity_name, matched_name = excluded.matched_name, score = excluded.score, "
      "status = excluded.status, explanation = excluded.explanation, list_version = excluded.list_version, "
      "config_hash = excluded.config_hash, updated_at = excluded.updated_at",
      {m.subject_id, m.subject_name, m.list, m.entity_uid, m.entity_name, m.matched_name, m.score, m.status,
       m.explanation, m.list_version, m.config_hash, m.created_at});
}

void Repository::delete_open_matches(const std::string& subject_id) {
  s_.exec("DELETE FROM screening_matches WHERE tenant_id = $1 AND subject_id = $2 AND review_status = 'open'",
          {subject_id});
}

std::vector<MatchRecord> Repository::matches(const std::string& review_status, int limit) {
  std::vector<MatchRecord> out;
  auto rows = review_status.empty()
                  ? s_.query("SELECT * FROM screening_matches WHERE tenant_id = $1 ORDER BY id LIMIT $2",
                             {static_cast<int64_t>(limit)})
                  : s_.query("SELECT * FROM screening_matches WHERE tenant_id = $1 AND review_status = $2 "
                             "ORDER BY id LIMIT $3",
                             {review_status, static_cast<int64_t>(limit)});
  for (const auto& r : rows) out.push_back(match_from(r));
  return out;
}

std::optional<MatchRecord> Repository::match_by_id(int64_t id) {
  auto rows = s_.query("SELECT * FROM screening_matches WHERE tenant_id = $1 AND id = $2", {id});
  if (rows.empty()) return std::nullopt;
  return match_from(rows[0]);
}

void Repository::decide(int64_t match_id, const std::string& decision, const std::string& note,
                        const std::string& actor, const std::string& at) {
  s_.exec("UPDATE screening_matches SET review_status = $2, reviewed_by = $3, reviewed_at = $4, review_note = $5 "
          "WHERE tenant_id = $1 AND id = $6",
          {decision, actor, at, note, match_id});
  s_.exec("INSERT INTO screening_reviews (tenant_id, match_id, decision, note, actor, decided_at) "
          "VALUES ($1, $2, $3, $4, $5, $6)",
          {match_id, decision, note, actor, at});
}

void Repository::allow(const AllowEntry& e) {
  s_.exec(
      "INSERT INTO screening_allowlist (tenant_id, name_key, list, entity_uid, content_hash, added_by, reason, "
      "expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
      "ON CONFLICT (tenant_id, name_key, list, entity_uid) DO UPDATE SET content_hash = excluded.content_hash, "
      "added_by = excluded.added_by, reason = excluded.reason, expires_at = excluded.expires_at",
      {e.name_key, e.list, e.entity_uid, e.content_hash, e.added_by, e.reason, text_or_null(e.expires_at),
       e.created_at});
}

bool Repository::disallow(const std::string& name_key, const std::string& list, const std::string& uid) {
  return s_.exec("DELETE FROM screening_allowlist WHERE tenant_id = $1 AND name_key = $2 AND list = $3 AND "
                 "entity_uid = $4",
                 {name_key, list, uid}) > 0;
}

std::vector<AllowEntry> Repository::allow_list() {
  std::vector<AllowEntry> out;
  for (const auto& r : s_.query("SELECT * FROM screening_allowlist WHERE tenant_id = $1 ORDER BY name_key, list, "
                                "entity_uid")) {
    out.push_back({r.text("name_key"), r.text("list"), r.text("entity_uid"), r.text("content_hash"),
                   r.text("added_by"), r.text("reason"), r.text("expires_at"), r.text("created_at")});
  }
  return out;
}

void Repository::record_change(int64_t run_id, const std::string& at, const Subject& before, const Subject& after) {
  s_.exec("INSERT INTO screening_changes (tenant_id, run_id, changed_at, subject_id, old_status, new_status, "
          "old_score, new_score) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
          {run_id, at, after.id, before.status, after.status, before.score, after.score});
}

}  // namespace opskit::screen

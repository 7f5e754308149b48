#pragma once
// Every SQL statement of the screen domain (tables from migration 0010).
// All reads and writes go through a tenant Session; callers wrap writes in
// session.transaction() so a load or a batch commits whole or not at all.
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <string>
#include <vector>

#include "screen/model.hpp"
#include "store/store.hpp"

namespace opskit::screen {

struct ListVersion {
  int64_t id = 0;
  std::string list, source, published, sha256, loaded_at;
  int64_t entities = 0, names = 0, skipped = 0;
  bool active = false;
};

// A screened subject: a transaction, customer or counterparty.
struct Subject {
  std::string id, kind = "transaction", date, currency, counterparty, country, dob, entity_type, source;
  std::optional<double> amount;
  std::string status = "CLEAR";
  double score = 0;
  std::string screened_at, lists_hash;
};

struct MatchRecord {
  int64_t id = 0;
  std::string subject_id, subject_name, list, entity_uid, entity_name, matched_name, status, explanation;
  double score = 0;
  int64_t list_version = 0;
  std::string config_hash, created_at, updated_at, review_status = "open", reviewed_by, reviewed_at, review_note;
};

struct AllowEntry {
  std::string name_key, list, entity_uid, content_hash, added_by, reason, expires_at, created_at;
};

class Repository {
 public:
  explicit Repository(store::Session& s) : s_(s) {}

  // List versions, newest first; `list` empty = all lists.
  std::vector<ListVersion> versions(const std::string& list = {});
  std::optional<ListVersion> active_version(const std::string& list);
  std::optional<ListVersion> version_by_sha(const std::string& list, const std::string& sha256);
  std::optional<ListVersion> version_by_id(int64_t id);
  // Stores a parsed load as a new inactive version with its entities; returns its id.
  int64_t insert_version(const ListLoad& load, const std::string& loaded_at);
  // Makes `id` the one active version of its list.
  void activate(const ListVersion& v);
  std::vector<Entity> entities(int64_t version_id);
  // One entity of the active version of a list.
  std::optional<Entity> active_entity(const std::string& list, const std::string& uid);
  // Entities of every active version (what screening uses), with their version ids.
  std::vector<Entity> active_entities(std::vector<int64_t>* version_ids = nullptr);

  std::optional<Subject> subject(const std::string& id);
  // Stored sanctions_status of each of `ids` that exists (one query).
  std::unordered_map<std::string, std::string> statuses(const std::vector<std::string>& ids);
  void upsert_subject(const Subject& s);
  void for_each_subject(const std::function<void(const Subject&)>& fn);
  int64_t count_subjects();

  // Upsert on (subject_id, list, entity_uid); a decided match keeps its review.
  void upsert_match(const MatchRecord& m);
  // Drops open matches of a subject that no longer hit (after a rescreen).
  void delete_open_matches(const std::string& subject_id);
  std::vector<MatchRecord> matches(const std::string& review_status, int limit);
  std::optional<MatchRecord> match_by_id(int64_t id);
  void decide(int64_t match_id, const std::string& decision, const std::string& note, const std::string& actor,
              const std::string& at);

  void allow(const AllowEntry& e);
  bool disallow(const std::string& name_key, const std::string& list, const std::string& uid);
  std::vector<AllowEntry> allow_list();

  void record_change(int64_t run_id, const std::string& at, const Subject& before, const Subject& after);

  // Batch writes: the same upserts as upsert_subject / upsert_match, sent in
  // bulk (multi-row statements on SQLite, COPY on PostgreSQL) on flush().
  class Writer {
   public:
    explicit Writer(store::Session& s);
    void subject(const Subject& s);
    // A subject whose id is not written again before flush_new() or
    // flush(): inserted unless its id is stored (then left as it is), which
    // is cheaper than the upsert and needs no lookup first.
    void new_subject(const Subject& s);
    // Writes the new_subject() rows given since the last flush; returns the
    // positions among them (0-based, in order) of those not written because
    // their id was stored.
    const std::vector<uint64_t>& flush_new();
    void match(const MatchRecord& m);
    // New subjects first, then the upserts, then matches.
    void flush();

   private:
    const store::Params& row_of(const Subject& s);
    std::unique_ptr<store::BulkWriter> subjects_, new_subjects_, matches_;
    store::Params row_;  // reused for every subject row
  };

 private:
  store::Session& s_;
};

}  // namespace opskit::screen

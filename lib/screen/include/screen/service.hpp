#pragma once
// The screening operations behind the commands, without any CLI: loading
// list versions (the active-version rule), diffing versions, screening one
// name, a batch file or everything stored, and the allow-list check.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/runtime.hpp"
#include "screen/matcher.hpp"
#include "screen/repository.hpp"

namespace opskit::screen {

// ---- list versions -------------------------------------------------------

struct LoadOptions {
  bool force = false;        // accept a list that shrank by more than max_shrink
  double max_shrink = 0.2;   // refuse a new version with fewer than (1 - max_shrink) x the active entities
  bool dry_run = false;      // parse and compare, store nothing
};

struct LoadOutcome {
  std::string list, path;
  std::string status;   // activated, unchanged, refused, failed
  std::string message;
  ListVersion version;  // the stored (or would-be) version
  int64_t previous_entities = 0;
};

// Parses and stores one list file set. A load becomes the active version only
// when it parsed whole; a parse error leaves the previous version active
// (status "failed", the DataError text in message); a list that shrank by
// more than max_shrink is stored inactive and "refused" unless forced; the
// same content (same SHA-256) is "unchanged". Each list in its own transaction.
LoadOutcome load_list(Repository& repo, store::Session& session, const std::string& list, const std::string& path,
                      const LoadOptions& options, const std::string& now);

// After a download that found nothing new (HTTP 304): the active version as
// "unchanged" when the cached files are the ones it was loaded from, without
// parsing them again; nullopt when they are not (load them with load_list).
std::optional<LoadOutcome> unchanged_list(Repository& repo, const std::string& list, const std::string& path);

struct EntityChange {
  std::string change;  // added, removed, changed
  std::string list, uid, name;
};
// Entities added, removed or changed (by content hash) from version `old_id` to `new_id`.
std::vector<EntityChange> diff_versions(Repository& repo, int64_t old_id, int64_t new_id);

// ---- screening -----------------------------------------------------------

struct Decision {
  Status status = Status::clear;
  double score = 0;                // best score (>= 50) that was not allow-listed: compliance_score
  std::vector<Match> matches;      // at or above review, allow-listed ones removed, best first
  int allowed = 0;                 // matches suppressed by the allow-list
};

class Screener {
 public:
  // Loads the active versions of every list and builds the index.
  Screener(Repository& repo, Thresholds thresholds, std::string config_hash, std::string now);
  // For tests and the example: screen against given entities, no database.
  Screener(std::vector<Entity> entities, Thresholds thresholds);

  // Decisions are cached by the exact query (name, dob, country, type, id):
  // a transaction file names the same counterparties again and again.
  Decision screen(const Query& q);
  Matcher& matcher() { return *matcher_; }
  const Thresholds& thresholds() const { return thresholds_; }
  // Which list versions screening used: "ofac_sdn:3,un:4" and its hash.
  const std::string& lists_label() const { return lists_label_; }
  std::string lists_hash() const;
  const std::string& config_hash() const { return config_hash_; }
  int64_t version_of(const std::string& list) const;
  bool empty() const { return matcher_->entities().empty(); }
  // The allow-list key of a name: its normalised parts.
  std::string name_key(std::string_view name);
  // The JSON stored with a match: explanation + list version + config hash.
  std::string explanation_json(const Match& m) const;

 private:
  std::unique_ptr<Matcher> matcher_;
  std::unique_ptr<Normalizer> normalizer_;  // for name_key(), made on first use
  Thresholds thresholds_;
  std::string config_hash_, now_, lists_label_;
  std::vector<std::pair<std::string, int64_t>> versions_;
  std::vector<AllowEntry> allow_;
  static constexpr size_t kMaxCachedDecisions = 100000;
  std::unordered_map<std::string, Decision> decisions_;
  std::string cache_key_;
  // Hashes of queries seen once (open addressing, 0 = empty): a decision is
  // stored on a query's second sighting, so an all-distinct file does not
  // pay for storing decisions it never reads again.
  static constexpr size_t kSeenSlots = size_t(1) << 18;
  std::vector<uint64_t> seen_;
  size_t seen_count_ = 0;
  bool seen_before(uint64_t h);
  Decision decide(const Query& q);
};

// ---- batches ---------------------------------------------------------------

struct BatchOptions {
  std::string path;            // CSV or JSON lines; "-" = stdin
  std::string format;          // csv, jsonl, or empty = by extension / first byte
  bool stop_on_error = false;  // --on-error stop: the first bad row ends the batch, nothing written
  Shard shard;
  bool dry_run = false;
  std::string actor = "screen";
  std::string now;
};

struct BatchCounts {
  int64_t rows = 0, screened = 0, clear = 0, flagged = 0, blocked = 0, bad_rows = 0, other_shards = 0,
          allowed = 0, changed = 0;
};

// Screens every row and, unless dry_run, writes in one transaction: each
// subject with sanctions_status and compliance_score, each FLAGGED/BLOCKED
// match with its explanation, and an audit entry per decision that changed
// (so a rerun of the same file writes the same rows and no new audit
// entries). Bad rows: counted and reported through `on_bad_row` (skip) or a
// DataError (stop). `on_hit` sees every FLAGGED or BLOCKED subject.
BatchCounts screen_batch(Screener& screener, Repository& repo, store::Session& session, const BatchOptions& options,
                         const std::function<void(const Subject&, const Decision&)>& on_hit,
                         const std::function<void(const DataError&)>& on_bad_row);

// Screens every stored subject again (after a list update) and records each
// status or score change in screening_changes and the audit log.
BatchCounts rescreen(Screener& screener, Repository& repo, store::Session& session, int64_t run_id,
                     const std::string& now, bool dry_run,
                     const std::function<void(const Subject& before, const Subject& after)>& on_change);

}  // namespace opskit::screen

#pragma once
// The candidate index and the scored, explained comparison.
//
// Index: every listed name (primary, strong and weak aliases, in every
// romanisation) is normalised once; its parts are posted under their exact
// text, the joined form of adjacent parts ("al assad" -> "alassad"), a
// phonetic key and single-deletion keys (typo tolerance: symmetric delete).
// A query looks up only those keys, never scans the names.
//
// Score (0-100) of a query against one listed name:
//   1. one-to-one alignment of name parts (greedy on similarity; a part may
//      align with two joined parts on the other side); each pair is exact,
//      translit, variant (given-name family), phonetic, or N edits within a
//      length-based allowance, or an initial;
//   2. parts are weighted by rarity across the lists (IDF), and
//      base = 100 * (0.45 * listed coverage + 0.55 * query coverage), so an
//      extra query part costs more than an extra listed part;
//   3. factors: weak alias, legal-form class, numbers (must match exactly),
//      entity type, DOB, country/nationality; a hit carried only by common
//      words stays below the review threshold; an exact identifier (passport,
//      IMO, tail number, tax id) scores 100.
// Every factor is recorded in the explanation.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "screen/model.hpp"
#include "screen/normalize.hpp"

namespace opskit::screen {

struct Thresholds {
  double review = 80;  // score >= review: FLAGGED
  double block = 95;   // score >= block: BLOCKED
};

enum class Status { clear, flagged, blocked };
const char* status_name(Status s);  // CLEAR, FLAGGED, BLOCKED
Status status_for(double score, const Thresholds& t);

struct Query {
  std::string name;
  std::string dob;      // YYYY or YYYY-MM-DD (any text with a 4-digit year)
  std::string country;  // country or nationality, free text
  std::string type;     // individual, entity, vessel, aircraft, or empty
  std::string identifier;  // passport / IMO / tail number, optional
};

struct PartAlignment {
  std::string query, listed, reason;  // reason: exact, translit, variant, phonetic, "N edits", initial, joined
  double similarity = 0, weight = 0;
};

struct Factor {
  std::string name;
  double contribution = 0;
  std::string detail;
};

struct Match {
  size_t entity = 0;  // index into Matcher::entities()
  std::string list, uid, entity_name, matched_name, strength, type;
  double score = 0;
  std::vector<PartAlignment> alignment;
  std::vector<Factor> factors;
  nlohmann::json explanation() const;  // list, entity, name, strength, alignment, factors
};

struct MatchOptions {
  double min_score = 50;  // drop weaker matches
  size_t limit = 10;      // at most this many entities
  size_t candidates = 16; // names scored in full per query romanisation
  double explain_min = 0; // alignment and factors only for matches scoring at least this
  // Skip the rest of a name's scoring once it cannot reach min_score (same
  // results; false = the reference path that scores every candidate in full,
  // which the tests compare against).
  bool prune = true;
};

struct MatcherStats {
  size_t entities = 0, names = 0, keys = 0, postings = 0;
};

class Matcher {
 public:
  // Builds the index over all entities (copied in).
  explicit Matcher(std::vector<Entity> entities);
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // Ranked matches, best first, one per entity (its best-scoring name).
  // Not thread-safe (scratch buffers): one Matcher per thread, or a lock.
  std::vector<Match> match(const Query& q, const MatchOptions& options = {});
  // The best score only (fast path for batches; explanation built lazily by match()).
  double best_score(const Query& q);

  // Thresholds used to keep common-word-only hits below review.
  void set_thresholds(const Thresholds& t);
  const std::vector<Entity>& entities() const;
  MatcherStats stats() const;
  // Given-name variant families mined from the lists' own aliases: parts that
  // sit in the same position of two names of one entity and are close
  // (phonetic or within the edit allowance). Returns how many pairs were added.
  size_t mined_variant_pairs() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace opskit::screen

// List loading (active-version rule), diffs and the screening engine.
#include "screen/service.hpp"

#include <algorithm>
#include <map>

#include "core/hash.hpp"
#include "core/text.hpp"
#include "screen/parsers.hpp"

namespace opskit::screen {

LoadOutcome load_list(Repository& repo, store::Session& session, const std::string& list_in, const std::string& path,
                      const LoadOptions& options, const std::string& now) {
  LoadOutcome out;
  out.list = list_in;
  out.path = path;
  ListLoad load;
  try {
    load = load_list_file(path, list_in);
  } catch (const DataError& e) {
    out.status = "failed";
    out.message = e.what();
    if (auto prev = repo.active_version(list_in)) {
      out.version = *prev;
      out.message += " (version " + std::to_string(prev->id) + " stays active)";
    }
    return out;
  }
  out.list = load.list;
  out.version.list = load.list;
  out.version.source = load.source;
  out.version.published = load.published;
  out.version.sha256 = load.sha256;
  out.version.loaded_at = now;
  out.version.entities = static_cast<int64_t>(load.entities.size());
  out.version.names = load.name_count();
  out.version.skipped = load.skipped;
  auto active = repo.active_version(load.list);
  if (active) out.previous_entities = active->entities;
  if (auto same = repo.version_by_sha(load.list, load.sha256)) {
    if (same->active) {
      out.status = "unchanged";
      out.version = *same;
      out.message = "same content as the active version";
      return out;
    }
  }
  if (load.entities.empty()) {
    out.status = "failed";
    out.message = path + ": the list holds no entities";
    return out;
  }
  const bool shrank = active && static_cast<double>(load.entities.size()) <
                                    (1.0 - options.max_shrink) * static_cast<double>(active->entities);
  if (shrank && !options.force) {
    out.status = "refused";
    out.message = "list shrank from " + std::to_string(active->entities) + " to " +
                  std::to_string(load.entities.size()) + " entities (more than " +
                  std::to_string(static_cast<int>(options.max_shrink * 100)) + "%); use --force to accept";
    return out;
  }
  out.status = "activated";
  if (options.dry_run) return out;
  session.transaction([&] {
    auto existing = repo.version_by_sha(load.list, load.sha256);
    if (existing) {
      out.version = *existing;
    } else {
      out.version.id = repo.insert_version(load, now);
    }
    repo.activate(out.version);
    out.version.active = true;
    nlohmann::json details = {{"list", load.list}, {"sha256", load.sha256}, {"entities", load.entities.size()},
                              {"names", load.name_count()}, {"published", load.published}, {"source", load.source},
                              {"forced", shrank}};
    session.audit("screen", "lists.activate", "sanctions_list", std::to_string(out.version.id), details.dump());
  });
  return out;
}

std::optional<LoadOutcome> unchanged_list(Repository& repo, const std::string& list, const std::string& path) {
  auto active = repo.active_version(list);
  if (!active) return std::nullopt;
  std::string sha;
  try {
    sha = list_sha256(path, list);
  } catch (const std::exception&) {
    return std::nullopt;  // unreadable: the full load reports it
  }
  if (sha != active->sha256) return std::nullopt;
  LoadOutcome out;
  out.list = list;
  out.path = path;
  out.status = "unchanged";
  out.message = "not modified on the server (HTTP 304); version " + std::to_string(active->id) + " stays active";
  out.version = *active;
  out.previous_entities = active->entities;
  return out;
}

std::vector<EntityChange> diff_versions(Repository& repo, int64_t old_id, int64_t new_id) {
  auto a = repo.version_by_id(old_id), b = repo.version_by_id(new_id);
  if (!a) throw DataError("no list version " + std::to_string(old_id) + " (see `screen lists show`)");
  if (!b) throw DataError("no list version " + std::to_string(new_id) + " (see `screen lists show`)");
  std::map<std::string, Entity> before, after;
  for (auto& e : repo.entities(old_id)) before.emplace(e.list + "\t" + e.uid, std::move(e));
  for (auto& e : repo.entities(new_id)) after.emplace(e.list + "\t" + e.uid, std::move(e));
  std::vector<EntityChange> out;
  for (const auto& [k, e] : after) {
    auto it = before.find(k);
    if (it == before.end()) out.push_back({"added", e.list, e.uid, e.primary_name});
    else if (it->second.content_hash() != e.content_hash()) out.push_back({"changed", e.list, e.uid, e.primary_name});
  }
  for (const auto& [k, e] : before)
    if (!after.count(k)) out.push_back({"removed", e.list, e.uid, e.primary_name});
  std::sort(out.begin(), out.end(), [](const EntityChange& x, const EntityChange& y) {
    return std::tie(x.list, x.uid, x.change) < std::tie(y.list, y.uid, y.change);
  });
  return out;
}

// ---- Screener ---------------------------------------------------------------

Screener::Screener(Repository& repo, Thresholds thresholds, std::string config_hash, std::string now)
    : thresholds_(thresholds),
      config_hash_(std::move(config_hash)),
      now_(std::move(now)) {
  for (const auto& v : repo.versions())
    if (v.active) versions_.emplace_back(v.list, v.id);
  std::sort(versions_.begin(), versions_.end());
  for (const auto& [l, id] : versions_) lists_label_ += (lists_label_.empty() ? "" : ",") + l + ":" + std::to_string(id);
  matcher_ = std::make_unique<Matcher>(repo.active_entities());
  matcher_->set_thresholds(thresholds_);
  for (auto& a : repo.allow_list())
    if (a.expires_at.empty() || a.expires_at > now_) allow_.push_back(std::move(a));
}

Screener::Screener(std::vector<Entity> entities, Thresholds thresholds)
    : matcher_(std::make_unique<Matcher>(std::move(entities))),
      thresholds_(thresholds) {
  matcher_->set_thresholds(thresholds_);
  lists_label_ = "memory";
}

std::string Screener::lists_hash() const { return sha256_hex(lists_label_).substr(0, 16); }

int64_t Screener::version_of(const std::string& list) const {
  for (const auto& [l, id] : versions_)
    if (l == list) return id;
  return 0;
}

std::string Screener::explanation_json(const Match& m) const {
  auto j = m.explanation();
  j["list_version"] = version_of(m.list);
  j["config_hash"] = config_hash_;
  return j.dump();
}

std::string Screener::name_key(std::string_view name) {
  // Made on first use: building its ICU transliterators is a tenth of a
  // second of start-up, and only an allow-list check needs them.
  if (!normalizer_) normalizer_ = std::make_unique<Normalizer>();
  return normalizer_->normalize_one(name).key();
}

Decision Screener::screen(const Query& q) {
  cache_key_.clear();
  for (const std::string* f : {&q.name, &q.dob, &q.country, &q.type, &q.identifier}) {
    cache_key_ += *f;
    cache_key_ += '\x1f';
  }
  auto it = decisions_.find(cache_key_);
  if (it != decisions_.end()) return it->second;
  if (!seen_before(std::hash<std::string>{}(cache_key_) | 1)) return decide(q);
  if (decisions_.size() >= kMaxCachedDecisions) decisions_.clear();
  return decisions_.emplace(cache_key_, decide(q)).first->second;
}

bool Screener::seen_before(uint64_t h) {
  if (seen_.empty() || seen_count_ * 2 >= kSeenSlots) {  // half full: start over
    seen_.assign(kSeenSlots, 0);
    seen_count_ = 0;
  }
  for (size_t i = (h * 0x9E3779B97F4A7C15ull) >> 46;; i = (i + 1) & (kSeenSlots - 1)) {
    if (seen_[i] == h) return true;
    if (seen_[i] == 0) {
      seen_[i] = h;
      ++seen_count_;
      return false;
    }
  }
}

Decision Screener::decide(const Query& q) {
  Decision d;
  MatchOptions o;
  o.min_score = std::min(50.0, thresholds_.review);
  o.explain_min = thresholds_.review;  // only the matches a decision keeps need their explanation
  o.limit = 5;
  auto matches = matcher_->match(q, o);
  std::string key;
  for (auto& m : matches) {
    if (!allow_.empty()) {
      if (key.empty()) key = name_key(q.name);
      const Entity& e = matcher_->entities()[m.entity];
      bool allowed = false;
      for (const auto& a : allow_)
        if (a.name_key == key && a.list == m.list && a.entity_uid == m.uid && a.content_hash == e.content_hash()) {
          allowed = true;
          break;
        }
      if (allowed) {
        ++d.allowed;
        continue;
      }
    }
    d.score = std::max(d.score, m.score);
    if (m.score >= thresholds_.review) d.matches.push_back(std::move(m));
  }
  d.status = status_for(d.score, thresholds_);
  return d;
}

}  // namespace opskit::screen

// Batch screening of CSV / JSON-lines files and rescreening of stored subjects.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <unordered_map>

#include "core/csv.hpp"
#include "core/jsonl.hpp"
#include "core/text.hpp"
#include "screen/service.hpp"

namespace opskit::screen {
namespace {

// One input row, already mapped to a subject (or a DataError).
struct RowSource {
  virtual ~RowSource() = default;
  // false at end; throws DataError for a row that cannot be used.
  virtual bool next(Subject& s) = 0;
  // After a bad row: whether reading can go on (a broken CSV quote cannot).
  virtual bool resumable() const { return true; }
};

const char* kNameColumns[] = {"counterparty", "name", "customer", "full_name"};

// `where(0|1|2)`: the location of the id, name or amount field, built only
// for an error (a location is a few strings: not worth making per row).
template <class Where>
void check_subject(Subject& s, const Where& where, std::string_view amount_text) {
  if (s.id.empty()) throw DataError(where(0), "empty id");
  if (!text::valid_utf8(s.id)) throw DataError(where(0), "id is not valid UTF-8");
  if (s.counterparty.empty()) throw DataError(where(1), "empty name");
  if (!text::valid_utf8(s.counterparty)) throw DataError(where(1), "name is not valid UTF-8");
  if (!amount_text.empty()) {
    double v = 0;
    if (!text::parse_double(amount_text, v))
      throw DataError(where(2), "amount '" + std::string(amount_text) + "' is not a number");
    s.amount = v;
  }
}

class CsvSource : public RowSource {
 public:
  CsvSource(std::istream& in, const std::string& name) : reader_(in, name, options()) {
    reader_.require_columns({"id"});
    for (const char* c : kNameColumns)
      if (reader_.column_index(c) >= 0) {
        name_column_ = c;
        break;
      }
    if (name_column_.empty())
      throw DataError(SourceLocation{name, 1, 1, "counterparty"}, "no name column (counterparty, name, customer or full_name)");
    for (size_t i = 0; i < kFields; ++i) index_[i] = reader_.column_index(i == kName ? name_column_ : kFieldNames[i]);
  }
  static csv::Options options() {
    csv::Options o;
    o.validate_utf8 = false;  // checked per row, so one bad row does not end the batch
    return o;
  }
  bool next(Subject& s) override {
    try {
      if (!reader_.next(record_)) return false;
    } catch (const DataError&) {
      broken_ = true;
      throw;
    }
    // Every field assigned in place (the caller reuses `s`, and its strings
    // keep their buffers from row to row).
    // Fields by the column indices found once from the header (as record_.get(name)).
    auto get = [&](size_t f) -> std::string_view {
      const int i = index_[f];
      return i < 0 || static_cast<size_t>(i) >= record_.size() ? std::string_view() : text::trim(record_[static_cast<size_t>(i)]);
    };
    s.id = get(kId);
    s.kind = get(kKind).empty() ? std::string_view("transaction") : get(kKind);
    s.date = get(kDate);
    s.currency = get(kCurrency);
    s.counterparty = get(kName);
    s.country = get(kCountry);
    s.dob = get(kDob);
    s.entity_type = get(kType);
    s.amount.reset();
    auto where = [&](int which) {
      const std::string& c = which == 0 ? kFieldNames[kId] : which == 1 ? name_column_ : kFieldNames[kAmount];
      return reader_.column_index(c) >= 0 ? record_.where(c) : SourceLocation{reader_.name(), record_.line(), 0, c};
    };
    check_subject(s, where, get(kAmount));
    return true;
  }
  bool resumable() const override { return !broken_; }

 private:
  enum Field : size_t { kId, kKind, kDate, kCurrency, kName, kCountry, kDob, kType, kAmount, kFields };
  inline static const std::string kFieldNames[kFields] = {"id", "kind", "date", "currency", "", "country", "dob", "type", "amount"};
  csv::Reader reader_;
  csv::Record record_;
  std::string name_column_;
  int index_[kFields] = {};
  bool broken_ = false;
};

class JsonlSource : public RowSource {
 public:
  JsonlSource(std::istream& in, const std::string& name) : reader_(in, name) {}
  bool next(Subject& s) override {
    nlohmann::json j;
    if (!reader_.next(j)) return false;
    s = Subject();
    if (!j.is_object()) throw DataError(reader_.where(), "expected a JSON object");
    auto str = [&](const char* k) -> std::string {
      if (!j.contains(k) || j[k].is_null()) return {};
      if (j[k].is_string()) return std::string(text::trim(j[k].get<std::string>()));
      if (j[k].is_number()) return j[k].dump();
      throw DataError(reader_.where(k), std::string("field '") + k + "' must be a string");
    };
    s.id = str("id");
    s.kind = str("kind").empty() ? "transaction" : str("kind");
    s.date = str("date");
    s.currency = str("currency");
    for (const char* c : kNameColumns)
      if (s.counterparty.empty()) s.counterparty = str(c);
    s.country = str("country");
    s.dob = str("dob");
    s.entity_type = str("type");
    const std::string amount = str("amount");
    check_subject(s, [&](int which) { return reader_.where(which == 0 ? "id" : which == 1 ? "counterparty" : "amount"); },
                  amount);
    return true;
  }

 private:
  jsonl::Reader reader_;
};

// Into a kept Query: its strings keep their buffers from row to row.
const Query& query_of(const Subject& s, Query& q) {
  q.name = s.counterparty;
  q.dob = s.dob;
  q.country = s.country;
  q.type = s.entity_type;
  return q;
}

const char* status_text(Status s) { return status_name(s); }

MatchRecord match_record(Screener& screener, const Subject& s, const Match& m, const std::string& now) {
  MatchRecord r;
  r.subject_id = s.id;
  r.subject_name = s.counterparty;
  r.list = m.list;
  r.entity_uid = m.uid;
  r.entity_name = m.entity_name;
  r.matched_name = m.matched_name;
  r.score = std::round(m.score * 10) / 10;
  r.status = status_name(status_for(m.score, screener.thresholds()));
  r.explanation = screener.explanation_json(m);
  r.list_version = screener.version_of(m.list);
  r.config_hash = screener.config_hash();
  r.created_at = now;
  return r;
}

void audit_decision(store::Session& session, const std::string& actor, const Subject& s, const Decision& d,
                    const std::string& previous) {
  nlohmann::json j = {{"status", s.status}, {"previous", previous}, {"score", s.score}, {"lists", s.lists_hash}};
  if (!d.matches.empty()) j["top_match"] = {{"list", d.matches[0].list}, {"uid", d.matches[0].uid}};
  session.audit(actor, "screen.decision", s.kind, s.id, j.dump());
}

double round1(double v) { return std::round(v * 10) / 10; }

}  // namespace

BatchCounts screen_batch(Screener& screener, Repository& repo, store::Session& session, const BatchOptions& options,
                         const std::function<void(const Subject&, const Decision&)>& on_hit,
                         const std::function<void(const DataError&)>& on_bad_row) {
  std::unique_ptr<std::ifstream> file;
  std::istream* in = &std::cin;
  if (options.path != "-") {
    file = std::make_unique<std::ifstream>(options.path, std::ios::binary);
    if (!*file) throw DataError(SourceLocation{options.path, 0, 0, {}}, "cannot open batch file");
    in = file.get();
  }
  std::string format = options.format;
  if (format.empty()) {
    auto ends = [&](const char* ext) {
      std::string e(ext);
      return options.path.size() > e.size() && options.path.compare(options.path.size() - e.size(), e.size(), e) == 0;
    };
    if (ends(".jsonl") || ends(".ndjson") || ends(".json")) format = "jsonl";
    else if (ends(".csv")) format = "csv";
    else {
      int c;
      while ((c = in->peek()) == ' ' || c == '\n' || c == '\r' || c == '\t') in->get();
      format = c == '{' ? "jsonl" : "csv";
    }
  }
  std::unique_ptr<RowSource> source;
  if (format == "jsonl") source = std::make_unique<JsonlSource>(*in, options.path);
  else if (format == "csv") source = std::make_unique<CsvSource>(*in, options.path);
  else throw UsageError("unknown input format '" + format + "' (csv or jsonl)");

  BatchCounts counts;
  const std::string lists_hash = screener.lists_hash();
  // Rows are screened and written in chunks. The chunk's rows are kept and
  // refilled in place (no strings made per row). Each row needs its stored
  // status, if any (a rerun audits nothing new), found one of two ways:
  //  - insert first: each row is inserted unless its id is stored as soon as
  //    it is screened (while its fields are in cache; the insert's key check
  //    is the lookup); at the chunk's end only the rows found stored are
  //    looked up and upserted;
  //  - look up first: one query for all the chunk's ids at its end, then new
  //    ids inserted and stored ones upserted.
  // A new file is mostly new ids (insert first saves a lookup per row), a
  // rerun all stored ones (look up first saves an insert attempt per row):
  // each chunk goes the way that suited the previous one.
  struct Row {
    Subject s;
    Decision d;
  };
  constexpr size_t kChunk = 4096;
  std::vector<Row> chunk(kChunk);
  size_t filled = 0;
  bool insert_first = true;
  std::vector<std::string> ids;
  std::vector<std::string_view> sorted;
  std::vector<char> stored;  // insert first: the row's id was stored when it came
  // The latest status of ids met again in the chunk (look up first: ids
  // repeated in the chunk; insert first: stored ids).
  std::unordered_map<std::string_view, std::string> repeated;
  std::unique_ptr<Repository::Writer> writer;
  auto write_chunk = [&] {
    if (filled == 0) return;
    ids.clear();
    repeated.clear();
    if (insert_first) {
      // An id repeated within the chunk was stored by its first row by the
      // time its later rows came, and is looked up with the stored ones.
      stored.assign(filled, 0);
      for (uint64_t p : writer->flush_new()) {
        stored[p] = 1;
        ids.push_back(chunk[p].s.id);
      }
    } else {
      // An id repeated within the chunk: its later rows see the earlier
      // row's status, and none of its rows is a plain insert.
      sorted.clear();
      for (size_t i = 0; i < filled; ++i) sorted.push_back(chunk[i].s.id);
      std::sort(sorted.begin(), sorted.end());
      for (size_t i = 1; i < sorted.size(); ++i)
        if (sorted[i] == sorted[i - 1]) repeated.emplace(sorted[i], std::string());
      for (size_t i = 0; i < filled; ++i) ids.push_back(chunk[i].s.id);
    }
    std::unordered_map<std::string, std::string> previous;
    if (!ids.empty()) previous = repo.statuses(ids);
    size_t found = 0;
    for (size_t i = 0; i < filled; ++i) {
      const Subject& s = chunk[i].s;
      const Decision& d = chunk[i].d;
      auto it = previous.find(s.id);
      bool existed = it != previous.end();
      found += existed;
      std::string before = existed ? it->second : "";
      if (insert_first) {
        if (stored[i]) {  // (the rows not stored were inserted as they came)
          if (!existed) throw InternalError("batch: id " + s.id + " was reported stored but is not");
          auto [latest, first] = repeated.try_emplace(s.id, s.status);
          if (!first) {
            before = latest->second;
            latest->second = s.status;
          }
          writer->subject(s);
        }
      } else {
        auto rep = repeated.empty() ? repeated.end() : repeated.find(s.id);
        if (rep != repeated.end() && !rep->second.empty()) {
          existed = true;  // written by an earlier row of this chunk
          before = rep->second;
        }
        if (existed || rep != repeated.end()) writer->subject(s);
        else writer->new_subject(s);
        if (rep != repeated.end()) rep->second = s.status;
      }
      if (existed && before != s.status) ++counts.changed;
      for (const auto& m : d.matches) writer->match(match_record(screener, s, m, options.now));
      if (before != s.status && (existed || d.status != Status::clear)) audit_decision(session, options.actor, s, d, before);
    }
    writer->flush();
    insert_first = found * 2 < filled;
    filled = 0;
  };
  Query query;
  auto body = [&] {
    for (;;) {
      Row& row = chunk[filled];
      Subject& s = row.s;
      try {
        if (!source->next(s)) break;
      } catch (const DataError& e) {
        ++counts.rows;
        ++counts.bad_rows;
        if (options.stop_on_error || !source->resumable()) throw;
        on_bad_row(e);
        continue;
      }
      ++counts.rows;
      if (!options.shard.owns(s.id)) {
        ++counts.other_shards;
        continue;
      }
      ++counts.screened;
      row.d = screener.screen(query_of(s, query));
      const Decision& d = row.d;
      counts.allowed += d.allowed;
      s.status = status_text(d.status);
      s.score = round1(d.score);
      s.screened_at = options.now;
      s.lists_hash = lists_hash;
      s.source = options.path;
      switch (d.status) {
        case Status::clear: ++counts.clear; break;
        case Status::flagged: ++counts.flagged; break;
        case Status::blocked: ++counts.blocked; break;
      }
      if (d.status != Status::clear) on_hit(s, d);
      if (options.dry_run) continue;
      if (!writer) writer = std::make_unique<Repository::Writer>(session);
      if (insert_first) writer->new_subject(s);
      if (++filled == kChunk) write_chunk();
    }
    write_chunk();
  };
  if (options.dry_run) body();
  else session.transaction(body);
  return counts;
}

BatchCounts rescreen(Screener& screener, Repository& repo, store::Session& session, int64_t run_id,
                     const std::string& now, bool dry_run,
                     const std::function<void(const Subject& before, const Subject& after)>& on_change) {
  BatchCounts counts;
  const std::string lists_hash = screener.lists_hash();
  std::unique_ptr<Repository::Writer> writer;
  auto body = [&] {
    if (!dry_run) writer = std::make_unique<Repository::Writer>(session);
    Query query;
    repo.for_each_subject([&](const Subject& before) {
      ++counts.rows;
      ++counts.screened;
      Decision d = screener.screen(query_of(before, query));
      counts.allowed += d.allowed;
      Subject after = before;
      after.status = status_text(d.status);
      after.score = round1(d.score);
      after.screened_at = now;
      after.lists_hash = lists_hash;
      switch (d.status) {
        case Status::clear: ++counts.clear; break;
        case Status::flagged: ++counts.flagged; break;
        case Status::blocked: ++counts.blocked; break;
      }
      const bool changed = after.status != before.status || after.score != before.score;
      if (changed) {
        ++counts.changed;
        on_change(before, after);
      }
      if (dry_run) return;
      writer->subject(after);
      if (!changed) return;
      repo.delete_open_matches(after.id);  // now, before the match upserts buffered below
      for (const auto& m : d.matches) writer->match(match_record(screener, after, m, now));
      repo.record_change(run_id, now, before, after);
      audit_decision(session, "screen rescreen", after, d, before.status);
    });
    if (writer) writer->flush();
  };
  if (dry_run) body();
  else session.transaction(body);
  return counts;
}

}  // namespace opskit::screen

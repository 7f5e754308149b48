#pragma once
// Reading leads: a record source (CSV, JSON lines, or JSON objects from the
// leads table), a row parser that turns one record into typed feature cells
// by the spec, and an in-memory columnar data set for training.
//
// Missing values are explicit: numeric cells are NaN, text cells empty; the
// encoder gives them their own code (a missing indicator), never a zero.
// Text in a numeric or boolean column is a DataError naming file:line:column
// and the column.
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "leads/spec.hpp"

namespace opskit::leads {

// One record at a time from some input.
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  virtual bool next() = 0;
  // The raw value of a column in the current record; nullopt when absent.
  virtual std::optional<std::string> get(const std::string& column) const = 0;
  virtual SourceLocation where(const std::string& column) const = 0;
  // The current record as a JSON object of strings (stored in leads.fields).
  virtual nlohmann::json fields() const = 0;
  // Throws DataError naming the first column the input lacks (no-op when the
  // input has no header, e.g. JSON lines).
  virtual void require_columns(const std::vector<std::string>& columns) const = 0;
};

// "-" is stdin. Format by extension (.jsonl/.ndjson/.json = JSON lines) unless
// `format` is "csv" or "jsonl".
std::unique_ptr<RecordSource> open_source(const std::string& path, const FeatureSpec& spec,
                                          const std::string& format = {});
// A source over JSON objects already in memory (rows from the leads table).
std::unique_ptr<RecordSource> json_source(std::vector<nlohmann::json> objects, std::string name);

struct ParsedRow {
  std::string id;
  int target = -1;       // 1 / 0 / -1 unknown
  int64_t time = 0;      // unix seconds of the time column, 0 when none
  std::vector<double> num;        // per feature: numeric / recency days / boolean 0-1; NaN = missing
  std::vector<std::string> str;   // per feature: categorical level / lowercased text; "" = missing
};

class RowParser {
 public:
  // `now` is the reference instant for timestamp recency.
  RowParser(const FeatureSpec& spec, int64_t now);
  // Parses the current record; `row_number` names rows without an id column.
  void parse(const RecordSource& src, long row_number, ParsedRow& out) const;
  const FeatureSpec& spec() const { return spec_; }

 private:
  const FeatureSpec& spec_;
  int64_t now_;
};

struct Dataset {
  std::vector<std::string> ids;
  std::vector<int8_t> target;
  std::vector<int64_t> time;
  std::vector<std::vector<double>> num;       // [feature][row]
  std::vector<std::vector<std::string>> str;  // [feature][row]
  size_t size() const { return ids.size(); }
  void add(const ParsedRow& r);
  void reserve_features(size_t n) {
    num.resize(n);
    str.resize(n);
  }
};

// Reads every record with a known outcome (`labelled_only`) into memory.
// Throws DataError when the target column is absent.
Dataset read_dataset(RecordSource& src, const FeatureSpec& spec, int64_t now, bool labelled_only = true);

}  // namespace opskit::leads

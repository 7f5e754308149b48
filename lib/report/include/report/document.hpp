#pragma once
// A report is first a document: a JSON value with a versioned schema, built
// from the database (aggregation done in SQL), then written as JSON or CSV
// or rendered through templates. The schema (version 1):
//
//   { "schema": "opskit.report", "schema_version": 1,
//     "kind": "runs", "title": "...", "tenant": "acme", "subject": "" ,
//     "generated_at": "2026-11-22T03:20:00Z",
//     "period": {"since": "", "until": "2026-11-22T03:20:00Z"},   // since "" = from the start
//     "status": "ok" | "no_data",
//     "notes": ["..."],
//     "sections": [
//       { "id": "by_tool", "title": "...", "description": "...",
//         "facts": [{"label": "...", "value": <string|number>}],
//         "table": {"columns": [{"key": "tool", "label": "Tool", "type": "text|int|real|time"}],
//                   "rows": [[cell, ...], ...]},
//         "chart": {"type": "bar|stacked_bar|time_series|waterfall|histogram",
//                   "x": "column key", "series": ["column key", ...], "unit": "..."},
//         "empty_note": "shown when the table has no rows" } ] }
//
// Cells are strings, integers, reals or null. Every string that came from
// the database passes through clean_text() first: invalid UTF-8 becomes
// U+FFFD and control characters are dropped, so no later writer meets them.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.hpp"

namespace opskit::report {

inline constexpr int kSchemaVersion = 1;

struct Column {
  std::string key, label, type = "text";
};

// Builder for one section; `json()` gives the schema object.
class Section {
 public:
  Section(std::string id, std::string title, std::string description = {});
  Section& fact(const std::string& label, const nlohmann::json& value);
  Section& columns(std::vector<Column> cols);
  Section& row(nlohmann::json cells);  // an array, one cell per column
  // Appends every row of a query result; columns are matched by position.
  Section& rows(const store::Rows& rows);
  // Sorts the table rows by columns (index, descending?) in byte order for
  // text, so the order is the same on both backends whatever the collation.
  Section& sort_rows(std::vector<std::pair<size_t, bool>> keys);
  Section& chart(const std::string& type, const std::string& x, std::vector<std::string> series,
                 const std::string& unit = {});
  Section& empty_note(const std::string& note);
  size_t row_count() const;
  nlohmann::json json() const { return j_; }

 private:
  nlohmann::json j_;
};

// A database cell as a JSON cell (text cleaned).
nlohmann::json cell(const store::Value& v);
// Invalid UTF-8 -> U+FFFD; C0 controls (except tab/newline) and DEL removed.
std::string clean_text(std::string_view s);

// A fresh document with the header fields filled.
nlohmann::json new_document(const std::string& kind, const std::string& title, const std::string& tenant,
                            const std::string& subject, const std::string& generated_at, const std::string& since,
                            const std::string& until);
void add_section(nlohmann::json& doc, const Section& s);
void add_note(nlohmann::json& doc, const std::string& note);

}  // namespace opskit::report

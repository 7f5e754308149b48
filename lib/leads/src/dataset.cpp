#include "leads/dataset.hpp"

#include <algorithm>

#include "core/jsonl.hpp"
#include "core/runtime.hpp"
#include "core/text.hpp"

namespace opskit::leads {

namespace {

class CsvSource : public RecordSource {
 public:
  CsvSource(const std::string& path, char sep) {
    csv::Options o;
    o.separator = sep;
    o.trim_trailing_empty = true;  // exports whose lines end in a separator
    reader_ = csv::Reader::open(path, o);
  }
  bool next() override { return reader_->next(rec_); }
  std::optional<std::string> get(const std::string& column) const override {
    auto v = rec_.get(column);
    if (!v) return std::nullopt;
    return std::string(*v);
  }
  SourceLocation where(const std::string& column) const override {
    if (reader_->column_index(column) < 0) return {reader_->name(), rec_.line(), 0, column};
    return rec_.where(column);
  }
  nlohmann::json fields() const override {
    nlohmann::json o = nlohmann::json::object();
    const auto& h = reader_->header();
    for (size_t i = 0; i < h.size() && i < rec_.size(); ++i)
      if (!h[i].empty()) o[h[i]] = std::string(rec_[i]);
    return o;
  }
  void require_columns(const std::vector<std::string>& columns) const override { reader_->require_columns(columns); }

 private:
  std::unique_ptr<csv::Reader> reader_;
  csv::Record rec_;
};

std::string json_cell(const nlohmann::json& v) {
  if (v.is_null()) return {};
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

class JsonBase : public RecordSource {
 public:
  std::optional<std::string> get(const std::string& column) const override {
    auto it = cur_.find(column);
    if (it == cur_.end()) return std::nullopt;
    return json_cell(*it);
  }
  nlohmann::json fields() const override {
    nlohmann::json o = nlohmann::json::object();
    for (auto it = cur_.begin(); it != cur_.end(); ++it) o[it.key()] = json_cell(it.value());
    return o;
  }
  void require_columns(const std::vector<std::string>&) const override {}

 protected:
  nlohmann::json cur_;
};

class JsonlSource : public JsonBase {
 public:
  explicit JsonlSource(const std::string& path) : reader_(jsonl::Reader::open(path)) {}
  bool next() override {
    if (!reader_->next(cur_)) return false;
    if (!cur_.is_object()) throw DataError(reader_->where(), "each JSON line must be an object");
    return true;
  }
  SourceLocation where(const std::string& column) const override { return reader_->where(column); }

 private:
  std::unique_ptr<jsonl::Reader> reader_;
};

class MemoryJsonSource : public JsonBase {
 public:
  MemoryJsonSource(std::vector<nlohmann::json> rows, std::string name) : rows_(std::move(rows)), name_(std::move(name)) {}
  bool next() override {
    if (pos_ >= rows_.size()) return false;
    cur_ = std::move(rows_[pos_++]);
    return true;
  }
  SourceLocation where(const std::string& column) const override { return {name_, long(pos_), 0, column}; }

 private:
  std::vector<nlohmann::json> rows_;
  std::string name_;
  size_t pos_ = 0;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::unique_ptr<RecordSource> open_source(const std::string& path, const FeatureSpec& spec, const std::string& format) {
  bool json = format == "jsonl" || format == "json" ||
              (format.empty() && (ends_with(path, ".jsonl") || ends_with(path, ".ndjson") || ends_with(path, ".json")));
  if (json) return std::make_unique<JsonlSource>(path);
  return std::make_unique<CsvSource>(path, spec.separator);
}

std::unique_ptr<RecordSource> json_source(std::vector<nlohmann::json> objects, std::string name) {
  return std::make_unique<MemoryJsonSource>(std::move(objects), std::move(name));
}

RowParser::RowParser(const FeatureSpec& spec, int64_t now) : spec_(spec), now_(now) {}

static bool parse_bool(std::string_view v, double& out) {
  static const char* yes[] = {"1", "yes", "true", "y", "t"};
  static const char* no[] = {"0", "no", "false", "n", "f"};
  for (auto s : yes)
    if (text::iequals(v, s)) return out = 1, true;
  for (auto s : no)
    if (text::iequals(v, s)) return out = 0, true;
  return false;
}

void RowParser::parse(const RecordSource& src, long row_number, ParsedRow& out) const {
  const size_t nf = spec_.features.size();
  out.num.assign(nf, std::nan(""));
  out.str.resize(nf);
  if (!spec_.id_column.empty()) {
    auto v = src.get(spec_.id_column);
    out.id = v ? std::string(text::trim(*v)) : std::string();
    if (out.id.empty()) throw DataError(src.where(spec_.id_column), "empty lead id");
  } else {
    out.id = "row-" + std::to_string(row_number);
  }
  out.target = -1;
  if (auto t = src.get(spec_.target_column); t && !spec_.is_missing(*t)) out.target = spec_.is_positive(*t) ? 1 : 0;
  out.time = 0;
  if (!spec_.time_column.empty()) {
    auto v = src.get(spec_.time_column);
    if (v && !spec_.is_missing(*v)) {
      double d;
      int64_t secs;
      auto tv = text::trim(*v);
      if (parse_iso8601(tv, secs)) out.time = secs;
      else if (text::parse_double(tv, d)) out.time = int64_t(d);
      else throw DataError(src.where(spec_.time_column), "not a timestamp: '" + std::string(tv) + "'");
    }
  }
  for (size_t f = 0; f < nf; ++f) {
    const auto& def = spec_.features[f];
    out.str[f].clear();
    auto raw = src.get(def.column);
    if (!raw || spec_.is_missing(*raw)) continue;
    auto v = text::trim(*raw);
    switch (def.type) {
      case FeatureType::numeric: {
        double d;
        if (!text::parse_double(v, d) || !std::isfinite(d))
          throw DataError(src.where(def.column), "not a number: '" + std::string(v) + "'");
        out.num[f] = d;
        break;
      }
      case FeatureType::timestamp: {
        int64_t secs;
        if (!parse_iso8601(v, secs))
          throw DataError(src.where(def.column), "not an ISO-8601 timestamp: '" + std::string(v) + "'");
        out.num[f] = double(now_ - secs) / 86400.0;
        break;
      }
      case FeatureType::boolean: {
        double d;
        if (!parse_bool(v, d)) throw DataError(src.where(def.column), "not a boolean: '" + std::string(v) + "'");
        out.num[f] = d;
        break;
      }
      case FeatureType::categorical: out.str[f] = std::string(v); break;
      case FeatureType::text: out.str[f] = text::lower(v); break;
    }
  }
}

void Dataset::add(const ParsedRow& r) {
  ids.push_back(r.id);
  target.push_back(int8_t(r.target));
  time.push_back(r.time);
  for (size_t f = 0; f < r.num.size(); ++f) {
    num[f].push_back(r.num[f]);
    str[f].push_back(r.str[f]);
  }
}

Dataset read_dataset(RecordSource& src, const FeatureSpec& spec, int64_t now, bool labelled_only) {
  auto cols = spec.columns();
  if (labelled_only) cols.push_back(spec.target_column);
  src.require_columns(cols);
  RowParser parser(spec, now);
  Dataset ds;
  ds.reserve_features(spec.features.size());
  ParsedRow row;
  long n = 0;
  while (src.next()) {
    ++n;
    parser.parse(src, n, row);
    if (labelled_only && row.target < 0) continue;
    ds.add(row);
  }
  return ds;
}

}  // namespace opskit::leads

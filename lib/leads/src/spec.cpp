#include "leads/spec.hpp"

#include <algorithm>

#include <yaml-cpp/yaml.h>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/text.hpp"

namespace opskit::leads {

const char* feature_type_name(FeatureType t) {
  switch (t) {
    case FeatureType::numeric: return "numeric";
    case FeatureType::categorical: return "categorical";
    case FeatureType::boolean: return "boolean";
    case FeatureType::timestamp: return "timestamp";
    case FeatureType::text: return "text";
  }
  return "?";
}

static FeatureType parse_type(const std::string& s, const SourceLocation& at) {
  if (s == "numeric" || s == "number") return FeatureType::numeric;
  if (s == "categorical" || s == "category") return FeatureType::categorical;
  if (s == "boolean" || s == "bool") return FeatureType::boolean;
  if (s == "timestamp" || s == "date") return FeatureType::timestamp;
  if (s == "text") return FeatureType::text;
  throw DataError(at, "unknown feature type '" + s + "' (numeric, categorical, boolean, timestamp, text)");
}

nlohmann::json FeatureSpec::to_json() const {
  nlohmann::json f = nlohmann::json::array();
  for (const auto& d : features) {
    nlohmann::json e{{"column", d.column}, {"type", feature_type_name(d.type)}};
    if (d.type == FeatureType::categorical) {
      e["min_count"] = d.min_count;
      e["max_levels"] = d.max_levels;
    }
    if (d.bins) e["bins"] = d.bins;
    if (!d.keywords.empty()) e["keywords"] = d.keywords;
    f.push_back(e);
  }
  return {{"name", name},           {"id", id_column},
          {"target", {{"column", target_column}, {"positive", positive}}},
          {"time", time_column},    {"separator", std::string(1, separator)},
          {"missing", missing},     {"features", f}};
}

FeatureSpec FeatureSpec::from_json(const nlohmann::json& j, const std::string& origin) {
  try {
    FeatureSpec s;
    s.name = j.at("name").get<std::string>();
    s.id_column = j.value("id", "");
    s.target_column = j.at("target").at("column").get<std::string>();
    s.positive = j.at("target").at("positive").get<std::vector<std::string>>();
    s.time_column = j.value("time", "");
    auto sep = j.value("separator", ",");
    s.separator = sep.empty() ? ',' : sep[0];
    s.missing = j.at("missing").get<std::vector<std::string>>();
    for (const auto& e : j.at("features")) {
      FeatureDef d;
      d.column = e.at("column").get<std::string>();
      d.type = parse_type(e.at("type").get<std::string>(), {origin, 0, 0, "features"});
      d.min_count = e.value("min_count", 10);
      d.max_levels = e.value("max_levels", 60);
      d.bins = e.value("bins", 0);
      if (e.contains("keywords")) d.keywords = e["keywords"].get<std::vector<std::string>>();
      s.features.push_back(d);
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw DataError(SourceLocation{origin, 0, 0, "spec"}, std::string("malformed feature spec: ") + e.what());
  }
}

std::string FeatureSpec::hash() const { return sha256_hex(to_json().dump()); }

bool FeatureSpec::is_missing(std::string_view value) const {
  auto v = text::trim(value);
  for (const auto& m : missing)
    if (v == m) return true;
  return v.empty();
}

bool FeatureSpec::is_positive(std::string_view value) const {
  auto v = text::trim(value);
  for (const auto& p : positive)
    if (text::iequals(v, p)) return true;
  return false;
}

std::vector<std::string> FeatureSpec::columns() const {
  std::vector<std::string> c;
  if (!id_column.empty()) c.push_back(id_column);
  if (!time_column.empty()) c.push_back(time_column);
  for (const auto& f : features) c.push_back(f.column);
  return c;
}

namespace {
SourceLocation at(const std::string& origin, const YAML::Node& n, const std::string& field) {
  auto m = n.Mark();
  return {origin, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0, field};
}
std::vector<std::string> string_list(const std::string& origin, const YAML::Node& n, const std::string& field) {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.as<std::string>());
  } else if (n.IsSequence()) {
    for (const auto& e : n) {
      if (!e.IsScalar()) throw DataError(at(origin, e, field), "expected a list of strings");
      out.push_back(e.as<std::string>());
    }
  } else if (!n.IsNull()) {
    throw DataError(at(origin, n, field), "expected a list of strings");
  }
  return out;
}
}  // namespace

FeatureSpec parse_spec(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw DataError(SourceLocation{origin, e.mark.line + 1, e.mark.column + 1, ""}, "invalid YAML: " + e.msg);
  }
  if (!root.IsMap()) throw DataError(SourceLocation{origin, 1, 1, ""}, "a feature spec must be a YAML map");
  static const std::vector<std::string> known{"name", "id", "target", "time", "separator", "missing", "features", "description"};
  for (const auto& kv : root) {
    auto key = kv.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end())
      throw DataError(at(origin, kv.first, key), "unknown key '" + key + "' in feature spec");
  }
  FeatureSpec s;
  s.name = root["name"] ? root["name"].as<std::string>() : origin;
  if (root["id"]) s.id_column = root["id"].as<std::string>();
  auto target = root["target"];
  if (!target) throw DataError(SourceLocation{origin, 1, 1, "target"}, "feature spec needs a 'target' column");
  if (target.IsScalar()) {
    s.target_column = target.as<std::string>();
  } else if (target.IsMap() && target["column"]) {
    s.target_column = target["column"].as<std::string>();
    if (target["positive"]) s.positive = string_list(origin, target["positive"], "target.positive");
  } else {
    throw DataError(at(origin, target, "target"), "target must be a column name or {column, positive}");
  }
  if (root["time"]) s.time_column = root["time"].as<std::string>();
  if (root["separator"]) {
    auto sep = root["separator"].as<std::string>();
    if (sep == "\\t" || sep == "tab") sep = "\t";
    if (sep.size() != 1) throw DataError(at(origin, root["separator"], "separator"), "separator must be one character");
    s.separator = sep[0];
  }
  if (root["missing"]) s.missing = string_list(origin, root["missing"], "missing");
  auto feats = root["features"];
  if (!feats || !feats.IsSequence() || feats.size() == 0)
    throw DataError(SourceLocation{origin, 1, 1, "features"}, "feature spec needs a non-empty 'features' list");
  for (const auto& f : feats) {
    if (!f.IsMap() || !f["column"])
      throw DataError(at(origin, f, "features"), "each feature needs a 'column'");
    FeatureDef d;
    d.column = f["column"].as<std::string>();
    d.type = parse_type(f["type"] ? f["type"].as<std::string>() : "numeric", at(origin, f, d.column));
    try {
      if (f["min_count"]) d.min_count = f["min_count"].as<int>();
      if (f["max_levels"]) d.max_levels = f["max_levels"].as<int>();
      if (f["bins"]) d.bins = f["bins"].as<int>();
    } catch (const YAML::Exception&) {
      throw DataError(at(origin, f, d.column), "min_count, max_levels and bins must be integers");
    }
    if (d.bins < 0 || d.bins > 250) throw DataError(at(origin, f, d.column), "bins must be between 2 and 250");
    if (f["keywords"]) d.keywords = string_list(origin, f["keywords"], d.column + ".keywords");
    if (d.type == FeatureType::text && d.keywords.empty())
      throw DataError(at(origin, f, d.column), "a text feature needs 'keywords'");
    for (const auto& prev : s.features)
      if (prev.column == d.column) throw DataError(at(origin, f, d.column), "column '" + d.column + "' listed twice");
    if (d.column == s.target_column)
      throw DataError(at(origin, f, d.column), "the target column cannot be a feature");
    s.features.push_back(std::move(d));
  }
  return s;
}

FeatureSpec load_spec(const std::string& path) { return parse_spec(text::read_file(path), path); }

}  // namespace opskit::leads

#include "sim/loader.hpp"

#include <cmath>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "core/text.hpp"
#include "yaml_fields.hpp"

namespace opskit::sim {
namespace {

using yaml_fields::at;
using yaml_fields::scalar;

[[noreturn]] void fail(const std::string& file, const YAML::Node& n, const std::string& field, const std::string& what) {
  throw DataError(at(file, n, field), what);
}

double number(const std::string& file, const YAML::Node& n, const std::string& field) {
  std::string s = scalar(file, n, field);
  double v = 0;
  if (!text::parse_double(text::trim(s), v) || !std::isfinite(v))
    fail(file, n, field, "expected a finite number, got '" + s + "'");
  return v;
}

void check_keys(const std::string& file, const YAML::Node& map, const std::set<std::string>& allowed,
                const std::string& what) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) fail(file, it->first, what, "expected a field name");
    const std::string& k = it->first.Scalar();
    if (!allowed.count(k)) fail(file, it->first, k, "unknown field '" + k + "' in " + what);
  }
}

}  // namespace

int parse_days(std::string_view t, const std::string& what) {
  std::string_view s = text::trim(t);
  long long mult = 1;
  if (!s.empty() && (s.back() == 'd' || s.back() == 'D')) s.remove_suffix(1);
  else if (!s.empty() && (s.back() == 'w' || s.back() == 'W')) { mult = 7; s.remove_suffix(1); }
  long long v = 0;
  if (!text::parse_int(s, v) || v < 0 || v > 100000)
    throw DataError(what + ": expected whole days such as 7, 7d or 2w (0..100000), got '" + std::string(t) + "'");
  return static_cast<int>(v * mult);
}

Graph load_graph(std::string_view text_in, const std::string& file) {
  YAML::Node root = yaml_fields::parse(text_in, file);
  Graph g;
  if (!root.IsMap()) fail(file, root, "", "expected a map with 'metrics' and 'edges'");
  check_keys(file, root, {"metrics", "edges", "name", "description", "version"}, "graph");
  YAML::Node metrics = root["metrics"];
  if (!metrics || !metrics.IsSequence()) fail(file, metrics ? metrics : root, "metrics", "expected a list 'metrics'");
  for (const auto& m : metrics) {
    if (!m.IsMap()) fail(file, m, "metrics", "expected a metric map");
    check_keys(file, m, {"name", "unit", "baseline", "min", "max", "description"}, "metric");
    Metric mt;
    mt.where = at(file, m, "name");
    if (!m["name"]) fail(file, m, "name", "metric without a name");
    mt.name = std::string(text::trim(scalar(file, m["name"], "name")));
    if (mt.name.empty()) fail(file, m["name"], "name", "empty metric name");
    if (m["unit"]) mt.unit = scalar(file, m["unit"], "unit");
    if (m["description"]) mt.description = scalar(file, m["description"], "description");
    if (!m["baseline"]) fail(file, m, "baseline", "metric '" + mt.name + "' has no baseline");
    mt.baseline = number(file, m["baseline"], "baseline");
    if (m["min"]) mt.min = number(file, m["min"], "min");
    if (m["max"]) mt.max = number(file, m["max"], "max");
    if (mt.min && mt.max && *mt.min > *mt.max) fail(file, m["min"], "min", "min is above max");
    if ((mt.min && mt.baseline < *mt.min) || (mt.max && mt.baseline > *mt.max))
      fail(file, m["baseline"], "baseline", "baseline of '" + mt.name + "' lies outside its bounds");
    if (g.find(mt.name) >= 0) fail(file, m["name"], "name", "duplicate metric '" + mt.name + "'");
    g.metrics.push_back(std::move(mt));
    g.index();
  }
  YAML::Node edges = root["edges"];
  if (edges && !edges.IsSequence() && !edges.IsNull()) fail(file, edges, "edges", "expected a list 'edges'");
  if (edges && edges.IsSequence()) {
    for (const auto& e : edges) {
      if (!e.IsMap()) fail(file, e, "edges", "expected an edge map");
      check_keys(file, e, {"cause", "effect", "coefficient", "elasticity", "lag", "lag_days", "confidence", "stddev",
                           "source", "fit_r2"},
                 "edge");
      Edge ed;
      ed.where = at(file, e, "cause");
      for (const char* f : {"cause", "effect"})
        if (!e[f]) fail(file, e, f, std::string("edge without '") + f + "'");
      ed.cause = std::string(text::trim(scalar(file, e["cause"], "cause")));
      ed.effect = std::string(text::trim(scalar(file, e["effect"], "effect")));
      g.require(ed.cause, at(file, e["cause"], "cause"));
      g.require(ed.effect, at(file, e["effect"], "effect"));
      bool c = static_cast<bool>(e["coefficient"]), el = static_cast<bool>(e["elasticity"]);
      if (c == el) fail(file, e, "coefficient", "an edge needs exactly one of 'coefficient' or 'elasticity'");
      ed.kind = c ? EdgeKind::linear : EdgeKind::elasticity;
      ed.coefficient = number(file, c ? e["coefficient"] : e["elasticity"], c ? "coefficient" : "elasticity");
      YAML::Node lag = e["lag"] ? e["lag"] : e["lag_days"];
      if (lag) {
        try {
          ed.lag_days = parse_days(scalar(file, lag, "lag"), "lag");
        } catch (const DataError& err) {
          fail(file, lag, "lag", err.what());
        }
      }
      if (e["confidence"]) {
        ed.confidence = number(file, e["confidence"], "confidence");
        if (ed.confidence < 0 || ed.confidence > 1) fail(file, e["confidence"], "confidence", "confidence must be in 0..1");
      }
      if (e["stddev"]) {
        ed.stddev = number(file, e["stddev"], "stddev");
        if (ed.stddev < 0) fail(file, e["stddev"], "stddev", "stddev must not be negative");
      }
      if (e["source"]) ed.source = scalar(file, e["source"], "source");
      if (e["fit_r2"]) ed.fit_r2 = number(file, e["fit_r2"], "fit_r2");
      if (ed.kind == EdgeKind::elasticity) {
        for (const auto* name : {&ed.cause, &ed.effect}) {
          if (g.metric(*name).baseline <= 0)
            fail(file, e, "elasticity", "elasticity edge needs a positive baseline for '" + *name + "'");
        }
      }
      g.edges.push_back(std::move(ed));
    }
  }
  return g;
}

Graph load_graph_file(const std::string& path) {
  if (path == "-") {
    std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return load_graph(s, "-");
  }
  return load_graph(text::read_file(path), path);
}

std::string graph_to_json(const Graph& g) {
  nlohmann::ordered_json j;
  j["metrics"] = nlohmann::ordered_json::array();
  for (const auto& m : g.metrics) {
    nlohmann::ordered_json o{{"name", m.name}, {"unit", m.unit}, {"baseline", m.baseline}};
    if (m.min) o["min"] = *m.min;
    if (m.max) o["max"] = *m.max;
    if (!m.description.empty()) o["description"] = m.description;
    j["metrics"].push_back(o);
  }
  j["edges"] = nlohmann::ordered_json::array();
  for (const auto& e : g.edges) {
    nlohmann::ordered_json o{{"cause", e.cause}, {"effect", e.effect}};
    o[e.kind == EdgeKind::linear ? "coefficient" : "elasticity"] = e.coefficient;
    o["lag"] = e.lag_days;
    o["confidence"] = e.confidence;
    if (e.stddev > 0) o["stddev"] = e.stddev;
    if (e.source != "import") o["source"] = e.source;
    if (e.fit_r2) o["fit_r2"] = *e.fit_r2;
    j["edges"].push_back(o);
  }
  return j.dump(2) + "\n";
}

}  // namespace opskit::sim

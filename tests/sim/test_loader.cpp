#include <catch2/catch.hpp>

#include "sim/loader.hpp"
#include "sim/validate.hpp"

using namespace opskit::sim;

TEST_CASE("YAML and JSON graphs load the same") {
  const char* yaml = R"(
metrics:
  - {name: spend, unit: EUR, baseline: 1000, min: 0}
  - {name: leads, baseline: 50}
edges:
  - {cause: spend, effect: leads, coefficient: 0.05, lag: 1w, confidence: 0.8, stddev: 0.01}
)";
  const char* json = R"({"metrics": [{"name": "spend", "unit": "EUR", "baseline": 1000, "min": 0},
    {"name": "leads", "baseline": 50}],
    "edges": [{"cause": "spend", "effect": "leads", "coefficient": 0.05, "lag": "7d", "confidence": 0.8, "stddev": 0.01}]})";
  Graph a = load_graph(yaml, "g.yaml"), b = load_graph(json, "g.json");
  CHECK(a.hash() == b.hash());
  CHECK(a.edges[0].lag_days == 7);
  Graph c = load_graph(graph_to_json(a), "round.json");
  CHECK(c.hash() == a.hash());
}

TEST_CASE("bad graphs name file, line, column and field") {
  auto err = [](const std::string& text) {
    try {
      load_graph(text, "bad.yaml");
    } catch (const opskit::DataError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(err("metrics: [ {name: a, baseline: 1}\nedges: ["), Catch::Contains("bad.yaml:") && Catch::Contains("malformed"));
  std::string unknown = err("metrics:\n  - {name: revenue, baseline: 1}\nedges:\n  - {cause: revenu, effect: revenue, coefficient: 1}\n");
  CHECK_THAT(unknown, Catch::Contains("bad.yaml:4:") && Catch::Contains("did you mean 'revenue'"));
  CHECK_THAT(err("metrics:\n  - {name: a, baseline: x}\n"), Catch::Contains("bad.yaml:2:") && Catch::Contains("baseline"));
  CHECK_THAT(err("metrics:\n  - {name: a, baseline: 1, colour: red}\n"), Catch::Contains("unknown field 'colour'"));
  CHECK_THAT(err("metrics:\n  - {name: a, baseline: 1}\n  - {name: a, baseline: 2}\n"), Catch::Contains("duplicate"));
  CHECK_THAT(err("metrics:\n  - {name: a, baseline: 1}\nedges:\n  - {cause: a, effect: a, coefficient: 1, elasticity: 2}\n"),
             Catch::Contains("exactly one"));
  CHECK_THAT(err("metrics:\n  - {name: a, baseline: 0}\n  - {name: b, baseline: 1}\nedges:\n  - {cause: a, effect: b, elasticity: 2}\n"),
             Catch::Contains("positive baseline"));
  CHECK_THAT(err("metrics:\n  - {name: a, baseline: 1}\nedges:\n  - {cause: a, effect: a, coefficient: 1, lag: soon}\n"),
             Catch::Contains("lag"));
  CHECK_THAT(err("[1, 2]"), Catch::Contains("expected a map"));
  CHECK_THAT(err(std::string(5000, '[')), Catch::Contains("bad.yaml"));
}

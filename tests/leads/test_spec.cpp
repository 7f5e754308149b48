#include <catch2/catch.hpp>

#include <sstream>

#include "leads/dataset.hpp"
#include "leads/spec.hpp"

using namespace opskit::leads;

TEST_CASE("spec: parses types, target and missing values", "[leads][spec]") {
  auto s = parse_spec(R"(
name: t
id: Id
target: {column: Won, positive: [yes]}
missing: ["", Select]
features:
  - {column: Age, type: numeric}
  - {column: Source, type: categorical, min_count: 3}
  - {column: Opt Out, type: boolean}
  - {column: Created, type: timestamp}
  - {column: Notes, type: text, keywords: [pricing, Demo]}
)",
                      "t.yaml");
  REQUIRE(s.features.size() == 5);
  CHECK(s.features[1].min_count == 3);
  CHECK(s.features[3].type == FeatureType::timestamp);
  CHECK(s.is_missing("Select"));
  CHECK(s.is_missing("  "));
  CHECK(s.is_positive("YES"));
  CHECK_FALSE(s.is_positive("no"));
  CHECK(FeatureSpec::from_json(s.to_json(), "x").hash() == s.hash());
}

TEST_CASE("spec: bad specs name the file, line and key", "[leads][spec]") {
  try {
    parse_spec("target: y\nfeatures:\n  - {column: a, type: weird}\n", "bad.yaml");
    FAIL("expected an error");
  } catch (const opskit::DataError& e) {
    CHECK(std::string(e.what()).find("bad.yaml:3") != std::string::npos);
    CHECK(std::string(e.what()).find("weird") != std::string::npos);
  }
  CHECK_THROWS_AS(parse_spec("features: []\n", "x.yaml"), opskit::DataError);
  CHECK_THROWS_AS(parse_spec("target: y\nfeatures:\n  - {column: y}\n", "x.yaml"), opskit::DataError);
  CHECK_THROWS_AS(parse_spec("target: y\nbogus: 1\nfeatures:\n  - {column: a}\n", "x.yaml"), opskit::DataError);
  CHECK_THROWS_AS(parse_spec("target: y\nfeatures:\n  - {column: t, type: text}\n", "x.yaml"), opskit::DataError);
}

TEST_CASE("dataset: parses cells, explicit missing, errors with location", "[leads][dataset]") {
  auto s = parse_spec(R"(
target: won
features:
  - {column: n, type: numeric}
  - {column: c, type: categorical}
  - {column: b, type: boolean}
  - {column: t, type: timestamp}
)",
                      "s.yaml");
  std::istringstream good("n,c,b,t,won\n1.5,x,yes,2026-11-01,1\n,,,,0\n");
  auto path = std::string();
  // Through a JSON-lines source as well as CSV below.
  auto js = json_source({nlohmann::json{{"n", 2}, {"c", "y"}, {"b", true}, {"t", "2026-11-21T00:00:00Z"}, {"won", "no"}}}, "mem");
  auto ds = read_dataset(*js, s, 1763769600 + 86400 * 365);  // some "now"
  REQUIRE(ds.size() == 1);
  CHECK(ds.num[0][0] == 2);
  CHECK(ds.num[2][0] == 1);
  CHECK(ds.target[0] == 0);

  auto bad = json_source({nlohmann::json{{"n", "abc"}, {"won", "1"}}}, "leads.jsonl");
  try {
    read_dataset(*bad, s, 0);
    FAIL("expected an error");
  } catch (const opskit::DataError& e) {
    CHECK(std::string(e.what()).find("leads.jsonl") != std::string::npos);
    CHECK(std::string(e.what()).find("'n'") != std::string::npos);
  }
  auto missing = json_source({nlohmann::json{{"won", "1"}}}, "m");
  auto m = read_dataset(*missing, s, 0);
  CHECK(std::isnan(m.num[0][0]));
  CHECK(m.str[1][0].empty());
}

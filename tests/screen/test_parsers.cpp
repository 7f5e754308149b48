#include <catch2/catch.hpp>

#include <sstream>

#include "fixtures.hpp"
#include "screen/parsers.hpp"
#include "test_paths.hpp"

using namespace opskit;
using namespace opskit::screen;

static const Entity& find(const ListLoad& l, const std::string& uid) {
  for (const auto& e : l.entities)
    if (e.uid == uid) return e;
  FAIL("no entity " << uid);
  throw 0;
}

TEST_CASE("OFAC legacy files: primary, aliases, addresses, comments, remarks", "[screen][parsers]") {
  std::string dir = test::temp_dir("ofac");
  testing::write_fixture_lists(dir);
  auto load = load_list_file(dir + "/ofac_sdn/sdn.csv");
  CHECK(load.list == "ofac_sdn");
  REQUIRE(load.entities.size() == 7);
  CHECK(load.sha256.size() == 64);
  const auto& k = find(load, "101");
  CHECK(k.type == EntityType::individual);
  CHECK(k.primary_name == "AL-ZARQAWI, Karim Yusuf");
  REQUIRE(k.names.size() == 3);
  CHECK(k.names[1].text == "AL-ZARKAWI, Karim");
  CHECK(k.names[1].strength == NameStrength::strong);
  CHECK(k.names[2].text == "ABU KARIM");
  CHECK(k.names[2].strength == NameStrength::weak);
  CHECK(k.dates_of_birth == std::vector<std::string>{"14 Feb 1966"});
  CHECK(k.nationalities == std::vector<std::string>{"Jordan"});
  REQUIRE(k.identifiers.size() == 1);
  CHECK(k.identifiers[0].type == "passport");
  CHECK(k.identifiers[0].value == "Z123456");
  CHECK(k.identifiers[0].country == "Jordan");
  CHECK(k.countries == std::vector<std::string>{"Jordan"});
  const auto& v = find(load, "103");
  CHECK(v.type == EntityType::vessel);
  CHECK(v.identifiers.at(0).type == "imo");
  CHECK(v.identifiers.at(0).value == "9187629");
  CHECK(find(load, "104").remarks.find("POPULAR FRONT") != std::string::npos);
  CHECK(find(load, "107").primary_name == "MÜLLER, Jürgen");  // Latin-1 converted
}

TEST_CASE("OFAC: a malformed file names file, line and field", "[screen][parsers]") {
  std::stringstream bad("101,\"A\",\"individual\",\"X\",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\r\nabc,\"B\",-0-,\"X\",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\r\n");
  std::vector<Entity> out;
  try {
    parse_ofac_primary(bad, "sdn.csv", out);
    FAIL("no error");
  } catch (const DataError& e) {
    CHECK(std::string(e.what()).find("sdn.csv:2:") != std::string::npos);
    CHECK(std::string(e.what()).find("ent_num") != std::string::npos);
  }
  std::stringstream truncated("101,\"AL-ZARQAWI, Karim\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 19");
  CHECK_THROWS_AS(parse_ofac_primary(truncated, "sdn.csv", out), DataError);
  std::stringstream short_row("101,\"A\",\"individual\"\r\n");
  CHECK_THROWS_WITH(parse_ofac_primary(short_row, "sdn.csv", out), Catch::Contains("sdn.csv:1"));
  std::stringstream bad_type("101,\"A\",\"spaceship\",\"X\",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\r\n");
  CHECK_THROWS_WITH(parse_ofac_primary(bad_type, "sdn.csv", out), Catch::Contains("SDN_Type"));
}

TEST_CASE("UN XML: names, original script, aliases by quality, documents", "[screen][parsers]") {
  auto load = parse_un_xml(testing::fixture_un_xml(), "un.xml");
  CHECK(load.published == "2026-01-15T00:00:00Z");
  REQUIRE(load.entities.size() == 2);
  const auto& a = find(load, "QDi.900");
  CHECK(a.primary_name == "ABDUL RAHMAN AL-HAMADI");
  REQUIRE(a.names.size() == 4);
  CHECK(a.names[1].kind == "original script");
  CHECK(a.names[3].strength == NameStrength::weak);
  CHECK(a.identifiers.at(0).value == "YE0099887");
  CHECK(a.dates_of_birth.at(0) == "1975-05-01");
  CHECK(find(load, "QDe.900").countries.at(0) == "Pakistan");
}

TEST_CASE("UN XML: malformed and truncated files fail with line and column", "[screen][parsers]") {
  std::string xml = testing::fixture_un_xml();
  std::string truncated = xml.substr(0, xml.size() / 2);
  try {
    parse_un_xml(truncated, "un.xml");
    FAIL("no error");
  } catch (const DataError& e) {
    CHECK(std::string(e.what()).find("un.xml:") != std::string::npos);
  }
  CHECK_THROWS_AS(parse_un_xml("<other/>", "x.xml"), DataError);
  CHECK_THROWS_AS(parse_un_xml("<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><FIRST_NAME>X</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>", "x.xml"), DataError);
}

TEST_CASE("UK CSV: blank names are counted, not fatal - bad types are", "[screen][parsers]") {
  std::stringstream in(testing::fixture_uk_csv());
  auto load = parse_uk_csv(in, "UK_Sanctions_List_2025-08-11.csv");
  CHECK(load.published == "2025-08-11");
  CHECK(load.entities.size() == 2);
  CHECK(load.skipped == 1);
  std::stringstream bad("Unique ID,Name,Type\nX1,Someone,Martian\n");
  CHECK_THROWS_WITH(parse_uk_csv(bad, "uk.csv"), Catch::Contains("uk.csv:2:") && Catch::Contains("Type"));
  std::stringstream missing("Unique ID,Type\nX1,Entity\n");
  CHECK_THROWS_WITH(parse_uk_csv(missing, "uk.csv"), Catch::Contains("Name"));
}

TEST_CASE("EU CSV: rows grouped by logical id", "[screen][parsers]") {
  std::stringstream in(testing::fixture_eu_csv());
  auto load = parse_eu_csv(in, "eu.csv");
  CHECK(load.published == "2026-01-10");
  REQUIRE(load.entities.size() == 2);
  CHECK(load.entities[0].names.size() == 2);
  CHECK(load.entities[0].type == EntityType::individual);
  CHECK(load.entities[1].type == EntityType::entity);
}

TEST_CASE("discovery finds every list in a directory", "[screen][parsers]") {
  std::string dir = test::temp_dir("disc");
  testing::write_fixture_lists(dir);
  auto found = discover_lists(dir);
  REQUIRE(found.size() == 5);
  CHECK(found[0].first == "ofac_sdn");
  CHECK(found[1].first == "ofac_cons");
  CHECK(found[2].first == "un");
  CHECK(found[3].first == "uk");
  CHECK(found[4].first == "eu");
  CHECK_THROWS_AS(discover_lists(dir + "/nope"), DataError);
}

TEST_CASE("entity documents round-trip", "[screen][parsers]") {
  std::string dir = test::temp_dir("rt");
  testing::write_fixture_lists(dir);
  for (const auto& e : testing::fixture_entities(dir)) {
    auto back = Entity::from_json(e.to_json());
    CHECK(back.content_hash() == e.content_hash());
  }
  CHECK_THROWS_AS(Entity::from_json(nlohmann::json::object()), DataError);
}

TEST_CASE("real lists parse whole", "[screen][parsers][real]") {
  std::string dir = test::shared_data("sanctions");
  if (dir.empty()) {
    WARN("../shared/data/sanctions not found: skipping the real-list parse test");
    return;
  }
  size_t total = 0;
  for (const auto& [list, path] : discover_lists(dir)) {
    auto load = load_list_file(path, list);
    CHECK(load.entities.size() > 100);
    total += load.entities.size();
    if (list == "ofac_sdn") CHECK(load.entities.size() == 14965);
    if (list == "un") CHECK(load.entities.size() == 1003);
  }
  CHECK(total > 20000);
}

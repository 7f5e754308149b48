#include <catch2/catch.hpp>

#include <sstream>

#include "core/jsonl.hpp"

using namespace opskit;

TEST_CASE("jsonl reads one value per line and skips blank lines") {
  std::istringstream in("{\"a\":1}\n\n{\"a\":2}\r\n");
  jsonl::Reader r(in, "x.jsonl");
  nlohmann::json v;
  REQUIRE(r.next(v));
  CHECK(v["a"] == 1);
  REQUIRE(r.next(v));
  CHECK(v["a"] == 2);
  CHECK(r.line() == 3);
  CHECK_FALSE(r.next(v));
}

TEST_CASE("jsonl errors carry file, line and column") {
  std::istringstream in("{\"a\":1}\n{\"a\": tru}\n");
  jsonl::Reader r(in, "x.jsonl");
  nlohmann::json v;
  REQUIRE(r.next(v));
  try {
    r.next(v);
    FAIL("no error");
  } catch (const DataError& e) {
    CHECK(e.where().line == 2);
    CHECK(e.where().column > 0);
    CHECK(std::string(e.what()).rfind("x.jsonl:2:", 0) == 0);
  }
}

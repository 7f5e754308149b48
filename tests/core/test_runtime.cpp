#include <catch2/catch.hpp>

#include <set>

#include "core/error.hpp"
#include "core/runtime.hpp"
#include "core/text.hpp"

using namespace opskit;

TEST_CASE("shards partition keys: disjoint, complete, stable") {
  std::vector<Shard> shards;
  for (uint32_t k = 0; k < 4; ++k) shards.push_back(Shard::parse(std::to_string(k) + "/4"));
  std::vector<int> per(4, 0);
  for (int i = 0; i < 10000; ++i) {
    std::string key = "row-" + std::to_string(i);
    int owners = 0;
    for (uint32_t k = 0; k < 4; ++k)
      if (shards[k].owns(key)) {
        ++owners;
        ++per[k];
      }
    REQUIRE(owners == 1);
  }
  for (int n : per) CHECK(n > 2200);
  CHECK(stable_hash("abc") == 0xe71fa2190541574bULL);  // FNV-1a 64 reference value
  CHECK_THROWS_AS(Shard::parse("4/4"), UsageError);
  CHECK_THROWS_AS(Shard::parse("x"), UsageError);
  CHECK(Shard::parse("0/1").all());
}

TEST_CASE("ISO-8601 round trip and offsets") {
  int64_t t;
  REQUIRE(parse_iso8601("2026-11-22T03:20:00Z", t));
  CHECK(t == 1795317600);
  CHECK(format_iso8601(t) == "2026-11-22T03:20:00Z");
  REQUIRE(parse_iso8601("2026-11-22T05:20:00+02:00", t));
  CHECK(t == 1795317600);
  REQUIRE(parse_iso8601("1970-01-02", t));
  CHECK(t == 86400);
  CHECK_FALSE(parse_iso8601("2026-13-01", t));
  CHECK_FALSE(parse_iso8601("yesterday", t));
  CHECK(Clock(1795317600).now_iso() == "2026-11-22T03:20:00Z");
}

TEST_CASE("utf8 validation rejects overlongs, surrogates and truncation") {
  CHECK(text::valid_utf8("plain ascii and caf\xc3\xa9 and \xe2\x82\xac"));
  size_t bad = 0;
  CHECK_FALSE(text::valid_utf8("ab\xc0\xaf", &bad));
  CHECK(bad == 2);
  CHECK_FALSE(text::valid_utf8("\xed\xa0\x80"));
  CHECK_FALSE(text::valid_utf8("\xe2\x82"));
  CHECK_FALSE(text::valid_utf8("\xf4\x90\x80\x80"));
}

TEST_CASE("seeded random sources repeat") {
  Random a(7), b(7);
  for (int i = 0; i < 5; ++i) CHECK(a.uniform() == b.uniform());
}

#include <catch2/catch.hpp>

#include <sstream>

#include "core/csv.hpp"

using namespace opskit;

namespace {
std::vector<std::vector<std::string>> read_all(const std::string& text, csv::Options o = {}) {
  std::istringstream in(text);
  csv::Reader r(in, "mem.csv", o);
  std::vector<std::vector<std::string>> rows;
  csv::Record rec;
  while (r.next(rec)) {
    std::vector<std::string> row;
    for (size_t i = 0; i < rec.size(); ++i) row.emplace_back(rec[i]);
    rows.push_back(row);
  }
  return rows;
}
std::string error_of(const std::string& text, csv::Options o = {}) {
  try {
    read_all(text, o);
  } catch (const DataError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("csv reads RFC 4180 quoting, embedded separators, quotes and newlines") {
  auto rows = read_all("id,name,note\r\n1,\"Smith, John\",\"said \"\"hi\"\"\"\r\n2,\"multi\nline\",x\r\n");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == std::vector<std::string>{"1", "Smith, John", "said \"hi\""});
  CHECK(rows[1] == std::vector<std::string>{"2", "multi\nline", "x"});
}

TEST_CASE("csv strips a UTF-8 BOM and maps header names") {
  std::istringstream in("\xEF\xBB\xBFid;name\n7;Ana\n");
  csv::Options o;
  o.separator = ';';
  csv::Reader r(in, "bom.csv", o);
  REQUIRE(r.header() == std::vector<std::string>{"id", "name"});
  csv::Record rec;
  REQUIRE(r.next(rec));
  CHECK(rec["name"] == "Ana");
  CHECK(rec["id"] == "7");
  CHECK_FALSE(rec.get("missing").has_value());
  CHECK_THROWS_AS(rec["missing"], DataError);
  CHECK_FALSE(r.next(rec));
}

TEST_CASE("csv handles a last line without newline and skips blank lines") {
  auto rows = read_all("a,b\n1,2\n\n3,4");
  REQUIRE(rows.size() == 2);
  CHECK(rows[1] == std::vector<std::string>{"3", "4"});
}

TEST_CASE("csv errors name file, line and column") {
  CHECK(error_of("a,b\n1,2\n3\n") == "mem.csv:3: expected 2 fields, found 1");
  CHECK(error_of("a,b\n1,\"open\n2,3\n") == "mem.csv:2:3: field 'b': unterminated quoted field");
  CHECK(error_of("a,b\n1,\"x\"y\n") == "mem.csv:2:6: field 'b': unexpected character after a closing quote");
  CHECK(error_of("a,b\n1,\xff\xfe\n") == "mem.csv:2:3: field 'b': invalid UTF-8");
}

TEST_CASE("csv keeps line numbers across quoted newlines") {
  CHECK(error_of("a,b\n1,\"x\ny\"\n2\n") == "mem.csv:4: expected 2 fields, found 1");
}

TEST_CASE("csv reads fields longer than its buffer") {
  std::string big(3 << 20, 'x');
  auto rows = read_all("a,b\n\"" + big + "\"," + big + "\n");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0].size() == big.size());
  CHECK(rows[0][1].size() == big.size());
}

TEST_CASE("csv trailing separator column can be dropped") {
  csv::Options o;
  o.trim_trailing_empty = true;
  auto rows = read_all("a,b,\n1,2,\n", o);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].size() == 2);
}

TEST_CASE("csv escape quotes and neutralises formulas") {
  CHECK(csv::escape("plain") == "plain");
  CHECK(csv::escape("a,b") == "\"a,b\"");
  CHECK(csv::escape("say \"x\"") == "\"say \"\"x\"\"\"");
  CHECK(csv::escape("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"");
  CHECK(csv::escape("@SUM(A1)") == "'@SUM(A1)");
  CHECK(csv::escape("-12.5") == "-12.5");
  CHECK(csv::escape("+1 cmd") == "'+1 cmd");
  CHECK(csv::split_line("a,\"b,c\",d") == std::vector<std::string>{"a", "b,c", "d"});
}

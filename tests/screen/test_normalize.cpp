#include <catch2/catch.hpp>

#include "screen/normalize.hpp"

using namespace opskit::screen;

static std::string keys(const std::vector<NormalizedName>& v) {
  std::string s;
  for (const auto& n : v) s += (s.empty() ? "" : "|") + n.key();
  return s;
}

TEST_CASE("ASCII names are split, joined and tagged", "[screen][normalize]") {
  auto n = tokenize_ascii("AL-ASSAD, Dr. Bashar O'Neil S.A.");
  REQUIRE(n.key() == "al assad dr bashar oneil sa");
  CHECK(n.tokens[0].tag == TokenTag::particle);
  CHECK(n.tokens[2].tag == TokenTag::honorific);
  CHECK(n.tokens[5].tag == TokenTag::legal);
  CHECK(n.tokens[5].legal == "sa");
}

TEST_CASE("legal forms share one class across languages", "[screen][normalize]") {
  CHECK(tokenize_ascii("Emma LLC").legal_class() == "llc");
  CHECK(tokenize_ascii("OOO Emma").legal_class() == "llc");
  CHECK(tokenize_ascii("Emma Limited Liability Company").legal_class() == "llc");
  CHECK(tokenize_ascii("Emma GmbH").legal_class() == "llc");
  CHECK(tokenize_ascii("Sovcomflot PAO").legal_class() == "jsc");
  CHECK(tokenize_ascii("Sovcomflot Public Joint Stock Company").legal_class() == "jsc");
  CHECK(tokenize_ascii("Acme Ltd").legal_class() == "ltd");
  CHECK(tokenize_ascii("Acme Limited").legal_class() == "ltd");
  // The legal form is kept as a token, not dropped.
  CHECK(tokenize_ascii("Emma Limited Liability Company").key() == "emma limitedliabilitycompany");
}

TEST_CASE("a name of only tagged words keeps them as its core", "[screen][normalize]") {
  auto n = tokenize_ascii("AL");
  REQUIRE(n.tokens.size() == 1);
  CHECK(n.tokens[0].tag == TokenTag::core);
}

TEST_CASE("numbers are tagged", "[screen][normalize]") {
  auto n = tokenize_ascii("Northern Light 7");
  CHECK(n.tokens[2].tag == TokenTag::number);
}

TEST_CASE("Cyrillic gets ICU and BGN romanisations", "[screen][normalize]") {
  Normalizer norm;
  auto v = norm.normalize("Сергей Лавров");
  CHECK(keys(v) == "sergej lavrov|sergey lavrov");
  CHECK(v[0].transliterated);
}

TEST_CASE("diacritics, Greek and compatibility forms fold to ASCII", "[screen][normalize]") {
  Normalizer norm;
  CHECK(norm.normalize_one("Jürgen MÜLLER").key() == "jurgen muller");
  CHECK(norm.normalize_one("Ｆｕｌｌｗｉｄｔｈ").key() == "fullwidth");
  CHECK(norm.normalize_one("Αλέξανδρος").key() == "alexandros");
  CHECK(!norm.normalize_one("Արամ").key().empty());   // Armenian
  CHECK(!norm.normalize_one("გიორგი").key().empty());  // Georgian
}

TEST_CASE("bad input never throws", "[screen][normalize]") {
  Normalizer norm;
  CHECK(norm.normalize_one("").tokens.empty());
  CHECK(norm.normalize_one(std::string("ab\xff\xfe" "cd")).key().size() >= 2);
  std::string big(10 * 1024, 'a');
  big[5000] = ' ';
  auto n = norm.normalize_one(big);
  CHECK(!n.tokens.empty());
  std::string big_utf8;
  for (int i = 0; i < 3000; ++i) big_utf8 += "ж";
  CHECK(!norm.normalize_one(big_utf8).tokens.empty());
}

TEST_CASE("phonetic keys fold romanisation differences", "[screen][normalize]") {
  CHECK(phonetic_key("mohammed") == phonetic_key("muhammad"));
  CHECK(phonetic_key("akhmed") == phonetic_key("ahmed"));
  CHECK(phonetic_key("yevgeny") == phonetic_key("evgeniy"));
  CHECK(phonetic_key("tchernov") == phonetic_key("chernov"));
  CHECK(phonetic_key("aleksandr") == phonetic_key("alexander"));
  CHECK(phonetic_key("bush") != phonetic_key("habash"));
}

TEST_CASE("edit distance with a limit and the length allowance", "[screen][normalize]") {
  CHECK(edit_distance("habash", "habash", 2) == 0);
  CHECK(edit_distance("habash", "habsah", 2) == 1);  // one transposition
  CHECK(edit_distance("habash", "hbasah", 2) == 2);
  CHECK(edit_distance("abcd", "bacd", 1) == 1);  // transposition
  CHECK(edit_distance("kitten", "sitting", 2) == 3);  // over the limit: limit + 1
  CHECK(edit_allowance(3) == 0);
  CHECK(edit_allowance(5) == 1);
  CHECK(edit_allowance(8) == 2);
  CHECK(edit_allowance(12) == 3);
}

TEST_CASE("given-name families", "[screen][normalize]") {
  CHECK(variant_family("sergei") != 0);
  CHECK(variant_family("sergei") == variant_family("sergey"));
  CHECK(variant_family("mohammed") == variant_family("muhammad"));
  CHECK(variant_family("sergei") != variant_family("mohammed"));
  CHECK(variant_family("zzzz") == 0);
}

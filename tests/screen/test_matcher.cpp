#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "screen/matcher.hpp"
#include "test_paths.hpp"

using namespace opskit;
using namespace opskit::screen;

namespace {

Matcher& fixture_matcher() {
  static Matcher m = [] {
    std::string dir = test::temp_dir("matcher");
    testing::write_fixture_lists(dir);
    return Matcher(testing::fixture_entities(dir));
  }();
  return m;
}

std::optional<Match> top(const std::string& name, Query q = {}) {
  q.name = name;
  MatchOptions o;
  o.min_score = 0;
  auto r = fixture_matcher().match(q, o);
  if (r.empty()) return std::nullopt;
  return r.front();
}

double score_for(const std::string& name, const std::string& uid, Query q = {}) {
  q.name = name;
  MatchOptions o;
  o.min_score = 0;
  o.limit = 50;
  for (const auto& m : fixture_matcher().match(q, o))
    if (m.uid == uid) return m.score;
  return 0;
}

}  // namespace

TEST_CASE("exact and reordered names score 100", "[screen][matcher]") {
  CHECK(score_for("AL-ZARQAWI, Karim Yusuf", "101") == Approx(100));
  CHECK(score_for("Karim Yusuf al-Zarqawi", "101") == Approx(100));
  CHECK(score_for("Karim Yusuf Alzarqawi", "101") >= 95);  // joined particle
}

TEST_CASE("variants, typos, translit, titles and dropped parts stay above review", "[screen][matcher]") {
  Thresholds t;
  CHECK(score_for("Karim Yousef Al-Zarqawi", "101") >= t.review);  // variant family
  CHECK(score_for("Karim Yusuf Al-Zarqavi", "101") >= t.review);   // one edit
  CHECK(score_for("Dr. Karim Al-Zarqawi", "101") >= t.review);     // title, dropped part
  CHECK(score_for("Сергей Петров", "106") >= t.review);            // Cyrillic
  CHECK(score_for("Sergey Ivanovich Petrov", "106") >= t.review);
  CHECK(score_for("Juergen Mueller", "107") >= t.review);          // German transcription
  CHECK(score_for("Abdulrahman Al Hamadi", "QDi.900") >= t.review);  // joined parts
  CHECK(score_for("عبد الرحمن الحمادي", "QDi.900") >= t.review);    // original script
}

TEST_CASE("explanations name the list, the name and each part's reason", "[screen][matcher]") {
  auto m = top("Karim Yousef Al-Zarqavi");
  REQUIRE(m);
  CHECK(m->list == "ofac_sdn");
  CHECK(m->uid == "101");
  auto j = m->explanation();
  CHECK(j["name_strength"] == "primary");
  bool variant = false, edits = false;
  for (const auto& a : j["alignment"]) {
    variant = variant || a["reason"] == "variant";
    edits = edits || a["reason"].get<std::string>().find("edit") != std::string::npos;
  }
  CHECK(variant);
  CHECK(edits);
  CHECK(j["factors"].size() >= 2);
}

TEST_CASE("look-alikes carried by common words stay below review", "[screen][matcher]") {
  Thresholds t;
  CHECK(score_for("George Bush", "104") < t.review);
  CHECK(score_for("Karim Smith", "101") < t.review);
  CHECK(score_for("EMMA TRADING LLC", "105") < t.review);
  CHECK(score_for("Emma LLC", "105") >= t.block);  // the listed company itself
  CHECK(score_for("Emma Limited Liability Company", "105") >= t.block);
}

TEST_CASE("numbers in vessel names must match exactly", "[screen][matcher]") {
  Thresholds t;
  CHECK(score_for("Northern Light 7", "103") >= t.block);
  CHECK(score_for("MV Northern Light 7", "103") >= t.block);
  CHECK(score_for("Northern Light 8", "103") < t.review);
}

TEST_CASE("an exact identifier is decisive", "[screen][matcher]") {
  Query q;
  q.identifier = "IMO 9187629";
  auto r = fixture_matcher().match(q);
  REQUIRE(!r.empty());
  CHECK(r[0].uid == "103");
  CHECK(r[0].score == 100);
  q.identifier = "Z123456";
  CHECK(fixture_matcher().match(q).at(0).uid == "101");
}

TEST_CASE("date of birth, country and type move the score", "[screen][matcher]") {
  Query good, bad, type;
  good.dob = "1966-02-14";
  bad.dob = "1990";
  double base = score_for("Karim Al-Zarqawi", "101");
  CHECK(score_for("Karim Al-Zarqawi", "101", good) > base);
  CHECK(score_for("Karim Al-Zarqawi", "101", bad) < base);
  type.type = "vessel";
  CHECK(score_for("Karim Al-Zarqawi", "101", type) < base);
  Query country;
  country.country = "Jordan";
  CHECK(score_for("Karim Al-Zarqawi", "101", country) > base);
}

TEST_CASE("empty, huge and invalid names do not crash", "[screen][matcher]") {
  CHECK(!top(""));
  CHECK(!top("!!!"));
  std::string huge(10 * 1024, 'x');
  CHECK_NOTHROW(top(huge));
  CHECK_NOTHROW(top(std::string("\xff\xfe\xfd")));
}

TEST_CASE("status from score and thresholds", "[screen][matcher]") {
  Thresholds t{70, 90};
  CHECK(status_for(69.9, t) == Status::clear);
  CHECK(status_for(70, t) == Status::flagged);
  CHECK(status_for(90, t) == Status::blocked);
  CHECK(std::string(status_name(Status::flagged)) == "FLAGGED");
}

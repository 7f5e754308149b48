// The fast paths must not change an answer: the pruned matcher (a name that
// cannot reach min_score is dropped before full scoring) against the
// reference that scores every candidate in full, and the ASCII shortcut of
// normalisation against the ICU path, on the real lists.
#include <catch2/catch.hpp>

#include "labelled_set.hpp"
#include "screen/matcher.hpp"
#include "screen/parsers.hpp"
#include "test_paths.hpp"

using namespace opskit;
using namespace opskit::screen;

namespace {

std::vector<Entity> real_entities() {
  std::vector<Entity> all;
  std::string dir = test::shared_data("sanctions");
  if (dir.empty()) return all;
  for (const auto& [list, path] : discover_lists(dir))
    for (auto& e : load_list_file(path, list).entities) all.push_back(std::move(e));
  return all;
}

// Everything a decision keeps of a match, explanation included.
std::string digest(const std::vector<Match>& r) {
  std::string s;
  for (const auto& m : r) s += m.list + "/" + m.uid + " " + m.matched_name + " " + m.explanation().dump() + "\n";
  return s;
}

}  // namespace

TEST_CASE("pruned matching gives the reference's matches, scores and explanations", "[screen][accuracy][real]") {
  auto all = real_entities();
  if (all.empty()) {
    WARN("../shared/data/sanctions not found: skipping the fast-path test");
    return;
  }
  Matcher m(std::move(all));
  Thresholds t;
  m.set_thresholds(t);
  // Listed names and their variants, look-alikes, and customer-like names
  // that are all distinct (the batch bench's kind), each bare and with the
  // DOB and country that move a score.
  std::vector<std::string> names;
  for (const auto& c : testing::make_labelled_set(m.entities(), 150, 23)) names.push_back(c.query);
  static const char* given[] = {"james", "maria", "omar", "anna", "ivan", "fatima", "yusuf", "olga", "ali", "emma"};
  static const char* family[] = {"fernandes", "kowalski", "nguyen", "hassan", "okafor", "petrov", "dubois", "rahman"};
  const std::string c = "bcdfghjklmnprstvz", v = "aeiou";
  for (int i = 0; i < 2000; ++i) {
    std::string w;
    for (int x = i; x > 0 || w.empty(); x /= 85) w += std::string(1, c[x % 17]) + v[(x / 17) % 5];
    names.push_back(std::string(given[i % 10]) + " " + w + " " + family[(i / 10) % 8]);
  }
  size_t compared = 0, hits = 0;
  for (const auto& name : names) {
    for (int variant = 0; variant < 2; ++variant) {
      Query q;
      q.name = name;
      if (variant) {
        q.dob = "1970-01-01";
        q.country = "Iran";
      }
      for (double min_score : {50.0, t.review}) {
        MatchOptions fast;  // as a batch decision asks
        fast.min_score = min_score;
        fast.explain_min = t.review;
        fast.limit = 5;
        MatchOptions ref = fast;
        ref.prune = false;
        auto a = m.match(q, fast), b = m.match(q, ref);
        REQUIRE(a.size() == b.size());
        for (size_t i = 0; i < a.size(); ++i) {
          INFO(name << " / " << q.country << " min " << min_score);
          REQUIRE(a[i].score == b[i].score);  // exactly: same arithmetic
        }
        REQUIRE(digest(a) == digest(b));
        ++compared;
        hits += !a.empty();
      }
    }
  }
  INFO(compared << " queries compared, " << hits << " with matches");
  CHECK(compared >= 10000);
  CHECK(hits >= 1000);  // the comparison covers real matches, not only empty answers
}

TEST_CASE("the ASCII shortcut of normalisation equals the ICU path", "[screen][normalize][real]") {
  auto all = real_entities();
  if (all.empty()) {
    WARN("../shared/data/sanctions not found: skipping the ASCII shortcut test");
    return;
  }
  Normalizer n;
  size_t compared = 0;
  for (const auto& e : all)
    for (const auto& name : e.names) {
      bool ascii = true;
      for (char ch : name.text) ascii = ascii && static_cast<unsigned char>(ch) < 0x80;
      if (!ascii) continue;
      auto fast = n.normalize(name.text), icu = n.normalize_unicode(name.text);
      REQUIRE(fast.size() == 1);
      REQUIRE(icu.size() == 1);
      INFO(name.text);
      REQUIRE(fast[0].tokens.size() == icu[0].tokens.size());
      for (size_t i = 0; i < fast[0].tokens.size(); ++i) {
        REQUIRE(fast[0].tokens[i].text == icu[0].tokens[i].text);
        REQUIRE(fast[0].tokens[i].tag == icu[0].tokens[i].tag);
        REQUIRE(fast[0].tokens[i].legal == icu[0].tokens[i].legal);
      }
      REQUIRE(fast[0].transliterated == icu[0].transliterated);
      ++compared;
    }
  CHECK(compared >= 40000);
}

// Accuracy on a labelled set generated from the real lists (seeded): recall
// of true variants at the FLAGGED threshold and look-alikes left CLEAR.
#include <catch2/catch.hpp>

#include <map>

#include "labelled_set.hpp"
#include "screen/matcher.hpp"
#include "screen/parsers.hpp"
#include "test_paths.hpp"

using namespace opskit;
using namespace opskit::screen;

TEST_CASE("recall >= 99% on true variants, >= 95% of look-alikes CLEAR", "[screen][accuracy][real]") {
  std::string dir = test::shared_data("sanctions");
  if (dir.empty()) {
    WARN("../shared/data/sanctions not found: skipping the accuracy test");
    return;
  }
  std::vector<Entity> all;
  for (const auto& [list, path] : discover_lists(dir))
    for (auto& e : load_list_file(path, list).entities) all.push_back(std::move(e));
  Matcher m(std::move(all));
  Thresholds t;
  m.set_thresholds(t);
  auto set = testing::make_labelled_set(m.entities(), 100, 7);
  std::map<std::string, std::pair<int, int>> by_kind;
  int found = 0, variants = 0, clear = 0, lookalikes = 0;
  MatchOptions o;
  o.min_score = 0;
  for (const auto& c : set) {
    Query q;
    q.name = c.query;
    auto r = m.match(q, o);
    bool ok = false;
    if (c.uid.empty()) {
      ok = r.empty() || r[0].score < t.review;
      ++lookalikes;
      clear += ok;
    } else {
      for (const auto& x : r) ok = ok || (x.list == c.list && x.uid == c.uid && x.score >= t.review);
      ++variants;
      found += ok;
    }
    by_kind[c.kind].first += ok;
    by_kind[c.kind].second += 1;
    if (!ok) UNSCOPED_INFO("miss " << c.kind << ": " << c.query);
  }
  for (const auto& [k, v] : by_kind) UNSCOPED_INFO(k << " " << v.first << "/" << v.second);
  const double recall = static_cast<double>(found) / variants, clear_rate = static_cast<double>(clear) / lookalikes;
  INFO("recall " << recall << " look-alikes clear " << clear_rate);
  CHECK(variants >= 900);
  CHECK(lookalikes >= 150);
  CHECK(recall >= 0.99);
  CHECK(clear_rate >= 0.95);
}

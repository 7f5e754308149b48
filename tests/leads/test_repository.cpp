// The leads repository against both backends (SQLite always, PostgreSQL when the fixture is up).
#include <catch2/catch.hpp>

#include "leads/repository.hpp"
#include "pg_harness.hpp"
#include "store/store.hpp"

using namespace opskit;
using namespace opskit::leads;

namespace {
LeadRecord lead(const std::string& id, int visits, std::optional<int> outcome) {
  LeadRecord l;
  l.external_id = id;
  l.fields = {{"id", id}, {"visits", std::to_string(visits)}};
  l.fields_hash = "h" + std::to_string(visits);
  l.outcome = outcome;
  l.source = "test";
  return l;
}
}  // namespace

TEST_CASE("leads repository: upserts, scores, qualify, models, drift, segments", "[leads][repository]") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(url);
    auto db = store::Database::open(url);
    db->add_tenant("acme", "Acme");
    db->add_tenant("other", "Other");
    auto s = db->session("acme");
    Repository repo(*s);
    s->transaction([&] {
      auto w = repo.lead_writer(false);
      w->add(lead("L1", 3, 1), "2026-11-22T00:00:00Z");
      w->add(lead("L2", 9, 0), "2026-11-22T00:00:00Z");
      w->add(lead("L3", 1, std::nullopt), "2026-11-22T00:00:00Z");
      w->flush();
    });
    // Re-import is an upsert, not a duplicate.
    s->transaction([&] {
      auto w = repo.lead_writer(false);
      w->add(lead("L1", 3, 1), "2026-11-22T01:00:00Z");
      w->flush();
    });
    CHECK(repo.count_leads() == 3);
    CHECK(repo.labelled_fields().size() == 2);
    // Tenant isolation.
    auto other = db->session("other");
    CHECK(Repository(*other).count_leads() == 0);

    std::vector<std::string> seen;
    repo.for_each_unscored("lin-1", 2, [&](const std::vector<LeadRecord>& b) {
      for (const auto& l : b) seen.push_back(l.external_id);
    });
    CHECK(seen == std::vector<std::string>{"L1", "L2", "L3"});
    s->transaction([&] {
      auto w = repo.lead_writer(true);
      w->add_scored(lead("L1", 3, 1), {"L1", 80, 0.8, "lin-1", "[]", "h3"}, "2026-11-22T02:00:00Z");
      w->add_scored(lead("L2", 9, 0), {"L2", 20, 0.2, "lin-1", "[]", "h9"}, "2026-11-22T02:00:00Z");
      w->flush();
      CHECK(repo.qualify(50) == 1);
    });
    seen.clear();
    repo.for_each_unscored("lin-1", 100, [&](const std::vector<LeadRecord>& b) {
      for (const auto& l : b) seen.push_back(l.external_id);
    });
    CHECK(seen == std::vector<std::string>{"L3"});
    auto st = s->query("SELECT status, score, outcome FROM leads WHERE tenant_id = $1 AND external_id = 'L1'");
    REQUIRE(st.size() == 1);
    CHECK(st[0].text(0) == "qualified");
    CHECK(st[0].integer(1) == 80);
    CHECK(st[0].integer(2) == 1);  // outcome kept by scoring

    ModelRow m{"lin-1", "linear", "spec", "sh", "dh", "{}", "2026-11-22T00:00:00Z", "", 10, false};
    repo.insert_model(m, "{\"x\":1}");
    repo.insert_model(m, "{\"x\":1}");  // idempotent
    m.version = "gbdt-2";
    repo.insert_model(m, "{\"x\":2}");
    CHECK(repo.models().size() == 2);
    CHECK_FALSE(repo.promoted_version());
    repo.promote("lin-1", "2026-11-22T03:00:00Z");
    repo.promote("gbdt-2", "2026-11-22T04:00:00Z");
    CHECK(repo.promoted_version() == std::optional<std::string>("gbdt-2"));
    CHECK_THROWS_AS(repo.promote("nope", "x"), DataError);
    CHECK(*repo.model_json("lin-1") == "{\"x\":1}");

    repo.record_drift("2026-11-22T05:00:00Z", "gbdt-2", {{"visits", "major", 0.4, 3}});
    repo.record_drift("2026-11-22T05:00:00Z", "gbdt-2", {{"visits", "major", 0.4, 3}});
    CHECK(s->query("SELECT feature FROM lead_drift WHERE tenant_id = $1").size() == 1);
    repo.write_segments({{"C1", 3.0, 100.0, 2, 5, 3, 4, 1, "champions"}}, "2026-11-22T05:00:00Z");
    repo.write_segments({{"C1", 4.0, 120.0, 3, 5, 4, 4, 1, "champions"}}, "2026-11-22T06:00:00Z");
    auto seg = s->query("SELECT frequency, segment FROM customer_segments WHERE tenant_id = $1");
    REQUIRE(seg.size() == 1);
    CHECK(seg[0].integer(0) == 3);
  }
}

TEST_CASE("leads repository: score history for new and changed scores only", "[leads][repository][history]") {
  for (const auto& url : test::backend_urls(true)) {
    INFO(url);
    auto db = store::Database::open(url);
    db->add_tenant("acme", "Acme");
    db->add_tenant("other", "Other");
    auto s = db->session("acme");
    Repository repo(*s);
    auto score_run = [&](const std::string& at, const std::string& model, std::vector<std::pair<std::string, int>> scores,
                         int64_t run_id) {
      s->transaction([&] {
        auto w = repo.lead_writer(true, run_id);
        for (const auto& [id, sc] : scores)
          w->add_scored(lead(id, sc, std::nullopt), {id, sc, sc / 100.0, model, "[]", "h"}, at);
        w->flush();
      });
    };
    auto history = [&] {
      std::vector<std::string> out;
      for (const auto& r : s->query("SELECT external_id, scored_at, model_version, score, previous_score, run_id "
                                    "FROM lead_score_history WHERE tenant_id = $1 ORDER BY scored_at, external_id"))
        out.push_back(r.text(0) + " " + r.text(1) + " " + r.text(2) + " " + std::to_string(r.integer(3)) + " " +
                      (r.is_null(4) ? std::string("-") : std::to_string(r.integer(4))) + " " +
                      (r.is_null(5) ? std::string("-") : std::to_string(r.integer(5))));
      return out;
    };
    // First scoring: every score is new.
    score_run("T1", "m1", {{"A", 10}, {"B", 20}, {"C", 30}}, 7);
    CHECK(history() == std::vector<std::string>{"A T1 m1 10 - 7", "B T1 m1 20 - 7", "C T1 m1 30 - 7"});
    // Re-scoring with the same scores writes nothing (idempotent reruns).
    score_run("T2", "m1", {{"A", 10}, {"B", 20}, {"C", 30}}, 8);
    CHECK(history().size() == 3);
    // One moved, one new; a duplicate id within the run keeps the score from before the run.
    score_run("T3", "m2", {{"A", 10}, {"B", 45}, {"D", 5}, {"B", 50}}, 0);
    CHECK(history() == std::vector<std::string>{"A T1 m1 10 - 7", "B T1 m1 20 - 7", "C T1 m1 30 - 7",
                                                "B T3 m2 50 20 -", "D T3 m2 5 - -"});
    auto now = s->query("SELECT score FROM leads WHERE tenant_id = $1 AND external_id = 'B'");
    REQUIRE(now.size() == 1);
    CHECK(now[0].integer(0) == 50);
    // Batches larger than the writer's lookup batch, and a rollback writes no history.
    std::vector<std::pair<std::string, int>> many;
    for (int i = 0; i < 1200; ++i) many.push_back({"M" + std::to_string(i), i % 101});
    score_run("T4", "m2", many, 0);
    CHECK(history().size() == 5 + 1200);
    many[3].second = 77;
    score_run("T5", "m2", many, 0);
    CHECK(history().size() == 5 + 1201);
    CHECK_THROWS(s->transaction([&] {
      auto w = repo.lead_writer(true, 0);
      w->add_scored(lead("A", 99, std::nullopt), {"A", 99, 0.99, "m3", "[]", "h"}, "T6");
      w->flush();
      throw DataError("abort");
    }));
    CHECK(history().size() == 5 + 1201);
    // Tenant isolation.
    auto other = db->session("other");
    CHECK(other->query("SELECT external_id FROM lead_score_history WHERE tenant_id = $1").empty());
  }
}

// The simulate repository against SQLite and PostgreSQL (when the fixture is up).
#include <catch2/catch.hpp>

#include <cmath>

#include "gen.hpp"
#include "pg_harness.hpp"
#include "sim/loader.hpp"
#include "sim/repository.hpp"
#include "store/store.hpp"

using namespace opskit;
using namespace opskit::sim;

TEST_CASE("repository: graph, history, runs, initiatives and plans round-trip per tenant") {
  auto url = GENERATE(from_range(test::backend_urls(true)));
  INFO(url);
  auto db = store::Database::open(url);
  db->add_tenant("acme", "Acme");
  db->add_tenant("globex", "Globex");
  auto s = db->session("acme");
  Repository repo(*s);
  Graph g = load_graph(R"(
metrics:
  - {name: price, unit: EUR, baseline: 20, min: 1}
  - {name: units, baseline: 1000}
edges:
  - {cause: price, effect: units, elasticity: -1.5, lag: 2, confidence: 0.8, stddev: 0.2}
  - {cause: price, effect: units, coefficient: -3, lag: 9}
)", "g.yaml");
  repo.save_graph(g, "2026-11-20T00:00:00Z", false);
  repo.save_graph(g, "2026-11-20T00:00:00Z", false);  // idempotent
  Graph back = repo.load_graph();
  back.index();
  CHECK(back.metrics.size() == 2);
  CHECK(back.edges.size() == 2);
  CHECK(back.hash() == g.hash());
  CHECK(*back.metrics[0].min == 1);
  {
    auto other = db->session("globex");
    CHECK(Repository(*other).load_graph().metrics.empty());
  }
  // A batch that fails half-way leaves nothing behind.
  CHECK_THROWS(s->transaction([&] {
    repo.save_graph(g, "2026-11-21T00:00:00Z", true);
    throw DataError("stop");
  }));
  CHECK(repo.load_graph().edges.size() == 2);

  repo.save_history({{"price", "2026-01-01", 20}, {"price", "2026-01-03", 22}, {"units", "2026-01-02", 990}});
  repo.save_history({{"price", "2026-01-01", 21}});
  auto h = repo.load_history();
  REQUIRE(h.days.size() == 3);
  CHECK(h.series["price"][0] == 21);
  CHECK(std::isnan(h.series["price"][1]));
  std::vector<std::string> days;
  auto series = repo.load_series("price", &days);
  CHECK(series == std::vector<double>{21, 21, 22});
  CHECK(days.back() == "2026-01-03");

  Repository::SimulationRecord rec;
  rec.created_at = "2026-11-20T00:00:00Z";
  rec.kind = "what-if";
  rec.mode = "shift";
  rec.method = "exact";
  rec.engine_version = engine_version;
  rec.graph_hash = g.hash();
  rec.seed = 42;
  rec.horizon_days = 30;
  rec.report_days = "[30]";
  rec.interventions = "[\"price=+10%\"]";
  rec.results = "{\"metrics\":[]}";
  int64_t id = repo.save_simulation(rec);
  CHECK(id > 0);
  CHECK(repo.simulation_results(id) == "{\"metrics\":[]}");
  CHECK(repo.list_simulations(5).size() == 1);
  CHECK_THROWS_AS(repo.simulation_results(id + 100), DataError);

  auto list = load_initiatives("initiatives:\n  - {name: a, cost: 3, set: [\"price=-5%\"], prerequisites: [], group: g}\n", "i.yaml");
  repo.save_initiatives(list, "2026-11-20T00:00:00Z");
  repo.save_initiatives(list, "2026-11-20T00:00:00Z");
  auto li = repo.load_initiatives();
  REQUIRE(li.size() == 1);
  CHECK(li[0].sets == std::vector<std::string>{"price=-5%"});
  CHECK(li[0].group == "g");
  Repository::PlanRecord p;
  p.created_at = "2026-11-20T00:00:00Z";
  p.objective = "units";
  p.chosen = "[\"a\"]";
  p.optimality = "optimal";
  p.frontier = "[]";
  p.engine_version = engine_version;
  CHECK(repo.save_plan(p) > 0);
}

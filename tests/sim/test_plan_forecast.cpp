#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "gen.hpp"
#include "sim/forecast.hpp"
#include "sim/learn.hpp"
#include "sim/planner.hpp"

using namespace opskit::sim;
using namespace simtest;

namespace {
// Exhaustive search over every subset (the reference answer).
double brute_force(const Knapsack& k) {
  const int n = static_cast<int>(k.value.size());
  double best = -1e300;
  for (long mask = 0; mask < (1L << n); ++mask) {
    double c = 0, v = 0;
    bool ok = true;
    for (int j = 0; j < n && ok; ++j) {
      if (!(mask >> j & 1)) continue;
      c += k.cost[j];
      v += k.value[j];
      for (int p : k.prerequisites[j]) ok &= (mask >> p & 1) != 0;
    }
    for (const auto& g : k.groups) {
      int cnt = 0;
      for (int j : g) cnt += (mask >> j) & 1;
      ok &= cnt <= 1;
    }
    for (int r : k.required) ok &= (mask >> r & 1) != 0;
    if (ok && c <= k.budget + 1e-9) best = std::max(best, v);
  }
  return best;
}
}  // namespace

TEST_CASE("knapsack: the greedy trap") {
  // Best ratio first takes item 0 (1.2 per unit) and then nothing else fits.
  Knapsack k;
  k.value = {12, 10, 10};
  k.cost = {10, 9, 9};
  k.budget = 18;
  k.prerequisites.assign(3, {});
  auto s = solve_knapsack(k);
  CHECK(s.optimal);
  CHECK(s.value == Approx(20));
  CHECK(s.chosen == std::vector<int>{1, 2});
}

TEST_CASE("knapsack: optimal on generated cases with prerequisites and groups") {
  std::mt19937 rng(3);
  for (int round = 0; round < 25; ++round) {
    Knapsack k;
    int n = 8 + round % 7;
    std::uniform_real_distribution<double> val(-2, 20), cost(1, 10);
    for (int j = 0; j < n; ++j) {
      k.value.push_back(std::round(val(rng) * 10) / 10);
      k.cost.push_back(std::round(cost(rng)));
      k.prerequisites.push_back({});
      if (j > 2 && rng() % 3 == 0) k.prerequisites.back().push_back(static_cast<int>(rng() % j));
    }
    k.groups.push_back({0, 1, 2});
    if (n > 6) k.groups.push_back({4, 6});
    k.budget = 15 + round;
    auto s = solve_knapsack(k);
    REQUIRE(s.feasible);
    CHECK(s.optimal);
    CHECK(s.value == Approx(brute_force(k)).margin(1e-9));
    double c = 0;
    for (int j : s.chosen) c += k.cost[j];
    CHECK(c <= k.budget + 1e-9);
  }
}

TEST_CASE("knapsack: infeasible requirements and negative budgets are refused") {
  Knapsack k;
  k.value = {1, 2};
  k.cost = {5, 5};
  k.prerequisites = {{}, {0}};
  k.required = {1};
  k.budget = 7;
  CHECK_FALSE(solve_knapsack(k).feasible);
  k.budget = -1;
  CHECK_THROWS_AS(solve_knapsack(k), opskit::UsageError);
}

TEST_CASE("plan: initiatives on a graph, frontier, combined simulation") {
  Graph g = make_graph(3);
  add_edge(g, 0, 2, 2.0, 3);
  add_edge(g, 1, 2, 1.0, 0);
  Engine eng(g);
  auto list = load_initiatives(R"(
initiatives:
  - {name: ads, cost: 10, set: ["m0=+5"], duration: 7d}
  - {name: crm, cost: 4, set: ["m1=+3"]}
  - {name: promo, cost: 8, set: ["m1=+8"], prerequisites: [crm], group: pricing}
  - {name: discount, cost: 5, set: ["m1=+6"], group: pricing}
)", "i.yaml");
  PlanOptions o;
  o.budget = 20;
  o.objective = parse_objective("m2", g);
  auto r = plan(eng, g, list, o);
  CHECK(r.values == std::vector<double>{10, 3, 8, 6});
  // ads + crm + discount = 19 at cost 19; promo and discount exclude each other.
  CHECK(r.value == Approx(19));
  CHECK(r.simulated == Approx(19));
  CHECK(r.optimality.find("optimal") == 0);
  REQUIRE(!r.frontier.empty());
  CHECK(r.frontier.back().value == Approx(19));
  for (size_t i = 1; i < r.frontier.size(); ++i) CHECK(r.frontier[i].value >= r.frontier[i - 1].value - 1e-9);
  o.required = {"promo"};
  o.budget = 5;
  CHECK_THROWS_WITH(plan(eng, g, list, o), Catch::Contains("no plan is feasible"));
  auto bad = load_initiatives("initiatives:\n  - {name: a, cost: 1, set: [\"m0=+1\"], prerequisites: [b]}\n"
                              "  - {name: b, cost: 1, set: [\"m0=+1\"], prerequisites: [a]}\n", "c.yaml");
  CHECK_THROWS_WITH(check_initiatives(bad, g), Catch::Contains("prerequisite cycle"));
  CHECK_THROWS_WITH(load_initiatives("initiatives:\n  - {name: a, cost: -1, set: [x]}\n", "n.yaml"),
                    Catch::Contains("n.yaml:2:") && Catch::Contains("cost"));
}

TEST_CASE("Holt-Winters: trend + weekly season, intervals widen, anomalies flagged") {
  std::vector<double> y;
  const double season[7] = {5, -3, 2, 0, -4, 1, -1};
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(0, 0.5);
  for (int t = 0; t < 140; ++t) y.push_back(100 + 0.5 * t + season[t % 7] + noise(rng));
  y[100] += 25;
  ForecastOptions o;
  o.horizon_days = 14;
  auto f = holt_winters(y, o);
  CHECK(f.season == 7);
  REQUIRE(f.points.size() == 14);
  for (const auto& p : f.points) {
    double truth = 100 + 0.5 * (139 + p.day) + season[(139 + p.day) % 7];
    CHECK(std::fabs(p.mean - truth) < 4);
    CHECK(p.lo < p.mean);
    CHECK(p.hi > p.mean);
  }
  CHECK(f.points.back().hi - f.points.back().lo > f.points.front().hi - f.points.front().lo);
  CHECK(std::find(f.anomalies.begin(), f.anomalies.end(), 100) != f.anomalies.end());
  CHECK_THROWS_AS(holt_winters({1, 2}, o), opskit::DataError);
}

TEST_CASE("learn: lagged least squares recovers coefficients and lags") {
  Graph g = make_graph(3);
  add_edge(g, 0, 2, 0.0, 0);  // structure only; the fit finds 1.5 at lag 3
  add_edge(g, 1, 2, 0.0, 0);  // and -0.7 at lag 0
  History h;
  std::mt19937 rng(4);
  std::normal_distribution<double> nd(0, 1);
  const int T = 300;
  std::vector<double> a(T), b(T), c(T);
  for (int t = 0; t < T; ++t) {
    a[t] = 100 + 10 * nd(rng);
    b[t] = 50 + 5 * nd(rng);
    c[t] = 20 + (t >= 3 ? 1.5 * a[t - 3] : 150) - 0.7 * b[t] + 0.1 * nd(rng);
    h.days.push_back(std::to_string(t));
  }
  h.series = {{node(0), a}, {node(1), b}, {node(2), c}};
  LearnOptions o;
  o.max_lag = 7;
  auto rep = learn(g, h, o);
  CHECK(rep.fitted == 2);
  CHECK(rep.graph.edges[0].lag_days == 3);
  CHECK(rep.graph.edges[0].coefficient == Approx(1.5).epsilon(0.01));
  CHECK(rep.graph.edges[1].lag_days == 0);
  CHECK(rep.graph.edges[1].coefficient == Approx(-0.7).epsilon(0.02));
  CHECK(*rep.graph.edges[0].fit_r2 > 0.99);
  CHECK(rep.graph.edges[0].confidence > 0.99);
  o.discover = true;
  Graph bare = make_graph(3);
  auto found = learn(bare, h, o);
  bool a_to_c = false;
  for (const auto& e : found.graph.edges) a_to_c |= e.cause == node(0) && e.effect == node(2) && e.lag_days == 3;
  CHECK(a_to_c);
}

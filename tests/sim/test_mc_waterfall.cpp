#include <catch2/catch.hpp>

#include <cmath>

#include "gen.hpp"
#include "sim/montecarlo.hpp"
#include "sim/waterfall.hpp"

using namespace opskit::sim;
using namespace simtest;

TEST_CASE("Monte Carlo: certain edges give the exact answer - seeds repeat") {
  Graph g = random_dag(15, 40, 3, 5);
  Engine eng(g);
  std::vector<Intervention> set{parse_set(node(0) + "=+10", g)};
  McOptions o;
  o.samples = 50;
  auto r = monte_carlo(eng, g, set, o);
  std::vector<double> dev;
  REQUIRE(eng.steady(set, Mode::shift, eng.base_coefficients(), dev));
  for (size_t i = 0; i < dev.size(); ++i) {
    CHECK(r.metrics[i].p10 == Approx(dev[i]).margin(1e-4));
    CHECK(r.metrics[i].p90 == Approx(dev[i]).margin(1e-4));
  }
  for (auto& e : g.edges) {
    e.confidence = 0.7;
    e.stddev = 0.1;
  }
  Engine eng2(g);
  auto a = monte_carlo(eng2, g, set, o), b = monte_carlo(eng2, g, set, o);
  for (size_t i = 0; i < a.metrics.size(); ++i) {
    CHECK(a.metrics[i].p50 == b.metrics[i].p50);
    CHECK(a.metrics[i].p10 <= a.metrics[i].p50);
    CHECK(a.metrics[i].p50 <= a.metrics[i].p90);
    CHECK(a.metrics[i].p_up + a.metrics[i].p_down <= 1.0);
  }
  o.seed = 7;
  auto c = monte_carlo(eng2, g, set, o);
  bool differs = false;
  for (size_t i = 1; i < a.metrics.size(); ++i) differs |= a.metrics[i].p50 != c.metrics[i].p50;
  CHECK(differs);
}

TEST_CASE("Monte Carlo: an edge present with probability p gives P(rise) near p") {
  Graph g = make_graph(2);
  add_edge(g, 0, 1, 2.0, 0);
  g.edges[0].confidence = 0.3;
  Engine eng(g);
  McOptions o;
  o.samples = 4000;
  auto r = monte_carlo(eng, g, {parse_set("m0=+1", g)}, o);
  CHECK(r.metrics[1].p_up == Approx(0.3).margin(0.03));
  CHECK(r.metrics[1].p90 == Approx(2.0));
  CHECK(r.metrics[1].p10 == 0);
}

TEST_CASE("waterfalls add up to the total change") {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    Graph g = random_dag(12, 30, 2, seed);
    // Mix in elasticities so the log-space share is exercised.
    for (size_t e = 0; e < g.edges.size(); e += 3) g.edges[e].kind = EdgeKind::elasticity;
    Engine eng(g);
    std::vector<Intervention> set{parse_set(node(0) + "=+10%", g), parse_set(node(1) + "=-5", g)};
    for (Mode mode : {Mode::shift, Mode::do_}) {
      for (int target : {5, 11, 1}) {
        for (auto w : {waterfall_by_causes(eng, set, mode, node(target)), waterfall_by_first_hop(eng, set, mode, node(target))}) {
          double sum = 0;
          for (const auto& b : w.bars) sum += b.value;
          INFO("seed " << seed << " target " << target << " by " << w.by);
          CHECK(sum == Approx(w.total).margin(1e-9 * std::max(1.0, std::fabs(w.total))));
        }
      }
    }
  }
  // On a linear graph the first-hop bars are exact: no interaction.
  Graph g = make_graph(4);
  add_edge(g, 0, 1, 2.0, 1);
  add_edge(g, 0, 2, -1.0, 0);
  add_edge(g, 1, 3, 1.0, 0);
  add_edge(g, 2, 3, 3.0, 2);
  Engine eng(g);
  auto w = waterfall_by_first_hop(eng, {parse_set("m0=+1", g)}, Mode::shift, "m3");
  REQUIRE(w.bars.size() == 3);
  CHECK(w.bars[0].value == Approx(2.0));
  CHECK(w.bars[1].value == Approx(-3.0));
  CHECK(w.bars[2].label == "interaction");
  CHECK(std::fabs(w.bars[2].value) < 1e-12);
}

TEST_CASE("Monte Carlo on days: quantiles and sign probability follow each path's arrival") {
  Graph g = make_graph(3);
  add_edge(g, 0, 1, 2.0, 2);
  add_edge(g, 1, 2, 0.5, 3);
  g.edges[0].confidence = 0.3;
  Engine eng(g);
  McOptions o;
  o.samples = 3000;
  o.days = {5, 1, 2};
  o.daily = {"m2"};
  auto r = monte_carlo(eng, g, {parse_set("m0=+1", g)}, o);
  REQUIRE(r.days == std::vector<int>{1, 2, 5});
  const auto& m1 = r.metrics[1];
  REQUIRE(m1.at.size() == 3);
  CHECK(m1.at[0].p_up == 0);  // day 1: the lag-2 edge has not delivered yet
  CHECK(m1.at[0].p90 == 0);
  CHECK(m1.at[1].p_up == Approx(0.3).margin(0.03));
  CHECK(m1.at[1].p90 == Approx(2.0));
  const auto& m2 = r.metrics[2];
  CHECK(m2.at[1].p_up == 0);
  CHECK(m2.at[2].p_up == Approx(0.3).margin(0.03));
  CHECK(m2.at[2].p90 == Approx(1.0));
  REQUIRE(m2.daily.size() == 6);
  CHECK(m2.daily[4].p_up == 0);
  CHECK(m2.daily[5].p_up == m2.at[2].p_up);
  CHECK(r.metrics[0].daily.empty());
}

TEST_CASE("Monte Carlo on days: certain edges reproduce the exact run") {
  Graph g = random_dag(15, 40, 3, 8);
  add_edge(g, 14, 9, 0.3, 2);  // a lagged loop
  Engine eng(g);
  std::vector<Intervention> set{parse_set(node(0) + "=+10", g)};
  McOptions o;
  o.samples = 20;
  o.days = {0, 3, 12};
  auto r = monte_carlo(eng, g, set, o);
  SimOptions so;
  so.horizon_days = 12;
  so.report_days = {0, 3};
  auto exact = eng.run(set, so);
  for (size_t i = 0; i < 15; ++i)
    for (size_t k = 0; k < 3; ++k) {
      double change = exact.metrics[i].at[k] - exact.metrics[i].baseline;
      INFO("metric " << i << " day " << r.days[k]);
      CHECK(r.metrics[i].at[k].p10 == Approx(change).margin(1e-4 * std::max(1.0, std::fabs(change))));
      CHECK(r.metrics[i].at[k].p90 == Approx(change).margin(1e-4 * std::max(1.0, std::fabs(change))));
    }
}

TEST_CASE("the inverse normal transform is accurate and monotone") {
  CHECK(DrawSource::normal_from(0.5) == 0);
  CHECK(DrawSource::normal_from(0.975) == Approx(1.959963985).epsilon(1e-8));
  CHECK(DrawSource::normal_from(0.01) == Approx(-2.326347874).epsilon(1e-8));
  CHECK(DrawSource::normal_from(1e-10) == Approx(-6.361340902).epsilon(1e-8));
  double prev = -1e9;
  for (double u = 1e-6; u < 1; u += 0.001) {
    double z = DrawSource::normal_from(u);
    CHECK(z > prev);
    prev = z;
  }
}

#include <catch2/catch.hpp>

#include "leads/drift.hpp"
#include "leads/segment.hpp"

using namespace opskit::leads;

TEST_CASE("segment: RFM scores, k-means clusters, names - deterministic", "[leads][segment]") {
  std::vector<Order> orders;
  const int64_t day = 86400, now = 1000 * day;
  // 20 recent big frequent buyers, 20 lapsed one-off small buyers.
  for (int c = 0; c < 20; ++c)
    for (int k = 0; k < 10; ++k) orders.push_back({"A" + std::to_string(c), now - (k + 1) * day, 500.0 + c});
  for (int c = 0; c < 20; ++c) orders.push_back({"B" + std::to_string(c), now - (400 + c) * day, 15.0});
  auto r = segment_customers(orders, now, 2, 42);
  REQUIRE(r.customers.size() == 40);
  REQUIRE(r.clusters.size() == 2);
  CHECK(r.clusters[0].segment == "champions");
  CHECK(r.clusters[1].segment == "hibernating");
  CHECK(r.clusters[0].customers == 20);
  for (const auto& c : r.customers) CHECK(c.segment == (c.customer[0] == 'A' ? "champions" : "hibernating"));
  auto again = segment_customers(orders, now, 2, 42);
  for (size_t i = 0; i < r.customers.size(); ++i) CHECK(again.customers[i].cluster == r.customers[i].cluster);
  CHECK(segment_customers({}, now, 3, 1).customers.empty());
}

TEST_CASE("drift: PSI is zero for the same distribution and grows with a shift", "[leads][drift]") {
  CHECK(population_stability_index({0.5, 0.5}, {50, 50}) == Approx(0.0));
  double small = population_stability_index({0.5, 0.5}, {55, 45});
  double big = population_stability_index({0.5, 0.5}, {90, 10});
  CHECK(small > 0);
  CHECK(big > 0.25);
  CHECK(big > small);
}

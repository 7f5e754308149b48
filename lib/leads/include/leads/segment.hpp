#pragma once
// RFM segmentation of customers from an orders file: recency (days since the
// last order), frequency (orders) and monetary value (sum of amounts) per
// customer, quintile scores 1-5 (5 = most recent / most frequent / highest),
// k-means clusters (Eigen, k-means++ seeding, best of several seeded starts)
// on standardised log values, and a name per cluster from its mean scores.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/csv.hpp"

namespace opskit::leads {

struct Order {
  std::string customer;
  int64_t at = 0;  // unix seconds
  double amount = 0;
};

struct OrderColumns {
  std::string customer = "customer_id", date = "order_date", amount = "amount";
};

// Streams an orders CSV; bad dates or amounts are DataErrors with file:line:column.
std::vector<Order> read_orders(const std::string& path, const OrderColumns& columns, char separator = ',');

struct CustomerSegment {
  std::string customer;
  double recency_days = 0, monetary = 0;
  int64_t frequency = 0;
  int r = 0, f = 0, m = 0;
  int cluster = 0;
  std::string segment;
};

struct ClusterSummary {
  int cluster = 0;
  std::string segment;
  size_t customers = 0;
  double recency_days = 0, frequency = 0, monetary = 0;  // means
};

struct SegmentResult {
  std::vector<CustomerSegment> customers;  // sorted by customer id
  std::vector<ClusterSummary> clusters;
};

// k clusters (at most the number of customers); deterministic for a seed.
SegmentResult segment_customers(const std::vector<Order>& orders, int64_t now, int k, uint64_t seed);

}  // namespace opskit::leads

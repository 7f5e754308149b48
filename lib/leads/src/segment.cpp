#include "leads/segment.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include <Eigen/Dense>

#include "core/error.hpp"
#include "core/runtime.hpp"
#include "core/text.hpp"

namespace opskit::leads {

std::vector<Order> read_orders(const std::string& path, const OrderColumns& c, char separator) {
  csv::Options o;
  o.separator = separator;
  auto reader = csv::Reader::open(path, o);
  reader->require_columns({c.customer, c.date, c.amount});
  std::vector<Order> out;
  csv::Record rec;
  while (reader->next(rec)) {
    Order od;
    od.customer = std::string(text::trim(rec[c.customer]));
    if (od.customer.empty()) throw DataError(rec.where(c.customer), "empty customer id");
    if (!parse_iso8601(text::trim(rec[c.date]), od.at))
      throw DataError(rec.where(c.date), "not an ISO-8601 date: '" + std::string(rec[c.date]) + "'");
    if (!text::parse_double(text::trim(rec[c.amount]), od.amount) || !std::isfinite(od.amount))
      throw DataError(rec.where(c.amount), "not a number: '" + std::string(rec[c.amount]) + "'");
    out.push_back(std::move(od));
  }
  return out;
}

namespace {

// Quintile score 1-5 by rank (ties share the lower rank's score).
std::vector<int> quintiles(const std::vector<double>& v, bool higher_is_better) {
  std::vector<size_t> o(v.size());
  std::iota(o.begin(), o.end(), 0);
  std::stable_sort(o.begin(), o.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<int> s(v.size());
  size_t n = v.size();
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && v[o[j]] == v[o[i]]) ++j;
    int q = int(i * 5 / std::max<size_t>(n, 1)) + 1;
    for (size_t k = i; k < j; ++k) s[o[k]] = higher_is_better ? q : 6 - q;
    i = j;
  }
  return s;
}

std::string name_for(double r, double f, double m) {
  bool recent = r >= 3.5, frequent = f >= 3.5, valuable = m >= 3.5;
  bool lapsed = r < 2.5;
  if (recent && (frequent || valuable)) return "champions";
  if (recent) return "new customers";
  if (lapsed && (frequent || valuable)) return "at risk";
  if (lapsed) return "hibernating";
  if (frequent || valuable) return "loyal";
  return "needs attention";
}

}  // namespace

SegmentResult segment_customers(const std::vector<Order>& orders, int64_t now, int k, uint64_t seed) {
  std::map<std::string, CustomerSegment> by;
  std::map<std::string, int64_t> last;
  for (const auto& o : orders) {
    auto& c = by[o.customer];
    c.customer = o.customer;
    c.frequency++;
    c.monetary += o.amount;
    auto it = last.find(o.customer);
    if (it == last.end() || o.at > it->second) last[o.customer] = o.at;
  }
  SegmentResult res;
  if (by.empty()) return res;
  for (auto& [id, c] : by) {
    c.recency_days = std::max(0.0, double(now - last[id]) / 86400.0);
    res.customers.push_back(c);
  }
  auto& cs = res.customers;
  const size_t n = cs.size();
  std::vector<double> rv(n), fv(n), mv(n);
  for (size_t i = 0; i < n; ++i) {
    rv[i] = cs[i].recency_days;
    fv[i] = double(cs[i].frequency);
    mv[i] = cs[i].monetary;
  }
  auto rq = quintiles(rv, false), fq = quintiles(fv, true), mq = quintiles(mv, true);
  Eigen::MatrixXd X(n, 3);
  for (size_t i = 0; i < n; ++i) {
    cs[i].r = rq[i];
    cs[i].f = fq[i];
    cs[i].m = mq[i];
    X(i, 0) = std::log1p(rv[i]);
    X(i, 1) = std::log1p(fv[i]);
    X(i, 2) = std::copysign(std::log1p(std::abs(mv[i])), mv[i]);
  }
  for (int c = 0; c < 3; ++c) {
    double mean = X.col(c).mean();
    double sd = std::sqrt((X.col(c).array() - mean).square().mean());
    X.col(c) = (X.col(c).array() - mean) / (sd > 0 ? sd : 1.0);
  }
  k = std::max(1, std::min<int>(k, int(n)));
  std::mt19937_64 rng(seed);
  Eigen::MatrixXd best_centres;
  std::vector<int> best_assign;
  double best_inertia = INFINITY;
  for (int start = 0; start < 5; ++start) {
    // k-means++ seeding.
    Eigen::MatrixXd C(k, 3);
    C.row(0) = X.row(rng() % n);
    std::vector<double> d2(n);
    for (int c = 1; c < k; ++c) {
      double total = 0;
      for (size_t i = 0; i < n; ++i) {
        double best = INFINITY;
        for (int j = 0; j < c; ++j) best = std::min(best, (X.row(i) - C.row(j)).squaredNorm());
        d2[i] = best;
        total += best;
      }
      double pick = total > 0 ? std::uniform_real_distribution<double>(0, total)(rng) : 0;
      size_t chosen = 0;
      for (size_t i = 0; i < n; ++i) {
        pick -= d2[i];
        if (pick <= 0) {
          chosen = i;
          break;
        }
      }
      C.row(c) = X.row(chosen);
    }
    std::vector<int> assign(n, -1);
    double inertia = 0;
    for (int it = 0; it < 100; ++it) {
      bool changed = false;
      inertia = 0;
      for (size_t i = 0; i < n; ++i) {
        int arg = 0;
        double best = INFINITY;
        for (int j = 0; j < k; ++j) {
          double d = (X.row(i) - C.row(j)).squaredNorm();
          if (d < best) best = d, arg = j;
        }
        inertia += best;
        if (assign[i] != arg) assign[i] = arg, changed = true;
      }
      if (!changed) break;
      Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(k, 3);
      std::vector<int> cnt(k, 0);
      for (size_t i = 0; i < n; ++i) {
        sum.row(assign[i]) += X.row(i);
        cnt[assign[i]]++;
      }
      for (int j = 0; j < k; ++j)
        if (cnt[j]) C.row(j) = sum.row(j) / cnt[j];
    }
    if (inertia < best_inertia) {
      best_inertia = inertia;
      best_centres = C;
      best_assign = assign;
    }
  }
  // Number clusters by value (mean r+f+m score, best first) so output is stable.
  std::vector<ClusterSummary> sums(k);
  std::vector<double> value(k, 0), rs(k, 0), fs(k, 0), ms(k, 0);
  for (size_t i = 0; i < n; ++i) {
    int c = best_assign[i];
    sums[c].customers++;
    sums[c].recency_days += cs[i].recency_days;
    sums[c].frequency += double(cs[i].frequency);
    sums[c].monetary += cs[i].monetary;
    rs[c] += cs[i].r;
    fs[c] += cs[i].f;
    ms[c] += cs[i].m;
  }
  std::vector<int> order(k);
  std::iota(order.begin(), order.end(), 0);
  for (int c = 0; c < k; ++c) value[c] = sums[c].customers ? (rs[c] + fs[c] + ms[c]) / double(sums[c].customers) : -1;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return value[a] > value[b]; });
  std::vector<int> renumber(k);
  std::map<std::string, int> used;
  for (int pos = 0; pos < k; ++pos) {
    int c = order[pos];
    renumber[c] = pos + 1;
    auto& s = sums[c];
    double cnt = std::max<double>(1, double(s.customers));
    s.cluster = pos + 1;
    std::string name = name_for(rs[c] / cnt, fs[c] / cnt, ms[c] / cnt);
    if (used[name]++) name += " " + std::to_string(used[name]);
    s.segment = name;
    s.recency_days /= cnt;
    s.frequency /= cnt;
    s.monetary /= cnt;
  }
  for (size_t i = 0; i < n; ++i) {
    int c = best_assign[i];
    cs[i].cluster = renumber[c];
    cs[i].segment = sums[c].segment;
  }
  for (int pos = 0; pos < k; ++pos) res.clusters.push_back(sums[order[pos]]);
  return res;
}

}  // namespace opskit::leads

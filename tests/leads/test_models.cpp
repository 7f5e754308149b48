#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "leads/calibration.hpp"
#include "leads/gbdt.hpp"
#include "leads/linear.hpp"
#include "leads/metrics.hpp"
#include "leads/model.hpp"
#include "leads/train.hpp"

using namespace opskit::leads;

namespace {

// A synthetic data set: conversion depends on x0 (numeric), c (categorical) and an interaction.
Dataset synthetic(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Dataset d;
  d.reserve_features(3);
  const char* levels[] = {"a", "b", "c", "d"};
  for (size_t i = 0; i < n; ++i) {
    ParsedRow r;
    r.id = "L" + std::to_string(i);
    double x0 = u(rng) * 10, x1 = u(rng);
    int c = int(u(rng) * 4);
    double z = -2 + 0.4 * x0 + (c == 2 ? 1.5 : 0) + (x1 > 0.5 && x0 > 5 ? 1.0 : 0);
    r.target = u(rng) < 1 / (1 + std::exp(-z)) ? 1 : 0;
    r.time = int64_t(i);
    r.num = {u(rng) < 0.05 ? std::nan("") : x0, x1, std::nan("")};
    r.str = {"", "", levels[c]};
    d.add(r);
  }
  return d;
}

FeatureSpec synthetic_spec() {
  FeatureSpec s;
  s.name = "synthetic";
  s.target_column = "won";
  for (auto [column, type] : {std::pair{"x0", FeatureType::numeric}, std::pair{"x1", FeatureType::numeric},
                              std::pair{"c", FeatureType::categorical}}) {
    FeatureDef d;
    d.column = column;
    d.type = type;
    s.features.push_back(d);
  }
  return s;
}

// Path-dependent conditional expectation: features in S follow x, others both ways by cover.
double cond_expect(const nlohmann::json& t, int j, const uint8_t* x, unsigned mask) {
  int f = t["feature"][j];
  if (f < 0) return t["value"][j];
  int l = t["left"][j], r = t["right"][j];
  if (mask & (1u << f)) return cond_expect(t, x[f] <= int(t["threshold"][j]) ? l : r, x, mask);
  double cl = t["cover"][l], cr = t["cover"][r];
  return (cl * cond_expect(t, l, x, mask) + cr * cond_expect(t, r, x, mask)) / (cl + cr);
}

}  // namespace

TEST_CASE("metrics: AUC, AP, log-loss, Brier on known values", "[leads][metrics]") {
  std::vector<double> s{0.1, 0.4, 0.35, 0.8};
  std::vector<int8_t> y{0, 0, 1, 1};
  CHECK(auc(s, y) == Approx(0.75));
  CHECK(average_precision(s, y) == Approx((1.0 + 2.0 / 3.0) / 2));
  CHECK(brier(s, y) == Approx((0.01 + 0.16 + 0.4225 + 0.04) / 4));
  CHECK(log_loss({0.5, 0.5}, {0, 1}) == Approx(std::log(2.0)));
  CHECK(auc({0.5, 0.5}, {0, 1}) == Approx(0.5));
  auto lift = lift_table(s, y, 2);
  REQUIRE(lift.size() == 2);
  CHECK(lift[0].positives == 1);
  CHECK(lift[1].cumulative_gain == Approx(1.0));
  auto cal = calibration_table(s, y, 2);
  CHECK(cal[1].observed == Approx(0.5));
}

TEST_CASE("calibration: Platt and isotonic are monotone and sensible", "[leads][calibration]") {
  std::vector<double> m;
  std::vector<int8_t> y;
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 4000; ++i) {
    double z = u(rng) * 8 - 4;
    m.push_back(z);
    y.push_back(u(rng) < 1 / (1 + std::exp(-2 * z)) ? 1 : 0);
  }
  for (const char* method : {"platt", "isotonic"}) {
    auto c = Calibration::fit(method, m, y);
    CHECK(c.probability(-3) < c.probability(0));
    CHECK(c.probability(0) <= c.probability(3));
    CHECK(c.probability(0) == Approx(0.5).margin(0.1));
    auto back = Calibration::from_json(c.to_json());
    CHECK(back.probability(1.0) == c.probability(1.0));
  }
  CHECK_THROWS_AS(Calibration::fit("magic", m, y), opskit::DataError);
}

TEST_CASE("linear and gbdt learn a synthetic signal - contributions add up", "[leads][models]") {
  auto spec = synthetic_spec();
  auto data = synthetic(6000, 7);
  TrainOptions o;
  o.gbdt.trees = 60;
  auto r = train(spec, data, o, dataset_hash(data), "2026-11-22T00:00:00Z");
  REQUIRE(r.candidates.size() == 2);
  for (const auto& c : r.candidates) {
    CHECK(c.cv.auc > 0.8);
    CHECK(c.holdout.auc > 0.8);
  }
  for (auto kind : {ModelKind::linear, ModelKind::gbdt}) {
    std::vector<size_t> all(data.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    Model m = fit_model(kind, spec, data, all, o, true);
    std::vector<uint8_t> x(m.encoder.width());
    std::vector<double> phi(m.encoder.width());
    double expected = kind == ModelKind::linear ? m.linear.expected() : m.gbdt.expected();
    for (size_t i = 0; i < 50; ++i) {
      m.encoder.encode(data, i, x.data());
      m.contributions(x.data(), phi.data());
      double sum = expected;
      for (double p : phi) sum += p;
      // gbdt reasons come from float tables (see test_shap.cpp): 1e-4 in margin units.
      CHECK(sum == Approx(m.margin(x.data())).margin(kind == ModelKind::linear ? 1e-9 : 1e-4));
    }
  }
}

TEST_CASE("reasons: the k largest contributions by magnitude, largest first, ties by input order", "[leads][models]") {
  auto spec = synthetic_spec();
  auto data = synthetic(3000, 11);
  std::vector<size_t> all(data.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  TrainOptions o;
  o.gbdt.trees = 30;
  for (auto kind : {ModelKind::linear, ModelKind::gbdt}) {
    Model m = fit_model(kind, spec, data, all, o, true);
    const size_t w = m.encoder.width();
    std::vector<uint8_t> x(w);
    std::vector<double> phi(w);
    for (size_t row = 0; row < 200; ++row) {
      m.encoder.encode(data, row, x.data());
      m.contributions(x.data(), phi.data());
      // Reference: a stable sort by magnitude (equal magnitudes keep input order).
      std::vector<size_t> order(w);
      for (size_t i = 0; i < w; ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return std::abs(phi[a]) > std::abs(phi[b]); });
      for (int k : {0, 1, 2, 3, 5, 10, int(w), int(w) + 3, 20}) {
        auto got = m.reasons(x.data(), k);
        REQUIRE(got.size() == std::min<size_t>(size_t(k), w));
        for (size_t j = 0; j < got.size(); ++j) {
          CHECK(got[j].input == m.encoder.inputs()[order[j]].name);
          CHECK(got[j].contribution == phi[order[j]]);
        }
      }
    }
  }
}

TEST_CASE("TreeSHAP equals brute-force Shapley values", "[leads][models]") {
  auto spec = synthetic_spec();
  auto data = synthetic(3000, 3);
  TrainOptions o;
  o.gbdt.trees = 3;
  o.gbdt.max_leaves = 12;
  o.gbdt.min_leaf = 20;
  std::vector<size_t> all(data.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  Model m = fit_model(ModelKind::gbdt, spec, data, all, o, true);
  auto j = m.gbdt.to_json();
  const int w = int(m.encoder.width());
  std::vector<uint8_t> x(w);
  std::vector<double> phi(w);
  for (size_t row = 0; row < 20; ++row) {
    m.encoder.encode(data, row, x.data());
    m.contributions(x.data(), phi.data());
    std::vector<double> brute(w, 0);
    for (const auto& t : j["trees"])
      for (int f = 0; f < w; ++f)
        for (unsigned s = 0; s < (1u << w); ++s) {
          if (s & (1u << f)) continue;
          int k = __builtin_popcount(s);
          double weight = std::tgamma(k + 1) * std::tgamma(w - k) / std::tgamma(w + 1);
          brute[f] += weight * (cond_expect(t, 0, x.data(), s | (1u << f)) - cond_expect(t, 0, x.data(), s));
        }
    // Float tables: within 1e-5 of the largest contribution (see test_shap.cpp).
    double largest = 0;
    for (double b : brute) largest = std::max(largest, std::abs(b));
    for (int f = 0; f < w; ++f) CHECK(phi[f] == Approx(brute[f]).margin(1e-5 * largest));
  }
}

TEST_CASE("model file: round trip, version by content, loader refusals", "[leads][model]") {
  auto spec = synthetic_spec();
  auto data = synthetic(2000, 5);
  TrainOptions o;
  o.gbdt.trees = 10;
  o.select = "cv_auc";
  for (auto kind : {ModelKind::linear, ModelKind::gbdt}) {
    o.kinds = {kind};
    auto r = train(spec, data, o, "h", "2026-11-22T00:00:00Z");
    auto again = train(spec, data, o, "h", "2026-11-22T00:00:00Z");
    CHECK(r.model.version == again.model.version);
    auto text = r.model.to_json().dump();
    auto back = Model::parse(text, "m.json");
    CHECK(back.version == r.model.version);
    std::vector<uint8_t> x(back.encoder.width());
    for (size_t i = 0; i < 20; ++i) {
      back.encoder.encode(data, i, x.data());
      CHECK(back.probability(x.data()) == Approx(r.model.probability(x.data())));
    }
    auto reasons = back.reasons(x.data(), 3);
    CHECK(reasons.size() == 3);
    CHECK(std::abs(reasons[0].contribution) >= std::abs(reasons[1].contribution));

    auto newer = r.model.to_json();
    newer["format_version"] = 99;
    CHECK_THROWS_WITH(Model::from_json(newer, "new.json"), Catch::Contains("newer"));
    auto broken = r.model.to_json();
    broken["encoder"][0]["feature"] = 17;
    CHECK_THROWS_AS(Model::from_json(broken, "b.json"), opskit::DataError);
    CHECK_THROWS_AS(Model::parse("{not json", "x.json"), opskit::DataError);
    auto other = spec;
    other.features.pop_back();
    CHECK_THROWS_WITH(back.require_spec(other, "other.yaml"), Catch::Contains("different spec"));
  }
}

TEST_CASE("train: one-class target and constant features are refused", "[leads][train]") {
  auto spec = synthetic_spec();
  auto data = synthetic(200, 9);
  auto one = data;
  for (auto& t : one.target) t = 0;
  CHECK_THROWS_WITH(train(spec, one, TrainOptions{}, "", ""), Catch::Contains("only one class"));
  auto constant = data;
  for (auto& v : constant.num[1]) v = 3.0;
  CHECK_THROWS_WITH(train(spec, constant, TrainOptions{}, "", ""), Catch::Contains("'x1' is constant"));
  auto empty = data;
  for (auto& v : empty.num[1]) v = std::nan("");
  CHECK_THROWS_WITH(train(spec, empty, TrainOptions{}, "", ""), Catch::Contains("missing in every"));
}

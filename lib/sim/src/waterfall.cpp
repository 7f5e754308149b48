#include "sim/waterfall.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "engine_impl.hpp"

namespace opskit::sim {

namespace {
int index_of(const Engine::Impl& I, const std::string& name) {
  auto it = std::find(I.names.begin(), I.names.end(), name);
  if (it == I.names.end()) throw DataError("unknown target metric '" + name + "'");
  return static_cast<int>(it - I.names.begin());
}
}  // namespace

Waterfall waterfall_by_causes(const Engine& engine, const std::vector<Intervention>& set, Mode mode,
                              const std::string& target) {
  const auto& I = engine.impl();
  int t = index_of(I, target);
  std::vector<double> dev;
  if (!engine.steady(set, mode, I.coef, dev)) throw DataError("steady state not found; no waterfall");
  Waterfall w;
  w.target = target;
  w.by = "causes";
  w.baseline = I.base[t];
  w.total = dev[t];
  const Intervention* iv = nullptr;
  for (const auto& s : set)
    if (s.metric == target) iv = &s;
  if (!(iv && mode == Mode::do_)) {
    double a = 0, L = 0;
    for (int p = I.in_start[t]; p < I.in_start[t + 1]; ++p) {
      int e = I.in_edge[p];
      double dc = dev[I.cause[e]];
      if (I.elastic[e]) L += I.coef[e] * (dc == 0 ? 0.0 : std::log1p(dc / I.base[I.cause[e]]));
      else a += I.coef[e] * dc;
    }
    double eL = std::exp(L), log_part = I.base[t] * std::expm1(L);
    double mult = (iv && iv->kind == Intervention::Kind::percent) ? 1 + iv->value : 1.0;
    std::map<int, double> by_cause;
    std::vector<int> order;
    for (int p = I.in_start[t]; p < I.in_start[t + 1]; ++p) {
      int e = I.in_edge[p], c = I.cause[e];
      if (!by_cause.count(c)) order.push_back(c);
      double dc = dev[c], v;
      if (I.elastic[e]) {
        double term = I.coef[e] * (dc == 0 ? 0.0 : std::log1p(dc / I.base[c]));
        v = L == 0 ? 0.0 : log_part * term / L;
      } else {
        v = I.coef[e] * dc * eL;
      }
      by_cause[c] += v * mult;
    }
    double sum = 0;
    for (int c : order) {
      w.bars.push_back({I.names[c], by_cause[c]});
      sum += by_cause[c];
    }
    if (iv || std::fabs(w.total - sum) > 0) w.bars.push_back({iv ? "intervention on " + target : "residual (bounds, rounding)", w.total - sum});
  } else {
    w.bars.push_back({"intervention on " + target, w.total});
  }
  return w;
}

Waterfall waterfall_by_first_hop(const Engine& engine, const std::vector<Intervention>& set, Mode mode,
                                 const std::string& target) {
  const auto& I = engine.impl();
  int t = index_of(I, target);
  std::vector<double> dev;
  if (!engine.steady(set, mode, I.coef, dev)) throw DataError("steady state not found; no waterfall");
  Waterfall w;
  w.target = target;
  w.by = "first hop";
  w.baseline = I.base[t];
  w.total = dev[t];
  std::vector<char> intervened(I.n, 0);
  for (const auto& s : set) intervened[index_of(I, s.metric)] = 1;
  std::vector<int> hops;
  for (int e = 0; e < I.m; ++e)
    if (intervened[I.cause[e]]) hops.push_back(e);
  double sum = 0;
  if (intervened[t]) {
    // The target's own change with every first-hop edge cut.
    std::vector<double> k = I.coef, d;
    for (int e : hops) k[e] = 0;
    if (!engine.steady(set, mode, k, d)) throw DataError("steady state not found; no waterfall");
    w.bars.push_back({"intervention on " + target, d[t]});
    sum += d[t];
  }
  for (int e : hops) {
    std::vector<double> k = I.coef, d;
    for (int o : hops)
      if (o != e) k[o] = 0;
    if (!engine.steady(set, mode, k, d)) throw DataError("steady state not found; no waterfall");
    double base_only = 0;
    if (intervened[t]) {
      std::vector<double> k0 = I.coef, d0;
      for (int o : hops) k0[o] = 0;
      engine.steady(set, mode, k0, d0);
      base_only = d0[t];
    }
    double v = d[t] - base_only;
    w.bars.push_back({I.names[I.cause[e]] + " -> " + I.names[I.effect[e]] +
                          (I.lags[e] ? " (lag " + std::to_string(I.lags[e]) + "d)" : ""),
                      v});
    sum += v;
  }
  w.bars.push_back({"interaction", w.total - sum});
  return w;
}

}  // namespace opskit::sim

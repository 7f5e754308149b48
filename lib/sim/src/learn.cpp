#include "sim/learn.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Dense>

namespace opskit::sim {

namespace {

const double nan = std::numeric_limits<double>::quiet_NaN();

std::vector<double> transformed(const std::vector<double>& v, bool log_space) {
  std::vector<double> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = log_space ? (v[i] > 0 ? std::log(v[i]) : nan) : v[i];
  return out;
}

double lag_correlation(const std::vector<double>& y, const std::vector<double>& x, int lag) {
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  size_t k = 0;
  for (size_t t = lag; t < y.size(); ++t) {
    double a = x[t - lag], b = y[t];
    if (std::isnan(a) || std::isnan(b)) continue;
    sx += a; sy += b; sxx += a * a; syy += b * b; sxy += a * b;
    ++k;
  }
  if (k < 5) return 0;
  double cov = sxy - sx * sy / k, vx = sxx - sx * sx / k, vy = syy - sy * sy / k;
  if (vx <= 0 || vy <= 0) return 0;
  return cov / std::sqrt(vx * vy);
}

struct Candidate {
  std::string cause;
  EdgeKind kind;
  int lag = 0;
  size_t edge = SIZE_MAX;  // index in the graph, SIZE_MAX when discovered
  double coef = 0, se = 0, t = 0;
};

// Joint least squares of y on the candidates at their lags; fills coef/se/t, returns R^2 (NaN when too few rows).
double fit(const std::vector<double>& y, const std::vector<std::vector<double>>& xs, std::vector<Candidate>& cs) {
  const size_t p = cs.size();
  std::vector<size_t> rows;
  for (size_t t = 0; t < y.size(); ++t) {
    if (std::isnan(y[t])) continue;
    bool ok = true;
    for (size_t j = 0; j < p && ok; ++j) ok = t >= static_cast<size_t>(cs[j].lag) && !std::isnan(xs[j][t - cs[j].lag]);
    if (ok) rows.push_back(t);
  }
  if (rows.size() < p + 3) return nan;
  Eigen::MatrixXd X(rows.size(), p + 1);
  Eigen::VectorXd Y(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    size_t t = rows[r];
    X(r, 0) = 1;
    for (size_t j = 0; j < p; ++j) X(r, j + 1) = xs[j][t - cs[j].lag];
    Y[r] = y[t];
  }
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(X);
  if (qr.rank() < static_cast<long>(p + 1)) return nan;
  Eigen::VectorXd b = qr.solve(Y);
  Eigen::VectorXd res = Y - X * b;
  double sse = res.squaredNorm(), mean = Y.mean(), sst = (Y.array() - mean).square().sum();
  double s2 = sse / static_cast<double>(rows.size() - p - 1);
  Eigen::MatrixXd cov = (X.transpose() * X).inverse() * s2;
  for (size_t j = 0; j < p; ++j) {
    cs[j].coef = b[j + 1];
    cs[j].se = std::sqrt(std::max(0.0, cov(j + 1, j + 1)));
    cs[j].t = cs[j].se > 0 ? cs[j].coef / cs[j].se : (cs[j].coef != 0 ? 1e9 : 0);
  }
  return sst > 0 ? 1 - sse / sst : 1.0;
}

}  // namespace

LearnReport learn(const Graph& structure, const History& h, const LearnOptions& opt) {
  if (opt.max_lag < 0 || opt.max_lag > 365) throw UsageError("--max-lag must be 0..365");
  LearnReport rep;
  rep.graph = structure;
  rep.graph.index();
  Graph& g = rep.graph;
  for (const auto& m : g.metrics) {
    if (!h.series.count(m.name)) rep.notes.push_back("no history for metric '" + m.name + "'");
  }
  for (const auto& effect : g.metrics) {
    auto ys = h.series.find(effect.name);
    if (ys == h.series.end()) continue;
    std::vector<Candidate> cs;
    for (size_t e = 0; e < g.edges.size(); ++e)
      if (g.edges[e].effect == effect.name && h.series.count(g.edges[e].cause))
        cs.push_back({g.edges[e].cause, g.edges[e].kind, g.edges[e].lag_days, e});
    if (opt.discover) {
      for (const auto& entry : h.series) {
        const std::string& name = entry.first;  // a plain reference: clang 14 cannot capture a structured binding
        if (name == effect.name || g.find(name) < 0) continue;
        bool known = std::any_of(cs.begin(), cs.end(), [&](const Candidate& c) { return c.cause == name; });
        if (!known) cs.push_back({name, EdgeKind::linear, 1, SIZE_MAX});
      }
    }
    if (cs.empty()) continue;
    // Elasticity edges are fitted in logs; a mixed effect is fitted in levels.
    bool log_space = std::all_of(cs.begin(), cs.end(), [](const Candidate& c) { return c.kind == EdgeKind::elasticity; });
    std::vector<double> y = transformed(ys->second, log_space);
    std::vector<std::vector<double>> xs;
    for (auto& c : cs) {
      xs.push_back(transformed(h.series.at(c.cause), log_space));
      // A pair with several edges keeps their lags (one coefficient per lag).
      if (c.edge != SIZE_MAX &&
          std::count_if(cs.begin(), cs.end(), [&](const Candidate& o) { return o.cause == c.cause; }) > 1)
        continue;
      int lo = c.edge == SIZE_MAX ? 1 : 0, best_lag = c.lag;
      double best = -1;
      for (int l = lo; l <= opt.max_lag; ++l) {
        double r = std::fabs(lag_correlation(y, xs.back(), l));
        if (r > best + 1e-12) {
          best = r;
          best_lag = l;
        }
      }
      c.lag = best_lag;
    }
    double r2 = fit(y, xs, cs);
    if (opt.discover && !std::isnan(r2)) {
      // Drop weak discovered causes and refit.
      std::vector<Candidate> kept;
      std::vector<std::vector<double>> kx;
      for (size_t j = 0; j < cs.size(); ++j)
        if (cs[j].edge != SIZE_MAX || std::fabs(cs[j].t) >= opt.min_t) {
          kept.push_back(cs[j]);
          kx.push_back(xs[j]);
        }
      cs.swap(kept);
      xs.swap(kx);
      r2 = cs.empty() ? nan : fit(y, xs, cs);
    }
    if (std::isnan(r2)) {
      rep.skipped += cs.size();
      rep.notes.push_back("too few complete days to fit the causes of '" + effect.name + "'");
      continue;
    }
    for (const auto& c : cs) {
      Edge* e;
      if (c.edge == SIZE_MAX) {
        Edge fresh;
        fresh.cause = c.cause;
        fresh.effect = effect.name;
        g.edges.push_back(fresh);
        e = &g.edges.back();
        ++rep.discovered;
      } else {
        e = &g.edges[c.edge];
        ++rep.fitted;
      }
      e->coefficient = c.coef;
      e->lag_days = c.lag;
      e->stddev = c.se;
      e->confidence = std::erf(std::fabs(c.t) / std::sqrt(2.0));
      e->source = "learn";
      e->fit_r2 = r2;
    }
  }
  return rep;
}

}  // namespace opskit::sim

#pragma once
// Generated graphs and their closed-form answers, computed independently of
// the engine: path polynomials (lag -> summed path product) on DAGs, and
// (I - B)^-1 delta for steady states.
#include <map>
#include <random>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "sim/graph.hpp"

namespace simtest {

using opskit::sim::Edge;
using opskit::sim::EdgeKind;
using opskit::sim::Graph;
using opskit::sim::Metric;

inline std::string node(int i) { return "m" + std::to_string(i); }

inline Graph make_graph(int n, double baseline = 100) {
  Graph g;
  for (int i = 0; i < n; ++i) {
    Metric m;
    m.name = node(i);
    m.baseline = baseline + i;
    g.metrics.push_back(m);
  }
  g.index();
  return g;
}

inline void add_edge(Graph& g, int a, int b, double k, int lag, EdgeKind kind = EdgeKind::linear) {
  Edge e;
  e.cause = node(a);
  e.effect = node(b);
  e.coefficient = k;
  e.lag_days = lag;
  e.kind = kind;
  g.edges.push_back(e);
}

// Random DAG on n nodes (edges from lower to higher index).
inline Graph random_dag(int n, int edges, int max_lag, unsigned seed, EdgeKind kind = EdgeKind::linear) {
  Graph g = make_graph(n);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick(0, n - 1), lag(0, max_lag);
  std::uniform_real_distribution<double> coef(-0.9, 0.9);
  for (int k = 0; k < edges; ++k) {
    int a = pick(rng), b = pick(rng);
    if (a == b) continue;
    if (a > b) std::swap(a, b);
    add_edge(g, a, b, coef(rng), lag(rng), kind);
  }
  return g;
}

// Path polynomial of every node for a unit change held at `source` from day 0
// (DAG whose edges go from lower to higher index): poly[v][L] = sum of path
// products arriving after total lag L. Response on day t = sum_{L<=t} poly[v][L].
inline std::vector<std::map<int, double>> path_polynomials(const Graph& g, int source) {
  std::vector<std::map<int, double>> poly(g.metrics.size());
  poly[source][0] = 1;
  for (size_t v = 0; v < g.metrics.size(); ++v)
    for (const auto& e : g.edges) {
      if (g.find(e.cause) != static_cast<int>(v)) continue;
      int w = g.find(e.effect);
      for (auto [l, c] : poly[v]) poly[w][l + e.lag_days] += c * e.coefficient;
    }
  return poly;
}

inline double response(const std::map<int, double>& p, int t) {
  double s = 0;
  for (auto [l, c] : p)
    if (l <= t) s += c;
  return s;
}

// (I - B)^-1 delta with B[effect][cause] summed over edges; rows of `cut` zeroed (do).
inline Eigen::VectorXd steady_linear(const Graph& g, const Eigen::VectorXd& delta, const std::vector<int>& cut = {}) {
  const int n = static_cast<int>(g.metrics.size());
  Eigen::MatrixXd B = Eigen::MatrixXd::Zero(n, n);
  for (const auto& e : g.edges) B(g.find(e.effect), g.find(e.cause)) += e.coefficient;
  for (int c : cut) B.row(c).setZero();
  return (Eigen::MatrixXd::Identity(n, n) - B).fullPivLu().solve(delta);
}

inline double rel_err(double a, double b) { return std::fabs(a - b) / std::max({1e-300, std::fabs(a), std::fabs(b), 1e-12}); }

}  // namespace simtest

namespace simtest {

// Day-by-day reference for linear graphs without zero-lag loops: on each day
// every equation x_i(t) = delta_i + sum coef * x_cause(t - lag) is swept until
// nothing changes (zero-lag chains settle in at most n sweeps). Deviations,
// [day][metric], for a shift of `delta` held from day 0.
inline std::vector<std::vector<double>> reference_days(const Graph& g, const std::vector<double>& delta, int days) {
  const size_t n = g.metrics.size();
  std::vector<std::vector<double>> x(days + 1, std::vector<double>(n, 0.0));
  for (int t = 0; t <= days; ++t) {
    for (size_t sweep = 0; sweep <= n; ++sweep) {
      bool changed = false;
      for (size_t i = 0; i < n; ++i) {
        double v = delta[i];
        for (const auto& e : g.edges) {
          if (g.find(e.effect) != static_cast<int>(i) || t - e.lag_days < 0) continue;
          v += e.coefficient * x[t - e.lag_days][g.find(e.cause)];
        }
        if (v != x[t][i]) changed = true;
        x[t][i] = v;
      }
      if (!changed) break;
    }
  }
  return x;
}

}  // namespace simtest

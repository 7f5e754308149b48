#include "sim/validate.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include <Eigen/Dense>

#include "blocks.hpp"

namespace opskit::sim {

double linear_gain(const Graph& g, const Edge& e) {
  if (e.kind == EdgeKind::linear) return e.coefficient;
  return e.coefficient * g.metric(e.effect).baseline / g.metric(e.cause).baseline;
}

namespace {

// Spectral radius of a dense matrix.
double radius(const Eigen::MatrixXd& M) {
  if (M.rows() == 0) return 0;
  Eigen::EigenSolver<Eigen::MatrixXd> es(M, false);
  double r = 0;
  for (int i = 0; i < es.eigenvalues().size(); ++i) r = std::max(r, std::abs(es.eigenvalues()[i]));
  return r;
}

struct BlockEdges {
  std::vector<int> from, to, lag;  // local indices
  std::vector<double> gain;
};

// Growth rate of x(t) = A0 x(t) + sum A_L x(t-L) by power iteration (large blocks).
double estimate_radius(int k, const BlockEdges& be, int max_lag) {
  const int D = max_lag + 1, steps = 3000;
  std::vector<double> hist(static_cast<size_t>(D) * k, 0.0);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> nd;
  for (auto& v : hist) v = nd(rng);
  double log_growth = 0;
  int counted = 0;
  for (int t = D; t < D + steps; ++t) {
    size_t s = static_cast<size_t>(t % D) * k;
    std::vector<double> x(k, 0.0);
    for (size_t e = 0; e < be.from.size(); ++e)
      if (be.lag[e] > 0) x[be.to[e]] += be.gain[e] * hist[static_cast<size_t>((t - be.lag[e]) % D) * k + be.from[e]];
    // Zero-lag part by fixed-point sweeps (its radius is checked separately).
    std::vector<double> base = x;
    for (int sweep = 0; sweep < 200; ++sweep) {
      std::vector<double> nx = base;
      for (size_t e = 0; e < be.from.size(); ++e)
        if (be.lag[e] == 0) nx[be.to[e]] += be.gain[e] * x[be.from[e]];
      x.swap(nx);
    }
    double norm_new = 0, norm_old = 0;
    for (int i = 0; i < k; ++i) norm_new += x[i] * x[i];
    for (double v : hist) norm_old += v * v;
    for (int i = 0; i < k; ++i) hist[s + i] = x[i];
    double norm_all = 0;
    for (double v : hist) norm_all += v * v;
    if (norm_all == 0) return 0;
    double f = 1 / std::sqrt(norm_all);
    for (auto& v : hist) v *= f;
    if (t >= D + steps / 2) {
      log_growth += 0.5 * std::log(norm_all / std::max(norm_old, 1e-300));
      ++counted;
    }
    (void)norm_new;
  }
  return std::exp(log_growth / std::max(counted, 1));
}

}  // namespace

ValidationReport validate(const Graph& g) {
  ValidationReport rep;
  rep.metrics = g.metrics.size();
  rep.edges = g.edges.size();
  const int n = static_cast<int>(g.metrics.size());
  std::vector<int> ec, ef;
  for (const auto& e : g.edges) {
    int c = g.require(e.cause, e.where), f = g.require(e.effect, e.where);
    ec.push_back(c);
    ef.push_back(f);
    if (c == f && e.lag_days == 0)
      throw DataError(e.where, "zero-lag self-loop on '" + e.cause + "' (an effect cannot cause itself on the same day)");
    if (e.kind == EdgeKind::elasticity && (g.metrics[c].baseline <= 0 || g.metrics[f].baseline <= 0))
      throw DataError(e.where, "elasticity edge " + e.cause + " -> " + e.effect + " needs positive baselines");
    if (!std::isfinite(e.coefficient)) throw DataError(e.where, "coefficient is not finite");
  }
  std::vector<int> os(n + 1, 0), ot(ec.size());
  for (int c : ec) ++os[c + 1];
  for (int i = 0; i < n; ++i) os[i + 1] += os[i];
  {
    std::vector<int> fill(os.begin(), os.end() - 1);
    for (size_t e = 0; e < ec.size(); ++e) ot[fill[ec[e]]++] = ef[e];
  }
  detail::Blocks blocks = detail::topological_blocks(n, os, ot);
  std::vector<std::vector<int>> block_edges(blocks.count());
  for (size_t e = 0; e < ec.size(); ++e)
    if (blocks.block_of[ec[e]] == blocks.block_of[ef[e]]) block_edges[blocks.block_of[ec[e]]].push_back(static_cast<int>(e));
  for (size_t b = 0; b < blocks.count(); ++b) {
    if (block_edges[b].empty()) continue;
    const int s0 = blocks.start[b], k = blocks.start[b + 1] - s0;
    std::vector<int> local(0);
    auto loc = [&](int metric) {
      return static_cast<int>(std::lower_bound(blocks.members.begin() + s0, blocks.members.begin() + s0 + k, metric) -
                              (blocks.members.begin() + s0));
    };
    std::sort(blocks.members.begin() + s0, blocks.members.begin() + s0 + k);
    BlockEdges be;
    int max_lag = 0;
    for (int e : block_edges[b]) {
      be.from.push_back(loc(ec[e]));
      be.to.push_back(loc(ef[e]));
      be.lag.push_back(g.edges[e].lag_days);
      be.gain.push_back(linear_gain(g, g.edges[e]));
      max_lag = std::max(max_lag, g.edges[e].lag_days);
    }
    LoopReport lr;
    lr.block_size = static_cast<size_t>(k);
    // Name the loop: the shortest cycle through the block's first metric.
    auto cyc = detail::find_cycle(blocks.members[s0], blocks, os, ot);
    for (int v : cyc) lr.cycle.push_back(g.metrics[v].name);
    lr.gain = 1;
    for (size_t p = 0; p + 1 < cyc.size(); ++p) {
      double best = 0;
      for (int e : block_edges[b])
        if (ec[e] == cyc[p] && ef[e] == cyc[p + 1]) best += linear_gain(g, g.edges[e]);
      lr.gain *= best;
    }
    const long dim = static_cast<long>(k) * max_lag;
    bool has_zero = std::any_of(be.lag.begin(), be.lag.end(), [](int l) { return l == 0; });
    double r0 = 0;
    if (k <= 400) {
      Eigen::MatrixXd A0 = Eigen::MatrixXd::Zero(k, k);
      for (size_t e = 0; e < be.from.size(); ++e)
        if (be.lag[e] == 0) A0(be.to[e], be.from[e]) += be.gain[e];
      if (has_zero) r0 = radius(A0);
      if (r0 < 1 && dim <= 400) {
        Eigen::MatrixXd inv = (Eigen::MatrixXd::Identity(k, k) - A0).inverse();
        Eigen::MatrixXd C = Eigen::MatrixXd::Zero(dim, dim);
        for (size_t e = 0; e < be.from.size(); ++e)
          if (be.lag[e] > 0) {
            for (int r = 0; r < k; ++r) C(r, (be.lag[e] - 1) * k + be.from[e]) += inv(r, be.to[e]) * be.gain[e];
          }
        for (long r = k; r < dim; ++r) C(r, r - k) = 1;
        lr.radius = radius(C);
      } else if (r0 < 1) {
        lr.radius = estimate_radius(k, be, max_lag);
        lr.exact = false;
      } else {
        lr.radius = r0;
      }
    } else {
      lr.radius = estimate_radius(k, be, max_lag);
      lr.exact = false;
    }
    if (max_lag == 0) lr.radius = r0;
    lr.stable = r0 < 1 - 1e-12 && lr.radius < 1 - 1e-12;
    rep.loops.push_back(lr);
    if (!lr.stable) {
      std::ostringstream msg;
      msg << "unstable feedback loop ";
      for (size_t p = 0; p < lr.cycle.size(); ++p) msg << (p ? " -> " : "") << lr.cycle[p];
      msg << " (loop gain " << lr.gain << ", spectral radius of the lagged system " << lr.radius
          << (lr.exact ? "" : " estimated") << ", must be below 1; " << k << " metrics in the loop)";
      const Edge* first = nullptr;
      for (int e : block_edges[b])
        if (!first) first = &g.edges[e];
      if (first && !first->where.file.empty()) throw DataError(first->where, msg.str());
      throw DataError(msg.str());
    }
  }
  return rep;
}

}  // namespace opskit::sim

// The compiled equations and one day's evaluation (see engine.hpp).
#include <algorithm>
#include <cmath>

#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

#include <Eigen/Dense>
#include <Eigen/Sparse>

#include "engine_impl.hpp"

namespace opskit::sim {

namespace {

// Changes that fade along long lagged paths reach subnormal magnitudes
// (below 2.2e-308), where x86 arithmetic is a hundred times slower. They are
// flushed to zero while the engine runs; no reported figure is that small.
class FlushDenormals {
 public:
#if defined(__SSE2__)
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }  // FTZ | DAZ
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#endif
};

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr int dense_limit = 150;
constexpr int newton_iterations = 60;
}  // namespace

Engine::Impl::Impl(const Graph& g) {
  n = static_cast<int>(g.metrics.size());
  m = static_cast<int>(g.edges.size());
  names.reserve(n);
  for (const auto& mt : g.metrics) {
    names.push_back(mt.name);
    base.push_back(mt.baseline);
    lo.push_back(mt.min ? *mt.min - mt.baseline : -inf);
    hi.push_back(mt.max ? *mt.max - mt.baseline : inf);
  }
  log_needed.assign(n, 0);
  in_start.assign(n + 1, 0);
  for (int i = 0; i < n; ++i) by_name.emplace(names[i], i);
  for (const auto& e : g.edges) {
    auto ci = by_name.find(e.cause), fi = by_name.find(e.effect);
    if (ci == by_name.end() || fi == by_name.end()) g.require(ci == by_name.end() ? e.cause : e.effect, e.where);
    int c = ci->second, f = fi->second;
    cause.push_back(c);
    effect.push_back(f);
    elastic.push_back(e.kind == EdgeKind::elasticity);
    coef.push_back(e.coefficient);
    if (e.kind == EdgeKind::elasticity) log_needed[c] = 1;
    ++in_start[f + 1];
  }
  for (int i = 0; i < n; ++i) in_start[i + 1] += in_start[i];
  in_edge.assign(m, 0);
  std::vector<int> fill(in_start.begin(), in_start.end() - 1);
  for (int e = 0; e < m; ++e) in_edge[fill[effect[e]]++] = e;
  // Linear edges first, then elasticities: the day loop runs two branch-free sums.
  in_split.assign(n, 0);
  for (int i = 0; i < n; ++i) {
    auto first = in_edge.begin() + in_start[i], last = in_edge.begin() + in_start[i + 1];
    auto mid = std::stable_partition(first, last, [&](int e) { return !elastic[e]; });
    in_split[i] = static_cast<int>(mid - in_edge.begin());
  }
  for (const auto& e : g.edges) lags.push_back(e.lag_days);
  for (int p = 0; p < m; ++p) {
    in_cause.push_back(cause[in_edge[p]]);
    in_elastic.push_back(elastic[in_edge[p]]);
    in_coef.push_back(coef[in_edge[p]]);
  }
  dyn = compile(true);
  stat = compile(false);
}

Compiled Engine::Impl::compile(bool with_lags) const {
  // Blocks are the strongly connected components of the zero-lag edges
  // (static: of all edges, every lag being removed).
  Compiled c;
  c.lag.assign(m, 0);
  if (with_lags) c.lag = lags;
  c.depth = 1;
  for (int l : c.lag) c.depth = std::max(c.depth, l + 1);
  std::vector<int> os(n + 1, 0), ot;
  for (int e = 0; e < m; ++e)
    if (c.lag[e] == 0) ++os[cause[e] + 1];
  for (int i = 0; i < n; ++i) os[i + 1] += os[i];
  ot.assign(os[n], 0);
  std::vector<int> f(os.begin(), os.end() - 1);
  for (int e = 0; e < m; ++e)
    if (c.lag[e] == 0) ot[f[cause[e]]++] = effect[e];
  c.blocks = detail::topological_blocks(n, os, ot);
  c.in_lag.resize(m);
  for (int p = 0; p < m; ++p) c.in_lag[p] = c.lag[in_edge[p]];
  c.solve.assign(c.blocks.count(), 0);
  for (size_t b = 0; b < c.blocks.count(); ++b) {
    int s = c.blocks.start[b];
    if (c.blocks.start[b + 1] - s > 1) {
      c.solve[b] = 1;
      continue;
    }
    int i = c.blocks.members[s];
    for (int p = in_start[i]; p < in_start[i + 1]; ++p)
      if (cause[in_edge[p]] == i && c.lag[in_edge[p]] == 0) c.solve[b] = 1;  // a self-loop
  }
  return c;
}

std::vector<double> Engine::Impl::to_csr(const std::vector<double>& by_edge) const {
  std::vector<double> k(m);
  for (int p = 0; p < m; ++p) k[p] = by_edge[in_edge[p]];
  return k;
}

ActiveSet Engine::Impl::activate(const std::vector<Intervention>& set, Mode mode) const {
  ActiveSet a;
  a.kind.assign(n, -1);
  a.set = &set;
  a.mode = mode;
  for (size_t k = 0; k < set.size(); ++k) {
    auto it = by_name.find(set[k].metric);
    if (it == by_name.end()) throw DataError("unknown metric '" + set[k].metric + "'");
    a.kind[it->second] = static_cast<int>(k);
  }
  return a;
}

bool Engine::Impl::set_value(int i, int slot, double d, std::vector<double>& dev, std::vector<double>& lr) const {
  dev[static_cast<size_t>(slot) * n + i] = d;
  if (log_needed[i]) {
    double r = d / base[i];
    if (!(r > -1)) return false;
    lr[static_cast<size_t>(slot) * n + i] = d == 0 ? 0.0 : std::log1p(r);
  }
  return std::isfinite(d);
}

// Structural value of metric i on day t (deviation), with the derivative
// with respect to same-slot causes inside block `blk` when `grad` is set.
struct Grad {
  std::vector<std::pair<int, double>> terms;
};

static double apply(const Intervention& iv, Mode mode, double b, double d, double* scale) {
  *scale = 1;
  if (mode == Mode::do_) {
    *scale = 0;
    switch (iv.kind) {
      case Intervention::Kind::percent: return b * iv.value;
      case Intervention::Kind::delta: return iv.value;
      case Intervention::Kind::level: return iv.value - b;
    }
  }
  switch (iv.kind) {
    case Intervention::Kind::percent: *scale = 1 + iv.value; return d * (1 + iv.value) + b * iv.value;
    case Intervention::Kind::delta: return d + iv.value;
    case Intervention::Kind::level: return d + (iv.value - b);
  }
  return d;
}

double Engine::Impl::eval(const Compiled& c, const double* k, const ActiveSet& act, int i, int t, bool use_start,
                          const size_t* off, const std::vector<double>& dev, const std::vector<double>& lr,
                          bool* was_clamped) const {
  const Intervention* iv = nullptr;
  if (act.kind[i] >= 0) {
    const auto& x = (*act.set)[act.kind[i]];
    if (!use_start || t >= x.start_day) iv = &x;
  }
  double d = 0;
  if (!(iv && act.mode == Mode::do_)) {
    double a = 0, L = 0;
    // Days before day 0 read ring slots not yet written, which hold zeros;
    // a metric at its baseline has deviation 0 and log-ratio 0, so no test is needed.
    const double* dv = dev.data();
    const double* lv = lr.data();
    const int* lag = c.in_lag.data();
    const int* cs = in_cause.data();
    const int split = in_split[i], end = in_start[i + 1];
    for (int p = in_start[i]; p < split; ++p) a += k[p] * dv[off[lag[p]] + cs[p]];
    for (int p = split; p < end; ++p) L += k[p] * lv[off[lag[p]] + cs[p]];
    if (L != 0) {
      double em1 = std::expm1(L);
      d = a * (em1 + 1) + base[i] * em1;
    } else {
      d = a;
    }
  }
  if (iv) {
    double scale;
    d = apply(*iv, act.mode, base[i], d, &scale);
  }
  *was_clamped = false;
  if (d < lo[i]) { d = lo[i]; *was_clamped = true; }
  if (d > hi[i]) { d = hi[i]; *was_clamped = true; }
  return d;
}

bool Engine::Impl::step(const Compiled& c, const double* k, const ActiveSet& act, int t, bool use_start,
                        std::vector<double>& dev, std::vector<double>& lr, std::vector<char>* clamped) const {
  FlushDenormals ftz;
  const int slot = t % c.depth, D = c.depth;
  std::vector<size_t> off(D);
  for (int L = 0; L < D; ++L) off[L] = static_cast<size_t>(((t - L) % D + D) % D) * n;
  const size_t nb = c.blocks.count();
  for (size_t b = 0; b < nb; ++b) {
    if (c.solve[b]) {
      if (!solve_block(c, k, act, static_cast<int>(b), t, use_start, off.data(), dev, lr, clamped)) return false;
      continue;
    }
    int i = c.blocks.members[c.blocks.start[b]];
    bool cl;
    double d = eval(c, k, act, i, t, use_start, off.data(), dev, lr, &cl);
    if (cl && clamped) (*clamped)[i] = 1;
    if (!set_value(i, slot, d, dev, lr)) return false;
  }
  return true;
}

bool Engine::Impl::solve_block(const Compiled& c, const double* k, const ActiveSet& act, int blk, int t,
                               bool use_start, const size_t* off, std::vector<double>& dev, std::vector<double>& lr,
                               std::vector<char>* clamped) const {
  const int s0 = c.blocks.start[blk], size = c.blocks.start[blk + 1] - s0;
  const int* mem = &c.blocks.members[s0];
  const int slot = t % c.depth, D = c.depth;
  std::vector<int> local(size);
  std::vector<double> x(size), F(size);
  // Start from yesterday's values (dynamic) or the baseline (static).
  for (int j = 0; j < size; ++j) {
    x[j] = (D > 1 && t > 0) ? dev[static_cast<size_t>((t - 1) % D) * n + mem[j]] : 0.0;
  }
  auto local_of = [&](int metric) {
    for (int j = 0; j < size; ++j)
      if (mem[j] == metric) return j;
    return -1;
  };
  std::vector<std::vector<std::pair<int, int>>> internal(size);  // (CSR position, local cause)
  {
    std::vector<int> pos;
    for (int j = 0; j < size; ++j) {
      int i = mem[j];
      for (int p = in_start[i]; p < in_start[i + 1]; ++p) {
        if (c.in_lag[p] != 0 || c.blocks.block_of[in_cause[p]] != blk) continue;
        internal[j].emplace_back(p, size <= 64 ? local_of(in_cause[p]) : -1);
      }
    }
    if (size > 64) {  // map causes with a sorted index for large blocks
      std::vector<std::pair<int, int>> idx;
      for (int j = 0; j < size; ++j) idx.emplace_back(mem[j], j);
      std::sort(idx.begin(), idx.end());
      for (auto& v : internal)
        for (auto& [p, lc] : v) lc = std::lower_bound(idx.begin(), idx.end(), std::make_pair(in_cause[p], -1))->second;
    }
  }
  std::vector<char> cl(size, 0);
  for (int it = 0; it < newton_iterations; ++it) {
    for (int j = 0; j < size; ++j)
      if (!set_value(mem[j], slot, x[j], dev, lr)) return false;
    double scale = 0, res = 0;
    std::vector<Eigen::Triplet<double>> trip;
    for (int j = 0; j < size; ++j) {
      int i = mem[j];
      bool was;
      F[j] = eval(c, k, act, i, t, use_start, off, dev, lr, &was);
      cl[j] = was;
      trip.emplace_back(j, j, 1.0);
      bool is_do = act.kind[i] >= 0 && act.mode == Mode::do_ &&
                   (!use_start || t >= (*act.set)[act.kind[i]].start_day);
      if (!was && !is_do) {
        double mult = 1;
        if (act.kind[i] >= 0 && (!use_start || t >= (*act.set)[act.kind[i]].start_day) &&
            (*act.set)[act.kind[i]].kind == Intervention::Kind::percent)
          mult = 1 + (*act.set)[act.kind[i]].value;
        // F = (b + a) e^L - b; recover e^L and (b + a) from the sums.
        double a = 0, L = 0;
        for (int p = in_start[i]; p < in_start[i + 1]; ++p) {
          size_t sidx = off[c.in_lag[p]] + in_cause[p];
          if (in_elastic[p]) L += k[p] * lr[sidx];
          else a += k[p] * dev[sidx];
        }
        double eL = std::exp(L);
        for (auto [p, lc] : internal[j]) {
          double g = in_elastic[p] ? (base[i] + a) * eL * k[p] / (base[in_cause[p]] + x[lc]) : k[p] * eL;
          trip.emplace_back(j, lc, -g * mult);
        }
      }
      scale = std::max({scale, std::fabs(x[j]), std::fabs(F[j])});
      res = std::max(res, std::fabs(x[j] - F[j]));
    }
    if (res <= 1e-14 * scale || res == 0) {
      for (int j = 0; j < size; ++j)
        if (cl[j] && clamped) (*clamped)[mem[j]] = 1;
      return true;
    }
    Eigen::VectorXd r(size);
    for (int j = 0; j < size; ++j) r[j] = F[j] - x[j];
    Eigen::VectorXd delta;
    if (size <= dense_limit) {
      Eigen::MatrixXd J = Eigen::MatrixXd::Zero(size, size);
      for (const auto& tr : trip) J(tr.row(), tr.col()) += tr.value();
      Eigen::FullPivLU<Eigen::MatrixXd> lu(J);
      if (!lu.isInvertible()) return false;
      delta = lu.solve(r);
    } else {
      Eigen::SparseMatrix<double> J(size, size);
      J.setFromTriplets(trip.begin(), trip.end());
      Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
      lu.compute(J);
      if (lu.info() != Eigen::Success) return false;
      delta = lu.solve(r);
    }
    double step_size = 0;
    for (int j = 0; j < size; ++j) {
      x[j] += delta[j];
      step_size = std::max(step_size, std::fabs(delta[j]));
    }
    if (!std::isfinite(step_size)) return false;
    if (step_size <= 1e-15 * std::max(scale, 1e-300) && it > 0) {
      for (int j = 0; j < size; ++j)
        if (!set_value(mem[j], slot, x[j], dev, lr)) return false;
      return true;
    }
  }
  return false;
}

}  // namespace opskit::sim

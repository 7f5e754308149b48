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

// log1p and expm1 by their series when the argument is tiny (the usual case
// far from an intervention): the first dropped term is below 2^-60 of the
// result for |x| < 2^-16, i.e. the same double as the library call to within
// an ulp, at a fraction of the cost.
inline double fast_log1p(double x) {
  if (std::fabs(x) < 0x1p-16) return x * (1 - x * (0.5 - x * (1.0 / 3 - x * 0.25)));
  return std::log1p(x);
}
inline double fast_expm1(double x) {
  if (std::fabs(x) < 0x1p-16) return x * (1 + x * (0.5 + x * (1.0 / 6 + x * (1.0 / 24))));
  return std::expm1(x);
}
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
    in_effect.push_back(effect[in_edge[p]]);
  }
  out_start.assign(n + 1, 0);
  for (int e = 0; e < m; ++e) ++out_start[cause[e] + 1];
  for (int i = 0; i < n; ++i) out_start[i + 1] += out_start[i];
  out_to.assign(m, 0);
  std::vector<int> of(out_start.begin(), out_start.end() - 1);
  for (int e = 0; e < m; ++e) out_to[of[cause[e]]++] = effect[e];
  dyn = compile(true);
  stat = compile(false);
  // The dyn blocks inside each cyclic static block, in dyn order (block ids
  // are topological), for stepping that block day by day.
  dyn_inner.assign(stat.blocks.count(), {});
  for (size_t b = 0; b < stat.blocks.count(); ++b) {
    if (!stat.solve[b]) continue;
    std::vector<int> ids;
    for (int p = stat.blocks.start[b]; p < stat.blocks.start[b + 1]; ++p) ids.push_back(dyn.blocks.block_of[stat.blocks.members[p]]);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (int d : ids) dyn_inner[b].push_back(dyn.solve[d] ? -d - 1 : dyn.blocks.members[dyn.blocks.start[d]]);
  }
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

void State::reset(int metrics, int d, int day_count) {
  if (d != depth || day_count != days) {  // rows of another length: start a new pool
    owned.clear();
    spare.clear();
  } else {  // every row is free again
    spare.clear();
    for (auto& o : owned) spare.push_back(o.get());
  }
  depth = d;
  days = day_count;
  zeros.assign(static_cast<size_t>(depth) + days, 0.0);
  dev.assign(metrics, zeros.data());
  lr.assign(metrics, zeros.data());
  clamped.assign(metrics, 0);
  scratch.assign(days, 0.0);
}

double* State::take() {
  double* r;
  if (spare.empty()) {
    owned.emplace_back(new double[static_cast<size_t>(depth) + days]);
    r = owned.back().get();
  } else {
    r = spare.back();
    spare.pop_back();
  }
  std::fill(r, r + depth, 0.0);  // the days before day 0; the rest is written before it is read
  return r;
}

void State::give(double* row) { spare.push_back(row); }

std::vector<double> Engine::Impl::to_csr(const std::vector<double>& by_edge) const {
  std::vector<double> k;
  to_csr(by_edge, k);
  return k;
}

void Engine::Impl::to_csr(const std::vector<double>& by_edge, std::vector<double>& k) const {
  k.resize(m);
  for (int p = 0; p < m; ++p) k[p] = by_edge[in_edge[p]];
}

ActiveSet Engine::Impl::activate(const std::vector<Intervention>& set, Mode mode) const {
  ActiveSet a;
  a.kind.assign(n, -1);
  a.set = &set;
  a.mode = mode;
  std::vector<int> stack;
  a.reach.assign(n, 0);
  for (size_t k = 0; k < set.size(); ++k) {
    auto it = by_name.find(set[k].metric);
    if (it == by_name.end()) throw DataError("unknown metric '" + set[k].metric + "'");
    a.kind[it->second] = static_cast<int>(k);
    a.last_start = std::max(a.last_start, set[k].start_day);
    if (!a.reach[it->second]) {
      a.reach[it->second] = 1;
      stack.push_back(it->second);
    }
  }
  // Everything downstream of an intervention, by an explicit stack.
  while (!stack.empty()) {
    int v = stack.back();
    stack.pop_back();
    for (int p = out_start[v]; p < out_start[v + 1]; ++p)
      if (!a.reach[out_to[p]]) {
        a.reach[out_to[p]] = 1;
        stack.push_back(out_to[p]);
      }
  }
  const size_t nb = stat.blocks.count();
  for (size_t b = 0; b < nb; ++b) {
    int first = stat.blocks.members[stat.blocks.start[b]];
    if (!a.reach[first]) continue;  // a block is reached whole or not at all
    a.program.push_back(stat.solve[b] ? -static_cast<int>(b) - 1 : first);
  }
  a.consumers.assign(n, 0);
  for (int p = 0; p < m; ++p)
    if (a.reach[in_effect[p]] && a.reach[in_cause[p]]) ++a.consumers[in_cause[p]];
  return a;
}

bool Engine::Impl::set_value(int i, int t, double d, State& st) const {
  st.dev[i][st.depth + t] = d;
  if (log_needed[i]) {
    double r = d / base[i];
    if (!(r > -1)) return false;
    st.lr[i][st.depth + t] = d == 0 ? 0.0 : fast_log1p(r);
  }
  return std::isfinite(d);
}

static double apply(const Intervention& iv, Mode mode, double b, double d) {
  if (mode == Mode::do_) {
    switch (iv.kind) {
      case Intervention::Kind::percent: return b * iv.value;
      case Intervention::Kind::delta: return iv.value;
      case Intervention::Kind::level: return iv.value - b;
    }
  }
  switch (iv.kind) {
    case Intervention::Kind::percent: return d * (1 + iv.value) + b * iv.value;
    case Intervention::Kind::delta: return d + iv.value;
    case Intervention::Kind::level: return d + (iv.value - b);
  }
  return d;
}

double Engine::Impl::eval(const Compiled& c, const double* k, const ActiveSet& act, int i, int t, bool use_start,
                          const State& st, bool* was_clamped) const {
  const Intervention* iv = nullptr;
  if (act.kind[i] >= 0) {
    const auto& x = (*act.set)[act.kind[i]];
    if (!use_start || t >= x.start_day) iv = &x;
  }
  double d = 0;
  if (!(iv && act.mode == Mode::do_)) {
    // Days before day 0 are the rows' zero prefix: a metric at its baseline
    // has deviation 0 and log-ratio 0, so no test is needed.
    double a = 0, L = 0;
    const int split = in_split[i], end = in_start[i + 1], at = st.depth + t;
    for (int p = in_start[i]; p < split; ++p) a += k[p] * st.dev[in_cause[p]][at - c.in_lag[p]];
    for (int p = split; p < end; ++p) L += k[p] * st.lr[in_cause[p]][at - c.in_lag[p]];
    if (L != 0) {
      double em1 = fast_expm1(L);
      d = a * (em1 + 1) + base[i] * em1;
    } else {
      d = a;
    }
  }
  if (iv) d = apply(*iv, act.mode, base[i], d);
  *was_clamped = false;
  if (d < lo[i]) { d = lo[i]; *was_clamped = true; }
  if (d > hi[i]) { d = hi[i]; *was_clamped = true; }
  return d;
}

int Engine::Impl::sweep_metric(const Compiled& c, const double* k, const ActiveSet& act, int i, bool use_start,
                               State& st) const {
  const int days = st.days, D = st.depth;
  double* out = st.dev[i] + D;
  std::fill(out, out + days, 0.0);
  const int split = in_split[i], end = in_start[i + 1];
  for (int p = in_start[i]; p < split; ++p) {
    const double kk = k[p];
    const double* x = st.dev[in_cause[p]] + D - c.in_lag[p];
    for (int t = 0; t < days; ++t) out[t] += kk * x[t];
  }
  double* Ls = st.scratch.data();
  const bool has_log = split < end;
  if (has_log) {
    std::fill(Ls, Ls + days, 0.0);
    for (int p = split; p < end; ++p) {
      const double kk = k[p];
      const double* x = st.lr[in_cause[p]] + D - c.in_lag[p];
      for (int t = 0; t < days; ++t) Ls[t] += kk * x[t];
    }
  }
  const Intervention* iv = act.kind[i] >= 0 ? &(*act.set)[act.kind[i]] : nullptr;
  const int start = iv ? (use_start ? iv->start_day : 0) : days;
  const double b = base[i], lo_i = lo[i], hi_i = hi[i];
  const bool bounded = std::isfinite(lo_i) || std::isfinite(hi_i);
  double* lrow = log_needed[i] ? st.lr[i] + D : nullptr;
  for (int t = 0; t < days; ++t) {
    double d = out[t];
    if (has_log && Ls[t] != 0) {
      double em1 = fast_expm1(Ls[t]);
      d = d * (em1 + 1) + b * em1;
    }
    if (t >= start) d = apply(*iv, act.mode, b, d);
    if (bounded) {
      if (d < lo_i) { d = lo_i; st.clamped[i] = 1; }
      if (d > hi_i) { d = hi_i; st.clamped[i] = 1; }
    }
    if (!std::isfinite(d)) return t;
    out[t] = d;
    if (lrow) {
      double r = d / b;
      if (!(r > -1)) return t;
      lrow[t] = d == 0 ? 0.0 : fast_log1p(r);
    }
  }
  return -1;
}

int Engine::Impl::run_program(bool dynamic, const double* k, const ActiveSet& act, int days, State& st,
                              const std::vector<char>* keep, const Visit& visit) const {
  FlushDenormals ftz;
  const Compiled& c = dynamic ? dyn : stat;
  st.reset(n, c.depth, days);
  std::vector<int> cons = act.consumers;
  // One-day rows (the steady state) are too small to be worth recycling mid-run.
  const bool recycle = days > 1;
  auto release_causes = [&](int i) {
    if (!recycle) return;
    for (int p = in_start[i]; p < in_start[i + 1]; ++p) {
      int cs = in_cause[p];
      if (act.reach[cs] && --cons[cs] == 0 && !(keep && (*keep)[cs])) {
        st.give(st.dev[cs]);
        if (st.lr[cs] != st.zeros.data()) st.give(st.lr[cs]);
      }
    }
  };
  auto finish = [&](int i) {
    visit(i, st.dev[i] + st.depth);
    if (recycle && cons[i] == 0 && !(keep && (*keep)[i])) {
      st.give(st.dev[i]);
      if (st.lr[i] != st.zeros.data()) st.give(st.lr[i]);
    }
  };
  auto take_rows = [&](int i) {
    st.dev[i] = st.take();
    if (log_needed[i]) st.lr[i] = st.take();
  };
  for (int op : act.program) {
    if (op >= 0) {
      take_rows(op);
      if (days == 1) {  // the steady state: one equation, no series
        bool cl;
        double d = eval(c, k, act, op, 0, dynamic, st, &cl);
        if (cl) st.clamped[op] = 1;
        if (!set_value(op, 0, d, st)) return 0;
      } else {
        int bad = sweep_metric(c, k, act, op, dynamic, st);
        if (bad >= 0) return bad;
      }
      finish(op);
      release_causes(op);
      continue;
    }
    const int b = -op - 1;
    const int* mem = &stat.blocks.members[stat.blocks.start[b]];
    const int size = stat.blocks.start[b + 1] - stat.blocks.start[b];
    for (int j = 0; j < size; ++j) take_rows(mem[j]);
    const std::vector<int> self{op};
    const std::vector<int>& inner = dynamic ? dyn_inner[b] : self;
    for (int t = 0; t < days; ++t)
      for (int iop : inner) {
        if (iop < 0) {
          if (!solve_block(c, k, act, -iop - 1, t, dynamic, st)) return t;
          continue;
        }
        bool cl;
        double d = eval(c, k, act, iop, t, dynamic, st, &cl);
        if (cl) st.clamped[iop] = 1;
        if (!set_value(iop, t, d, st)) return t;
      }
    for (int j = 0; j < size; ++j) finish(mem[j]);
    for (int j = 0; j < size; ++j) release_causes(mem[j]);
  }
  return -1;
}

bool Engine::Impl::steady_state(const double* k, const ActiveSet& act, State& st, std::vector<double>& out) const {
  out.assign(n, 0.0);
  return run_program(false, k, act, 1, st, nullptr, [&](int i, const double* row) { out[i] = row[0]; }) < 0;
}

bool Engine::Impl::solve_block(const Compiled& c, const double* k, const ActiveSet& act, int blk, int t,
                               bool use_start, State& st) const {
  const int s0 = c.blocks.start[blk], size = c.blocks.start[blk + 1] - s0;
  const int* mem = &c.blocks.members[s0];
  const int at = st.depth + t;
  std::vector<double> x(size), F(size);
  // Start from yesterday's values (dynamic) or the baseline (static).
  for (int j = 0; j < size; ++j) x[j] = t > 0 ? st.dev[mem[j]][at - 1] : 0.0;
  auto local_of = [&](int metric) {
    for (int j = 0; j < size; ++j)
      if (mem[j] == metric) return j;
    return -1;
  };
  std::vector<std::vector<std::pair<int, int>>> internal(size);  // (CSR position, local cause)
  {
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
      if (!set_value(mem[j], t, x[j], st)) return false;
    double scale = 0, res = 0;
    std::vector<Eigen::Triplet<double>> trip;
    for (int j = 0; j < size; ++j) {
      int i = mem[j];
      bool was;
      F[j] = eval(c, k, act, i, t, use_start, st, &was);
      cl[j] = was;
      trip.emplace_back(j, j, 1.0);
      bool active = act.kind[i] >= 0 && (!use_start || t >= (*act.set)[act.kind[i]].start_day);
      bool is_do = active && act.mode == Mode::do_;
      if (!was && !is_do) {
        double mult = 1;
        if (active && (*act.set)[act.kind[i]].kind == Intervention::Kind::percent) mult = 1 + (*act.set)[act.kind[i]].value;
        // F = (b + a) e^L - b; recover e^L and (b + a) from the sums.
        double a = 0, L = 0;
        for (int p = in_start[i]; p < in_start[i + 1]; ++p) {
          if (in_elastic[p]) L += k[p] * st.lr[in_cause[p]][at - c.in_lag[p]];
          else a += k[p] * st.dev[in_cause[p]][at - c.in_lag[p]];
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
        if (cl[j]) st.clamped[mem[j]] = 1;
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
        if (!set_value(mem[j], t, x[j], st)) return false;
      return true;
    }
  }
  return false;
}

}  // namespace opskit::sim

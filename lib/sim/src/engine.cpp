// The public face of the exact engine: interventions, day-by-day runs, the
// steady state, and the naive BFS kept for comparison.
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

#include "core/text.hpp"
#include "engine_impl.hpp"
#include "sim/loader.hpp"

namespace opskit::sim {

Mode parse_mode(const std::string& s) {
  if (s == "shift") return Mode::shift;
  if (s == "do") return Mode::do_;
  throw UsageError("--mode must be shift or do, not '" + s + "'");
}
const char* mode_name(Mode m) { return m == Mode::shift ? "shift" : "do"; }

Intervention parse_set(const std::string& txt, const Graph& g) {
  Intervention iv;
  iv.text = txt;
  auto eq = txt.find('=');
  if (eq == std::string::npos)
    throw DataError("--set '" + txt + "': expected METRIC=+20%, METRIC=-5, METRIC=+100 or METRIC=LEVEL");
  std::string name(text::trim(std::string_view(txt).substr(0, eq)));
  std::string_view v = text::trim(std::string_view(txt).substr(eq + 1));
  // Optional start day: "price=+10%@30".
  auto at = v.find('@');
  if (at != std::string_view::npos) {
    iv.start_day = parse_days(v.substr(at + 1), "--set '" + txt + "' start day");
    v = text::trim(v.substr(0, at));
  }
  g.require(name);
  iv.metric = name;
  bool signed_change = !v.empty() && (v.front() == '+' || v.front() == '-');
  bool pct = !v.empty() && v.back() == '%';
  if (pct) v.remove_suffix(1);
  double x = 0;
  if (!text::parse_double(v, x) || !std::isfinite(x))
    throw DataError("--set '" + txt + "': '" + std::string(v) + "' is not a number");
  if (pct) {
    iv.kind = Intervention::Kind::percent;
    iv.value = x / 100.0;
    if (iv.value <= -1) throw DataError("--set '" + txt + "': a change of -100% or less leaves nothing");
  } else if (signed_change) {
    iv.kind = Intervention::Kind::delta;
    iv.value = x;
  } else {
    iv.kind = Intervention::Kind::level;
    iv.value = x;
  }
  return iv;
}

Engine::Engine(const Graph& g) : impl_(new Impl(g)) {}
Engine::~Engine() { delete impl_; }
size_t Engine::metric_count() const { return impl_->n; }
size_t Engine::edge_count() const { return impl_->m; }
const std::vector<double>& Engine::base_coefficients() const { return impl_->coef; }

bool Engine::steady(const std::vector<Intervention>& set, Mode mode, const std::vector<double>& coef,
                    std::vector<double>& deviation) const {
  const Impl& I = *impl_;
  ActiveSet act = I.activate(set, mode);
  std::vector<double> k = I.to_csr(coef);
  State st;
  return I.steady_state(k.data(), act, st, deviation);
}

SimResult Engine::run(const std::vector<Intervention>& set, const SimOptions& opt) const {
  const Impl& I = *impl_;
  if (opt.horizon_days < 0) throw UsageError("--horizon must not be negative");
  ActiveSet act = I.activate(set, opt.mode);
  SimResult res;
  for (int d : opt.report_days)
    if (d >= 0 && d < opt.horizon_days) res.days.push_back(d);
  res.days.push_back(opt.horizon_days);
  std::sort(res.days.begin(), res.days.end());
  res.days.erase(std::unique(res.days.begin(), res.days.end()), res.days.end());

  const int n = I.n;
  std::vector<std::vector<double>> at(res.days.size(), std::vector<double>(n, 0.0));
  std::vector<char> keep(n, 0);
  std::vector<int> daily_idx;
  for (const auto& name : opt.daily) {
    auto it = I.by_name.find(name);
    if (it == I.by_name.end()) throw DataError("unknown metric '" + name + "'");
    daily_idx.push_back(it->second);
  }
  std::vector<std::vector<double>> daily(n);
  for (int i : daily_idx) daily[i].assign(opt.horizon_days + 1, 0.0);
  State st;
  int bad = I.run_program(true, I.in_coef.data(), act, opt.horizon_days + 1, st, nullptr, [&](int i, const double* row) {
    for (size_t k = 0; k < res.days.size(); ++k) at[k][i] = row[res.days[k]];
    if (!daily[i].empty()) daily[i].assign(row, row + opt.horizon_days + 1);
  });
  if (bad >= 0)
    throw DataError("the simulation left the model's domain on day " + std::to_string(bad) +
                    " (a metric with elasticity edges reached zero or below, or a loop did not converge)");
  std::vector<double> sdev;
  bool have_steady = false;
  if (opt.steady_state) {
    have_steady = steady(set, opt.mode, I.coef, sdev);
    if (!have_steady) res.notes.push_back("steady state not found (the solve did not converge)");
  }
  res.metrics.resize(n);
  for (int i = 0; i < n; ++i) {
    auto& r = res.metrics[i];
    r.name = I.names[i];
    r.baseline = I.base[i];
    for (auto& a : at) r.at.push_back(I.base[i] + a[i]);
    r.steady = have_steady ? I.base[i] + sdev[i] : std::numeric_limits<double>::quiet_NaN();
    r.clamped = st.clamped[i];
  }
  for (int i : daily_idx) {
    auto& s = res.metrics[i].series;
    s.clear();
    if (daily[i].empty() || !act.reach[i]) daily[i].assign(opt.horizon_days + 1, 0.0);
    for (double d : daily[i]) s.push_back(I.base[i] + d);
  }
  return res;
}

SimResult run_bfs(const Graph& g, const std::vector<Intervention>& set, const SimOptions& opt) {
  // Relative changes flow outward; each metric keeps the first one that reaches it.
  const size_t n = g.metrics.size();
  std::vector<double> rel(n, 0.0);
  std::vector<char> seen(n, 0);
  std::vector<std::vector<size_t>> out(n);
  for (size_t e = 0; e < g.edges.size(); ++e) out[g.find(g.edges[e].cause)].push_back(e);
  std::deque<std::pair<size_t, int>> queue;
  for (const auto& iv : set) {
    size_t i = static_cast<size_t>(g.require(iv.metric));
    double b = g.metrics[i].baseline;
    switch (iv.kind) {
      case Intervention::Kind::percent: rel[i] = iv.value; break;
      case Intervention::Kind::delta: rel[i] = b != 0 ? iv.value / b : 0; break;
      case Intervention::Kind::level: rel[i] = b != 0 ? (iv.value - b) / b : 0; break;
    }
    seen[i] = 1;
    queue.emplace_back(i, 0);
  }
  while (!queue.empty()) {
    auto [c, hops] = queue.front();
    queue.pop_front();
    for (size_t e : out[c]) {
      const Edge& ed = g.edges[e];
      size_t f = static_cast<size_t>(g.find(ed.effect));
      if (seen[f]) continue;
      double bc = g.metrics[c].baseline, bf = g.metrics[f].baseline;
      double per = ed.kind == EdgeKind::elasticity ? ed.coefficient : (bf != 0 ? ed.coefficient * bc / bf : 0);
      rel[f] = rel[c] * per * std::pow(0.85, hops + 1);
      seen[f] = 1;
      queue.emplace_back(f, hops + 1);
    }
  }
  SimResult res;
  res.method = "bfs";
  res.days = {opt.horizon_days};
  res.notes.push_back(
      "method bfs: naive breadth-first propagation (first path only, 15% confidence loss per hop, lags ignored); "
      "wrong on diamonds, loops and mixed lags; for comparison only");
  for (size_t i = 0; i < n; ++i) {
    MetricResult r;
    r.name = g.metrics[i].name;
    r.baseline = g.metrics[i].baseline;
    double v = r.baseline * (1 + rel[i]);
    r.at = {v};
    r.steady = v;
    res.metrics.push_back(std::move(r));
  }
  return res;
}

}  // namespace opskit::sim

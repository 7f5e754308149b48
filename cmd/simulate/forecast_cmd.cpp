// forecast: Holt-Winters baseline from the tenant's history, anomalies, what-ifs on top.
#include <cmath>
#include <memory>

#include "commands.hpp"
#include "core/runtime.hpp"
#include "sim/engine.hpp"
#include "sim/forecast.hpp"
#include "sim/loader.hpp"
#include "sim/repository.hpp"

namespace simulate_cli {

using opskit::app::Context;
using opskit::app::Needs;
using nlohmann::json;
namespace sim = opskit::sim;

namespace {

struct ForecastCli {
  std::string metric, horizon = "30d", graph;
  int season = 7;
  int interval = 80;
  double anomaly_z = 3;
  std::vector<std::string> sets;
  std::string mode = "shift";
};

std::string add_days(const std::string& day, int n) {
  int64_t s = 0;
  opskit::parse_iso8601(day, s);
  return opskit::format_iso8601(s + static_cast<int64_t>(n) * 86400).substr(0, 10);
}

int run_forecast(const ForecastCli& o, Context& ctx) {
  sim::ForecastOptions fo;
  try {
    fo.horizon_days = sim::parse_days(o.horizon, "--horizon");
  } catch (const opskit::DataError& e) {
    throw opskit::UsageError(e.what());
  }
  fo.season = o.season;
  fo.interval = o.interval / 100.0;
  fo.anomaly_z = o.anomaly_z;
  sim::Repository repo(ctx.tenant_session());
  std::vector<std::string> days;
  auto y = repo.load_series(o.metric, &days);
  if (y.empty()) throw opskit::DataError("no history for metric '" + o.metric + "'; run `simulate history import` first");
  auto f = sim::holt_winters(y, fo);
  // What-ifs laid on top: the exact engine's daily change of the metric, from the first forecast day.
  std::vector<double> lift(fo.horizon_days + 1, 0.0);
  if (!o.sets.empty()) {
    sim::Graph g = load_working_graph(o.graph, ctx);
    g.require(o.metric);
    std::vector<sim::Intervention> set;
    for (const auto& s : o.sets) set.push_back(sim::parse_set(s, g));
    sim::SimOptions so;
    so.mode = sim::parse_mode(o.mode);
    so.horizon_days = fo.horizon_days;
    so.daily = {o.metric};
    so.steady_state = false;
    sim::Engine eng(g);
    auto r = eng.run(set, so);
    const auto& m = r.metrics[g.find(o.metric)];
    for (size_t t = 0; t < m.series.size(); ++t) lift[t] = m.series[t] - m.baseline;
  }
  json stored = json::array();
  {
    opskit::RowWriter w(ctx.out, ctx.format, {"metric", "day", "kind", "value", "lo", "hi", "what_if"});
    for (int a : f.anomalies) {
      json row{{"metric", o.metric}, {"day", days[a]}, {"kind", "anomaly"}, {"value", tidy(y[a])},
               {"lo", nullptr}, {"hi", nullptr}, {"what_if", nullptr}, {"expected", tidy(f.fitted[a])}};
      w.row(row);
      stored.push_back(row);
    }
    for (const auto& p : f.points) {
      json row{{"metric", o.metric}, {"day", add_days(days.back(), p.day)}, {"kind", "forecast"}, {"value", tidy(p.mean)},
               {"lo", tidy(p.lo)}, {"hi", tidy(p.hi)},
               {"what_if", o.sets.empty() ? json() : json(tidy(p.mean + lift[p.day - 1]))}};
      w.row(row);
      stored.push_back(row);
    }
  }
  ctx.log.info("forecast", {{"alpha", std::to_string(f.alpha)}, {"beta", std::to_string(f.beta)},
                            {"gamma", std::to_string(f.gamma)}, {"season", std::to_string(f.season)},
                            {"sigma", std::to_string(f.sigma)}, {"anomalies", std::to_string(f.anomalies.size())}});
  ctx.counts["anomalies"] = static_cast<int64_t>(f.anomalies.size());
  if (!ctx.dry_run) {
    sim::Repository::SimulationRecord rec;
    rec.created_at = ctx.clock.now_iso();
    rec.kind = "forecast";
    rec.mode = o.sets.empty() ? "none" : o.mode;
    rec.method = "holt-winters";
    rec.engine_version = sim::engine_version;
    rec.graph_hash = "";
    rec.seed = static_cast<int64_t>(ctx.random.seed());
    rec.horizon_days = fo.horizon_days;
    rec.report_days = "[]";
    rec.interventions = json(o.sets).dump();
    rec.results = json{{"metric", o.metric}, {"alpha", f.alpha}, {"beta", f.beta}, {"gamma", f.gamma},
                       {"season", f.season}, {"sigma", f.sigma}, {"interval", fo.interval}, {"rows", stored}}.dump();
    rec.run_id = ctx.run_id;
    repo.save_simulation(rec);
  }
  return 0;
}

}  // namespace

void register_forecast(opskit::app::Tool& tool) {
  auto o = std::make_shared<ForecastCli>();
  tool.add({.path = {"forecast"}, .help = "Baseline forecast (Holt-Winters) with intervals, anomalies and what-ifs",
            .needs = Needs::tenant, .writes = true},
           [o](CLI::App& c) {
             c.add_option("METRIC", o->metric, "Metric with history in the tenant database")->required();
             c.add_option("--horizon", o->horizon, "Days ahead (30d)");
             c.add_option("--season", o->season, "Season length in days (7; 0 = none)");
             c.add_option("--interval", o->interval, "Prediction interval, percent: 80, 90, 95 or 99");
             c.add_option("--anomaly-z", o->anomaly_z, "Flag history points this many residual sd away (3)");
             c.add_option("--set", o->sets, "What-if laid on top of the forecast (repeatable, as in run)");
             c.add_option("--mode", o->mode, "shift or do for the what-if");
             c.add_option("--graph", o->graph, "Graph file for the what-if instead of the stored graph");
           },
           [o](Context& ctx) { return run_forecast(*o, ctx); });
}

}  // namespace simulate_cli

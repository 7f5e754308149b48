// run: the what-if; runs list: stored runs.
#include <cmath>
#include <memory>

#include "commands.hpp"
#include "core/text.hpp"
#include "sim/engine.hpp"
#include "sim/loader.hpp"
#include "sim/montecarlo.hpp"
#include "sim/repository.hpp"
#include "sim/waterfall.hpp"

namespace simulate_cli {

using opskit::app::Context;
using opskit::app::Needs;
using nlohmann::json;
namespace sim = opskit::sim;

namespace {

struct RunOptions {
  std::vector<std::string> sets;
  std::string mode = "shift", horizon = "90d", at, method = "exact", graph, waterfall, by = "causes", daily;
  int samples = 0;
  bool all = false;
  int limit = 20;
};

std::vector<int> parse_at(const std::string& s) {
  std::vector<int> out;
  for (const auto& p : opskit::text::split(s, ','))
    if (!opskit::text::trim(p).empty()) out.push_back(sim::parse_days(p, "--at"));
  return out;
}

// Monte Carlo quantiles as stored with the run (changes from the baseline).
json quantiles_json(const sim::McQuantiles& q) {
  return {{"p10", tidy(q.p10)}, {"p50", tidy(q.p50)}, {"p90", tidy(q.p90)}, {"mean", tidy(q.mean)},
          {"p_up", tidy(q.p_up)}, {"p_down", tidy(q.p_down)}};
}

int run_what_if(const RunOptions& o, Context& ctx) {
  if (o.sets.empty()) throw opskit::UsageError("run needs at least one --set METRIC=CHANGE");
  if (o.method != "exact" && o.method != "bfs") throw opskit::UsageError("--method must be exact or bfs");
  if (o.by != "causes" && o.by != "first-hop") throw opskit::UsageError("--by must be causes or first-hop");
  if (o.samples < 0) throw opskit::UsageError("--samples must not be negative");
  sim::Graph g = load_working_graph(o.graph, ctx);
  std::vector<sim::Intervention> set;
  for (const auto& s : o.sets) set.push_back(sim::parse_set(s, g));
  sim::SimOptions so;
  so.mode = sim::parse_mode(o.mode);
  try {
    so.horizon_days = sim::parse_days(o.horizon, "--horizon");
  } catch (const opskit::DataError& e) {
    throw opskit::UsageError(e.what());
  }
  so.report_days = parse_at(o.at);
  if (!o.daily.empty()) {
    g.require(o.daily);
    so.daily = {o.daily};
  }
  sim::Engine engine(g);
  sim::SimResult res = o.method == "bfs" ? sim::run_bfs(g, set, so) : engine.run(set, so);
  for (const auto& n : res.notes) (o.method == "bfs" ? ctx.log.warn(n) : ctx.log.debug(n));
  std::optional<sim::McResult> mc;
  if (o.samples > 0) {
    sim::McOptions mo;
    mo.samples = o.samples;
    mo.seed = ctx.random.seed();
    mo.mode = so.mode;
    if (o.method != "bfs") {  // quantiles on the reported days too, and day by day for the daily/target metric
      mo.days = res.days;
      if (!o.daily.empty()) mo.daily.push_back(o.daily);
      if (!o.waterfall.empty() && o.waterfall != o.daily) mo.daily.push_back(o.waterfall);
    }
    mc = sim::monte_carlo(engine, g, set, mo);
    if (mc->failed) ctx.log.warn("Monte Carlo samples without a steady state were left out", {{"failed", std::to_string(mc->failed)}});
  }
  std::optional<sim::Waterfall> wf;
  if (!o.waterfall.empty()) {
    g.require(o.waterfall);
    wf = o.by == "causes" ? sim::waterfall_by_causes(engine, set, so.mode, o.waterfall)
                          : sim::waterfall_by_first_hop(engine, set, so.mode, o.waterfall);
  }

  std::vector<std::string> cols{"metric", "unit", "baseline"};
  for (int d : res.days) cols.push_back("day_" + std::to_string(d));
  cols.insert(cols.end(), {"steady", "change", "change_pct"});
  if (mc) {
    cols.insert(cols.end(), {"p10", "p50", "p90", "p_up", "p_down"});
    for (int d : mc->days)
      for (const char* q : {"p10", "p50", "p90", "p_up", "p_down"}) cols.push_back(std::string(q) + "_day_" + std::to_string(d));
  }
  cols.push_back("method");
  json stored = json::array(), mc_metrics = json::array();
  size_t shown = 0;
  {
    opskit::RowWriter w(ctx.out, ctx.format, cols);
    const std::string method = o.method == "bfs" ? "bfs (naive, comparison only)" : "exact";
    for (size_t i = 0; i < res.metrics.size(); ++i) {
      const auto& m = res.metrics[i];
      bool moved = std::fabs(m.steady - m.baseline) > 0 || std::isnan(m.steady);
      for (double v : m.at) moved |= v != m.baseline;
      if (!moved && !o.all) continue;
      json row{{"metric", m.name}, {"unit", g.metrics[i].unit}, {"baseline", tidy(m.baseline)}};
      for (size_t k = 0; k < res.days.size(); ++k) row["day_" + std::to_string(res.days[k])] = tidy(m.at[k]);
      double change = m.steady - m.baseline;
      row["steady"] = std::isnan(m.steady) ? json() : json(tidy(m.steady));
      row["change"] = std::isnan(change) ? json() : json(tidy(change));
      row["change_pct"] = (m.baseline != 0 && !std::isnan(change)) ? json(tidy(100 * change / m.baseline)) : json();
      if (mc) {
        const auto& q = mc->metrics[i];
        row["p10"] = tidy(q.p10);
        row["p50"] = tidy(q.p50);
        row["p90"] = tidy(q.p90);
        row["p_up"] = tidy(q.p_up);
        row["p_down"] = tidy(q.p_down);
        for (size_t k = 0; k < mc->days.size(); ++k) {
          const std::string sfx = "_day_" + std::to_string(mc->days[k]);
          const auto& a = q.at[k];
          row["p10" + sfx] = tidy(a.p10);
          row["p50" + sfx] = tidy(a.p50);
          row["p90" + sfx] = tidy(a.p90);
          row["p_up" + sfx] = tidy(a.p_up);
          row["p_down" + sfx] = tidy(a.p_down);
        }
        json mq{{"metric", m.name}, {"steady", quantiles_json(q)}, {"at", json::array()}};
        for (size_t k = 0; k < mc->days.size(); ++k) {
          json a = quantiles_json(q.at[k]);
          a["day"] = mc->days[k];
          mq["at"].push_back(a);
        }
        if (!q.daily.empty()) {
          mq["daily"] = json::array();
          for (size_t t = 0; t < q.daily.size(); ++t) {
            json a = quantiles_json(q.daily[t]);
            a["day"] = t;
            mq["daily"].push_back(a);
          }
        }
        mc_metrics.push_back(mq);
      }
      row["method"] = method;
      if (m.clamped) row["clamped"] = true;
      if (!m.series.empty()) row["series"] = m.series;
      w.row(row);
      stored.push_back(row);
      ++shown;
    }
  }
  if (!o.daily.empty()) {
    const int idx = g.find(o.daily);
    const auto& m = res.metrics[idx];
    std::vector<std::string> dcols{"metric", "day", "level", "change"};
    const sim::McMetric* q = mc && !mc->metrics[idx].daily.empty() ? &mc->metrics[idx] : nullptr;
    if (q) dcols.insert(dcols.end(), {"p10", "p50", "p90", "p_up", "p_down"});
    opskit::RowWriter w(ctx.out, ctx.format, dcols);
    for (size_t t = 0; t < m.series.size(); ++t) {
      json row{{"metric", m.name}, {"day", t}, {"level", tidy(m.series[t])}, {"change", tidy(m.series[t] - m.baseline)}};
      if (q && t < q->daily.size()) {
        const auto& a = q->daily[t];
        row["p10"] = tidy(a.p10);
        row["p50"] = tidy(a.p50);
        row["p90"] = tidy(a.p90);
        row["p_up"] = tidy(a.p_up);
        row["p_down"] = tidy(a.p_down);
      }
      w.row(row);
    }
  }
  json wf_json;
  if (wf) {
    opskit::RowWriter w(ctx.out, ctx.format, {"target", "by", "bar", "value"});
    wf_json = {{"target", wf->target}, {"by", wf->by}, {"baseline", wf->baseline}, {"total", wf->total}, {"bars", json::array()}};
    for (const auto& b : wf->bars) {
      w.row({{"target", wf->target}, {"by", wf->by}, {"bar", b.label}, {"value", tidy(b.value)}});
      wf_json["bars"].push_back({{"label", b.label}, {"value", b.value}});
    }
    w.row({{"target", wf->target}, {"by", wf->by}, {"bar", "total"}, {"value", tidy(wf->total)}});
  }
  ctx.counts["metrics_changed"] = static_cast<int64_t>(shown);
  if (!ctx.dry_run) {
    json ivs = json::array();
    for (const auto& s : set) ivs.push_back(s.text);
    json results{{"days", res.days}, {"metrics", stored}, {"notes", res.notes}};
    if (wf) results["waterfall"] = wf_json;
    if (mc)
      results["monte_carlo"] = {{"samples", mc->samples}, {"failed", mc->failed}, {"seed", mc->seed}, {"days", mc->days},
                                {"unit", "change from baseline"}, {"metrics", mc_metrics}};
    sim::Repository::SimulationRecord rec;
    rec.created_at = ctx.clock.now_iso();
    rec.kind = "what-if";
    rec.mode = sim::mode_name(so.mode);
    rec.method = res.method;
    rec.engine_version = sim::engine_version;
    rec.graph_hash = g.hash();
    rec.seed = static_cast<int64_t>(ctx.random.seed());
    rec.horizon_days = so.horizon_days;
    rec.samples = o.samples;
    rec.report_days = json(res.days).dump();
    rec.interventions = ivs.dump();
    rec.results = results.dump();
    rec.run_id = ctx.run_id;
    int64_t id = sim::Repository(ctx.tenant_session()).save_simulation(rec);
    ctx.log.info("simulation stored", {{"id", std::to_string(id)}});
  }
  return 0;
}

int run_list(const RunOptions& o, Context& ctx) {
  sim::Repository repo(ctx.tenant_session());
  opskit::RowWriter w(ctx.out, ctx.format, {"id", "created_at", "kind", "mode", "method", "horizon_days", "samples", "interventions"});
  for (const auto& s : repo.list_simulations(o.limit))
    w.row({{"id", s.id}, {"created_at", s.created_at}, {"kind", s.kind}, {"mode", s.mode}, {"method", s.method},
           {"horizon_days", s.horizon_days}, {"samples", s.samples}, {"interventions", s.interventions}});
  return 0;
}

}  // namespace

void register_run(opskit::app::Tool& tool) {
  auto o = std::make_shared<RunOptions>();
  tool.add({.path = {"run"}, .help = "What-if: the exact effect of interventions on every metric", .needs = Needs::tenant,
            .writes = true},
           [o](CLI::App& c) {
             c.add_option("--set", o->sets, "Intervention METRIC=+20% | =-5% | =+100 | =LEVEL, optional @DAY start (repeatable)")
                 ->required();
             c.add_option("--mode", o->mode, "shift (add to the metric) or do (hold it, cutting edges into it)");
             c.add_option("--horizon", o->horizon, "Days to simulate (90d, 12w, 30)");
             c.add_option("--at", o->at, "Extra days to report, comma-separated (7,30)");
             c.add_option("--method", o->method, "exact (default) or bfs (the naive propagation, for comparison only)");
             c.add_option("--samples", o->samples, "Monte Carlo samples for p10/p50/p90 and P(sign) (0 = none)");
             c.add_option("--waterfall", o->waterfall, "Target metric for a waterfall whose bars add up to its change");
             c.add_option("--by", o->by, "Waterfall bars: causes (direct causes) or first-hop");
             c.add_option("--daily", o->daily, "Also print this metric day by day");
             c.add_option("--graph", o->graph, "Use this graph file instead of the tenant's stored graph");
             c.add_flag("--all", o->all, "List unchanged metrics too");
           },
           [o](Context& ctx) { return run_what_if(*o, ctx); });
  tool.add({.path = {"runs", "list"}, .help = "List stored simulation runs, newest first", .needs = Needs::tenant},
           [o](CLI::App& c) { c.add_option("--limit", o->limit, "How many (default 20)"); },
           [o](Context& ctx) { return run_list(*o, ctx); });
}

}  // namespace simulate_cli

// graph import | export | validate | learn, and history import.
#include <memory>

#include "commands.hpp"
#include "core/csv.hpp"
#include "core/runtime.hpp"
#include "core/text.hpp"
#include "sim/learn.hpp"
#include "sim/loader.hpp"
#include "sim/repository.hpp"
#include "sim/validate.hpp"

namespace simulate_cli {

using opskit::app::Context;
using opskit::app::Needs;
namespace sim = opskit::sim;

namespace {

struct GraphOptions {
  std::string file;
  bool replace = false;
  int max_lag = 14;
  bool discover = false;
  double min_t = 3.0;
};

void print_validation(const sim::ValidationReport& rep, Context& ctx) {
  opskit::RowWriter w(ctx.out, ctx.format, {"loop", "metrics", "loop_gain", "spectral_radius", "exact", "stable"});
  for (const auto& l : rep.loops) {
    std::string cyc;
    for (size_t i = 0; i < l.cycle.size(); ++i) cyc += (i ? " -> " : "") + l.cycle[i];
    w.row({{"loop", cyc}, {"metrics", l.block_size}, {"loop_gain", tidy(l.gain)}, {"spectral_radius", tidy(l.radius)},
           {"exact", l.exact}, {"stable", l.stable}});
  }
  w.finish();
  ctx.log.info("graph is valid", {{"metrics", std::to_string(rep.metrics)}, {"edges", std::to_string(rep.edges)},
                                  {"loops", std::to_string(rep.loops.size())}});
}

int run_import(const GraphOptions& o, Context& ctx) {
  sim::Graph g = sim::load_graph_file(o.file);
  auto rep = sim::validate(g);
  ctx.counts["metrics"] = static_cast<int64_t>(g.metrics.size());
  ctx.counts["edges"] = static_cast<int64_t>(g.edges.size());
  if (!ctx.dry_run) {
    sim::Repository repo(ctx.tenant_session());
    repo.save_graph(g, ctx.clock.now_iso(), o.replace);
    ctx.tenant_session().audit("simulate", "graph.import", "causal_graph", g.hash(),
                               nlohmann::json{{"file", o.file}, {"metrics", g.metrics.size()}, {"edges", g.edges.size()},
                                              {"replace", o.replace}}.dump());
  }
  print_validation(rep, ctx);
  return 0;
}

int run_validate(const GraphOptions& o, Context& ctx) {
  sim::Graph g = sim::load_graph_file(o.file);
  print_validation(sim::validate(g), ctx);
  return 0;
}

int run_export(Context& ctx) {
  sim::Graph g = load_working_graph("", ctx);
  ctx.out << sim::graph_to_json(g);
  return 0;
}

int run_learn(const GraphOptions& o, Context& ctx) {
  sim::Repository repo(ctx.tenant_session());
  sim::Graph g = repo.load_graph();
  auto h = repo.load_history();
  if (h.days.empty()) throw opskit::DataError("no metric history; run `simulate history import FILE.csv` first");
  if (g.metrics.empty()) {
    // No graph yet: metrics from the history, baselines = their last values.
    for (const auto& [name, v] : h.series) {
      sim::Metric m;
      m.name = name;
      for (auto it = v.rbegin(); it != v.rend(); ++it)
        if (!std::isnan(*it)) {
          m.baseline = *it;
          break;
        }
      g.metrics.push_back(m);
    }
    g.index();
  }
  sim::LearnOptions lo{o.max_lag, o.discover, o.min_t};
  auto rep = sim::learn(g, h, lo);
  for (const auto& n : rep.notes) ctx.log.info(n);
  sim::validate(rep.graph);  // a learned loop must be stable too, or nothing is stored
  ctx.counts["fitted"] = static_cast<int64_t>(rep.fitted);
  ctx.counts["discovered"] = static_cast<int64_t>(rep.discovered);
  if (!ctx.dry_run) repo.save_graph(rep.graph, ctx.clock.now_iso(), true);
  opskit::RowWriter w(ctx.out, ctx.format, {"cause", "effect", "lag_days", "kind", "coefficient", "stddev", "confidence", "fit_r2"});
  for (const auto& e : rep.graph.edges) {
    if (e.source != "learn") continue;
    w.row({{"cause", e.cause}, {"effect", e.effect}, {"lag_days", e.lag_days}, {"kind", sim::kind_name(e.kind)},
           {"coefficient", tidy(e.coefficient)}, {"stddev", tidy(e.stddev)}, {"confidence", tidy(e.confidence)},
           {"fit_r2", e.fit_r2 ? nlohmann::json(tidy(*e.fit_r2)) : nlohmann::json()}});
  }
  return 0;
}

int run_history_import(const GraphOptions& o, Context& ctx) {
  auto reader = opskit::csv::Reader::open(o.file);
  reader->require_columns({"metric", "day", "value"});
  std::vector<sim::Repository::HistoryRow> rows;
  opskit::csv::Record rec;
  while (reader->next(rec)) {
    sim::Repository::HistoryRow r;
    r.metric = std::string(opskit::text::trim(rec["metric"]));
    if (r.metric.empty()) throw opskit::DataError(rec.where("metric"), "empty metric name");
    std::string day(opskit::text::trim(rec["day"]));
    int64_t secs = 0;
    if (!opskit::parse_iso8601(day, secs)) throw opskit::DataError(rec.where("day"), "expected a date YYYY-MM-DD, got '" + day + "'");
    r.day = opskit::format_iso8601(secs).substr(0, 10);
    if (!opskit::text::parse_double(opskit::text::trim(rec["value"]), r.value) || !std::isfinite(r.value))
      throw opskit::DataError(rec.where("value"), "expected a number, got '" + std::string(rec["value"]) + "'");
    if (!ctx.shard.owns(r.metric)) continue;
    rows.push_back(std::move(r));
  }
  ctx.counts["rows"] = static_cast<int64_t>(rows.size());
  if (!ctx.dry_run) sim::Repository(ctx.tenant_session()).save_history(rows);
  ctx.log.info("history imported", {{"rows", std::to_string(rows.size())}, {"dry_run", ctx.dry_run ? "yes" : "no"}});
  return 0;
}

}  // namespace

void register_graph(opskit::app::Tool& tool) {
  auto o = std::make_shared<GraphOptions>();
  tool.add({.path = {"graph", "import"}, .help = "Load a graph from YAML or JSON into the tenant database", .needs = Needs::tenant,
            .writes = true},
           [o](CLI::App& c) {
             c.add_option("FILE", o->file, "Graph file (YAML or JSON; - = stdin)")->required();
             c.add_flag("--replace", o->replace, "Delete the tenant's graph first instead of merging");
           },
           [o](Context& ctx) { return run_import(*o, ctx); });
  tool.add({.path = {"graph", "validate"}, .help = "Check a graph file: names, self-loops, loop stability", .needs = Needs::nothing},
           [o](CLI::App& c) { c.add_option("FILE", o->file, "Graph file (YAML or JSON; - = stdin)")->required(); },
           [o](Context& ctx) { return run_validate(*o, ctx); });
  tool.add({.path = {"graph", "export"}, .help = "Print the tenant's graph as JSON", .needs = Needs::tenant},
           [](CLI::App&) {}, [](Context& ctx) { return run_export(ctx); });
  tool.add({.path = {"graph", "learn"}, .help = "Fit coefficients and lags from the metric history (lagged least squares)",
            .needs = Needs::tenant, .writes = true},
           [o](CLI::App& c) {
             c.add_option("--max-lag", o->max_lag, "Longest lag tried, days (default 14)")->check(CLI::Range(0, 365));
             c.add_flag("--discover", o->discover, "Also try every other metric as a cause (lags >= 1)");
             c.add_option("--min-t", o->min_t, "Keep a discovered edge when |t| >= this (default 3)");
           },
           [o](Context& ctx) { return run_learn(*o, ctx); });
  tool.add({.path = {"history", "import"}, .help = "Load daily metric history from CSV (metric,day,value)",
            .needs = Needs::tenant, .writes = true},
           [o](CLI::App& c) { c.add_option("FILE", o->file, "CSV file (- = stdin)")->required(); },
           [o](Context& ctx) { return run_history_import(*o, ctx); });
}

}  // namespace simulate_cli

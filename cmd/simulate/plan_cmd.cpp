// plan: the best set of initiatives under a budget; initiatives import.
#include <memory>

#include "commands.hpp"
#include "sim/planner.hpp"
#include "sim/repository.hpp"

namespace simulate_cli {

using opskit::app::Context;
using opskit::app::Needs;
using nlohmann::json;
namespace sim = opskit::sim;

namespace {

struct PlanCli {
  std::string file, graph, target, objective, mode = "shift";
  double budget = -1;
  std::vector<std::string> require;
  int frontier = 8;
};

int run_plan(const PlanCli& o, Context& ctx) {
  if (o.budget < 0) throw opskit::UsageError("--budget must be given and not negative");
  if (o.target.empty() == o.objective.empty()) throw opskit::UsageError("give exactly one of --target METRIC or --objective m=w,...");
  if (o.frontier < 1 || o.frontier > 100) throw opskit::UsageError("--frontier must be 1..100");
  sim::Graph g = load_working_graph(o.graph, ctx);
  sim::Repository repo(ctx.tenant_session());
  auto list = o.file.empty() ? repo.load_initiatives() : sim::load_initiatives_file(o.file);
  if (list.empty()) throw opskit::DataError("no initiatives; pass --initiatives FILE or run `simulate initiatives import FILE`");
  sim::PlanOptions po;
  po.budget = o.budget;
  po.objective = sim::parse_objective(o.target.empty() ? o.objective : o.target, g);
  po.mode = sim::parse_mode(o.mode);
  po.required = o.require;
  po.frontier_points = o.frontier;
  sim::Engine engine(g);
  auto r = sim::plan(engine, g, list, po);
  {
    opskit::RowWriter w(ctx.out, ctx.format, {"initiative", "cost", "value", "chosen", "group", "prerequisites"});
    for (size_t i = 0; i < list.size(); ++i) {
      bool chosen = std::find(r.chosen.begin(), r.chosen.end(), list[i].name) != r.chosen.end();
      std::string pre;
      for (const auto& p : list[i].prerequisites) pre += (pre.empty() ? "" : " ") + p;
      w.row({{"initiative", list[i].name}, {"cost", tidy(list[i].cost)}, {"value", tidy(r.values[i])}, {"chosen", chosen},
             {"group", list[i].group}, {"prerequisites", pre}});
    }
  }
  json frontier = json::array();
  {
    opskit::RowWriter w(ctx.out, ctx.format, {"frontier_budget", "cost", "value", "initiatives"});
    for (const auto& p : r.frontier) {
      std::string names;
      for (const auto& n : p.chosen) names += (names.empty() ? "" : " ") + n;
      w.row({{"frontier_budget", tidy(p.budget)}, {"cost", tidy(p.cost)}, {"value", tidy(p.value)}, {"initiatives", names}});
      frontier.push_back({{"budget", p.budget}, {"cost", p.cost}, {"value", p.value}, {"chosen", p.chosen}});
    }
  }
  {
    opskit::RowWriter w(ctx.out, ctx.format, {"plan_cost", "plan_value", "simulated_together", "optimality"});
    w.row({{"plan_cost", tidy(r.cost)}, {"plan_value", tidy(r.value)}, {"simulated_together", tidy(r.simulated)},
           {"optimality", r.optimality}, {"chosen", r.chosen}});
  }
  ctx.counts["initiatives"] = static_cast<int64_t>(list.size());
  ctx.counts["chosen"] = static_cast<int64_t>(r.chosen.size());
  if (!ctx.dry_run) {
    sim::Repository::PlanRecord p;
    p.created_at = ctx.clock.now_iso();
    p.objective = po.objective.str();
    p.budget = o.budget;
    p.chosen = json(r.chosen).dump();
    p.value = r.value;
    p.cost = r.cost;
    p.optimality = r.optimality;
    p.frontier = frontier.dump();
    p.engine_version = sim::engine_version;
    p.graph_hash = g.hash();
    repo.save_plan(p);
  }
  return 0;
}

int run_initiatives_import(const PlanCli& o, Context& ctx) {
  auto list = sim::load_initiatives_file(o.file);
  sim::Repository repo(ctx.tenant_session());
  sim::Graph g = repo.load_graph();
  g.index();
  if (!g.metrics.empty()) sim::check_initiatives(list, g);
  ctx.counts["initiatives"] = static_cast<int64_t>(list.size());
  if (!ctx.dry_run) repo.save_initiatives(list, ctx.clock.now_iso());
  ctx.log.info("initiatives imported", {{"count", std::to_string(list.size())}});
  return 0;
}

}  // namespace

void register_plan(opskit::app::Tool& tool) {
  auto o = std::make_shared<PlanCli>();
  tool.add({.path = {"plan"}, .help = "Choose initiatives that maximise a target under a budget (exact MILP)",
            .needs = Needs::tenant, .writes = true},
           [o](CLI::App& c) {
             c.add_option("--budget", o->budget, "Total cost allowed (>= 0)")->required();
             c.add_option("--target", o->target, "Metric whose steady-state change is maximised");
             c.add_option("--objective", o->objective, "Weighted objective instead: metric=weight,...");
             c.add_option("--initiatives", o->file, "Initiatives file (YAML/JSON) instead of the stored ones");
             c.add_option("--require", o->require, "An initiative that must be in the plan (repeatable)");
             c.add_option("--frontier", o->frontier, "Points on the value-cost frontier (8)");
             c.add_option("--mode", o->mode, "shift or do for the initiatives' interventions");
             c.add_option("--graph", o->graph, "Graph file instead of the tenant's stored graph");
           },
           [o](Context& ctx) { return run_plan(*o, ctx); });
  tool.add({.path = {"initiatives", "import"}, .help = "Store initiatives from YAML or JSON", .needs = Needs::tenant,
            .writes = true},
           [o](CLI::App& c) { c.add_option("FILE", o->file, "Initiatives file (- = stdin)")->required(); },
           [o](Context& ctx) { return run_initiatives_import(*o, ctx); });
}

}  // namespace simulate_cli

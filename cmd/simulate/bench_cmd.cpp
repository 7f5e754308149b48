// bench: times the engine on a seeded synthetic graph (no database).
#include <chrono>
#include <ctime>
#include <memory>

#include "commands.hpp"
#include "sim/engine.hpp"
#include "sim/generate.hpp"
#include "sim/montecarlo.hpp"
#include "sim/validate.hpp"

namespace simulate_cli {

using opskit::app::Context;
using opskit::app::Needs;
namespace sim = opskit::sim;

namespace {

struct BenchCli {
  int metrics = 100000, edges = 500000, max_lag = 7, loops = 100, horizon = 365, samples = 0, mc_horizon = -1;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time of this process: on a shared machine the wall clock measures the neighbours too.
double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

int run_bench(const BenchCli& o, Context& ctx) {
  auto t0 = std::chrono::steady_clock::now();
  sim::Graph g = sim::generate_graph(o.metrics, o.edges, o.max_lag, o.loops, ctx.random.seed());
  double gen = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  sim::validate(g);
  double val = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  sim::Engine engine(g);
  double comp = seconds_since(t0);
  sim::Intervention iv;
  iv.metric = g.metrics[0].name;
  iv.kind = sim::Intervention::Kind::percent;
  iv.value = 0.2;
  opskit::RowWriter w(ctx.out, ctx.format, {"step", "seconds", "cpu_seconds", "metrics", "edges", "detail"});
  w.row({{"step", "generate"}, {"seconds", tidy(gen)}, {"metrics", g.metrics.size()}, {"edges", g.edges.size()}, {"detail", ""}});
  w.row({{"step", "validate"}, {"seconds", tidy(val)}, {"metrics", g.metrics.size()}, {"edges", g.edges.size()}, {"detail", ""}});
  w.row({{"step", "compile"}, {"seconds", tidy(comp)}, {"metrics", g.metrics.size()}, {"edges", g.edges.size()}, {"detail", ""}});
  if (o.samples > 0) {
    sim::McOptions mo;
    mo.samples = o.samples;
    mo.seed = ctx.random.seed();
    if (o.mc_horizon >= 0) mo.days = {o.mc_horizon};
    t0 = std::chrono::steady_clock::now();
    double c0 = cpu_seconds();
    auto r = sim::monte_carlo(engine, g, {iv}, mo);
    w.row({{"step", "monte_carlo"}, {"seconds", tidy(seconds_since(t0))}, {"cpu_seconds", tidy(cpu_seconds() - c0)}, {"metrics", g.metrics.size()},
           {"edges", g.edges.size()}, {"detail", std::to_string(o.samples) + " samples, steady state" +
                          (o.mc_horizon >= 0 ? " + days 0.." + std::to_string(o.mc_horizon) : std::string()) + ", " +
                          std::to_string(r.failed) + " failed"}});
  } else {
    sim::SimOptions so;
    so.horizon_days = o.horizon;
    t0 = std::chrono::steady_clock::now();
    double c0 = cpu_seconds();
    auto r = engine.run({iv}, so);
    w.row({{"step", "what_if"}, {"seconds", tidy(seconds_since(t0))}, {"cpu_seconds", tidy(cpu_seconds() - c0)}, {"metrics", g.metrics.size()}, {"edges", g.edges.size()},
           {"detail", std::to_string(o.horizon) + "-day horizon + steady state"}});
  }
  return 0;
}

}  // namespace

void register_bench(opskit::app::Tool& tool) {
  auto o = std::make_shared<BenchCli>();
  tool.add({.path = {"bench"}, .help = "Time the engine on a seeded synthetic graph (no database)", .needs = Needs::nothing},
           [o](CLI::App& c) {
             c.add_option("--metrics", o->metrics, "Metrics (100000)");
             c.add_option("--edges", o->edges, "Edges (500000)");
             c.add_option("--max-lag", o->max_lag, "Longest lag, days (7)");
             c.add_option("--loops", o->loops, "Stable two-metric feedback loops (100)");
             c.add_option("--horizon", o->horizon, "Days (365)");
             c.add_option("--samples", o->samples, "Time Monte Carlo with this many samples instead of a what-if");
             c.add_option("--mc-horizon", o->mc_horizon, "Monte Carlo also simulates each sample to this day (default: steady state only)");
           },
           [o](Context& ctx) { return run_bench(*o, ctx); });
}

}  // namespace simulate_cli

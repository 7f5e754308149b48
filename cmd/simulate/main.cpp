// simulate: causal what-if simulation over a metric graph, baseline
// forecasts, and an initiative planner. The logic lives in lib/sim.
#include "commands.hpp"

int main(int argc, char** argv) {
  opskit::app::Tool tool("simulate", "Causal what-if simulation, forecasts and an initiative planner");
  simulate_cli::register_graph(tool);
  simulate_cli::register_run(tool);
  simulate_cli::register_forecast(tool);
  simulate_cli::register_plan(tool);
  simulate_cli::register_bench(tool);
  return tool.main(argc, argv);
}

#pragma once
// The simulate subcommands, one file per group; shared glue in common.cpp.
#include <string>
#include <vector>

#include "app/app.hpp"
#include "sim/graph.hpp"

namespace simulate_cli {

void register_graph(opskit::app::Tool& tool);     // graph import|export|validate|learn, history import
void register_run(opskit::app::Tool& tool);       // run, runs list
void register_forecast(opskit::app::Tool& tool);  // forecast
void register_plan(opskit::app::Tool& tool);      // plan, initiatives import
void register_bench(opskit::app::Tool& tool);     // bench

// The graph to work on: --graph FILE when given, else the tenant's stored
// graph (DataError when it has none). Always validated.
opskit::sim::Graph load_working_graph(const std::string& file, opskit::app::Context& ctx);

// A number with up to 10 significant digits for text/csv cells.
double tidy(double v);

}  // namespace simulate_cli

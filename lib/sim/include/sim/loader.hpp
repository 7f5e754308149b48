#pragma once
// Reads a graph from YAML or JSON (JSON is read by the same YAML parser, so
// both report line:column). Format:
//
//   metrics:
//     - {name: price, unit: EUR, baseline: 20, min: 0, max: 100}
//   edges:
//     - {cause: price, effect: units, elasticity: -1.5, lag: 0d, confidence: 0.9, stddev: 0.2}
//     - {cause: units, effect: revenue, coefficient: 20, lag: 7}
//
// Exactly one of `coefficient` / `elasticity` per edge; `lag` is days ("7",
// "7d", "2w"); confidence defaults to 1, stddev to 0. Unknown keys, wrong
// types, missing fields and unknown metric names are DataErrors naming
// file:line:column and the field. The result is not yet validated for loops
// (see validate.hpp).
#include <string>
#include <string_view>

#include "sim/graph.hpp"

namespace opskit::sim {

Graph load_graph(std::string_view text, const std::string& file_name);
Graph load_graph_file(const std::string& path);  // "-" = stdin

// "90d", "2w", "90" -> days; throws DataError naming `what`.
int parse_days(std::string_view text, const std::string& what);

// The graph as JSON text in the same format (export, round trip).
std::string graph_to_json(const Graph& g);

}  // namespace opskit::sim

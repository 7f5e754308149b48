#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "commands.hpp"
#include "sim/loader.hpp"
#include "sim/repository.hpp"
#include "sim/validate.hpp"

namespace simulate_cli {

opskit::sim::Graph load_working_graph(const std::string& file, opskit::app::Context& ctx) {
  opskit::sim::Graph g;
  if (!file.empty()) {
    g = opskit::sim::load_graph_file(file);
  } else {
    opskit::sim::Repository repo(ctx.tenant_session());
    g = repo.load_graph();
    if (g.metrics.empty())
      throw opskit::DataError("tenant '" + ctx.tenant_session().tenant() +
                              "' has no causal graph; run `simulate graph import FILE` or pass --graph FILE");
  }
  g.index();
  opskit::sim::validate(g);
  return g;
}

double tidy(double v) {
  if (!std::isfinite(v) || v == 0) return v;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return std::strtod(buf, nullptr);
}

}  // namespace simulate_cli

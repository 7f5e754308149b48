#pragma once
// Every SQL statement of the simulate domain (tables from migration 0050):
// causal_metrics + causal_relationships (the graph), metric_history,
// causal_simulations (stored runs for `report`), business_initiatives and
// plans. All writes are idempotent upserts on natural keys; callers wrap a
// batch in session.transaction so it commits whole or not at all.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/graph.hpp"
#include "sim/learn.hpp"
#include "sim/planner.hpp"
#include "store/store.hpp"

namespace opskit::sim {

class Repository {
 public:
  explicit Repository(store::Session& s) : s_(s) {}

  // Upserts metrics and edges; with `replace`, the tenant's graph is emptied first.
  void save_graph(const Graph& g, const std::string& now, bool replace);
  // The tenant's graph in name order; empty when none was imported.
  Graph load_graph();

  struct HistoryRow {
    std::string metric, day;  // day: YYYY-MM-DD
    double value = 0;
  };
  void save_history(const std::vector<HistoryRow>& rows);
  // Metrics' daily history on one consecutive calendar (gaps are NaN).
  History load_history();
  std::vector<double> load_series(const std::string& metric, std::vector<std::string>* days);

  struct SimulationRecord {
    std::string created_at, kind, mode, method, engine_version, graph_hash;
    int64_t seed = 0;
    int horizon_days = 0, samples = 0;
    std::string report_days, interventions, results;  // JSON text
    int64_t run_id = 0;
  };
  int64_t save_simulation(const SimulationRecord& r);
  struct SimulationSummary {
    int64_t id = 0;
    std::string created_at, kind, mode, method, interventions;
    int horizon_days = 0, samples = 0;
  };
  std::vector<SimulationSummary> list_simulations(int limit);
  std::string simulation_results(int64_t id);  // results JSON; DataError when absent

  void save_initiatives(const std::vector<Initiative>& list, const std::string& now);
  std::vector<Initiative> load_initiatives();

  struct PlanRecord {
    std::string created_at, objective, chosen, optimality, frontier, engine_version, graph_hash;
    double budget = 0, value = 0, cost = 0;
  };
  int64_t save_plan(const PlanRecord& p);

 private:
  store::Session& s_;
};

}  // namespace opskit::sim

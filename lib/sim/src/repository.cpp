// The one home of the simulate domain's SQL.
#include "sim/repository.hpp"

#include <cmath>
#include <limits>
#include <map>

#include <nlohmann/json.hpp>

#include "core/runtime.hpp"

namespace opskit::sim {

using store::Params;
using store::Value;

void Repository::save_graph(const Graph& g, const std::string& now, bool replace) {
  s_.transaction([&] {
    if (replace) {
      s_.exec("DELETE FROM causal_relationships WHERE tenant_id = $1");
      s_.exec("DELETE FROM causal_metrics WHERE tenant_id = $1");
    }
    auto mw = s_.bulk({"causal_metrics",
                       {"name", "unit", "baseline", "min_value", "max_value", "description", "updated_at"},
                       {"name"},
                       {"unit", "baseline", "min_value", "max_value", "description", "updated_at"}});
    for (const auto& m : g.metrics)
      mw->add({m.name, m.unit, m.baseline, store::opt(m.min), store::opt(m.max), m.description, now});
    mw->flush();
    auto ew = s_.bulk({"causal_relationships",
                       {"cause", "effect", "lag_days", "kind", "coefficient", "confidence", "stddev", "source", "fit_r2",
                        "updated_at"},
                       {"cause", "effect", "lag_days"},
                       {"kind", "coefficient", "confidence", "stddev", "source", "fit_r2", "updated_at"}});
    for (const auto& e : g.edges)
      ew->add({e.cause, e.effect, static_cast<int64_t>(e.lag_days), std::string(kind_name(e.kind)), e.coefficient,
               e.confidence, e.stddev, e.source, store::opt(e.fit_r2), now});
    ew->flush();
  });
}

Graph Repository::load_graph() {
  Graph g;
  for (const auto& r : s_.query("SELECT name, unit, baseline, min_value, max_value, description FROM causal_metrics "
                                "WHERE tenant_id = $1 ORDER BY name")) {
    Metric m;
    m.name = r.text(0);
    m.unit = r.text(1);
    m.baseline = r.real(2);
    if (!r.is_null(3)) m.min = r.real(3);
    if (!r.is_null(4)) m.max = r.real(4);
    m.description = r.text(5);
    m.where.file = "causal_metrics";
    m.where.field = m.name;
    g.metrics.push_back(std::move(m));
  }
  g.index();
  for (const auto& r : s_.query("SELECT cause, effect, lag_days, kind, coefficient, confidence, stddev, source, fit_r2 "
                                "FROM causal_relationships WHERE tenant_id = $1 ORDER BY cause, effect, lag_days")) {
    Edge e;
    e.cause = r.text(0);
    e.effect = r.text(1);
    e.lag_days = static_cast<int>(r.integer(2));
    e.kind = r.text(3) == "elasticity" ? EdgeKind::elasticity : EdgeKind::linear;
    e.coefficient = r.real(4);
    e.confidence = r.real(5);
    e.stddev = r.real(6);
    e.source = r.text(7);
    if (!r.is_null(8)) e.fit_r2 = r.real(8);
    e.where.file = "causal_relationships";
    e.where.field = e.cause + "->" + e.effect;
    g.edges.push_back(std::move(e));
  }
  return g;
}

void Repository::save_history(const std::vector<HistoryRow>& rows) {
  s_.transaction([&] {
    auto w = s_.bulk({"metric_history", {"metric", "day", "value"}, {"metric", "day"}, {"value"}});
    for (const auto& r : rows) w->add({r.metric, r.day, r.value});
    w->flush();
  });
}

namespace {
int64_t day_number(const std::string& day) {
  int64_t secs = 0;
  if (!parse_iso8601(day, secs)) throw DataError("metric_history: bad day '" + day + "'");
  return secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
}
std::string day_text(int64_t d) { return format_iso8601(d * 86400).substr(0, 10); }
}  // namespace

History Repository::load_history() {
  History h;
  std::map<std::string, std::map<int64_t, double>> raw;
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
  s_.for_each("SELECT metric, day, value FROM metric_history WHERE tenant_id = $1 ORDER BY metric, day", {},
              [&](const store::Row& r) {
                int64_t d = day_number(r.text(1));
                raw[r.text(0)][d] = r.real(2);
                lo = std::min(lo, d);
                hi = std::max(hi, d);
              });
  if (raw.empty()) return h;
  if (hi - lo > 20000) throw DataError("metric_history spans more than 20000 days");
  for (int64_t d = lo; d <= hi; ++d) h.days.push_back(day_text(d));
  for (auto& [metric, values] : raw) {
    auto& v = h.series[metric];
    v.assign(hi - lo + 1, std::numeric_limits<double>::quiet_NaN());
    for (auto& [d, x] : values) v[d - lo] = x;
  }
  return h;
}

std::vector<double> Repository::load_series(const std::string& metric, std::vector<std::string>* days) {
  std::vector<double> out;
  int64_t prev = 0;
  bool first = true;
  s_.for_each("SELECT day, value FROM metric_history WHERE tenant_id = $1 AND metric = $2 ORDER BY day", {metric},
              [&](const store::Row& r) {
                int64_t d = day_number(r.text(0));
                // Fill calendar gaps by carrying the last value forward.
                if (!first)
                  for (int64_t g = prev + 1; g < d; ++g) {
                    out.push_back(out.back());
                    if (days) days->push_back(day_text(g));
                  }
                out.push_back(r.real(1));
                if (days) days->push_back(day_text(d));
                prev = d;
                first = false;
              });
  return out;
}

int64_t Repository::save_simulation(const SimulationRecord& r) {
  auto rows = s_.query(
      "INSERT INTO causal_simulations (tenant_id, created_at, kind, seed, mode, method, horizon_days, report_days, "
      "samples, engine_version, graph_hash, interventions, results, run_id) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
      {r.created_at, r.kind, r.seed, r.mode, r.method, static_cast<int64_t>(r.horizon_days), r.report_days,
       static_cast<int64_t>(r.samples), r.engine_version, r.graph_hash, r.interventions, r.results,
       r.run_id ? Value(r.run_id) : store::null()});
  return rows.empty() ? 0 : rows[0].integer(0);
}

std::vector<Repository::SimulationSummary> Repository::list_simulations(int limit) {
  std::vector<SimulationSummary> out;
  for (const auto& r : s_.query("SELECT id, created_at, kind, mode, method, interventions, horizon_days, samples "
                                "FROM causal_simulations WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2",
                                {static_cast<int64_t>(limit)})) {
    out.push_back({r.integer(0), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5), static_cast<int>(r.integer(6)),
                   static_cast<int>(r.integer(7))});
  }
  return out;
}

std::string Repository::simulation_results(int64_t id) {
  auto v = s_.scalar("SELECT results FROM causal_simulations WHERE tenant_id = $1 AND id = $2", {id});
  if (!v || std::holds_alternative<std::nullptr_t>(*v)) throw DataError("no stored simulation with id " + std::to_string(id));
  return std::get<std::string>(*v);
}

void Repository::save_initiatives(const std::vector<Initiative>& list, const std::string& now) {
  s_.transaction([&] {
    auto w = s_.bulk({"business_initiatives",
                      {"name", "cost", "duration_days", "interventions", "prerequisites", "exclusive_group",
                       "description", "updated_at"},
                      {"name"},
                      {"cost", "duration_days", "interventions", "prerequisites", "exclusive_group", "description",
                       "updated_at"}});
    for (const auto& in : list)
      w->add({in.name, in.cost, static_cast<int64_t>(in.duration_days), nlohmann::json(in.sets).dump(),
              nlohmann::json(in.prerequisites).dump(), in.group, in.description, now});
    w->flush();
  });
}

std::vector<Initiative> Repository::load_initiatives() {
  std::vector<Initiative> out;
  for (const auto& r : s_.query("SELECT name, cost, duration_days, interventions, prerequisites, exclusive_group, "
                                "description FROM business_initiatives WHERE tenant_id = $1 ORDER BY name")) {
    Initiative in;
    in.name = r.text(0);
    in.cost = r.real(1);
    in.duration_days = static_cast<int>(r.integer(2));
    in.sets = nlohmann::json::parse(r.text(3)).get<std::vector<std::string>>();
    in.prerequisites = nlohmann::json::parse(r.text(4)).get<std::vector<std::string>>();
    in.group = r.text(5);
    in.description = r.text(6);
    in.where.file = "business_initiatives";
    in.where.field = in.name;
    out.push_back(std::move(in));
  }
  return out;
}

int64_t Repository::save_plan(const PlanRecord& p) {
  auto rows = s_.query(
      "INSERT INTO plans (tenant_id, created_at, objective, budget, chosen, value, cost, optimality, frontier, "
      "engine_version, graph_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
      {p.created_at, p.objective, p.budget, p.chosen, p.value, p.cost, p.optimality, p.frontier, p.engine_version,
       p.graph_hash});
  return rows.empty() ? 0 : rows[0].integer(0);
}

}  // namespace opskit::sim

// Kinds over the other tools' tables. Each kind checks that its tables are
// part of this database first: a tool not yet run (or not in this build)
// gives a report that says there is no data yet, never an error.
#include "core/error.hpp"
#include "kinds_internal.hpp"
#include "report/document.hpp"

namespace opskit::report::detail {
using nlohmann::json;

namespace {

// True when every table exists; otherwise marks the document no_data.
bool require_tables(BuildContext& c, json& doc, const std::string& tool, std::initializer_list<const char*> tables) {
  for (const char* t : tables)
    if (!c.repo.has_table(t)) {
      no_data(doc, "No " + tool + " data yet: the table '" + std::string(t) + "' is not in this database (run `" + tool +
                       "` first, or upgrade the database with `opskit db migrate`).");
      return false;
    }
  return true;
}

}  // namespace

void summary_domain_rows(BuildContext& c, Section& figures, json& doc) {
  struct Area {
    const char* area;
    const char* table;
    const char* measure;
  };
  static const Area areas[] = {
      {"screening", "transactions", "transactions"},     {"screening", "screening_matches", "screening matches"},
      {"leads", "leads", "leads"},                       {"threats", "dns_events", "DNS events"},
      {"threats", "network_devices", "network devices"}, {"posture", "endpoints", "endpoints"},
      {"posture", "security_issues", "security issues"}, {"posture", "incidents", "incidents"},
      {"simulation", "causal_simulations", "simulation runs"}, {"report", "report_runs", "reports rendered"},
  };
  for (const auto& a : areas)
    if (c.repo.has_table(a.table)) figures.row({a.area, a.measure, c.repo.count_rows(a.table)});
}

void build_screening(BuildContext& c, json& doc) {
  if (!require_tables(c, doc, "screen", {"sanctions_lists", "screening_matches"})) return;
}

void build_kyc(BuildContext& c, json& doc) {
  if (!require_tables(c, doc, "screen", {"screening_matches"})) return;
}

void build_leads(BuildContext& c, json& doc) {
  if (!require_tables(c, doc, "score-leads", {"leads"})) return;
}

void build_threats(BuildContext& c, json& doc) {
  if (!require_tables(c, doc, "capture", {"dns_events"})) return;
}

void build_posture(BuildContext& c, json& doc) {
  if (!require_tables(c, doc, "scan-endpoint", {"endpoints", "security_issues"})) return;
}

void build_simulation(BuildContext& c, json& doc) {
  if (!require_tables(c, doc, "simulate", {"causal_simulations"})) return;
}

void build_lineage(BuildContext& c, json& doc) {
  if (!require_tables(c, doc, "opskit", {"job_runs"})) return;
}

}  // namespace opskit::report::detail

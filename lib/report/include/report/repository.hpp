#pragma once
// All of report's SQL, one named operation each (src/repository.cpp).
// Every query is scoped to the session's tenant and to the period; the
// aggregation happens in SQL, the builders only shape the rows.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace opskit::report {

struct Period {
  std::string since;  // "" = from the start
  std::string until;  // inclusive upper bound
  std::string lo() const { return since.empty() ? std::string("0000") : since; }
  // Upper bound as text: timestamps with fractions still sort below it.
  std::string hi() const { return until + "~"; }
};

struct ReportRunRow {
  int64_t run_id = 0;
  std::string kind, subject, format, since, until, generated_at, output, sha256;
  int64_t bytes = 0;
};

class Repository {
 public:
  explicit Repository(store::Session& s) : s_(s) {}
  store::Session& session() { return s_; }

  // Whether a table exists in this database (a tool's migration may not be
  // part of this build); probes with a tenant-scoped statement.
  bool has_table(const std::string& table);
  // Rows of the tenant in a table (no period).
  int64_t count_rows(const std::string& table);

  // runs
  store::Rows runs_by_tool(const Period& p);            // tool, runs, ok, failed, running, last_started
  store::Rows runs_by_day_status(const Period& p);      // day, ok, failed, other
  store::Rows runs_timing(const Period& p);             // tool, started_at, finished_at, counts
  store::Rows runs_failures(const Period& p, int limit);  // id, tool, subcommand, started_at, exit_code, message

  // audit
  store::Rows audit_by_action(const Period& p);         // action, entries
  store::Rows audit_by_day(const Period& p);            // day, entries
  store::Rows audit_entries(const Period& p, int limit);  // seq, at, actor, action, object_type, object_id, hash
  int64_t audit_count(const Period& p);

  // posture (scan-endpoint's tables)
  store::Rows posture_endpoints();                   // name, kind, host, grade, score, tls_grade, status, last_scanned_at
  store::Rows posture_open_by_severity();            // severity, open
  store::Rows posture_open_issues(int limit);        // endpoint, severity, rule, title, controls, first_seen_at
  store::Rows posture_open_controls();               // controls, severity (one row per open issue)
  store::Rows posture_fixed(const Period& p, int limit);  // endpoint, severity, rule, title, closed_at
  store::Rows posture_open_incidents(int limit);     // incident_key, device_id, opened_at, status, max_score, event_count, summary
  // endpoint_scan_history (one row per endpoint per scan), within the period:
  // per endpoint its first and last scan with grade and score.
  store::Rows posture_trend(const Period& p);  // endpoint, kind, scans, first_at, first_grade, first_score, last_at, last_grade, last_score, last_open_issues
  // The last score of each endpoint of `kind` ("host") or of any other kind
  // ("" = every kind but host) per day.
  store::Rows posture_daily_scores(const Period& p, bool hosts);  // day, endpoint, score

  // screening / kyc (screen's tables)
  store::Rows screening_lists();                       // list, source, published, loaded_at, entity_count, sha256
  store::Rows screening_status_by_day(const Period& p);  // day, status, subjects
  store::Rows screening_open_reviews(int limit);       // id, subject_id, subject_name, list, entity_name, score, created_at
  store::Rows screening_top_entities(const Period& p, int limit);  // list, entity_name, matches
  int64_t screening_subjects(const Period& p);
  store::Rows kyc_subject(const std::string& id);      // id, kind, date, amount, currency, counterparty, country, sanctions_status, compliance_score, screened_at, lists_hash
  store::Rows kyc_matches(const std::string& id);      // id, list, list_version, entity_uid, entity_name, matched_name, score, status, explanation, review_status, reviewed_by, reviewed_at, review_note
  store::Rows kyc_reviews(const std::string& id);      // match_id, decision, note, actor, decided_at
  store::Rows kyc_list_versions(const std::string& id);  // id, list, source, published, sha256, loaded_at
  store::Rows kyc_audit(const std::string& id);        // seq, at, actor, action, object_type, object_id, hash

  // leads (score-leads' tables)
  store::Rows leads_by_band();                          // band, leads, won, lost, open
  store::Rows leads_calibration();                      // band, leads, predicted, observed
  store::Rows leads_models(int limit);                  // version, kind, training_rows, created_at, promoted, metrics
  store::Rows leads_drift(int limit);                   // run_at, model_version, feature, psi, level
  store::Rows leads_top(int limit);                     // external_id, score, probability, status, scored_at, reasons
  // lead_score_history within the period: per lead whose score changed, the
  // score before its first change and after its last one, largest move first.
  store::Rows leads_movers(const Period& p, int limit);  // external_id, from_score, to_score, change, changes, last_changed, model_version
  store::Rows leads_moves_summary(const Period& p);      // leads, up, down (one row)

  // threats (capture's tables)
  store::Rows threats_by_type_severity(const Period& p);  // threat_type, severity, alerts
  store::Rows threats_by_day(const Period& p);            // day, alerts
  store::Rows threats_top_talkers(const Period& p, int limit);  // client, queries, domains
  store::Rows threats_top_domains(const Period& p, int limit);  // query, queries, clients
  store::Rows threats_new_devices(const Period& p, int limit);  // mac, vendor, ips, hostnames, first_seen
  store::Rows threats_alerts(const Period& p, int limit);       // detected_at, threat_type, severity, score, indicator, src, dst, status, evidence

  // simulation (simulate's tables)
  store::Rows simulation_run(int64_t id);               // id, created_at, kind, mode, method, horizon_days, samples, engine_version, graph_hash, interventions, results
  store::Rows simulation_latest_plan();                 // id, created_at, objective, budget, chosen, value, cost, optimality, frontier

  // lineage: data quality of one table. `time_col` is its freshness column,
  // `key_expr` its natural key (an SQL expression over its own columns),
  // `required` the text columns that should never be empty. All of them come
  // from report's own catalogue (kinds_lineage.cpp), never from input.
  struct TableQuality {
    int64_t rows = 0, duplicates = 0, incomplete = 0;
    std::string oldest, newest;
  };
  TableQuality table_quality(const std::string& table, const std::string& time_col, const std::string& key_expr,
                             const std::vector<std::string>& required);
  store::Rows lineage_sources(const Period& p);  // tool, subcommand, runs, last_started, arguments of the last run
  store::Rows lineage_list_versions();           // list, source, published, sha256, loaded_at, entity_count, active

  // report_runs
  void record_report_run(const ReportRunRow& r);
  store::Rows report_runs_recent(int limit);

 private:
  store::Session& s_;
};

}  // namespace opskit::report

// All of report's SQL. Written once for both backends: $1 is the tenant
// (bound by the Session), ours start at $2; timestamps are ISO-8601 text, so
// period filters are text comparisons and days are substr(ts, 1, 10).
#include "report/repository.hpp"

#include "core/error.hpp"

namespace opskit::report {

bool Repository::has_table(const std::string& table) {
  // Table names come from our own code, never from input.
  try {
    s_.query("SELECT 1 FROM " + table + " WHERE tenant_id = $1 LIMIT 1");
    return true;
  } catch (const DatabaseError&) {
    return false;
  }
}

int64_t Repository::count_rows(const std::string& table) {
  auto v = s_.scalar("SELECT COUNT(*) FROM " + table + " WHERE tenant_id = $1");
  if (!v) return 0;
  if (auto* i = std::get_if<int64_t>(&*v)) return *i;
  if (auto* s = std::get_if<std::string>(&*v)) return std::stoll(*s);
  return 0;
}

// ---- runs -------------------------------------------------------------

// ok = exit 0, findings = exit 1 (the run worked and found something),
// failed = any other exit code, running = not finished.
#define RUN_OUTCOMES                                                                      \
  "SUM(CASE WHEN exit_code = 0 THEN 1 ELSE 0 END) AS ok, "                                \
  "SUM(CASE WHEN exit_code = 1 THEN 1 ELSE 0 END) AS findings, "                          \
  "SUM(CASE WHEN exit_code IS NOT NULL AND exit_code NOT IN (0, 1) THEN 1 ELSE 0 END) AS failed, " \
  "SUM(CASE WHEN finished_at IS NULL THEN 1 ELSE 0 END) AS running "

store::Rows Repository::runs_by_tool(const Period& p) {
  return s_.query("SELECT tool, COUNT(*) AS runs, " RUN_OUTCOMES ", MAX(started_at) AS last_started "
                  "FROM job_runs WHERE tenant_id = $1 AND started_at >= $2 AND started_at <= $3 "
                  "GROUP BY tool ORDER BY tool",
                  {p.lo(), p.hi()});
}

store::Rows Repository::runs_by_day_status(const Period& p) {
  return s_.query("SELECT substr(started_at, 1, 10) AS day, " RUN_OUTCOMES
                  "FROM job_runs WHERE tenant_id = $1 AND started_at >= $2 AND started_at <= $3 "
                  "GROUP BY substr(started_at, 1, 10) ORDER BY day",
                  {p.lo(), p.hi()});
}

store::Rows Repository::runs_timing(const Period& p) {
  return s_.query("SELECT tool, subcommand, started_at, finished_at, counts FROM job_runs "
                  "WHERE tenant_id = $1 AND started_at >= $2 AND started_at <= $3 ORDER BY tool, started_at, id",
                  {p.lo(), p.hi()});
}

store::Rows Repository::runs_failures(const Period& p, int limit) {
  return s_.query("SELECT id, tool, subcommand, started_at, exit_code, status, message FROM job_runs "
                  "WHERE tenant_id = $1 AND started_at >= $2 AND started_at <= $3 "
                  "AND exit_code IS NOT NULL AND exit_code NOT IN (0, 1) "
                  "ORDER BY started_at DESC, id DESC LIMIT $4",
                  {p.lo(), p.hi(), int64_t{limit}});
}

// ---- audit ------------------------------------------------------------

store::Rows Repository::audit_by_action(const Period& p) {
  return s_.query("SELECT action, COUNT(*) AS entries FROM audit_log "
                  "WHERE tenant_id = $1 AND at >= $2 AND at <= $3 GROUP BY action ORDER BY entries DESC, action",
                  {p.lo(), p.hi()});
}

store::Rows Repository::audit_by_day(const Period& p) {
  return s_.query("SELECT substr(at, 1, 10) AS day, COUNT(*) AS entries FROM audit_log "
                  "WHERE tenant_id = $1 AND at >= $2 AND at <= $3 GROUP BY substr(at, 1, 10) ORDER BY day",
                  {p.lo(), p.hi()});
}

store::Rows Repository::audit_entries(const Period& p, int limit) {
  return s_.query("SELECT seq, at, actor, action, object_type, object_id, substr(hash, 1, 12) AS hash FROM audit_log "
                  "WHERE tenant_id = $1 AND at >= $2 AND at <= $3 ORDER BY seq DESC LIMIT $4",
                  {p.lo(), p.hi(), int64_t{limit}});
}

int64_t Repository::audit_count(const Period& p) {
  auto v = s_.scalar("SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1 AND at >= $2 AND at <= $3", {p.lo(), p.hi()});
  if (!v) return 0;
  if (auto* i = std::get_if<int64_t>(&*v)) return *i;
  if (auto* s = std::get_if<std::string>(&*v)) return std::stoll(*s);
  return 0;
}

// ---- posture ----------------------------------------------------------

// Severity as a rank, for ordering: critical first.
#define SEVERITY_RANK                                                                                  \
  "CASE lower(severity) WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 " \
  "WHEN 'info' THEN 4 ELSE 5 END"
#define OPEN_ISSUE "tenant_id = $1 AND closed_at IS NULL AND lower(status) <> 'closed'"

store::Rows Repository::posture_endpoints() {
  return s_.query("SELECT name, kind, host, grade, score, tls_grade, status, last_scanned_at FROM endpoints "
                  "WHERE tenant_id = $1 ORDER BY name");
}

store::Rows Repository::posture_open_by_severity() {
  return s_.query("SELECT severity, COUNT(*) AS open, MIN(" SEVERITY_RANK ") AS rank FROM security_issues WHERE " OPEN_ISSUE
                  " GROUP BY severity ORDER BY rank, severity");
}

store::Rows Repository::posture_open_issues(int limit) {
  return s_.query("SELECT endpoint, severity, rule, title, controls, first_seen_at FROM security_issues WHERE " OPEN_ISSUE
                  " ORDER BY " SEVERITY_RANK ", first_seen_at, endpoint, rule LIMIT $2",
                  {int64_t{limit}});
}

store::Rows Repository::posture_open_controls() {
  return s_.query("SELECT controls, severity FROM security_issues WHERE " OPEN_ISSUE " ORDER BY id");
}

store::Rows Repository::posture_fixed(const Period& p, int limit) {
  return s_.query("SELECT endpoint, severity, rule, title, closed_at FROM security_issues "
                  "WHERE tenant_id = $1 AND closed_at IS NOT NULL AND closed_at >= $2 AND closed_at <= $3 "
                  "ORDER BY closed_at DESC, endpoint, rule LIMIT $4",
                  {p.lo(), p.hi(), int64_t{limit}});
}

store::Rows Repository::posture_open_incidents(int limit) {
  return s_.query("SELECT incident_key, device_id, opened_at, status, max_score, event_count, summary FROM incidents "
                  "WHERE tenant_id = $1 AND resolved_at IS NULL ORDER BY max_score DESC, opened_at, incident_key LIMIT $2",
                  {int64_t{limit}});
}

store::Rows Repository::posture_trend(const Period& p) {
  // The primary key (tenant, endpoint, scanned_at) makes each lookup one row.
  return s_.query("SELECT e.endpoint, e.kind, e.scans, e.first_at, "
                  "f.grade AS first_grade, f.score AS first_score, e.last_at, l.grade AS last_grade, l.score AS last_score, "
                  "l.open_issues AS last_open_issues "
                  "FROM (SELECT endpoint, MIN(kind) AS kind, COUNT(*) AS scans, MIN(scanned_at) AS first_at, MAX(scanned_at) AS last_at "
                  "      FROM endpoint_scan_history WHERE tenant_id = $1 AND scanned_at >= $2 AND scanned_at <= $3 GROUP BY endpoint) e "
                  "JOIN endpoint_scan_history f ON f.tenant_id = $1 AND f.endpoint = e.endpoint AND f.scanned_at = e.first_at "
                  "JOIN endpoint_scan_history l ON l.tenant_id = $1 AND l.endpoint = e.endpoint AND l.scanned_at = e.last_at "
                  "ORDER BY e.endpoint",
                  {p.lo(), p.hi()});
}

store::Rows Repository::posture_daily_scores(const Period& p, bool hosts) {
  return s_.query(std::string("SELECT substr(h.scanned_at, 1, 10) AS day, h.endpoint, h.score FROM endpoint_scan_history h "
                              "WHERE h.tenant_id = $1 AND h.scanned_at >= $2 AND h.scanned_at <= $3 AND h.score IS NOT NULL AND ") +
                      (hosts ? "h.kind = 'host'" : "h.kind <> 'host'") +
                      " AND h.scanned_at = (SELECT MAX(x.scanned_at) FROM endpoint_scan_history x WHERE x.tenant_id = $1 "
                      "AND x.endpoint = h.endpoint AND x.score IS NOT NULL AND x.scanned_at >= $2 AND x.scanned_at <= $3 "
                      "AND substr(x.scanned_at, 1, 10) = substr(h.scanned_at, 1, 10)) "
                      "ORDER BY day, h.endpoint",
                  {p.lo(), p.hi()});
}

// ---- screening / kyc ----------------------------------------------------

store::Rows Repository::screening_lists() {
  return s_.query("SELECT list, source, published, loaded_at, entity_count, sha256 FROM sanctions_lists "
                  "WHERE tenant_id = $1 AND active = 1 ORDER BY list, loaded_at DESC");
}

store::Rows Repository::screening_status_by_day(const Period& p) {
  return s_.query("SELECT substr(screened_at, 1, 10) AS day, sanctions_status AS status, COUNT(*) AS subjects FROM transactions "
                  "WHERE tenant_id = $1 AND screened_at >= $2 AND screened_at <= $3 "
                  "GROUP BY substr(screened_at, 1, 10), sanctions_status ORDER BY day, status",
                  {p.lo(), p.hi()});
}

store::Rows Repository::screening_open_reviews(int limit) {
  return s_.query("SELECT id, subject_id, subject_name, list, entity_name, score, created_at FROM screening_matches "
                  "WHERE tenant_id = $1 AND reviewed_at IS NULL ORDER BY created_at, id LIMIT $2",
                  {int64_t{limit}});
}

store::Rows Repository::screening_top_entities(const Period& p, int limit) {
  return s_.query("SELECT list, entity_name, COUNT(*) AS matches FROM screening_matches "
                  "WHERE tenant_id = $1 AND created_at >= $2 AND created_at <= $3 "
                  "GROUP BY list, entity_name ORDER BY matches DESC, list, entity_name LIMIT $4",
                  {p.lo(), p.hi(), int64_t{limit}});
}

int64_t Repository::screening_subjects(const Period& p) {
  auto v = s_.scalar("SELECT COUNT(*) FROM transactions WHERE tenant_id = $1 AND screened_at >= $2 AND screened_at <= $3",
                     {p.lo(), p.hi()});
  if (!v) return 0;
  if (auto* i = std::get_if<int64_t>(&*v)) return *i;
  if (auto* s = std::get_if<std::string>(&*v)) return std::stoll(*s);
  return 0;
}

store::Rows Repository::kyc_subject(const std::string& id) {
  return s_.query("SELECT id, kind, date, amount, currency, counterparty, country, sanctions_status, compliance_score, "
                  "screened_at, lists_hash FROM transactions WHERE tenant_id = $1 AND (id = $2 OR counterparty = $2) "
                  "ORDER BY screened_at, id",
                  {id});
}

#define KYC_MATCHES "SELECT id FROM screening_matches WHERE tenant_id = $1 AND (subject_id = $2 OR subject_name = $2)"

store::Rows Repository::kyc_matches(const std::string& id) {
  return s_.query("SELECT id, list, list_version, entity_uid, entity_name, matched_name, score, status, explanation, "
                  "review_status, reviewed_by, reviewed_at, review_note FROM screening_matches "
                  "WHERE tenant_id = $1 AND (subject_id = $2 OR subject_name = $2) ORDER BY score DESC, id",
                  {id});
}

store::Rows Repository::kyc_reviews(const std::string& id) {
  return s_.query("SELECT match_id, decision, note, actor, decided_at FROM screening_reviews "
                  "WHERE tenant_id = $1 AND match_id IN (" KYC_MATCHES ") ORDER BY decided_at, id",
                  {id});
}

store::Rows Repository::kyc_list_versions(const std::string& id) {
  return s_.query("SELECT id, list, source, published, sha256, loaded_at FROM sanctions_lists WHERE tenant_id = $1 AND id IN "
                  "(SELECT list_version FROM screening_matches WHERE tenant_id = $1 AND (subject_id = $2 OR subject_name = $2)) "
                  "ORDER BY list, loaded_at",
                  {id});
}

store::Rows Repository::kyc_audit(const std::string& id) {
  return s_.query("SELECT seq, at, actor, action, object_type, object_id, substr(hash, 1, 12) AS hash FROM audit_log "
                  "WHERE tenant_id = $1 AND (object_id = $2 OR object_id IN (SELECT CAST(id AS TEXT) FROM screening_matches "
                  "WHERE tenant_id = $1 AND (subject_id = $2 OR subject_name = $2))) ORDER BY seq",
                  {id});
}

// ---- leads ----------------------------------------------------------------

#define SCORE_BAND                                                                                            \
  "CASE WHEN score >= 80 THEN '80-100' WHEN score >= 60 THEN '60-79' WHEN score >= 40 THEN '40-59' "          \
  "WHEN score >= 20 THEN '20-39' ELSE '0-19' END"

store::Rows Repository::leads_by_band() {
  return s_.query("SELECT " SCORE_BAND " AS band, COUNT(*) AS leads, SUM(CASE WHEN outcome = 1 THEN 1 ELSE 0 END) AS won, "
                  "SUM(CASE WHEN outcome = 0 THEN 1 ELSE 0 END) AS lost, SUM(CASE WHEN outcome IS NULL THEN 1 ELSE 0 END) AS open "
                  "FROM leads WHERE tenant_id = $1 AND score IS NOT NULL GROUP BY " SCORE_BAND " ORDER BY band");
}

store::Rows Repository::leads_calibration() {
  return s_.query("SELECT " SCORE_BAND " AS band, COUNT(*) AS leads, AVG(probability) AS predicted, AVG(outcome * 1.0) AS observed "
                  "FROM leads WHERE tenant_id = $1 AND score IS NOT NULL AND probability IS NOT NULL AND outcome IS NOT NULL "
                  "GROUP BY " SCORE_BAND " ORDER BY band");
}

store::Rows Repository::leads_models(int limit) {
  return s_.query("SELECT version, kind, training_rows, created_at, promoted, metrics FROM lead_models "
                  "WHERE tenant_id = $1 ORDER BY created_at DESC, version DESC LIMIT $2",
                  {int64_t{limit}});
}

store::Rows Repository::leads_drift(int limit) {
  return s_.query("SELECT run_at, model_version, feature, psi, level FROM lead_drift WHERE tenant_id = $1 AND run_at = "
                  "(SELECT MAX(run_at) FROM lead_drift WHERE tenant_id = $1) ORDER BY psi DESC, feature LIMIT $2",
                  {int64_t{limit}});
}

store::Rows Repository::leads_top(int limit) {
  return s_.query("SELECT external_id, score, probability, status, scored_at, reasons FROM leads "
                  "WHERE tenant_id = $1 AND score IS NOT NULL AND outcome IS NULL ORDER BY score DESC, external_id LIMIT $2",
                  {int64_t{limit}});
}

// A move is a history row with a previous score; a lead's first scoring is not one.
#define LEAD_MOVES "tenant_id = $1 AND previous_score IS NOT NULL AND scored_at >= $2 AND scored_at <= $3"

store::Rows Repository::leads_movers(const Period& p, int limit) {
  return s_.query("SELECT external_id, from_score, to_score, to_score - from_score AS change, changes, last_changed, model_version FROM ("
                  "SELECT m.external_id, m.changes, m.last_changed, "
                  "(SELECT f.previous_score FROM lead_score_history f WHERE f.tenant_id = $1 AND f.external_id = m.external_id "
                  " AND f.previous_score IS NOT NULL AND f.scored_at >= $2 AND f.scored_at <= $3 "
                  " ORDER BY f.scored_at, f.model_version LIMIT 1) AS from_score, "
                  "(SELECT l.score FROM lead_score_history l WHERE l.tenant_id = $1 AND l.external_id = m.external_id "
                  " AND l.previous_score IS NOT NULL AND l.scored_at >= $2 AND l.scored_at <= $3 "
                  " ORDER BY l.scored_at DESC, l.model_version DESC LIMIT 1) AS to_score, "
                  "(SELECT v.model_version FROM lead_score_history v WHERE v.tenant_id = $1 AND v.external_id = m.external_id "
                  " AND v.previous_score IS NOT NULL AND v.scored_at >= $2 AND v.scored_at <= $3 "
                  " ORDER BY v.scored_at DESC, v.model_version DESC LIMIT 1) AS model_version "
                  "FROM (SELECT external_id, COUNT(*) AS changes, MAX(scored_at) AS last_changed FROM lead_score_history "
                  "      WHERE " LEAD_MOVES " GROUP BY external_id) m) t "
                  "WHERE to_score <> from_score "
                  "ORDER BY ABS(to_score - from_score) DESC, to_score - from_score DESC, external_id LIMIT $4",
                  {p.lo(), p.hi(), int64_t{limit}});
}

store::Rows Repository::leads_moves_summary(const Period& p) {
  return s_.query("SELECT COUNT(DISTINCT external_id) AS leads, "
                  "SUM(CASE WHEN score > previous_score THEN 1 ELSE 0 END) AS up, "
                  "SUM(CASE WHEN score < previous_score THEN 1 ELSE 0 END) AS down "
                  "FROM lead_score_history WHERE " LEAD_MOVES,
                  {p.lo(), p.hi()});
}

// ---- threats --------------------------------------------------------------

store::Rows Repository::threats_by_type_severity(const Period& p) {
  return s_.query("SELECT threat_type, severity, COUNT(*) AS alerts FROM threat_intelligence "
                  "WHERE tenant_id = $1 AND detected_at >= $2 AND detected_at <= $3 GROUP BY threat_type, severity "
                  "ORDER BY threat_type, severity",
                  {p.lo(), p.hi()});
}

store::Rows Repository::threats_by_day(const Period& p) {
  return s_.query("SELECT substr(first_seen, 1, 10) AS day, COUNT(*) AS alerts FROM threat_intelligence "
                  "WHERE tenant_id = $1 AND detected_at >= $2 AND detected_at <= $3 GROUP BY substr(first_seen, 1, 10) ORDER BY day",
                  {p.lo(), p.hi()});
}

store::Rows Repository::threats_top_talkers(const Period& p, int limit) {
  return s_.query("SELECT client, COUNT(*) AS queries, COUNT(DISTINCT query) AS domains FROM dns_events "
                  "WHERE tenant_id = $1 AND ts >= $2 AND ts <= $3 GROUP BY client ORDER BY queries DESC, client LIMIT $4",
                  {p.lo(), p.hi(), int64_t{limit}});
}

store::Rows Repository::threats_top_domains(const Period& p, int limit) {
  return s_.query("SELECT query, COUNT(*) AS queries, COUNT(DISTINCT client) AS clients FROM dns_events "
                  "WHERE tenant_id = $1 AND ts >= $2 AND ts <= $3 GROUP BY query ORDER BY queries DESC, query LIMIT $4",
                  {p.lo(), p.hi(), int64_t{limit}});
}

store::Rows Repository::threats_new_devices(const Period& p, int limit) {
  return s_.query("SELECT mac, vendor, ips, hostnames, first_seen FROM network_devices "
                  "WHERE tenant_id = $1 AND first_seen >= $2 AND first_seen <= $3 ORDER BY first_seen DESC, mac LIMIT $4",
                  {p.lo(), p.hi(), int64_t{limit}});
}

store::Rows Repository::threats_alerts(const Period& p, int limit) {
  return s_.query("SELECT detected_at, threat_type, severity, score, indicator, src, dst, status, evidence FROM threat_intelligence "
                  "WHERE tenant_id = $1 AND detected_at >= $2 AND detected_at <= $3 ORDER BY score DESC, detected_at, id LIMIT $4",
                  {p.lo(), p.hi(), int64_t{limit}});
}

// ---- simulation -----------------------------------------------------------

store::Rows Repository::simulation_run(int64_t id) {
  return s_.query("SELECT id, created_at, kind, mode, method, horizon_days, samples, engine_version, graph_hash, interventions, "
                  "results FROM causal_simulations WHERE tenant_id = $1 AND id = $2",
                  {id});
}

store::Rows Repository::simulation_latest_plan() {
  return s_.query("SELECT id, created_at, objective, budget, chosen, value, cost, optimality, frontier FROM plans "
                  "WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1");
}

// ---- lineage ----------------------------------------------------------

Repository::TableQuality Repository::table_quality(const std::string& table, const std::string& time_col,
                                                   const std::string& key_expr, const std::vector<std::string>& required) {
  std::string incomplete = "0";
  for (const auto& c : required) incomplete += " + CASE WHEN " + c + " IS NULL OR " + c + " = '' THEN 1 ELSE 0 END";
  auto rows = s_.query("SELECT COUNT(*) AS n, COUNT(*) - COUNT(DISTINCT " + key_expr + ") AS dup, "
                       "SUM(CASE WHEN " + incomplete + " > 0 THEN 1 ELSE 0 END) AS incomplete, "
                       "MIN(" + time_col + ") AS oldest, MAX(" + time_col + ") AS newest FROM " + table +
                       " WHERE tenant_id = $1");
  TableQuality q;
  if (rows.empty()) return q;
  const auto& r = rows[0];
  q.rows = r.integer("n");
  q.duplicates = r.integer("dup");
  q.incomplete = r.integer("incomplete");
  q.oldest = r.text("oldest");
  q.newest = r.text("newest");
  return q;
}

store::Rows Repository::lineage_sources(const Period& p) {
  return s_.query("SELECT j.tool, j.subcommand, COUNT(*) AS runs, MAX(j.started_at) AS last_started, "
                  "(SELECT l.arguments FROM job_runs l WHERE l.tenant_id = $1 AND l.tool = j.tool AND l.subcommand = j.subcommand "
                  " AND l.finished_at IS NOT NULL AND l.started_at >= $2 AND l.started_at <= $3"
                  " ORDER BY l.started_at DESC, l.id DESC LIMIT 1) AS last_arguments "
                  "FROM job_runs j WHERE j.tenant_id = $1 AND j.started_at >= $2 AND j.started_at <= $3 "
                  "AND j.finished_at IS NOT NULL GROUP BY j.tool, j.subcommand ORDER BY j.tool, j.subcommand",
                  {p.lo(), p.hi()});
}

store::Rows Repository::lineage_list_versions() {
  return s_.query("SELECT list, source, published, sha256, loaded_at, entity_count, active FROM sanctions_lists "
                  "WHERE tenant_id = $1 ORDER BY list, loaded_at DESC, id DESC");
}

// ---- report_runs ------------------------------------------------------

void Repository::record_report_run(const ReportRunRow& r) {
  s_.exec("INSERT INTO report_runs (tenant_id, run_id, kind, subject, format, period_since, period_until, generated_at, "
          "schema_version, output, bytes, sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11)",
          {r.run_id, r.kind, r.subject, r.format, r.since, r.until, r.generated_at, r.output, r.bytes, r.sha256});
}

store::Rows Repository::report_runs_recent(int limit) {
  return s_.query("SELECT id, run_id, kind, subject, format, generated_at, output, bytes, sha256 FROM report_runs "
                  "WHERE tenant_id = $1 ORDER BY generated_at DESC, id DESC LIMIT $2",
                  {int64_t{limit}});
}

}  // namespace opskit::report

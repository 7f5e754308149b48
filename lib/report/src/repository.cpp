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

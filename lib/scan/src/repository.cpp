#include "scan/repository.hpp"

#include <map>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

namespace opskit::scan {

using store::Params;
using store::Value;

std::string join_controls(const std::vector<std::string>& controls) {
  std::string out;
  for (const auto& c : controls) out += (out.empty() ? "" : "; ") + c;
  return out;
}

std::vector<std::string> Repository::allowed_hosts() {
  std::vector<std::string> out;
  for (const auto& r : s_.query("SELECT pattern FROM scan_allowed_hosts WHERE tenant_id = $1 ORDER BY pattern"))
    out.push_back(r.text(0));
  return out;
}

void Repository::allow_host(const std::string& pattern, const std::string& at) {
  s_.exec("INSERT INTO scan_allowed_hosts (tenant_id, pattern, added_at) VALUES ($1, $2, $3) "
          "ON CONFLICT (tenant_id, pattern) DO NOTHING",
          {pattern, at});
}

bool Repository::disallow_host(const std::string& pattern) {
  return s_.exec("DELETE FROM scan_allowed_hosts WHERE tenant_id = $1 AND pattern = $2", {pattern}) > 0;
}

std::vector<Finding> Repository::diff_and_update_baseline(const EndpointResult& r, const std::string& at) {
  std::vector<Finding> changes;
  std::map<std::pair<std::string, std::string>, std::string> old;
  for (const auto& row : s_.query("SELECT kind, name, value FROM endpoint_baselines WHERE tenant_id = $1 AND endpoint = $2",
                                  {r.target}))
    old[{row.text(0), row.text(1)}] = row.text(2);
  std::map<std::pair<std::string, std::string>, std::string> now;
  for (const auto& [k, v] : r.baseline_headers) now[{"header", k}] = v;
  for (const auto& s : r.scripts) now[{"script", s.substr(0, s.find('#'))}] = s;
  if (!old.empty()) {
    auto add = [&](const std::string& rule, Severity sev, const std::string& title, const std::string& evidence) {
      changes.push_back({rule, sev, title, redact(evidence), controls_for(rule)});
    };
    for (const auto& [key, value] : now) {
      auto it = old.find(key);
      if (key.first == "header") {
        if (it == old.end()) add("scan.baseline.header-added." + key.second, Severity::info, "Header " + key.second + " appeared", value);
        else if (it->second != value)
          add("scan.baseline.header-changed." + key.second, Severity::low, "Header " + key.second + " changed",
              it->second + " -> " + value);
      } else {
        if (it == old.end()) add("scan.baseline.script-added", Severity::medium, "New script on the page", value);
        else if (it->second != value) add("scan.baseline.script-changed", Severity::medium, "Script integrity changed", value);
      }
    }
    for (const auto& [key, value] : old)
      if (!now.count(key)) {
        if (key.first == "header")
          add("scan.baseline.header-removed." + key.second, Severity::low, "Header " + key.second + " disappeared", value);
        else add("scan.baseline.script-removed", Severity::info, "Script removed from the page", value);
      }
  }
  s_.exec("DELETE FROM endpoint_baselines WHERE tenant_id = $1 AND endpoint = $2", {r.target});
  for (const auto& [key, value] : now)
    s_.exec("INSERT INTO endpoint_baselines (tenant_id, endpoint, kind, name, value, first_seen_at, last_seen_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $6)",
            {r.target, key.first, key.second, value, at});
  return changes;
}

StoreOutcome Repository::store_endpoint(const EndpointResult& r, const std::string& kind, const std::string& at,
                                        int64_t run_id) {
  StoreOutcome o;
  nlohmann::json details = {{"redirect_chain", r.redirect_chain}, {"elapsed_ms", static_cast<int64_t>(r.elapsed_ms)}};
  if (r.tls) {
    const auto& t = *r.tls;
    details["tls"] = {{"version", t.version}, {"cipher", t.cipher}, {"offered", t.offered}, {"days_to_expiry", t.days_to_expiry},
                      {"key", t.key_type + " " + std::to_string(t.key_bits)}, {"signature", t.signature_algorithm},
                      {"chain_valid", t.chain_valid}, {"hostname_match", t.hostname_match}, {"caps", t.caps}};
  }
  s_.exec(
      "INSERT INTO endpoints (tenant_id, name, kind, host, port, status, error, grade, score, tls_grade, final_url, "
      "http_status, details, first_seen_at, last_scanned_at, last_run_id) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15) "
      "ON CONFLICT (tenant_id, name) DO UPDATE SET kind = excluded.kind, host = excluded.host, port = excluded.port, "
      "status = excluded.status, error = excluded.error, grade = excluded.grade, score = excluded.score, "
      "tls_grade = excluded.tls_grade, final_url = excluded.final_url, http_status = excluded.http_status, "
      "details = excluded.details, last_scanned_at = excluded.last_scanned_at, last_run_id = excluded.last_run_id",
      {r.target, kind, r.host, static_cast<int64_t>(r.port), r.status, r.error.empty() ? store::null() : Value(r.error),
       r.grade.empty() ? store::null() : Value(r.grade), static_cast<int64_t>(r.score),
       r.tls && !r.tls->grade.empty() ? Value(r.tls->grade) : store::null(), r.final_url,
       static_cast<int64_t>(r.http_status), details.dump(), at, run_id});

  std::map<std::string, std::pair<std::string, int64_t>> existing;  // rule -> (status, id)
  for (const auto& row : s_.query("SELECT rule, status, id FROM security_issues WHERE tenant_id = $1 AND endpoint = $2", {r.target}))
    existing[row.text(0)] = {row.text(1), row.integer(2)};
  auto history = [&](const std::string& rule, const std::string& event) {
    s_.exec("INSERT INTO security_issue_history (tenant_id, endpoint, rule, at, event, run_id) VALUES ($1, $2, $3, $4, $5, $6) "
            "ON CONFLICT (tenant_id, endpoint, rule, at, event) DO NOTHING",
            {r.target, rule, at, event, run_id});
  };
  std::set<std::string> seen;
  for (const auto& f : r.findings) {
    if (!seen.insert(f.rule).second) continue;
    auto it = existing.find(f.rule);
    if (it == existing.end()) {
      s_.exec("INSERT INTO security_issues (tenant_id, endpoint, rule, severity, title, evidence, controls, status, "
              "first_seen_at, last_seen_at, times_reopened) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $8, 0)",
              {r.target, f.rule, severity_name(f.severity), f.title, f.evidence, join_controls(f.controls), at});
      history(f.rule, "opened");
      ++o.opened;
    } else {
      bool reopen = it->second.first == "closed";
      s_.exec(std::string("UPDATE security_issues SET severity = $3, title = $4, evidence = $5, controls = $6, status = 'open', "
                          "last_seen_at = $7, closed_at = NULL") +
                  (reopen ? ", times_reopened = times_reopened + 1" : "") + " WHERE tenant_id = $1 AND id = $2",
              {it->second.second, severity_name(f.severity), f.title, f.evidence, join_controls(f.controls), at});
      if (reopen) {
        history(f.rule, "reopened");
        ++o.reopened;
      } else {
        ++o.still_open;
      }
    }
  }
  // A target that could not be scanned proves nothing about its other issues.
  if (r.status == "ok") {
    for (const auto& [rule, st] : existing) {
      if (seen.count(rule) || st.first != "open") continue;
      s_.exec("UPDATE security_issues SET status = 'closed', closed_at = $3 WHERE tenant_id = $1 AND id = $2", {st.second, at});
      history(rule, "closed");
      ++o.closed;
    }
  }
  // One trend row per endpoint and scan time, in the caller's transaction; a
  // rerun at the same time replaces its own row instead of adding one.
  auto open_rows = s_.query("SELECT COUNT(*) FROM security_issues WHERE tenant_id = $1 AND endpoint = $2 AND status = 'open'",
                            {r.target});
  int64_t open_issues = open_rows.empty() ? 0 : open_rows[0].integer(0);
  s_.exec("INSERT INTO endpoint_scan_history (tenant_id, endpoint, kind, scanned_at, status, grade, score, tls_grade, "
          "open_issues, run_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
          "ON CONFLICT (tenant_id, endpoint, scanned_at) DO UPDATE SET kind = excluded.kind, status = excluded.status, "
          "grade = excluded.grade, score = excluded.score, tls_grade = excluded.tls_grade, "
          "open_issues = excluded.open_issues, run_id = excluded.run_id",
          {r.target, kind, at, r.status, r.grade.empty() ? store::null() : Value(r.grade),
           r.status == "ok" ? Value(static_cast<int64_t>(r.score)) : store::null(),
           r.tls && !r.tls->grade.empty() ? Value(r.tls->grade) : store::null(), open_issues, run_id});
  return o;
}

std::vector<HistoryRow> Repository::scan_history(const std::string& endpoint) {
  std::vector<HistoryRow> out;
  for (const auto& row : s_.query("SELECT endpoint, kind, scanned_at, status, grade, score, tls_grade, open_issues, run_id "
                                  "FROM endpoint_scan_history WHERE tenant_id = $1 AND ($2 = '' OR endpoint = $2) "
                                  "ORDER BY endpoint, scanned_at",
                                  {endpoint})) {
    HistoryRow h;
    h.endpoint = row.text(0);
    h.kind = row.text(1);
    h.scanned_at = row.text(2);
    h.status = row.text(3);
    h.grade = row.text(4);
    h.score = row.is_null(5) ? std::nullopt : std::optional<int64_t>(row.integer(5));
    h.tls_grade = row.text(6);
    h.open_issues = row.integer(7);
    h.run_id = row.integer(8);
    out.push_back(h);
  }
  return out;
}

namespace {
IssueRow issue_from(const store::Row& row) {
  IssueRow i;
  i.id = row.integer("id");
  i.endpoint = row.text("endpoint");
  i.rule = row.text("rule");
  i.severity = row.text("severity");
  i.title = row.text("title");
  i.evidence = row.text("evidence");
  i.controls = row.text("controls");
  i.status = row.text("status");
  i.first_seen_at = row.text("first_seen_at");
  i.last_seen_at = row.text("last_seen_at");
  i.closed_at = row.text("closed_at");
  i.times_reopened = row.integer("times_reopened");
  return i;
}
}  // namespace

std::vector<IssueRow> Repository::issues(const std::string& status, const std::string& endpoint) {
  std::vector<IssueRow> out;
  for (const auto& row : s_.query("SELECT id, endpoint, rule, severity, title, evidence, controls, status, first_seen_at, "
                                  "last_seen_at, closed_at, times_reopened FROM security_issues WHERE tenant_id = $1 "
                                  "AND ($2 = '' OR status = $2) AND ($3 = '' OR endpoint = $3) ORDER BY endpoint, rule",
                                  {status, endpoint}))
    out.push_back(issue_from(row));
  return out;
}

std::vector<IssueRow> Repository::issue_history_rows(const std::string& endpoint) {
  std::vector<IssueRow> out;
  for (const auto& row : s_.query("SELECT endpoint, rule, at, event FROM security_issue_history WHERE tenant_id = $1 "
                                  "AND ($2 = '' OR endpoint = $2) ORDER BY at, endpoint, rule, event",
                                  {endpoint})) {
    IssueRow i;
    i.endpoint = row.text(0);
    i.rule = row.text(1);
    i.last_seen_at = row.text(2);
    i.status = row.text(3);
    out.push_back(i);
  }
  return out;
}

void Repository::add_baseline_counts(const std::string& device, const std::string& feature, const std::string& value,
                                     int64_t count, const std::string& at) {
  s_.exec("INSERT INTO telemetry_baselines (tenant_id, device_id, feature, value, count, first_seen_at, last_seen_at) "
          "VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (tenant_id, device_id, feature, value) DO UPDATE SET "
          "count = telemetry_baselines.count + excluded.count, last_seen_at = excluded.last_seen_at",
          {device, feature, value, count, at});
}

std::vector<std::tuple<std::string, std::string, std::string, int64_t>> Repository::baseline_rows() {
  std::vector<std::tuple<std::string, std::string, std::string, int64_t>> out;
  for (const auto& row : s_.query("SELECT device_id, feature, value, count FROM telemetry_baselines WHERE tenant_id = $1"))
    out.emplace_back(row.text(0), row.text(1), row.text(2), row.integer(3));
  return out;
}

void Repository::add_event(const std::string& key, const std::string& device, const std::string& at, const std::string& type,
                           const std::string& subject, double score, std::optional<int64_t> incident,
                           const std::string& details) {
  s_.exec("INSERT INTO endpoint_events (tenant_id, event_key, device_id, at, type, subject, score, incident_id, details) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant_id, event_key) DO UPDATE SET "
          "score = excluded.score, incident_id = excluded.incident_id",
          {key, device, at, type, subject, score, incident ? Value(*incident) : store::null(), details});
}

int64_t Repository::upsert_incident(const std::string& key, const std::string& device, const std::string& opened_at,
                                    const std::string& last_event_at, double max_score, int64_t events,
                                    const std::string& summary, const std::string& evidence) {
  auto rows = s_.query(
      "INSERT INTO incidents (tenant_id, incident_key, device_id, opened_at, last_event_at, status, max_score, event_count, "
      "summary, evidence) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9) ON CONFLICT (tenant_id, incident_key) DO UPDATE "
      "SET last_event_at = excluded.last_event_at, max_score = excluded.max_score, event_count = excluded.event_count, "
      "summary = excluded.summary, evidence = excluded.evidence RETURNING id",
      {key, device, opened_at, last_event_at, max_score, events, summary, evidence});
  return rows.empty() ? 0 : rows[0].integer(0);
}

std::vector<IncidentRow> Repository::incidents(const std::string& status) {
  std::vector<IncidentRow> out;
  for (const auto& row : s_.query("SELECT id, device_id, opened_at, last_event_at, status, max_score, event_count, summary, "
                                  "evidence, resolved_at, resolution FROM incidents WHERE tenant_id = $1 AND ($2 = '' OR "
                                  "status = $2) ORDER BY opened_at, id",
                                  {status})) {
    IncidentRow i;
    i.id = row.integer(0);
    i.device_id = row.text(1);
    i.opened_at = row.text(2);
    i.last_event_at = row.text(3);
    i.status = row.text(4);
    i.max_score = row.real(5);
    i.event_count = row.integer(6);
    i.summary = row.text(7);
    i.evidence = row.text(8);
    i.resolved_at = row.text(9);
    i.resolution = row.text(10);
    out.push_back(i);
  }
  return out;
}

bool Repository::resolve_incident(int64_t id, const std::string& at, const std::string& resolution) {
  return s_.exec("UPDATE incidents SET status = 'resolved', resolved_at = $3, resolution = $4 WHERE tenant_id = $1 AND id = $2 "
                 "AND status = 'open'",
                 {id, at, resolution}) > 0;
}

}  // namespace opskit::scan

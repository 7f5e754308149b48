#pragma once
// All SQL of the scan domain. Endpoints are keyed by name (the URL scanned,
// or "host:<hostname>" for a device); security issues by (endpoint, rule):
// a rescan updates what it sees again, opens what is new, reopens what came
// back, and closes what is gone, recording each change in
// security_issue_history. Header and script baselines are compared before
// they are replaced, so changes between scans become findings.
#include <optional>
#include <tuple>
#include <string>
#include <vector>

#include "scan/findings.hpp"
#include "scan/scanner.hpp"
#include "store/store.hpp"

namespace opskit::scan {

struct IssueRow {
  int64_t id = 0;
  std::string endpoint, rule, severity, title, evidence, controls, status, first_seen_at, last_seen_at, closed_at;
  int64_t times_reopened = 0;
};

struct StoreOutcome {
  int opened = 0, reopened = 0, still_open = 0, closed = 0;
};

// One scan of one endpoint, for grade trends (web) and hardening history (host).
struct HistoryRow {
  std::string endpoint, kind, scanned_at, status, grade, tls_grade;
  std::optional<int64_t> score;  // Observatory score, or the hardening index of a host; none when the scan failed
  int64_t open_issues = 0, run_id = 0;
};

struct IncidentRow {
  int64_t id = 0;
  std::string device_id, opened_at, last_event_at, status, summary, evidence, resolved_at, resolution;
  double max_score = 0;
  int64_t event_count = 0;
};

class Repository {
 public:
  explicit Repository(store::Session& s) : s_(s) {}

  // Allow-list of hosts.
  std::vector<std::string> allowed_hosts();
  void allow_host(const std::string& pattern, const std::string& at);
  bool disallow_host(const std::string& pattern);

  // Header/script changes against the stored baseline (empty on first scan),
  // as findings; then the baseline is replaced by what was seen.
  std::vector<Finding> diff_and_update_baseline(const EndpointResult& r, const std::string& at);

  // Upserts the endpoint, reconciles its issues and writes its row in
  // endpoint_scan_history (keyed by scan time, so a rerun at the same time
  // replaces it). `kind` is "web" or "host". Call inside a transaction.
  StoreOutcome store_endpoint(const EndpointResult& r, const std::string& kind, const std::string& at, int64_t run_id);
  // Trend rows, oldest first per endpoint; all endpoints when `endpoint` is empty.
  std::vector<HistoryRow> scan_history(const std::string& endpoint);

  std::vector<IssueRow> issues(const std::string& status, const std::string& endpoint);
  std::vector<IssueRow> issue_history_rows(const std::string& endpoint);

  // Telemetry baselines: counts per (device, feature, value).
  void add_baseline_counts(const std::string& device, const std::string& feature, const std::string& value, int64_t count,
                           const std::string& at);
  // All baseline rows of a device: feature -> value -> count.
  std::vector<std::tuple<std::string, std::string, std::string, int64_t>> baseline_rows();
  // Stores an event (idempotent by event_key).
  void add_event(const std::string& key, const std::string& device, const std::string& at, const std::string& type,
                 const std::string& subject, double score, std::optional<int64_t> incident, const std::string& details);
  // Opens or extends the incident with this key; returns its id.
  int64_t upsert_incident(const std::string& key, const std::string& device, const std::string& opened_at,
                          const std::string& last_event_at, double max_score, int64_t events, const std::string& summary,
                          const std::string& evidence);
  std::vector<IncidentRow> incidents(const std::string& status);
  bool resolve_incident(int64_t id, const std::string& at, const std::string& resolution);

 private:
  store::Session& s_;
};

std::string join_controls(const std::vector<std::string>& controls);

}  // namespace opskit::scan

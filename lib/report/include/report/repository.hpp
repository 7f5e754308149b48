#pragma once
// All of report's SQL, one named operation each (src/repository.cpp).
// Every query is scoped to the session's tenant and to the period; the
// aggregation happens in SQL, the builders only shape the rows.
#include <cstdint>
#include <optional>
#include <string>

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

  // report_runs
  void record_report_run(const ReportRunRow& r);
  store::Rows report_runs_recent(int limit);

 private:
  store::Session& s_;
};

}  // namespace opskit::report

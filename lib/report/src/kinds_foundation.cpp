// Kinds over the foundation tables: runs, audit, and the summary page.
#include <algorithm>
#include <map>

#include "kinds_internal.hpp"
#include "report/document.hpp"
#include "store/ledger.hpp"

namespace opskit::report::detail {
using nlohmann::json;

void summary_domain_rows(BuildContext& c, Section& figures, json& doc);  // kinds_domains.cpp

namespace {

int64_t sum_int(const store::Rows& rows, const std::string& col) {
  int64_t n = 0;
  for (const auto& r : rows) n += r.integer(col);
  return n;
}

// Rows handled by a run: the sum of its counts object ({"rows": 10, ...}).
int64_t rows_handled(const std::string& counts) {
  auto j = json::parse(counts.empty() ? "{}" : counts, nullptr, false);
  int64_t n = 0;
  if (j.is_object())
    for (auto& [k, v] : j.items())
      if (v.is_number_integer()) n += v.get<int64_t>();
  return n;
}

}  // namespace

void build_runs(BuildContext& c, json& doc) {
  const auto by_tool = c.repo.runs_by_tool(c.period);
  if (by_tool.empty()) {
    no_data(doc, "No job runs recorded for this tenant in this period yet.");
  }
  Section overview("overview", "Overview");
  overview.fact("Runs", sum_int(by_tool, "runs"))
      .fact("Succeeded", sum_int(by_tool, "ok"))
      .fact("With findings", sum_int(by_tool, "findings"))
      .fact("Failed", sum_int(by_tool, "failed"))
      .fact("Still running", sum_int(by_tool, "running"))
      .fact("Tools", static_cast<int64_t>(by_tool.size()));
  add_section(doc, overview);

  Section tools("by_tool", "Runs per tool", "Outcome of every run: exit 0 succeeded, exit 1 found something, any other code failed.");
  tools.columns({{"tool", "Tool"}, {"runs", "Runs", "int"}, {"ok", "Succeeded", "int"}, {"findings", "Findings", "int"},
                 {"failed", "Failed", "int"}, {"running", "Running", "int"}, {"last_started", "Last started", "time"}})
      .rows(by_tool)
      .sort_rows({{0, false}})
      .chart("stacked_bar", "tool", {"ok", "findings", "failed", "running"})
      .empty_note("No runs in this period.");
  add_section(doc, tools);

  Section days("by_day", "Runs per day");
  days.columns({{"day", "Day", "time"}, {"ok", "Succeeded", "int"}, {"findings", "Findings", "int"}, {"failed", "Failed", "int"},
                {"running", "Running", "int"}})
      .rows(c.repo.runs_by_day_status(c.period))
      .chart("stacked_bar", "day", {"ok", "findings", "failed", "running"})
      .empty_note("No runs in this period.");
  add_section(doc, days);

  // Durations need timestamp arithmetic, which the two SQL dialects spell
  // differently; the ledger is small, so it is done here.
  struct Acc {
    int64_t finished = 0, rows = 0;
    double total = 0, max = 0;
  };
  std::map<std::string, Acc> acc;
  const char* bucket_names[] = {"< 1 s", "1-10 s", "10-60 s", "1-10 min", ">= 10 min"};
  int64_t buckets[5] = {0, 0, 0, 0, 0};
  for (const auto& r : c.repo.runs_timing(c.period)) {
    auto& a = acc[r.text("tool")];
    a.rows += rows_handled(r.text("counts"));
    double s = seconds_between(r.text("started_at"), r.text("finished_at"));
    if (s < 0) continue;
    ++a.finished;
    a.total += s;
    a.max = std::max(a.max, s);
    ++buckets[s < 1 ? 0 : s < 10 ? 1 : s < 60 ? 2 : s < 600 ? 3 : 4];
  }
  Section durations("durations", "Duration and rows handled per tool", "Finished runs only; rows handled is the sum of each run's counts.");
  durations.columns({{"tool", "Tool"}, {"finished", "Finished runs", "int"}, {"mean_seconds", "Mean (s)", "real"},
                     {"max_seconds", "Longest (s)", "real"}, {"rows_handled", "Rows handled", "int"}});
  for (auto& [tool, a] : acc)
    durations.row({tool, a.finished, a.finished ? a.total / a.finished : 0.0, a.max, a.rows});
  durations.chart("bar", "tool", {"mean_seconds"}, "s").empty_note("No finished runs in this period.");
  add_section(doc, durations);

  Section histogram("duration_histogram", "Run durations");
  histogram.columns({{"bucket", "Duration"}, {"runs", "Runs", "int"}});
  if (!acc.empty())
    for (int i = 0; i < 5; ++i) histogram.row({bucket_names[i], buckets[i]});
  histogram.chart("histogram", "bucket", {"runs"}).empty_note("No finished runs in this period.");
  add_section(doc, histogram);

  Section failures("failures", "Recent failures", "Most recent first.");
  failures.columns({{"id", "Run", "int"}, {"tool", "Tool"}, {"subcommand", "Command"}, {"started_at", "Started", "time"},
                    {"exit_code", "Exit", "int"}, {"status", "Status"}, {"message", "Message"}})
      .rows(c.repo.runs_failures(c.period, c.request.limit))
      .empty_note("No failed runs in this period.");
  add_section(doc, failures);
}

void build_audit(BuildContext& c, json& doc) {
  const auto verdict = store::verify_audit(c.repo.session());
  const int64_t entries = c.repo.audit_count(c.period);
  if (entries == 0) no_data(doc, "No audit-log entries for this tenant in this period yet.");
  Section chain("verification", "Chain verification",
                "Every entry's SHA-256 is recomputed over its content and the previous entry's hash; any edit or deletion breaks the chain.");
  chain.fact("Chain", verdict.ok ? std::string("intact") : "BROKEN at entry " + std::to_string(verdict.first_bad_seq))
      .fact("Entries verified", verdict.rows)
      .fact("Entries in period", entries);
  if (!verdict.ok) chain.fact("Reason", verdict.reason);
  add_section(doc, chain);

  Section days("by_day", "Entries per day");
  days.columns({{"day", "Day", "time"}, {"entries", "Entries", "int"}})
      .rows(c.repo.audit_by_day(c.period))
      .chart("time_series", "day", {"entries"})
      .empty_note("No entries in this period.");
  add_section(doc, days);

  Section actions("by_action", "Entries per action");
  actions.columns({{"action", "Action"}, {"entries", "Entries", "int"}})
      .rows(c.repo.audit_by_action(c.period))
      .sort_rows({{1, true}, {0, false}})
      .chart("bar", "action", {"entries"})
      .empty_note("No entries in this period.");
  add_section(doc, actions);

  Section trail("trail", "Audit trail", "Most recent first, up to --limit entries; hash shown as its first 12 hex digits.");
  trail.columns({{"seq", "Seq", "int"}, {"at", "At", "time"}, {"actor", "Actor"}, {"action", "Action"}, {"object_type", "Object type"},
                 {"object_id", "Object"}, {"hash", "Hash"}})
      .rows(c.repo.audit_entries(c.period, c.request.limit))
      .empty_note("No entries in this period.");
  add_section(doc, trail);
}

void build_summary(BuildContext& c, json& doc) {
  const auto by_tool = c.repo.runs_by_tool(c.period);
  const auto verdict = store::verify_audit(c.repo.session());
  Section overview("overview", "At a glance");
  overview.fact("Job runs", sum_int(by_tool, "runs"))
      .fact("Failed runs", sum_int(by_tool, "failed"))
      .fact("Audit chain", verdict.ok ? std::string("intact") : "BROKEN at entry " + std::to_string(verdict.first_bad_seq))
      .fact("Audit entries", verdict.rows);
  add_section(doc, overview);

  Section figures("figures", "Key figures", "Counts for the period where the data is dated, otherwise all rows of the tenant.");
  figures.columns({{"area", "Area"}, {"measure", "Measure"}, {"value", "Value", "int"}});
  figures.row({"runs", "job runs", sum_int(by_tool, "runs")});
  figures.row({"runs", "failed runs", sum_int(by_tool, "failed")});
  figures.row({"audit", "audit entries in period", c.repo.audit_count(c.period)});
  summary_domain_rows(c, figures, doc);
  add_section(doc, figures);

  Section tools("runs_by_tool", "Runs per tool");
  tools.columns({{"tool", "Tool"}, {"runs", "Runs", "int"}, {"ok", "Succeeded", "int"}, {"findings", "Findings", "int"},
                 {"failed", "Failed", "int"}, {"running", "Running", "int"}, {"last_started", "Last started", "time"}})
      .rows(by_tool)
      .sort_rows({{0, false}})
      .chart("bar", "tool", {"runs"})
      .empty_note("No runs in this period.");
  add_section(doc, tools);
  if (by_tool.empty() && verdict.rows == 0 && doc["notes"].empty())
    no_data(doc, "Nothing recorded for this tenant yet: run the tools, then report again.");
}

}  // namespace opskit::report::detail

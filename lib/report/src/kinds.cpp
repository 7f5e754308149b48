#include "report/kinds.hpp"

#include <map>

#include "core/error.hpp"
#include "core/runtime.hpp"
#include "kinds_internal.hpp"
#include "report/document.hpp"

namespace opskit::report {

const std::vector<KindInfo>& kinds() {
  static const std::vector<KindInfo> all = {
      {"audit", "", "the audit trail with the result of the chain verification"},
      {"kyc", "CUSTOMER", "the evidence pack for one customer or counterparty"},
      {"leads", "", "pipeline by score band, model metrics, drift, top movers"},
      {"lineage", "", "where each table's rows came from, and data quality per table"},
      {"posture", "", "endpoint grades, open issues by severity and control, incidents"},
      {"runs", "", "the job-run ledger: failures, durations, rows handled, per tool"},
      {"screening", "", "lists in force, decisions over time, open reviews, top programmes"},
      {"simulation", "RUN", "the waterfall and paths of a stored what-if run"},
      {"summary", "", "one page across all of them"},
      {"threats", "", "alerts by type and severity, top talkers and domains, new devices"},
  };
  return all;
}

const KindInfo* find_kind(const std::string& name) {
  for (const auto& k : kinds())
    if (k.name == name) return &k;
  return nullptr;
}

std::string kinds_list() {
  std::string out;
  for (const auto& k : kinds()) out += (out.empty() ? "" : ", ") + k.name + (k.subject.empty() ? "" : " " + k.subject);
  return out;
}

std::string normalise_time(const std::string& value, const std::string& flag) {
  int64_t t = 0;
  if (!parse_iso8601(value, t))
    throw UsageError(flag + " '" + value + "' is not an ISO-8601 date or time (e.g. 2026-11-01 or 2026-11-01T00:00:00Z)");
  return format_iso8601(t);
}

namespace detail {

void no_data(nlohmann::json& doc, const std::string& note) {
  doc["status"] = "no_data";
  add_note(doc, note);
}

double seconds_between(const std::string& from, const std::string& to) {
  int64_t a = 0, b = 0;
  if (from.empty() || to.empty() || !parse_iso8601(from, a) || !parse_iso8601(to, b)) return -1;
  return static_cast<double>(b - a);
}

}  // namespace detail

nlohmann::json build_report(store::Session& session, const Request& request) {
  const KindInfo* kind = find_kind(request.kind);
  if (!kind) throw UsageError("unknown report kind '" + request.kind + "'; known kinds: " + kinds_list());
  if (!kind->subject.empty() && request.subject.empty())
    throw UsageError("report " + kind->name + " needs a " + kind->subject + " argument");
  if (kind->subject.empty() && !request.subject.empty())
    throw UsageError("report " + kind->name + " takes no argument (got '" + request.subject + "')");
  Repository repo(session);
  detail::BuildContext c{repo, request, {request.since, request.until.empty() ? request.now : request.until}};
  if (!c.period.since.empty() && c.period.since > c.period.until)
    throw UsageError("--since " + c.period.since + " is after --until " + c.period.until);

  static const std::map<std::string, std::pair<std::string, void (*)(detail::BuildContext&, nlohmann::json&)>> builders = {
      {"audit", {"Audit trail", detail::build_audit}},
      {"kyc", {"KYC evidence pack", detail::build_kyc}},
      {"leads", {"Lead pipeline", detail::build_leads}},
      {"lineage", {"Data lineage and quality", detail::build_lineage}},
      {"posture", {"Security posture", detail::build_posture}},
      {"runs", {"Job runs", detail::build_runs}},
      {"screening", {"Sanctions screening", detail::build_screening}},
      {"simulation", {"What-if simulation", detail::build_simulation}},
      {"summary", {"Operations summary", detail::build_summary}},
      {"threats", {"Network threats", detail::build_threats}},
  };
  const auto& b = builders.at(kind->name);
  nlohmann::json doc = new_document(kind->name, b.first, session.tenant(), request.subject, request.now,
                                    c.period.since, c.period.until);
  b.second(c, doc);
  return doc;
}

}  // namespace opskit::report

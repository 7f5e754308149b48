#pragma once
// One builder per kind; each fills `doc` (made by build_report) from the repository.
#include <nlohmann/json.hpp>

#include "report/kinds.hpp"
#include "report/repository.hpp"

namespace opskit::report::detail {

struct BuildContext {
  Repository& repo;
  const Request& request;
  Period period;
};

void build_runs(BuildContext& c, nlohmann::json& doc);
void build_audit(BuildContext& c, nlohmann::json& doc);
void build_summary(BuildContext& c, nlohmann::json& doc);
void build_screening(BuildContext& c, nlohmann::json& doc);
void build_kyc(BuildContext& c, nlohmann::json& doc);
void build_leads(BuildContext& c, nlohmann::json& doc);
void build_threats(BuildContext& c, nlohmann::json& doc);
void build_posture(BuildContext& c, nlohmann::json& doc);
void build_simulation(BuildContext& c, nlohmann::json& doc);
void build_lineage(BuildContext& c, nlohmann::json& doc);

// Marks the document as having no data yet, with the reason as a note.
void no_data(nlohmann::json& doc, const std::string& note);
// Seconds between two ISO-8601 timestamps, or -1 when either does not parse.
double seconds_between(const std::string& from, const std::string& to);

}  // namespace opskit::report::detail

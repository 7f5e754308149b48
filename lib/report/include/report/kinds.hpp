#pragma once
// The report kinds and the one entry point that builds a document for one
// tenant. A kind whose tables hold nothing yet (or whose tool is not part of
// this build) gives a document with status "no_data" and a note saying so:
// an empty database is not an error.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.hpp"

namespace opskit::report {

struct KindInfo {
  std::string name;
  std::string subject;  // "" or the name of the required argument ("CUSTOMER", "RUN")
  std::string help;
};
const std::vector<KindInfo>& kinds();
const KindInfo* find_kind(const std::string& name);
// "audit, kyc CUSTOMER, leads, ..." for error messages.
std::string kinds_list();

struct Request {
  std::string kind;
  std::string subject;   // customer id for kyc, run id for simulation
  std::string since;     // ISO-8601 UTC, "" = from the start
  std::string until;     // ISO-8601 UTC, "" = now
  std::string now;       // ISO-8601 UTC; the report's generated_at
  int limit = 50;        // rows in detail tables
};

// Normalises a --since/--until value ("2026-11-01", "2026-11-01T00:00:00Z",
// with offset) to "YYYY-MM-DDTHH:MM:SSZ"; throws UsageError naming the flag.
std::string normalise_time(const std::string& value, const std::string& flag);

// Builds the document. Throws UsageError for an unknown kind (listing the
// known ones) or a missing subject, DataError for a subject that does not
// exist (a kyc customer or simulation run never seen).
nlohmann::json build_report(store::Session& session, const Request& request);

}  // namespace opskit::report

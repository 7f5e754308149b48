#pragma once
// A tenant database filled by running the built tools on the project's
// examples, as a user would: screen, score-leads, capture, scan-endpoint and
// simulate, each step at its own fixed --now (and --seed), from a work
// directory so the arguments the job-run ledger records are relative paths.
#include <string>
#include <utility>
#include <vector>

namespace report_test {

struct ToolsDatabase {
  std::string path;   // the SQLite file ("" when it could not be built)
  std::string error;  // why not: a tool missing from this build, or a step that failed
  // The local nginx's ports as used, and the fixed ones the goldens show
  // (the same unless those were taken): see normalise_ports().
  std::vector<std::pair<std::string, std::string>> ports;
};

// Built once per process under the build tree (tests/report/tools/tools.db,
// kept for inspection) for tenant "acme"; later calls return the same file.
const ToolsDatabase& tools_database();
// `text` with the nginx ports as the goldens show them.
std::string normalise_ports(std::string text);

// The subjects the goldens use: a counterparty screen matched, and the
// first stored simulation run.
inline constexpr const char* kToolsCustomer = "tx-1002";
inline constexpr const char* kToolsRun = "1";

}  // namespace report_test

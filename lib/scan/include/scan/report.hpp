#pragma once
// Scan results on stdout in the chosen format:
//   text  - one block per endpoint for people;
//   json  - one JSON object per endpoint per line (the contract scripts use);
//   csv   - one row per finding (endpoint, grade, rule, severity, controls);
//   sarif - SARIF 2.1.0, one result per finding, for code-scanning dashboards;
//   junit - JUnit XML, one test case per endpoint, failed when it has
//           findings at or above --fail-on or a grade under --min-grade.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scan/findings.hpp"
#include "scan/scanner.hpp"

namespace opskit::scan {

enum class ReportFormat { text, json, csv, sarif, junit };
ReportFormat parse_report_format(const std::string& s);  // throws UsageError

struct Gate {
  std::optional<Severity> fail_on;  // findings at or above fail
  std::string min_grade;            // grades below fail
  std::string profile;              // soc2|hipaa|gdpr|pci or empty
};

// Why an endpoint fails the gate (empty when it passes).
std::vector<std::string> gate_failures(const EndpointResult& r, const Gate& gate);

nlohmann::json result_json(const EndpointResult& r, const Gate& gate);

// Applies the profile filter to every result's findings.
void apply_profile(std::vector<EndpointResult>& results, const std::string& profile);

void write_report(std::ostream& out, ReportFormat format, const std::vector<EndpointResult>& results, const Gate& gate,
                  const std::string& tool_version);

// Escapes text for XML attributes and content.
std::string xml_escape(std::string_view s);

}  // namespace opskit::scan

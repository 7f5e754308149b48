#pragma once
// Findings: what a scan reports beyond the grade. Every finding has a stable
// rule id (the Observatory result code for header tests, "scan.*" ids for our
// own checks), a severity, short redacted evidence, and the compliance
// controls it bears on (SOC 2, HIPAA, GDPR, PCI DSS 4.0). --profile filters
// findings to one framework.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scan/http.hpp"
#include "scan/observatory.hpp"

namespace opskit::scan {

enum class Severity { info = 0, low = 1, medium = 2, high = 3, critical = 4 };
const char* severity_name(Severity s);
// "info|low|medium|high|critical"; nullopt when unknown.
std::optional<Severity> parse_severity(std::string_view s);

struct Finding {
  std::string rule;      // "csp-not-implemented", "scan.exposure.git"
  Severity severity = Severity::info;
  std::string title;
  std::string evidence;  // short, secrets redacted
  std::vector<std::string> controls;  // "SOC2 CC6.1", "PCI DSS 4.0 6.4", ...
};

// The controls a rule bears on (from the rule's family).
std::vector<std::string> controls_for(std::string_view rule);

// Compliance profiles: soc2, hipaa, gdpr, pci. Throws UsageError when unknown.
std::string normalise_profile(std::string_view profile);
bool in_profile(const Finding& f, std::string_view profile);
// The profile's controls, for the summary.
std::vector<std::string> profile_controls(std::string_view profile);

// One finding per Observatory test with a negative modifier.
std::vector<Finding> observatory_findings(const ObservatoryResult& r);

// Findings the Observatory does not have, from the final response: wildcard
// CORS with credentials, banner version disclosure (Server, X-Powered-By,
// X-AspNet-Version), missing Permissions-Policy, COOP/COEP.
std::vector<Finding> header_findings(const Response& page, bool https);

// Redacts evidence: long tokens that look like secrets become "<redacted>",
// values after key=, password=, token=, secret= are hidden, length capped.
std::string redact(std::string_view text, size_t max_len = 160);

// Sorts by severity (worst first), then rule.
void sort_findings(std::vector<Finding>& f);

}  // namespace opskit::scan

#pragma once
// Content-Security-Policy parsing as the Mozilla Observatory does it:
// several policies (several headers, comma-separated lists, <meta>) are
// intersected per directive; directives are case-insensitive, sources are
// lower-cased; a source list with no sources means 'none'; a directive
// repeated inside one policy makes the policy invalid, except report-uri and
// report-to (kept once, reported as a duplicate warning); a policy shorter
// than "img-src" is invalid.
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace opskit::scan {

using CspPolicy = std::map<std::string, std::set<std::string>>;

struct CspError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CspParse {
  CspPolicy policy;
  std::set<std::string> duplicate_warnings;  // report-uri / report-to repeated
};

// Throws CspError when any policy is invalid.
CspParse parse_csp(const std::vector<std::string>& policies);
// As parse_csp, minus the directives a <meta> element may not carry
// (frame-ancestors, report-uri, sandbox).
CspParse parse_csp_meta(const std::vector<std::string>& policies);
// Header values split into single policies on ',' (CSP3: commas separate policies).
std::vector<std::string> split_csp_policies(const std::vector<std::string>& header_values);

}  // namespace opskit::scan

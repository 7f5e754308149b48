#include "scan/csp.hpp"

#include <algorithm>
#include <cctype>

#include "core/text.hpp"

namespace opskit::scan {
namespace {

struct Source {
  std::string source;
  size_t index;
  bool keep;
};

std::vector<std::string> split_ws(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// Whether source B is covered by source A path-wise (a trailing '/' on A
// matches any deeper path, otherwise the paths must be equal).
bool path_part_match(const std::string& a, const std::string& b) {
  if (a.empty()) return true;
  if (a == "/" && b.empty()) return true;
  bool exact = a.back() != '/';
  auto pa = text::split(a, '/');
  auto pb = text::split(b, '/');
  if (pa.size() > pb.size()) return false;
  if (exact && pa.size() != pb.size()) return false;
  if (!exact) pa.pop_back();
  for (size_t i = 0; i < pa.size(); ++i)
    if (pa[i] != pb[i]) return false;
  return true;
}

}  // namespace

std::vector<std::string> split_csp_policies(const std::vector<std::string>& header_values) {
  std::vector<std::string> out;
  for (const auto& v : header_values)
    for (const auto& p : text::split(v, ',')) out.emplace_back(text::trim(p));
  return out;
}

CspParse parse_csp(const std::vector<std::string>& raw_policies) {
  CspParse result;
  std::vector<std::string> policies;
  for (const auto& p : raw_policies) {
    std::string clean;
    for (char c : p)
      if (c != '\r' && c != '\n') clean += c;
    policies.emplace_back(text::trim(clean));
  }
  if (policies.empty()) return result;
  for (const auto& p : policies)
    if (p.size() < 6) throw CspError("policy too short to hold a directive: '" + p + "'");

  std::map<std::string, std::vector<Source>> csp;
  for (size_t index = 0; index < policies.size(); ++index) {
    std::set<std::string> seen;
    for (const auto& entry : text::split(policies[index], ';')) {
      auto tokens = split_ws(entry);
      if (tokens.empty()) continue;
      std::string directive = text::lower(tokens[0]);
      if (seen.count(directive)) {
        if (directive == "report-uri" || directive == "report-to") result.duplicate_warnings.insert(directive);
        else throw CspError("directive '" + directive + "' repeated in policy " + std::to_string(index + 1));
      } else {
        seen.insert(directive);
      }
      bool keep = index == 0;
      std::vector<Source> values;
      for (size_t i = 1; i < tokens.size(); ++i) values.push_back({text::lower(tokens[i]), index, keep});
      if (values.empty() && directive.size() > 4 && directive.ends_with("-src")) values.push_back({"'none'", index, keep});
      std::vector<Source> combined = values;
      if (index > 0) {
        combined = csp[directive];
        combined.insert(combined.end(), values.begin(), values.end());
      }
      std::stable_sort(combined.begin(), combined.end(),
                       [](const Source& a, const Source& b) { return a.source < b.source; });
      for (size_t i = 1; i < combined.size(); ++i) {
        Source& s = combined[i];
        const Source& prev = combined[i - 1];
        // Within one policy a longer source under a shorter one is superfluous.
        if (s.index == prev.index && s.source.starts_with(prev.source)) s.keep = false;
        // Across policies a source counts only when both allow it.
        if (s.index != prev.index && path_part_match(prev.source, s.source)) s.keep = true;
      }
      std::vector<Source> kept;
      for (auto& s : combined)
        if (s.keep) kept.push_back(s);
      csp[directive] = std::move(kept);
      if (index == 0 && policies.size() > 1)
        for (auto& s : csp[directive]) s.keep = false;
    }
  }
  for (auto& [directive, sources] : csp) {
    std::set<std::string> set;
    for (auto& s : sources) set.insert(s.source);
    if (set.empty()) set.insert("'none'");
    result.policy[directive] = std::move(set);
  }
  return result;
}

CspParse parse_csp_meta(const std::vector<std::string>& policies) {
  CspParse r = parse_csp(policies);
  for (const char* d : {"frame-ancestors", "report-uri", "sandbox"}) r.policy.erase(d);
  return r;
}

}  // namespace opskit::scan

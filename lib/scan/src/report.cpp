#include "scan/report.hpp"

#include <iomanip>
#include <map>
#include <set>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/text.hpp"

namespace opskit::scan {

ReportFormat parse_report_format(const std::string& s) {
  if (s == "text") return ReportFormat::text;
  if (s == "json") return ReportFormat::json;
  if (s == "csv") return ReportFormat::csv;
  if (s == "sarif") return ReportFormat::sarif;
  if (s == "junit") return ReportFormat::junit;
  throw UsageError("unknown --format '" + s + "' (expected text, json, csv, sarif or junit)");
}

std::vector<std::string> gate_failures(const EndpointResult& r, const Gate& gate) {
  std::vector<std::string> why;
  if (r.status != "ok") why.push_back(r.status + ": " + r.error);
  if (gate.fail_on)
    for (const auto& f : r.findings)
      if (f.severity >= *gate.fail_on) why.push_back(std::string(severity_name(f.severity)) + " " + f.rule);
  std::string min = !r.expect_grade.empty() ? r.expect_grade : gate.min_grade;
  if (!min.empty() && r.status == "ok" && grade_rank(r.grade) < grade_rank(min))
    why.push_back("grade " + r.grade + " below " + min);
  return why;
}

void apply_profile(std::vector<EndpointResult>& results, const std::string& profile) {
  if (profile.empty()) return;
  for (auto& r : results) {
    std::vector<Finding> kept;
    for (auto& f : r.findings)
      if (in_profile(f, profile)) kept.push_back(f);
    r.findings = std::move(kept);
  }
}

nlohmann::json result_json(const EndpointResult& r, const Gate& gate) {
  nlohmann::json j = {{"target", r.target}, {"status", r.status}, {"host", r.host}, {"port", r.port}};
  if (!r.error.empty()) j["error"] = r.error;
  if (!r.where.file.empty() && r.status == "invalid") j["where"] = r.where.str();
  if (r.status == "ok") {
    j["grade"] = r.grade;
    j["score"] = r.score;
    j["final_url"] = r.final_url;
    j["http_status"] = r.http_status;
    if (r.redirect_chain.size() > 1) j["redirect_chain"] = r.redirect_chain;
  }
  if (r.observatory) {
    nlohmann::json tests = nlohmann::json::object();
    for (const auto& t : r.observatory->tests)
      tests[t.test] = {{"result", t.result}, {"modifier", t.modifier}, {"pass", t.pass}};
    j["observatory"] = {{"grade", r.observatory->grade}, {"score", r.observatory->score}, {"tests", tests}};
  }
  if (r.tls) {
    const auto& t = *r.tls;
    j["tls"] = {{"reachable", t.reachable}, {"grade", t.grade},       {"version", t.version},
                {"cipher", t.cipher},       {"offered", t.offered},   {"forward_secrecy", t.forward_secrecy},
                {"aead", t.aead},           {"chain_valid", t.chain_valid}, {"hostname_match", t.hostname_match},
                {"expired", t.expired},     {"days_to_expiry", t.days_to_expiry}, {"not_after", t.not_after},
                {"key", t.key_type + " " + std::to_string(t.key_bits)}, {"signature", t.signature_algorithm},
                {"caps", t.caps}};
    if (!t.error.empty()) j["tls"]["error"] = t.error;
    if (t.dh_bits) j["tls"]["dh_bits"] = t.dh_bits;
    nlohmann::json not_probed = nlohmann::json::array();  // what this client's OpenSSL cannot test
    for (const auto& [what, probed] : t.probed)
      if (!probed) not_probed.push_back(what);
    if (!not_probed.empty()) j["tls"]["not_probed"] = not_probed;
  }
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : r.findings)
    findings.push_back({{"rule", f.rule}, {"severity", severity_name(f.severity)}, {"title", f.title},
                        {"evidence", f.evidence}, {"controls", f.controls}});
  j["findings"] = findings;
  auto why = gate_failures(r, gate);
  j["gate"] = why.empty() ? "pass" : "fail";
  j["elapsed_ms"] = static_cast<int64_t>(r.elapsed_ms);
  return j;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t') out += ' ';
        else out += static_cast<char>(c);
    }
  }
  return out;
}

namespace {

std::string join_controls_text(const std::vector<std::string>& c) {
  std::string out;
  for (const auto& x : c) out += (out.empty() ? "" : "; ") + x;
  return out;
}

void write_text(std::ostream& out, const std::vector<EndpointResult>& results, const Gate& gate) {
  for (const auto& r : results) {
    out << r.target << "\n";
    if (r.status != "ok") {
      out << "  status: " << r.status << " (" << r.error << ")\n";
    } else {
      out << "  grade: " << r.grade << "  score: " << r.score;
      if (r.tls && !r.tls->grade.empty()) out << "  tls: " << r.tls->grade << " " << r.tls->version;
      out << "  http: " << r.http_status << "\n";
      if (r.redirect_chain.size() > 1) {
        out << "  redirects:";
        for (const auto& u : r.redirect_chain) out << " " << u;
        out << "\n";
      }
    }
    for (const auto& f : r.findings)
      out << "  " << std::left << std::setw(8) << severity_name(f.severity) << " " << f.rule
          << (f.evidence.empty() ? "" : "  [" + f.evidence + "]") << "\n";
    auto why = gate_failures(r, gate);
    if (!why.empty() && (gate.fail_on || !gate.min_grade.empty() || !r.expect_grade.empty()))
      out << "  gate: FAIL (" << why.size() << " reason" << (why.size() == 1 ? "" : "s") << ")\n";
  }
  if (!gate.profile.empty()) {
    std::map<std::string, int> per_control;
    for (const auto& c : profile_controls(gate.profile)) per_control[c] = 0;
    for (const auto& r : results)
      for (const auto& f : r.findings)
        for (const auto& c : f.controls)
          if (per_control.count(c)) ++per_control[c];
    out << "profile " << gate.profile << ":\n";
    for (const auto& [c, n] : per_control) out << "  " << std::left << std::setw(28) << c << " " << n << " finding" << (n == 1 ? "" : "s") << "\n";
  }
}

void write_sarif(std::ostream& out, const std::vector<EndpointResult>& results, const std::string& version) {
  std::map<std::string, nlohmann::json> rules;
  nlohmann::json sarif_results = nlohmann::json::array();
  auto level = [](Severity s) { return s >= Severity::high ? "error" : s >= Severity::medium ? "warning" : "note"; };
  for (const auto& r : results) {
    std::vector<Finding> fs = r.findings;
    if (r.status != "ok" && fs.empty()) fs.push_back({"scan.error." + r.status, Severity::medium, r.error, "", {}});
    for (const auto& f : fs) {
      if (!rules.count(f.rule))
        rules[f.rule] = {{"id", f.rule}, {"shortDescription", {{"text", f.title}}},
                         {"properties", {{"tags", f.controls}, {"security-severity", std::to_string(static_cast<int>(f.severity) * 2 + 1) + ".0"}}}};
      sarif_results.push_back(
          {{"ruleId", f.rule},
           {"level", level(f.severity)},
           {"message", {{"text", f.title + (f.evidence.empty() ? "" : ": " + f.evidence)}}},
           {"locations", nlohmann::json::array({{{"physicalLocation", {{"artifactLocation", {{"uri", r.target}}}}}}})},
           {"properties", {{"severity", severity_name(f.severity)}, {"controls", f.controls}, {"grade", r.grade}}}});
    }
  }
  nlohmann::json rule_list = nlohmann::json::array();
  for (auto& [id, rule] : rules) rule_list.push_back(rule);
  nlohmann::json doc = {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs", nlohmann::json::array({{{"tool", {{"driver", {{"name", "scan-endpoint"}, {"version", version}, {"rules", rule_list}}}}},
                                       {"results", sarif_results}}})}};
  out << doc.dump(2) << "\n";
}

void write_junit(std::ostream& out, const std::vector<EndpointResult>& results, const Gate& gate) {
  size_t failures = 0, errors = 0;
  for (const auto& r : results) {
    if (r.status != "ok") ++errors;
    else if (!gate_failures(r, gate).empty()) ++failures;
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"scan-endpoint\" tests=\"" << results.size() << "\" failures=\"" << failures << "\" errors=\""
      << errors << "\">\n";
  out << "  <testsuite name=\"scan-endpoint\" tests=\"" << results.size() << "\" failures=\"" << failures << "\" errors=\""
      << errors << "\">\n";
  for (const auto& r : results) {
    out << "    <testcase classname=\"scan-endpoint\" name=\"" << xml_escape(r.target) << "\" time=\"" << std::fixed
        << std::setprecision(3) << r.elapsed_ms / 1000.0 << "\">\n";
    auto why = gate_failures(r, gate);
    if (r.status != "ok") {
      out << "      <error message=\"" << xml_escape(r.status + ": " + r.error) << "\"/>\n";
    } else if (!why.empty()) {
      std::string body;
      for (const auto& w : why) body += w + "\n";
      out << "      <failure message=\"" << xml_escape(why.front()) << "\">" << xml_escape(body) << "</failure>\n";
    }
    std::string sys = "grade " + r.grade + "\n";
    for (const auto& f : r.findings) sys += std::string(severity_name(f.severity)) + " " + f.rule + "\n";
    out << "      <system-out>" << xml_escape(sys) << "</system-out>\n";
    out << "    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
}

}  // namespace

void write_report(std::ostream& out, ReportFormat format, const std::vector<EndpointResult>& results, const Gate& gate,
                  const std::string& version) {
  switch (format) {
    case ReportFormat::text: write_text(out, results, gate); break;
    case ReportFormat::json:
      for (const auto& r : results) out << result_json(r, gate).dump() << "\n";
      break;
    case ReportFormat::csv:
      out << "target,status,grade,score,rule,severity,title,evidence,controls\n";
      for (const auto& r : results) {
        std::string head = csv::escape(r.target) + "," + r.status + "," + r.grade + "," + std::to_string(r.score) + ",";
        if (r.findings.empty()) out << head << ",,,,\n";
        for (const auto& f : r.findings)
          out << head << csv::escape(f.rule) << "," << severity_name(f.severity) << "," << csv::escape(f.title) << ","
              << csv::escape(f.evidence) << "," << csv::escape(join_controls_text(f.controls)) << "\n";
      }
      break;
    case ReportFormat::sarif: write_sarif(out, results, version); break;
    case ReportFormat::junit: write_junit(out, results, gate); break;
  }
}

}  // namespace opskit::scan

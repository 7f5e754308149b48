#include "scan/findings.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "core/text.hpp"

namespace opskit::scan {

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::info: return "info";
    case Severity::low: return "low";
    case Severity::medium: return "medium";
    case Severity::high: return "high";
    case Severity::critical: return "critical";
  }
  return "info";
}

std::optional<Severity> parse_severity(std::string_view s) {
  std::string v = text::lower(text::trim(s));
  for (int i = 0; i <= 4; ++i)
    if (v == severity_name(static_cast<Severity>(i))) return static_cast<Severity>(i);
  return std::nullopt;
}

namespace {

// Control sets by family.
const std::vector<std::string> kTransport = {"SOC2 CC6.7", "HIPAA 164.312(e)(1)", "HIPAA 164.312(e)(2)(ii)",
                                             "GDPR Art. 32", "PCI DSS 4.0 4.2.1"};
const std::vector<std::string> kContent = {"SOC2 CC6.6", "SOC2 CC7.1", "GDPR Art. 32", "PCI DSS 4.0 6.4",
                                           "PCI DSS 4.0 11.6.1"};
const std::vector<std::string> kSession = {"SOC2 CC6.1", "HIPAA 164.312(a)(2)(iv)", "HIPAA 164.312(e)(1)",
                                           "GDPR Art. 32", "PCI DSS 4.0 6.4"};
const std::vector<std::string> kConfig = {"SOC2 CC6.1", "SOC2 CC6.6", "HIPAA 164.312(a)(2)(iv)", "GDPR Art. 32",
                                          "PCI DSS 4.0 2.2"};
const std::vector<std::string> kChange = {"SOC2 CC7.1", "PCI DSS 4.0 11.6.1", "PCI DSS 4.0 6.4"};
const std::vector<std::string> kAvailability = {"SOC2 CC7.1"};

}  // namespace

std::vector<std::string> controls_for(std::string_view rule) {
  auto has = [&](std::string_view p) { return rule.starts_with(p); };
  if (has("hsts-") || has("redirection-") || has("scan.tls.") || has("csp-implemented-with-insecure-scheme"))
    return kTransport;
  if (has("csp-") || has("sri-") || has("x-frame-options") || has("x-content-type-options") || has("corp-") ||
      has("referrer-policy") || has("scan.header.permissions-policy") || has("scan.header.coop") ||
      has("scan.header.coep"))
    return kContent;
  if (has("cookies-") || has("cross-origin-resource-sharing") || has("scan.cors.")) return kSession;
  if (has("scan.baseline.")) return kChange;
  if (has("scan.redirect.") || has("scan.error.")) return kAvailability;
  return kConfig;  // exposure, banners, host hardening
}

std::string normalise_profile(std::string_view profile) {
  std::string p = text::lower(text::trim(profile));
  if (p == "soc2" || p == "hipaa" || p == "gdpr" || p == "pci") return p;
  throw UsageError("unknown --profile '" + std::string(profile) + "' (expected soc2, hipaa, gdpr or pci)");
}

namespace {
std::string_view profile_prefix(std::string_view profile) {
  if (profile == "soc2") return "SOC2 ";
  if (profile == "hipaa") return "HIPAA ";
  if (profile == "gdpr") return "GDPR ";
  return "PCI DSS";
}
}  // namespace

bool in_profile(const Finding& f, std::string_view profile) {
  if (profile.empty()) return true;
  auto prefix = profile_prefix(profile);
  return std::any_of(f.controls.begin(), f.controls.end(), [&](const std::string& c) { return c.starts_with(prefix); });
}

std::vector<std::string> profile_controls(std::string_view profile) {
  std::vector<std::string> all;
  for (const auto* set : {&kTransport, &kContent, &kSession, &kConfig, &kChange, &kAvailability})
    for (const auto& c : *set)
      if (c.starts_with(profile_prefix(profile)) && std::find(all.begin(), all.end(), c) == all.end()) all.push_back(c);
  std::sort(all.begin(), all.end());
  return all;
}

std::vector<Finding> observatory_findings(const ObservatoryResult& r) {
  std::vector<Finding> out;
  for (const auto& t : r.tests) {
    if (t.modifier >= 0) continue;
    Finding f;
    f.rule = t.result;
    f.severity = t.modifier <= -40 ? Severity::high : t.modifier <= -20 ? Severity::medium : Severity::low;
    f.title = t.test + ": " + t.result + " (" + std::to_string(t.modifier) + ")";
    f.evidence = redact(t.data);
    f.controls = controls_for(f.rule);
    out.push_back(std::move(f));
  }
  return out;
}

namespace {
bool has_version(std::string_view v) {
  for (size_t i = 0; i + 1 < v.size(); ++i)
    if ((v[i] == '/' || v[i] == ' ' || v[i] == 'v') && std::isdigit(static_cast<unsigned char>(v[i + 1]))) return true;
  return false;
}
Finding make(std::string rule, Severity s, std::string title, std::string evidence) {
  Finding f{std::move(rule), s, std::move(title), redact(evidence), {}};
  f.controls = controls_for(f.rule);
  return f;
}
}  // namespace

std::vector<Finding> header_findings(const Response& page, bool https) {
  std::vector<Finding> out;
  const auto& h = page.headers;
  auto acao = h.get("access-control-allow-origin");
  auto acac = h.get("access-control-allow-credentials");
  if (acao && acac && text::lower(text::trim(*acac)) == "true" && (text::trim(*acao) == "*" || text::trim(*acao) == "null"))
    out.push_back(make("scan.cors.wildcard-with-credentials", Severity::high,
                       "Access-Control-Allow-Origin is a wildcard while credentials are allowed",
                       "Access-Control-Allow-Origin: " + *acao + "; Access-Control-Allow-Credentials: " + *acac));
  for (const char* name : {"server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version"}) {
    auto v = h.get(name);
    if (v && has_version(*v))
      out.push_back(make(std::string("scan.banner.") + name, Severity::low,
                         std::string("Software version disclosed in ") + name, std::string(name) + ": " + *v));
  }
  std::string mime = mime_type(page);
  bool html = mime.empty() || mime == "text/html" || mime == "application/xhtml+xml";
  if (html && page.status >= 200 && page.status < 300) {
    if (!h.has("permissions-policy"))
      out.push_back(make("scan.header.permissions-policy-missing", Severity::info,
                         "No Permissions-Policy header (browser features are not restricted)", ""));
    if (https && !h.has("cross-origin-opener-policy"))
      out.push_back(make("scan.header.coop-missing", Severity::info, "No Cross-Origin-Opener-Policy header", ""));
    if (auto coep = h.get("cross-origin-embedder-policy");
        coep && text::lower(text::trim(*coep)) != "require-corp" && text::lower(text::trim(*coep)) != "credentialless" &&
        text::lower(text::trim(*coep)) != "unsafe-none")
      out.push_back(make("scan.header.coep-invalid", Severity::low, "Cross-Origin-Embedder-Policy not recognised", *coep));
  }
  return out;
}

std::string redact(std::string_view in, size_t max_len) {
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    // secrets after well-known keys
    bool replaced = false;
    for (std::string_view key : {"password=", "passwd=", "secret=", "token=", "key=", "pwd=", "PASSWORD=", "SECRET=",
                                 "TOKEN=", "KEY=", "authorization: "}) {
      if (in.substr(i).starts_with(key)) {
        out += key;
        i += key.size();
        size_t j = i;
        while (j < in.size() && !std::isspace(static_cast<unsigned char>(in[j])) && in[j] != '&' && in[j] != ';' &&
               in[j] != '"' && in[j] != '\'')
          ++j;
        if (j > i) out += "<redacted>";
        i = j;
        replaced = true;
        break;
      }
    }
    if (replaced) continue;
    // long opaque tokens (keys, hashes, JWTs)
    size_t j = i;
    while (j < in.size() && (std::isalnum(static_cast<unsigned char>(in[j])) || in[j] == '_' || in[j] == '-' ||
                             in[j] == '+' || in[j] == '/' || in[j] == '.'))
      ++j;
    if (j - i >= 32) {
      bool has_digit = false, has_alpha = false;
      for (size_t k = i; k < j; ++k) {
        has_digit |= std::isdigit(static_cast<unsigned char>(in[k])) != 0;
        has_alpha |= std::isalpha(static_cast<unsigned char>(in[k])) != 0;
      }
      if (has_digit && has_alpha && in.substr(i, j - i).find("://") == std::string_view::npos) {
        out += "<redacted>";
        i = j;
        continue;
      }
    }
    if (j > i) {
      std::string word = text::lower(in.substr(i, j - i));
      out.append(in.substr(i, j - i));
      i = j;
      bool secret_name = false;
      for (const char* k : {"pass", "secret", "token", "key", "pwd", "auth"})
        secret_name |= word.find(k) != std::string::npos;
      if (secret_name && i < in.size() && (in[i] == '=' || in[i] == ':')) {
        out += in[i++];
        while (i < in.size() && in[i] == ' ') out += in[i++];
        size_t v = i;
        while (v < in.size() && !std::isspace(static_cast<unsigned char>(in[v])) && in[v] != '&' && in[v] != ';' &&
               in[v] != '"' && in[v] != '\'' && in[v] != ',')
          ++v;
        if (v > i) out += "<redacted>";
        i = v;
      }
      continue;
    }
    unsigned char c = static_cast<unsigned char>(in[i]);
    out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
    ++i;
  }
  if (out.size() > max_len) {
    out.resize(max_len);
    // do not cut a UTF-8 sequence in half
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80)) out.pop_back();
    out += "...";
  }
  return out;
}

void sort_findings(std::vector<Finding>& f) {
  std::stable_sort(f.begin(), f.end(), [](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    return a.rule < b.rule;
  });
}

}  // namespace opskit::scan

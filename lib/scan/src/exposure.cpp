#include "scan/exposure.hpp"

#include <algorithm>
#include <cctype>

#include "core/text.hpp"

namespace opskit::scan {

const std::vector<ExposureCheck>& exposure_checks() {
  static const std::vector<ExposureCheck> checks = {
      {"git-head", "/.git/HEAD", Signature::git_head, Severity::high, "Git metadata exposed (/.git/HEAD)"},
      {"git-config", "/.git/config", Signature::git_config, Severity::high, "Git configuration exposed (/.git/config)"},
      {"svn", "/.svn/entries", Signature::svn, Severity::high, "Subversion metadata exposed"},
      {"env", "/.env", Signature::env, Severity::critical, "Environment file exposed (/.env)"},
      {"env-local", "/.env.local", Signature::env, Severity::critical, "Environment file exposed (/.env.local)"},
      {"env-production", "/.env.production", Signature::env, Severity::critical, "Environment file exposed (/.env.production)"},
      {"env-backup", "/.env.bak", Signature::env, Severity::critical, "Environment file backup exposed (/.env.bak)"},
      {"dump-sql", "/dump.sql", Signature::sql, Severity::critical, "SQL dump exposed (/dump.sql)"},
      {"backup-sql", "/backup.sql", Signature::sql, Severity::critical, "SQL dump exposed (/backup.sql)"},
      {"database-sql", "/database.sql", Signature::sql, Severity::critical, "SQL dump exposed (/database.sql)"},
      {"backup-zip", "/backup.zip", Signature::zip, Severity::high, "Backup archive exposed (/backup.zip)"},
      {"backup-targz", "/backup.tar.gz", Signature::gzip, Severity::high, "Backup archive exposed (/backup.tar.gz)"},
      {"listing-backup", "/backup/", Signature::listing, Severity::medium, "Directory listing (/backup/)"},
      {"listing-uploads", "/uploads/", Signature::listing, Severity::medium, "Directory listing (/uploads/)"},
      {"server-status", "/server-status", Signature::server_status, Severity::medium, "Server status page exposed"},
      {"nginx-status", "/nginx_status", Signature::server_status, Severity::medium, "Server status page exposed"},
      {"phpinfo", "/phpinfo.php", Signature::phpinfo, Severity::medium, "phpinfo() page exposed"},
      {"info-php", "/info.php", Signature::phpinfo, Severity::medium, "phpinfo() page exposed (/info.php)"},
  };
  return checks;
}

namespace {

bool contains_icase(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (text::iequals(hay.substr(i, needle.size()), needle)) return true;
  return false;
}

bool env_like(std::string_view body) {
  int assignments = 0, other = 0;
  for (const auto& raw : text::split(body.substr(0, 4096), '\n')) {
    std::string_view l = text::trim(raw);
    if (l.empty() || l[0] == '#') continue;
    if (l.starts_with("export ")) l.remove_prefix(7);
    size_t i = 0;
    while (i < l.size() && (std::isalnum(static_cast<unsigned char>(l[i])) || l[i] == '_')) ++i;
    if (i > 0 && i < l.size() && l[i] == '=' && !std::isdigit(static_cast<unsigned char>(l[0]))) ++assignments;
    else ++other;
  }
  return assignments >= 1 && assignments >= other;
}

bool matches(Signature s, std::string_view b) {
  switch (s) {
    case Signature::git_head: {
      std::string_view t = text::trim(b);
      if (t.starts_with("ref: refs/")) return true;
      if (t.size() == 40) {
        for (char c : t)
          if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
        return true;
      }
      return false;
    }
    case Signature::git_config: return b.find("[core]") != std::string_view::npos;
    case Signature::svn: return text::trim(b).starts_with("8") || text::trim(b).starts_with("10") || text::trim(b).starts_with("12");
    case Signature::env: return !contains_icase(b.substr(0, 512), "<html") && env_like(b);
    case Signature::sql:
      return contains_icase(b, "CREATE TABLE") || contains_icase(b, "INSERT INTO") || contains_icase(b, "-- MySQL dump") ||
             contains_icase(b, "PostgreSQL database dump");
    case Signature::zip: return b.starts_with(std::string_view("PK\x03\x04", 4));
    case Signature::gzip: return b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0x1f && static_cast<unsigned char>(b[1]) == 0x8b;
    case Signature::listing:
      return contains_icase(b, "<title>Index of /") || contains_icase(b, "Directory listing for");
    case Signature::server_status:
      return contains_icase(b, "Apache Server Status") || (b.find("Active connections:") != std::string_view::npos &&
                                                           b.find("server accepts handled requests") != std::string_view::npos);
    case Signature::phpinfo: return contains_icase(b, "phpinfo()") || contains_icase(b, "<title>PHP ");
    case Signature::any_text: return !b.empty();
  }
  return false;
}

// Same page as the soft-404 answer: same status class and near-equal body.
bool like_soft404(const Response& probe, const Response& soft) {
  if (probe.body == soft.body) return true;
  size_t a = probe.body.size(), b = soft.body.size();
  if (a == 0 || b == 0) return false;
  size_t prefix = std::min<size_t>({a, b, 256});
  bool same_start = probe.body.compare(0, prefix, soft.body, 0, prefix) == 0;
  double ratio = static_cast<double>(std::min(a, b)) / static_cast<double>(std::max(a, b));
  return same_start && ratio > 0.9;
}

}  // namespace

bool exposure_confirmed(const ExposureCheck& check, const Response& probe, const std::optional<Response>& soft404) {
  if (!probe.error.empty() || probe.status < 200 || probe.status > 299) return false;
  if (soft404 && like_soft404(probe, *soft404)) return false;
  return matches(check.signature, probe.body);
}

Finding exposure_finding(const ExposureCheck& check, const Response& probe) {
  Finding f;
  f.rule = "scan.exposure." + check.id;
  f.severity = check.severity;
  f.title = check.title;
  std::string_view body = probe.body;
  std::string first(text::trim(body.substr(0, body.find('\n'))));
  bool binary = check.signature == Signature::zip || check.signature == Signature::gzip;
  f.evidence = check.path + " -> " + std::to_string(probe.status) + ", " +
               (binary ? std::to_string(probe.body.size()) + " bytes read (binary)" : "first line: " + redact(first, 80));
  f.controls = controls_for(f.rule);
  return f;
}

}  // namespace opskit::scan

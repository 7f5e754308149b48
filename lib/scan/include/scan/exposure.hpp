#pragma once
// Exposure of sensitive paths: version-control metadata, environment files,
// backups and SQL dumps, directory listings, server-status and phpinfo.
// A path counts as exposed only when it answers 2xx, its first kilobytes
// match the content signature of what it claims to be, and it does not look
// like the site's soft-404 page (the answer to a random path).
#include <optional>
#include <string>
#include <vector>

#include "scan/findings.hpp"
#include "scan/http.hpp"

namespace opskit::scan {

enum class Signature { git_head, git_config, env, sql, zip, gzip, listing, server_status, phpinfo, svn, any_text };

struct ExposureCheck {
  std::string id;      // "git-head" -> rule "scan.exposure.git-head"
  std::string path;    // "/.git/HEAD"
  Signature signature;
  Severity severity;
  std::string title;
};

const std::vector<ExposureCheck>& exposure_checks();

// Whether `probe` confirms the exposure, given the soft-404 baseline (the
// response to a random path, when it answered 2xx).
bool exposure_confirmed(const ExposureCheck& check, const Response& probe, const std::optional<Response>& soft404);

// The finding for a confirmed exposure, with redacted evidence (the first line).
Finding exposure_finding(const ExposureCheck& check, const Response& probe);

}  // namespace opskit::scan

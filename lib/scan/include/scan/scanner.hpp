#pragma once
// The endpoint scanner: many targets over one HttpTransport loop.
//   - global and per-host concurrency caps, a per-host request rate that
//     holds (requests to one host start at least 1/rate seconds apart),
//     connect/request timeouts and a whole-target deadline;
//   - one retry with jitter on transport errors, and back-off on 429/503
//     honouring Retry-After (capped);
//   - redirects followed by hand (up to max_redirects hops), loops detected
//     and reported; redirects to hosts outside the allow-list not followed;
//   - the http:// redirection probe, a CORS probe (Origin sent with the main
//     request), exposure checks confirmed by content and against a soft-404
//     baseline, reading at most a few kilobytes per response;
//   - TLS probing (tls.hpp) on worker threads while the HTTP loop runs.
// Every target ends with its own status; one bad target never stops the rest.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "scan/findings.hpp"
#include "scan/observatory.hpp"
#include "scan/tls.hpp"
#include "scan/transport.hpp"

namespace opskit::scan {

struct Target {
  std::string url;
  std::vector<std::string> headers;  // extra request headers ("Authorization: Bearer ...")
  std::vector<std::string> paths;    // extra paths whose exposure is checked
  std::string http_url;              // the http:// URL for the redirection test (default: http://host/ on port 443 targets)
  std::string expect_grade;          // per-target minimum grade
  SourceLocation where;              // where the target was defined
};

struct BadTarget {
  SourceLocation where;
  std::string reason;
};

struct TargetList {
  std::vector<Target> targets;
  std::vector<BadTarget> bad;  // reported as error results, the rest still scans
};

// A file of targets: one URL per line ('#' comments), or YAML: a sequence of
// URLs or of maps {url, headers: {Name: value}, paths: [...], http_url,
// expect_grade}, optionally under a top-level `targets:` key.
TargetList read_targets(const std::string& path);
// Command-line URLs.
TargetList targets_from_urls(const std::vector<std::string>& urls);

// Hosts a tenant allows to be scanned: exact names, "*.example.com"
// (subdomains only) or "*" (everything).
struct AllowList {
  std::vector<std::string> patterns;
  bool allows(const std::string& host) const;
};

struct ScanOptions {
  size_t concurrency = 64;        // requests in flight overall
  size_t per_host = 2;            // requests in flight per host:port (keep-alive reuse beats more handshakes)
  double per_host_rate = 0;       // requests per second per host:port, 0 = no limit
  long connect_timeout_ms = 5000;
  long request_timeout_ms = 10000;
  long target_timeout_ms = 60000;
  int retries = 1;
  int max_redirects = 10;
  int retry_after_cap_s = 30;
  bool tls = true;
  bool exposure = true;
  size_t tls_threads = 8;
  size_t body_limit = 16384;      // bytes read from the main page
  size_t probe_limit = 4096;      // bytes read from exposure probes
  TlsOptions tls_options;
  std::vector<std::string> resolve;  // "host:port:addr", as curl --resolve (also used by the TLS probe)
  std::string origin = "https://scan-endpoint.invalid";  // sent as Origin for the CORS test
  const HstsPreload* preload = nullptr;
  int64_t now_unix = 0;
  uint64_t seed = 42;             // jitter and soft-404 names
};

struct EndpointResult {
  std::string target;             // the URL as given
  std::string host;
  int port = 0;
  std::string status = "ok";      // ok | error | refused | invalid
  std::string error;              // why, when status != ok
  std::string final_url;
  int http_status = 0;
  std::vector<std::string> redirect_chain;
  std::optional<ObservatoryResult> observatory;
  std::optional<TlsReport> tls;
  std::string grade;              // Observatory grade capped by the TLS grade
  int score = 0;
  std::vector<Finding> findings;
  std::map<std::string, std::string> baseline_headers;  // security-relevant headers seen
  std::vector<std::string> scripts;                     // script src[#integrity] of the page
  double elapsed_ms = 0;
  std::string expect_grade;
  SourceLocation where;
};

std::vector<EndpointResult> scan_targets(const TargetList& targets, const AllowList& allow, const ScanOptions& options,
                                         HttpTransport& transport);

// Worse of two grades (Observatory letter and TLS cap letter; T and M rank as F).
std::string cap_grade(const std::string& observatory_grade, const std::string& tls_grade);

// Grades a recorded chain the same way a scan would (no TLS, no exposure).
EndpointResult grade_recorded(const std::vector<Response>& chain, const std::string& name, const HstsPreload* preload);

// Retry-After as seconds (delta-seconds or an HTTP-date relative to now); -1 when absent or unparsable.
long parse_retry_after(const std::string& value, int64_t now_unix);

}  // namespace opskit::scan

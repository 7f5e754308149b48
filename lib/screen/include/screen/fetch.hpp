#pragma once
// Downloads of the official lists over HTTPS (libcurl): conditional requests
// (the ETag and the server's Last-Modified remembered beside the cached file,
// sent back as If-None-Match / If-Modified-Since), retries with back-off on
// connection errors, truncated transfers, HTTP 5xx and 429, the proxy from
// the usual variables (https_proxy, no_proxy; libcurl reads them). Failures
// throw NetworkError (exit 5); a failed download never replaces the cached copy.
#include <string>
#include <vector>

namespace opskit::screen {

struct ListSource {
  std::string list;                // ofac_sdn, ofac_cons, un, uk, eu
  std::vector<std::string> urls;   // the first is the primary file
};

// The official download locations; each can be overridden by config
// screen.url.<list> (a comma-separated list of URLs for OFAC file sets).
std::vector<ListSource> default_sources();

struct FetchOptions {
  int timeout_seconds = 120;
  int attempts = 3;
  double retry_delay = 2;  // seconds before the second attempt, doubled before each further one
  std::string ca_file;     // CA bundle to trust instead of the system's (screen.ca_file)
};

struct FetchResult {
  std::string path;       // local path of the primary file
  bool modified = false;  // false when every file answered 304 Not Modified
};

// Fetches every URL of `source` into `cache_dir/<list>/`. Unchanged files
// (HTTP 304) keep the cached copy; a new file replaces it only when the
// transfer completed.
FetchResult fetch_list(const ListSource& source, const std::string& cache_dir, const FetchOptions& options = {});

}  // namespace opskit::screen

#pragma once
// Downloads of the official lists over HTTPS (libcurl): conditional requests
// (ETag / Last-Modified remembered beside the cached file), three attempts
// with back-off, the proxy from the usual variables (https_proxy, no_proxy;
// libcurl reads them). Failures throw NetworkError (exit 5).
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

// Fetches every URL of `source` into `cache_dir/<list>/`; returns the local
// path of the primary file. Unchanged files (HTTP 304) keep the cached copy.
std::string fetch_list(const ListSource& source, const std::string& cache_dir, int timeout_seconds = 120);

}  // namespace opskit::screen

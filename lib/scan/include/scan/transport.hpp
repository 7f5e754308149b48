#pragma once
// The HTTP client seam of the scanner: requests are started and their
// completions polled, so one loop can keep hundreds in flight. CurlTransport
// is the real one (libcurl multi interface, one connection cache, proxies
// from the usual environment variables); tests plug in their own.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "scan/http.hpp"

namespace opskit::scan {

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  long connect_timeout_ms = 5000;
  long timeout_ms = 10000;
  size_t body_limit = 65536;    // bytes of body kept (the rest is not read)
  size_t header_limit = 65536;  // total header bytes accepted
  bool head_only = false;
};

// Transport-level outcome: Response::error is one of "" (a response
// arrived), "dns", "connect", "timeout", "tls", "cert", "too-large",
// "protocol", "other", with detail after a colon.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual void start(uint64_t id, const HttpRequest& request) = 0;
  // Waits up to timeout_ms for completions.
  virtual std::vector<std::pair<uint64_t, Response>> poll(int timeout_ms) = 0;
  virtual void cancel(uint64_t id) = 0;
  virtual size_t in_flight() const = 0;
  // When the request of a transfer in flight went out (steady-clock seconds,
  // as std::chrono::steady_clock), 0 while it is still connecting, -1 when
  // the transport cannot tell (the rate is then held on start times).
  virtual double sent_at(uint64_t) const { return -1; }
};

struct CurlOptions {
  std::string user_agent;
  std::string ca_file;                  // empty = system store
  std::vector<std::string> resolve;     // curl --resolve entries "host:port:addr"
  long max_host_connections = 0;        // 0 = libcurl default
  long max_total_connections = 0;
};

std::unique_ptr<HttpTransport> make_curl_transport(const CurlOptions& options);

}  // namespace opskit::scan

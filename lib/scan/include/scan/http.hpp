#pragma once
// HTTP responses as the grader sees them: headers kept in arrival order and
// looked up case-insensitively, repeated headers merged the way the
// Observatory's HTTP stack (Node's http module) merges them, plus readers for
// recorded responses (`curl -sD -` output and browser HAR files) and a small
// tolerant HTML scanner for the parts the tests need (<meta http-equiv>,
// <script src integrity crossorigin>).
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace opskit::scan {

struct Header {
  std::string name;   // as received
  std::string value;  // trimmed
};

class Headers {
 public:
  void add(std::string name, std::string value);
  const std::vector<Header>& raw() const { return raw_; }
  bool has(std::string_view name) const;
  // Every value of a header, in order.
  std::vector<std::string> all(std::string_view name) const;
  // The merged value: Set-Cookie is never merged (use all()); headers Node
  // keeps once (Content-Type, Location, Server, Retry-After, ...) give the
  // first value; every other repeated header is joined with ", ".
  std::optional<std::string> get(std::string_view name) const;
  size_t size() const { return raw_.size(); }

 private:
  std::vector<Header> raw_;
};

struct Response {
  std::string url;            // the URL that was requested
  int status = 0;
  std::string http_version;   // "HTTP/1.1"
  Headers headers;
  std::string body;           // possibly truncated (see body_truncated)
  bool body_truncated = false;
  bool verified = true;       // certificate chain verified (https only)
  std::string error;          // transport error, empty when a response arrived
  double sent_at = 0;         // when the request went out (steady clock, s); 0 = unknown
};

// Splits a URL into scheme, host (lower case), port and path; false when it
// is not an absolute http(s) URL.
struct Url {
  std::string scheme, host, path;  // path includes query; "/" when empty
  int port = 0;                    // explicit or default (80/443)
  std::string origin() const;      // "https://host[:port]"
  std::string str() const;
};
bool parse_url(std::string_view text, Url& out);
// Resolves a Location value against a base URL (absolute, scheme-relative,
// absolute path or relative path).
std::string resolve_url(const Url& base, std::string_view location);

// Parses one or more header blocks as `curl -sD -` writes them (also with -L
// or -i), the body following the last block. Throws DataError naming
// file:line when the input has no status line or a malformed header line.
std::vector<Response> parse_curl_dump(std::string_view text, const std::string& name, const std::string& url);

// A HAR 1.2 file: the first entry is the page; redirect hops are followed
// through response.redirectURL / Location among the entries. Returns the
// chain from the first request to the final response. Throws DataError.
std::vector<Response> parse_har(std::string_view text, const std::string& name);

// <meta http-equiv="X" content="Y"> pairs in document order (X lower-cased).
std::vector<std::pair<std::string, std::string>> html_http_equiv(std::string_view html);

struct ScriptTag {
  std::string src, integrity, crossorigin;
  bool has_src = false, has_integrity = false;
};
std::vector<ScriptTag> html_scripts(std::string_view html);

// Lower-cased MIME type without parameters ("text/html").
std::string mime_type(const Response& r);

}  // namespace opskit::scan

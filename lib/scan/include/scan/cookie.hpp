#pragma once
// Set-Cookie parsing (RFC 6265 section 5.2, the lenient algorithm browsers
// use): a name=value pair, then attributes separated by ';' whose names are
// case-insensitive. Unknown attributes are ignored, never an error.
#include <optional>
#include <string>
#include <string_view>

namespace opskit::scan {

struct Cookie {
  std::string name, value, domain, path;
  std::string samesite;   // as written, empty when absent
  std::string expires;    // as written
  std::optional<long long> max_age;
  bool secure = false, httponly = false, has_samesite = false;
  // Session and login cookies by name, as the Observatory identifies them.
  bool is_session() const;
  bool is_anticsrf() const;
};

// nullopt when the header has no name=value pair or an empty name (a
// browser drops such a cookie).
std::optional<Cookie> parse_set_cookie(std::string_view header);

// True when a SameSite attribute is present with no value or a value other
// than Strict, Lax or None (checked on the raw header, as the Observatory does).
bool has_invalid_samesite(std::string_view header);

}  // namespace opskit::scan

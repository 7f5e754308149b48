#include "scan/cookie.hpp"

#include "core/text.hpp"

namespace opskit::scan {

bool Cookie::is_session() const {
  std::string n = text::lower(name);
  return n.find("login") != std::string::npos || n.find("sess") != std::string::npos;
}

bool Cookie::is_anticsrf() const { return text::lower(name).find("csrf") != std::string::npos; }

std::optional<Cookie> parse_set_cookie(std::string_view header) {
  // Control characters other than tab end the cookie string (RFC 6265bis).
  for (size_t i = 0; i < header.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(header[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      header = header.substr(0, i);
      break;
    }
  }
  auto parts = text::split(header, ';');
  if (parts.empty()) return std::nullopt;
  std::string_view pair = text::trim(parts[0]);
  auto eq = pair.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  Cookie c;
  c.name = std::string(text::trim(pair.substr(0, eq)));
  c.value = std::string(text::trim(pair.substr(eq + 1)));
  if (c.name.empty()) return std::nullopt;
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view attr = text::trim(parts[i]);
    auto e = attr.find('=');
    std::string key = text::lower(text::trim(attr.substr(0, e)));
    std::string value = e == std::string_view::npos ? std::string() : std::string(text::trim(attr.substr(e + 1)));
    if (key == "secure") c.secure = true;
    else if (key == "httponly") c.httponly = true;
    else if (key == "samesite") {
      c.has_samesite = true;
      c.samesite = value;
    } else if (key == "domain") c.domain = value;
    else if (key == "path") c.path = value;
    else if (key == "expires") c.expires = value;
    else if (key == "max-age") {
      long long v;
      if (text::parse_int(value, v)) c.max_age = v;
    }
  }
  return c;
}

bool has_invalid_samesite(std::string_view header) {
  for (const auto& part : text::split(header, ';')) {
    std::string_view p = text::trim(part);
    auto e = p.find('=');
    if (text::lower(text::trim(p.substr(0, e))) != "samesite") continue;
    if (e == std::string_view::npos) return true;
    // The Observatory splits on '=' and looks at the second piece only.
    std::string_view rest = p.substr(e + 1);
    rest = rest.substr(0, rest.find('='));
    std::string v = text::lower(text::trim(rest));
    if (v.empty()) return true;
    if (v != "lax" && v != "strict" && v != "none") return true;
  }
  return false;
}

}  // namespace opskit::scan

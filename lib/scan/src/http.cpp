#include "scan/http.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/text.hpp"

namespace opskit::scan {
namespace {

// Headers Node's http module keeps only once (the first wins).
bool keep_first(std::string_view lower) {
  static const char* names[] = {"age", "authorization", "content-length", "content-type", "etag", "expires",
                                "from", "host", "if-modified-since", "if-unmodified-since", "last-modified",
                                "location", "max-forwards", "proxy-authorization", "referer", "retry-after",
                                "server", "user-agent"};
  for (const char* n : names)
    if (lower == n) return true;
  return false;
}

bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

void Headers::add(std::string name, std::string value) {
  raw_.push_back({std::move(name), std::string(text::trim(value))});
}

bool Headers::has(std::string_view name) const {
  for (const auto& h : raw_)
    if (text::iequals(h.name, name)) return true;
  return false;
}

std::vector<std::string> Headers::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& h : raw_)
    if (text::iequals(h.name, name)) out.push_back(h.value);
  return out;
}

std::optional<std::string> Headers::get(std::string_view name) const {
  auto values = all(name);
  if (values.empty()) return std::nullopt;
  std::string lower = text::lower(name);
  if (keep_first(lower) || values.size() == 1) return values.front();
  if (lower == "set-cookie") return values.front();
  std::string joined;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) joined += ", ";
    joined += values[i];
  }
  return joined;
}

std::string Url::origin() const {
  std::string o = scheme + "://" + host;
  if (!((scheme == "https" && port == 443) || (scheme == "http" && port == 80))) o += ":" + std::to_string(port);
  return o;
}

std::string Url::str() const { return origin() + path; }

bool parse_url(std::string_view text, Url& out) {
  auto sep = text.find("://");
  if (sep == std::string_view::npos) return false;
  out.scheme = text::lower(text.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") return false;
  std::string_view rest = text.substr(sep + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  out.path = end == std::string_view::npos ? "/" : std::string(rest.substr(end));
  if (!out.path.empty() && out.path[0] != '/') out.path = "/" + out.path;
  if (auto h = out.path.find('#'); h != std::string::npos) out.path.resize(h);
  if (out.path.empty()) out.path = "/";
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority = authority.substr(at + 1);
  out.port = out.scheme == "https" ? 443 : 80;
  std::string_view host = authority;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(0, close + 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      long long p;
      if (!text::parse_int(authority.substr(close + 2), p) || p <= 0 || p > 65535) return false;
      out.port = static_cast<int>(p);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    long long p;
    if (!text::parse_int(authority.substr(colon + 1), p) || p <= 0 || p > 65535) return false;
    out.port = static_cast<int>(p);
  }
  out.host = text::lower(host);
  if (out.host.empty()) return false;
  for (char c : out.host)
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '\\') return false;
  return true;
}

std::string resolve_url(const Url& base, std::string_view location) {
  std::string loc(text::trim(location));
  Url probe;
  if (parse_url(loc, probe)) return loc;
  if (loc.rfind("//", 0) == 0) return base.scheme + ":" + loc;
  if (!loc.empty() && loc[0] == '/') return base.origin() + loc;
  std::string dir = base.path.substr(0, base.path.find('?'));
  dir = dir.substr(0, dir.rfind('/') + 1);
  return base.origin() + dir + loc;
}

std::vector<Response> parse_curl_dump(std::string_view text, const std::string& name, const std::string& url) {
  std::vector<Response> out;
  size_t pos = 0;
  long line = 1;
  auto next_line = [&](std::string_view& l) {
    if (pos >= text.size()) return false;
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    l = text.substr(pos, end - pos);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line;
    return true;
  };
  while (pos < text.size() && text.substr(pos, 5) == "HTTP/") {
    Response r;
    r.url = url;
    std::string_view l;
    next_line(l);
    auto sp = l.find(' ');
    long long code = 0;
    if (sp == std::string_view::npos ||
        !text::parse_int(text::trim(l.substr(sp + 1, 3)), code) || code < 100 || code > 999)
      throw DataError({name, line - 1, 1, "status line"}, "malformed HTTP status line");
    r.http_version = std::string(l.substr(0, sp));
    r.status = static_cast<int>(code);
    bool ended = false;
    while (next_line(l)) {
      if (l.empty()) {
        ended = true;
        break;
      }
      if ((l[0] == ' ' || l[0] == '\t') && r.headers.size()) {
        continue;  // obsolete line folding: ignored, as browsers do
      }
      auto colon = l.find(':');
      if (colon == std::string_view::npos || colon == 0)
        throw DataError({name, line - 1, 1, "header"}, "header line without a name and ':'");
      for (size_t i = 0; i < colon; ++i)
        if (!token_char(l[i]))
          throw DataError({name, line - 1, static_cast<long>(i + 1), "header"}, "invalid character in header name");
      r.headers.add(std::string(l.substr(0, colon)), std::string(l.substr(colon + 1)));
    }
    out.push_back(std::move(r));
    if (!ended) break;
  }
  if (out.empty()) throw DataError({name, 1, 1, "status line"}, "no HTTP status line (expected `curl -sD -` output)");
  out.back().body = std::string(text.substr(pos));
  // 1xx interim responses are not part of the chain.
  out.erase(std::remove_if(out.begin(), out.end() - 1, [](const Response& r) { return r.status < 200; }), out.end() - 1);
  // Location hops give each later response its URL.
  for (size_t i = 1; i < out.size(); ++i) {
    Url base;
    auto loc = out[i - 1].headers.get("location");
    if (loc && parse_url(out[i - 1].url, base)) out[i].url = resolve_url(base, *loc);
  }
  return out;
}

std::vector<Response> parse_har(std::string_view text, const std::string& name) {
  nlohmann::json har;
  try {
    har = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw DataError({name, 1, static_cast<long>(e.byte), "har"}, std::string("not JSON: ") + e.what());
  }
  if (!har.is_object() || !har.contains("log") || !har["log"].is_object() || !har["log"].contains("entries") ||
      !har["log"]["entries"].is_array())
    throw DataError({name, 1, 1, "log.entries"}, "not a HAR file (no log.entries array)");
  const auto& entries = har["log"]["entries"];
  auto str = [](const nlohmann::json& o, const char* k) -> std::string {
    return o.is_object() && o.contains(k) && o[k].is_string() ? o[k].get<std::string>() : std::string();
  };
  std::vector<Response> all;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    std::string field = "log.entries[" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains("request") || !e.contains("response") || !e["response"].is_object())
      throw DataError({name, 1, 1, field}, "entry without request/response");
    Response r;
    r.url = str(e["request"], "url");
    const auto& resp = e["response"];
    if (!resp.contains("status") || !resp["status"].is_number_integer())
      throw DataError({name, 1, 1, field + ".response.status"}, "missing or non-integer status");
    r.status = resp["status"].get<int>();
    r.http_version = str(resp, "httpVersion");
    if (resp.contains("headers") && resp["headers"].is_array())
      for (const auto& h : resp["headers"]) {
        if (!h.is_object()) continue;
        r.headers.add(str(h, "name"), str(h, "value"));
      }
    if (resp.contains("content") && resp["content"].is_object()) {
      r.body = str(resp["content"], "text");
      if (str(resp["content"], "encoding") == "base64") r.body.clear();  // binary; never graded as HTML
    }
    all.push_back(std::move(r));
  }
  if (all.empty()) throw DataError({name, 1, 1, "log.entries"}, "HAR has no entries");
  std::vector<Response> chain{all[0]};
  std::vector<bool> used(all.size(), false);
  used[0] = true;
  for (int hop = 0; hop < 20; ++hop) {
    const Response& last = chain.back();
    if (last.status < 300 || last.status > 399) break;
    auto loc = last.headers.get("location");
    if (!loc) break;
    Url base;
    if (!parse_url(last.url, base)) break;
    std::string target = resolve_url(base, *loc);
    bool found = false;
    for (size_t i = 1; i < all.size(); ++i)
      if (!used[i] && all[i].url == target) {
        used[i] = true;
        chain.push_back(all[i]);
        found = true;
        break;
      }
    if (!found) break;
  }
  return chain;
}

namespace {

struct Tag {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attrs;
  bool has(const char* a) const {
    for (auto& [k, v] : attrs)
      if (k == a) return true;
    return false;
  }
  std::string get(const char* a) const {
    for (auto& [k, v] : attrs)
      if (k == a) return v;
    return {};
  }
};

// Visits start tags in document order; skips comments and raw text of
// <script>/<style> so that markup inside them is not mistaken for tags.
template <class Fn>
void for_each_tag(std::string_view html, Fn fn) {
  size_t i = 0, n = html.size();
  while (i < n) {
    size_t lt = html.find('<', i);
    if (lt == std::string_view::npos || lt + 1 >= n) return;
    if (html.substr(lt, 4) == "<!--") {
      size_t end = html.find("-->", lt + 4);
      if (end == std::string_view::npos) return;
      i = end + 3;
      continue;
    }
    size_t p = lt + 1;
    if (!std::isalpha(static_cast<unsigned char>(html[p]))) {
      i = p;
      continue;
    }
    Tag tag;
    while (p < n && (std::isalnum(static_cast<unsigned char>(html[p])) || html[p] == '-'))
      tag.name += static_cast<char>(std::tolower(static_cast<unsigned char>(html[p++])));
    while (p < n && html[p] != '>') {
      if (std::isspace(static_cast<unsigned char>(html[p])) || html[p] == '/') {
        ++p;
        continue;
      }
      std::string key;
      while (p < n && !std::isspace(static_cast<unsigned char>(html[p])) && html[p] != '=' && html[p] != '>' &&
             html[p] != '/')
        key += static_cast<char>(std::tolower(static_cast<unsigned char>(html[p++])));
      while (p < n && std::isspace(static_cast<unsigned char>(html[p]))) ++p;
      std::string value;
      if (p < n && html[p] == '=') {
        ++p;
        while (p < n && std::isspace(static_cast<unsigned char>(html[p]))) ++p;
        if (p < n && (html[p] == '"' || html[p] == '\'')) {
          char q = html[p++];
          size_t close = html.find(q, p);
          if (close == std::string_view::npos) close = n;
          value = std::string(html.substr(p, close - p));
          p = close < n ? close + 1 : n;
        } else {
          while (p < n && !std::isspace(static_cast<unsigned char>(html[p])) && html[p] != '>') value += html[p++];
        }
      }
      if (!key.empty()) tag.attrs.emplace_back(std::move(key), std::move(value));
    }
    i = p < n ? p + 1 : n;
    fn(tag);
    if (tag.name == "script" || tag.name == "style") {
      std::string close = "</" + tag.name;
      // case-insensitive search for the closing tag
      size_t j = i;
      while (j < n) {
        size_t c = html.find("</", j);
        if (c == std::string_view::npos) return;
        if (text::starts_with_icase(html.substr(c), close)) {
          j = c;
          break;
        }
        j = c + 2;
      }
      i = j;
    }
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> html_http_equiv(std::string_view html) {
  std::vector<std::pair<std::string, std::string>> out;
  for_each_tag(html, [&](const Tag& t) {
    if (t.name == "meta" && t.has("http-equiv")) out.emplace_back(text::lower(t.get("http-equiv")), t.get("content"));
  });
  return out;
}

std::vector<ScriptTag> html_scripts(std::string_view html) {
  std::vector<ScriptTag> out;
  for_each_tag(html, [&](const Tag& t) {
    if (t.name != "script") return;
    ScriptTag s;
    s.has_src = t.has("src");
    s.src = std::string(text::trim(t.get("src")));
    s.has_integrity = t.has("integrity") && !text::trim(t.get("integrity")).empty();
    s.integrity = t.get("integrity");
    s.crossorigin = t.get("crossorigin");
    out.push_back(std::move(s));
  });
  return out;
}

std::string mime_type(const Response& r) {
  auto ct = r.headers.get("content-type");
  if (!ct) return {};
  return text::lower(text::trim(std::string_view(*ct).substr(0, ct->find(';'))));
}

}  // namespace opskit::scan

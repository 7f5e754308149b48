#include "scan/observatory.hpp"

#include <libpsl.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/text.hpp"
#include "scan/cookie.hpp"
#include "scan/csp.hpp"

namespace opskit::scan {
namespace {

const std::map<std::string, int, std::less<>>& score_table() {
  static const std::map<std::string, int, std::less<>> t = {
      {"csp-implemented-with-no-unsafe-default-src-none", 10},
      {"csp-implemented-with-no-unsafe", 5},
      {"csp-implemented-with-unsafe-inline-in-style-src-only", 0},
      {"csp-implemented-with-insecure-scheme-in-passive-content-only", -10},
      {"csp-implemented-with-unsafe-eval", -10},
      {"csp-implemented-with-unsafe-inline", -20},
      {"csp-implemented-with-insecure-scheme", -20},
      {"csp-implemented-but-duplicate-directives", 0},
      {"csp-header-invalid", -25},
      {"csp-not-implemented", -25},
      {"csp-not-implemented-but-reporting-enabled", -25},
      {"cookies-secure-with-httponly-sessions-and-samesite", 5},
      {"cookies-secure-with-httponly-sessions", 0},
      {"cookies-not-found", 0},
      {"cookies-without-secure-flag-but-protected-by-hsts", -5},
      {"cookies-session-without-secure-flag-but-protected-by-hsts", -10},
      {"cookies-without-secure-flag", -20},
      {"cookies-samesite-flag-invalid", -20},
      {"cookies-anticsrf-without-samesite-flag", -20},
      {"cookies-session-without-httponly-flag", -30},
      {"cookies-session-without-secure-flag", -40},
      {"cross-origin-resource-sharing-not-implemented", 0},
      {"cross-origin-resource-sharing-implemented-with-public-access", 0},
      {"cross-origin-resource-sharing-implemented-with-restricted-access", 0},
      {"cross-origin-resource-sharing-implemented-with-universal-access", -50},
      {"redirection-all-redirects-preloaded", 0},
      {"redirection-to-https", 0},
      {"redirection-not-needed-no-http", 0},
      {"redirection-off-host-from-http", -5},
      {"redirection-not-to-https-on-initial-redirection", -10},
      {"redirection-not-to-https", -20},
      {"redirection-missing", -20},
      {"redirection-invalid-cert", -20},
      {"referrer-policy-private", 5},
      {"referrer-policy-not-implemented", 0},
      {"referrer-policy-unsafe", -5},
      {"referrer-policy-header-invalid", -5},
      {"hsts-preloaded", 5},
      {"hsts-implemented-max-age-at-least-six-months", 0},
      {"hsts-implemented-max-age-less-than-six-months", -10},
      {"hsts-not-implemented", -20},
      {"hsts-header-invalid", -20},
      {"hsts-not-implemented-no-https", -20},
      {"hsts-invalid-cert", -20},
      {"sri-implemented-and-all-scripts-loaded-securely", 5},
      {"sri-implemented-and-external-scripts-loaded-securely", 5},
      {"sri-not-implemented-response-not-html", 0},
      {"sri-not-implemented-but-no-scripts-loaded", 0},
      {"sri-not-implemented-but-all-scripts-loaded-from-secure-origin", 0},
      {"sri-not-implemented-but-external-scripts-loaded-securely", -5},
      {"sri-implemented-but-external-scripts-not-loaded-securely", -20},
      {"sri-not-implemented-and-external-scripts-not-loaded-securely", -50},
      {"x-content-type-options-nosniff", 0},
      {"x-content-type-options-not-implemented", -5},
      {"x-content-type-options-header-invalid", -5},
      {"x-frame-options-implemented-via-csp", 5},
      {"x-frame-options-sameorigin-or-deny", 0},
      {"x-frame-options-allow-from-origin", 0},
      {"x-frame-options-not-implemented", -20},
      {"x-frame-options-header-invalid", -20},
      {"corp-not-implemented", 0},
      {"corp-implemented-with-same-origin", 10},
      {"corp-implemented-with-same-site", 10},
      {"corp-implemented-with-cross-origin", 0},
      {"corp-header-invalid", -5},
  };
  return t;
}

const std::set<std::string> kBroad = {"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"};
bool broad(const std::string& s) { return kBroad.count(s) > 0; }
bool broad_or_inline(const std::string& s) { return broad(s) || s == "'unsafe-inline'" || s == "data:"; }
bool nonce_or_hash(const std::set<std::string>& sources) {
  for (const auto& s : sources)
    for (const char* p : {"'sha256-", "'sha384-", "'sha512-", "'nonce-"})
      if (s.starts_with(p)) return true;
  return false;
}
bool any_of(const std::set<std::string>& s, bool (*f)(const std::string&)) { return std::any_of(s.begin(), s.end(), f); }

// Keeps the worse of two results by their position in `order` (best first).
void only_if_worse(std::string& current, const std::string& candidate, const std::vector<std::string>& order) {
  if (current.empty()) {
    current = candidate;
    return;
  }
  auto pos = [&](const std::string& r) { return std::find(order.begin(), order.end(), r) - order.begin(); };
  if (pos(candidate) > pos(current)) current = candidate;
}

bool is_https(const std::string& url) { return text::starts_with_icase(url, "https://"); }

std::vector<std::string> equiv(const Response& r, const std::string& name) {
  std::vector<std::string> out;
  std::string mime = mime_type(r);
  if (!mime.empty() && mime != "text/html" && mime != "application/xhtml+xml") return out;
  for (auto& [k, v] : html_http_equiv(r.body))
    if (k == name) out.push_back(v);
  return out;
}

struct CspOutcome {
  TestResult t;
  bool has_frame_ancestors = false;
};

CspOutcome test_csp(const ObservatoryInput& in) {
  CspOutcome o;
  TestResult& t = o.t;
  t.test = "content-security-policy";
  if (!in.page) {
    t.result = "csp-not-implemented";
    return o;
  }
  const Response& page = *in.page;
  auto http_policies = split_csp_policies(page.headers.all("content-security-policy"));
  auto meta_policies = split_csp_policies(equiv(page, "content-security-policy"));
  std::vector<std::string> all = http_policies;
  all.insert(all.end(), meta_policies.begin(), meta_policies.end());
  CspParse combined, header_only, meta;
  try {
    combined = parse_csp(all);
  } catch (const CspError& e) {
    t.result = "csp-header-invalid";
    t.data = e.what();
    return o;
  }
  try {
    header_only = parse_csp(http_policies);
  } catch (const CspError&) {
  }
  try {
    meta = parse_csp_meta(meta_policies);
  } catch (const CspError&) {
  }
  if (header_only.policy.size() + meta.policy.size() == 0) {
    t.result = page.headers.has("content-security-policy-report-only") ? "csp-not-implemented-but-reporting-enabled"
                                                                        : "csp-not-implemented";
    return o;
  }
  CspPolicy csp = combined.policy;
  std::set<std::string> star = {"*"};
  std::set<std::string> local_script = star, local_style = star, local_object = star;
  auto pick = [&](const char* d, std::set<std::string>& local) -> std::set<std::string>* {
    if (csp.count(d)) return &csp[d];
    if (csp.count("default-src")) return &csp["default-src"];
    return &local;
  };
  // Pointers alias the map on purpose: the Observatory edits the same sets.
  std::set<std::string>* script_src = pick("script-src", local_script);
  std::set<std::string>* style_src = pick("style-src", local_style);
  std::set<std::string>* object_src = pick("object-src", local_object);
  std::string result;
  for (auto* list : {script_src, style_src})
    if (nonce_or_hash(*list) && list->count("'unsafe-inline'")) list->erase("'unsafe-inline'");
  if (nonce_or_hash(*script_src) && script_src->count("'strict-dynamic'")) {
    for (auto it = script_src->begin(); it != script_src->end();) {
      bool drop = *it == "'self'" || *it == "'unsafe-inline'";
      for (const auto& b : kBroad)
        if (it->starts_with(b)) drop = true;
      it = drop ? script_src->erase(it) : std::next(it);
    }
  } else if (script_src->count("'strict-dynamic'")) {
    result = "csp-header-invalid";
  }
  std::vector<std::string> active, passive;
  for (auto& [d, sources] : csp)
    if (d != "img-src" && d != "media-src" && d != "script-src") active.insert(active.end(), sources.begin(), sources.end());
  active.insert(active.end(), script_src->begin(), script_src->end());
  for (const char* d : {"img-src", "media-src"}) {
    const std::set<std::string>* s = csp.count(d) ? &csp[d] : csp.count("default-src") ? &csp["default-src"] : nullptr;
    if (s) passive.insert(passive.end(), s->begin(), s->end());
  }
  bool https = is_https(page.url);
  auto insecure = [](const std::vector<std::string>& v) {
    return std::any_of(v.begin(), v.end(), [](const std::string& s) { return s.starts_with("http:") || s.starts_with("ftp:"); });
  };
  auto set_if_empty = [&](const char* r) {
    if (result.empty()) result = r;
  };
  if (any_of(*script_src, broad_or_inline) || any_of(*object_src, broad)) set_if_empty("csp-implemented-with-unsafe-inline");
  if (https && insecure(active)) set_if_empty("csp-implemented-with-insecure-scheme");
  if (script_src->count("'unsafe-eval'") || style_src->count("'unsafe-eval'")) set_if_empty("csp-implemented-with-unsafe-eval");
  if (https && insecure(passive)) set_if_empty("csp-implemented-with-insecure-scheme-in-passive-content-only");
  if (any_of(*style_src, broad_or_inline)) set_if_empty("csp-implemented-with-unsafe-inline-in-style-src-only");
  if (csp.count("default-src") && csp["default-src"].size() == 1 && csp["default-src"].count("'none'"))
    set_if_empty("csp-implemented-with-no-unsafe-default-src-none");
  else
    set_if_empty("csp-implemented-with-no-unsafe");
  if ((result == "csp-implemented-with-no-unsafe" || result == "csp-implemented-with-no-unsafe-default-src-none" ||
       result == "csp-implemented-with-unsafe-inline-in-style-src-only" ||
       result == "csp-implemented-with-insecure-scheme-in-passive-content-only") &&
      !combined.duplicate_warnings.empty())
    result = "csp-implemented-but-duplicate-directives";
  t.result = result;
  o.has_frame_ancestors = csp.count("frame-ancestors") > 0;
  std::string data;
  for (auto& h : page.headers.all("content-security-policy")) data += (data.empty() ? "" : ", ") + h;
  t.data = data.substr(0, 256);
  return o;
}

TestResult test_hsts(const ObservatoryInput& in) {
  TestResult t;
  t.test = "strict-transport-security";
  t.result = "hsts-not-implemented";
  if (!in.https) {
    t.result = "hsts-not-implemented-no-https";
  } else if (!in.https->verified) {
    t.result = "hsts-invalid-cert";
  } else if (auto h = in.https->headers.get("strict-transport-security")) {
    std::string data = h->substr(0, 1024);
    t.data = data;
    std::optional<long long> max_age;
    bool invalid = data.find(',') != std::string::npos;
    for (const auto& p : text::split(data, ';')) {
      std::string param = text::lower(text::trim(p));
      if (param.starts_with("max-age=")) {
        // parseInt semantics: leading digits; NaN when none
        std::string digits;
        for (char c : param.substr(8, 120)) {
          if (!std::isdigit(static_cast<unsigned char>(c))) break;
          digits += c;
        }
        long long v;
        if (!digits.empty() && text::parse_int(digits.substr(0, 18), v)) max_age = v;
        else invalid = true;
      }
    }
    if (invalid || !max_age) t.result = "hsts-header-invalid";
    else t.result = *max_age < 15552000 ? "hsts-implemented-max-age-less-than-six-months"
                                        : "hsts-implemented-max-age-at-least-six-months";
  }
  if (in.https && in.preload && in.preload->preloaded(in.host)) t.result = "hsts-preloaded";
  return t;
}

bool hsts_pass(const TestResult& t) {
  return t.result == "hsts-implemented-max-age-at-least-six-months" || t.result == "hsts-preloaded";
}

TestResult test_cookies(const ObservatoryInput& in, bool hsts) {
  TestResult t;
  t.test = "cookies";
  t.result = "";
  static const std::vector<std::string> order = {
      "cookies-without-secure-flag-but-protected-by-hsts", "cookies-without-secure-flag",
      "cookies-session-without-secure-flag-but-protected-by-hsts", "cookies-samesite-flag-invalid",
      "cookies-anticsrf-without-samesite-flag", "cookies-session-without-httponly-flag",
      "cookies-session-without-secure-flag"};
  std::string result;
  if (in.page)
    for (const auto& raw : in.page->headers.all("set-cookie"))
      if (has_invalid_samesite(raw)) only_if_worse(result, "cookies-samesite-flag-invalid", order);
  // The cookie jar of the whole session: the http route and the page.
  std::vector<Cookie> jar;
  auto collect = [&](const Response& r) {
    for (const auto& raw : r.headers.all("set-cookie")) {
      auto c = parse_set_cookie(raw);
      if (!c || c->name == "heroku-session-affinity") continue;
      std::string ss = text::lower(c->samesite);
      if (ss != "strict" && ss != "lax" && ss != "none") c->has_samesite = false;
      auto same = std::find_if(jar.begin(), jar.end(), [&](const Cookie& o) {
        return o.name == c->name && o.domain == c->domain && o.path == c->path;
      });
      if (same != jar.end()) *same = *c;
      else jar.push_back(*c);
    }
  };
  if (in.http_route)
    for (const auto& r : *in.http_route) collect(r);
  if (in.page) collect(*in.page);
  if (jar.empty()) {
    t.result = "cookies-not-found";
    return t;
  }
  bool missing_samesite = false;
  for (const auto& c : jar) {
    bool session = c.is_session(), csrf = c.is_anticsrf();
    if (!c.secure && c.has_samesite && text::lower(c.samesite) == "none")
      only_if_worse(result, "cookies-samesite-flag-invalid", order);
    if (!c.secure) only_if_worse(result, hsts ? "cookies-without-secure-flag-but-protected-by-hsts" : "cookies-without-secure-flag", order);
    if (csrf && !c.has_samesite) only_if_worse(result, "cookies-anticsrf-without-samesite-flag", order);
    if (session && !c.secure)
      only_if_worse(result, hsts ? "cookies-session-without-secure-flag-but-protected-by-hsts" : "cookies-session-without-secure-flag", order);
    if (session && !c.httponly) only_if_worse(result, "cookies-session-without-httponly-flag", order);
    if (!c.has_samesite) missing_samesite = true;
    t.data += (t.data.empty() ? "" : ",") + c.name;
  }
  if (result.empty())
    result = missing_samesite ? "cookies-secure-with-httponly-sessions" : "cookies-secure-with-httponly-sessions-and-samesite";
  t.result = result;
  return t;
}

TestResult test_cors(const ObservatoryInput& in) {
  TestResult t;
  t.test = "cross-origin-resource-sharing";
  t.result = "cross-origin-resource-sharing-not-implemented";
  if (!in.cors) return t;
  auto acao = in.cors->headers.get("access-control-allow-origin");
  if (!acao) return t;
  t.data = text::lower(text::trim(acao->substr(0, 256)));
  auto creds = in.cors->headers.get("access-control-allow-credentials");
  if (t.data == "*") t.result = "cross-origin-resource-sharing-implemented-with-public-access";
  else if (!in.cors_origin.empty() && in.cors_origin == *acao && creds && text::lower(text::trim(*creds)) == "true")
    t.result = "cross-origin-resource-sharing-implemented-with-universal-access";
  else t.result = "cross-origin-resource-sharing-implemented-with-restricted-access";
  return t;
}

TestResult test_redirection(const ObservatoryInput& in) {
  TestResult t;
  t.test = "redirection";
  t.result = "";
  if (!in.http_route || in.http_route->empty()) {
    t.result = "redirection-not-needed-no-http";
    return t;
  }
  if (!in.http_route_verified) {
    t.result = "redirection-invalid-cert";
    return t;
  }
  const auto& route = *in.http_route;
  std::vector<Url> urls;
  for (const auto& r : route) {
    Url u;
    parse_url(r.url, u);
    urls.push_back(u);
    t.data += (t.data.empty() ? "" : " -> ") + r.url;
  }
  bool all_preloaded = in.preload != nullptr;
  for (const auto& u : urls)
    if (!in.preload || !in.preload->preloaded(u.host)) all_preloaded = false;
  if (all_preloaded) t.result = "redirection-all-redirects-preloaded";
  else if (route.size() == 1) t.result = "redirection-missing";
  else if (urls.back().scheme != "https") t.result = "redirection-not-to-https";
  else if (urls[1].scheme == "http") t.result = "redirection-not-to-https-on-initial-redirection";
  else if (urls[0].scheme == "http" && urls[1].scheme == "https" && urls[0].host != urls[1].host)
    t.result = "redirection-off-host-from-http";
  else t.result = "redirection-to-https";
  return t;
}

TestResult test_referrer(const ObservatoryInput& in) {
  TestResult t;
  t.test = "referrer-policy";
  t.result = "referrer-policy-not-implemented";
  if (!in.page) return t;
  auto values = in.page->headers.all("referrer-policy");
  for (auto& v : equiv(*in.page, "referrer-policy")) values.push_back(v);
  if (values.empty()) return t;
  std::string joined;
  for (auto& v : values) joined += (joined.empty() ? "" : ", ") + v;
  t.data = joined.substr(0, 256);
  static const std::set<std::string> good = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"};
  static const std::set<std::string> bad = {"origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade"};
  std::string policy;
  for (const auto& p : text::split(joined, ',')) {
    std::string v = text::lower(text::trim(p));
    if (good.count(v) || bad.count(v)) policy = v;
  }
  t.result = good.count(policy) ? "referrer-policy-private" : bad.count(policy) ? "referrer-policy-unsafe" : "referrer-policy-header-invalid";
  return t;
}

std::string registrable(const std::string& host) {
  const psl_ctx_t* psl = psl_builtin();
  const char* d = psl ? psl_registrable_domain(psl, host.c_str()) : nullptr;
  return d ? std::string(d) : host;
}

TestResult test_sri(const ObservatoryInput& in) {
  TestResult t;
  t.test = "subresource-integrity";
  t.result = "";
  static const std::vector<std::string> order = {
      "sri-implemented-and-all-scripts-loaded-securely", "sri-implemented-and-external-scripts-loaded-securely",
      "sri-implemented-but-external-scripts-not-loaded-securely",
      "sri-not-implemented-but-external-scripts-loaded-securely",
      "sri-not-implemented-and-external-scripts-not-loaded-securely", "sri-not-implemented-response-not-html"};
  if (!in.page) {
    t.result = "sri-not-implemented-but-no-scripts-loaded";
    return t;
  }
  std::string mime = mime_type(*in.page);
  if (!mime.empty() && mime != "text/html" && mime != "application/xhtml+xml") {
    t.result = "sri-not-implemented-response-not-html";
    return t;
  }
  auto scripts = html_scripts(in.page->body);
  bool page_https = is_https(in.page->url);
  std::string site_domain = registrable(in.host);
  bool foreign = false;
  std::string result;
  for (const auto& s : scripts) {
    if (s.src.empty()) continue;
    bool relative_origin = false, relative_protocol = false, same_domain = false;
    if (s.src.size() > 2 && s.src.starts_with("//") && s.src[2] != '/') {
      relative_protocol = same_domain = true;
    } else if (s.src.starts_with("http://") || s.src.starts_with("https://")) {
      Url u;
      same_domain = parse_url(s.src, u) && registrable(u.host) == site_domain;
    } else {
      relative_origin = same_domain = true;
    }
    bool secure_origin = relative_origin || (same_domain && !relative_protocol);
    if (!secure_origin) foreign = true;
    bool secure_scheme = s.src.starts_with("https://") || (relative_origin && page_https);
    if (!secure_origin) {
      t.data += (t.data.empty() ? "" : " ") + s.src;
      if (s.has_integrity && !secure_scheme)
        only_if_worse(result, "sri-implemented-but-external-scripts-not-loaded-securely", order);
      else if (!s.has_integrity && secure_scheme)
        only_if_worse(result, "sri-not-implemented-but-external-scripts-loaded-securely", order);
      else if (!s.has_integrity && !secure_scheme)
        only_if_worse(result, "sri-not-implemented-and-external-scripts-not-loaded-securely", order);
    } else if (s.has_integrity && secure_scheme && result.empty()) {
      result = "sri-implemented-and-all-scripts-loaded-securely";
    }
  }
  if (scripts.empty()) result = "sri-not-implemented-but-no-scripts-loaded";
  else if (result.empty())
    result = foreign ? "sri-implemented-and-external-scripts-loaded-securely"
                     : "sri-not-implemented-but-all-scripts-loaded-from-secure-origin";
  t.result = result;
  return t;
}

TestResult test_xcto(const ObservatoryInput& in) {
  TestResult t;
  t.test = "x-content-type-options";
  t.result = "x-content-type-options-not-implemented";
  if (!in.page) return t;
  if (auto h = in.page->headers.get("x-content-type-options")) {
    t.data = h->substr(0, 256);
    t.result = text::lower(text::trim(t.data)) == "nosniff" ? "x-content-type-options-nosniff"
                                                             : "x-content-type-options-header-invalid";
  }
  return t;
}

TestResult test_xfo(const ObservatoryInput& in, bool frame_ancestors) {
  TestResult t;
  t.test = "x-frame-options";
  t.result = "x-frame-options-not-implemented";
  if (!in.page) return t;
  if (auto h = in.page->headers.get("x-frame-options")) {
    t.data = h->substr(0, 1024);
    std::string v = text::lower(text::trim(t.data));
    t.result = (v == "deny" || v == "sameorigin") ? "x-frame-options-sameorigin-or-deny"
               : v.starts_with("allow-from")      ? "x-frame-options-allow-from-origin"
                                                  : "x-frame-options-header-invalid";
  }
  if (frame_ancestors) t.result = "x-frame-options-implemented-via-csp";
  return t;
}

TestResult test_corp(const ObservatoryInput& in) {
  TestResult t;
  t.test = "cross-origin-resource-policy";
  t.result = "corp-not-implemented";
  if (!in.page) return t;
  std::optional<std::string> h = in.page->headers.get("cross-origin-resource-policy");
  if (!h) {
    auto meta = equiv(*in.page, "cross-origin-resource-policy");
    if (!meta.empty()) h = meta.back();
  }
  if (!h) return t;
  t.data = h->substr(0, 256);
  std::string v = text::lower(text::trim(t.data));
  t.result = v == "same-site" ? "corp-implemented-with-same-site"
             : v == "same-origin" ? "corp-implemented-with-same-origin"
             : v == "cross-origin" ? "corp-implemented-with-cross-origin"
                                   : "corp-header-invalid";
  return t;
}

}  // namespace

void HstsPreload::add(const std::string& host, bool include_subdomains) { hosts_[text::lower(host)] = include_subdomains; }

void HstsPreload::load_file(const std::string& path) {
  std::string content = text::read_file(path);
  std::string_view first = text::trim(content);
  if (!first.empty() && (first[0] == '{' || first.starts_with("//"))) {
    // Chromium's JSON carries // comment lines; drop them before parsing.
    std::string json;
    for (const auto& line : text::split(content, '\n'))
      if (!text::trim(line).starts_with("//")) json += line + "\n";
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(json);
    } catch (const std::exception& e) {
      throw DataError({path, 0, 0, "entries"}, std::string("HSTS preload list is not JSON: ") + e.what());
    }
    if (!doc.contains("entries") || !doc["entries"].is_array())
      throw DataError({path, 0, 0, "entries"}, "HSTS preload list has no entries array");
    for (const auto& e : doc["entries"]) {
      if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) continue;
      if (e.value("mode", std::string()) != "force-https") continue;
      add(e["name"].get<std::string>(), e.value("include_subdomains", false));
    }
    return;
  }
  long line_no = 0;
  for (const auto& line : text::split(content, '\n')) {
    ++line_no;
    std::string_view l = text::trim(line);
    if (l.empty() || l[0] == '#') continue;
    auto sp = l.find_first_of(" \t");
    std::string host(l.substr(0, sp));
    bool sub = sp != std::string_view::npos && text::trim(l.substr(sp)) == "include_subdomains";
    add(host, sub);
  }
}

bool HstsPreload::preloaded(std::string_view host) const {
  std::string h = text::lower(host);
  if (hosts_.count(h)) return true;
  for (size_t dot = h.find('.'); dot != std::string::npos; dot = h.find('.', dot + 1)) {
    auto it = hosts_.find(std::string_view(h).substr(dot + 1));
    if (it != hosts_.end() && it->second) return true;
  }
  return false;
}

const TestResult* ObservatoryResult::find(std::string_view test) const {
  for (const auto& t : tests)
    if (t.test == test) return &t;
  return nullptr;
}

int modifier_for(std::string_view result) {
  auto it = score_table().find(result);
  return it == score_table().end() ? 0 : it->second;
}

std::string grade_for_score(int score) {
  score = std::max(score, 0);
  int band = std::min(score - score % 5, 100);
  static const std::map<int, const char*> chart = {{100, "A+"}, {95, "A"}, {90, "A"},  {85, "A-"}, {80, "B+"},
                                                   {75, "B"},   {70, "B"}, {65, "B-"}, {60, "C+"}, {55, "C"},
                                                   {50, "C"},   {45, "C-"}, {40, "D+"}, {35, "D"}, {30, "D"},
                                                   {25, "D-"}};
  auto it = chart.find(band);
  return it == chart.end() ? "F" : it->second;
}

int grade_rank(std::string_view grade) {
  static const char* order[] = {"F", "D-", "D", "D+", "C-", "C", "C+", "B-", "B", "B+", "A-", "A", "A+"};
  for (int i = 0; i < 13; ++i)
    if (text::iequals(grade, order[i])) return i;
  return -1;
}

ObservatoryResult grade_observatory(const ObservatoryInput& in) {
  ObservatoryResult r;
  CspOutcome csp = test_csp(in);
  TestResult hsts = test_hsts(in);
  r.tests.push_back(csp.t);
  r.tests.push_back(test_cookies(in, hsts_pass(hsts)));
  r.tests.push_back(test_cors(in));
  r.tests.push_back(test_redirection(in));
  r.tests.push_back(test_referrer(in));
  r.tests.push_back(hsts);
  r.tests.push_back(test_sri(in));
  r.tests.push_back(test_xcto(in));
  r.tests.push_back(test_xfo(in, csp.has_frame_ancestors));
  r.tests.push_back(test_corp(in));
  int score = 100, bonus = 0;
  for (auto& t : r.tests) {
    t.modifier = modifier_for(t.result);
    t.pass = t.modifier >= 0;
    if (t.modifier > 0) bonus += t.modifier;
    else score += t.modifier;
  }
  if (score >= 90) score += bonus;
  r.bonus = bonus;
  r.score = std::max(score, 0);
  r.grade = grade_for_score(r.score);
  return r;
}

ObservatoryInput input_from_chain(const std::vector<Response>& chain, const HstsPreload* preload) {
  ObservatoryInput in;
  in.preload = preload;
  if (chain.empty()) return in;
  in.page = chain.back();
  Url u;
  if (parse_url(chain.front().url, u)) in.host = u.host;
  if (is_https(chain.back().url)) in.https = chain.back();
  if (is_https(chain.front().url)) {
    in.http_route = std::nullopt;  // only https was recorded: nothing to say about http
  } else {
    in.http_route = chain;
  }
  in.cors = chain.back();
  return in;
}

}  // namespace opskit::scan

// The Observatory's scoring reproduced: modifiers, bonus rule, grade bands.
#include <catch2/catch.hpp>

#include "scan/findings.hpp"
#include "scan/observatory.hpp"
#include "scan/scanner.hpp"

using namespace opskit::scan;

namespace {

std::vector<Response> dump(const std::string& headers, const std::string& body = "<html></html>",
                           const std::string& url = "https://site.test/") {
  return parse_curl_dump("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + headers + "\r\n" + body, "t", url);
}

ObservatoryResult grade(const std::string& headers, const std::string& body = "<html></html>") {
  auto chain = dump(headers, body);
  return grade_observatory(input_from_chain(chain, nullptr));
}

std::string result_of(const ObservatoryResult& r, const char* test) { return r.find(test)->result; }

const char* kHardened =
    "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'; form-action 'self'\r\n"
    "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Cross-Origin-Resource-Policy: same-origin\r\n"
    "Set-Cookie: session=abc; Secure; HttpOnly; SameSite=Lax\r\n";

}  // namespace

TEST_CASE("grade bands", "[scan][observatory]") {
  CHECK(grade_for_score(135) == "A+");
  CHECK(grade_for_score(100) == "A+");
  CHECK(grade_for_score(99) == "A");
  CHECK(grade_for_score(90) == "A");
  CHECK(grade_for_score(89) == "A-");
  CHECK(grade_for_score(80) == "B+");
  CHECK(grade_for_score(79) == "B");
  CHECK(grade_for_score(70) == "B");
  CHECK(grade_for_score(65) == "B-");
  CHECK(grade_for_score(60) == "C+");
  CHECK(grade_for_score(50) == "C");
  CHECK(grade_for_score(45) == "C-");
  CHECK(grade_for_score(40) == "D+");
  CHECK(grade_for_score(30) == "D");
  CHECK(grade_for_score(25) == "D-");
  CHECK(grade_for_score(24) == "F");
  CHECK(grade_for_score(-10) == "F");
  CHECK(grade_rank("A+") > grade_rank("A"));
  CHECK(grade_rank("B") > grade_rank("C+"));
  CHECK(grade_rank("Z") == -1);
}

TEST_CASE("a bare page scores 30 (D)", "[scan][observatory]") {
  auto r = grade("");
  CHECK(result_of(r, "content-security-policy") == "csp-not-implemented");
  CHECK(result_of(r, "strict-transport-security") == "hsts-not-implemented");
  CHECK(result_of(r, "x-frame-options") == "x-frame-options-not-implemented");
  CHECK(result_of(r, "x-content-type-options") == "x-content-type-options-not-implemented");
  CHECK(result_of(r, "redirection") == "redirection-not-needed-no-http");
  CHECK(result_of(r, "subresource-integrity") == "sri-not-implemented-but-no-scripts-loaded");
  CHECK(r.score == 30);  // 100 - 25 - 20 - 5 - 20
  CHECK(r.grade == "D");
}

TEST_CASE("a hardened page gets every bonus: 135 (A+)", "[scan][observatory]") {
  auto r = grade(kHardened);
  CHECK(result_of(r, "content-security-policy") == "csp-implemented-with-no-unsafe-default-src-none");
  CHECK(result_of(r, "x-frame-options") == "x-frame-options-implemented-via-csp");
  CHECK(result_of(r, "cookies") == "cookies-secure-with-httponly-sessions-and-samesite");
  CHECK(result_of(r, "referrer-policy") == "referrer-policy-private");
  CHECK(result_of(r, "cross-origin-resource-policy") == "corp-implemented-with-same-origin");
  CHECK(result_of(r, "strict-transport-security") == "hsts-implemented-max-age-at-least-six-months");
  CHECK(r.bonus == 35);
  CHECK(r.score == 135);
  CHECK(r.grade == "A+");
}

TEST_CASE("bonus rule: bonuses count only when the rest scores 90 or more", "[scan][observatory]") {
  // No HSTS (-20): 80 without bonuses, so the 35 bonus points are not added.
  std::string no_hsts = kHardened;
  no_hsts.erase(no_hsts.find("Strict-Transport-Security"), std::string("Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n").size());
  auto r = grade(no_hsts);
  CHECK(r.score == 80);
  CHECK(r.grade == "B+");
  // Exactly 90 without bonuses: they are added.
  std::string ninety =
      "Content-Security-Policy: default-src 'none'\r\nStrict-Transport-Security: max-age=31536000\r\n"
      "Referrer-Policy: unsafe-url\r\n";  // XCTO missing -5, referrer unsafe -5, XFO via CSP? no frame-ancestors -> -20
  auto r2 = grade(ninety + "X-Frame-Options: DENY\r\n");
  CHECK(result_of(r2, "referrer-policy") == "referrer-policy-unsafe");
  CHECK(r2.score == 100);  // 100 - 5 - 5 = 90, then +10 (default-src 'none')
  CHECK(r2.grade == "A+");
}

TEST_CASE("CSP results", "[scan][observatory][csp]") {
  CHECK(result_of(grade("Content-Security-Policy: script-src 'self' 'unsafe-inline'\r\n"), "content-security-policy") ==
        "csp-implemented-with-unsafe-inline");
  // nonce removes 'unsafe-inline'; object-src falls back to default-src
  CHECK(result_of(grade("Content-Security-Policy: default-src 'self'; script-src 'nonce-abc' 'unsafe-inline'\r\n"),
                  "content-security-policy") == "csp-implemented-with-no-unsafe");
  CHECK(result_of(grade("Content-Security-Policy: default-src 'self'; script-src 'self' 'unsafe-eval'\r\n"),
                  "content-security-policy") == "csp-implemented-with-unsafe-eval");
  CHECK(result_of(grade("Content-Security-Policy: default-src 'self'; img-src http://img.test\r\n"),
                  "content-security-policy") == "csp-implemented-with-insecure-scheme-in-passive-content-only");
  CHECK(result_of(grade("Content-Security-Policy: default-src 'self'; style-src 'unsafe-inline'\r\n"),
                  "content-security-policy") == "csp-implemented-with-unsafe-inline-in-style-src-only");
  CHECK(result_of(grade("Content-Security-Policy: default-src 'self'; default-src 'none'\r\n"),
                  "content-security-policy") == "csp-header-invalid");
  CHECK(result_of(grade("Content-Security-Policy-Report-Only: default-src 'none'\r\n"), "content-security-policy") ==
        "csp-not-implemented-but-reporting-enabled");
  // From <meta> only
  CHECK(result_of(grade("", "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">"),
                  "content-security-policy") == "csp-implemented-with-no-unsafe-default-src-none");
}

TEST_CASE("HSTS, cookies, XFO, referrer, CORS edge cases", "[scan][observatory]") {
  // Repeated HSTS headers merge with a comma, which the Observatory rejects.
  CHECK(result_of(grade("Strict-Transport-Security: max-age=31536000\r\nStrict-Transport-Security: max-age=1\r\n"),
                  "strict-transport-security") == "hsts-header-invalid");
  CHECK(result_of(grade("Strict-Transport-Security: max-age=86400\r\n"), "strict-transport-security") ==
        "hsts-implemented-max-age-less-than-six-months");
  CHECK(result_of(grade("Set-Cookie: PHPSESSID=1; HttpOnly\r\n"), "cookies") == "cookies-session-without-secure-flag");
  CHECK(result_of(grade("Strict-Transport-Security: max-age=31536000\r\nSet-Cookie: PHPSESSID=1; HttpOnly\r\n"), "cookies") ==
        "cookies-session-without-secure-flag-but-protected-by-hsts");
  CHECK(result_of(grade("Set-Cookie: sess=1; Secure\r\n"), "cookies") == "cookies-session-without-httponly-flag");
  CHECK(result_of(grade("Set-Cookie: a=1; Secure; SameSite=wat\r\n"), "cookies") == "cookies-samesite-flag-invalid");
  CHECK(result_of(grade("Set-Cookie: csrftoken=1; Secure\r\n"), "cookies") == "cookies-anticsrf-without-samesite-flag");
  CHECK(result_of(grade("X-Frame-Options: ALLOW-FROM https://a.test\r\n"), "x-frame-options") ==
        "x-frame-options-allow-from-origin");
  CHECK(result_of(grade("X-Frame-Options: bogus\r\n"), "x-frame-options") == "x-frame-options-header-invalid");
  CHECK(result_of(grade("Referrer-Policy: no-referrer, bogus-value\r\n"), "referrer-policy") == "referrer-policy-private");
  CHECK(result_of(grade("Referrer-Policy: bogus\r\n"), "referrer-policy") == "referrer-policy-header-invalid");
  CHECK(result_of(grade("Access-Control-Allow-Origin: *\r\n"), "cross-origin-resource-sharing") ==
        "cross-origin-resource-sharing-implemented-with-public-access");
  CHECK(result_of(grade("X-Content-Type-Options: nosniff, nosniff\r\n"), "x-content-type-options") ==
        "x-content-type-options-header-invalid");
  CHECK(result_of(grade("Cross-Origin-Resource-Policy: sideways\r\n"), "cross-origin-resource-policy") == "corp-header-invalid");
}

TEST_CASE("SRI results", "[scan][observatory][sri]") {
  CHECK(result_of(grade("", "<script src=\"/app.js\"></script>"), "subresource-integrity") ==
        "sri-not-implemented-but-all-scripts-loaded-from-secure-origin");
  CHECK(result_of(grade("", "<script src=\"https://cdn.other.test/x.js\"></script>"), "subresource-integrity") ==
        "sri-not-implemented-but-external-scripts-loaded-securely");
  CHECK(result_of(grade("", "<script src=\"http://cdn.other.test/x.js\"></script>"), "subresource-integrity") ==
        "sri-not-implemented-and-external-scripts-not-loaded-securely");
  CHECK(result_of(grade("", "<script src=\"https://cdn.other.test/x.js\" integrity=\"sha384-abc\"></script>"),
                  "subresource-integrity") == "sri-implemented-and-external-scripts-loaded-securely");
  CHECK(result_of(grade("", "<script src=\"//cdn.other.test/x.js\" integrity=\"sha384-abc\"></script>"),
                  "subresource-integrity") == "sri-implemented-but-external-scripts-not-loaded-securely");
  auto json = parse_curl_dump("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}", "t", "https://site.test/");
  CHECK(grade_observatory(input_from_chain(json, nullptr)).find("subresource-integrity")->result ==
        "sri-not-implemented-response-not-html");
}

TEST_CASE("redirection and HSTS preload", "[scan][observatory]") {
  auto chain = parse_curl_dump(
      "HTTP/1.1 301 Moved\r\nLocation: https://site.test/\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", "t",
      "http://site.test/");
  auto r = grade_observatory(input_from_chain(chain, nullptr));
  CHECK(result_of(r, "redirection") == "redirection-to-https");
  auto off = parse_curl_dump(
      "HTTP/1.1 301 Moved\r\nLocation: https://www.site.test/\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", "t", "http://site.test/");
  CHECK(grade_observatory(input_from_chain(off, nullptr)).find("redirection")->result == "redirection-off-host-from-http");
  auto missing = parse_curl_dump("HTTP/1.1 200 OK\r\n\r\n", "t", "http://site.test/");
  auto rm = grade_observatory(input_from_chain(missing, nullptr));
  CHECK(result_of(rm, "redirection") == "redirection-missing");
  CHECK(result_of(rm, "strict-transport-security") == "hsts-not-implemented-no-https");

  HstsPreload preload;
  preload.add("site.test", true);
  CHECK(preload.preloaded("www.site.test"));
  auto https = dump("");
  CHECK(grade_observatory(input_from_chain(https, &preload)).find("strict-transport-security")->result == "hsts-preloaded");
}

TEST_CASE("findings carry controls and profiles filter them", "[scan][findings]") {
  auto r = grade("Server: nginx/1.22.1\r\nX-Powered-By: PHP/8.1\r\n");
  auto f = observatory_findings(r);
  REQUIRE_FALSE(f.empty());
  for (const auto& x : f) CHECK_FALSE(x.controls.empty());
  auto h = header_findings(*input_from_chain(dump("Server: nginx/1.22.1\r\n"), nullptr).page, true);
  bool banner = false;
  for (const auto& x : h) banner |= x.rule == "scan.banner.server";
  CHECK(banner);
  Finding hsts{"hsts-not-implemented", Severity::medium, "", "", controls_for("hsts-not-implemented")};
  CHECK(in_profile(hsts, "pci"));
  CHECK(in_profile(hsts, "hipaa"));
  Finding xfo{"x-frame-options-not-implemented", Severity::medium, "", "", controls_for("x-frame-options-not-implemented")};
  CHECK_FALSE(in_profile(xfo, "hipaa"));
  CHECK(in_profile(xfo, "pci"));
  CHECK_THROWS(normalise_profile("iso"));
  CHECK(redact("API_KEY=supersecretvalue123 and token=abc") == "API_KEY=<redacted> and token=<redacted>");
}

TEST_CASE("recorded grade of a chain", "[scan][observatory]") {
  auto chain = dump(kHardened);
  auto r = grade_recorded(chain, "t", nullptr);
  CHECK(r.grade == "A+");
  CHECK(r.status == "ok");
  CHECK(cap_grade("A+", "B") == "B");
  CHECK(cap_grade("C", "B") == "C");
  CHECK(cap_grade("A", "T") == "F");
  CHECK(cap_grade("A", "A") == "A");
}

// Parsers of outside data: curl dumps, HAR, Set-Cookie, CSP, HTML bits.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "scan/cookie.hpp"
#include "scan/csp.hpp"
#include "scan/http.hpp"

using namespace opskit::scan;

TEST_CASE("curl dump: header blocks, merging and body", "[scan][http]") {
  std::string dump =
      "HTTP/1.1 301 Moved Permanently\r\nLocation: https://example.com/\r\n\r\n"
      "HTTP/2 200 \r\nContent-Type: text/html; charset=utf-8\r\nX-Test: a\r\nx-test: b\r\n"
      "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nServer: one\r\nServer: two\r\n\r\n<html>body</html>";
  auto chain = parse_curl_dump(dump, "dump.txt", "http://example.com/");
  REQUIRE(chain.size() == 2);
  CHECK(chain[0].status == 301);
  CHECK(chain[1].url == "https://example.com/");
  CHECK(chain[1].status == 200);
  CHECK(chain[1].headers.get("X-TEST") == "a, b");
  CHECK(chain[1].headers.get("server") == "one");  // kept once, first wins
  CHECK(chain[1].headers.all("set-cookie").size() == 2);
  CHECK(chain[1].body == "<html>body</html>");
  CHECK(mime_type(chain[1]) == "text/html");
}

TEST_CASE("curl dump: 100 Continue is not part of the chain", "[scan][http]") {
  auto chain = parse_curl_dump("HTTP/1.1 100 Continue\n\nHTTP/1.1 204 No Content\nA: b\n\n", "x", "https://h/");
  REQUIRE(chain.size() == 1);
  CHECK(chain[0].status == 204);
}

TEST_CASE("curl dump: bad input names file and line", "[scan][http]") {
  try {
    parse_curl_dump("HTTP/1.1 200 OK\nGood: yes\nno colon here\n\n", "resp.txt", "https://h/");
    FAIL("expected DataError");
  } catch (const opskit::DataError& e) {
    CHECK(e.where().file == "resp.txt");
    CHECK(e.where().line == 3);
  }
  CHECK_THROWS_AS(parse_curl_dump("<html>not a response</html>", "x", "https://h/"), opskit::DataError);
  CHECK_THROWS_AS(parse_curl_dump("HTTP/1.1 abc\n\n", "x", "https://h/"), opskit::DataError);
}

TEST_CASE("HAR: redirect chain followed through the entries", "[scan][http]") {
  std::string har = R"({"log":{"entries":[
    {"request":{"url":"http://shop.test/"},"response":{"status":301,"headers":[{"name":"Location","value":"https://shop.test/"}],"content":{}}},
    {"request":{"url":"https://cdn.test/x.js"},"response":{"status":200,"headers":[],"content":{}}},
    {"request":{"url":"https://shop.test/"},"response":{"status":200,"headers":[{"name":"Content-Type","value":"text/html"}],"content":{"text":"<p>hi</p>"}}}
  ]}})";
  auto chain = parse_har(har, "shop.har");
  REQUIRE(chain.size() == 2);
  CHECK(chain[0].url == "http://shop.test/");
  CHECK(chain[1].url == "https://shop.test/");
  CHECK(chain[1].body == "<p>hi</p>");
  CHECK_THROWS_AS(parse_har("{\"log\":{}}", "x.har"), opskit::DataError);
  CHECK_THROWS_AS(parse_har("{not json", "x.har"), opskit::DataError);
}

TEST_CASE("URLs parse and resolve", "[scan][http]") {
  Url u;
  REQUIRE(parse_url("https://Example.COM:8443/a/b?q=1#frag", u));
  CHECK(u.host == "example.com");
  CHECK(u.port == 8443);
  CHECK(u.path == "/a/b?q=1");
  CHECK(u.origin() == "https://example.com:8443");
  CHECK(resolve_url(u, "/x") == "https://example.com:8443/x");
  CHECK(resolve_url(u, "c") == "https://example.com:8443/a/c");
  CHECK(resolve_url(u, "//other.test/y") == "https://other.test/y");
  CHECK_FALSE(parse_url("ftp://x/", u));
  CHECK_FALSE(parse_url("https://:80/", u));
  CHECK_FALSE(parse_url("https://h:99999/", u));
}

TEST_CASE("Set-Cookie attributes", "[scan][cookie]") {
  auto c = parse_set_cookie("SESSIONID=abc; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=60");
  REQUIRE(c);
  CHECK(c->name == "SESSIONID");
  CHECK(c->secure);
  CHECK(c->httponly);
  CHECK(c->samesite == "Lax");
  CHECK(c->max_age == 60);
  CHECK(c->is_session());
  CHECK_FALSE(parse_set_cookie("novalue"));
  CHECK_FALSE(parse_set_cookie("=x"));
  CHECK(parse_set_cookie("csrftoken=1")->is_anticsrf());
  CHECK(has_invalid_samesite("a=1; SameSite"));
  CHECK(has_invalid_samesite("a=1; SameSite=bogus"));
  CHECK_FALSE(has_invalid_samesite("a=1; samesite=STRICT"));
}

TEST_CASE("CSP parsing: directives, 'none', duplicates, several policies", "[scan][csp]") {
  auto p = parse_csp({"Default-Src 'SELF' https://A.example; img-src; report-uri /r; report-uri /s"});
  CHECK(p.policy.at("default-src") == std::set<std::string>{"'self'", "https://a.example"});
  CHECK(p.policy.at("img-src") == std::set<std::string>{"'none'"});
  CHECK(p.duplicate_warnings.count("report-uri"));
  CHECK_THROWS_AS(parse_csp({"script-src 'self'; script-src 'none'"}), CspError);
  CHECK_THROWS_AS(parse_csp({"abc"}), CspError);
  // Two policies: only sources both allow survive.
  auto two = parse_csp({"script-src 'self' https://a.test", "script-src 'self'"});
  CHECK(two.policy.at("script-src") == std::set<std::string>{"'self'"});
  auto meta = parse_csp_meta({"default-src 'self'; frame-ancestors 'none'"});
  CHECK_FALSE(meta.policy.count("frame-ancestors"));
  CHECK(split_csp_policies({"a-src x, b-src y"}).size() == 2);
}

TEST_CASE("HTML scanning: meta http-equiv and scripts, comments skipped", "[scan][http]") {
  std::string html =
      "<html><head><!-- <script src=http://evil/></script> -->"
      "<META HTTP-EQUIV='Content-Security-Policy' content=\"default-src 'self'\">"
      "<script src=\"https://cdn.test/a.js\" integrity=\"sha384-x\" crossorigin=anonymous></script>"
      "<script>var s = '<script src=nope>';</script></head></html>";
  auto eq = html_http_equiv(html);
  REQUIRE(eq.size() == 1);
  CHECK(eq[0].first == "content-security-policy");
  CHECK(eq[0].second == "default-src 'self'");
  auto scripts = html_scripts(html);
  REQUIRE(scripts.size() == 2);
  CHECK(scripts[0].src == "https://cdn.test/a.js");
  CHECK(scripts[0].has_integrity);
  CHECK(scripts[1].src.empty());
}
